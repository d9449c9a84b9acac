//! Azure Storage Shared Key signing for the Blob service, as Microsoft's "Authorize with
//! Shared Key" describes it for service version 2015-02-21 and later: the string to sign,
//! its HMAC-SHA256 under the account key, and the `Authorization` header.
//!
//! Pure: the request (its `x-ms-date` included, see [`x_ms_date`]) is the only input, so the
//! same request always signs the same way and tests can check every step.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// The standard headers signed by value, in string-to-sign order (after the verb).
const STANDARD_HEADERS: [&str; 11] = [
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
];

/// A storage account key, base64-decoded once. Its `Debug` prints `AccountKey(***)`.
///
/// ```
/// use multicloud::signing::azure_sharedkey::AccountKey;
/// let key = AccountKey::from_base64("YXpLZXk=")?;
/// assert_eq!(format!("{key:?}"), "AccountKey(***)");
/// assert!(AccountKey::from_base64("not base64!").is_err());
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKey(Vec<u8>);

impl AccountKey {
    /// Decodes a key as the portal shows it (standard base64 with padding; whitespace
    /// around it is ignored). Anything else is `InvalidInput`, whose message never
    /// quotes the key.
    pub fn from_base64(encoded: &str) -> Result<Self> {
        // The decoder's own error names the offending byte: it must not reach a message.
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| {
            Error::invalid("the Azure account key is not valid base64 (copy it whole)")
        })?;
        if bytes.is_empty() {
            return Err(Error::invalid("the Azure account key is empty"));
        }
        Ok(AccountKey(bytes))
    }

    /// Base64 of HMAC-SHA256 of `message` under this key: a Shared Key or SAS signature.
    pub(crate) fn sign(&self, message: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(message.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

// The key signs anything in the account: it must never print.
impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountKey(***)")
    }
}

/// A request to sign, exactly as it will be sent.
///
/// `url` is the full URL with the path percent-encoded as it goes on the wire (the signed
/// resource is that path, not its decoded form). `headers` are the headers the request
/// carries; `x-ms-date` (or `Date`) and `x-ms-version` must be among them. `content_length`
/// is the body's length, which the transport sends as `Content-Length`.
///
/// ```
/// # use multicloud::signing::azure_sharedkey::Unsigned;
/// let headers = vec![("x-ms-version".to_owned(), "2022-11-02".to_owned())];
/// let req = Unsigned { method: "GET", url: "https://acct.blob.core.windows.net/c/k", headers: &headers, content_length: 0 };
/// assert!(format!("{req:?}").contains("x-ms-version"));
/// ```
#[derive(Clone, Copy)]
pub struct Unsigned<'a> {
    /// The method, uppercase (`GET`).
    pub method: &'a str,
    /// The full URL as sent.
    pub url: &'a str,
    /// The headers, in any order; names in any case.
    pub headers: &'a [(String, String)],
    /// The body's length in bytes.
    pub content_length: u64,
}

// Header values may be secrets (`x-ms-encryption-key`, a SAS in `x-ms-copy-source`): only
// their names print.
impl fmt::Debug for Unsigned<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Unsigned")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("content_length", &self.content_length)
            .finish()
    }
}

/// A signature: the string that was signed and the `Authorization` header value.
///
/// Both hold what a request needs to be accepted (the string to sign carries every
/// `x-ms-*` value), so `Debug` shows neither; read the fields.
///
/// ```
/// # use multicloud::signing::azure_sharedkey::{AccountKey, Unsigned, sign};
/// # let key = AccountKey::from_base64("YXpLZXk=")?;
/// let req = Unsigned { method: "GET", url: "https://acct.blob.core.windows.net/c", headers: &[], content_length: 0 };
/// let signed = sign("acct", &key, &req)?;
/// assert!(!format!("{signed:?}").contains(&signed.authorization));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// The string to sign, for tests and for comparing with the server's when it refuses.
    pub string_to_sign: String,
    /// `SharedKey <account>:<signature>`, the value of the `Authorization` header.
    pub authorization: String,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.string_to_sign.lines().count();
        f.debug_struct("Signed")
            .field("string_to_sign", &format_args!("<{lines} lines>"))
            .field("authorization", &"SharedKey ***")
            .finish()
    }
}

