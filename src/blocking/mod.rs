//! Blocking mode: every driver with plain blocking calls, HTTP through `ureq`, no async
//! runtime anywhere. Enabled by the `blocking` feature.
//!
//! The API is the async mode's, item for item, without `.await`: listings are `Iterator`s,
//! bodies are `std::io::Read`/`Write`, and [`run_bounded`] runs work on scoped threads.

mod raw_http;
mod rt;

/// Picks this mode's text (doc examples) in the files both modes share.
macro_rules! per_mode {
    (blocking: $blocking:expr, async: $async:expr $(,)?) => {
        $blocking
    };
}

pub use rt::{across, run_bounded, spawn_bounded};

#[path = "../shell/compute/mod.rs"]
pub mod compute;

#[path = "../shell/dns/mod.rs"]
pub mod dns;

#[path = "../shell/storage/mod.rs"]
pub mod storage;

#[path = "../shell/aws.rs"]
pub mod aws;

#[path = "../shell/tokens.rs"]
pub mod tokens;

#[path = "../shell/pause.rs"]
mod pause;

#[path = "../shell/http.rs"]
pub mod http;
