//! AWS Signature Version 4: header signing and query (presigned URL) signing.
//!
//! Every function here is pure: time, credentials and the request are inputs, so the
//! public AWS test suites can check each step (canonical request, string to sign,
//! signature).

use std::fmt::Write as _;
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::credentials::Credentials;

/// The algorithm name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The SHA-256 of an empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload hash that tells S3 the body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Everything but the unreserved characters `A-Z a-z 0-9 - _ . ~` is encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`ENCODE`], but `/` stays (for paths).
const ENCODE_PATH: &AsciiSet = &ENCODE.remove(b'/');

/// URI-encodes a query name or value the SigV4 way.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// URI-encodes a path (its `/` kept) the SigV4 way. For S3 this is both the path sent and
/// the canonical URI.
pub fn encode_path(s: &str) -> String {
    utf8_percent_encode(s, ENCODE_PATH).to_string()
}

/// Who signs, for what scope.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The credentials.
    pub credentials: &'a Credentials,
    /// The region (`us-east-1`).
    pub region: &'a str,
    /// The service (`s3`).
    pub service: &'a str,
    /// Where to keep the derived key between requests (it changes once a day), if anywhere.
    pub key_cache: Option<&'a KeyCache>,
}

/// The last derived signing key and its day. A driver keeps one per credentials, region
/// and service, which saves four HMACs per request.
#[derive(Default)]
pub struct KeyCache(std::sync::Mutex<Option<(String, crate::Secret, [u8; 32])>>);

// The derived key signs anything for a day: it must never print.
impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache(***)")
    }
}

impl KeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn key(&self, scope: Scope<'_>, date: &str) -> [u8; 32] {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let secret = &scope.credentials.secret;
        match &*slot {
            // Refreshed credentials bring a new secret: the key is per secret and day.
            Some((d, s, k)) if d == date && s == secret => *k,
            _ => {
                let k = signing_key(
                    scope.credentials.secret.expose(),
                    date,
                    scope.region,
                    scope.service,
                );
                *slot = Some((date.to_owned(), secret.clone(), k));
                k
            }
        }
    }
}

/// How to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Remove `.`/`..` segments and repeated slashes from the path (every service but S3).
    pub normalize_path: bool,
    /// Sign the session token (header or query parameter). When false, it is added after
    /// signing, as some services want.
    pub sign_session_token: bool,
    /// Add and sign `x-amz-content-sha256` (S3 requires it).
    pub content_sha256_header: bool,
}

impl Options {
    /// What S3 expects: no normalisation, signed token, content hash header.
    pub const S3: Options = Options {
        normalize_path: false,
        sign_session_token: true,
        content_sha256_header: true,
    };
}

/// A request to sign. `path` is the raw (decoded) path; `query` holds decoded pairs.
#[derive(Debug, Clone)]
pub struct Unsigned<'a> {
    /// The method.
    pub method: &'a str,
    /// The raw path, starting with `/`.
    pub path: &'a str,
    /// Decoded query pairs.
    pub query: &'a [(String, String)],
    /// Headers to sign (`host` must be among them).
    pub headers: &'a [(String, String)],
    /// The payload's hex SHA-256, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: &'a str,
}

/// The steps of one signature, kept for tests and debugging.
///
/// The fields hold what the request needs to be accepted — the signature, and the session
/// token inside the canonical request, the headers and the query — so its `Debug` shows
/// only the string to sign and the names of the headers and query parameters.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
    /// Headers to add to the request (header signing), in order.
    pub headers: Vec<(String, String)>,
    /// Query parameters to add to the request (query signing), in order, decoded.
    pub query: Vec<(String, String)>,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(k, _)| k.clone()).collect()
        };
        f.debug_struct("Signed")
            .field("canonical_request", &"***")
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &"***")
            .field("headers", &names(&self.headers))
            .field("query", &names(&self.query))
            .finish()
    }
}

impl Signed {
    /// The `Authorization` header value (header signing only).
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str())
    }
}

