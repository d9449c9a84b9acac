//! The pure parts of the S3 driver: configuration, request building, response parsing.

pub mod checksum;
pub mod config;
pub(crate) mod profile;
pub mod requests;
pub mod responses;

pub use checksum::UploadChecksum;
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

impl MultipartUpload {
    /// Whether it started more than `older_than` before `now`. An upload whose start the
    /// store does not say is never stale (it may be one just begun).
    pub fn is_stale(&self, now: std::time::SystemTime, older_than: std::time::Duration) -> bool {
        let cutoff = now.checked_sub(older_than).unwrap_or(std::time::UNIX_EPOCH);
        self.initiated.is_some_and(|t| t <= cutoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn only_uploads_older_than_the_cutoff_are_stale() {
        let now = SystemTime::now();
        let started = |ago: Option<u64>| MultipartUpload {
            key: "k".into(),
            upload_id: "u".into(),
            initiated: ago.map(|s| now - Duration::from_secs(s)),
        };
        let hour = Duration::from_secs(3600);
        assert!(started(Some(7200)).is_stale(now, hour));
        assert!(!started(Some(60)).is_stale(now, hour));
        assert!(!started(None).is_stale(now, Duration::ZERO));
        assert!(started(Some(0)).is_stale(now, Duration::ZERO));
    }
}
