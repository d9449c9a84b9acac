//! EC2 instance metadata (IMDSv2), container credentials (ECS) and `credential_process`:
//! the requests and the parsing of their JSON answers. Pure.

use std::sync::Arc;

use serde::Deserialize;

use super::{Timed, checked_credentials, parse_error, parse_time};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request, Response};

/// How long an IMDSv2 token lives (seconds); one token serves one refresh.
pub const IMDS_TOKEN_TTL: &str = "21600";
const IMDS: &str = "instance metadata";
const ECS: &str = "container credentials";
const PROCESS: &str = "credential_process";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// `PUT /latest/api/token` with the TTL header IMDSv2 requires.
pub fn imds_token(endpoint: &str) -> Request {
    let mut r = Request::new(Method::Put, format!("{}/latest/api/token", trim(endpoint)))
        .header("x-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL);
    r.idempotent = true;
    r
}

/// The token of an IMDSv2 token answer: `Ok(None)` when the service refuses tokens in a way
/// that means "IMDSv1 only" (403/404/405), an error otherwise.
pub fn parse_imds_token(resp: &Response) -> Result<Option<Secret>> {
    match resp.status {
        200 => {
            let t = std::str::from_utf8(&resp.body).unwrap_or("").trim();
            if t.is_empty() || t.len() > 4096 || !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(parse_error(
                    IMDS,
                    "the session token is empty or not printable",
                ));
            }
            Ok(Some(Secret::new(t)))
        }
        403..=405 => Ok(None),
        s => Err(status_error(IMDS, s)),
    }
}

/// `GET /latest/meta-data/iam/security-credentials/` (the role name), with the token if any.
pub fn imds_role(endpoint: &str, token: Option<&Secret>) -> Request {
    with_token(
        Request::new(Method::Get, format!("{}{CREDENTIALS_PATH}", trim(endpoint))),
        token,
    )
}

/// `GET .../security-credentials/ROLE`.
pub fn imds_credentials(endpoint: &str, role: &str, token: Option<&Secret>) -> Request {
    let url = format!("{}{CREDENTIALS_PATH}{role}", trim(endpoint));
    with_token(Request::new(Method::Get, url), token)
}

fn with_token(r: Request, token: Option<&Secret>) -> Request {
    match token {
        Some(t) => r.header("x-aws-ec2-metadata-token", t.expose()),
        None => r,
    }
}

fn trim(endpoint: &str) -> &str {
    endpoint.trim_end_matches('/')
}

/// The role name of a role listing: its first line, which must be a valid IAM role name
/// (so it is safe in the next URL's path).
pub fn parse_imds_role(resp: &Response) -> Result<String> {
    if resp.status != 200 {
        return Err(status_error(IMDS, resp.status));
    }
    let text = std::str::from_utf8(&resp.body).unwrap_or("");
    let role = text.lines().next().unwrap_or("").trim();
    let valid = |b: u8| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b);
    if role.is_empty() || role.len() > 64 || !role.bytes().all(valid) {
        return Err(parse_error(
            IMDS,
            "the role listing holds no valid role name",
        ));
    }
    Ok(role.to_owned())
}

/// The credentials JSON of IMDS (`Code`, `AccessKeyId`, `SecretAccessKey`, `Token`,
/// `Expiration`); a `Code` other than `Success` is an error.
pub fn parse_imds_credentials(resp: &Response) -> Result<Timed> {
    if resp.status != 200 {
        return Err(status_error(IMDS, resp.status));
    }
    let doc: ServiceJson = json(IMDS, &resp.body)?;
    if doc.code.as_deref().is_some_and(|c| c != "Success") {
        return Err(Error::new(
            ErrorKind::Unauthorized,
            "instance metadata says the role's credentials are not available",
        )
        .with_provider("aws"));
    }
    doc.into_timed(IMDS)
}

/// The container credentials request, with its `Authorization` value if any. A value that
/// is not printable ASCII is `InvalidInput` (it would not be a valid header, and the
/// transport's error might quote it).
pub fn container_request(url: &str, authorization: Option<&Secret>) -> Result<Request> {
    let r = Request::new(Method::Get, url);
    match authorization {
        Some(a)
            if !a
                .expose()
                .bytes()
                .all(|b| b == b' ' || b.is_ascii_graphic()) =>
        {
            Err(Error::invalid(
                "the container authorization token is not printable ASCII",
            ))
        }
        Some(a) => Ok(r.header("authorization", a.expose())),
        None => Ok(r),
    }
}

