//! The options of uploads, downloads and reads.

use std::collections::BTreeMap;

use super::WriteCondition;
use super::{ByteRange, CancelToken, Observer, ProgressObserver, ReadConditions, Tracker};
use crate::error::{Error, Result};

/// How to store an object: content type, user metadata, a precondition, and the
/// transfer's progress observer and cancel token.
///
/// ```
/// use multicloud::storage::{CancelToken, Progress, UploadOptions};
/// let cancel = CancelToken::new();
/// let opts = UploadOptions::new()
///     .content_type("text/plain")
///     .create_only()
///     .progress(|p: &Progress<'_>| println!("{}: {} bytes stored", p.name, p.bytes))
///     .cancel(&cancel);
/// assert!(opts.condition.is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOptions {
    /// The content type to record (`application/octet-stream` when `None`).
    pub content_type: Option<String>,
    /// User metadata. Keys are ASCII letters, digits, `-` and `_`, stored lowercase; values are
    /// printable ASCII (what every provider's headers can carry).
    pub metadata: BTreeMap<String, String>,
    /// A precondition checked atomically with the write (`PreconditionFailed` if it fails).
    pub condition: Option<WriteCondition>,
    /// Told of the bytes the store has acknowledged: each part of a multipart upload as
    /// it completes, a single-request upload once done.
    pub progress: Option<Observer>,
    /// Stops the upload between parts or chunks (`Cancelled`; a multipart upload is
    /// aborted, nothing is stored).
    pub cancel: Option<CancelToken>,
}

impl UploadOptions {
    /// Default options: no content type, no metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds one user metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Create only: fail with `PreconditionFailed` if the object exists (`If-None-Match: *`).
    pub fn create_only(mut self) -> Self {
        self.condition = Some(WriteCondition::IfNotExists);
        self
    }

    /// Replace only the version with this ETag (`If-Match`), else `PreconditionFailed`.
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.condition = Some(WriteCondition::IfMatch(etag.into()));
        self
    }

    /// Reports the upload's progress to `observer` (see [`Progress`](super::Progress)).
    pub fn progress(mut self, observer: impl ProgressObserver + 'static) -> Self {
        self.progress = Some(Observer::new(observer));
        self
    }

    /// Lets `token` cancel the upload.
    pub fn cancel(mut self, token: &CancelToken) -> Self {
        self.cancel = Some(token.clone());
        self
    }

    /// The tracker drivers report this upload's progress to.
    #[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
    pub(crate) fn tracker<'a>(&'a self, name: &'a str, total: Option<u64>) -> Tracker<'a> {
        Tracker::new(name, total, self.progress.as_ref(), self.cancel.as_ref())
    }

    /// Checks the options and returns them normalised (keys lowercase).
    pub fn validated(&self) -> Result<UploadOptions> {
        let mut metadata = BTreeMap::new();
        for (k, v) in &self.metadata {
            let key_ok = !k.is_empty()
                && k.len() <= 128
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !key_ok {
                return Err(Error::invalid(format!(
                    "metadata key {k:?} must be 1-128 ASCII letters, digits, '-' or '_'"
                )));
            }
            if v.len() > 2048 || !v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(Error::invalid(format!(
                    "metadata value for {k:?} must be at most 2048 printable ASCII characters"
                )));
            }
            metadata.insert(k.to_ascii_lowercase(), v.clone());
        }
        if let Some(ct) = &self.content_type {
            if ct.is_empty() || ct.len() > 256 || !ct.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(Error::invalid(format!("content type {ct:?} is not valid")));
            }
        }
        Ok(UploadOptions {
            content_type: self.content_type.clone(),
            metadata,
            ..self.clone()
        })
    }
}

/// How to download: what to do at a local path, the read's preconditions, and the
/// transfer's progress observer and cancel token.
///
/// `download_object` and `download_many` take `impl Into<DownloadOptions>`, and a `bool`
/// converts into the defaults with that `overwrite`, so `download_object(c, n, dest, true)`
/// reads as before. Defaults: no overwrite, missing parent directories created, no
/// conditions. Writers ignore the path settings.
///
/// ```
/// use multicloud::storage::DownloadOptions;
/// let strict = DownloadOptions::new().overwrite(true).create_dirs(false);
/// assert!(strict.overwrite && !strict.create_dirs);
/// assert_eq!(DownloadOptions::from(true), DownloadOptions::new().overwrite(true));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// Replace an existing file at the destination (`AlreadyExists` otherwise).
    pub overwrite: bool,
    /// Create the destination's missing parent directories (an `Io` error naming the
    /// missing directory otherwise).
    pub create_dirs: bool,
    /// Preconditions on the read (`NotModified` / `PreconditionFailed`; the destination
    /// is then left as it was).
    pub conditions: ReadConditions,
    /// Told of the bytes written to the destination.
    pub progress: Option<Observer>,
    /// Stops the download between chunks (`Cancelled`; a partial file is removed).
    pub cancel: Option<CancelToken>,
    /// The size of the ranges a download to a path is fetched in, at least twice this
    /// size (8 MiB by default; see [`range_size`](Self::range_size)).
    pub range_size: u64,
    /// How many ranges of one download to a path are fetched at once (4 by default; 1
    /// reads one stream).
    pub range_concurrency: usize,
}

