//! Parsing Azure Blob answers into the storage model, and Azure errors (`<Error><Code>`
//! bodies, the `x-ms-error-code` header) into [`Error`]. Malformed answers are `Parse`,
//! never a panic.

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{HeaderMap, Response, header_str};
use crate::storage::{Container, Entry, Object, Page, common_prefix};

mod list_xml;

use list_xml::{EntryKind, EntryXml};

const PROVIDER: &str = "azure";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorXml {
    code: Option<String>,
    message: Option<String>,
}

/// Turns an error answer into an [`Error`]: the code from the XML body, else from the
/// `x-ms-error-code` header (HEAD answers have no body), mapped by [`kind_of`]. The
/// message is Azure's first line (the rest repeats the request id and time).
pub fn error_from(resp: &Response, context: &str) -> Error {
    let parsed: Option<ErrorXml> = std::str::from_utf8(&resp.body)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .and_then(|t| quick_xml::de::from_str(t).ok());
    let code = parsed
        .as_ref()
        .and_then(|e| e.code.clone())
        .or_else(|| resp.header("x-ms-error-code").map(str::to_owned));
    let detail = parsed
        .and_then(|e| e.message)
        .and_then(|m| m.lines().next().map(str::to_owned));
    let message = match &detail {
        Some(m) => format!("{context}: {m}"),
        None => match &code {
            Some(c) => format!("{context}: {c}"),
            None => format!("{context}: HTTP {}", resp.status),
        },
    };
    let mut err = Error::new(kind_of(resp.status, code.as_deref()), message)
        .with_provider(PROVIDER)
        .with_status(resp.status);
    if let Some(c) = code {
        err = err.with_code(c);
    }
    if let Some(id) = resp.header("x-ms-request-id") {
        err = err.with_request_id(id);
    }
    err
}

