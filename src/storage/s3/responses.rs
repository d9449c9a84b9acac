//! Parsing S3 responses (quick-xml + serde) into the storage model, and S3 errors into
//! [`Error`]. Malformed or truncated XML is a `Parse` error, never a panic.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Deserialize;

use super::MultipartUpload;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{HeaderMap, Response, header_str};
use crate::storage::{Container, Object, Page, WriteCondition};

const PROVIDER: &str = "s3";

fn parse_xml<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T> {
    let text = std::str::from_utf8(body).map_err(|_| {
        Error::new(
            ErrorKind::Parse,
            format!("S3 sent a {what} that is not UTF-8"),
        )
        .with_provider(PROVIDER)
    })?;
    quick_xml::de::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!("S3 sent an unparseable {what}: {e}"),
        )
        .with_provider(PROVIDER)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorXml {
    code: String,
    message: Option<String>,
    request_id: Option<String>,
}

/// Turns a non-2xx answer (or a 2xx whose body is an `<Error>`) into an [`Error`].
/// A 409 without an error code is a [`ErrorKind::Provider`] error; see [`error_for`].
pub fn error_from(resp: &Response, context: &str) -> Error {
    error_for(resp, context, ErrorKind::Provider)
}

/// [`error_from`], naming the kind a bare 409 (no body, so no code) stands for in this
/// operation: `AlreadyExists` when creating a bucket, `NotEmpty` when deleting one.
pub fn error_for(resp: &Response, context: &str, conflict: ErrorKind) -> Error {
    let parsed: Option<ErrorXml> = if resp.body.is_empty() {
        None
    } else {
        parse_xml(&resp.body, "error").ok()
    };
    let code = parsed.as_ref().map(|e| e.code.as_str());
    let kind = match (resp.status, code) {
        (409, None) => conflict,
        _ => kind_of(resp.status, code),
    };
    let message = match parsed.as_ref().and_then(|e| e.message.as_deref()) {
        Some(m) => format!("{context}: {m}"),
        None => context.to_owned(),
    };
    let mut err = Error::new(kind, message)
        .with_provider(PROVIDER)
        .with_status(resp.status);
    if let Some(c) = code {
        err = err.with_code(c);
    }
    let request_id = parsed
        .and_then(|e| e.request_id)
        .or_else(|| resp.header("x-amz-request-id").map(str::to_owned));
    if let Some(id) = request_id {
        err = err.with_request_id(id);
    }
    err
}

/// A conditional write's error as every driver reports it: S3 answers `If-Match` on a
/// missing key with 404 `NoSuchKey`, which is the condition failing (`PreconditionFailed`,
/// as Local, Memory and HTTP itself say); a missing bucket stays `NotFound`.
pub fn condition_error(e: Error, condition: Option<&WriteCondition>) -> Error {
    let if_match = matches!(condition, Some(WriteCondition::IfMatch(_)));
    if !(if_match && e.code() == Some("NoSuchKey")) {
        return e;
    }
    let message = format!(
        "{}: precondition failed: the object does not exist",
        e.message()
    );
    let mut out = Error::new(ErrorKind::PreconditionFailed, message).with_provider(PROVIDER);
    if let Some(status) = e.status() {
        out = out.with_status(status);
    }
    out.with_code("NoSuchKey")
}

