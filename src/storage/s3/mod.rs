//! The pure parts of the S3 driver: configuration, request building, response parsing.

pub mod config;
pub mod requests;
pub mod responses;

pub use config::{S3Config, S3ConfigBuilder};
pub use requests::S3Requests;

/// A multipart upload in progress (started, neither completed nor aborted).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultipartUpload {
    /// The key it will create.
    pub key: String,
    /// Its id, to abort it with.
    pub upload_id: String,
    /// When it was started, where the store says.
    pub initiated: Option<std::time::SystemTime>,
}
