//! The HTTP contract between the sans-IO core and each mode's transport: requests and
//! responses as plain data, the transport's settings, and failure classification.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::error::{Error, ErrorKind, Result};
use crate::retry::{Outcome, RetryPolicy};

mod pem;
pub mod proxy;

pub use pem::{RootCertificate, certificates_from_pem};
pub use proxy::{NoProxy, Proxies, ProxyChoice, ProxyUrl};

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    /// Whether repeating the request is safe by HTTP semantics (all but POST).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request, built by a provider's core code and sent by a mode's transport.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL (it may carry a presigned signature: never log it whole).
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty for none).
    pub body: Bytes,
    /// Whether the retry policy may repeat it after it may have reached the server.
    pub idempotent: bool,
    /// A data transfer: no whole-request timeout, only the stall timeout.
    pub transfer: bool,
}

impl Request {
    /// A request with no headers and no body; idempotent as its method is.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Bytes::new(),
            idempotent: method.is_idempotent(),
            transfer: false,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Marks the request as a data transfer (see [`TransportConfig::stall_timeout`]).
    pub fn transfer(mut self) -> Self {
        self.transfer = true;
        self
    }

    /// Host and path, without user info or query: what spans and errors may show.
    pub fn redacted_target(&self) -> (String, String) {
        match url::Url::parse(&self.url) {
            Ok(u) => {
                let host = match (u.host_str(), u.port()) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.to_owned(),
                    _ => String::new(),
                };
                (host, u.path().to_owned())
            }
            Err(_) => (String::new(), String::from("<invalid url>")),
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (host, path) = self.redacted_target();
        // Header values may be signatures or tokens: show names only.
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("host", &host)
            .field("path", &path)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Response headers: the `http` crate's map, taken over from the HTTP client as it is
/// (no copy).
pub type HeaderMap = ::http::HeaderMap;

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// The first value of a header as text (name matched case-insensitively); `None` when
/// absent or not visible ASCII.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Builds a header map from pairs (tests and fakes); invalid names or values are skipped.
pub fn header_map<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (
            ::http::header::HeaderName::from_bytes(k.as_bytes()),
            ::http::header::HeaderValue::from_str(v),
        ) {
            map.append(k, v);
        }
    }
    map
}

impl Response {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_str(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Settings of a mode's HTTP transport.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Limit for opening a connection (TCP + TLS). Default 10 s.
    pub connect_timeout: Duration,
    /// Limit for a whole small call (not transfers). Default 60 s.
    pub request_timeout: Duration,
    /// A transfer fails when no byte moves for this long; one that keeps moving never
    /// times out. Default 30 s.
    pub stall_timeout: Duration,
    /// When to retry.
    pub retry: RetryPolicy,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The largest response body read into memory (listings, error bodies, small answers);
    /// a larger one fails the call with a `Provider` error instead of filling memory.
    /// Streamed downloads are not capped. Default 32 MiB.
    pub max_response_body: usize,
    /// Root certificates trusted besides the built-in (Mozilla) roots, for servers with a
    /// private CA. Add them with [`add_root_certificates_pem`](Self::add_root_certificates_pem).
    pub extra_roots: Vec<RootCertificate>,
    /// Which proxies requests go through (default: the environment's, see
    /// [`http::proxy`](crate::http::proxy)); both modes decide the same way.
    pub proxy: ProxyChoice,
    /// Idle connections kept per host for reuse. Default 64: at least the concurrency
    /// you run, or each burst opens new connections (ureq's own default is 3).
    pub idle_connections_per_host: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: concat!("multicloud/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_body: 32 << 20,
            extra_roots: Vec::new(),
            proxy: ProxyChoice::Environment,
            idle_connections_per_host: 64,
        }
    }
}

impl TransportConfig {
    /// Sets how many idle connections per host are kept for reuse.
    pub fn idle_connections_per_host(mut self, n: usize) -> Self {
        self.idle_connections_per_host = n;
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Sets the whole-request timeout of small calls.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// Sets the stall timeout of transfers.
    pub fn stall_timeout(mut self, d: Duration) -> Self {
        self.stall_timeout = d;
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Trusts the certificates of a PEM text (one or more `CERTIFICATE` blocks) as roots,
    /// besides the built-in ones. `InvalidInput` for PEM without certificates or with
    /// broken blocks; a block that is not a usable certificate fails when the client is
    /// built (`HttpClient::new`, the drivers' constructors), also `InvalidInput`.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self> {
        self.extra_roots.extend(certificates_from_pem(pem)?);
        Ok(self)
    }

    /// Sends every request through `proxy` (`http://[user:password@]host:port`) but those
    /// to the `no_proxy` hosts (the `NO_PROXY` syntax, see [`NoProxy`]; `""` for none),
    /// whatever the environment says. The password never shows in `Debug` or errors.
    pub fn proxy(mut self, proxy: &str, no_proxy: &str) -> Result<Self> {
        let proxies = Proxies::all(ProxyUrl::parse(proxy)?, NoProxy::parse(no_proxy));
        self.proxy = ProxyChoice::Explicit(proxies);
        Ok(self)
    }

    /// Connects directly, ignoring any proxy variable.
    pub fn without_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::Direct;
        self
    }

