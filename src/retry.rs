//! Retry decisions as pure functions: "retry? after how long?".
//!
//! Both modes' transports ask [`RetryPolicy::decide`] after every failed attempt and act on the
//! answer (sleep with `std::thread::sleep` or `tokio::time::sleep`). Nothing here sleeps,
//! reads a clock or draws a random number: the caller passes elapsed time and jitter in,
//! which is what makes every schedule testable.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The server answered with this status (and maybe a `Retry-After`).
    Status {
        /// The HTTP status.
        status: u16,
        /// The parsed `Retry-After`, if the server sent one.
        retry_after: Option<Duration>,
    },
    /// The connection could not be opened: the request was never sent, so retrying is
    /// safe even for non-idempotent requests.
    ConnectFailed,
    /// The connection broke or timed out after the request may have been sent.
    Interrupted,
}

/// The answer to "retry?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this long.
    RetryAfter(Duration),
    /// Stop and report the last error.
    GiveUp,
}

/// When and how often to retry. The defaults suit cloud APIs: up to 4 attempts, backoff
/// from 100 ms doubling to at most 5 s, full jitter, and at most 30 s spent in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry, before jitter.
    pub base_delay: Duration,
    /// The largest backoff between two attempts (also caps `Retry-After`).
    pub max_delay: Duration,
    /// The whole budget: no retry starts if it would end its wait after this much time.
    pub total_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            total_budget: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Decides what to do after attempt number `attempt` (1-based) failed with `outcome`.
    ///
    /// `idempotent` says whether the request may be repeated safely (GET, HEAD, PUT, DELETE
    /// are; POST is not unless the caller knows better). `elapsed` is the time since the
    /// first attempt started. `jitter` is a number in `[0, 1)` drawn by the caller.
    pub fn decide(
        &self,
        attempt: u32,
        outcome: Outcome,
        idempotent: bool,
        elapsed: Duration,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_attempts || !is_retryable(outcome, idempotent) {
            return Decision::GiveUp;
        }
        let backoff = self.backoff(attempt, jitter);
        let wait = match outcome {
            // The server's own hint wins over our guess, within our cap.
            Outcome::Status {
                retry_after: Some(hint),
                ..
            } => hint.min(self.max_delay).max(backoff),
            _ => backoff,
        };
        if elapsed.saturating_add(wait) > self.total_budget {
            return Decision::GiveUp;
        }
        Decision::RetryAfter(wait)
    }

    /// Full-jitter exponential backoff: a uniform draw in `[0, min(max, base * 2^(attempt-1)))`.
    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        ceiling.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// Whether an outcome may be retried at all.
pub fn is_retryable(outcome: Outcome, idempotent: bool) -> bool {
    match outcome {
        Outcome::ConnectFailed => true,
        Outcome::Interrupted => idempotent,
        // 429 and 503 (S3's SlowDown): the server refused before doing anything, so even a
        // POST may be repeated.
        Outcome::Status {
            status: 429 | 503, ..
        } => true,
        Outcome::Status { status, .. } => idempotent && is_retryable_status(status),
    }
}

/// Statuses that mean "try again later": request timeout, throttling, server errors that are
/// usually transient.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (relative to `now`).
/// Returns `None` for anything malformed.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long an answer asks the client to wait before trying again: its `Retry-After`
/// (seconds or an HTTP date) when it sends a valid one; else, when `RateLimit-Remaining`
/// is `0`, until `RateLimit-Reset` (see [`parse_ratelimit_reset`]), which is how
/// DigitalOcean says when its hourly limit frees a request. `header` reads one header of
/// the answer (name in lowercase); `now` is the caller's clock. `None` when the answer
/// names no wait.
///
/// ```
/// use multicloud::retry::server_wait;
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let headers = [("ratelimit-remaining", "0"), ("ratelimit-reset", "1700000003")];
/// let header = |n: &str| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
/// assert_eq!(server_wait(header, now), Some(Duration::from_secs(3)));
/// ```
pub fn server_wait<'a>(
    header: impl Fn(&str) -> Option<&'a str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(wait) = header("retry-after").and_then(|v| parse_retry_after(v, now)) {
        return Some(wait);
    }
    if header("ratelimit-remaining")?.trim() != "0" {
        return None;
    }
    parse_ratelimit_reset(header("ratelimit-reset")?, now)
}

/// Values of `RateLimit-Reset` up to this are seconds to wait (the IETF draft's meaning);
/// larger ones are Unix times (DigitalOcean's, GitHub's). No Unix time that small is
/// ever current (it is 1973).
const RESET_DELTA_LIMIT: u64 = 100_000_000;

