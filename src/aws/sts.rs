//! STS requests (`AssumeRole` signed with SigV4, `AssumeRoleWithWebIdentity` unsigned) and
//! the parsing of their XML answers. Pure: the clock is an argument.

use std::time::SystemTime;

use serde::Deserialize;

use super::{AssumeRole, Timed, WebIdentity, checked_credentials, parse_error, parse_time};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request, Response};
use crate::signing::sigv4::{self, Options, Scope, Unsigned};
use crate::storage::s3::responses::root_element;

const VERSION: &str = "2011-06-15";
const FORM: &str = "application/x-www-form-urlencoded";

/// The form body of an STS call.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `AssumeRoleWithWebIdentity`: an unsigned form POST carrying the identity token.
pub fn assume_role_with_web_identity(w: &WebIdentity, token: &Secret) -> Request {
    let body = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", VERSION),
        ("RoleArn", &w.role_arn),
        ("RoleSessionName", &w.session_name),
        ("WebIdentityToken", token.expose()),
    ]);
    let mut r = Request::new(Method::Post, endpoint_url(&w.sts_endpoint))
        .header("content-type", FORM)
        .body(body);
    // Assuming a role twice is harmless.
    r.idempotent = true;
    r
}

/// `AssumeRole`, signed at `now` with the source profile's keys.
pub fn assume_role(a: &AssumeRole, now: SystemTime) -> Request {
    let mut pairs = vec![
        ("Action", "AssumeRole"),
        ("Version", VERSION),
        ("RoleArn", a.role_arn.as_str()),
        ("RoleSessionName", a.session_name.as_str()),
    ];
    if let Some(id) = &a.external_id {
        pairs.push(("ExternalId", id));
    }
    let body = form(&pairs);
    let url = endpoint_url(&a.sts_endpoint);
    let (host, path) = host_and_path(&url);
    let headers = vec![
        ("content-type".to_owned(), FORM.to_owned()),
        ("host".to_owned(), host),
    ];
    let hash = sigv4::payload_sha256(body.as_bytes());
    let unsigned = Unsigned {
        method: "POST",
        path: &path,
        query: &[],
        headers: &headers,
        payload_hash: &hash,
    };
    let scope = Scope {
        credentials: &a.source,
        region: &a.region,
        service: "sts",
        key_cache: None,
    };
    let opts = Options {
        normalize_path: true,
        sign_session_token: true,
        content_sha256_header: false,
    };
    let signed = sigv4::sign_headers(scope, &unsigned, now, opts);
    let mut r = Request::new(Method::Post, url).header("content-type", FORM);
    r.headers.extend(signed.headers);
    r.body = body.into();
    r.idempotent = true;
    r
}

/// The endpoint with a path (`/` when it has none).
fn endpoint_url(endpoint: &str) -> String {
    match url::Url::parse(endpoint) {
        Ok(u) if u.path().is_empty() || u.path() == "/" => {
            format!("{}/", endpoint.trim_end_matches('/'))
        }
        _ => endpoint.to_owned(),
    }
}

fn host_and_path(url: &str) -> (String, String) {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                _ => String::new(),
            };
            (host, u.path().to_owned())
        }
        Err(_) => (String::new(), "/".to_owned()),
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "AssumeRoleResult", alias = "AssumeRoleWithWebIdentityResult")]
    result: ResultXml,
}

#[derive(Deserialize)]
struct ResultXml {
    #[serde(rename = "Credentials")]
    credentials: CredentialsXml,
}

#[derive(Deserialize)]
struct CredentialsXml {
    #[serde(rename = "AccessKeyId")]
    key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret: String,
    #[serde(rename = "SessionToken")]
    token: String,
    #[serde(rename = "Expiration")]
    expiration: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    #[serde(rename = "Error")]
    error: ErrorXml,
}

