//! Ctrl-C: stops transfers through the library's cancel token, so multipart uploads are
//! aborted and partial files removed; outside transfers (or at a second Ctrl-C) it quits.

use multicloud::storage::CancelToken;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

static STATE: OnceLock<Interrupts> = OnceLock::new();

struct Interrupts {
    token: CancelToken,
    // Transfers running now: while any is, Ctrl-C cancels rather than quits.
    transfers: AtomicUsize,
}

/// Installs the Ctrl-C handler (once); returns the token every transfer carries.
pub fn install() -> CancelToken {
    let state = STATE.get_or_init(|| Interrupts {
        token: CancelToken::new(),
        transfers: AtomicUsize::new(0),
    });
    // A handler that cannot be installed (one already is) leaves the default: Ctrl-C quits.
    let _ = ctrlc::set_handler(on_interrupt);
    state.token.clone()
}

fn on_interrupt() {
    let Some(state) = STATE.get() else {
        std::process::exit(130)
    };
    if state.token.is_cancelled() || state.transfers.load(Ordering::Acquire) == 0 {
        std::process::exit(130);
    }
    say!("multicloud: interrupted, stopping transfers (Ctrl-C again to quit at once)");
    state.token.cancel();
}

/// While held, Ctrl-C cancels transfers instead of quitting, so they clean up.
pub struct Transferring(());

impl Transferring {
    /// Marks transfers as running.
    pub fn start() -> Transferring {
        if let Some(state) = STATE.get() {
            state.transfers.fetch_add(1, Ordering::AcqRel);
        }
        Transferring(())
    }
}

impl Drop for Transferring {
    fn drop(&mut self) {
        if let Some(state) = STATE.get() {
            state.transfers.fetch_sub(1, Ordering::AcqRel);
        }
    }
}