/// Parses a `RateLimit-Reset` value: a Unix time in seconds (the wait is the time until
/// then, zero if past), or, for small values, the seconds to wait. `None` for anything
/// that is not a plain number.
pub fn parse_ratelimit_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = value.parse().ok()?;
    if secs <= RESET_DELTA_LIMIT {
        return Some(Duration::from_secs(secs));
    }
    let when = UNIX_EPOCH.checked_add(Duration::from_secs(secs))?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn status(status: u16) -> Outcome {
        Outcome::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn transient_statuses_are_retried_with_growing_backoff() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(1, status(503), true, MS(0), 0.5),
            Decision::RetryAfter(MS(50))
        );
        assert_eq!(
            p.decide(2, status(500), true, MS(0), 0.5),
            Decision::RetryAfter(MS(100))
        );
        assert_eq!(
            p.decide(3, status(502), true, MS(0), 0.5),
            Decision::RetryAfter(MS(200))
        );
    }

    #[test]
    fn backoff_is_capped_and_jittered_within_bounds() {
        let p = RetryPolicy {
            max_attempts: 100,
            total_budget: Duration::from_secs(3600),
            ..Default::default()
        };
        for attempt in 1..60 {
            for j in [0.0, 0.3, 0.999] {
                match p.decide(attempt, status(500), true, MS(0), j) {
                    Decision::RetryAfter(d) => assert!(d <= p.max_delay, "{d:?}"),
                    Decision::GiveUp => panic!("gave up at {attempt}"),
                }
            }
        }
        assert_eq!(
            p.decide(1, status(500), true, MS(0), 0.0),
            Decision::RetryAfter(Duration::ZERO)
        );
    }

    #[test]
    fn client_errors_are_never_retried() {
        let p = RetryPolicy::default();
        for s in [400, 401, 403, 404, 409, 412, 416] {
            assert_eq!(p.decide(1, status(s), true, MS(0), 0.5), Decision::GiveUp);
        }
    }

    #[test]
    fn non_idempotent_requests_retry_only_when_surely_unprocessed() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(1, status(500), false, MS(0), 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(1, Outcome::Interrupted, false, MS(0), 0.5),
            Decision::GiveUp
        );
        assert!(matches!(
            p.decide(1, Outcome::ConnectFailed, false, MS(0), 0.5),
            Decision::RetryAfter(_)
        ));
        // 429 and 503 SlowDown: refused unprocessed, so a POST (CreateMultipartUpload) too.
        for s in [429, 503] {
            assert!(matches!(
                p.decide(1, status(s), false, MS(0), 0.5),
                Decision::RetryAfter(_)
            ));
        }
        assert!(matches!(
            p.decide(1, Outcome::Interrupted, true, MS(0), 0.5),
            Decision::RetryAfter(_)
        ));
    }

    #[test]
    fn attempts_are_bounded() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.decide(3, status(503), true, MS(0), 0.5),
            Decision::RetryAfter(_)
        ));
        assert_eq!(p.decide(4, status(503), true, MS(0), 0.5), Decision::GiveUp);
        assert_eq!(
            RetryPolicy::never().decide(1, status(503), true, MS(0), 0.5),
            Decision::GiveUp
        );
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let p = RetryPolicy::default();
        let hinted = |secs| Outcome::Status {
            status: 503,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.decide(1, hinted(2), true, MS(0), 0.5),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            p.decide(1, hinted(3600), true, MS(0), 0.5),
            Decision::RetryAfter(p.max_delay)
        );
    }

    #[test]
    fn total_budget_stops_retries() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(1, status(503), true, Duration::from_secs(30), 0.5),
            Decision::GiveUp
        );
        let hinted = Outcome::Status {
            status: 503,
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(
            p.decide(1, hinted, true, Duration::from_secs(26), 0.5),
            Decision::GiveUp
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn the_server_wait_is_retry_after_else_the_rate_limit_reset() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let wait = |pairs: &[(&str, &str)]| {
            let header = |n: &str| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
            server_wait(header, now)
        };
        let reset = ("ratelimit-reset", "1700000009");
        let empty = ("ratelimit-remaining", "0");
        assert_eq!(
            wait(&[("retry-after", "2"), empty, reset]),
            Some(Duration::from_secs(2))
        );
        assert_eq!(wait(&[empty, reset]), Some(Duration::from_secs(9)));
        assert_eq!(
            wait(&[("retry-after", "soon"), empty, reset]),
            Some(Duration::from_secs(9))
        );
        // Requests left: the reset is when the oldest expires, not a wait.
        assert_eq!(wait(&[("ratelimit-remaining", "12"), reset]), None);
        assert_eq!(wait(&[reset]), None);
        assert_eq!(
            wait(&[empty, ("ratelimit-reset", "1699999999")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            wait(&[empty, ("ratelimit-reset", "30")]),
            Some(Duration::from_secs(30))
        );
        for bad in ["", "-5", "+5", "1.5", "soon", "99999999999999999999999"] {
            assert_eq!(wait(&[empty, ("ratelimit-reset", bad)]), None, "{bad:?}");
        }
        assert_eq!(wait(&[]), None);
    }
}