/// The error kind of an Azure error code, falling back on the status.
pub fn kind_of(status: u16, code: Option<&str>) -> ErrorKind {
    match code {
        Some("ContainerNotFound" | "BlobNotFound" | "ResourceNotFound") => ErrorKind::NotFound,
        // Not `ContainerBeingDeleted`: a name that cannot be created for a while yet is
        // not one that exists (`ensure_container` would then look for it in vain).
        Some("ContainerAlreadyExists" | "BlobAlreadyExists") => ErrorKind::AlreadyExists,
        Some("AuthenticationFailed" | "AuthorizationFailure" | "InvalidAuthenticationInfo") => {
            ErrorKind::Unauthorized
        }
        Some(
            "AuthorizationPermissionMismatch"
            | "AuthorizationResourceTypeMismatch"
            | "AuthorizationServiceMismatch"
            | "AuthorizationProtocolMismatch"
            | "AuthorizationSourceIPMismatch"
            | "InsufficientAccountPermissions",
        ) => ErrorKind::PermissionDenied,
        Some("ServerBusy" | "OperationTimedOut") => ErrorKind::RateLimited,
        Some("ConditionNotMet" | "TargetConditionNotMet" | "SourceConditionNotMet") => match status
        {
            304 => ErrorKind::NotModified,
            _ => ErrorKind::PreconditionFailed,
        },
        Some("Md5Mismatch" | "InvalidMd5" | "InvalidBlockList") => ErrorKind::Integrity,
        Some(
            "InvalidResourceName"
            | "InvalidMetadata"
            | "InvalidRange"
            | "InvalidQueryParameterValue"
            | "InvalidHeaderValue"
            | "OutOfRangeInput"
            | "InvalidUri",
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

/// A 2xx passes; anything else is the error it carries.
pub fn check(resp: &Response, context: &str) -> Result<()> {
    match resp.is_success() {
        true => Ok(()),
        false => Err(error_from(resp, context)),
    }
}

/// Checks that a successful answer is an XML document with root `root`.
fn check_doc(resp: &Response, root: &str, context: &str) -> Result<()> {
    check(resp, context)?;
    let found = crate::storage::s3::responses::root_element(&resp.body);
    match found.as_deref() {
        Some(r) if r == root => Ok(()),
        Some("Error") => Err(error_from(resp, context)),
        Some(other) => Err(parse_error(
            resp,
            format!("{context}: Azure answered <{other:.64}> where <{root}> was expected"),
        )),
        None => Err(parse_error(
            resp,
            format!("{context}: Azure answered without an XML <{root}> document"),
        )),
    }
}

fn parse_error(resp: &Response, message: String) -> Error {
    Error::new(ErrorKind::Parse, message)
        .with_provider(PROVIDER)
        .with_status(resp.status)
}

/// The parsed `EnumerationResults` of a listing answer.
fn enumeration(resp: &Response, context: &str) -> Result<list_xml::Enumeration> {
    check_doc(resp, "EnumerationResults", context)?;
    list_xml::parse(&resp.body).map_err(|e| parse_error(resp, format!("{context}: {e}")))
}

/// List Containers: one page.
pub fn container_page(resp: &Response) -> Result<Page<Container>> {
    let context = "listing containers";
    let parsed = enumeration(resp, context)?;
    let mut items = Vec::with_capacity(parsed.entries.len());
    for e in parsed.entries {
        if e.kind != EntryKind::Container {
            return Err(parse_error(
                resp,
                format!("{context}: a blob in a container list"),
            ));
        }
        let created = e.last_modified.as_deref().and_then(http_date);
        let mut c = Container::new(e.name.unwrap_or_default());
        c.created = created;
        items.push(c);
    }
    Ok(Page {
        items,
        next_token: parsed.next_marker,
    })
}

/// List Blobs without delimiter: one page of objects, every one under `prefix` (a server
/// ignoring the prefix would hand callers, and prefix deletes, blobs never asked for).
pub fn object_page(resp: &Response, container: &str, prefix: &str) -> Result<Page<Object>> {
    let context = format!("listing {container:?}");
    let parsed = enumeration(resp, &context)?;
    let mut items = Vec::with_capacity(parsed.entries.len());
    for e in parsed.entries {
        outside_prefix(resp, &e, prefix, &context)?;
        match e.kind {
            EntryKind::Blob => items.push(listed_object(e, container, &context)?),
            _ => {
                return Err(parse_error(
                    resp,
                    format!("{context}: an unexpected prefix or container"),
                ));
            }
        }
    }
    Ok(Page {
        items,
        next_token: parsed.next_marker,
    })
}

/// List Blobs with a delimiter: one page of objects and prefixes, in name order. A
/// prefix must be a name cut at its first delimiter after `prefix`, and a blob must hold
/// none there: a server ignoring the delimiter is `Parse`, not the whole tree as entries.
pub fn entry_page(
    resp: &Response,
    container: &str,
    prefix: &str,
    delimiter: &str,
) -> Result<Page<Entry>> {
    let context = format!("listing {container:?}");
    let parsed = enumeration(resp, &context)?;
    let mut items = Vec::with_capacity(parsed.entries.len());
    for e in parsed.entries {
        outside_prefix(resp, &e, prefix, &context)?;
        let name = e.name.as_deref().unwrap_or_default();
        let cut = common_prefix(name, prefix, delimiter);
        let grouped = match e.kind {
            EntryKind::Prefix => cut == Some(name),
            _ => cut.is_none(),
        };
        if !grouped {
            let what = format!(
                "{context}: Azure listed {name:?}, not grouped at the delimiter {delimiter:?}"
            );
            return Err(parse_error(resp, what));
        }
        match e.kind {
            EntryKind::Blob => items.push(Entry::Object(listed_object(e, container, &context)?)),
            EntryKind::Prefix => items.push(Entry::Prefix(e.name.unwrap_or_default())),
            EntryKind::Container => {
                return Err(parse_error(
                    resp,
                    format!("{context}: a container in a blob list"),
                ));
            }
        }
    }
    // Azure interleaves blobs and prefixes in name order already; keep it stable anyway.
    items.sort_by(|a, b| a.key().cmp(b.key()));
    Ok(Page {
        items,
        next_token: parsed.next_marker,
    })
}

/// `Parse` unless the entry's name starts with `prefix`.
fn outside_prefix(resp: &Response, e: &EntryXml, prefix: &str, context: &str) -> Result<()> {
    let name = e.name.as_deref().unwrap_or_default();
    match name.starts_with(prefix) {
        true => Ok(()),
        false => Err(parse_error(
            resp,
            format!("{context}: Azure listed {name:?}, outside the prefix {prefix:?}"),
        )),
    }
}

fn listed_object(e: EntryXml, container: &str, context: &str) -> Result<Object> {
    let name = e.name.unwrap_or_default();
    let size = e
        .size
        .as_deref()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| {
            Error::new(ErrorKind::Parse, format!("{context}: no size for {name:?}"))
                .with_provider(PROVIDER)
        })?;
    let mut o = Object::new(container, name, size);
    // The content's MD5 where Azure keeps one, else the ETag (see `object_from_headers`).
    let etag = e.etag.map(|t| t.trim().trim_matches('"').to_owned());
    o.hash = e.content_md5.as_deref().and_then(md5_hex).or(etag);
    o.content_type = e.content_type.filter(|t| !t.is_empty());
    o.last_modified = e.last_modified.as_deref().and_then(http_date);
    Ok(o)
}

/// A blob's metadata from Get Blob Properties or Get Blob headers. `total` is the
/// blob's size when the caller knows it better (a ranged read's `Content-Range`).
pub fn object_from_headers(headers: &HeaderMap, container: &str, name: &str) -> Result<Object> {
    let header = |n: &str| header_str(headers, n);
    let size = header("content-length")
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| {
            Error::new(ErrorKind::Parse, format!("Azure sent no size for {name:?}"))
                .with_provider(PROVIDER)
        })?;
    let mut o = Object::new(container, name, size);
    // A ranged read states the whole blob's MD5 in x-ms-blob-content-md5.
    let md5 = header("x-ms-blob-content-md5").or_else(|| header("content-md5"));
    // The content's MD5 (so downloads are checked and copies compared), else the ETag:
    // conditions compare `hash`, and the driver resolves an MD5 to the current ETag.
    o.hash = md5.and_then(md5_hex).or_else(|| etag(headers));
    o.content_type = header("content-type").map(str::to_owned);
    o.last_modified = header("last-modified").and_then(http_date);
    o.metadata = headers
        .iter()
        .filter_map(|(k, v)| {
            let key = k.as_str().strip_prefix("x-ms-meta-")?;
            Some((key.to_owned(), v.to_str().ok()?.to_owned()))
        })
        .collect::<BTreeMap<_, _>>();
    Ok(o)
}

/// The object size a `Content-Range` (`bytes a-b/size`) states, if any.
pub fn range_total(content_range: Option<&str>) -> Option<u64> {
    content_range?.rsplit_once('/')?.1.trim().parse().ok()
}

/// A Blob Batch answer: one result per part, in part order (`Content-ID`). A missing
/// blob counts as deleted. A batch refused whole, a part that cannot be read, names no
/// part asked for or repeats one, and an answer that does not account for every part are
/// `Err`: a lenient reading could report a failed delete as done.
pub fn batch_results(resp: &Response, parts: usize, context: &str) -> Result<Vec<Result<()>>> {
    check(resp, context)?;
    let boundary = resp
        .header("content-type")
        .and_then(|t| {
            t.split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
        })
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or_else(|| parse_error(resp, format!("{context}: the batch answer has no boundary")))?;
    let text = String::from_utf8_lossy(&resp.body);
    let mut out: Vec<Option<Result<()>>> = (0..parts).map(|_| None).collect();
    let surprise = |what: String| parse_error(resp, format!("{context}: {what}"));
    // Parts follow each delimiter; the closing delimiter is `--boundary--`.
    for part in text
        .split(&format!("--{boundary}"))
        .skip(1)
        .take_while(|p| !p.starts_with("--"))
    {
        let Some((id, result)) = batch_part(part, context) else {
            return Err(surprise(format!(
                "a batch answer part cannot be read: {:.80?}",
                part.trim()
            )));
        };
        // A part without Content-ID is the batch refused whole (Azure's way of saying so).
        let Some(id) = id else {
            result?;
            return Err(surprise("a batch answer part has no Content-ID".into()));
        };
        match out.get_mut(id) {
            Some(slot @ None) => *slot = Some(result),
            Some(Some(_)) => return Err(surprise(format!("the batch answer repeats part {id}"))),
            None => {
                return Err(surprise(format!(
                    "the batch answer has a part {id} of {parts}"
                )));
            }
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.ok_or_else(|| surprise(format!("the batch answer says nothing of part {i}")))
        })
        .collect()
}

/// One part of a batch answer: its `Content-ID` if any and what its status says; `None`
/// when it holds no HTTP answer.
fn batch_part(part: &str, context: &str) -> Option<(Option<usize>, Result<()>)> {
    let (head, inner) = part.split_once("\r\n\r\n")?;
    let id = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-id")
            .then(|| v.trim().parse().ok())?
    });
    let mut lines = inner.lines();
    let mut status_line = lines.next()?.split(' ');
    if !status_line.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = status_line.next()?.parse().ok()?;
    let code = lines.take_while(|l| !l.is_empty()).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("x-ms-error-code")
            .then(|| v.trim().to_owned())
    });
    let result = match (status, code.as_deref()) {
        (200..=299, _) | (404, Some("BlobNotFound")) => Ok(()),
        _ => {
            let what = code.clone().unwrap_or_else(|| format!("HTTP {status}"));
            let mut e = Error::new(
                kind_of(status, code.as_deref()),
                format!("{context}: {what}"),
            )
            .with_provider(PROVIDER)
            .with_status(status);
            if let Some(c) = code {
                e = e.with_code(c);
            }
            Err(e)
        }
    };
    Some((id, result))
}

