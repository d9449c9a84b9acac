//! Parses the JSON API's answers: resources checked by their `kind`, sizes and hashes
//! decoded strictly, error bodies mapped to [`ErrorKind`]s. Pure.

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::entries::Answer;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use crate::storage::{Container, Entry, Object, Page, common_prefix};

const PROVIDER: &str = "gcs";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// An object as the JSON API describes it: the storage model's [`Object`] and the
/// generation (the version writes and reads are pinned to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The object (`hash` is the hex MD5, `crc32c` the CRC32C, when Google states them).
    pub object: Object,
    /// The generation (`0` when the answer has none).
    pub generation: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ObjectJson {
    kind: Option<String>,
    name: String,
    bucket: String,
    size: String,
    generation: Option<String>,
    md5_hash: Option<String>,
    crc32c: Option<String>,
    content_type: Option<String>,
    updated: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectsJson {
    kind: Option<String>,
    #[serde(default)]
    items: Vec<ObjectJson>,
    #[serde(default)]
    prefixes: Vec<String>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketJson {
    kind: Option<String>,
    name: String,
    time_created: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketsJson {
    kind: Option<String>,
    #[serde(default)]
    items: Vec<BucketJson>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorDoc {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    reason: Option<String>,
}

/// What a resumable session said to a chunk or a status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    /// It holds this many bytes and wants the rest (308).
    Holds(u64),
    /// The upload is finished: the object.
    Finished(Stored),
}

/// Checks `resp` is a 2xx; otherwise the error its body describes.
pub fn check(resp: &Response, context: &str) -> Result<()> {
    match resp.is_success() {
        true => Ok(()),
        false => Err(error_from(resp, context)),
    }
}

/// The error a non-2xx answer stands for: the status decides the kind (409 is
/// `AlreadyExists`; callers for which a conflict means something else remap it), the
/// first reason becomes the code, the message (cut to 300 characters) follows `context`.
pub fn error_from(resp: &Response, context: &str) -> Error {
    let doc: Option<ErrorDoc> = serde_json::from_slice(&resp.body).ok();
    let reason = doc
        .as_ref()
        .and_then(|d| d.error.errors.first())
        .and_then(|e| e.reason.clone());
    let message = match doc.as_ref().and_then(|d| d.error.message.as_deref()) {
        Some(m) => format!("{context}: {}", m.chars().take(300).collect::<String>()),
        None => format!("{context}: HTTP {}", resp.status),
    };
    let mut e = Error::new(kind_of(resp.status, reason.as_deref()), message)
        .with_provider(PROVIDER)
        .with_status(resp.status);
    if let Some(r) = reason {
        e = e.with_code(r);
    }
    if let Some(id) = resp.header("x-guploader-uploadid") {
        e = e.with_request_id(id);
    }
    e
}

/// What a 404 to an object request says is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The object (Google: "No such object: bucket/name").
    Object,
    /// The bucket (Google: "The specified bucket does not exist.").
    Bucket,
    /// The answer does not say (emulators answer "Not Found"): ask for the bucket.
    Unsure,
}

/// What the 404 `resp` to a request for `name` in `bucket` says is missing.
pub fn missing(resp: &Response, bucket: &str, name: &str) -> Missing {
    let doc: Option<ErrorDoc> = serde_json::from_slice(&resp.body).ok();
    let message = doc.and_then(|d| d.error.message).unwrap_or_default();
    if message == format!("No such object: {bucket}/{name}") {
        Missing::Object
    } else if message == "The specified bucket does not exist." {
        Missing::Bucket
    } else {
        Missing::Unsure
    }
}

/// The kind of a JSON API error.
pub fn kind_of(status: u16, reason: Option<&str>) -> ErrorKind {
    match (status, reason) {
        (_, Some("rateLimitExceeded" | "userRateLimitExceeded")) => ErrorKind::RateLimited,
        (304, _) => ErrorKind::NotModified,
        (400, Some("invalid" | "invalidParameter" | "required")) => ErrorKind::InvalidInput,
        (401, _) => ErrorKind::Unauthorized,
        (403, _) => ErrorKind::PermissionDenied,
        (404, _) => ErrorKind::NotFound,
        (409, _) => ErrorKind::AlreadyExists,
        (412, _) => ErrorKind::PreconditionFailed,
        (416, _) => ErrorKind::InvalidInput,
        (429 | 503, _) => ErrorKind::RateLimited,
        _ => ErrorKind::Provider,
    }
}

/// Parses a 2xx JSON answer whose `kind` must be `kind` (an absent `kind` passes: some
/// servers leave it out); anything else is `Parse`.
pub(super) fn parse<T: DeserializeOwned>(resp: &Response, kind: &str, context: &str) -> Result<T> {
    check(resp, context)?;
    let value: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|e| parse_error(format!("{context}: the answer is not JSON ({e})")))?;
    match value.get("kind").and_then(|k| k.as_str()) {
        Some(k) if k != kind => {
            return Err(parse_error(format!(
                "{context}: expected a {kind}, got a {:.64}",
                k
            )));
        }
        _ => {}
    }
    serde_json::from_value(value)
        .map_err(|e| parse_error(format!("{context}: malformed {kind} ({e})")))
}

pub(super) fn parse_error(message: String) -> Error {
    Error::new(ErrorKind::Parse, message).with_provider(PROVIDER)
}

/// A `storage#object` answer for `bucket`/`name`.
pub fn object(resp: &Response, bucket: &str, name: &str) -> Result<Stored> {
    let context = format!("object {name:?} in bucket {bucket:?}");
    let doc: ObjectJson = parse(resp, "storage#object", &context)?;
    let stored = stored(doc, &context)?;
    if (
        stored.object.container.as_str(),
        stored.object.name.as_str(),
    ) != (bucket, name)
    {
        return Err(parse_error(format!(
            "{context}: the answer describes {:?} in {:?}",
            stored.object.name, stored.object.container
        )));
    }
    Ok(stored)
}

pub(super) fn stored(doc: ObjectJson, context: &str) -> Result<Stored> {
    let _ = doc.kind;
    let number = |field: &str, v: &str| {
        v.parse::<u64>()
            .map_err(|_| parse_error(format!("{context}: {field} {v:.32?} is not a number")))
    };
    let mut o = Object::new(doc.bucket, doc.name, number("size", &doc.size)?);
    o.hash = doc
        .md5_hash
        .as_deref()
        .map(|m| md5_hex(m, context))
        .transpose()?;
    o.crc32c = doc
        .crc32c
        .as_deref()
        .map(|c| crc32c(c, context))
        .transpose()?;
    o.content_type = doc.content_type;
    o.last_modified = doc.updated.as_deref().and_then(rfc3339);
    o.metadata = doc.metadata;
    let generation = match doc.generation.as_deref() {
        Some(g) => number("generation", g)?,
        None => 0,
    };
    Ok(Stored {
        object: o,
        generation,
    })
}

/// A base64 MD5 as lowercase hex.
pub fn md5_hex(b64: &str, context: &str) -> Result<String> {
    match B64.decode(b64.trim()) {
        Ok(raw) if raw.len() == 16 => Ok(hex::encode(raw)),
        _ => Err(parse_error(format!(
            "{context}: md5Hash {b64:.40?} is not a base64 MD5"
        ))),
    }
}

/// A base64 big-endian CRC32C.
pub fn crc32c(b64: &str, context: &str) -> Result<u32> {
    match B64
        .decode(b64.trim())
        .ok()
        .and_then(|r| <[u8; 4]>::try_from(r).ok())
    {
        Some(raw) => Ok(u32::from_be_bytes(raw)),
        None => Err(parse_error(format!(
            "{context}: crc32c {b64:.40?} is not a base64 CRC32C"
        ))),
    }
}

fn rfc3339(text: &str) -> Option<SystemTime> {
    let format = &time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text, format)
        .ok()
        .map(SystemTime::from)
}

