//! SigV4 encoders and canonicalisation (`signing::sigv4`), and both signing styles over
//! any request.
//!
//! Input: NUL-separated fields — method, path, query (`&`-separated `name=value`),
//! headers (`\n`-separated `name:value`), region, service, key id, secret, session token,
//! seconds since 1970 (decimal, capped below the year 10000). Properties: encodings keep
//! only unreserved bytes and `%XX` and decode back to their input; canonical headers are
//! lowercased, sorted and unique; signing is deterministic, its signature 64 hex digits,
//! and `Debug` of the result never shows the secret, the token or the signature.

use std::time::{Duration, SystemTime};

use multicloud::Credentials;
use multicloud::signing::sigv4::{self as v4, Options, Scope, Signed, Unsigned};

use super::{assert_bounded, fields, text};

/// Latest time tried: 9999-12-31T23:59:59Z (`time`'s default range ends there).
pub const MAX_SECS: u64 = 253_402_300_799;

/// An input for [`run`].
pub fn input(fields: &[&str; 10]) -> Vec<u8> {
    fields.join("\0").into_bytes()
}

/// The target.
pub fn run(data: &[u8]) {
    let f = fields::<10>(data, 0).map(text);
    let [
        method,
        path,
        query,
        headers,
        region,
        service,
        key_id,
        secret,
        token,
        secs,
    ] = &f;
    encoders(path);
    encoders(query);
    let query = pairs(query, '&', '=');
    let mut headers = pairs(headers, '\n', ':');
    headers.push(("host".into(), "example.test".into()));
    canonical(&query, &headers, data.len());
    let mut credentials = Credentials::new(key_id.clone(), secret.clone());
    if !token.is_empty() {
        credentials = credentials.with_session_token(token.clone());
    }
    let secs = secs.trim().parse::<u64>().unwrap_or(1_440_938_160) % (MAX_SECS + 1);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let scope = Scope {
        credentials: &credentials,
        region,
        service,
        key_cache: None,
    };
    let req = Unsigned {
        method,
        path,
        query: &query,
        headers: &headers,
        payload_hash: v4::UNSIGNED_PAYLOAD,
    };
    // The same request signed with other secrets: what its `Debug` shows is not secret.
    let stand_in = stand_in(&credentials);
    let other = Scope {
        credentials: &stand_in,
        ..scope
    };
    for opts in [Options::S3, options(data.len())] {
        let signed = v4::sign_headers(scope, &req, now, opts);
        assert_eq!(
            signed,
            v4::sign_headers(scope, &req, now, opts),
            "not deterministic"
        );
        assert!(signed.authorization().is_some());
        let public = format!("{:?}", v4::sign_headers(other, &req, now, opts));
        signature(&signed, &credentials, &public);
        let presigned = v4::sign_query(scope, &req, now, 600, opts);
        assert_eq!(
            presigned.query.last().map(|(k, _)| k.as_str()),
            Some("X-Amz-Signature")
        );
        let public = format!("{:?}", v4::sign_query(other, &req, now, 600, opts));
        signature(&presigned, &credentials, &public);
    }
}

/// `credentials` with another secret and token (a token still when there is one).
fn stand_in(credentials: &Credentials) -> Credentials {
    let key_id = credentials.key_id.clone();
    let other = Credentials::new(key_id, "\u{1}");
    match credentials.session_token {
        Some(_) => other.with_session_token("\u{2}"),
        None => other,
    }
}

/// The options other than S3's, picked by the input.
fn options(n: usize) -> Options {
    Options {
        normalize_path: n & 1 == 0,
        sign_session_token: n & 2 == 0,
        content_sha256_header: n & 4 == 0,
    }
}

/// `a=b&c=d` (or `a:b\nc:d`) as pairs.
fn pairs(s: &str, sep: char, kv: char) -> Vec<(String, String)> {
    s.split(sep)
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once(kv).unwrap_or((p, "")))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn encoders(s: &str) {
    for (encoded, keeps_slash) in [(v4::encode(s), false), (v4::encode_path(s), true)] {
        let clean = encoded.bytes().all(|b| {
            b.is_ascii_alphanumeric() || b"-_.~%".contains(&b) || (keeps_slash && b == b'/')
        });
        assert!(clean, "{encoded:?}");
        let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8();
        assert_eq!(decoded.as_deref(), Ok(s), "round trip");
        assert!(encoded.len() <= 3 * s.len());
    }
    assert_eq!(v4::canonical_uri(s, false), v4::encode_path(s));
    let normalised = v4::canonical_uri(s, true);
    assert!(normalised.starts_with('/'));
    assert!(!normalised.contains("//"), "{normalised:?}");
    assert!(normalised.len() <= 3 * s.len() + 1);
}

fn canonical(query: &[(String, String)], headers: &[(String, String)], n: usize) {
    let q = v4::canonical_query(query);
    assert_bounded("canonical query", q.len(), n);
    let (block, signed) = v4::canonical_headers(headers);
    assert!(
        !signed.bytes().any(|b| b.is_ascii_uppercase()),
        "{signed:?}"
    );
    // One line per distinct name (no name or value holds a newline here).
    let mut names: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(block.matches('\n').count(), names.len());
    assert_eq!(signed, names.join(";"), "sorted, unique, lowercased");
    assert_bounded("canonical headers", block.len(), n + 32);
}

/// `signed` is well formed and its `Debug` shows no secret, unless the same text shows
/// where no secret is: in `public`, the `Debug` of the request signed with other secrets
/// (a secret that happens to be `ignature` matches the field name `signature`).
fn signature(signed: &Signed, credentials: &Credentials, public: &str) {
    assert_eq!(signed.signature.len(), 64);
    assert!(signed.signature.bytes().all(|b| b.is_ascii_hexdigit()));
    let shown = format!("{signed:?}");
    assert!(!shown.contains(&signed.signature), "signature in Debug");
    let secrets = [
        Some(credentials.secret.expose()),
        credentials.session_token.as_ref().map(|t| t.expose()),
    ];
    for secret in secrets.into_iter().flatten() {
        let elsewhere = signed.string_to_sign.contains(secret)
            || signed
                .headers
                .iter()
                .chain(&signed.query)
                .any(|(k, _)| k.contains(secret))
            || public.contains(secret);
        assert!(
            elsewhere || !shown.contains(secret),
            "a secret in Debug: {shown}"
        );
    }
}