/// Signs `req` for `account` with `key`: the `Authorization` header to add.
///
/// `InvalidInput` when the request cannot be signed as documented: a lowercase or empty
/// method, a URL that does not parse, a signed header given twice (Azure answers 400), a
/// `Content-Length` header that disagrees with `content_length`, a query parameter that
/// is not UTF-8 once decoded or holds a newline.
///
/// ```
/// use multicloud::signing::azure_sharedkey::{AccountKey, Unsigned, sign};
/// let key = AccountKey::from_base64("YXpLZXk=")?;
/// let headers: Vec<(String, String)> = [("date", "Sun, 21 Jun 2020 12:46:19 GMT"), ("x-ms-version", "2024-08-04")]
///     .map(|(k, v)| (k.into(), v.into())).into();
/// let url = "https://account.blob.core.windows.net/path";
/// let signed = sign("account", &key, &Unsigned { method: "GET", url, headers: &headers, content_length: 0 })?;
/// assert_eq!(signed.authorization, "SharedKey account:h9heYMD+ErrcIkJATG97G3L9gwom0TQYx/cEj4lAJG4=");
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn sign(account: &str, key: &AccountKey, req: &Unsigned<'_>) -> Result<Signed> {
    let string_to_sign = string_to_sign(account, req)?;
    let signature = key.sign(&string_to_sign);
    Ok(Signed {
        authorization: format!("SharedKey {account}:{signature}"),
        string_to_sign,
    })
}

/// The string to sign for `req`: the verb, eleven standard header values, the
/// canonicalized `x-ms-*` headers and the canonicalized resource.
///
/// ```
/// use multicloud::signing::azure_sharedkey::{Unsigned, string_to_sign};
/// let headers = vec![("x-ms-date".to_owned(), "Fri, 26 Jun 2015 23:39:12 GMT".to_owned())];
/// let url = "https://myaccount.blob.core.windows.net/mycontainer?restype=container";
/// let sts = string_to_sign("myaccount", &Unsigned { method: "PUT", url, headers: &headers, content_length: 0 })?;
/// assert_eq!(sts, "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\n/myaccount/mycontainer\nrestype:container");
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn string_to_sign(account: &str, req: &Unsigned<'_>) -> Result<String> {
    check_account(account)?;
    check_method(req.method)?;
    let url = url::Url::parse(req.url)
        .map_err(|e| Error::invalid(format!("cannot sign an unparseable URL: {e}")))?;
    let headers = signed_headers(req.headers)?;
    check_content_length(&headers, req.content_length)?;
    let mut out = String::with_capacity(256);
    out.push_str(req.method);
    out.push('\n');
    push_standard_values(&mut out, &headers, req.content_length);
    push_canonical_headers(&mut out, &headers);
    push_canonical_resource(&mut out, account, url.path(), url.query().unwrap_or(""))?;
    Ok(out)
}

/// The `x-ms-date` header value for `now` (`Sun, 21 Jun 2020 12:46:19 GMT`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use multicloud::signing::azure_sharedkey::x_ms_date;
/// let t = UNIX_EPOCH + Duration::from_secs(1_592_743_579);
/// assert_eq!(x_ms_date(t), "Sun, 21 Jun 2020 12:46:19 GMT");
/// ```
pub fn x_ms_date(now: SystemTime) -> String {
    // The formatter panics outside 1970..=9999: a clock that far off signs as the nearest
    // representable second (the server refuses it as skewed) rather than panicking.
    let last = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    httpdate::fmt_http_date(now.clamp(UNIX_EPOCH, last))
}

/// An account name goes into `/account/...` and `SharedKey account:...`: only letters
/// and digits keep both unambiguous.
pub(crate) fn check_account(account: &str) -> Result<()> {
    if account.is_empty() || !account.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(format!(
            "Azure account name {account:?} must be letters and digits"
        )));
    }
    Ok(())
}

/// The verb is signed as sent and must be uppercase.
fn check_method(method: &str) -> Result<()> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(format!(
            "HTTP method {method:?} must be uppercase letters to be signed"
        )));
    }
    Ok(())
}

fn is_signed_header(name: &str) -> bool {
    name.starts_with("x-ms-") || STANDARD_HEADERS.contains(&name)
}

