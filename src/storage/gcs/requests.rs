//! Builds the JSON API requests of the GCS driver. Pure: no I/O, no credentials (the
//! shell adds the `Authorization` header it holds, see [`authorized`]).
//!
//! Object names go into paths as one segment (`/` as `%2F`), so no URL parser can rewrite
//! them; query values are percent-encoded.

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use super::GcsConfig;
use crate::credentials::Secret;
use crate::http::{Method, Request};
use crate::storage::{ByteRange, UploadOptions};

/// Everything but RFC 3986's unreserved characters is encoded (`/` included).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The boundary of multipart uploads: the body is JSON and the caller's bytes, so a
/// boundary that occurs in the bytes would cut them; this one is checked against them.
const BOUNDARY: &str = "multicloud-gcs-8d3f0a1c5b7e4f29";

/// `name` as one path segment.
///
/// ```
/// use multicloud::storage::gcs::requests::encode_segment;
/// assert_eq!(encode_segment("a/b c%"), "a%2Fb%20c%25");
/// ```
pub fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// `req` with `Authorization: Bearer <token>` when there is a token.
pub fn authorized(req: Request, token: Option<&Secret>) -> Request {
    match token {
        Some(t) => req.header("authorization", format!("Bearer {}", t.expose())),
        None => req,
    }
}

/// What a write must find in place, as the JSON API says it: `ifGenerationMatch`
/// (`0`: no live object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(pub u64);

/// The hashes of an upload's body, sent so Google refuses bytes that do not match them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyHashes {
    /// The body's MD5.
    pub md5: [u8; 16],
    /// The body's CRC32C.
    pub crc32c: u32,
}

impl BodyHashes {
    /// The hashes of `data`.
    pub fn of(data: &[u8]) -> Self {
        use md5::Digest;
        BodyHashes {
            md5: md5::Md5::digest(data).into(),
            crc32c: crc32c::crc32c(data),
        }
    }
}

/// Which page of `objects.list`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListPage<'a> {
    /// Groups names at this delimiter.
    pub delimiter: Option<&'a str>,
    /// The server's page token.
    pub token: Option<&'a str>,
    /// Lists names from this one on (inclusive).
    pub start_offset: Option<&'a str>,
    /// At most this many entries (1 to 1000).
    pub max: usize,
}

/// Builds the driver's requests for one configuration.
#[derive(Debug, Clone)]
pub struct GcsRequests {
    config: GcsConfig,
    /// The endpoint without its trailing `/`.
    base: String,
}

impl GcsRequests {
    /// Requests for `config`.
    pub fn new(config: GcsConfig) -> Self {
        let base = config.endpoint.as_str().trim_end_matches('/').to_owned();
        GcsRequests { config, base }
    }

    /// The configuration.
    pub fn config(&self) -> &GcsConfig {
        &self.config
    }

    fn bucket_url(&self, bucket: &str) -> String {
        format!("{}/storage/v1/b/{}", self.base, encode_segment(bucket))
    }

    fn object_url(&self, bucket: &str, name: &str) -> String {
        format!("{}/o/{}", self.bucket_url(bucket), encode_segment(name))
    }

    /// `buckets.list` of the configured project (none for an emulator without one).
    pub fn list_buckets(&self, token: Option<&str>) -> Request {
        let mut q = Query::new(format!("{}/storage/v1/b", self.base));
        q.opt("project", self.config.project.as_deref());
        q.opt("pageToken", token);
        Request::new(Method::Get, q.url)
    }

    /// `buckets.get`.
    pub fn get_bucket(&self, bucket: &str) -> Request {
        Request::new(Method::Get, self.bucket_url(bucket))
    }

    /// `buckets.insert` in the configured project. Not repeated blindly after it may have
    /// arrived: a repeat of one that landed would hear 409 (`AlreadyExists`).
    pub fn create_bucket(&self, bucket: &str) -> Request {
        let mut q = Query::new(format!("{}/storage/v1/b", self.base));
        q.opt("project", self.config.project.as_deref());
        let body = json!({ "name": bucket }).to_string();
        let mut req = Request::new(Method::Post, q.url)
            .header("content-type", "application/json")
            .body(body);
        req.idempotent = false;
        req
    }

    /// `buckets.delete`.
    pub fn delete_bucket(&self, bucket: &str) -> Request {
        Request::new(Method::Delete, self.bucket_url(bucket))
    }

