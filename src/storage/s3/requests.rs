//! Building signed S3 requests. Pure: the clock is an argument.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use super::checksum::{self, BodyProof, UploadChecksum};
use super::config::S3Config;
use crate::aws::Cache;
use crate::http::{Method, Request};
use crate::signing::sigv4::{self, Options, Scope, Unsigned};
use crate::storage::{ByteRange, GetOptions, UploadOptions, WriteCondition};

/// Asks GetObject/HeadObject for the object's stored checksum.
const CHECKSUM_MODE: &str = "x-amz-checksum-mode";

/// Builds every S3 request the driver sends.
#[derive(Debug)]
pub struct S3Requests {
    cfg: S3Config,
    keys: sigv4::KeyCache,
    /// Where the signing credentials are read from at each request (`None`: unsigned).
    credentials: Option<Arc<Cache>>,
}

/// A request about to be signed: bucket, key, query and headers in plain (decoded) form.
struct Draft<'a> {
    method: Method,
    bucket: Option<&'a str>,
    key: Option<&'a str>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl<'a> Draft<'a> {
    fn new(method: Method, bucket: Option<&'a str>, key: Option<&'a str>) -> Self {
        Draft {
            method,
            bucket,
            key,
            query: Vec::new(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    fn query(mut self, k: &str, v: impl Into<String>) -> Self {
        self.query.push((k.to_owned(), v.into()));
        self
    }

    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_owned(), v.into()));
        self
    }

    fn body(mut self, body: Bytes) -> Self {
        self.body = body;
        self
    }
}

impl S3Requests {
    /// Requests for this configuration, signed with its static credentials.
    pub fn new(cfg: S3Config) -> Self {
        let credentials = cfg.credentials.clone().map(|c| Arc::new(Cache::fixed(c)));
        Self::with_credentials(cfg, credentials)
    }

    /// Requests signed with what `credentials` holds when each is built (a provider keeps
    /// it fresh); `None` for unsigned requests.
    pub fn with_credentials(cfg: S3Config, credentials: Option<Arc<Cache>>) -> Self {
        S3Requests {
            cfg,
            keys: sigv4::KeyCache::new(),
            credentials,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    /// `GET /`: ListBuckets.
    pub fn list_buckets(&self, now: SystemTime) -> Request {
        self.finish(Draft::new(Method::Get, None, None), now, false)
    }

    /// `HEAD /bucket`.
    pub fn head_bucket(&self, bucket: &str, now: SystemTime) -> Request {
        self.finish(Draft::new(Method::Head, Some(bucket), None), now, false)
    }

    /// `PUT /bucket`, with a `LocationConstraint` outside us-east-1.
    pub fn create_bucket(&self, bucket: &str, now: SystemTime) -> Request {
        let mut d = Draft::new(Method::Put, Some(bucket), None);
        if self.cfg.region != "us-east-1" {
            let body = format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.cfg.region
            );
            d = d
                .header("content-type", "application/xml")
                .body(body.into());
        }
        self.finish(d, now, false)
    }

    /// `DELETE /bucket`.
    pub fn delete_bucket(&self, bucket: &str, now: SystemTime) -> Request {
        self.finish(Draft::new(Method::Delete, Some(bucket), None), now, false)
    }

    /// ListObjectsV2 for one page.
    pub fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
        now: SystemTime,
    ) -> Request {
        self.list_entries(bucket, prefix, "", token, max, now)
    }

    /// ListObjectsV2 for one page with a delimiter (objects and common prefixes); an
    /// empty delimiter lists flat. With [`S3Config::list_v1`], ListObjects v1 instead:
    /// no `list-type`, and the token's marker goes out as `marker` (see
    /// [`responses::v1_marker`](super::responses::v1_marker)).
    pub fn list_entries(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
        now: SystemTime,
    ) -> Request {
        let mut d = Draft::new(Method::Get, Some(bucket), None);
        if !self.cfg.list_v1 {
            d = d.query("list-type", "2");
        }
        d = d.query("max-keys", max.clamp(1, 1000).to_string());
        for (name, value) in [("prefix", prefix), ("delimiter", delimiter)] {
            if !value.is_empty() {
                d = d.query(name, value);
            }
        }
        match token {
            Some(t) if self.cfg.list_v1 => d = d.query("marker", super::responses::v1_marker(t).0),
            Some(t) => d = d.query("continuation-token", t),
            None => {}
        }
        self.finish(d, now, false)
    }

