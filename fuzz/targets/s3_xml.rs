//! S3 XML answers: every document parser of `storage::s3::responses`.
//!
//! Input: byte 0 picks the parser ([`PARSERS`]), byte 1 the status ([`STATUSES`]), the
//! rest is the body. Properties: an answer that is not 2xx is an error carrying its status
//! and the kind its code means; a 2xx whose root is not `<Error>` fails only as `Parse`;
//! what parses is no larger than the body.

use multicloud::ErrorKind;
use multicloud::http::{HeaderMap, Response};
use multicloud::storage::s3::responses::{self as r, COMPLETE_RESULT, COPY_RESULT};

use super::{assert_bounded, assert_error};

/// The parsers, in the order byte 0 picks them.
pub const PARSERS: [&str; 7] = [
    "containers",
    "object_page",
    "upload_id",
    "result_etag (complete)",
    "result_etag (copy)",
    "delete_failures",
    "multipart_uploads",
];

/// The root element each parser wants, in the same order.
pub const ROOTS: [&str; 7] = [
    "ListAllMyBucketsResult",
    "ListBucketResult",
    "InitiateMultipartUploadResult",
    COMPLETE_RESULT,
    COPY_RESULT,
    "DeleteResult",
    "ListMultipartUploadsResult",
];

/// The statuses byte 1 picks from (mostly 200: that is where the documents are parsed).
pub const STATUSES: [u16; 16] = [
    200, 200, 200, 200, 200, 204, 206, 299, 301, 400, 403, 404, 409, 500, 503, 999,
];

/// The bucket every parser is given.
pub const BUCKET: &str = "fuzz-bucket";

/// An input for [`run`].
pub fn input(parser: u8, status: u8, body: &[u8]) -> Vec<u8> {
    [&[parser, status][..], body].concat()
}

/// A response with `status`, no headers and `body`.
pub fn response(status: u16, body: &[u8]) -> Response {
    Response {
        status,
        headers: HeaderMap::new(),
        body: body.to_vec().into(),
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let [parser, status, body @ ..] = data else {
        return;
    };
    let resp = response(STATUSES[usize::from(status % 16)], body);
    let n = body.len();
    match usize::from(*parser) % PARSERS.len() {
        0 => verdict(&resp, r::containers(&resp)).map(|v| containers(&v, n)),
        1 => verdict(&resp, r::object_page(&resp, BUCKET)).map(|p| object_page(&p, n)),
        2 => verdict(&resp, r::upload_id(&resp, "k")).map(|id| {
            assert!(!id.is_empty());
            assert_bounded("upload id", id.len(), n);
        }),
        3 => etag(&resp, COMPLETE_RESULT),
        4 => etag(&resp, COPY_RESULT),
        5 => verdict(&resp, r::delete_failures(&resp, BUCKET)).map(|f| delete_failures(&f, n)),
        _ => verdict(&resp, r::multipart_uploads(&resp, BUCKET)).map(|p| uploads(&p, n)),
    };
}

/// Checks an error against the answer; passes what parsed on.
fn verdict<T>(resp: &Response, parsed: multicloud::Result<T>) -> Option<T> {
    let err = match parsed {
        Ok(v) => {
            assert!(resp.is_success(), "a {} answer parsed", resp.status);
            assert_ne!(r::root_element(&resp.body).as_deref(), Some("Error"));
            return Some(v);
        }
        Err(e) => e,
    };
    assert_eq!(err.provider(), Some("s3"), "{err:?}");
    let carried = !resp.is_success() || r::root_element(&resp.body).as_deref() == Some("Error");
    if carried {
        // The error the answer carries: its status, and the kind its code means.
        assert_eq!(err.status(), Some(resp.status), "{err:?}");
        assert_eq!(err.kind(), r::kind_of(resp.status, err.code()), "{err:?}");
        assert_bounded("error message", err.message().len(), resp.body.len());
    } else {
        assert_error(&err, &[ErrorKind::Parse], resp.body.len());
    }
    None
}

fn etag(resp: &Response, root: &str) -> Option<()> {
    let parsed = r::result_etag(resp, root, "completing");
    verdict(resp, parsed).map(|e| {
        let len = e.map_or(0, |e| e.len());
        assert_bounded("etag", len, resp.body.len());
    })
}

fn containers(list: &[multicloud::storage::Container], n: usize) {
    assert!(
        list.len() <= n / 8,
        "{} buckets out of {n} bytes",
        list.len()
    );
    assert!(
        list.windows(2).all(|w| w[0].name <= w[1].name),
        "not sorted"
    );
    let bytes: usize = list.iter().map(|c| c.name.len()).sum();
    assert_bounded("bucket names", bytes, n);
}

fn object_page(page: &multicloud::storage::Page<multicloud::storage::Object>, n: usize) {
    assert!(
        page.items.len() <= n / 8,
        "{} objects out of {n}",
        page.items.len()
    );
    assert!(page.next_token.as_ref().is_none_or(|t| !t.is_empty()));
    let mut bytes = page.next_token.as_ref().map_or(0, String::len);
    for o in &page.items {
        assert_eq!(o.container, BUCKET);
        bytes += o.name.len() + o.hash.as_ref().map_or(0, String::len);
    }
    assert_bounded("listing", bytes, n);
}

fn delete_failures(failures: &[(String, multicloud::Error)], n: usize) {
    assert!(failures.len() <= n / 8);
    for (key, err) in failures {
        assert_eq!(err.kind(), r::kind_of(200, err.code()), "{err:?}");
        assert_bounded("failed key", key.len(), n);
        assert_bounded("failure message", err.message().len(), n);
    }
}

fn uploads(page: &multicloud::storage::Page<multicloud::storage::s3::MultipartUpload>, n: usize) {
    assert!(page.items.len() <= n / 8);
    let mut bytes = 0;
    for u in &page.items {
        bytes += u.key.len() + u.upload_id.len();
    }
    if let Some(token) = &page.next_token {
        let (key, _id) = r::upload_markers(token);
        assert!(!key.is_empty(), "a token with no key marker");
        bytes += token.len();
    }
    assert_bounded("uploads", bytes, n);
}
