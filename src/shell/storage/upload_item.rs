//! The items of `upload_many`: a name, where its bytes come from, and its own options.

use std::path::{Path, PathBuf};

use super::{CancelToken, ObjectReader, UploadOptions};

/// Where an upload's bytes come from.
#[non_exhaustive]
pub enum UploadSource {
    /// Bytes in memory (cheap to clone, so one buffer can feed many uploads).
    Bytes(bytes::Bytes),
    /// A local file, opened when its upload starts.
    Path(PathBuf),
    /// A reader, read to its end (a download's reader, a pipe, a decompressor...).
    Reader(ObjectReader),
}

impl std::fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            UploadSource::Path(p) => f.debug_tuple("Path").field(p).finish(),
            UploadSource::Reader(_) => f.write_str("Reader(..)"),
        }
    }
}

impl UploadSource {
    /// The size when known without I/O.
    pub(super) fn known_size(&self) -> Option<u64> {
        match self {
            UploadSource::Bytes(b) => Some(b.len() as u64),
            _ => None,
        }
    }
}

impl From<bytes::Bytes> for UploadSource {
    fn from(b: bytes::Bytes) -> Self {
        UploadSource::Bytes(b)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(b: Vec<u8>) -> Self {
        UploadSource::Bytes(b.into())
    }
}

impl From<PathBuf> for UploadSource {
    fn from(p: PathBuf) -> Self {
        UploadSource::Path(p)
    }
}

impl From<ObjectReader> for UploadSource {
    fn from(r: ObjectReader) -> Self {
        UploadSource::Reader(r)
    }
}

/// One object for [`upload_many`](super::StorageDriver::upload_many): its name, its
/// source, and optionally its own options (which replace the call's content type,
/// metadata and condition; the call's cancel token still applies besides the item's own,
/// and the call's progress observer hears the item as well as the item's own does).
///
/// Without a content type of its own, an item gets the one its file extension suggests
/// (the path's for a file, else the object name's: `a.json` is `application/json`), or
/// the store's default when the extension says nothing.
///
/// A `(name, source)` pair converts into an item, so `vec![("a.txt", bytes)]` works.
#[derive(Debug)]
#[non_exhaustive]
pub struct UploadItem {
    /// The object's name.
    pub name: String,
    /// Where its bytes come from.
    pub source: UploadSource,
    /// Its own options, instead of the call's.
    pub options: Option<UploadOptions>,
}

impl UploadItem {
    /// An item with the call's options.
    pub fn new(name: impl Into<String>, source: impl Into<UploadSource>) -> Self {
        UploadItem {
            name: name.into(),
            source: source.into(),
            options: None,
        }
    }

    /// Gives the item its own options.
    pub fn options(mut self, options: UploadOptions) -> Self {
        self.options = Some(options);
        self
    }

    /// The options this item is uploaded with, given the call's.
    pub(super) fn resolved_options(&self, call: &UploadOptions) -> UploadOptions {
        let mut opts = self.options.clone().unwrap_or_else(|| call.clone());
        if opts.progress.is_none() {
            opts.progress = call.progress.clone();
        }
        opts.cancel = match (opts.cancel.take(), &call.cancel) {
            (Some(own), Some(call)) => Some(CancelToken::either(&own, call)),
            (own, call) => own.or_else(|| call.clone()),
        };
        if opts.content_type.is_none() {
            opts.content_type = self.guessed_content_type().map(str::to_owned);
        }
        opts
    }

    fn guessed_content_type(&self) -> Option<&'static str> {
        let by_path = match &self.source {
            UploadSource::Path(p) => guess(p),
            _ => None,
        };
        by_path.or_else(|| guess(Path::new(&self.name)))
    }
}

fn guess(path: &Path) -> Option<&'static str> {
    mime_guess::from_path(path).first_raw()
}

impl<N: Into<String>, S: Into<UploadSource>> From<(N, S)> for UploadItem {
    fn from((name, source): (N, S)) -> Self {
        UploadItem::new(name, source)
    }
}
