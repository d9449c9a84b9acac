//! OAuth 2.0 access tokens, pure parts: the service account's JWT assertion and token
//! request (JWT bearer grant, RFC 7523), the refresh-token request, the metadata server's
//! token request, the parsing of their answers, and when a token must be refreshed. The
//! clock is an argument; nothing here sends anything.

use std::time::{Duration, SystemTime};

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};

use super::service_account::{AuthorizedUser, ServiceAccountKey};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request, Response};
use crate::signing::sigv4;

pub use crate::aws::{Freshness, REFRESH_EARLY};

/// The `grant_type` of a service account's token request.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How long an assertion is valid: Google allows at most one hour.
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// Longest `expires_in` believed (12 h, Google's longest token lifetime); longer is a
/// broken answer, not a gift.
pub const MAX_EXPIRES_IN: u64 = 12 * 3600;

/// The metadata server's path for the default service account's token.
pub const METADATA_TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";

const FORM: &str = "application/x-www-form-urlencoded";
/// `{"alg":"RS256","typ":"JWT"}`, the only header Google's token endpoint needs.
const JWT_HEADER: &str = r#"{"alg":"RS256","typ":"JWT"}"#;
/// Longest access token kept (Google's are ~200 bytes to ~2 KiB).
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// An access token with the time it stops being valid. `Debug` hides the token.
///
/// ```
/// use multicloud::gcp::token::{AccessToken, Freshness};
/// use std::time::{Duration, SystemTime};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let token = AccessToken { token: "ya29.x".into(), expires: now + Duration::from_secs(3599) };
/// assert_eq!(token.freshness(now), Freshness::Fresh);
/// assert_eq!(token.authorization().expose(), "Bearer ya29.x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The token.
    pub token: Secret,
    /// When it expires.
    pub expires: SystemTime,
}

impl AccessToken {
    /// Whether it is fresh at `now`, due for an early refresh ([`REFRESH_EARLY`], five
    /// minutes, before it expires; it may still be used if that refresh fails), or expired.
    ///
    /// ```
    /// # use multicloud::gcp::token::{AccessToken, Freshness};
    /// # use std::time::{Duration, SystemTime};
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let token = AccessToken { token: "t".into(), expires: now + Duration::from_secs(60) };
    /// assert_eq!(token.freshness(now), Freshness::RefreshEarly);
    /// assert_eq!(token.freshness(now + Duration::from_secs(60)), Freshness::Expired);
    /// ```
    pub fn freshness(&self, now: SystemTime) -> Freshness {
        crate::aws::freshness(now, Some(self.expires))
    }

    /// The `Authorization` header value, `Bearer <token>`.
    ///
    /// ```
    /// # use multicloud::gcp::token::AccessToken;
    /// let token = AccessToken { token: "t".into(), expires: std::time::SystemTime::UNIX_EPOCH };
    /// assert_eq!(format!("{:?}", token.authorization()), "Secret(***)");
    /// ```
    pub fn authorization(&self) -> Secret {
        Secret::new(format!("Bearer {}", self.token.expose()))
    }
}

/// The claims of a service account's assertion.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

/// The signed JWT (`header.claims.signature`, each base64url without padding) with which
/// `key` asks for `scope` (space-separated scopes) at `now`, valid for
/// [`ASSERTION_LIFETIME`]; its audience is the key's `token_uri`. It is a credential for an
/// hour: a [`Secret`].
///
/// ```no_run
/// use multicloud::gcp::service_account::ServiceAccountKey;
/// use multicloud::gcp::token::jwt_assertion;
///
/// let key = ServiceAccountKey::from_json(&std::fs::read("key.json")?)?;
/// let scope = "https://www.googleapis.com/auth/devstorage.read_write";
/// let jwt = jwt_assertion(&key, scope, std::time::SystemTime::now())?;
/// assert_eq!(jwt.expose().split('.').count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn jwt_assertion(key: &ServiceAccountKey, scope: &str, now: SystemTime) -> Result<Secret> {
    check_scope(scope)?;
    let iat = unix_seconds(now)?;
    let claims = Claims {
        iss: &key.client_email,
        scope,
        aud: &key.token_uri,
        iat,
        exp: iat + ASSERTION_LIFETIME.as_secs(),
    };
    let claims = serde_json::to_vec(&claims)
        .map_err(|_| Error::invalid("JWT assertion: the claims do not serialise"))?;
    let signing_input = format!("{}.{}", b64url(JWT_HEADER.as_bytes()), b64url(&claims));
    let signature = key.signer().sign(signing_input.as_bytes())?;
    Ok(Secret::new(format!(
        "{signing_input}.{}",
        b64url(&signature)
    )))
}