#[derive(Deserialize)]
struct ErrorXml {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// The credentials of an `action` (`AssumeRole`, `AssumeRoleWithWebIdentity`) answer. The
/// root must be `<{action}Response>`; an `<ErrorResponse>` (or any non-2xx) is the error
/// it carries (`Unauthorized` / `PermissionDenied` for refusals); anything else is `Parse`.
pub fn parse_credentials(resp: &Response, action: &str) -> Result<Timed> {
    let source = format!("sts {action}");
    if !resp.is_success() {
        return Err(error_from(resp, &source));
    }
    let want = format!("{action}Response");
    match root_element(&resp.body) {
        Some(r) if r == want => {}
        Some(r) if r == "ErrorResponse" => return Err(error_from(resp, &source)),
        Some(r) => {
            let what = format!("the answer's root is <{r:.64}>, not <{want}>");
            return Err(parse_error(&source, what));
        }
        None => return Err(parse_error(&source, "the answer is not XML")),
    }
    let text = std::str::from_utf8(&resp.body)
        .map_err(|_| parse_error(&source, "the answer is not UTF-8"))?;
    let doc: Envelope = quick_xml::de::from_str(text)
        .map_err(|_| parse_error(&source, "the answer lacks Credentials with all four fields"))?;
    let c = doc.result.credentials;
    let expires = parse_time(&source, &c.expiration)?;
    let credentials = checked_credentials(&source, c.key_id, c.secret, Some(c.token))?;
    Ok(Timed {
        credentials: std::sync::Arc::new(credentials),
        expires: Some(expires),
    })
}

/// The error an STS answer carries (code and message are the server's, never ours).
fn error_from(resp: &Response, source: &str) -> Error {
    let parsed = std::str::from_utf8(&resp.body)
        .ok()
        .and_then(|t| quick_xml::de::from_str::<ErrorEnvelope>(t).ok())
        .map(|e| e.error);
    let code = parsed.as_ref().map(|e| e.code.as_str()).unwrap_or("");
    let kind = match (resp.status, code) {
        (_, "AccessDenied") | (403, _) => ErrorKind::PermissionDenied,
        (_, "InvalidIdentityToken" | "ExpiredTokenException" | "InvalidClientTokenId")
        | (401, _) => ErrorKind::Unauthorized,
        (429, _) | (_, "Throttling") => ErrorKind::RateLimited,
        _ => ErrorKind::Provider,
    };
    let message = parsed.as_ref().map(|e| e.message.as_str()).unwrap_or("");
    let mut e = Error::new(
        kind,
        format!(
            "{source} failed with status {}: {code} {message:.200}",
            resp.status
        ),
    )
    .with_provider("aws")
    .with_status(resp.status);
    if !code.is_empty() {
        e = e.with_code(code);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;
    use crate::http::header_map;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: header_map([]),
            body: body.to_owned().into(),
        }
    }

    const OK: &str = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
        <AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>\
        <SecretAccessKey>very-secret-key</SecretAccessKey><SessionToken>very-secret-tok</SessionToken>\
        <Expiration>2026-12-02T13:35:13.292362Z</Expiration></Credentials></AssumeRoleResult>\
        </AssumeRoleResponse>";

    #[test]
    fn parses_credentials_under_the_expected_root_only() {
        let t = parse_credentials(&resp(200, OK), "AssumeRole").unwrap();
        assert_eq!(t.credentials.key_id, "ASIAX");
        assert_eq!(
            t.credentials.session_token.as_ref().unwrap().expose(),
            "very-secret-tok"
        );
        assert!(t.expires.is_some());
        let e = parse_credentials(&resp(200, OK), "AssumeRoleWithWebIdentity").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(
            e.to_string().contains("sts AssumeRoleWithWebIdentity"),
            "{e}"
        );
        for bad in [
            "",
            "not xml",
            "<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>",
            &OK.replace("2026-12-02T13:35:13.292362Z", "soon"),
            &OK.replace(
                "<AccessKeyId>ASIAX</AccessKeyId>",
                "<AccessKeyId></AccessKeyId>",
            ),
        ] {
            let e = parse_credentials(&resp(200, bad), "AssumeRole").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse, "{bad}: {e}");
            assert!(!format!("{e} {e:?}").contains("very-secret"), "{e}");
        }
    }

    #[test]
    fn error_answers_are_typed() {
        let body = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>";
        let e = parse_credentials(&resp(403, body), "AssumeRole").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert_eq!(e.code(), Some("AccessDenied"));
        let e = parse_credentials(&resp(200, body), "AssumeRole").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        let e = parse_credentials(&resp(500, "garbage"), "AssumeRole").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Provider);
    }

    #[test]
    fn requests_are_form_posts_and_assume_role_is_signed() {
        let w = WebIdentity {
            token_file: "/t".into(),
            role_arn: "arn:aws:iam::1:role/r".into(),
            session_name: "s".into(),
            sts_endpoint: "http://127.0.0.1:5000".into(),
        };
        let r = assume_role_with_web_identity(&w, &Secret::new("tok en"));
        assert_eq!(r.url, "http://127.0.0.1:5000/");
        let body = std::str::from_utf8(&r.body).unwrap();
        assert!(body.contains("Action=AssumeRoleWithWebIdentity"), "{body}");
        assert!(body.contains("WebIdentityToken=tok%20en"), "{body}");
        assert!(
            body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"),
            "{body}"
        );
        assert!(!r.headers.iter().any(|(k, _)| k == "authorization"));
        assert!(!format!("{r:?}").contains("tok"));
        let a = AssumeRole {
            role_arn: "arn:r".into(),
            session_name: "s".into(),
            external_id: Some("ext".into()),
            source: Credentials::new("AKSRC", "SK"),
            sts_endpoint: "http://127.0.0.1:5000".into(),
            region: "eu-west-1".into(),
        };
        let r = assume_role(&a, SystemTime::UNIX_EPOCH);
        let auth = &r
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1;
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKSRC/19700101/eu-west-1/sts/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{auth}"
        );
        assert!(
            std::str::from_utf8(&r.body)
                .unwrap()
                .contains("ExternalId=ext")
        );
    }
}
