//! The pure parts of the S3 driver: configuration, request building, response parsing.

pub mod config;
pub mod requests;
pub mod responses;

pub use config::{S3Config, S3ConfigBuilder};
pub use requests::S3Requests;