/// The signed headers by lowercase name (sorted, as the canonical form wants). Each may
/// appear once: Azure answers 400 to a duplicated one.
fn signed_headers(headers: &[(String, String)]) -> Result<BTreeMap<String, &str>> {
    let mut map = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !is_signed_header(&name) {
            continue;
        }
        match map.entry(name) {
            Entry::Vacant(slot) => {
                slot.insert(value.as_str());
            }
            Entry::Occupied(slot) => {
                return Err(Error::invalid(format!(
                    "header {} is given twice; Azure refuses a signed header sent more than once",
                    slot.key()
                )));
            }
        }
    }
    Ok(map)
}

/// What is signed must be what the transport sends: the body's length.
fn check_content_length(headers: &BTreeMap<String, &str>, length: u64) -> Result<()> {
    match headers.get("content-length") {
        Some(v) if v.trim().parse::<u64>().ok() != Some(length) => Err(Error::invalid(format!(
            "Content-Length header {v:?} does not match the body's {length} bytes"
        ))),
        _ => Ok(()),
    }
}

/// The eleven standard header values, one per line. Servers see values without the
/// surrounding whitespace HTTP strips, so they are signed trimmed.
fn push_standard_values(out: &mut String, headers: &BTreeMap<String, &str>, length: u64) {
    let has_ms_date = headers.contains_key("x-ms-date");
    for name in STANDARD_HEADERS {
        match name {
            // Since version 2015-02-21 a zero length is signed as an empty line.
            "content-length" if length > 0 => {
                let _ = write!(out, "{length}");
            }
            "content-length" => {}
            // x-ms-date, when present, is the request's time; Date is then signed empty.
            "date" if has_ms_date => {}
            _ => out.push_str(headers.get(name).map_or("", |v| v.trim())),
        }
        out.push('\n');
    }
}

/// `name:value\n` for every `x-ms-*` header, in name order.
fn push_canonical_headers(out: &mut String, headers: &BTreeMap<String, &str>) {
    for (name, value) in headers.iter().filter(|(n, _)| n.starts_with("x-ms-")) {
        out.push_str(name);
        out.push(':');
        push_collapsed(out, value);
        out.push('\n');
    }
}

fn is_linear_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The value trimmed, each run of linear whitespace outside a quoted string replaced by
/// one space (whitespace inside quotes is kept, as the documentation says).
fn push_collapsed(out: &mut String, value: &str) {
    let (mut quoted, mut escaped, mut pending_space) = (false, false, false);
    for c in value.trim_matches(is_linear_whitespace).chars() {
        if !quoted && is_linear_whitespace(c) {
            pending_space = true;
            continue;
        }
        if std::mem::take(&mut pending_space) {
            out.push(' ');
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ => {}
        }
        out.push(c);
    }
}

/// `/account` + the path as sent, then `\nname:v1,v2` per query parameter: names
/// lowercased and sorted, names and values decoded, several values sorted.
fn push_canonical_resource(out: &mut String, account: &str, path: &str, query: &str) -> Result<()> {
    out.push('/');
    out.push_str(account);
    out.push_str(path);
    for (name, mut values) in query_parameters(query)? {
        values.sort();
        let _ = write!(out, "\n{name}:{}", values.join(","));
    }
    Ok(())
}

/// The query's parameters by decoded lowercase name, each with its decoded values.
fn query_parameters(query: &str) -> Result<BTreeMap<String, Vec<String>>> {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_query_part(raw_name, raw_name)?.to_lowercase();
        let value = decode_query_part(raw_value, raw_name)?;
        params.entry(name).or_default().push(value);
    }
    Ok(params)
}

/// Decodes as Azure's own clients do (`+` is a space; a literal plus is sent as `%2B`).
/// A newline would forge a line of the canonical form, so it is refused.
fn decode_query_part(raw: &str, param: &str) -> Result<String> {
    let spaced = raw.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map_err(|_| {
            Error::invalid(format!(
                "query parameter {param:?} is not UTF-8 once decoded"
            ))
        })?;
    if decoded.contains('\n') {
        return Err(Error::invalid(format!(
            "query parameter {param:?} holds a newline, which Shared Key cannot sign"
        )));
    }
    Ok(decoded.into_owned())
}

#[cfg(test)]
#[path = "azure_sharedkey_tests.rs"]
mod tests;