/// The `md5` and `crc32c` of an `x-goog-hash` header (`crc32c=..,md5=..`); unknown
/// entries are skipped, malformed known ones are `Parse`.
pub fn goog_hash(value: &str, context: &str) -> Result<(Option<String>, Option<u32>)> {
    let (mut md5, mut crc) = (None, None);
    for part in value.split(',') {
        match part.trim().split_once('=') {
            Some(("md5", v)) => md5 = Some(md5_hex(v, context)?),
            Some(("crc32c", v)) => crc = Some(crc32c(v, context)?),
            _ => {}
        }
    }
    Ok((md5, crc))
}

/// A `storage#objects` page of `bucket`: every name must start with `prefix`.
pub fn object_page(resp: &Response, bucket: &str, prefix: &str) -> Result<Page<Object>> {
    let (objects, prefixes, next) = listing(resp, bucket, prefix)?;
    if !prefixes.is_empty() {
        return Err(parse_error(format!(
            "listing {bucket:?}: prefixes in a listing without a delimiter"
        )));
    }
    Ok(Page {
        items: objects,
        next_token: next,
    })
}

/// A `storage#objects` answer listed with `delimiter`: objects and common prefixes in
/// key order (see [`entries::select`](super::entries::select) for what is kept); each
/// prefix must start with `prefix` and end with `delimiter`.
pub fn entry_answer(
    resp: &Response,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
) -> Result<Answer> {
    let (objects, prefixes, next) = listing(resp, bucket, prefix)?;
    // A prefix is the name cut at its first delimiter after `prefix`; an object has none
    // there (a server that ignored the delimiter would list the whole tree as entries).
    if let Some(p) = prefixes
        .iter()
        .find(|p| common_prefix(p, prefix, delimiter) != Some(p.as_str()))
    {
        return Err(parse_error(format!(
            "listing {bucket:?}: common prefix {p:.100?} is not one of {prefix:?} split at {delimiter:?}"
        )));
    }
    if let Some(o) = objects
        .iter()
        .find(|o| common_prefix(&o.name, prefix, delimiter).is_some())
    {
        return Err(parse_error(format!(
            "listing {bucket:?}: object {:.100?} is not directly under {prefix:?} split at {delimiter:?}",
            o.name
        )));
    }
    let last_object = objects.iter().map(|o| o.name.clone()).max();
    let mut entries: Vec<Entry> = objects.into_iter().map(Entry::Object).collect();
    entries.extend(prefixes.into_iter().map(Entry::Prefix));
    entries.sort_by(|a, b| a.key().cmp(b.key()));
    Ok(Answer {
        entries,
        last_object,
        more: next.is_some(),
    })
}

