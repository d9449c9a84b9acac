//! Google Cloud Storage V4 signed URLs (`GOOG4-RSA-SHA256`) with a service account.
//!
//! Pure: the key, the clock and the request are inputs, so Google's conformance suite
//! (`tests/data/gcs-v4/`) checks each step. Signing is split in two, [`prepare`] then
//! [`ToSign::finish`], so a signature made elsewhere (the IAM `signBlob` call, for
//! credentials without a private key) completes a URL the same way [`sign_url`] does.
//!
//! What the canonical form holds: the method; the path (`/bucket/object` in path style,
//! `/object` for virtual-hosted style and bucket-bound hostnames), percent-encoded with `/`
//! kept; the query (the caller's parameters and the `X-Goog-*` ones, encoded, sorted); the
//! headers (names lowercased, values trimmed with inner whitespace runs collapsed, `host`
//! added); the signed header names; the payload, `UNSIGNED-PAYLOAD` unless an
//! `x-goog-content-sha256` header gives its hash.

use std::fmt;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::sigv4;
use crate::error::{Error, Result};
use crate::gcp::service_account::ServiceAccountKey;
use crate::storage::gcs as names;

/// The algorithm name.
pub const ALGORITHM: &str = "GOOG4-RSA-SHA256";

/// The longest validity Google accepts: seven days.
pub const MAX_EXPIRES_SECS: u64 = 7 * 24 * 3600;

/// The payload line when no `x-goog-content-sha256` header is signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The query parameters the signature adds; a caller's parameter may not take their names.
const RESERVED: [&str; 6] = [
    "X-Goog-Algorithm",
    "X-Goog-Credential",
    "X-Goog-Date",
    "X-Goog-Expires",
    "X-Goog-SignedHeaders",
    "X-Goog-Signature",
];

/// Scheme, host and port of a signed URL, kept as written (an explicit `:443` stays in the
/// URL, where `url::Url` would drop it).
///
/// ```
/// use multicloud::signing::gcs_v4::Endpoint;
///
/// let e = Endpoint::parse("storage.googleapis.com:443", "https")?;
/// assert_eq!(e.to_string(), "https://storage.googleapis.com:443");
/// let e = Endpoint::parse("https://storage.googleapis.com", "http")?;
/// assert_eq!((e.scheme(), e.host(), e.port()), ("https", "storage.googleapis.com", None));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Endpoint {
    /// `[scheme://]host[:port][/]`, `default_scheme` when none is written. Only `http` and
    /// `https`; no user, path, query or fragment (`InvalidInput`).
    ///
    /// ```
    /// # use multicloud::signing::gcs_v4::Endpoint;
    /// let e = Endpoint::parse("http://[::1]:4443/", "https")?;
    /// assert_eq!((e.scheme(), e.host(), e.port()), ("http", "[::1]", Some(4443)));
    /// for bad in ["", "ftp://h", "h:", "h:99999", "u@h", "h/p", "h?q", "a:b:c", "[zz]:1"] {
    ///     assert!(Endpoint::parse(bad, "https").is_err(), "{bad:?}");
    /// }
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn parse(text: &str, default_scheme: &str) -> Result<Self> {
        let (scheme, rest) = text.split_once("://").unwrap_or((default_scheme, text));
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let bad = || {
            Error::invalid(format!(
                "signed URL endpoint {text:.100?} is not [scheme://]host[:port]"
            ))
        };
        if !matches!(scheme, "http" | "https") {
            return Err(bad());
        }
        let (host, port) = split_port(authority).ok_or_else(bad)?;
        if !valid_host(host) {
            return Err(bad());
        }
        Ok(Endpoint {
            scheme: scheme.to_owned(),
            host: host.to_owned(),
            port,
        })
    }

    /// The endpoint of a URL such as [`GcsConfig::endpoint`](crate::storage::gcs::GcsConfig);
    /// a URL with a path other than `/`, a user, a query or a fragment is `InvalidInput`.
    ///
    /// ```
    /// # use multicloud::signing::gcs_v4::Endpoint;
    /// let url = url::Url::parse("http://127.0.0.1:9023")?;
    /// assert_eq!(Endpoint::from_url(&url)?.to_string(), "http://127.0.0.1:9023");
    /// assert!(Endpoint::from_url(&url::Url::parse("http://127.0.0.1/base")?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_url(url: &url::Url) -> Result<Self> {
        let plain = url.path() == "/"
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        match (plain, url.host_str()) {
            (true, Some(host)) => Self::parse(host, url.scheme()).map(|e| Endpoint {
                port: url.port(),
                ..e
            }),
            _ => Err(Error::invalid(format!(
                "signed URL endpoint {}://{} must have no path, user, query or fragment",
                url.scheme(),
                url.host_str().unwrap_or("")
            ))),
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, when one is written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `scheme://host[:port]` with `host` in place of the endpoint's host.
    fn base(&self, host: &str) -> String {
        match self.port {
            Some(p) => format!("{}://{host}:{p}", self.scheme),
            None => format!("{}://{host}", self.scheme),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base(&self.host))
    }
}