/// Signs with an `Authorization` header. Returns the headers to add: `x-amz-date`,
/// `x-amz-content-sha256` and `x-amz-security-token` where the options ask, then
/// `authorization`.
pub fn sign_headers(
    scope: Scope<'_>,
    req: &Unsigned<'_>,
    now: SystemTime,
    opts: Options,
) -> Signed {
    let amz_date = amz_date(now);
    let mut added: Vec<(String, String)> = vec![("x-amz-date".into(), amz_date.clone())];
    if opts.content_sha256_header {
        added.push(("x-amz-content-sha256".into(), req.payload_hash.to_owned()));
    }
    let token = session_token(scope);
    if let (Some(t), true) = (&token, opts.sign_session_token) {
        added.push(("x-amz-security-token".into(), t.clone()));
    }
    let (canonical_headers, signed_headers) = canonical_headers(&joined(req.headers, &added));
    let steps = sign_steps(
        scope,
        &amz_date,
        req,
        req.query,
        &canonical_headers,
        &signed_headers,
        opts,
    );
    if let (Some(t), false) = (token, opts.sign_session_token) {
        added.push(("x-amz-security-token".into(), t));
    }
    added.push((
        "authorization".into(),
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_headers}, Signature={}",
            scope.credentials.key_id, steps.credential_scope, steps.signature
        ),
    ));
    Signed {
        canonical_request: steps.canonical_request,
        string_to_sign: steps.string_to_sign,
        signature: steps.signature,
        headers: added,
        query: Vec::new(),
    }
}

/// Signs with query parameters (a presigned URL valid for `expires_secs`). Returns the
/// parameters to add to the request's query, `X-Amz-Signature` last.
pub fn sign_query(
    scope: Scope<'_>,
    req: &Unsigned<'_>,
    now: SystemTime,
    expires_secs: u64,
    opts: Options,
) -> Signed {
    let amz_date = amz_date(now);
    let (canonical_headers, signed_headers) = canonical_headers(req.headers);
    let mut added: Vec<(String, String)> = vec![
        ("X-Amz-Algorithm".into(), ALGORITHM.into()),
        (
            "X-Amz-Credential".into(),
            format!(
                "{}/{}",
                scope.credentials.key_id,
                credential_scope(&amz_date, scope)
            ),
        ),
        ("X-Amz-Date".into(), amz_date.clone()),
        ("X-Amz-Expires".into(), expires_secs.to_string()),
        ("X-Amz-SignedHeaders".into(), signed_headers.clone()),
    ];
    let token = session_token(scope);
    if let (Some(t), true) = (&token, opts.sign_session_token) {
        added.push(("X-Amz-Security-Token".into(), t.clone()));
    }
    let query = joined(req.query, &added);
    let steps = sign_steps(
        scope,
        &amz_date,
        req,
        &query,
        &canonical_headers,
        &signed_headers,
        opts,
    );
    if let (Some(t), false) = (token, opts.sign_session_token) {
        added.push(("X-Amz-Security-Token".into(), t));
    }
    added.push(("X-Amz-Signature".into(), steps.signature.clone()));
    Signed {
        canonical_request: steps.canonical_request,
        string_to_sign: steps.string_to_sign,
        signature: steps.signature,
        headers: Vec::new(),
        query: added,
    }
}

/// What both signing styles compute the same way.
struct Steps {
    canonical_request: String,
    string_to_sign: String,
    signature: String,
    credential_scope: String,
}

/// Canonical request, string to sign and signature over the given query and headers.
fn sign_steps(
    scope: Scope<'_>,
    amz_date: &str,
    req: &Unsigned<'_>,
    query: &[(String, String)],
    canonical_headers: &str,
    signed_headers: &str,
    opts: Options,
) -> Steps {
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.path, opts.normalize_path),
        canonical_query(query),
        canonical_headers,
        signed_headers,
        req.payload_hash
    );
    let credential_scope = credential_scope(amz_date, scope);
    let string_to_sign = string_to_sign(amz_date, &credential_scope, &canonical_request);
    let signature = signature(scope, amz_date, &string_to_sign);
    Steps {
        canonical_request,
        string_to_sign,
        signature,
        credential_scope,
    }
}

fn session_token(scope: Scope<'_>) -> Option<String> {
    scope
        .credentials
        .session_token
        .as_ref()
        .map(|t| t.expose().to_owned())
}

fn joined(a: &[(String, String)], b: &[(String, String)]) -> Vec<(String, String)> {
    a.iter().chain(b).cloned().collect()
}

