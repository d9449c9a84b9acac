#![doc = include_str!("../docs/crate.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod aws;
pub mod compute;
pub mod credentials;
pub mod dns;
pub mod entra;
pub mod error;
pub mod gcp;
pub mod http;
mod labelled;
pub mod registry;
pub mod retry;
pub mod signing;
pub mod storage;

pub use credentials::{Credentials, Secret};
pub use error::{Error, ErrorKind, Result};
pub use labelled::Labelled;
pub use registry::{Location, Provider};

#[cfg(feature = "blocking")]
pub mod blocking;

#[cfg(feature = "async")]
pub mod asynchronous;

/// Recipes: syncing a directory, many regions at once, background transfers with progress
/// and cancellation, cleaning up stale uploads (both modes, so built with both features).
#[cfg(all(feature = "blocking", feature = "async"))]
pub mod recipes {
    #![doc = include_str!("../docs/recipes.md")]
}
