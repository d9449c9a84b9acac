//! Async mode: every driver with `async` calls, HTTP through `reqwest` on tokio. Enabled by
//! the `async` feature (on by default). Calls must run inside a tokio runtime.
//!
//! The API is the blocking mode's, item for item, with `.await`: listings are `Stream`s,
//! bodies are `tokio::io::AsyncRead`/`AsyncWrite`, and [`run_bounded`] runs futures with
//! `buffer_unordered`.

mod raw_http;
mod rt;

/// Picks this mode's text (doc examples) in the files both modes share.
macro_rules! per_mode {
    (blocking: $blocking:expr, async: $async:expr $(,)?) => {
        $async
    };
}

pub use rt::{across, run_bounded, spawn_bounded};

/// The `Stream` helpers listings need (`next`, `try_next`, `try_collect`, ...), so async
/// users need no other dependency for them.
pub use futures_util::stream::{Stream, StreamExt, TryStreamExt};

#[path = "../shell/compute/mod.rs"]
#[allow(clippy::duplicate_mod)]
pub mod compute;

#[path = "../shell/dns/mod.rs"]
#[allow(clippy::duplicate_mod)]
pub mod dns;

#[path = "../shell/storage/mod.rs"]
#[allow(clippy::duplicate_mod)]
pub mod storage;

#[path = "../shell/aws.rs"]
#[allow(clippy::duplicate_mod)]
pub mod aws;

#[path = "../shell/tokens.rs"]
#[allow(clippy::duplicate_mod)]
pub mod tokens;

#[path = "../shell/pause.rs"]
#[allow(clippy::duplicate_mod)]
mod pause;

#[path = "../shell/http.rs"]
#[allow(clippy::duplicate_mod)]
pub mod http;