/// The container credentials JSON (`AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`).
pub fn parse_container_credentials(resp: &Response) -> Result<Timed> {
    match resp.status {
        200 => json::<ServiceJson>(ECS, &resp.body)?.into_timed(ECS),
        401 | 403 => Err(Error::new(
            ErrorKind::Unauthorized,
            format!(
                "{ECS} refused the authorization token (status {})",
                resp.status
            ),
        )
        .with_provider("aws")
        .with_status(resp.status)),
        s => Err(status_error(ECS, s)),
    }
}

/// Whether a full container-credentials URL may be used: https anywhere, http only to the
/// loopback or the container hosts (so a token never goes in clear over a network).
pub fn container_url_allowed(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    match (u.scheme(), u.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Ipv4(ip))) => {
            ip.is_loopback()
                || ip.octets() == [169, 254, 170, 2]
                || ip.octets() == [169, 254, 170, 23]
        }
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Domain(d))) => d == "localhost",
        _ => false,
    }
}

/// The JSON a `credential_process` command prints (`Version` 1, `AccessKeyId`,
/// `SecretAccessKey`, optional `SessionToken` and `Expiration`).
pub fn parse_process_output(stdout: &[u8]) -> Result<Timed> {
    let doc: ProcessJson = json(PROCESS, stdout)?;
    if doc.version != 1 {
        return Err(parse_error(PROCESS, "Version must be 1"));
    }
    let expires = doc
        .expiration
        .as_deref()
        .map(|e| parse_time(PROCESS, e))
        .transpose()?;
    let c = checked_credentials(PROCESS, doc.key_id, doc.secret, doc.token)?;
    Ok(Timed {
        credentials: Arc::new(c),
        expires,
    })
}