    /// `objects.list`: names under `prefix` (from `start_offset` on, inclusive), grouped
    /// at `delimiter` when one is given.
    pub fn list_objects(&self, bucket: &str, prefix: &str, page: ListPage<'_>) -> Request {
        let mut q = Query::new(format!("{}/o", self.bucket_url(bucket)));
        q.opt("prefix", Some(prefix).filter(|p| !p.is_empty()));
        q.opt("delimiter", page.delimiter.filter(|d| !d.is_empty()));
        q.opt("startOffset", page.start_offset);
        q.opt("maxResults", Some(&page.max.clamp(1, 1000).to_string()));
        q.opt("pageToken", page.token);
        Request::new(Method::Get, q.url)
    }

    /// `objects.get` (metadata).
    pub fn get_object(&self, bucket: &str, name: &str) -> Request {
        Request::new(Method::Get, self.object_url(bucket, name))
    }

    /// `objects.get?alt=media` of exactly `generation` (any when `0`, unknown), whole or a
    /// range.
    pub fn read_object(
        &self,
        bucket: &str,
        name: &str,
        generation: u64,
        range: ByteRange,
    ) -> Request {
        let mut q = Query::new(self.object_url(bucket, name));
        q.opt("alt", Some("media"));
        let pinned = (generation > 0).then(|| generation.to_string());
        q.opt("ifGenerationMatch", pinned.as_deref());
        let req = Request::new(Method::Get, q.url).transfer();
        match range_header(range) {
            Some(r) => req.header("range", r),
            None => req,
        }
    }

    /// `objects.delete`, of exactly `generation` when one is given.
    pub fn delete_object(&self, bucket: &str, name: &str, generation: Option<u64>) -> Request {
        let mut q = Query::new(self.object_url(bucket, name));
        q.opt(
            "ifGenerationMatch",
            generation.map(|g| g.to_string()).as_deref(),
        );
        Request::new(Method::Delete, q.url)
    }

    /// A multipart upload: the object's metadata (with the body's MD5 and CRC32C, which
    /// Google checks) and its bytes in one request. Marked idempotent: a repeat replaces
    /// the object with the same bytes, and a conditional repeat's 412 is checked by the
    /// driver against what the object holds.
    pub fn upload_multipart(
        &self,
        bucket: &str,
        name: &str,
        data: &Bytes,
        opts: &UploadOptions,
        condition: Option<Generation>,
    ) -> Request {
        let hashes = BodyHashes::of(data);
        let meta = object_metadata(name, opts, Some(hashes)).to_string();
        let boundary = boundary_for(data);
        let body = multipart_body(&boundary, &meta, content_type(opts), data);
        let mut q = Query::new(format!(
            "{}/upload/storage/v1/b/{}/o",
            self.base,
            encode_segment(bucket)
        ));
        q.opt("uploadType", Some("multipart"));
        q.opt(
            "ifGenerationMatch",
            condition.map(|g| g.0.to_string()).as_deref(),
        );
        let ct = format!("multipart/related; boundary={boundary}");
        Request::new(Method::Post, q.url)
            .header("content-type", ct)
            .body(body)
            .transfer()
    }

    /// Starts a resumable upload: the object's metadata; the answer's `Location` is the
    /// session. Repeating it only leaves an unused session behind (they expire), so it
    /// is marked idempotent.
    pub fn start_resumable(
        &self,
        bucket: &str,
        name: &str,
        opts: &UploadOptions,
        condition: Option<Generation>,
    ) -> Request {
        let meta = object_metadata(name, opts, None).to_string();
        let mut q = Query::new(format!(
            "{}/upload/storage/v1/b/{}/o",
            self.base,
            encode_segment(bucket)
        ));
        q.opt("uploadType", Some("resumable"));
        q.opt(
            "ifGenerationMatch",
            condition.map(|g| g.0.to_string()).as_deref(),
        );
        let mut req = Request::new(Method::Post, q.url)
            .header("content-type", "application/json; charset=UTF-8")
            .header("x-upload-content-type", content_type(opts))
            .body(meta);
        req.idempotent = true;
        req
    }

    /// Whether `session` (a `Location` the server sent) is on the configured endpoint:
    /// the access token is sent to it, so it must not lead anywhere else.
    pub fn is_own_session(&self, session: &str) -> bool {
        session
            .strip_prefix(&self.base)
            .is_some_and(|rest| rest.starts_with("/upload/"))
    }

