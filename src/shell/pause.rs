//! Sleeping between polls while watching a cancel token: blocking mode has no other way to
//! stop a wait, so the token is looked at every [`CANCEL_CHECK`]. Used by every wait of
//! every area (nodes running, actions done, DNS changes synced). Compiled once per mode.

use std::time::{Duration, Instant};

use super::rt::{self, maybe_async};
use crate::error::Result;
use crate::storage::CancelToken;

/// How often a wait looks at its cancel token while it sleeps.
pub(crate) const CANCEL_CHECK: Duration = Duration::from_millis(100);

/// `Cancelled` naming `what` was being waited for, when `cancel` says so.
pub(crate) fn check_cancel(cancel: Option<&CancelToken>, what: &str) -> Result<()> {
    match cancel {
        Some(token) => token.check(what),
        None => Ok(()),
    }
}

/// Sleeps `d`, looking at the cancel token every [`CANCEL_CHECK`].
#[maybe_async]
pub(crate) async fn pause(d: Duration, cancel: Option<&CancelToken>, what: &str) -> Result<()> {
    let until = Instant::now() + d;
    loop {
        check_cancel(cancel, what)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        rt::sleep(left.min(CANCEL_CHECK)).await;
    }
}