/// The error kind of an S3 error code, falling back on the status.
pub fn kind_of(status: u16, code: Option<&str>) -> ErrorKind {
    match code {
        Some("NoSuchBucket" | "NoSuchKey" | "NoSuchUpload" | "NotFound") => ErrorKind::NotFound,
        Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists") => ErrorKind::AlreadyExists,
        Some("BucketNotEmpty") => ErrorKind::NotEmpty,
        Some("PreconditionFailed" | "ConditionalRequestConflict") => ErrorKind::PreconditionFailed,
        Some("NotModified") => ErrorKind::NotModified,
        Some("AccessDenied" | "AllAccessDisabled" | "AccountProblem") => {
            ErrorKind::PermissionDenied
        }
        Some(
            "SignatureDoesNotMatch"
            | "InvalidAccessKeyId"
            | "ExpiredToken"
            | "InvalidToken"
            | "TokenRefreshRequired"
            | "AuthorizationHeaderMalformed"
            | "MissingSecurityHeader",
        ) => ErrorKind::Unauthorized,
        Some(
            "SlowDown"
            | "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequests",
        ) => ErrorKind::RateLimited,
        Some("BadDigest" | "InvalidDigest" | "IncompleteBody" | "XAmzContentSHA256Mismatch") => {
            ErrorKind::Integrity
        }
        Some(
            "InvalidRange" | "InvalidArgument" | "InvalidBucketName" | "KeyTooLongError"
            | "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" | "EntityTooLarge"
            | "MalformedXML" | "InvalidRequest",
        ) => ErrorKind::InvalidInput,
        _ => match status {
            304 => ErrorKind::NotModified,
            412 => ErrorKind::PreconditionFailed,
            404 => ErrorKind::NotFound,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::PermissionDenied,
            416 => ErrorKind::InvalidInput,
            429 | 503 => ErrorKind::RateLimited,
            _ => ErrorKind::Provider,
        },
    }
}

/// Checks a response: 2xx with no `<Error>` body passes, anything else is an error.
/// S3 can answer 200 with an error body (CopyObject, CompleteMultipartUpload), padded with
/// whitespace for as long as the operation ran: the root element is found wherever it starts.
pub fn check(resp: &Response, context: &str) -> Result<()> {
    check_for(resp, context, ErrorKind::Provider)
}

/// [`check`], with the kind a bare 409 stands for (see [`error_for`]).
pub fn check_for(resp: &Response, context: &str, conflict: ErrorKind) -> Result<()> {
    if !resp.is_success() || root_element(&resp.body).as_deref() == Some("Error") {
        return Err(error_for(resp, context, conflict));
    }
    Ok(())
}

/// The name (without namespace prefix) of an XML document's root element, skipping the
/// declaration, whitespace, comments and processing instructions. `None` when the body is
/// not XML (or is empty).
pub fn root_element(body: &[u8]) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Event::Text(t) if !t.iter().all(u8::is_ascii_whitespace) => return None,
            Event::Eof | Event::End(_) | Event::CData(_) => return None,
            _ => {}
        }
    }
}

/// The status an answer stands for, for retry decisions: a 2xx whose body is an S3
/// `<Error>` counts as the 5xx its code means (`InternalError` 500, `SlowDown` 503), so it
/// is retried like one, as the AWS SDKs do.
pub fn effective_status(resp: &Response) -> u16 {
    if !resp.is_success() || root_element(&resp.body).as_deref() != Some("Error") {
        return resp.status;
    }
    match parse_xml::<ErrorXml>(&resp.body, "error").map(|e| e.code) {
        Ok(code) if code == "InternalError" => 500,
        Ok(code) if matches!(code.as_str(), "SlowDown" | "ServiceUnavailable") => 503,
        _ => resp.status,
    }
}

/// Parses a successful answer whose root element must be `root`: an `<Error>` is the
/// error it carries, any other root (an HTML page from a proxy, say) is `Parse`.
fn parse_doc<'a, T: Deserialize<'a>>(resp: &'a Response, root: &str, context: &str) -> Result<T> {
    check_doc(resp, root, context)?;
    parse_xml(&resp.body, root)
}

/// Whether a successful answer's root element is `root` (see [`parse_doc`]).
fn check_doc(resp: &Response, root: &str, context: &str) -> Result<()> {
    if !resp.is_success() {
        return Err(error_from(resp, context));
    }
    match root_element(&resp.body).as_deref() {
        Some(r) if r == root => Ok(()),
        Some("Error") => Err(error_from(resp, context)),
        Some(other) => Err(unexpected(
            resp,
            format!("{context}: S3 answered <{other:.64}> where <{root}> was expected"),
        )),
        None => Err(unexpected(
            resp,
            format!("{context}: S3 answered without an XML <{root}> document"),
        )),
    }
}

