//! The pure parts of the Google Cloud Storage driver (JSON API): configuration and
//! Google's naming rules today; request building and response parsing come with the
//! driver. Signed URLs are in [`crate::signing::gcs_v4`], access tokens in [`crate::gcp`].

pub mod config;
pub mod entries;
pub mod requests;
pub mod responses;
pub mod rewrite;

pub use config::{GcsConfig, GcsConfigBuilder};

use crate::error::{Error, Result};

/// Checks a bucket name against Google's characters and length (3 to 222 of `a-z`,
/// `0-9`, `-`, `_`, `.`): the name goes into hosts (virtual-hosted style) and paths.
/// `InvalidInput` otherwise.
///
/// ```
/// use multicloud::storage::gcs::check_bucket_name;
///
/// assert!(check_bucket_name("my-bucket.example.com").is_ok());
/// assert!(check_bucket_name("My_Bucket").is_err());
/// ```
pub fn check_bucket_name(bucket: &str) -> Result<()> {
    let name_char = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b);
    if (3..=222).contains(&bucket.len()) && bucket.bytes().all(name_char) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "GCS bucket name {bucket:.64?} is not valid (3 to 222 of a-z 0-9 - _ .)"
    )))
}

/// Checks an object name: 1 to 1024 bytes without line breaks (Google refuses them), and
/// no `.`/`..` segment, which every URL parser removes, so the request would reach another
/// object (see the design notes on paths). `InvalidInput` otherwise.
///
/// ```
/// use multicloud::storage::gcs::check_object_name;
///
/// assert!(check_object_name("photos/2024/cat.jpg").is_ok());
/// assert!(check_object_name("photos/../secret").is_err());
/// ```
pub fn check_object_name(object: &str) -> Result<()> {
    let dot_segment = object.split('/').any(|s| s == "." || s == "..");
    let line_break = object.contains(['\r', '\n']);
    if object.is_empty() || object.len() > 1024 || line_break || dot_segment {
        return Err(Error::invalid(format!(
            "GCS object name {object:.64?} is empty, over 1024 bytes, holds a line break \
             or a `.`/`..` segment"
        )));
    }
    Ok(())
}