impl DownloadOptions {
    /// The defaults: no overwrite, create missing directories.
    pub fn new() -> Self {
        DownloadOptions {
            overwrite: false,
            create_dirs: true,
            conditions: ReadConditions::new(),
            progress: None,
            cancel: None,
            range_size: super::ranged::DEFAULT_RANGE_SIZE,
            range_concurrency: super::ranged::DEFAULT_RANGE_CONCURRENCY,
        }
    }

    /// Sets the read's preconditions.
    pub fn conditions(mut self, conditions: ReadConditions) -> Self {
        self.conditions = conditions;
        self
    }

    /// Sets the size of the ranges a download to a path is split into (8 MiB by
    /// default). An object of at least twice this size is fetched in ranges,
    /// [`range_concurrency`](Self::range_concurrency) at once, each written at its offset
    /// in the temporary file; every range read is conditioned on the first answer's ETag
    /// (an object replaced meanwhile is `PreconditionFailed`) and the whole file is still
    /// checked (size, and CRC32C or MD5 where known) before it is renamed into place.
    /// Memory stays about `range_concurrency` buffers of at most 1 MiB. A size of 0 is
    /// `InvalidInput` when the download starts.
    ///
    /// ```
    /// use multicloud::storage::DownloadOptions;
    /// let opts = DownloadOptions::new().range_size(16 << 20).range_concurrency(8);
    /// assert_eq!((opts.range_size, opts.range_concurrency), (16 << 20, 8));
    /// ```
    pub fn range_size(mut self, bytes: u64) -> Self {
        self.range_size = bytes;
        self
    }

    /// Sets how many ranges of one download to a path are fetched at once (4 by
    /// default); 1 (or 0) reads the object in one stream, as writers always are. See
    /// [`range_size`](Self::range_size).
    pub fn range_concurrency(mut self, ranges: usize) -> Self {
        self.range_concurrency = ranges;
        self
    }

    /// Reports the download's progress to `observer`.
    pub fn progress(mut self, observer: impl ProgressObserver + 'static) -> Self {
        self.progress = Some(Observer::new(observer));
        self
    }

    /// Lets `token` cancel the download.
    pub fn cancel(mut self, token: &CancelToken) -> Self {
        self.cancel = Some(token.clone());
        self
    }

    /// The tracker a download of `name` reports to.
    #[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
    pub(crate) fn tracker<'a>(&'a self, name: &'a str, total: Option<u64>) -> Tracker<'a> {
        Tracker::new(name, total, self.progress.as_ref(), self.cancel.as_ref())
    }

    /// Sets whether an existing file is replaced.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Sets whether missing parent directories are created.
    pub fn create_dirs(mut self, create_dirs: bool) -> Self {
        self.create_dirs = create_dirs;
        self
    }
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The defaults with this `overwrite`.
impl From<bool> for DownloadOptions {
    fn from(overwrite: bool) -> Self {
        Self::new().overwrite(overwrite)
    }
}

/// What to read of an object: a byte range and preconditions, for
/// `open_object_with` and `download_bytes_with`.
///
/// ```
/// use multicloud::storage::{GetOptions, ReadConditions};
/// let tail = GetOptions::new().range(100..).conditions(ReadConditions::new().if_match("abc"));
/// assert_eq!(tail.range.start, 100);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetOptions {
    /// The bytes wanted ([`ByteRange::ALL`] by default).
    pub range: ByteRange,
    /// Preconditions on the read.
    pub conditions: ReadConditions,
}

impl GetOptions {
    /// The whole object, unconditionally.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the range (`2..10`, `100..`, `..`).
    pub fn range(mut self, range: impl Into<ByteRange>) -> Self {
        self.range = range.into();
        self
    }

    /// Sets the preconditions.
    pub fn conditions(mut self, conditions: ReadConditions) -> Self {
        self.conditions = conditions;
        self
    }
}

impl From<ByteRange> for GetOptions {
    fn from(range: ByteRange) -> Self {
        Self::new().range(range)
    }
}
