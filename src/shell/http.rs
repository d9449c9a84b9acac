//! The HTTP client drivers share: one pooled connection per mode, retries through the
//! core's [`RetryPolicy`](crate::retry::RetryPolicy), a `tracing` span per attempt.
//! Compiled twice, once per mode.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::rt::{self, RawClient, maybe_async};
use crate::error::Result;
pub use crate::http::{Method, Request, Response, TransportConfig};
use crate::retry::{Decision, Outcome, is_retryable_status, parse_retry_after};

/// A pooled HTTP client with timeouts and retries. Cheap to clone (clones share the pool).
///
/// It answers with the final [`Response`] whatever its status (drivers turn provider error
/// bodies into [`Error`](crate::Error)s); it fails only when no response arrived:
/// `Timeout` or `Transport`, after the retries the policy allows.
#[derive(Debug, Clone)]
pub struct HttpClient {
    raw: RawClient,
    config: Arc<TransportConfig>,
}

impl HttpClient {
    /// A client with these settings.
    pub fn new(config: TransportConfig) -> Result<Self> {
        Ok(HttpClient {
            raw: RawClient::new(&config)?,
            config: Arc::new(config),
        })
    }

    /// The client's settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// Sends `req`, retrying transient failures (connection errors, 408/429/5xx) as the
    /// policy decides, honouring `Retry-After`.
    #[maybe_async]
    pub async fn send(&self, req: &Request) -> Result<Response> {
        let started = Instant::now();
        let (host, path) = req.redacted_target();
        let mut attempt = 1;
        loop {
            let span = tracing::debug_span!(
                "http",
                method = req.method.as_str(),
                host = host.as_str(),
                path = path.as_str(),
                attempt,
                status = tracing::field::Empty,
            );
            let result = rt::in_span(span.clone(), || self.raw.send_once(req)).await;
            let outcome = match &result {
                Ok(resp) => {
                    span.record("status", resp.status);
                    if !is_retryable_status(resp.status) {
                        return result.map_err(|f| f.error);
                    }
                    Outcome::Status {
                        status: resp.status,
                        retry_after: resp
                            .header("retry-after")
                            .and_then(|v| parse_retry_after(v, SystemTime::now())),
                    }
                }
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
                Decision::GiveUp => return result.map_err(|f| f.error),
                Decision::RetryAfter(wait) => {
                    tracing::debug!(parent: &span, ?wait, "retrying");
                    rt::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }
}