/// `host[:port]` split, the port checked.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let colon = match authority.rfind(']') {
        Some(close) => authority[close..].find(':').map(|i| close + i),
        None => authority.rfind(':'),
    };
    match colon {
        Some(i) => Some((&authority[..i], Some(authority[i + 1..].parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// A DNS name or an IP address (IPv6 in brackets): nothing that changes the URL's meaning.
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let host_char = |b: u8| b.is_ascii_alphanumeric() || b"-._".contains(&b);
    !host.is_empty() && host.len() <= 253 && host.bytes().all(host_char)
}

/// Where the bucket goes in a signed URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UrlStyle {
    /// `https://storage.googleapis.com/bucket/object`.
    #[default]
    Path,
    /// `https://bucket.storage.googleapis.com/object`. A bucket name with dots does not
    /// match Google's wildcard certificate over https: use path style for those.
    VirtualHosted,
    /// `https://cdn.example.com/object`: a domain that serves the bucket (a CNAME to
    /// `c.storage.googleapis.com`, or a load balancer); the request's endpoint is unused.
    BucketBoundHostname(Endpoint),
}

/// What to sign: the request a holder of the URL may make (see [`prepare`] for an
/// example).
#[derive(Debug, Clone, Copy)]
pub struct UrlToSign<'a> {
    /// `GET`, `HEAD`, `PUT`, `DELETE`, or `POST` (which only starts resumable uploads).
    pub method: &'a str,
    /// The bucket.
    pub bucket: &'a str,
    /// The object; `None` for the bucket itself (a listing).
    pub object: Option<&'a str>,
    /// Scheme, host and port of the storage service (of an emulator, say).
    pub endpoint: &'a Endpoint,
    /// Where the bucket goes.
    pub style: &'a UrlStyle,
    /// Headers the request must carry (signed; `host` is added).
    pub headers: &'a [(String, String)],
    /// Query parameters (decoded), signed and put in the URL.
    pub query: &'a [(String, String)],
    /// How long the URL is valid, from 1 s to [`MAX_EXPIRES_SECS`].
    pub expires_secs: u64,
}

/// A request prepared for signing: what to sign, and what completes the URL.
///
/// ```no_run
/// # use multicloud::signing::gcs_v4::{prepare, Endpoint, UrlStyle, UrlToSign};
/// # let endpoint = Endpoint::parse("storage.googleapis.com", "https")?;
/// # let request = UrlToSign { method: "GET", bucket: "bkt", object: Some("o"),
/// #     endpoint: &endpoint, style: &UrlStyle::Path, headers: &[], query: &[],
/// #     expires_secs: 60 };
/// # fn sign_elsewhere(_: &[u8]) -> Vec<u8> { vec![0; 256] }
/// let to_sign = prepare(&request, "me@project.iam.gserviceaccount.com", std::time::SystemTime::now())?;
/// let signature = sign_elsewhere(to_sign.string_to_sign.as_bytes()); // IAM signBlob, say
/// let url = to_sign.finish(&signature).url;
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToSign {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign (RSA PKCS#1 v1.5 over its SHA-256).
    pub string_to_sign: String,
    /// `scheme://host[:port]/path?query`, without the signature.
    unsigned_url: String,
}

impl ToSign {
    /// The signed URL, given the signature over
    /// [`string_to_sign`](Self::string_to_sign).
    pub fn finish(self, signature: &[u8]) -> SignedUrl {
        let signature = hex::encode(signature);
        SignedUrl {
            url: format!("{}&X-Goog-Signature={signature}", self.unsigned_url),
            canonical_request: self.canonical_request,
            string_to_sign: self.string_to_sign,
            signature,
        }
    }
}

/// A signed URL and the steps that made it. Anyone holding the URL may make the request
/// until it expires, so `Debug` shows only the string to sign.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedUrl {
    /// The URL to hand out.
    pub url: String,
    /// The canonical request.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// The signature, lowercase hex.
    pub signature: String,
}

impl fmt::Debug for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedUrl")
            .field("url", &"***")
            .field("string_to_sign", &self.string_to_sign)
            .finish_non_exhaustive()
    }
}