/// The ETag Azure gives (quoted `0x8D…`), unquoted: what `If-Match` compares.
pub fn etag(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "etag").map(|e| e.trim().trim_matches('"').to_owned())
}

/// Where a Copy Blob stands (`x-ms-copy-status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyState {
    /// Done.
    Success,
    /// Still running: poll the destination's properties.
    Pending,
    /// Failed or aborted, with Azure's description.
    Failed(String),
}

/// The copy status of a Copy Blob answer or of the destination's properties. A copy
/// status missing from a Copy Blob answer is `Parse`.
pub fn copy_state(headers: &HeaderMap, context: &str) -> Result<CopyState> {
    match header_str(headers, "x-ms-copy-status") {
        Some("success") => Ok(CopyState::Success),
        Some("pending") => Ok(CopyState::Pending),
        Some(other) => {
            let why = header_str(headers, "x-ms-copy-status-description").unwrap_or("");
            Ok(CopyState::Failed(
                format!("{other} {why}").trim().to_owned(),
            ))
        }
        None => Err(Error::new(
            ErrorKind::Parse,
            format!("{context}: Azure sent no x-ms-copy-status"),
        )
        .with_provider(PROVIDER)),
    }
}

/// Checks a Put Blob answer's `Content-MD5` (which Azure always states, computed from
/// what it stored) against the MD5 of the bytes sent. A missing or malformed one is
/// `Integrity` too: a server that states none may not have checked ours either.
pub fn check_stored_md5(headers: &HeaderMap, sent: [u8; 16], context: &str) -> Result<()> {
    let stated = header_str(headers, "content-md5").and_then(md5_hex);
    let problem = match stated {
        Some(s) if s == hex::encode(sent) => return Ok(()),
        Some(_) => "Azure stored another MD5 than the bytes sent",
        None => "Azure's answer states no Content-MD5 for what it stored",
    };
    Err(Error::new(ErrorKind::Integrity, format!("{context}: {problem}")).with_provider(PROVIDER))
}