    /// HeadObject (asking for the object's checksum).
    pub fn head_object(&self, bucket: &str, key: &str, now: SystemTime) -> Request {
        let d = Draft::new(Method::Head, Some(bucket), Some(key));
        self.finish(d.header(CHECKSUM_MODE, "ENABLED"), now, false)
    }

    /// GetObject, whole or by range, with the read's preconditions (a transfer: only the
    /// stall timeout applies).
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        opts: &GetOptions,
        now: SystemTime,
    ) -> Request {
        let mut d = Draft::new(Method::Get, Some(bucket), Some(key));
        if opts.range == ByteRange::ALL {
            // The stored CRC32C, if any, checks a whole download more cheaply than MD5.
            d = d.header(CHECKSUM_MODE, "ENABLED");
        }
        for (name, value) in opts.conditions.headers() {
            d = d.header(name, value);
        }
        match opts.range {
            ByteRange {
                start: 0,
                end: None,
            } => {}
            ByteRange { start, end: None } => d = d.header("range", format!("bytes={start}-")),
            ByteRange {
                start,
                end: Some(end),
            } => d = d.header("range", format!("bytes={start}-{}", end.saturating_sub(1))),
        }
        self.finish(d, now, true)
    }

    /// PutObject with content type, user metadata, the write condition and the body's
    /// proof ([`S3Config::upload_checksum`]), which is also returned: the answer is
    /// checked against it.
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        opts: &UploadOptions,
        now: SystemTime,
    ) -> (Request, BodyProof) {
        let proof = match self.cfg.upload_checksum {
            UploadChecksum::Crc32c => BodyProof::Crc32c(checksum::crc32c_base64(&body)),
            UploadChecksum::Md5 => BodyProof::Md5({
                use md5::Digest;
                md5::Md5::digest(&body).into()
            }),
        };
        let d = Draft::new(Method::Put, Some(bucket), Some(key));
        let d = match &proof {
            BodyProof::Crc32c(crc) => d.header(checksum::CRC32C_HEADER, crc.clone()),
            BodyProof::Md5(md5) => d.header("content-md5", base64_md5(md5)),
        };
        let d = with_condition(
            with_object_headers(d.body(body), opts),
            opts.condition.as_ref(),
        );
        (self.finish(d, now, true), proof)
    }

    /// DeleteObject.
    pub fn delete_object(&self, bucket: &str, key: &str, now: SystemTime) -> Request {
        self.finish(
            Draft::new(Method::Delete, Some(bucket), Some(key)),
            now,
            false,
        )
    }

    /// DeleteObjects for up to 1000 keys (quiet mode: only failures are listed).
    pub fn delete_objects(&self, bucket: &str, keys: &[String], now: SystemTime) -> Request {
        let mut xml = String::from(
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>",
        );
        for k in keys {
            xml.push_str("<Object><Key>");
            xml.push_str(&quick_xml::escape::escape(k.as_str()));
            xml.push_str("</Key></Object>");
        }
        xml.push_str("</Delete>");
        let body = Bytes::from(xml);
        let d = Draft::new(Method::Post, Some(bucket), None)
            .query("delete", "")
            .header("content-type", "application/xml")
            .header("content-md5", content_md5(&body))
            .body(body);
        let mut r = self.finish(d, now, false);
        // Deleting the same keys again is harmless.
        r.idempotent = true;
        r
    }

    /// CopyObject (server side).
    pub fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        bucket: &str,
        key: &str,
        now: SystemTime,
    ) -> Request {
        let source = format!("/{}/{}", src_bucket, sigv4::encode_path(src_key));
        let d =
            Draft::new(Method::Put, Some(bucket), Some(key)).header("x-amz-copy-source", source);
        self.finish(d, now, false)
    }

    /// CreateMultipartUpload.
    pub fn create_multipart(
        &self,
        bucket: &str,
        key: &str,
        opts: &UploadOptions,
        now: SystemTime,
    ) -> Request {
        let d = Draft::new(Method::Post, Some(bucket), Some(key)).query("uploads", "");
        self.finish(with_object_headers(d, opts), now, false)
    }

    /// UploadPart with `Content-MD5`. Also returns the part's MD5, which the caller needs
    /// to check the ETag, so it is computed once.
    pub fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part: u32,
        body: Bytes,
        now: SystemTime,
    ) -> (Request, [u8; 16]) {
        let md5: [u8; 16] = {
            use md5::Digest;
            md5::Md5::digest(&body).into()
        };
        let d = Draft::new(Method::Put, Some(bucket), Some(key))
            .query("partNumber", part.to_string())
            .query("uploadId", upload_id)
            .header("content-md5", base64_md5(&md5))
            .body(body);
        (self.finish(d, now, true), md5)
    }

    /// CompleteMultipartUpload with the parts' ETags. Retrying it is safe: completing an
    /// already completed upload answers the same object (or NoSuchUpload, handled).
    pub fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        etags: &[String],
        condition: Option<&WriteCondition>,
        now: SystemTime,
    ) -> Request {
        let mut xml = String::from(
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
        );
        for (i, etag) in etags.iter().enumerate() {
            xml.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>\"{}\"</ETag></Part>",
                i + 1,
                quick_xml::escape::escape(etag.as_str())
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let d = Draft::new(Method::Post, Some(bucket), Some(key))
            .query("uploadId", upload_id)
            .header("content-type", "application/xml")
            .body(xml.into());
        let mut r = self.finish(with_condition(d, condition), now, false);
        r.idempotent = true;
        r
    }

    /// AbortMultipartUpload.
    pub fn abort_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        now: SystemTime,
    ) -> Request {
        let d = Draft::new(Method::Delete, Some(bucket), Some(key)).query("uploadId", upload_id);
        self.finish(d, now, false)
    }

    /// ListMultipartUploads: one page under `prefix`, after the continuation `token` of
    /// the previous page (see [`responses::upload_markers_token`](super::responses::upload_markers_token)).
    pub fn list_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
        now: SystemTime,
    ) -> Request {
        let mut d = Draft::new(Method::Get, Some(bucket), None).query("uploads", "");
        if !prefix.is_empty() {
            d = d.query("prefix", prefix);
        }
        if let Some((key, id)) = token.map(super::responses::upload_markers) {
            d = d.query("key-marker", key);
            if !id.is_empty() {
                d = d.query("upload-id-marker", id);
            }
        }
        self.finish(d, now, false)
    }

    /// A presigned URL for `method` (GET or PUT) on an object, valid `expires_secs`
    /// (at most 7 days: see [`presign_validity`], which callers check first).
    pub fn presign(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        expires_secs: u64,
        now: SystemTime,
    ) -> String {
        let (base, host, path) = self.target(Some(bucket), Some(key));
        let Some(creds) = self.current_credentials() else {
            return base;
        };
        let headers = vec![("host".to_owned(), host)];
        let unsigned = Unsigned {
            method: method.as_str(),
            path: &path,
            query: &[],
            headers: &headers,
            payload_hash: sigv4::UNSIGNED_PAYLOAD,
        };
        let signed = sigv4::sign_query(
            self.scope(&creds),
            &unsigned,
            now,
            expires_secs.min(604_800),
            Options::S3,
        );
        format!("{base}?{}", encode_query(&signed.query))
    }

    fn current_credentials(&self) -> Option<Arc<crate::Credentials>> {
        self.credentials.as_ref()?.credentials()
    }

    fn scope<'s>(&'s self, credentials: &'s crate::Credentials) -> Scope<'s> {
        Scope {
            credentials,
            region: &self.cfg.region,
            service: "s3",
            key_cache: Some(&self.keys),
        }
    }

    /// The URL without query, the host header and the raw path (the endpoint's base path
    /// first, so it is sent and signed).
    fn target(&self, bucket: Option<&str>, key: Option<&str>) -> (String, String, String) {
        let ep = &self.cfg.endpoint;
        let host_only = ep.host_str().unwrap_or_default();
        let port = ep.port().map(|p| format!(":{p}")).unwrap_or_default();
        let (host, rest) = match (bucket, self.cfg.path_style) {
            (Some(b), false) => (
                format!("{b}.{host_only}{port}"),
                format!("/{}", key.unwrap_or_default()),
            ),
            (Some(b), true) => (
                format!("{host_only}{port}"),
                match key {
                    Some(k) => format!("/{b}/{k}"),
                    None => format!("/{b}"),
                },
            ),
            (None, _) => (format!("{host_only}{port}"), "/".to_owned()),
        };
        let path = format!("{}{rest}", base_path(ep));
        let base = format!("{}://{host}{}", ep.scheme(), sigv4::encode_path(&path));
        (base, host, path)
    }

    fn finish(&self, d: Draft<'_>, now: SystemTime, transfer: bool) -> Request {
        let (base, host, path) = self.target(d.bucket, d.key);
        let url = if d.query.is_empty() {
            base
        } else {
            format!("{base}?{}", encode_query(&d.query))
        };
        let mut headers = d.headers;
        let mut req = Request::new(d.method, url);
        req.transfer = transfer;
        if let Some(creds) = self.current_credentials() {
            let payload_hash = if d.body.is_empty() {
                sigv4::EMPTY_SHA256.to_owned()
            } else if self.cfg.sign_payload {
                sigv4::payload_sha256(&d.body)
            } else {
                sigv4::UNSIGNED_PAYLOAD.to_owned()
            };
            headers.push(("host".to_owned(), host));
            let unsigned = Unsigned {
                method: d.method.as_str(),
                path: &path,
                query: &d.query,
                headers: &headers,
                payload_hash: &payload_hash,
            };
            let signed = sigv4::sign_headers(self.scope(&creds), &unsigned, now, Options::S3);
            // The HTTP client sets Host itself, from the URL.
            headers.pop();
            headers.extend(signed.headers);
        }
        req.headers = headers;
        req.body = d.body;
        req
    }
}