/// Signs `req` at `now` with a service-account key.
///
/// ```no_run
/// use multicloud::gcp::service_account::ServiceAccountKey;
/// use multicloud::signing::gcs_v4::{sign_url, Endpoint, UrlStyle, UrlToSign};
///
/// let key = ServiceAccountKey::from_json(&std::fs::read("key.json")?)?;
/// let endpoint = Endpoint::parse("https://storage.googleapis.com", "https")?;
/// let request = UrlToSign { method: "GET", bucket: "my-bucket", object: Some("report.pdf"),
///     endpoint: &endpoint, style: &UrlStyle::Path, headers: &[], query: &[],
///     expires_secs: 3600 };
/// let signed = sign_url(&request, &key, std::time::SystemTime::now())?;
/// println!("{}", signed.url);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_url(
    req: &UrlToSign<'_>,
    key: &ServiceAccountKey,
    now: SystemTime,
) -> Result<SignedUrl> {
    let to_sign = prepare(req, &key.client_email, now)?;
    let signature = key.signer().sign(to_sign.string_to_sign.as_bytes())?;
    Ok(to_sign.finish(&signature))
}

/// The canonical request and string to sign of `req` for the account `client_email` at
/// `now`. `InvalidInput` for a method, bucket, object, header, query parameter or
/// validity that cannot make a working URL.
///
/// ```
/// use multicloud::signing::gcs_v4::{prepare, Endpoint, UrlStyle, UrlToSign};
/// use std::time::{Duration, SystemTime};
///
/// let endpoint = Endpoint::parse("storage.googleapis.com", "https")?;
/// let request = UrlToSign { method: "GET", bucket: "bkt", object: Some("o"),
///     endpoint: &endpoint, style: &UrlStyle::VirtualHosted, headers: &[], query: &[],
///     expires_secs: 60 };
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_549_011_600);
/// let to_sign = prepare(&request, "sa@p.iam.gserviceaccount.com", now)?;
/// assert!(to_sign.canonical_request.starts_with("GET\n/o\n"));
/// assert!(to_sign.string_to_sign.starts_with("GOOG4-RSA-SHA256\n20190201T090000Z\n"));
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn prepare(req: &UrlToSign<'_>, client_email: &str, now: SystemTime) -> Result<ToSign> {
    check_request(req)?;
    let (base, host, path) = target(req);
    let mut headers = checked_headers(req.headers)?;
    headers.push(("host".to_owned(), host));
    let payload = payload_line(&headers);
    let (header_block, signed_headers) = sigv4::canonical_headers(&headers);
    let datetime = sigv4::amz_date(now);
    let scope = format!("{}/auto/storage/goog4_request", &datetime[..8]);
    let query = canonical_query(req, client_email, &scope, &datetime, &signed_headers)?;
    let canonical_request = format!(
        "{}\n{path}\n{query}\n{header_block}\n{signed_headers}\n{payload}",
        req.method
    );
    let digest = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    Ok(ToSign {
        string_to_sign: format!("{ALGORITHM}\n{datetime}\n{scope}\n{digest}"),
        unsigned_url: format!("{base}{path}?{query}"),
        canonical_request,
    })
}

