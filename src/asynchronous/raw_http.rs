//! The async transport: one pooled `reqwest::Client` with rustls on ring (no aws-lc-rs,
//! no native TLS).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::Stream;

use super::rt::ObjectReader;
use crate::error::ErrorKind;
use crate::http::{Request, Response, SendFailure, TransportConfig, transport_error};

/// Response headers as pairs.
type Headers = crate::http::HeaderMap;

/// Status, headers and a body still to be read.
pub(crate) type Streaming = (u16, Headers, ObjectReader);

/// One attempt, no retries: the retry loop lives in the shared shell.
#[derive(Debug, Clone)]
pub(crate) struct RawClient {
    client: reqwest::Client,
    request_timeout: Duration,
    stall_timeout: Duration,
    max_body: usize,
    /// The caller's client (`from_reqwest_client`): it may follow redirects.
    handed_in: bool,
}

impl crate::asynchronous::http::HttpClient {
    /// A client over the caller's own `reqwest::Client` (its TLS roots, proxy, connect
    /// timeout, pool and user agent), with retries and the other settings from `config`.
    ///
    /// The library still controls, per request: the whole-request timeout of small calls
    /// and the stall watchdog of transfers (`config`'s), and statuses are answers rather
    /// than errors. reqwest sets redirects per client, not per request: build the client
    /// with `redirect(reqwest::redirect::Policy::none())`; an answer that comes from
    /// another URL than the one sent (a followed redirect) is refused as `Transport`, so
    /// a signed request never silently lands elsewhere. `config`'s connect timeout, user
    /// agent, proxy and root settings are not applied: those are the client's.
    pub fn from_reqwest_client(client: reqwest::Client, config: TransportConfig) -> Self {
        let raw = RawClient {
            client,
            request_timeout: config.request_timeout,
            stall_timeout: config.stall_timeout,
            max_body: config.max_response_body,
            handed_in: true,
        };
        Self::from_raw(raw, config)
    }
}