    /// One chunk of a resumable upload starting at `offset`; `total` when it is the last.
    /// Not idempotent: after a failure the driver asks the session what it holds.
    pub fn upload_chunk(session: &str, offset: u64, data: Bytes, total: Option<u64>) -> Request {
        let total = total.map_or_else(|| "*".to_owned(), |t| t.to_string());
        let range = match data.len() as u64 {
            0 => format!("bytes */{total}"),
            n => format!("bytes {offset}-{}/{total}", offset + n - 1),
        };
        let mut req = Request::new(Method::Put, session)
            .header("content-range", range)
            .body(data)
            .transfer();
        req.idempotent = false;
        req
    }

    /// Asks a resumable session how many bytes it holds (`Content-Range: bytes */*`, or
    /// `*/total` once the total is known).
    pub fn session_status(session: &str, total: Option<u64>) -> Request {
        let total = total.map_or_else(|| "*".to_owned(), |t| t.to_string());
        Request::new(Method::Put, session).header("content-range", format!("bytes */{total}"))
    }

    /// Cancels a resumable session.
    pub fn cancel_session(session: &str) -> Request {
        Request::new(Method::Delete, session)
    }

    /// `objects.rewrite`, continued with `token`. The destination keeps the source's
    /// content type and metadata (no body: nothing is overridden). Unconditional, it is
    /// idempotent (a repeat copies the same bytes again; a POST would otherwise not be
    /// repeated after a reset or a 500); a conditional repeat of one that landed would
    /// hear 412, so that one is not.
    pub fn rewrite(
        &self,
        src: (&str, &str),
        dst: (&str, &str),
        token: Option<&str>,
        condition: Option<Generation>,
    ) -> Request {
        let mut q = Query::new(format!(
            "{}/rewriteTo/b/{}/o/{}",
            self.object_url(src.0, src.1),
            encode_segment(dst.0),
            encode_segment(dst.1)
        ));
        q.opt("rewriteToken", token);
        q.opt(
            "ifGenerationMatch",
            condition.map(|g| g.0.to_string()).as_deref(),
        );
        let mut req = Request::new(Method::Post, q.url)
            .header("content-type", "application/json")
            .body("{}");
        req.idempotent = condition.is_none();
        req
    }
}

/// The content type of an upload (Google's default when none is given).
fn content_type(opts: &UploadOptions) -> &str {
    opts.content_type
        .as_deref()
        .unwrap_or("application/octet-stream")
}

/// The object resource sent with an upload.
fn object_metadata(name: &str, opts: &UploadOptions, hashes: Option<BodyHashes>) -> Value {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut doc = Map::new();
    doc.insert("name".into(), name.into());
    doc.insert("contentType".into(), content_type(opts).into());
    if !opts.metadata.is_empty() {
        doc.insert("metadata".into(), json!(opts.metadata));
    }
    if let Some(h) = hashes {
        doc.insert("md5Hash".into(), b64.encode(h.md5).into());
        doc.insert("crc32c".into(), b64.encode(h.crc32c.to_be_bytes()).into());
    }
    Value::Object(doc)
}

/// A boundary that does not occur in `data` (the fixed one, else it with a counter).
fn boundary_for(data: &[u8]) -> String {
    let found = |b: &str| data.windows(b.len()).any(|w| w == b.as_bytes());
    let mut boundary = BOUNDARY.to_owned();
    let mut n = 0u32;
    while found(&boundary) {
        n += 1;
        boundary = format!("{BOUNDARY}-{n}");
    }
    boundary
}