/// URL base, `host` header and canonical path. The `host` header has no port: Google's
/// front ends check it without one (the conformance suite signs `localhost` for
/// `localhost:8080`), though the URL keeps it.
fn target(req: &UrlToSign<'_>) -> (String, String, String) {
    let object = req.object.map(sigv4::encode_path).unwrap_or_default();
    let e = req.endpoint;
    match req.style {
        UrlStyle::Path => {
            let path = match req.object {
                Some(_) => format!("/{}/{object}", req.bucket),
                None => format!("/{}", req.bucket),
            };
            (e.to_string(), e.host.clone(), path)
        }
        UrlStyle::VirtualHosted => {
            let host = format!("{}.{}", req.bucket, e.host);
            (e.base(&host), host, format!("/{object}"))
        }
        UrlStyle::BucketBoundHostname(b) => (b.to_string(), b.host.clone(), format!("/{object}")),
    }
}

/// The payload line: the signed `x-goog-content-sha256` value, else `UNSIGNED-PAYLOAD`.
fn payload_line(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-goog-content-sha256"))
        .map_or_else(|| UNSIGNED_PAYLOAD.to_owned(), |(_, v)| v.trim().to_owned())
}

fn canonical_query(
    req: &UrlToSign<'_>,
    client_email: &str,
    scope: &str,
    datetime: &str,
    signed_headers: &str,
) -> Result<String> {
    if client_email.is_empty() || !client_email.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "signed URL: the account's email is not visible ASCII",
        ));
    }
    let added = [
        (RESERVED[0], ALGORITHM.to_owned()),
        (RESERVED[1], format!("{client_email}/{scope}")),
        (RESERVED[2], datetime.to_owned()),
        (RESERVED[3], req.expires_secs.to_string()),
        (RESERVED[4], signed_headers.to_owned()),
    ];
    let mut query = req.query.to_vec();
    query.extend(added.into_iter().map(|(k, v)| (k.to_owned(), v)));
    Ok(sigv4::canonical_query(&query))
}

fn check_request(req: &UrlToSign<'_>) -> Result<()> {
    let method_ok = !req.method.is_empty() && req.method.bytes().all(|b| b.is_ascii_uppercase());
    if !method_ok {
        return Err(Error::invalid(format!(
            "signed URL: method {:.20?} is not valid",
            req.method
        )));
    }
    if !(1..=MAX_EXPIRES_SECS).contains(&req.expires_secs) {
        return Err(Error::invalid(format!(
            "signed URL: validity must be 1 to {MAX_EXPIRES_SECS} seconds, not {}",
            req.expires_secs
        )));
    }
    names::check_bucket_name(req.bucket)?;
    req.object.map_or(Ok(()), names::check_object_name)?;
    check_query(req.query)
}

fn check_query(query: &[(String, String)]) -> Result<()> {
    match query
        .iter()
        .find(|(k, _)| RESERVED.iter().any(|r| r.eq_ignore_ascii_case(k)))
    {
        Some((k, _)) => Err(Error::invalid(format!(
            "signed URL: query parameter {k} is set by the signature"
        ))),
        None => Ok(()),
    }
}