/// The token request of a service account: a form POST of the JWT bearer grant with a
/// fresh assertion to the key's `token_uri`. Retrying it is harmless.
///
/// ```no_run
/// # use multicloud::gcp::service_account::ServiceAccountKey;
/// use multicloud::gcp::token::service_account_request;
///
/// # let key = ServiceAccountKey::from_json(&std::fs::read("key.json")?)?;
/// let scope = "https://www.googleapis.com/auth/devstorage.read_write";
/// let request = service_account_request(&key, scope, std::time::SystemTime::now())?;
/// assert_eq!(request.url, key.token_uri);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn service_account_request(
    key: &ServiceAccountKey,
    scope: &str,
    now: SystemTime,
) -> Result<Request> {
    let assertion = jwt_assertion(key, scope, now)?;
    let body = form(&[
        ("grant_type", JWT_BEARER_GRANT),
        ("assertion", assertion.expose()),
    ]);
    Ok(form_post(&key.token_uri, body))
}

/// The refresh-token request of an `authorized_user`: a form POST of `grant_type=
/// refresh_token` with the client id, secret and refresh token to its `token_uri`.
///
/// ```
/// use multicloud::gcp::service_account::AuthorizedUser;
/// use multicloud::gcp::token::refresh_request;
///
/// let user = AuthorizedUser::from_json(br#"{"type": "authorized_user", "client_id": "i",
///     "client_secret": "s", "refresh_token": "r"}"#)?;
/// let request = refresh_request(&user);
/// assert_eq!(request.url, "https://oauth2.googleapis.com/token");
/// assert!(request.body.starts_with(b"grant_type=refresh_token&"));
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn refresh_request(user: &AuthorizedUser) -> Request {
    let body = form(&[
        ("grant_type", "refresh_token"),
        ("client_id", &user.client_id),
        ("client_secret", user.client_secret.expose()),
        ("refresh_token", user.refresh_token.expose()),
    ]);
    form_post(&user.token_uri, body)
}

/// The metadata server's token request: `GET http://HOST/computeMetadata/v1/instance/
/// service-accounts/default/token` with `Metadata-Flavor: Google` (the server refuses
/// requests without it, which keeps browsers and proxies from fetching tokens). `host` is
/// `host[:port]` ([`METADATA_HOST`](super::METADATA_HOST) by default); anything else is
/// `InvalidInput`.
///
/// ```
/// use multicloud::gcp::token::metadata_token_request;
///
/// let request = metadata_token_request("metadata.google.internal")?;
/// assert_eq!(request.url, "http://metadata.google.internal\
///     /computeMetadata/v1/instance/service-accounts/default/token");
/// assert!(metadata_token_request("evil.example/x?").is_err());
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn metadata_token_request(host: &str) -> Result<Request> {
    let host_char = |b: u8| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b);
    if host.is_empty() || host.len() > 255 || !host.bytes().all(host_char) {
        return Err(Error::invalid(format!(
            "metadata server host {host:.64?} is not host[:port]"
        )));
    }
    let url = format!("http://{host}{METADATA_TOKEN_PATH}");
    Ok(Request::new(Method::Get, url).header("metadata-flavor", "Google"))
}

/// The access token of a token answer from `source` (for messages: `"service account
/// key"`, `"metadata server"`...), received at `now`.
///
/// The answer must be a 2xx JSON object with a non-empty visible-ASCII `access_token`,
/// `token_type` `Bearer` (any case) and an integer `expires_in` from 1 to
/// [`MAX_EXPIRES_IN`]; otherwise `Parse`. An error answer (`{"error", "error_description"}`
/// or any non-2xx) is `Unauthorized` carrying the server's description, except 429
/// (`RateLimited`) and 5xx (`Provider`, retried).
///
/// ```
/// use multicloud::gcp::token::parse_token;
/// use multicloud::http::{Response, header_map};
/// use std::time::{Duration, SystemTime};
///
/// let body = r#"{"access_token": "ya29.x", "expires_in": 3599, "token_type": "Bearer"}"#;
/// let answer = Response { status: 200, headers: header_map([]), body: body.into() };
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let token = parse_token(&answer, "metadata server", now)?;
/// assert_eq!(token.expires, now + Duration::from_secs(3599));
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn parse_token(resp: &Response, source: &str, now: SystemTime) -> Result<AccessToken> {
    parse_oauth_token(resp, "gcp", source, now)
}