impl RawClient {
    pub(crate) fn new(config: &TransportConfig) -> crate::Result<Self> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(&config.extra_roots)?)
            .connect_timeout(config.connect_timeout)
            // No client read timeout: reqwest starts it once per request and does not reset
            // it while a body uploads, so slow but steady uploads would fail. Transfers get
            // our own stall watchdog instead (`stall`), small calls a whole-call limit.
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.idle_connections_per_host.max(1))
            .user_agent(config.user_agent.clone());
        let client = with_proxies(client, config)?.build().map_err(|e| {
            crate::Error::new(ErrorKind::Transport, "cannot build the HTTP client")
                .with_source(e.without_url())
        })?;
        Ok(RawClient {
            client,
            request_timeout: config.request_timeout,
            stall_timeout: config.stall_timeout,
            max_body: config.max_response_body,
            handed_in: false,
        })
    }

    pub(crate) async fn send_once(&self, req: &Request) -> Result<Response, SendFailure> {
        let mut resp = self.start(req).await?;
        let (status, headers) = status_and_headers(&mut resp);
        let body = self.read_capped(req, resp).await?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Sends and returns as soon as the headers are in; the body streams from the reader.
    pub(crate) async fn send_streaming_once(
        &self,
        req: &Request,
    ) -> Result<Streaming, SendFailure> {
        use futures_util::TryStreamExt;
        let mut resp = self.start(req).await?;
        let (status, headers) = status_and_headers(&mut resp);
        let stream = resp
            .bytes_stream()
            .map_err(|e| std::io::Error::new(io_kind(&e), e.without_url()));
        let stream = StallGuard::new(stream, self.stall_timeout);
        let reader: ObjectReader = Box::pin(tokio_util::io::StreamReader::new(stream));
        Ok((status, headers, reader))
    }

    /// Reads a whole (small) body, up to the size cap; transfers' answers fail on a stall.
    async fn read_capped(
        &self,
        req: &Request,
        mut resp: reqwest::Response,
    ) -> Result<bytes::Bytes, SendFailure> {
        let mut body = bytes::Bytes::new();
        let mut joined: Option<Vec<u8>> = None;
        while let Some(chunk) = self.within_stall(req, resp.chunk()).await? {
            let len = joined.as_ref().map_or(body.len(), Vec::len) + chunk.len();
            if len > self.max_body {
                return Err(SendFailure::over_cap(req, self.max_body as u64));
            }
            match (&mut joined, body.is_empty()) {
                (None, true) => body = chunk,
                (None, false) => joined = Some([&body[..], &chunk[..]].concat()),
                (Some(v), _) => v.extend_from_slice(&chunk),
            }
        }
        Ok(joined.map_or(body, bytes::Bytes::from))
    }

    /// Awaits one step of a transfer's answer, failing if nothing arrives for the stall
    /// timeout (small calls are bounded by their whole-call limit instead).
    async fn within_stall<T>(
        &self,
        req: &Request,
        step: impl Future<Output = reqwest::Result<T>>,
    ) -> Result<T, SendFailure> {
        if !req.transfer {
            return step.await.map_err(|e| classify(req, e));
        }
        match tokio::time::timeout(self.stall_timeout, step).await {
            Ok(r) => r.map_err(|e| classify(req, e)),
            Err(_) => Err(stalled(req, self.stall_timeout)),
        }
    }

    async fn start(&self, req: &Request) -> Result<reqwest::Response, SendFailure> {
        let resp = self.start_any(req).await?;
        if self.handed_in {
            refuse_redirected(req, &resp)?;
        }
        Ok(resp)
    }

    async fn start_any(&self, req: &Request) -> Result<reqwest::Response, SendFailure> {
        crate::http::check_path_is_sent_as_built(req)?;
        let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
            .expect("our methods are valid tokens");
        let mut builder = self.client.request(method, req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !req.transfer {
            if !req.body.is_empty() {
                builder = builder.body(req.body.clone());
            }
            let send = builder.timeout(self.request_timeout).send();
            return send.await.map_err(|e| classify(req, e));
        }
        // A transfer fails only when nothing moves for the stall timeout: the body goes
        // out in chunks that mark progress as the client takes them.
        let progress = Arc::new(Progress::new());
        if !req.body.is_empty() {
            builder = builder
                .header(reqwest::header::CONTENT_LENGTH, req.body.len())
                .body(reqwest::Body::wrap_stream(chunks(
                    req.body.clone(),
                    progress.clone(),
                )));
        }
        let send = std::pin::pin!(builder.send());
        let watchdog = std::pin::pin!(progress.stalled(self.stall_timeout));
        match futures_util::future::select(send, watchdog).await {
            futures_util::future::Either::Left((r, _)) => r.map_err(|e| classify(req, e)),
            futures_util::future::Either::Right(_) => Err(stalled(req, self.stall_timeout)),
        }
    }
}

/// Proxies as the core decides, per URL; reqwest's own reading of the environment off.
fn with_proxies(
    builder: reqwest::ClientBuilder,
    config: &TransportConfig,
) -> crate::Result<reqwest::ClientBuilder> {
    let proxies = config.proxy.resolve()?;
    let builder = builder.no_proxy();
    if proxies.is_empty() {
        return Ok(builder);
    }
    let decide = move |url: &url::Url| proxies.for_url(url.as_str()).map(|p| p.expose().clone());
    Ok(builder.proxy(reqwest::Proxy::custom(decide)))
}

/// An answer from another URL than the one sent: a handed-in client followed a redirect
/// (ours never does). Refused without naming either URL (a query may hold a signature).
fn refuse_redirected(req: &Request, resp: &reqwest::Response) -> Result<(), SendFailure> {
    let sent = url::Url::parse(&req.url).ok();
    if sent.as_ref() == Some(resp.url()) {
        return Ok(());
    }
    Err(SendFailure::interrupted(transport_error(
        ErrorKind::Transport,
        req,
        "the answer came from another URL (the HTTP client followed a redirect; build it \
         with redirect::Policy::none())",
    )))
}

/// Takes the headers over as they are (no copy), leaving the response its body.
fn status_and_headers(resp: &mut reqwest::Response) -> (u16, Headers) {
    (resp.status().as_u16(), std::mem::take(resp.headers_mut()))
}

/// rustls with the built-in (Mozilla) roots and `extra`; a certificate rustls cannot use
/// is `InvalidInput`.
fn tls_config(extra: &[crate::http::RootCertificate]) -> crate::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (n, cert) in extra.iter().enumerate() {
        roots
            .add(rustls::pki_types::CertificateDer::from(cert.der()))
            .map_err(|e| {
                crate::Error::invalid(format!("root certificate {} is not usable: {e}", n + 1))
            })?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::Error::new(ErrorKind::Transport, format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn classify(req: &Request, e: reqwest::Error) -> SendFailure {
    // reqwest's Display would include the URL (and a presigned signature with it).
    let e = e.without_url();
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_builder() {
        ErrorKind::InvalidInput
    } else {
        ErrorKind::Transport
    };
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        error_chain(&e)
    };
    let connect = is_connect_error(&e);
    let err = transport_error(kind, req, what).with_source(e);
    if connect {
        SendFailure::connect(err)
    } else {
        SendFailure::interrupted(err)
    }
}

fn is_connect_error(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_builder()
}

/// The error and its causes, joined: reqwest's own text alone says only "error sending
/// request".
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

fn stalled(req: &Request, stall: Duration) -> SendFailure {
    let what = format!("nothing moved for {stall:?} (the stall timeout)");
    SendFailure::interrupted(transport_error(ErrorKind::Timeout, req, what))
}

/// The I/O kind behind a body error (a reset, a timeout), so both modes classify body
/// failures alike (see `http::body_error`).
fn io_kind(e: &reqwest::Error) -> std::io::ErrorKind {
    if e.is_timeout() {
        return std::io::ErrorKind::TimedOut;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return io.kind();
        }
        cur = err.source();
    }
    std::io::ErrorKind::Other
}

/// When a transfer last moved, for the stall watchdog.
struct Progress {
    base: Instant,
    last: AtomicU64,
}

impl Progress {
    fn new() -> Self {
        Progress {
            base: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = self.base.elapsed().as_millis() as u64;
        self.last.store(now, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.base.elapsed().saturating_sub(last)
    }

    /// Resolves once nothing has moved for `stall`.
    async fn stalled(&self, stall: Duration) {
        loop {
            let idle = self.idle();
            if idle >= stall {
                return;
            }
            tokio::time::sleep(stall - idle).await;
        }
    }
}

/// The body in 64 KiB slices (no copies), each marking progress when the client takes it.
fn chunks(
    body: bytes::Bytes,
    progress: Arc<Progress>,
) -> impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + Sync + 'static {
    const CHUNK: usize = 64 * 1024;
    let len = body.len();
    futures_util::stream::iter((0..len.div_ceil(CHUNK)).map(move |i| {
        progress.touch();
        Ok(body.slice(i * CHUNK..len.min((i + 1) * CHUNK)))
    }))
}

/// A response body stream that fails with `TimedOut` when no chunk arrives for the stall
/// timeout; the timer restarts at every chunk.
struct StallGuard<S> {
    inner: S,
    stall: Duration,
    /// Armed at the first poll: a reader opened and read later must not start stale.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

impl<S> StallGuard<S> {
    fn new(inner: S, stall: Duration) -> Self {
        StallGuard {
            inner,
            stall,
            timer: None,
            done: false,
        }
    }
}

impl<S: Stream<Item = std::io::Result<bytes::Bytes>> + Unpin> Stream for StallGuard<S> {
    type Item = std::io::Result<bytes::Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let deadline = tokio::time::Instant::now() + self.stall;
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            if let Some(timer) = self.timer.as_mut() {
                timer.as_mut().reset(deadline);
            }
            return Poll::Ready(item);
        }
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.as_mut().poll(cx).is_ready() {
            self.done = true;
            let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "the transfer stalled");
            return Poll::Ready(Some(Err(e)));
        }
        Poll::Pending
    }
}
