//! S3 error bodies: `error_from`/`error_for`, `check`/`check_for`, `effective_status`,
//! `root_element` and `kind_of`.
//!
//! Input: byte 0 picks the function, byte 1 the status (see [`super::s3_xml::STATUSES`]),
//! then the `x-amz-request-id` header value up to the first NUL, then the body.
//! Properties: an error keeps the answer's status, the kind its code means (a bare 409 the
//! kind asked for), and a code and request id taken from the answer; `check` passes
//! exactly the 2xx answers whose root is not `<Error>`; `effective_status` only ever turns
//! a 2xx into 500 or 503.

use multicloud::ErrorKind;
use multicloud::storage::s3::responses as r;

use super::s3_xml::{STATUSES, response};
use super::{assert_bounded, split};

/// The kinds a bare 409 may stand for (`error_for`'s `conflict`).
const CONFLICTS: [ErrorKind; 3] = [
    ErrorKind::Provider,
    ErrorKind::AlreadyExists,
    ErrorKind::NotEmpty,
];

/// An input for [`run`].
pub fn input(function: u8, status: u8, request_id: &[u8], body: &[u8]) -> Vec<u8> {
    [&[function, status][..], request_id, b"\0", body].concat()
}

/// The target.
pub fn run(data: &[u8]) {
    let [function, status, rest @ ..] = data else {
        return;
    };
    let (request_id, body) = split(rest, 0);
    let mut resp = response(STATUSES[usize::from(status % 16)], body);
    if let Ok(v) = http::HeaderValue::from_bytes(request_id) {
        resp.headers.insert("x-amz-request-id", v);
    }
    let conflict = CONFLICTS[usize::from(function / 8) % CONFLICTS.len()];
    match function % 8 {
        0 => error(&resp, &r::error_from(&resp, "ctx"), ErrorKind::Provider),
        1 => error(&resp, &r::error_for(&resp, "ctx", conflict), conflict),
        2 => check(&resp, r::check(&resp, "ctx"), ErrorKind::Provider),
        3 => check(&resp, r::check_for(&resp, "ctx", conflict), conflict),
        4 => effective_status(&resp),
        5 => {
            let root = r::root_element(body);
            assert_bounded("root", root.map_or(0, |s| s.len()), body.len());
        }
        _ => {
            let code = String::from_utf8_lossy(body);
            let kind = r::kind_of(resp.status, Some(&code));
            assert_ne!(kind, ErrorKind::Parse);
        }
    }
}

/// Checks an error built from `resp`.
fn error(resp: &multicloud::http::Response, err: &multicloud::Error, conflict: ErrorKind) {
    let input = data_len(resp);
    assert_eq!(err.provider(), Some("s3"));
    assert_eq!(err.status(), Some(resp.status), "{err:?}");
    let expected = match (resp.status, err.code()) {
        (409, None) => conflict,
        (status, code) => r::kind_of(status, code),
    };
    assert_eq!(err.kind(), expected, "{err:?}");
    assert!(err.message().starts_with("ctx"), "{err:?}");
    assert_bounded("message", err.message().len(), input);
    assert_bounded("code", err.code().map_or(0, str::len), input);
    if let Some(id) = err.request_id() {
        let from_header = resp.header("x-amz-request-id") == Some(id);
        assert!(from_header || id.len() <= resp.body.len(), "{err:?}");
    }
}

fn check(resp: &multicloud::http::Response, checked: multicloud::Result<()>, c: ErrorKind) {
    let is_error = r::root_element(&resp.body).as_deref() == Some("Error");
    match checked {
        Ok(()) => assert!(resp.is_success() && !is_error, "{} passed", resp.status),
        Err(e) => {
            assert!(!resp.is_success() || is_error, "a clean 2xx failed: {e:?}");
            error(resp, &e, c);
        }
    }
}

fn effective_status(resp: &multicloud::http::Response) {
    let status = r::effective_status(resp);
    if status != resp.status {
        assert!(resp.is_success(), "{} became {status}", resp.status);
        assert!(
            matches!(status, 500 | 503),
            "{} became {status}",
            resp.status
        );
    }
}

fn data_len(resp: &multicloud::http::Response) -> usize {
    resp.body.len() + resp.header("x-amz-request-id").map_or(0, str::len)
}