/// [`parse_token`] for any OAuth 2.0 token endpoint (Microsoft Entra's answers have the
/// same shape), with errors naming `provider`.
pub(crate) fn parse_oauth_token(
    resp: &Response,
    provider: &'static str,
    source: &str,
    now: SystemTime,
) -> Result<AccessToken> {
    let fail = |what: &dyn std::fmt::Display| parse_error(source, what).with_provider(provider);
    let doc = json_object(&resp.body);
    if !resp.is_success() || doc.as_ref().is_ok_and(|d| d.contains_key("error")) {
        return Err(refused(resp.status, doc.ok().as_ref(), source).with_provider(provider));
    }
    let doc = doc.map_err(|what| fail(&what))?;
    let token = access_token(&doc).map_err(|what| fail(&what))?;
    let expires_in = expires_in(&doc).map_err(|what| fail(&what))?;
    let expires = now.checked_add(Duration::from_secs(expires_in));
    let expires = expires.ok_or_else(|| fail(&"expires_in overflows the clock"))?;
    Ok(AccessToken {
        token: Secret::new(token),
        expires,
    })
}

/// The body as a JSON object, or why not (without quoting it: it may hold a token).
fn json_object(body: &[u8]) -> std::result::Result<Map<String, Value>, String> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the answer is not a JSON object".into()),
        Err(e) => Err(format!(
            "malformed JSON (line {}, column {})",
            e.line(),
            e.column()
        )),
    }
}

fn access_token(doc: &Map<String, Value>) -> std::result::Result<String, &'static str> {
    let token = match doc.get("access_token") {
        Some(Value::String(t)) if !t.is_empty() => t,
        Some(_) => return Err("access_token is empty or not a string"),
        None => return Err("access_token is missing"),
    };
    // It goes into a header: visible ASCII, bounded.
    if token.len() > MAX_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("access_token is not visible ASCII or is too long");
    }
    match doc.get("token_type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => Ok(token.clone()),
        Some(_) => Err("token_type is not Bearer"),
        None => Err("token_type is missing"),
    }
}

fn expires_in(doc: &Map<String, Value>) -> std::result::Result<u64, &'static str> {
    match doc.get("expires_in").map(Value::as_u64) {
        Some(Some(s)) if (1..=MAX_EXPIRES_IN).contains(&s) => Ok(s),
        Some(_) => Err("expires_in is not a whole number of seconds from 1 to 12 hours"),
        None => Err("expires_in is missing"),
    }
}

/// The error a refusal stands for, with the server's `error` as code and its
/// `error_description` (cut short, control characters dropped) in the message.
fn refused(status: u16, doc: Option<&Map<String, Value>>, source: &str) -> Error {
    let field = |name: &str| doc.and_then(|d| d.get(name)).and_then(Value::as_str);
    let code = field("error").filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_graphic()));
    let description: String = field("error_description")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let message = match description.is_empty() {
        true => format!("token from {source} refused"),
        false => format!("token from {source} refused: {description}"),
    };
    let e = Error::new(refusal_kind(status), message)
        .with_provider("gcp")
        .with_status(status);
    match code {
        Some(c) => e.with_code(c),
        None => e,
    }
}

/// Too many requests are retried later, server errors retried; the rest is a refusal.
fn refusal_kind(status: u16) -> ErrorKind {
    match status {
        429 => ErrorKind::RateLimited,
        500.. => ErrorKind::Provider,
        _ => ErrorKind::Unauthorized,
    }
}

fn parse_error(source: &str, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Parse, format!("token from {source}: {what}")).with_provider("gcp")
}

/// Scopes go into a signed JSON claim: visible ASCII words separated by spaces.
pub(crate) fn check_scope(scope: &str) -> Result<()> {
    let ok = !scope.trim().is_empty() && scope.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    match ok {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "OAuth scope {scope:.80?} is not valid"
        ))),
    }
}

fn unix_seconds(now: SystemTime) -> Result<u64> {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::invalid("JWT assertion: the clock is before 1970"))
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An `application/x-www-form-urlencoded` body.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
        .collect();
    encoded.join("&")
}

pub(crate) fn form_post(url: &str, body: String) -> Request {
    let mut r = Request::new(Method::Post, url)
        .header("content-type", FORM)
        .body(body);
    // Asking for a token twice is harmless.
    r.idempotent = true;
    r
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