type Listing = (Vec<Object>, Vec<String>, Option<String>);

fn listing(resp: &Response, bucket: &str, prefix: &str) -> Result<Listing> {
    let context = format!("listing bucket {bucket:?}");
    let doc: ObjectsJson = parse(resp, "storage#objects", &context)?;
    if doc.kind.is_none() {
        return Err(parse_error(format!("{context}: the answer has no kind")));
    }
    let mut objects = Vec::with_capacity(doc.items.len());
    for item in doc.items {
        let o = stored(item, &context)?.object;
        if o.container != bucket || !o.name.starts_with(prefix) {
            return Err(parse_error(format!(
                "{context}: {:.100?} in {:?} is not under {prefix:?}",
                o.name, o.container
            )));
        }
        objects.push(o);
    }
    let next = doc.next_page_token.filter(|t| !t.is_empty());
    Ok((objects, doc.prefixes, next))
}

/// A `storage#buckets` page.
pub fn bucket_page(resp: &Response) -> Result<Page<Container>> {
    let doc: BucketsJson = parse(resp, "storage#buckets", "listing buckets")?;
    if doc.kind.is_none() {
        return Err(parse_error(
            "listing buckets: the answer has no kind".into(),
        ));
    }
    let items = doc.items.into_iter().map(container).collect();
    Ok(Page {
        items,
        next_token: doc.next_page_token.filter(|t| !t.is_empty()),
    })
}