fn unexpected(resp: &Response, message: String) -> Error {
    Error::new(ErrorKind::Parse, message)
        .with_provider(PROVIDER)
        .with_status(resp.status)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAllMyBucketsResult {
    #[serde(default)]
    buckets: BucketsXml,
}

#[derive(Deserialize, Default)]
struct BucketsXml {
    #[serde(rename = "Bucket", default)]
    bucket: Vec<BucketXml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BucketXml {
    name: String,
    creation_date: Option<String>,
}

/// ListBuckets.
pub fn containers(resp: &Response) -> Result<Vec<Container>> {
    let parsed: ListAllMyBucketsResult =
        parse_doc(resp, "ListAllMyBucketsResult", "listing buckets")?;
    let mut buckets: Vec<Container> = parsed
        .buckets
        .bucket
        .into_iter()
        .map(|b| {
            let mut c = Container::new(b.name);
            c.created = b.creation_date.as_deref().and_then(parse_iso8601);
            c
        })
        .collect();
    // S3 lists by name; not every compatible server does.
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(buckets)
}

/// Object metadata from HEAD or GET headers. For a ranged GET the size comes from
/// `Content-Range`.
pub fn object_from_headers(resp: &Response, bucket: &str, key: &str) -> Result<Object> {
    object_from_header_list(&resp.headers, bucket, key)
}

/// [`object_from_headers`] on a bare header list (a streaming response's).
pub fn object_from_header_list(headers: &HeaderMap, bucket: &str, key: &str) -> Result<Object> {
    let header = |name: &str| header_str(headers, name);
    let size = match header("content-range").and_then(|r| r.rsplit_once('/')) {
        Some((_, total)) if total != "*" => total.parse().ok(),
        _ => header("content-length").and_then(|l| l.trim().parse().ok()),
    }
    .ok_or_else(|| {
        Error::new(ErrorKind::Parse, format!("S3 sent no size for {key:?}")).with_provider(PROVIDER)
    })?;
    let mut o = Object::new(bucket, key, size);
    o.hash = header("etag").map(unquote);
    o.content_type = header("content-type").map(str::to_owned);
    o.last_modified = header("last-modified").and_then(|d| httpdate::parse_http_date(d).ok());
    o.crc32c = whole_crc32c(headers);
    o.metadata = headers
        .iter()
        .filter_map(|(k, v)| {
            // Header names in the map are lowercase already.
            let name = k.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_owned(), v.to_str().ok()?.to_owned()))
        })
        .collect::<BTreeMap<_, _>>();
    Ok(o)
}