fn json<T: for<'a> Deserialize<'a>>(source: &str, body: &[u8]) -> Result<T> {
    // serde_json's messages may quote values: report the position only.
    serde_json::from_slice(body).map_err(|e| {
        parse_error(
            source,
            format!(
                "malformed or incomplete JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

fn status_error(source: &str, status: u16) -> Error {
    let kind = match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Provider,
    };
    Error::new(kind, format!("{source} answered status {status}"))
        .with_provider("aws")
        .with_status(status)
}

#[derive(Deserialize)]
struct ServiceJson {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "AccessKeyId")]
    key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret: String,
    #[serde(rename = "Token")]
    token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: String,
}

impl ServiceJson {
    fn into_timed(self, source: &str) -> Result<Timed> {
        let expires = parse_time(source, &self.expiration)?;
        let c = checked_credentials(source, self.key_id, self.secret, self.token)?;
        Ok(Timed {
            credentials: Arc::new(c),
            expires: Some(expires),
        })
    }
}

#[derive(Deserialize)]
struct ProcessJson {
    #[serde(rename = "Version")]
    version: u32,
    #[serde(rename = "AccessKeyId")]
    key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret: String,
    #[serde(rename = "SessionToken")]
    token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::header_map;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: header_map([]),
            body: body.to_owned().into(),
        }
    }

    const IMDS_JSON: &str = r#"{"Code":"Success","LastUpdated":"2026-12-02T12:00:00Z","Type":"AWS-HMAC",
        "AccessKeyId":"ASIAIMDS","SecretAccessKey":"very-secret-key","Token":"very-secret-tok",
        "Expiration":"2026-12-02T18:00:00Z"}"#;

    #[test]
    fn imds_requests_carry_ttl_and_token() {
        let r = imds_token("http://127.0.0.1:1/");
        assert_eq!(r.url, "http://127.0.0.1:1/latest/api/token");
        assert_eq!(r.method, Method::Put);
        assert!(r.headers.contains(&(
            "x-aws-ec2-metadata-token-ttl-seconds".into(),
            "21600".into()
        )));
        let t = Secret::new("T");
        let r = imds_credentials("http://h", "role", Some(&t));
        assert_eq!(
            r.url,
            "http://h/latest/meta-data/iam/security-credentials/role"
        );
        assert!(
            r.headers
                .contains(&("x-aws-ec2-metadata-token".into(), "T".into()))
        );
        assert!(imds_role("http://h", None).headers.is_empty());
    }

    #[test]
    fn imds_answers_are_checked() {
        assert_eq!(
            parse_imds_token(&resp(200, "tok\n"))
                .unwrap()
                .unwrap()
                .expose(),
            "tok"
        );
        assert!(parse_imds_token(&resp(405, "")).unwrap().is_none());
        assert!(parse_imds_token(&resp(200, "")).is_err());
        assert!(parse_imds_token(&resp(500, "")).is_err());
        assert_eq!(parse_imds_role(&resp(200, "my-role\n")).unwrap(), "my-role");
        for bad in ["", "../x", "a/b", "a b"] {
            assert_eq!(
                parse_imds_role(&resp(200, bad)).unwrap_err().kind(),
                ErrorKind::Parse,
                "{bad}"
            );
        }
        assert_eq!(
            parse_imds_role(&resp(401, "")).unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
        let t = parse_imds_credentials(&resp(200, IMDS_JSON)).unwrap();
        assert_eq!(t.credentials.key_id, "ASIAIMDS");
        assert!(t.expires.is_some());
        let failed = IMDS_JSON.replace("\"Success\"", "\"Failed\"");
        assert_eq!(
            parse_imds_credentials(&resp(200, &failed))
                .unwrap_err()
                .kind(),
            ErrorKind::Unauthorized
        );
        for bad in [
            "",
            "{}",
            "[1]",
            &IMDS_JSON.replace("\"very-secret-key\"", "5"),
            &IMDS_JSON[..60],
        ] {
            let e = parse_imds_credentials(&resp(200, bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse, "{bad}");
            assert!(e.to_string().contains("instance metadata"), "{e}");
            assert!(!format!("{e} {e:?}").contains("very-secret"), "{e}");
        }
    }

    #[test]
    fn container_answers_and_urls_are_checked() {
        let t = parse_container_credentials(&resp(200, IMDS_JSON)).unwrap();
        assert_eq!(
            t.credentials.session_token.as_ref().unwrap().expose(),
            "very-secret-tok"
        );
        assert_eq!(
            parse_container_credentials(&resp(401, ""))
                .unwrap_err()
                .kind(),
            ErrorKind::Unauthorized
        );
        let e = parse_container_credentials(&resp(200, "{\"AccessKeyId\":1}")).unwrap_err();
        assert!(e.to_string().contains("container credentials"), "{e}");
        let bad = container_request(
            "http://127.0.0.1/c",
            Some(&Secret::new("a\r\nb: very-secret")),
        );
        let e = bad.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(!e.to_string().contains("very-secret"));
        let r = container_request("http://127.0.0.1/c", Some(&Secret::new("auth"))).unwrap();
        assert!(r.headers.contains(&("authorization".into(), "auth".into())));
        assert!(container_url_allowed("http://127.0.0.1:8080/creds"));
        assert!(container_url_allowed("http://169.254.170.2/v2/c"));
        assert!(container_url_allowed("https://example.invalid/c"));
        assert!(!container_url_allowed("http://10.0.0.1/c"));
        assert!(!container_url_allowed("file:///etc/passwd"));
    }

    #[test]
    fn process_output_is_validated() {
        let ok = r#"{"Version":1,"AccessKeyId":"AKP","SecretAccessKey":"very-secret-key","SessionToken":"very-secret-tok","Expiration":"2026-12-02T18:00:00Z"}"#;
        let t = parse_process_output(ok.as_bytes()).unwrap();
        assert_eq!(t.credentials.key_id, "AKP");
        assert!(t.expires.is_some());
        let long = r#"{"Version":1,"AccessKeyId":"AKP","SecretAccessKey":"S"}"#;
        assert!(
            parse_process_output(long.as_bytes())
                .unwrap()
                .expires
                .is_none()
        );
        for bad in [
            &ok.replace("\"Version\":1", "\"Version\":2"),
            "",
            "{\"Version\":1}",
            &ok.replace("2026-12-02T18:00:00Z", "x"),
        ] {
            let e = parse_process_output(bad.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse, "{bad}");
            assert!(!format!("{e} {e:?}").contains("very-secret"), "{e}");
        }
    }
}