/// `20150830T123600Z`.
pub fn amz_date(now: SystemTime) -> String {
    // `OffsetDateTime::from` panics past year 9999; a clock that far off signs as the last
    // representable second (the server will refuse it as skewed) rather than panicking.
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(253_402_300_799) as i64;
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn credential_scope(amz_date: &str, scope: Scope<'_>) -> String {
    format!(
        "{}/{}/{}/aws4_request",
        &amz_date[..8],
        scope.region,
        scope.service
    )
}

fn string_to_sign(amz_date: &str, credential_scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{credential_scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

fn signature(scope: Scope<'_>, amz_date: &str, string_to_sign: &str) -> String {
    let date = &amz_date[..8];
    let key = match scope.key_cache {
        Some(cache) => cache.key(scope, date),
        None => signing_key(
            scope.credentials.secret.expose(),
            date,
            scope.region,
            scope.service,
        ),
    };
    hex::encode(hmac(&key, string_to_sign.as_bytes()))
}

/// The derived key for one day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The canonical URI: the raw path, normalised if asked, URI-encoded with `/` kept.
pub fn canonical_uri(raw_path: &str, normalize: bool) -> String {
    if !normalize {
        return encode_path(raw_path);
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in raw_path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut path = String::from("/");
    path.push_str(&out.join("/"));
    if raw_path.ends_with('/') && !out.is_empty() {
        path.push('/');
    }
    encode_path(&path)
}

/// The canonical query: pairs encoded, sorted by name then value, joined with `&`.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        let _ = write!(out, "{k}={v}");
    }
    out
}

/// The canonical headers block (each line ends in `\n`) and the signed headers list:
/// names lowercased and sorted, values trimmed with inner whitespace runs collapsed,
/// repeated names joined with `,` in order of appearance.
pub fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut merged: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (k, v) in headers {
        let name = k.to_ascii_lowercase();
        let value = collapse_whitespace(v);
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => merged.push((name, value)),
        }
    }
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    let mut block = String::new();
    let mut signed = String::new();
    for (i, (k, v)) in merged.iter().enumerate() {
        let _ = writeln!(block, "{k}:{v}");
        if i > 0 {
            signed.push(';');
        }
        signed.push_str(k);
    }
    (block, signed)
}

fn collapse_whitespace(v: &str) -> String {
    let clean = !v.starts_with(char::is_whitespace)
        && !v.ends_with(char::is_whitespace)
        && !v
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
        && !v.bytes().any(|b| b.is_ascii_whitespace() && b != b' ');
    // Nearly every value is already canonical: copy it as it is.
    if clean {
        return v.to_owned();
    }
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Hex SHA-256 of a payload.
pub fn payload_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn clocks_outside_the_calendar_never_panic() {
        let far = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(400_000_000_000);
        assert_eq!(amz_date(far), "99991231T235959Z");
        let before = SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(10);
        assert_eq!(amz_date(before), "19700101T000000Z");
        assert_eq!(
            amz_date(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160)),
            "20150830T123600Z"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_encodes_and_normalises() {
        assert_eq!(canonical_uri("/example space/", false), "/example%20space/");
        assert_eq!(canonical_uri("//example//", true), "/example/");
        assert_eq!(canonical_uri("/example1/example2/../..", true), "/");
        assert_eq!(canonical_uri("/a/./b/../c", true), "/a/c");
        assert_eq!(canonical_uri("/a//b", false), "/a//b");
        assert_eq!(canonical_uri("/ሴ", false), "/%E1%88%B4");
    }

    #[test]
    fn cached_keys_sign_like_fresh_ones_and_follow_the_date() {
        let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let cache = KeyCache::new();
        let headers = vec![("host".to_owned(), "example.amazonaws.com".to_owned())];
        let req = Unsigned {
            method: "GET",
            path: "/",
            query: &[],
            headers: &headers,
            payload_hash: EMPTY_SHA256,
        };
        let fresh = Scope {
            credentials: &creds,
            region: "us-east-1",
            service: "s3",
            key_cache: None,
        };
        let cached = Scope {
            key_cache: Some(&cache),
            ..fresh
        };
        for day in [0u64, 0, 1, 1, 0] {
            let t = SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(1_440_938_160 + day * 86_400);
            let a = sign_headers(fresh, &req, t, Options::S3);
            let b = sign_headers(cached, &req, t, Options::S3);
            assert_eq!(a.signature, b.signature);
        }
    }

    #[test]
    fn dates_format_as_amz() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(t), "20150830T123600Z");
    }

    #[test]
    fn signed_requests_never_print_their_token_or_signature() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret-key-value")
            .with_session_token("session-token-value");
        let headers = vec![("host".to_owned(), "example.amazonaws.com".to_owned())];
        let req = Unsigned {
            method: "GET",
            path: "/b/k",
            query: &[],
            headers: &headers,
            payload_hash: EMPTY_SHA256,
        };
        let scope = Scope {
            credentials: &creds,
            region: "us-east-1",
            service: "s3",
            key_cache: None,
        };
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        for signed in [
            sign_headers(scope, &req, t, Options::S3),
            sign_query(scope, &req, t, 60, Options::S3),
        ] {
            let shown = format!("{signed:?} {scope:?}");
            assert!(
                shown.contains("x-amz-date") || shown.contains("X-Amz-Date"),
                "{shown}"
            );
            for secret in ["session-token-value", "secret-key-value", &signed.signature] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
    }
}
