//! The HTTP client drivers share: one pooled connection per mode, retries through the
//! core's [`RetryPolicy`](crate::retry::RetryPolicy), a `tracing` span per attempt.
//! Compiled twice, once per mode.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

// The I/O extension traits are needed for async calls only.
#[allow(unused_imports)]
use super::rt::{self, ObjectReader, RawClient, ReadExt, maybe_async};
use crate::error::Result;
use crate::http::SendFailure;
pub use crate::http::{Method, Request, Response, TransportConfig};
use crate::retry::{Decision, Outcome, is_retryable_status, server_wait};

/// A pooled HTTP client with timeouts and retries. Cheap to clone (clones share the pool).
///
/// It answers with the final [`Response`] whatever its status (drivers turn provider error
/// bodies into [`Error`](crate::Error)s); it fails only when no response arrived:
/// `Timeout` or `Transport`, after the retries the policy allows.
#[derive(Debug, Clone)]
pub struct HttpClient {
    raw: RawClient,
    config: Arc<TransportConfig>,
    provider: Option<&'static str>,
}

impl HttpClient {
    /// A client with these settings.
    pub fn new(config: TransportConfig) -> Result<Self> {
        Ok(HttpClient {
            raw: RawClient::new(&config)?,
            config: Arc::new(config),
            provider: None,
        })
    }

    /// A client over a raw client built elsewhere (the modes' `from_ureq_agent` /
    /// `from_reqwest_client`).
    pub(crate) fn from_raw(raw: RawClient, config: TransportConfig) -> Self {
        HttpClient {
            raw,
            config: Arc::new(config),
            provider: None,
        }
    }

    /// The same client, naming `provider` in the errors it reports (a driver's own client).
    pub fn for_provider(mut self, provider: &'static str) -> Self {
        self.provider = Some(provider);
        self
    }

    /// The client's settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// Sends `req`, retrying transient failures (connection errors, 408/429/5xx) as the
    /// policy decides, honouring `Retry-After` (else a `RateLimit-Reset` when no request
    /// is left: see [`server_wait`]).
    #[maybe_async]
    pub async fn send(&self, req: &Request) -> Result<Response> {
        self.send_classified(req, |r| r.status).await
    }

    /// [`send`](Self::send), retrying by the status `classify` says an answer stands for:
    /// providers that answer 200 with an error body (S3's CopyObject) pass a function that
    /// reads the body, so such an answer is retried like the 5xx it means.
    #[maybe_async]
    pub async fn send_classified(
        &self,
        req: &Request,
        classify: fn(&Response) -> u16,
    ) -> Result<Response> {
        self.retrying(req, || self.raw.send_once(req), classify)
            .await
    }

    /// Sends `req` and returns once the headers are in, the body streaming from
    /// [`StreamingResponse::body`]. Retries happen only before the body starts; a body that
    /// breaks later fails its reads (a stall with `TimedOut`).
    #[maybe_async]
    pub async fn send_streaming(&self, req: &Request) -> Result<StreamingResponse> {
        self.retrying(
            req,
            || async {
                let (status, headers, body) = self.raw.send_streaming_once(req).await?;
                Ok(StreamingResponse {
                    status,
                    headers,
                    body,
                })
            },
            |r: &StreamingResponse| r.status,
        )
        .await
    }

    /// The retry loop both sends share.
    #[maybe_async]
    async fn retrying<T, F, Fut>(
        &self,
        req: &Request,
        mut once: F,
        classify: fn(&T) -> u16,
    ) -> Result<T>
    where
        T: Answer,
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let started = Instant::now();
        // Parsing the URL for the span costs more than the signing: only when it is seen.
        let target = tracing::enabled!(tracing::Level::DEBUG).then(|| req.redacted_target());
        let (host, path) = match &target {
            Some((h, p)) => (h.as_str(), p.as_str()),
            None => ("", ""),
        };
        let mut attempt = 1;
        loop {
            let span = tracing::debug_span!(
                "http",
                method = req.method.as_str(),
                host,
                path,
                attempt,
                status = tracing::field::Empty,
            );
            let result = rt::in_span(span.clone(), &mut once).await;
            let outcome = match &result {
                Ok(answer) => {
                    span.record("status", answer.status());
                    let status = classify(answer);
                    if !is_retryable_status(status) {
                        return result.map_err(|f| self.named(f.error));
                    }
                    Outcome::Status {
                        status,
                        retry_after: server_wait(|name| answer.header(name), SystemTime::now()),
                    }
                }
                Err(failure) if failure.fatal => return result.map_err(|f| self.named(f.error)),
                Err(failure) => failure.outcome(),
            };
            let decision = self.config.retry.decide(
                attempt,
                outcome,
                req.idempotent,
                started.elapsed(),
                fastrand::f64(),
            );
            match decision {
                Decision::GiveUp => return result.map_err(|f| self.named(f.error)),
                Decision::RetryAfter(wait) => {
                    tracing::debug!(parent: &span, ?wait, "retrying");
                    rt::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }
}

impl HttpClient {
    fn named(&self, e: crate::Error) -> crate::Error {
        match (self.provider, e.provider()) {
            (Some(p), None) => e.with_provider(p),
            _ => e,
        }
    }
}

/// A response whose body streams.
pub struct StreamingResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: crate::http::HeaderMap,
    /// The body, read as it arrives.
    pub body: ObjectReader,
}

impl StreamingResponse {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::header_str(&self.headers, name)
    }

    /// Reads the (small) body of an error answer into a [`Response`], for error parsing:
    /// at most `limit` bytes, and best effort. The status already says what failed, so a
    /// body that breaks, stalls or is cut short is dropped rather than turned into an
    /// error of its own (which would hide the status's meaning).
    #[maybe_async]
    pub async fn into_error_response(self, limit: usize) -> Response {
        let mut body = Vec::new();
        let read = self.body.take(limit as u64).read_to_end(&mut body).await;
        if read.is_err() {
            body.clear();
        }
        Response {
            status: self.status,
            headers: self.headers,
            body: body.into(),
        }
    }
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("headers", &self.headers.len())
            .finish_non_exhaustive()
    }
}

/// One attempt's result. (An alias because `maybe_async` rewrites `Fut` into a single
/// path segment.)
type Attempt<T> = std::result::Result<T, SendFailure>;

/// What the retry loop needs to know of an answer: its status, and the headers that
/// say how long to wait (`Retry-After`, `RateLimit-*`).
trait Answer {
    fn status(&self) -> u16;
    fn header(&self, name: &str) -> Option<&str>;
}

impl Answer for Response {
    fn status(&self) -> u16 {
        self.status
    }
    fn header(&self, name: &str) -> Option<&str> {
        Response::header(self, name)
    }
}

impl Answer for StreamingResponse {
    fn status(&self) -> u16 {
        self.status
    }
    fn header(&self, name: &str) -> Option<&str> {
        StreamingResponse::header(self, name)
    }
}