    /// Sets the cap on response bodies read into memory.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }
}

/// One failed attempt, as a transport reports it.
#[derive(Debug)]
pub struct SendFailure {
    /// The error to report if we give up.
    pub error: Error,
    /// True when the connection was never established, so the request was never sent.
    pub connect_failed: bool,
    /// True when retrying cannot help (a request that cannot be sent as signed, an answer
    /// over the size cap).
    pub fatal: bool,
}

impl SendFailure {
    /// A failure before the request was sent.
    pub fn connect(error: Error) -> Self {
        SendFailure {
            error,
            connect_failed: true,
            fatal: false,
        }
    }

    /// A failure after the request may have been sent.
    pub fn interrupted(error: Error) -> Self {
        SendFailure {
            error,
            connect_failed: false,
            fatal: false,
        }
    }

    /// An answer larger than [`TransportConfig::max_response_body`] (`max` bytes): a
    /// `Provider` error no retry can fix. Both transports report it through this.
    pub fn over_cap(req: &Request, max: u64) -> Self {
        let why =
            format!("the answer is larger than {max} bytes (TransportConfig::max_response_body)");
        Self::fatal(transport_error(ErrorKind::Provider, req, why))
    }

    /// A failure no retry can fix.
    pub fn fatal(error: Error) -> Self {
        SendFailure {
            error,
            connect_failed: false,
            fatal: true,
        }
    }

    /// What the retry policy should consider.
    pub fn outcome(&self) -> Outcome {
        if self.connect_failed {
            Outcome::ConnectFailed
        } else {
            Outcome::Interrupted
        }
    }
}

/// Builds the error of a failed attempt with the redacted target in its message.
pub fn transport_error(kind: ErrorKind, req: &Request, what: impl fmt::Display) -> Error {
    let (host, path) = req.redacted_target();
    Error::new(kind, format!("{} {host}{path}: {what}", req.method))
}

/// Refuses a URL whose path has a dot segment (`.`, `..`, or their `%2e` spellings):
/// URL parsers (the async client's among them) remove those before sending, so the request
/// would reach another path than the one built and signed. Both transports check every
/// request with it.
pub fn check_path_is_sent_as_built(req: &Request) -> Result<(), SendFailure> {
    let after_scheme = req.url.split_once("://").map_or("", |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.split('/').any(is_dot_segment) {
        return Err(SendFailure::fatal(transport_error(
            ErrorKind::InvalidInput,
            req,
            "the path has a '.' or '..' segment, which HTTP clients rewrite: the request would \
             reach another resource than the one signed",
        )));
    }
    Ok(())
}

/// `.` or `..`, in any of the spellings the URL standard treats as such (`%2e`, either
/// case, for any dot). Runs on every request: no allocation.
pub fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() && dots < 3 {
        rest = match rest {
            [b'.', tail @ ..] => tail,
            [b'%', b'2', e, tail @ ..] if e.eq_ignore_ascii_case(&b'e') => tail,
            _ => return false,
        };
        dots += 1;
    }
    rest.is_empty() && (dots == 1 || dots == 2)
}

/// The error for a body read that failed after `received` of `expected` bytes. One table
/// for both modes (ureq reports a reset as an early end, hyper as a reset, so the two are
/// one kind): a stall is `Timeout`; a body cut short, by a close or a reset, is
/// `Transport` (transient: worth retrying); a body longer than announced is `Integrity`.
pub fn body_error(io: std::io::ErrorKind, received: u64, expected: u64, what: &str) -> Error {
    let (kind, why) = match io {
        std::io::ErrorKind::TimedOut => (ErrorKind::Timeout, "the transfer stalled".to_owned()),
        _ if received > expected => (
            ErrorKind::Integrity,
            format!("the body is longer than the {expected} bytes announced"),
        ),
        _ => (
            ErrorKind::Transport,
            format!("the connection ended after {received} of {expected} bytes ({io})"),
        ),
    };
    Error::new(kind, format!("{what}: {why}"))
}

/// Counts a body's bytes against the length it must have, turning a short, long or broken
/// body into the error [`body_error`] gives. Each mode's reader wraps its body in one.
#[derive(Debug)]
pub struct LengthCheck {
    expected: u64,
    received: u64,
    provider: &'static str,
    /// Container and object, named in errors (formatted only on failure: this runs on
    /// every download).
    names: (String, String),
}