/// The endpoint's path, decoded, without its trailing slash (`""` for none). The
/// configuration checked that it decodes.
fn base_path(endpoint: &url::Url) -> String {
    let path = endpoint.path().trim_end_matches('/');
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

fn with_object_headers<'a>(mut d: Draft<'a>, opts: &UploadOptions) -> Draft<'a> {
    let ct = opts
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    d = d.header("content-type", ct);
    for (k, v) in &opts.metadata {
        d = d.header(&format!("x-amz-meta-{k}"), v.clone());
    }
    d
}

/// The write condition's header (S3 checks it on PutObject and CompleteMultipartUpload).
fn with_condition<'a>(d: Draft<'a>, condition: Option<&WriteCondition>) -> Draft<'a> {
    match condition.map(WriteCondition::header) {
        Some((name, value)) => d.header(name, value),
        None => d,
    }
}

fn encode_query(q: &[(String, String)]) -> String {
    q.iter()
        .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Base64 of the body's MD5, for `Content-MD5`.
pub fn content_md5(body: &[u8]) -> String {
    use md5::Digest;
    base64_md5(&md5::Md5::digest(body).into())
}

/// `Content-MD5` of an MD5 already computed.
pub fn base64_md5(md5: &[u8; 16]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(md5)
}

/// The longest validity SigV4 presigned URLs may have: seven days.
pub const MAX_PRESIGN_SECS: u64 = 7 * 24 * 3600;

/// A presigned URL's validity in whole seconds: 1 s to seven days, else `InvalidInput`
/// (S3 refuses longer URLs when they are used, and a zero-second URL never works: a
/// silent cap or zero would hand out a URL that fails later, far from the cause).
pub fn presign_validity(expires: std::time::Duration) -> crate::Result<u64> {
    let secs = expires.as_secs();
    if !(1..=MAX_PRESIGN_SECS).contains(&secs) {
        return Err(crate::Error::invalid(format!(
            "S3 presigned URLs are valid 1 to {MAX_PRESIGN_SECS} seconds (7 days), not {secs}"
        )));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn presigned_urls_last_one_second_to_seven_days() {
        use std::time::Duration;
        assert_eq!(presign_validity(Duration::from_secs(3600)).unwrap(), 3600);
        assert_eq!(
            presign_validity(Duration::from_secs(MAX_PRESIGN_SECS)).unwrap(),
            MAX_PRESIGN_SECS
        );
        for bad in [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_secs(MAX_PRESIGN_SECS + 1),
        ] {
            let e = presign_validity(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    use super::*;
    use crate::Credentials;
    use std::time::UNIX_EPOCH;

    fn reqs(path_style: bool) -> S3Requests {
        let cfg = S3Config::builder()
            .endpoint("http://127.0.0.1:9000")
            .path_style(path_style)
            .region("eu-west-1")
            .credentials(Credentials::new("AK", "SK"))
            .build()
            .unwrap();
        S3Requests::new(cfg)
    }

    #[test]
    fn addressing_styles_and_key_encoding() {
        let now = SystemTime::UNIX_EPOCH;
        let r = reqs(true).head_object("b", "a b/ü+?.txt", now);
        assert_eq!(r.url, "http://127.0.0.1:9000/b/a%20b/%C3%BC%2B%3F.txt");
        let r = reqs(false).head_object("b", "k", now);
        assert_eq!(r.url, "http://b.127.0.0.1:9000/k");
        let r = reqs(true).list_objects("b", "p/", Some("tok=="), 5000, now);
        assert_eq!(
            r.url,
            "http://127.0.0.1:9000/b?list-type=2&max-keys=1000&prefix=p%2F&continuation-token=tok%3D%3D"
        );
    }

    #[test]
    fn list_v1_sends_a_marker_and_no_list_type() {
        let cfg = S3Config::builder()
            .endpoint("http://127.0.0.1:9000")
            .anonymous()
            .list_v1(true)
            .build()
            .unwrap();
        let r = S3Requests::new(cfg).list_entries("b", "p/", "/", Some("M\0p/k"), 10, UNIX_EPOCH);
        assert_eq!(
            r.url,
            "http://127.0.0.1:9000/b?max-keys=10&prefix=p%2F&delimiter=%2F&marker=M"
        );
    }

    #[test]
    fn requests_are_signed_with_content_hash() {
        let (r, md5) = reqs(true).put_object(
            "b",
            "k",
            Bytes::from_static(b"hi"),
            &UploadOptions::new().metadata("a", "1"),
            SystemTime::UNIX_EPOCH,
        );
        let BodyProof::Md5(md5) = md5 else {
            panic!("a custom endpoint sends Content-MD5 by default: {md5:?}")
        };
        assert_eq!(hex::encode(md5), "49f68a5c8493ec2c0bf489821c21fc3b");
        let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-md5",
                "content-type",
                "x-amz-meta-a",
                "x-amz-date",
                "x-amz-content-sha256",
                "authorization"
            ]
        );
        assert!(r.headers.iter().any(|(k, v)| k == "authorization" && v.contains("SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a")));
        assert_eq!(content_md5(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
    }

    #[test]
    fn an_endpoint_base_path_is_in_every_request_path_and_in_what_is_signed() {
        let now = SystemTime::UNIX_EPOCH;
        let with_base = |endpoint: &str, path_style: bool| {
            let cfg = S3Config::builder()
                .endpoint(endpoint)
                .path_style(path_style)
                .credentials(Credentials::new("AK", "SK"))
                .build()
                .unwrap();
            S3Requests::new(cfg)
        };
        let r = with_base("http://127.0.0.1:9000/base/s%20three/", true);
        assert_eq!(
            r.head_object("b", "k 1", now).url,
            "http://127.0.0.1:9000/base/s%20three/b/k%201"
        );
        assert_eq!(
            r.list_buckets(now).url,
            "http://127.0.0.1:9000/base/s%20three/"
        );
        let presigned = r.presign(Method::Get, "b", "k", 60, now);
        assert!(
            presigned.starts_with("http://127.0.0.1:9000/base/s%20three/b/k?X-Amz-"),
            "{presigned}"
        );
        let v = with_base("http://127.0.0.1:9000/base", false);
        assert_eq!(
            v.head_object("b", "k", now).url,
            "http://b.127.0.0.1:9000/base/k"
        );
        // The signature covers the base path: it differs from the same request without it.
        let plain = with_base("http://127.0.0.1:9000", true).head_object("b", "k", now);
        let based = with_base("http://127.0.0.1:9000/base", true).head_object("b", "k", now);
        let auth = |r: &Request| {
            r.headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .cloned()
        };
        assert_ne!(auth(&plain), auth(&based));
        // What is signed is the path sent: sign it by hand and compare.
        let creds = Credentials::new("AK", "SK");
        let headers = vec![
            ("x-amz-checksum-mode".to_owned(), "ENABLED".to_owned()),
            ("host".to_owned(), "127.0.0.1:9000".to_owned()),
        ];
        let unsigned = Unsigned {
            method: "HEAD",
            path: "/base/b/k",
            query: &[],
            headers: &headers,
            payload_hash: sigv4::EMPTY_SHA256,
        };
        let scope = Scope {
            credentials: &creds,
            region: "us-east-1",
            service: "s3",
            key_cache: None,
        };
        let by_hand = sigv4::sign_headers(scope, &unsigned, now, Options::S3);
        let expected = by_hand
            .headers
            .into_iter()
            .find(|(k, _)| k == "authorization");
        assert_eq!(auth(&based), expected);
        assert!(based.url.ends_with("/base/b/k"), "{}", based.url);
    }

    #[test]
    fn create_bucket_names_its_region_outside_us_east_1() {
        let r = reqs(true).create_bucket("b", SystemTime::UNIX_EPOCH);
        assert!(
            std::str::from_utf8(&r.body)
                .unwrap()
                .contains("<LocationConstraint>eu-west-1</LocationConstraint>")
        );
    }
}
