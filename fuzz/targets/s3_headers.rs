//! Object metadata from HEAD/GET headers: `object_from_headers`,
//! `object_from_header_list` and `etag`.
//!
//! Input: header lines separated by `\n`, each `name:value` (raw bytes: values may hold
//! any byte a server can send; names and values `http` refuses are dropped).
//! Properties: the two entry points agree; the size is `Content-Range`'s total or
//! `Content-Length`, and without a usable one the error is `Parse`; metadata comes only
//! from `x-amz-meta-*` headers.

use multicloud::ErrorKind;
use multicloud::http::{HeaderMap, Response};
use multicloud::storage::s3::responses as r;

use super::{assert_bounded, assert_error, split};

/// An input for [`run`].
pub fn input(headers: &[(&str, &[u8])]) -> Vec<u8> {
    let lines: Vec<Vec<u8>> = headers
        .iter()
        .map(|(k, v)| [k.as_bytes(), b":", v].concat())
        .collect();
    lines.join(&b'\n')
}

/// The header map `data` describes.
pub fn headers(data: &[u8]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let (name, value) = split(line, b':');
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value),
        ) {
            map.append(k, v);
        }
    }
    map
}

/// The target.
pub fn run(data: &[u8]) {
    let resp = Response {
        status: 200,
        headers: headers(data),
        body: Default::default(),
    };
    let from_list = r::object_from_header_list(&resp.headers, "b", "k");
    let from_resp = r::object_from_headers(&resp, "b", "k");
    assert_eq!(
        from_list.as_ref().map_err(|e| e.kind()),
        from_resp.as_ref().map_err(|e| e.kind())
    );
    let etag = r::etag(&resp);
    assert_bounded("etag", etag.map_or(0, |e| e.len()), data.len());
    match from_list {
        Ok(o) => object(&resp, &o, data.len()),
        Err(e) => assert_error(&e, &[ErrorKind::Parse], data.len()),
    }
}

fn object(resp: &Response, o: &multicloud::storage::Object, n: usize) {
    assert_eq!((o.container.as_str(), o.name.as_str()), ("b", "k"));
    let range_total = resp
        .header("content-range")
        .and_then(|r| r.rsplit_once('/'));
    let length = resp.header("content-length");
    assert!(
        range_total.is_some() || length.is_some(),
        "a size from nowhere"
    );
    let shown = o.size.to_string();
    let matches = |s: &str| s.trim().trim_start_matches('+').ends_with(shown.as_str());
    assert!(
        range_total.is_some_and(|(_, t)| matches(t)) || length.is_some_and(matches),
        "size {} from {range_total:?} / {length:?}",
        o.size
    );
    assert!(o.metadata.len() <= resp.headers.len());
    for (k, v) in &o.metadata {
        let header = resp.headers.get_all(format!("x-amz-meta-{k}"));
        assert!(header.iter().any(|h| h.as_bytes() == v.as_bytes()), "{k}");
    }
    let bytes: usize = o.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert_bounded("metadata", bytes, n);
}