impl LengthCheck {
    /// A check for the body of object `name` in `container`, of exactly `expected` bytes.
    pub fn new(expected: u64, provider: &'static str, container: &str, name: &str) -> Self {
        LengthCheck {
            expected,
            received: 0,
            provider,
            names: (container.to_owned(), name.to_owned()),
        }
    }

    /// Passes one read's result through: `Ok(0)` before the end, bytes past the end, or
    /// an error become the typed error (inside an `io::Error`).
    pub fn on_read(&mut self, read: std::io::Result<usize>) -> std::io::Result<usize> {
        match read {
            Ok(0) if self.received != self.expected => {
                Err(self.fail(std::io::ErrorKind::UnexpectedEof))
            }
            Ok(n) => {
                self.received += n as u64;
                if self.received > self.expected {
                    return Err(self.fail(std::io::ErrorKind::InvalidData));
                }
                Ok(n)
            }
            Err(e) => Err(self.fail(e.kind())),
        }
    }

    fn fail(&self, kind: std::io::ErrorKind) -> std::io::Error {
        let (container, name) = &self.names;
        let what = format!("reading {name:?} in {container:?}");
        let e = body_error(kind, self.received, self.expected, &what);
        e.with_provider(self.provider).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_lengths_are_checked_with_one_kind_table() {
        use std::io::{Error as E, ErrorKind as Io};
        let kind = |r: std::io::Result<usize>| crate::Error::from(r.unwrap_err()).kind();
        let mut c = LengthCheck::new(10, "s3", "b", "k");
        assert_eq!(c.on_read(Ok(4)).unwrap(), 4);
        assert_eq!(kind(c.on_read(Ok(0))), ErrorKind::Transport);
        assert_eq!(kind(c.on_read(Ok(7))), ErrorKind::Integrity);
        let mut c = LengthCheck::new(10, "s3", "b", "k");
        assert_eq!(
            kind(c.on_read(Err(E::from(Io::TimedOut)))),
            ErrorKind::Timeout
        );
        assert_eq!(
            kind(c.on_read(Err(E::from(Io::ConnectionReset)))),
            ErrorKind::Transport
        );
        assert_eq!(
            kind(c.on_read(Err(E::from(Io::UnexpectedEof)))),
            ErrorKind::Transport
        );
        let e = crate::Error::from(c.on_read(Err(E::from(Io::Other))).unwrap_err());
        assert_eq!(e.provider(), Some("s3"));
        let mut c = LengthCheck::new(3, "s3", "b", "k");
        assert_eq!(c.on_read(Ok(3)).unwrap(), 3);
        assert_eq!(c.on_read(Ok(0)).unwrap(), 0);
    }

    /// Why dot segments are refused rather than encoded: the URL parser the async client
    /// uses removes `%2E%2E` exactly like `..`, so no spelling reaches the server intact.
    #[test]
    fn the_url_parser_rewrites_every_spelling_of_dot_segments() {
        for path in ["/b/../k", "/b/%2E%2E/k", "/b/.%2e/k", "/b/%2e/../k"] {
            let u = url::Url::parse(&format!("http://h{path}")).unwrap();
            assert_ne!(u.path(), path, "{path} survived");
        }
    }

    #[test]
    fn dot_segments_are_refused_in_every_spelling() {
        for url in [
            "http://h/b/../k",
            "http://h/b/./k",
            "http://h/b/%2E%2E/k",
            "http://h/b/.%2e",
            "http://h/b/%2e?x=1",
        ] {
            let r = Request::new(Method::Get, url);
            let f = check_path_is_sent_as_built(&r).unwrap_err();
            assert!(
                f.fatal && f.error.kind() == ErrorKind::InvalidInput,
                "{url}"
            );
        }
        for url in [
            "http://h/b/..k",
            "http://h/b/k.",
            "http://h/b/%252E%252E",
            "http://h/b?p=/../",
        ] {
            let r = Request::new(Method::Get, url);
            assert!(check_path_is_sent_as_built(&r).is_ok(), "{url}");
        }
    }

    #[test]
    fn debug_and_targets_hide_query_userinfo_and_header_values() {
        let r = Request::new(
            Method::Get,
            "https://user:pw@h.example:8443/b/k?X-Amz-Signature=deadbeef",
        )
        .header("authorization", "AWS4-HMAC-SHA256 Credential=secretstuff");
        assert_eq!(
            r.redacted_target(),
            ("h.example:8443".to_owned(), "/b/k".to_owned())
        );
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("deadbeef") && !shown.contains("secretstuff") && !shown.contains("pw")
        );
        assert!(shown.contains("authorization"));
    }

    #[test]
    fn only_post_is_not_idempotent() {
        assert!(!Request::new(Method::Post, "http://x/").idempotent);
        for m in [Method::Get, Method::Head, Method::Put, Method::Delete] {
            assert!(Request::new(m, "http://x/").idempotent);
        }
    }
}
