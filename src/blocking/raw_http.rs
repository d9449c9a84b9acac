//! The blocking transport: one pooled `ureq::Agent` (rustls with ring).

use std::io::Read;

use super::rt::ObjectReader;
use crate::error::{Error, ErrorKind};
use crate::http::{Method, Request, Response, SendFailure, TransportConfig, transport_error};

/// Response headers as pairs.
type Headers = crate::http::HeaderMap;

/// Status, headers and a body still to be read.
pub(crate) type Streaming = (u16, Headers, ObjectReader);

/// One attempt, no retries: the retry loop lives in the shared shell.
#[derive(Debug, Clone)]
pub(crate) struct RawClient {
    agent: ureq::Agent,
    request_timeout: std::time::Duration,
    max_body: u64,
    /// The caller's agent: its settings are not ours, so every request says what the
    /// library needs (see [`HttpClient::from_ureq_agent`]).
    handed_in: Option<std::time::Duration>,
    /// The proxies in force (decided in the core) and ureq's form of each; `None` when no
    /// request can use one (or the agent is the caller's).
    proxies: Option<std::sync::Arc<Routes>>,
}

/// [`Proxies`](crate::http::Proxies) with each proxy already in ureq's form.
#[derive(Debug)]
struct Routes {
    decide: crate::http::Proxies,
    http: Option<ureq::Proxy>,
    https: Option<ureq::Proxy>,
}

impl Routes {
    /// `None` when no request can go through a proxy.
    fn new(config: &TransportConfig) -> crate::Result<Option<std::sync::Arc<Self>>> {
        let decide = config.proxy.resolve()?;
        if decide.is_empty() {
            return Ok(None);
        }
        let convert = |p: &Option<crate::http::ProxyUrl>| -> crate::Result<Option<ureq::Proxy>> {
            let Some(p) = p else { return Ok(None) };
            ureq::Proxy::new(p.expose().as_str())
                .map(Some)
                .map_err(|e| Error::invalid(format!("proxy {p} is not usable: {e}")))
        };
        let (http, https) = (convert(&decide.http)?, convert(&decide.https)?);
        Ok(Some(std::sync::Arc::new(Routes {
            decide,
            http,
            https,
        })))
    }

    /// ureq's proxy for this URL, as the core decides.
    fn for_url(&self, url: &str) -> Option<&ureq::Proxy> {
        let chosen = self.decide.for_url(url)?;
        [
            (&self.decide.http, &self.http),
            (&self.decide.https, &self.https),
        ]
        .into_iter()
        .find(|(d, _)| d.as_ref() == Some(chosen))
        .and_then(|(_, u)| u.as_ref())
    }
}

impl crate::blocking::http::HttpClient {
    /// A client over the caller's own `ureq::Agent` (its TLS roots, proxy, connect timeout,
    /// pool and user agent), with retries and the other settings from `config`.
    ///
    /// The library still controls, per request: no redirect is followed (a signed request
    /// must not go elsewhere), statuses are answers rather than errors, the stall timeout
    /// of `config` applies to every read and write, and small calls get its whole-request
    /// timeout. `config`'s connect timeout, user agent, proxy and root settings are not
    /// applied: those are the agent's.
    pub fn from_ureq_agent(agent: ureq::Agent, config: TransportConfig) -> Self {
        let raw = RawClient {
            agent,
            request_timeout: config.request_timeout,
            max_body: config.max_response_body as u64,
            handed_in: Some(config.stall_timeout),
            proxies: None,
        };
        Self::from_raw(raw, config)
    }
}