/// Base64 `Content-MD5` as lowercase hex; `None` unless it is 16 bytes.
pub fn md5_hex(b64: &str) -> Option<String> {
    let bytes = STANDARD.decode(b64.trim()).ok()?;
    (bytes.len() == 16).then(|| hex::encode(bytes))
}

fn http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s.trim()).ok()
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

    #[test]
    fn errors_map_by_code_from_body_or_header() {
        let body = "<?xml version=\"1.0\"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.\nRequestId:x</Message></Error>";
        let e = error_from(&resp(404, &[], body), "reading");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.code(), Some("ContainerNotFound"));
        assert_eq!(
            e.message(),
            "reading: The specified container does not exist."
        );
        let e = error_from(
            &resp(404, &[("x-ms-error-code", "BlobNotFound")], ""),
            "head",
        );
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::NotFound, Some("BlobNotFound"))
        );
        for (status, code, kind) in [
            (409, "BlobAlreadyExists", ErrorKind::AlreadyExists),
            (403, "AuthenticationFailed", ErrorKind::Unauthorized),
            (503, "ServerBusy", ErrorKind::RateLimited),
            (412, "ConditionNotMet", ErrorKind::PreconditionFailed),
            (304, "ConditionNotMet", ErrorKind::NotModified),
            (400, "Md5Mismatch", ErrorKind::Integrity),
            (400, "SomethingNew", ErrorKind::Provider),
        ] {
            let e = error_from(&resp(status, &[("x-ms-error-code", code)], ""), "x");
            assert_eq!(e.kind(), kind, "{code}");
        }
        assert_eq!(
            error_from(&resp(304, &[], ""), "x").kind(),
            ErrorKind::NotModified
        );
    }

    #[test]
    fn a_success_with_another_root_is_parse() {
        let e = object_page(&resp(200, &[], "<html/>"), "c", "").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        let e = object_page(&resp(200, &[], "not xml"), "c", "").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
    }

    #[test]
    fn batch_answers_give_one_result_per_part() {
        let body = "--batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\nHTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\n\r\n--batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\nHTTP/1.1 202 Accepted\r\n\r\n--batchresponse_1\r\nContent-ID: 2\r\n\r\nHTTP/1.1 403 Forbidden\r\nx-ms-error-code: AuthorizationFailure\r\n\r\n--batchresponse_1--\r\n";
        let ct = "multipart/mixed; boundary=batchresponse_1";
        let r = resp(202, &[("content-type", ct)], body);
        let out = batch_results(&r, 3, "deleting").unwrap();
        assert!(out[0].is_ok() && out[1].is_ok());
        assert_eq!(out[2].as_ref().unwrap_err().kind(), ErrorKind::Unauthorized);
        let e = batch_results(&r, 4, "deleting").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "a part unaccounted for");
    }

    #[test]
    fn batch_answers_that_do_not_add_up_are_errors() {
        let ct = [("content-type", "multipart/mixed; boundary=b")];
        let part = |id: &str, status: &str| {
            format!("--b\r\nContent-Type: application/http\r\n{id}\r\nHTTP/1.1 {status}\r\n\r\n")
        };
        let (ok0, ok1) = (
            part("Content-ID: 0\r\n", "202 Accepted"),
            part("Content-ID: 1\r\n", "202 Accepted"),
        );
        let failed0 = part("Content-ID: 0\r\n", "403 Forbidden");
        for (body, says) in [
            // Part 0 failed, then a second answer for it claims success.
            (format!("{failed0}{ok0}{ok1}--b--\r\n"), "repeats part 0"),
            (
                format!(
                    "{ok0}{ok1}{}--b--\r\n",
                    part("Content-ID: 2\r\n", "202 Accepted")
                ),
                "part 2 of 2",
            ),
            (
                format!("{ok0}--b\r\ngarbage\r\n{ok1}--b--\r\n"),
                "cannot be read",
            ),
            (
                format!(
                    "{ok0}{}{ok1}--b--\r\n",
                    part("Content-ID: 1\r\n", "garbage")
                ),
                "cannot be read",
            ),
        ] {
            let e = batch_results(&resp(202, &ct, &body), 2, "deleting").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse, "{body}");
            assert!(e.message().contains(says), "{e}");
        }
        // A single part without Content-ID is the batch refused whole, with Azure's code.
        let whole = "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 400 Bad Request\r\nx-ms-error-code: InvalidInput\r\n\r\n--b--\r\n";
        let e = batch_results(&resp(202, &ct, whole), 2, "deleting").unwrap_err();
        assert_eq!(
            (e.status(), e.code()),
            (Some(400), Some("InvalidInput")),
            "{e}"
        );
        let body = format!("{ok1}{ok0}--b--\r\n");
        let out = batch_results(&resp(202, &ct, &body), 2, "deleting").unwrap();
        assert!(out.iter().all(Result::is_ok), "reordered parts are fine");
    }

    #[test]
    fn listings_outside_the_prefix_or_ungrouped_are_parse() {
        let page = |entries: &str| {
            format!(
                "<?xml version=\"1.0\"?><EnumerationResults><Blobs>{entries}</Blobs><NextMarker/></EnumerationResults>"
            )
        };
        let blob = |n: &str| {
            format!(
                "<Blob><Name>{n}</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>"
            )
        };
        let prefix = |n: &str| format!("<BlobPrefix><Name>{n}</Name></BlobPrefix>");
        let outside = page(&blob("other/k"));
        let e = object_page(&resp(200, &[], &outside), "c", "logs/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        let e = entry_page(&resp(200, &[], &outside), "c", "logs/", "/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        for entries in [blob("logs/a/b"), prefix("logs/a/b/"), prefix("logs/a")] {
            let body = page(&entries);
            let e = entry_page(&resp(200, &[], &body), "c", "logs/", "/").unwrap_err();
            assert!(e.message().contains("not grouped"), "{entries}: {e}");
        }
        let good = page(&format!("{}{}", blob("logs/k"), prefix("logs/a/")));
        let p = entry_page(&resp(200, &[], &good), "c", "logs/", "/").unwrap();
        assert_eq!(p.items.len(), 2);
        let flat = page(&blob("logs/a/b"));
        assert_eq!(
            object_page(&resp(200, &[], &flat), "c", "logs/")
                .unwrap()
                .items
                .len(),
            1
        );
    }

    #[test]
    fn a_put_answer_must_state_the_md5_sent() {
        let abc = crate::storage::azure::requests::md5_of(b"abc");
        let stated = |v: &str| header_map([("content-md5", v)]);
        assert!(check_stored_md5(&stated("kAFQmDzST7DWlj99KOF/cg=="), abc, "up").is_ok());
        for headers in [
            stated("AAAAAAAAAAAAAAAAAAAAAA=="),
            stated("not md5"),
            header_map([]),
        ] {
            let e = check_stored_md5(&headers, abc, "up").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
        }
    }

    #[test]
    fn properties_from_headers() {
        let h = header_map([
            ("content-length", "3"),
            ("content-md5", "kAFQmDzST7DWlj99KOF/cg=="),
            ("content-type", "text/plain"),
            ("x-ms-meta-owner", "ana"),
            ("etag", "\"0x8D\""),
            ("last-modified", "Sun, 06 Dec 2026 10:00:00 GMT"),
        ]);
        let o = object_from_headers(&h, "c", "k").unwrap();
        assert_eq!(o.hash.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(o.metadata.get("owner").map(String::as_str), Some("ana"));
        assert!(o.last_modified.is_some());
        assert_eq!(etag(&h).as_deref(), Some("0x8D"));
    }
}