/// The caller's headers, refused when a name could break the canonical form or is
/// `host` (which the URL decides), or a value holds control characters other than tabs.
fn checked_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>> {
    // The suite signs a header named `header/name/with/slash`: names are not held to
    // HTTP's token characters, only kept from breaking the `name:value` lines.
    let name_ok = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    let value_ok = |v: &str| !v.chars().any(|c| c.is_control() && c != '\t');
    for (name, value) in headers {
        if !name_ok(name) || name.eq_ignore_ascii_case("host") || !value_ok(value) {
            return Err(Error::invalid(format!(
                "signed URL: header {name:.64?} is not allowed (host is set from the URL; \
                 names are visible ASCII without `:`, values hold no control characters)"
            )));
        }
    }
    Ok(headers.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::time::Duration;

    const SUITE: &str = include_str!("../../tests/data/gcs-v4/v4_signatures.json");

    /// The one case whose expected canonical request is wrong upstream (tests/data/gcs-v4/
    /// README.txt): it shows the path `/test-bucket/test-object`, but its string to sign
    /// and signature were computed over `/test-object`. Its string to sign and URL are
    /// still compared, and its canonical request with the path corrected.
    const WRONG_CANONICAL_REQUEST: &str = "Universe domain with virtual hosted style";

    fn key() -> ServiceAccountKey {
        ServiceAccountKey::from_json(crate::gcp::TEST_KEY_FILE.as_bytes()).unwrap()
    }

    fn text<'a>(case: &'a Value, name: &str) -> Option<&'a str> {
        case[name].as_str()
    }

    fn pairs(case: &Value, name: &str) -> Vec<(String, String)> {
        let map = case[name].as_object().into_iter().flatten();
        map.map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
            .collect()
    }

    /// The host the suite's clients resolve, in their order of precedence: an explicit
    /// hostname, the client's endpoint, the emulator, the universe domain, the default.
    fn endpoint(case: &Value, scheme: &str) -> Result<Endpoint> {
        let universe = text(case, "universeDomain").map(|u| format!("storage.{u}"));
        let host = ["hostname", "clientEndpoint", "emulatorHostname"]
            .iter()
            .find_map(|name| text(case, name).map(str::to_owned))
            .or(universe)
            .unwrap_or_else(|| "storage.googleapis.com".to_owned());
        Endpoint::parse(&host, scheme)
    }

    fn style(case: &Value, scheme: &str) -> Result<UrlStyle> {
        match text(case, "urlStyle") {
            None | Some("PATH_STYLE") => Ok(UrlStyle::Path),
            Some("VIRTUAL_HOSTED_STYLE") => Ok(UrlStyle::VirtualHosted),
            Some("BUCKET_BOUND_HOSTNAME") => {
                let host = text(case, "bucketBoundHostname").unwrap_or("");
                let bound = Endpoint::parse(host, scheme)?;
                Ok(UrlStyle::BucketBoundHostname(bound))
            }
            Some(other) => Err(Error::invalid(format!("unknown url style {other}"))),
        }
    }

    fn sign_case(case: &Value, key: &ServiceAccountKey) -> Result<SignedUrl> {
        let scheme = text(case, "scheme").unwrap_or("https");
        let (endpoint, style) = (endpoint(case, scheme)?, style(case, scheme)?);
        let (headers, query) = (pairs(case, "headers"), pairs(case, "queryParameters"));
        let req = UrlToSign {
            method: text(case, "method").unwrap_or(""),
            bucket: text(case, "bucket").unwrap_or(""),
            object: text(case, "object"),
            endpoint: &endpoint,
            style: &style,
            headers: &headers,
            query: &query,
            expires_secs: case["expiration"].as_u64().unwrap_or(0),
        };
        let rfc3339 = &time::format_description::well_known::Rfc3339;
        let now = time::OffsetDateTime::parse(text(case, "timestamp").unwrap_or(""), rfc3339)
            .map_err(|_| Error::invalid("the case's timestamp is not RFC 3339"))?;
        sign_url(&req, key, now.into())
    }

    /// What differs from the case's expectations (empty: it passes).
    fn mismatches(case: &Value, key: &ServiceAccountKey) -> Vec<String> {
        let signed = match sign_case(case, key) {
            Ok(s) => s,
            Err(e) => return vec![format!("signing failed: {e}")],
        };
        let want = |name: &str| text(case, name).unwrap_or("").to_owned();
        let mut canonical = want("expectedCanonicalRequest");
        if text(case, "description") == Some(WRONG_CANONICAL_REQUEST) {
            let fixed = canonical.replace("\n/test-bucket/test-object\n", "\n/test-object\n");
            assert_ne!(
                fixed, canonical,
                "the upstream defect changed: review the case"
            );
            canonical = fixed;
        }
        let checks = [
            ("canonical request", &signed.canonical_request, canonical),
            (
                "string to sign",
                &signed.string_to_sign,
                want("expectedStringToSign"),
            ),
            ("url", &signed.url, want("expectedUrl")),
        ];
        let differs = checks.into_iter().filter(|(_, got, want)| *got != want);
        differs
            .map(|(what, got, want)| format!("{what}:\n  got  {got:?}\n  want {want:?}"))
            .collect()
    }

    #[test]
    fn every_conformance_case_signs_as_expected() {
        let suite: Value = serde_json::from_str(SUITE).unwrap();
        let cases = suite["signingV4Tests"].as_array().unwrap();
        assert_eq!(cases.len(), 29, "the suite changed: review the new cases");
        let key = key();
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|case| {
                let m = mismatches(case, &key);
                let name = text(case, "description").unwrap_or("?");
                (!m.is_empty()).then(|| format!("{name}: {}", m.join("\n")))
            })
            .collect();
        let (failed, report) = (failures.len(), failures.join("\n\n"));
        assert!(failures.is_empty(), "{failed} of 29 cases fail:\n{report}");
    }

    const EMAIL: &str = "sa@p.iam.gserviceaccount.com";

    fn simple<'a>(endpoint: &'a Endpoint, style: &'a UrlStyle) -> UrlToSign<'a> {
        UrlToSign {
            method: "GET",
            bucket: "test-bucket",
            object: Some("test-object"),
            endpoint,
            style,
            headers: &[],
            query: &[],
            expires_secs: 10,
        }
    }

    fn invalid(req: UrlToSign<'_>) -> bool {
        let e = prepare(&req, EMAIL, SystemTime::UNIX_EPOCH).err();
        e.map(|e| e.kind()) == Some(crate::ErrorKind::InvalidInput)
    }

    #[test]
    fn requests_that_cannot_make_a_working_url_are_invalid_input() {
        let endpoint = Endpoint::parse("storage.googleapis.com", "https").unwrap();
        let base = simple(&endpoint, &UrlStyle::Path);
        for method in ["get", "", "GET /"] {
            assert!(invalid(UrlToSign { method, ..base }), "{method:?}");
        }
        for bucket in ["Upper", "a/b", "ab"] {
            assert!(invalid(UrlToSign { bucket, ..base }), "{bucket:?}");
        }
        for name in ["", "a/../b", "..", "./a", "a\nb"] {
            let object = Some(name);
            assert!(invalid(UrlToSign { object, ..base }), "{name:?}");
        }
        for secs in [0, MAX_EXPIRES_SECS + 1] {
            assert!(
                invalid(UrlToSign {
                    expires_secs: secs,
                    ..base
                }),
                "{secs}"
            );
        }
        for (k, v) in [("Host", "x"), ("a:b", "x"), ("", "x"), ("a", "x\r\ny: z")] {
            let headers = &[(k.to_owned(), v.to_owned())];
            assert!(invalid(UrlToSign { headers, ..base }), "{k:?}");
        }
        let query = &[("x-goog-signature".to_owned(), "0".to_owned())];
        assert!(invalid(UrlToSign { query, ..base }));
        assert!(prepare(&base, "a b", SystemTime::UNIX_EPOCH).is_err());
        let object = Some("a/.../b.txt");
        let expires_secs = MAX_EXPIRES_SECS;
        assert!(!invalid(UrlToSign {
            object,
            expires_secs,
            ..base
        }));
    }

    #[test]
    fn a_signature_made_elsewhere_completes_the_same_url() {
        let key = key();
        let endpoint = Endpoint::parse("storage.googleapis.com", "https").unwrap();
        let req = simple(&endpoint, &UrlStyle::VirtualHosted);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_549_011_600);
        let to_sign = prepare(&req, &key.client_email, now).unwrap();
        let signature = key
            .signer()
            .sign(to_sign.string_to_sign.as_bytes())
            .unwrap();
        let finished = to_sign.finish(&signature);
        assert_eq!(finished, sign_url(&req, &key, now).unwrap());
        let host = "https://test-bucket.storage.googleapis.com/test-object?";
        assert!(finished.url.starts_with(host), "{}", finished.url);
        let shown = format!("{finished:?}");
        assert!(!shown.contains(&finished.signature), "{shown}");
        assert!(!shown.contains("X-Goog-Signature"), "{shown}");
    }
}