/// A `storage#bucket` answer, which must name `bucket`.
pub fn bucket(resp: &Response, bucket: &str) -> Result<Container> {
    let context = format!("bucket {bucket:?}");
    let doc: BucketJson = parse(resp, "storage#bucket", &context)?;
    if doc.name != bucket {
        return Err(parse_error(format!(
            "{context}: the answer names {:.100?}",
            doc.name
        )));
    }
    Ok(container(doc))
}

fn container(doc: BucketJson) -> Container {
    let _ = doc.kind;
    let mut c = Container::new(doc.name);
    c.created = doc.time_created.as_deref().and_then(rfc3339);
    c
}

/// What a resumable session answered: 308 with the `Range` it holds (none: nothing),
/// 200/201 with the finished object, else the error. `sent` bounds what it may claim
/// to hold: more than was ever sent is `Parse`.
pub fn session(resp: &Response, bucket: &str, name: &str, sent: u64) -> Result<Session> {
    let context = format!("uploading {name:?} to bucket {bucket:?}");
    if resp.status != 308 {
        return object(resp, bucket, name).map(Session::Finished);
    }
    let held = match resp.header("range") {
        None => 0,
        Some(r) => held_bytes(r)
            .ok_or_else(|| parse_error(format!("{context}: Range {r:.64?} is not bytes=0-N")))?,
    };
    if held > sent {
        return Err(parse_error(format!(
            "{context}: the session claims {held} bytes, only {sent} were sent"
        )));
    }
    Ok(Session::Holds(held))
}