impl RawClient {
    pub(crate) fn new(config: &TransportConfig) -> crate::Result<Self> {
        let agent_config = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            // A stall in either direction fails the attempt. The agent is set up for
            // transfers (the hot path); small calls add their whole-request limit.
            .timeout_per_read(Some(config.stall_timeout))
            .timeout_per_write(Some(config.stall_timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_idle_connections_per_host(config.idle_connections_per_host.max(1))
            .max_idle_connections(config.idle_connections_per_host.max(1).saturating_mul(4))
            // Proxies are decided per request from the core's rules, never from ureq's
            // own reading of the environment.
            .proxy(None)
            .user_agent(config.user_agent.as_str())
            .tls_config(tls_config(&config.extra_roots)?)
            .build();
        Ok(RawClient {
            agent: agent_config.into(),
            request_timeout: config.request_timeout,
            max_body: config.max_response_body as u64,
            handed_in: None,
            proxies: Routes::new(config)?,
        })
    }

    pub(crate) fn send_once(&self, req: &Request) -> Result<Response, SendFailure> {
        let (status, headers, body) = self.start(req)?;
        let mut buf = Vec::new();
        if req.method != Method::Head {
            body.into_with_config()
                .limit(u64::MAX)
                .reader()
                .take(self.max_body + 1)
                .read_to_end(&mut buf)
                .map_err(|e| body_error(req, e))?;
            if buf.len() as u64 > self.max_body {
                return Err(SendFailure::over_cap(req, self.max_body));
            }
        }
        Ok(Response {
            status,
            headers,
            body: buf.into(),
        })
    }

    /// Sends and returns as soon as the headers are in; the body streams from the reader.
    pub(crate) fn send_streaming_once(&self, req: &Request) -> Result<Streaming, SendFailure> {
        let (status, headers, body) = self.start(req)?;
        let reader = body.into_with_config().limit(u64::MAX).reader();
        Ok((status, headers, Box::new(BodyErrors(reader))))
    }

    fn start(&self, req: &Request) -> Result<(u16, Headers, ureq::Body), SendFailure> {
        crate::http::check_path_is_sent_as_built(req)?;
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let sent = if req.body.is_empty()
            && matches!(req.method, Method::Get | Method::Head | Method::Delete)
        {
            let r = builder.body(()).map_err(|e| bad_request(req, e))?;
            self.agent.run(self.configure(r, req))
        } else {
            let r = builder
                .body(req.body.as_ref())
                .map_err(|e| bad_request(req, e))?;
            self.agent.run(self.configure(r, req))
        };
        let resp = sent.map_err(|e| classify(req, e))?;
        let status = resp.status().as_u16();
        // Take the headers over as they are: no copy.
        let (parts, body) = resp.into_parts();
        Ok((status, parts.headers, body))
    }

    /// Small calls get a whole-request limit, transfers only the stall timeout; the proxy
    /// the core chose; for a caller's agent, what the library needs (see
    /// `HttpClient::from_ureq_agent`).
    fn configure<B: ureq::AsSendBody>(
        &self,
        r: ureq::http::Request<B>,
        req: &Request,
    ) -> ureq::http::Request<B> {
        let proxy = self.proxies.as_ref().and_then(|p| p.for_url(&req.url));
        if req.transfer && proxy.is_none() && self.handed_in.is_none() {
            return r;
        }
        let mut c = self.agent.configure_request(r);
        if let Some(p) = proxy {
            c = c.proxy(Some(p.clone()));
        }
        let limit = (!req.transfer).then_some(self.request_timeout);
        if let Some(stall) = self.handed_in {
            c = c
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_per_read(Some(stall))
                .timeout_per_write(Some(stall));
        }
        if limit.is_some() || self.handed_in.is_some() {
            c = c.timeout_global(limit);
        }
        c.build()
    }
}

/// ureq's TLS settings: its built-in roots, or those plus `extra` (each checked as rustls
/// would use it, so a broken one is `InvalidInput` here rather than ignored).
fn tls_config(extra: &[crate::http::RootCertificate]) -> crate::Result<ureq::tls::TlsConfig> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    if extra.is_empty() {
        return Ok(TlsConfig::default());
    }
    let mut check = rustls::RootCertStore::empty();
    for (n, cert) in extra.iter().enumerate() {
        check
            .add(rustls::pki_types::CertificateDer::from(cert.der()))
            .map_err(|e| {
                Error::invalid(format!("root certificate {} is not usable: {e}", n + 1))
            })?;
    }
    let builtin = webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter();
    let all = builtin
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .chain(
            extra
                .iter()
                .map(|c| Certificate::from_der(c.der()).to_owned()),
        );
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::from(all))
        .build())
}

/// Body read errors arrive as `io::Error`s that may wrap a `ureq::Error` (a timeout).
fn body_error(req: &Request, e: std::io::Error) -> SendFailure {
    let kind = e.kind();
    let inner = e
        .into_inner()
        .and_then(|inner| inner.downcast::<ureq::Error>().ok());
    let mut failure = match inner {
        Some(u) => classify(req, *u),
        None if kind == std::io::ErrorKind::TimedOut => {
            SendFailure::interrupted(transport_error(ErrorKind::Timeout, req, "timed out"))
        }
        None => SendFailure::interrupted(transport_error(
            ErrorKind::Transport,
            req,
            format!("reading the body: {kind}"),
        )),
    };
    // The request was sent: whatever broke, it broke after connecting.
    failure.connect_failed = false;
    failure
}

fn bad_request(req: &Request, e: impl std::fmt::Display) -> SendFailure {
    SendFailure::connect(transport_error(
        ErrorKind::InvalidInput,
        req,
        format!("cannot build request: {e}"),
    ))
}

fn classify(req: &Request, e: ureq::Error) -> SendFailure {
    use ureq::Error as E;
    match e {
        E::Timeout(t) => {
            let err = transport_error(ErrorKind::Timeout, req, format!("timed out ({t})"));
            if t == ureq::Timeout::Connect || t == ureq::Timeout::Resolve {
                SendFailure::connect(err)
            } else {
                SendFailure::interrupted(err)
            }
        }
        E::HostNotFound => {
            SendFailure::connect(transport_error(ErrorKind::Transport, req, "host not found"))
        }
        E::ConnectionFailed => SendFailure::connect(transport_error(
            ErrorKind::Transport,
            req,
            "connection failed",
        )),
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => SendFailure::connect(
            transport_error(ErrorKind::Transport, req, "connection refused"),
        ),
        E::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            SendFailure::interrupted(transport_error(ErrorKind::Timeout, req, "timed out"))
        }
        // BadUri and friends would echo the URL (and a presigned signature with it).
        E::BadUri(_) | E::Http(_) => {
            SendFailure::connect(transport_error(ErrorKind::InvalidInput, req, "invalid URL"))
        }
        other => {
            let err: Error = transport_error(ErrorKind::Transport, req, describe(&other));
            SendFailure::interrupted(err)
        }
    }
}

/// The error's text, unless it is a variant that may carry the URL.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Protocol(p) => format!("protocol error: {p}"),
        _ => "connection error".to_owned(),
    }
}

/// Gives body read errors a plain kind: a stall becomes `TimedOut` and a reset
/// `ConnectionReset` even when ureq wraps them, so both modes classify body failures
/// alike (see `http::body_error`).
struct BodyErrors<R>(R);

impl<R: Read> Read for BodyErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(plain_kind)
    }
}

fn plain_kind(e: std::io::Error) -> std::io::Error {
    let kind = match e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        Some(ureq::Error::Timeout(_)) => std::io::ErrorKind::TimedOut,
        Some(ureq::Error::Io(io)) => io.kind(),
        _ => return e,
    };
    std::io::Error::new(kind, "reading the body failed")
}