fn multipart_body(boundary: &str, meta: &str, content_type: &str, data: &[u8]) -> Bytes {
    let head = format!(
        "--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n{meta}\r\n\
         --{boundary}\r\ncontent-type: {content_type}\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let mut body = Vec::with_capacity(head.len() + data.len() + tail.len());
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(data);
    body.extend_from_slice(tail.as_bytes());
    body.into()
}

/// The `Range` header of a read (`None`: the whole object).
fn range_header(range: ByteRange) -> Option<String> {
    match (range.start, range.end) {
        (0, None) => None,
        (s, None) => Some(format!("bytes={s}-")),
        (s, Some(e)) => Some(format!("bytes={s}-{}", e.saturating_sub(1))),
    }
}

/// A URL with its query parameters, encoded as added.
struct Query {
    url: String,
    first: bool,
}

impl Query {
    fn new(url: String) -> Self {
        Query { url, first: true }
    }

    fn opt(&mut self, key: &str, value: Option<&str>) {
        let Some(v) = value else { return };
        self.url.push(if self.first { '?' } else { '&' });
        self.first = false;
        self.url.push_str(key);
        self.url.push('=');
        self.url.extend(utf8_percent_encode(v, SEGMENT));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests() -> GcsRequests {
        let c = GcsConfig::builder()
            .emulator_host("127.0.0.1:4443")
            .project("p-1")
            .build()
            .unwrap();
        GcsRequests::new(c)
    }

    #[test]
    fn names_are_one_segment_and_queries_are_encoded() {
        let r = requests();
        let get = r.get_object("b", "a/../x y");
        assert_eq!(
            get.url,
            "http://127.0.0.1:4443/storage/v1/b/b/o/a%2F..%2Fx%20y"
        );
        let page = ListPage {
            delimiter: Some("/"),
            token: Some("t+k"),
            start_offset: None,
            max: 5000,
        };
        let list = r.list_objects("b", "p/&q=", page);
        assert_eq!(
            list.url,
            "http://127.0.0.1:4443/storage/v1/b/b/o?prefix=p%2F%26q%3D&delimiter=%2F\
             &maxResults=1000&pageToken=t%2Bk"
        );
        assert!(
            r.list_buckets(None)
                .url
                .ends_with("/storage/v1/b?project=p-1")
        );
    }

    #[test]
    fn multipart_bodies_carry_metadata_and_hashes() {
        let r = requests();
        let opts = UploadOptions::new()
            .content_type("text/plain")
            .metadata("k", "v");
        let data = Bytes::from_static(b"hello");
        let req = r.upload_multipart("b", "n", &data, &opts, Some(Generation(0)));
        assert!(
            req.url
                .ends_with("?uploadType=multipart&ifGenerationMatch=0")
        );
        let body = String::from_utf8(req.body.to_vec()).unwrap();
        assert!(
            body.contains(r#""md5Hash":"XUFAKrxLKna5cZ2REBfFkg==""#),
            "{body}"
        );
        assert!(body.contains(r#""crc32c":"mnG7TA==""#), "{body}");
        assert!(body.contains(r#""metadata":{"k":"v"}"#), "{body}");
        assert!(body.contains("\r\n\r\nhello\r\n--"), "{body}");
    }

    #[test]
    fn the_boundary_never_occurs_in_the_body() {
        let data = format!("x{BOUNDARY}y");
        let b = boundary_for(data.as_bytes());
        assert!(!data.contains(&b));
    }

    #[test]
    fn chunks_say_where_they_sit() {
        let c = GcsRequests::upload_chunk("http://h/s", 512, Bytes::from_static(b"abc"), None);
        assert_eq!(c.headers[0].1, "bytes 512-514/*");
        assert!(!c.idempotent);
        let last = GcsRequests::upload_chunk("http://h/s", 3, Bytes::new(), Some(3));
        assert_eq!(last.headers[0].1, "bytes */3");
        assert_eq!(range_header(ByteRange::from(2..5)).unwrap(), "bytes=2-4");
        assert_eq!(range_header(ByteRange::from(7..)).unwrap(), "bytes=7-");
    }

    #[test]
    fn unconditional_rewrites_are_repeated_conditional_ones_not() {
        let r = requests();
        let plain = r.rewrite(("b", "s"), ("b", "d"), Some("t"), None);
        assert!(plain.idempotent, "a lost rewrite answer must be retried");
        assert!(plain.url.ends_with("/o/s/rewriteTo/b/b/o/d?rewriteToken=t"));
        let pinned = r.rewrite(("b", "s"), ("b", "d"), None, Some(Generation(7)));
        assert!(!pinned.idempotent);
    }

    #[test]
    fn sessions_must_be_on_the_endpoint() {
        let r = requests();
        assert!(r.is_own_session("http://127.0.0.1:4443/upload/storage/v1/b/b/o?upload_id=1"));
        assert!(!r.is_own_session("http://127.0.0.1:44430/upload/x"));
        assert!(!r.is_own_session("http://evil.example/upload/x"));
    }
}
