//! Async mode: every driver with `async` calls, HTTP through `reqwest` on tokio. Enabled by
//! the `async` feature (on by default). Calls must run inside a tokio runtime.
//!
//! The API is the blocking mode's, item for item, with `.await`: listings are `Stream`s,
//! bodies are `tokio::io::AsyncRead`/`AsyncWrite`, and [`run_bounded`] runs futures with
//! `buffer_unordered`.

mod raw_http;
mod rt;

pub use rt::run_bounded;

#[path = "../shell/storage/mod.rs"]
#[allow(clippy::duplicate_mod)]
pub mod storage;

#[path = "../shell/aws.rs"]
#[allow(clippy::duplicate_mod)]
pub mod aws;

#[path = "../shell/http.rs"]
#[allow(clippy::duplicate_mod)]
pub mod http;