/// `bytes=0-N` → N + 1.
fn held_bytes(range: &str) -> Option<u64> {
    let end = range.trim().strip_prefix("bytes=0-")?;
    end.parse::<u64>().ok()?.checked_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::header_map;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: header_map(headers.iter().copied()),
            body: body.to_owned().into(),
        }
    }

    const OBJ: &str = r#"{"kind":"storage#object","name":"a/b","bucket":"bk","size":"5",
        "md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","crc32c":"mnG7TA==","contentType":"text/csv",
        "updated":"2026-12-06T10:47:04.859059Z","generation":"17","metadata":{"k":"v"}}"#;

    #[test]
    fn objects_decode_sizes_hashes_and_times() {
        let s = object(&resp(200, &[], OBJ), "bk", "a/b").unwrap();
        assert_eq!(s.generation, 17);
        assert_eq!(s.object.size, 5);
        assert_eq!(s.object.md5(), Some("5d41402abc4b2a76b9719d911017c592"));
        assert_eq!(s.object.crc32c, Some(crc32c::crc32c(b"hello")));
        assert_eq!(s.object.metadata["k"], "v");
        assert!(s.object.last_modified.is_some());
        let e = object(&resp(200, &[], OBJ), "bk", "other").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        let wrong = OBJ.replace("storage#object\"", "storage#bucket\"");
        assert_eq!(
            object(&resp(200, &[], &wrong), "bk", "a/b")
                .unwrap_err()
                .kind(),
            ErrorKind::Parse
        );
        let bad = OBJ.replace("\"5\"", "\"-5\"");
        assert_eq!(
            object(&resp(200, &[], &bad), "bk", "a/b")
                .unwrap_err()
                .kind(),
            ErrorKind::Parse
        );
    }

    #[test]
    fn errors_map_by_status_and_reason() {
        let body = r#"{"error":{"code":404,"message":"No such object: bk/x","errors":[{"reason":"notFound"}]}}"#;
        let e = error_from(&resp(404, &[], body), "reading x");
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::NotFound, Some("notFound"))
        );
        assert!(e.message().contains("No such object"), "{e}");
        assert_eq!(
            error_from(&resp(409, &[], ""), "c").kind(),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            error_from(&resp(412, &[], ""), "c").kind(),
            ErrorKind::PreconditionFailed
        );
        assert_eq!(
            error_from(&resp(503, &[], "<html>"), "c").kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            error_from(&resp(401, &[], ""), "c").kind(),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            error_from(&resp(403, &[], ""), "c").kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            error_from(&resp(500, &[], ""), "c").kind(),
            ErrorKind::Provider
        );
    }

    #[test]
    fn listings_merge_prefixes_and_refuse_strangers() {
        let body = r#"{"kind":"storage#objects","prefixes":["p/b/"],"nextPageToken":"t",
            "items":[{"name":"p/a","bucket":"bk","size":"1"},{"name":"p/c","bucket":"bk","size":"2"}]}"#;
        let answer = entry_answer(&resp(200, &[], body), "bk", "p/", "/").unwrap();
        let keys: Vec<_> = answer.entries.iter().map(Entry::key).collect();
        assert_eq!(keys, ["p/a", "p/b/", "p/c"]);
        assert_eq!(
            (answer.last_object.as_deref(), answer.more),
            (Some("p/c"), true)
        );
        assert!(object_page(&resp(200, &[], body), "bk", "q").is_err());
        // A server that ignores the delimiter: deep names are neither objects nor prefixes.
        let deep = body.replace(r#""p/c""#, r#""p/c/d""#);
        let e = entry_answer(&resp(200, &[], &deep), "bk", "p/", "/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(e.message().contains("p/c/d"), "{e}");
        let nested = body.replace(r#""p/b/""#, r#""p/b/x/""#);
        assert!(entry_answer(&resp(200, &[], &nested), "bk", "p/", "/").is_err());
        assert!(
            object_page(&resp(200, &[], "{}"), "bk", "").is_err(),
            "no kind"
        );
    }

    #[test]
    fn sessions_never_hold_more_than_was_sent() {
        let holds = |range| session(&resp(308, &[("range", range)], ""), "bk", "a/b", 1024);
        assert_eq!(holds("bytes=0-511").unwrap(), Session::Holds(512));
        assert!(holds("bytes=0-4095").is_err());
        assert!(holds("bytes=5-9").is_err());
        let none = session(&resp(308, &[], ""), "bk", "a/b", 10).unwrap();
        assert_eq!(none, Session::Holds(0));
        assert!(matches!(
            session(&resp(200, &[], OBJ), "bk", "a/b", 5).unwrap(),
            Session::Finished(_)
        ));
    }

    #[test]
    fn googles_404s_say_what_is_missing() {
        let body = |m: &str| format!(r#"{{"error":{{"code":404,"message":"{m}"}}}}"#);
        let says = |m: &str| missing(&resp(404, &[], &body(m)), "bk", "a/b");
        assert_eq!(says("No such object: bk/a/b"), Missing::Object);
        assert_eq!(
            says("The specified bucket does not exist."),
            Missing::Bucket
        );
        assert_eq!(says("No such object: bk/other"), Missing::Unsure);
        assert_eq!(says("Not Found"), Missing::Unsure);
        assert_eq!(missing(&resp(404, &[], ""), "bk", "a/b"), Missing::Unsure);
    }

    #[test]
    fn goog_hash_headers_decode() {
        let (md5, crc) = goog_hash("crc32c=mnG7TA==,md5=XUFAKrxLKna5cZ2REBfFkg==", "x").unwrap();
        assert_eq!(md5.as_deref(), Some("5d41402abc4b2a76b9719d911017c592"));
        assert_eq!(crc, Some(crc32c::crc32c(b"hello")));
        assert!(goog_hash("md5=zz", "x").is_err());
    }
}