/// The object's CRC32C when the answer states one for the whole content (not the
/// composite of a multipart upload's parts, `…-N` or type `COMPOSITE`).
fn whole_crc32c(headers: &HeaderMap) -> Option<u32> {
    use base64::Engine;
    if header_str(headers, "x-amz-checksum-type").is_some_and(|t| t != "FULL_OBJECT") {
        return None;
    }
    let value = header_str(headers, super::checksum::CRC32C_HEADER)?.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateXml {
    upload_id: String,
}

/// CreateMultipartUpload: the upload id.
pub fn upload_id(resp: &Response, key: &str) -> Result<String> {
    let context = format!("starting a multipart upload of {key:?}");
    let parsed: InitiateXml = parse_doc(resp, "InitiateMultipartUploadResult", &context)?;
    if parsed.upload_id.is_empty() {
        return Err(
            Error::new(ErrorKind::Parse, "S3 sent an empty upload id").with_provider(PROVIDER)
        );
    }
    Ok(parsed.upload_id)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EtagXml {
    #[serde(rename = "ETag")]
    etag: Option<String>,
}

/// Root element of a CompleteMultipartUpload answer.
pub const COMPLETE_RESULT: &str = "CompleteMultipartUploadResult";
/// Root element of a CopyObject answer.
pub const COPY_RESULT: &str = "CopyObjectResult";

/// CompleteMultipartUpload / CopyObject (root [`COMPLETE_RESULT`] / [`COPY_RESULT`]): the
/// new ETag (an `<Error>` in a 200 is detected wherever it starts).
pub fn result_etag(resp: &Response, root: &str, context: &str) -> Result<Option<String>> {
    let parsed: EtagXml = parse_doc(resp, root, context)?;
    Ok(parsed.etag.map(|e| unquote(&e)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteResultXml {
    #[serde(rename = "Error", default)]
    errors: Vec<DeleteErrorXml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteErrorXml {
    key: String,
    code: String,
    message: Option<String>,
}

/// DeleteObjects (quiet): the keys that failed, with their errors. A whole-batch failure
/// (an error status, or a 200 carrying `<Error>`) is an `Err`.
pub fn delete_failures(resp: &Response, bucket: &str) -> Result<Vec<(String, Error)>> {
    let context = format!("deleting objects in {bucket:?}");
    let parsed: DeleteResultXml = parse_doc(resp, "DeleteResult", &context)?;
    Ok(parsed
        .errors
        .into_iter()
        .map(|e| {
            let err = Error::new(
                kind_of(200, Some(&e.code)),
                format!("deleting {:?}: {}", e.key, e.message.unwrap_or_default()),
            )
            .with_provider(PROVIDER)
            .with_code(e.code);
            (e.key, err)
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUploadsXml {
    #[serde(rename = "Upload", default)]
    uploads: Vec<UploadXml>,
    is_truncated: Option<bool>,
    next_key_marker: Option<String>,
    next_upload_id_marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UploadXml {
    key: String,
    upload_id: String,
    initiated: Option<String>,
}

/// ListMultipartUploads: one page of uploads in progress, and the `(key, upload id)`
/// markers of the next page when the listing is truncated.
pub fn multipart_uploads(resp: &Response, bucket: &str) -> Result<Page<MultipartUpload>> {
    let context = format!("listing multipart uploads in {bucket:?}");
    let parsed: ListUploadsXml = parse_doc(resp, "ListMultipartUploadsResult", &context)?;
    let items = parsed
        .uploads
        .into_iter()
        .map(|u| MultipartUpload {
            key: u.key,
            upload_id: u.upload_id,
            initiated: u.initiated.as_deref().and_then(parse_iso8601),
        })
        .collect();
    let next_token = match (parsed.is_truncated, parsed.next_key_marker) {
        // The parser lets a raw NUL through; in the key it would split the token wrongly.
        (Some(true), Some(key)) if key.contains('\0') => {
            return Err(unexpected(
                resp,
                format!("{context}: the next key marker holds a NUL character"),
            ));
        }
        (Some(true), Some(key)) if !key.is_empty() => Some(upload_markers_token(
            &key,
            parsed.next_upload_id_marker.as_deref().unwrap_or(""),
        )),
        (Some(true), _) => {
            return Err(unexpected(
                resp,
                format!("{context}: truncated without a next key marker"),
            ));
        }
        _ => None,
    };
    Ok(Page { items, next_token })
}

/// The two markers of a multipart-upload listing as one continuation token, joined by NUL:
/// the one character an XML 1.0 document (so a key or id S3 lists) cannot hold
/// ([`multipart_uploads`] refuses a key marker holding one anyway).
pub fn upload_markers_token(key: &str, upload_id: &str) -> String {
    format!("{key}\0{upload_id}")
}

/// The inverse of [`upload_markers_token`].
pub fn upload_markers(token: &str) -> (&str, &str) {
    token.split_once('\0').unwrap_or((token, ""))
}

/// The `ETag` header, unquoted.
pub fn etag(resp: &Response) -> Option<String> {
    resp.header("etag").map(unquote)
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_owned()
}

fn parse_iso8601(s: &str) -> Option<SystemTime> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(SystemTime::from)
}

mod list_xml;
mod listing;

pub use listing::{
    entry_page, entry_page_v1, object_page, object_page_v1, objects_under, v1_marker,
};

#[cfg(test)]
#[path = "responses_v1_tests.rs"]
mod v1_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Entry;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: crate::http::header_map([("x-amz-request-id", "HDR-ID")]),
            body: body.to_owned().into(),
        }
    }

    #[test]
    fn error_codes_map_to_kinds_with_details() {
        let e = error_from(
            &resp(
                404,
                "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>XML-ID</RequestId></Error>",
            ),
            "getting \"k\"",
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.code(), Some("NoSuchKey"));
        assert_eq!(e.request_id(), Some("XML-ID"));
        assert_eq!(e.status(), Some(404));
        let cases = [
            ("BucketAlreadyOwnedByYou", ErrorKind::AlreadyExists),
            ("BucketNotEmpty", ErrorKind::NotEmpty),
            ("AccessDenied", ErrorKind::PermissionDenied),
            ("SignatureDoesNotMatch", ErrorKind::Unauthorized),
            ("InvalidAccessKeyId", ErrorKind::Unauthorized),
            ("SlowDown", ErrorKind::RateLimited),
            ("InternalError", ErrorKind::Provider),
        ];
        for (code, kind) in cases {
            assert_eq!(kind_of(400, Some(code)), kind, "{code}");
        }
        // HEAD errors have no body: the status decides, the header gives the request id.
        let e = error_from(&resp(403, ""), "head");
        assert_eq!(
            (e.kind(), e.request_id()),
            (ErrorKind::PermissionDenied, Some("HDR-ID"))
        );
        assert_eq!(
            error_from(&resp(503, ""), "x").kind(),
            ErrorKind::RateLimited
        );
    }

    #[test]
    fn an_error_inside_a_200_is_detected_wherever_it_starts() {
        let padding = " \n".repeat(5000);
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{padding}<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message><RequestId>R9</RequestId></Error>"
        );
        let r = resp(200, &body);
        let e = result_etag(&r, COMPLETE_RESULT, "completing").unwrap_err();
        assert_eq!(
            (e.code(), e.request_id()),
            (Some("InternalError"), Some("R9"))
        );
        assert_eq!(
            effective_status(&r),
            500,
            "retried like the 500 it stands for"
        );
        let slow = resp(
            200,
            &format!("{padding}<Error><Code>SlowDown</Code></Error>"),
        );
        assert_eq!(effective_status(&slow), 503);
        assert!(check(&slow, "copying").is_err());
        let ok = resp(
            200,
            &format!(
                "{padding}<CompleteMultipartUploadResult><ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>"
            ),
        );
        assert_eq!(effective_status(&ok), 200);
        assert_eq!(
            result_etag(&ok, COMPLETE_RESULT, "completing")
                .unwrap()
                .as_deref(),
            Some("abc-2")
        );
        // The right document for another call is not this call's answer.
        let e = result_etag(&ok, COPY_RESULT, "copying").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
    }

    #[test]
    fn a_200_with_another_root_is_a_parse_error_never_an_empty_listing() {
        for body in [
            "<html><body>Log in to the hotel wifi</body></html>",
            "<!DOCTYPE html><html></html>",
            "<ListAllMyBucketsResult></ListAllMyBucketsResult>",
            "",
            "plain text",
        ] {
            let e = object_page(&resp(200, body), "b").unwrap_err();
            assert_eq!(
                (e.kind(), e.status()),
                (ErrorKind::Parse, Some(200)),
                "{body:?}: {e}"
            );
        }
        assert!(containers(&resp(200, "<html/>")).is_err());
        assert!(multipart_uploads(&resp(200, "<html/>"), "b").is_err());
        assert!(upload_id(&resp(200, "<html/>"), "k").is_err());
    }

    #[test]
    fn a_failed_batch_delete_keeps_code_status_and_request_id() {
        let r = resp(
            200,
            "<Error><Code>AccessDenied</Code><Message>no</Message><RequestId>R1</RequestId></Error>",
        );
        let e = delete_failures(&r, "b").unwrap_err();
        assert_eq!(
            (e.kind(), e.code(), e.status(), e.request_id()),
            (
                ErrorKind::PermissionDenied,
                Some("AccessDenied"),
                Some(200),
                Some("R1")
            )
        );
        let e = delete_failures(&resp(503, ""), "b").unwrap_err();
        assert_eq!(
            (e.kind(), e.request_id()),
            (ErrorKind::RateLimited, Some("HDR-ID"))
        );
        let ok = resp(
            200,
            "<DeleteResult><Error><Key>k</Key><Code>AccessDenied</Code></Error></DeleteResult>",
        );
        let failed = delete_failures(&ok, "b").unwrap();
        assert_eq!(failed[0].0, "k");
    }

    #[test]
    fn a_bare_409_means_what_the_operation_implies() {
        let r = resp(409, "");
        assert_eq!(error_from(&r, "x").kind(), ErrorKind::Provider);
        assert_eq!(
            error_for(&r, "create", ErrorKind::AlreadyExists).kind(),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            error_for(&r, "delete", ErrorKind::NotEmpty).kind(),
            ErrorKind::NotEmpty
        );
        let coded = resp(409, "<Error><Code>BucketNotEmpty</Code></Error>");
        assert_eq!(
            error_for(&coded, "x", ErrorKind::AlreadyExists).kind(),
            ErrorKind::NotEmpty
        );
    }

    #[test]
    fn multipart_listings_page_with_markers() {
        let body = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>k2</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker><Upload><Key>k1</Key><UploadId>u1</UploadId><Initiated>2026-11-23T10:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>";
        let page = multipart_uploads(&resp(200, body), "b").unwrap();
        assert_eq!(page.items[0].upload_id, "u1");
        assert!(page.items[0].initiated.is_some());
        let token = page.next_token.unwrap();
        assert_eq!(upload_markers(&token), ("k2", "u2"));
        // Keys may hold newlines (written by other tools): the markers survive them.
        let token = upload_markers_token("a\nb", "u\n1");
        assert_eq!(upload_markers(&token), ("a\nb", "u\n1"));
        let bad = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>";
        assert!(multipart_uploads(&resp(200, bad), "b").is_err());
    }

    #[test]
    fn listings_parse_with_namespace_and_tokens() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>a &amp; b</Key><LastModified>2026-11-23T10:00:00.000Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>c</Key><Size>5</Size></Contents><NextContinuationToken>T2</NextContinuationToken></ListBucketResult>"#;
        let page = object_page(&resp(200, body), "b").unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].name, "a & b");
        assert_eq!(
            page.items[0].hash.as_deref(),
            Some("d41d8cd98f00b204e9800998ecf8427e")
        );
        assert!(page.items[0].last_modified.is_some());
        assert_eq!(page.items[1].size, 5);
        assert_eq!(page.next_token.as_deref(), Some("T2"));
    }

    #[test]
    fn a_flat_listing_outside_the_prefix_is_a_parse_error() {
        let body = "<ListBucketResult><Contents><Key>p/a</Key><Size>1</Size></Contents>\
            <Contents><Key>q/b</Key><Size>1</Size></Contents></ListBucketResult>";
        let page = object_page(&resp(200, body), "b").unwrap();
        assert_eq!(objects_under(page.clone(), "").unwrap().items.len(), 2);
        let e = objects_under(page, "p/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(e.message().contains("outside the prefix"), "{e}");
    }

    #[test]
    fn malformed_and_truncated_xml_is_a_parse_error() {
        for body in [
            "<ListBucketResult><Contents><Key>a</Key>",
            "not xml at all",
            "<ListBucketResult><Contents><Key>a</Key><Size>-3</Size></Contents></ListBucketResult>",
            "\u{0}\u{1}",
        ] {
            let e = object_page(&resp(200, body), "b").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse, "{body:?}: {e}");
        }
        let e = containers(&resp(
            200,
            "<ListAllMyBucketsResult><Buckets><Bucket><Name>x",
        ))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        let e = object_page(
            &resp(
                200,
                "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
            ),
            "b",
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
    }

    #[test]
    fn only_a_whole_object_crc32c_is_taken() {
        let crc = |pairs: &[(&str, &str)]| {
            let headers = crate::http::header_map(pairs.iter().copied());
            object_from_header_list(&headers, "b", "k").unwrap().crc32c
        };
        let len = ("content-length", "1");
        assert_eq!(
            crc(&[len, ("x-amz-checksum-crc32c", "ipE2qg==")]),
            Some(0x8a9136aa)
        );
        let full = ("x-amz-checksum-type", "FULL_OBJECT");
        assert_eq!(
            crc(&[len, full, ("x-amz-checksum-crc32c", "ipE2qg==")]),
            Some(0x8a9136aa)
        );
        let composite = ("x-amz-checksum-type", "COMPOSITE");
        assert_eq!(
            crc(&[len, composite, ("x-amz-checksum-crc32c", "ipE2qg==")]),
            None
        );
        assert_eq!(crc(&[len, ("x-amz-checksum-crc32c", "ipE2qg==-3")]), None);
        assert_eq!(crc(&[len, ("x-amz-checksum-crc32c", "AAAA")]), None);
        assert_eq!(crc(&[len]), None);
    }

    #[test]
    fn headers_give_object_metadata_and_range_totals() {
        let r = Response {
            status: 206,
            headers: crate::http::header_map([
                ("content-length", "3"),
                ("content-range", "bytes 2-4/10"),
                ("etag", "\"abc\""),
                ("content-type", "text/plain"),
                ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("X-Amz-Meta-Owner", "ana"),
            ]),
            body: Default::default(),
        };
        let o = object_from_headers(&r, "b", "k").unwrap();
        assert_eq!((o.size, o.hash.as_deref()), (10, Some("abc")));
        assert_eq!(o.metadata.get("owner").map(String::as_str), Some("ana"));
        let bad = Response {
            status: 200,
            headers: HeaderMap::new(),
            body: Default::default(),
        };
        assert_eq!(
            object_from_headers(&bad, "b", "k").unwrap_err().kind(),
            ErrorKind::Parse
        );
    }

    #[test]
    fn delimited_pages_merge_in_key_order_and_refuse_what_the_server_did_not_split() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><IsTruncated>false</IsTruncated>
<Contents><Key>p/a</Key><Size>1</Size></Contents><Contents><Key>p/c</Key><Size>2</Size></Contents>
<CommonPrefixes><Prefix>p/b/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = entry_page(&resp(200, body), "b", "p/", "/").unwrap();
        let keys: Vec<_> = page.items.iter().map(Entry::key).collect();
        assert_eq!(keys, ["p/a", "p/b/", "p/c"]);
        assert_eq!(page.next_token, None);
        for bad in [
            "<Contents><Key>p/x/y</Key><Size>1</Size></Contents>",
            "<Contents><Key>q/a</Key><Size>1</Size></Contents>",
            "<CommonPrefixes><Prefix>p/x</Prefix></CommonPrefixes>",
            "<CommonPrefixes><Prefix>q/x/</Prefix></CommonPrefixes>",
            "<CommonPrefixes><Prefix>p/x/y/</Prefix></CommonPrefixes>",
        ] {
            let body = format!("<ListBucketResult>{bad}</ListBucketResult>");
            let e = entry_page(&resp(200, &body), "b", "p/", "/").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse, "{bad}: {e}");
        }
    }
}
