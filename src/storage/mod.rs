//! The storage model shared by every driver and both modes: containers, objects, upload
//! options, byte ranges, listing pages; and the pure parts of the built-in drivers.

pub mod azure;
mod conditions;
mod entries;
pub mod gcs;
pub mod local_fs;
pub mod memory_store;
pub mod names;
mod options;
mod pager;
mod range_answer;
pub mod ranged;
pub mod s3;
// The drivers' side of transfers is used by the modes only; a build without one keeps it.
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
mod transfer;
mod xml_events;

pub use conditions::{ReadConditions, WriteCondition};
pub use entries::EntryGrouper;
pub use options::{DownloadOptions, GetOptions, UploadOptions};
pub use pager::{MAX_EMPTY_PAGES, Pager};
pub use range_answer::{RangeAnswer, check_range_answer};
#[cfg_attr(
    not(any(feature = "blocking", feature = "async")),
    allow(unused_imports)
)]
pub(crate) use transfer::{Batch, Tracker};
pub use transfer::{BatchProgress, CancelToken, Observer, Progress, ProgressObserver};

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::error::{Error, Result};

/// A container (bucket): a named namespace of objects.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Container {
    /// The container's name.
    pub name: String,
    /// When it was created, where the provider says.
    pub created: Option<SystemTime>,
}

impl Container {
    /// A container with this name and no further details.
    pub fn new(name: impl Into<String>) -> Self {
        Container {
            name: name.into(),
            created: None,
        }
    }
}

/// An object's metadata: what `get_object` returns and listings yield.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Object {
    /// The container holding it.
    pub container: String,
    /// Its full name (key), `/` included.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The provider's hash or ETag, unquoted, as the provider gave it. Local and Memory
    /// give the content's MD5 in lowercase hex; S3 gives its ETag, which is the MD5 for
    /// single-request uploads but not for multipart ones (`<hex>-<parts>`, an MD5 of the
    /// parts' MD5s) nor for SSE-KMS/SSE-C encrypted objects. To compare contents (to skip
    /// unchanged files when syncing, say), use [`Object::md5`], which is `None` when the
    /// hash is not a plain MD5.
    pub hash: Option<String>,
    /// Its content type, where known.
    pub content_type: Option<String>,
    /// When it was last written.
    pub last_modified: Option<SystemTime>,
    /// User metadata (keys lowercase).
    pub metadata: BTreeMap<String, String>,
    /// The whole content's CRC32C (Castagnoli), where the provider states one: S3 objects
    /// uploaded with a CRC32C checksum, in single requests. Whole downloads are checked
    /// against it (cheaper than MD5) when it is known.
    pub crc32c: Option<u32>,
}

impl Object {
    /// The content's MD5 (lowercase or uppercase hex as the provider gave it) when
    /// [`hash`](Self::hash) is one: 32 hex digits. A multipart ETag (`…-25`) is `None`.
    ///
    /// Caveat: S3 objects encrypted with SSE-KMS or SSE-C have ETags of this shape that
    /// are not their MD5; stores using those should compare sizes and times instead.
    ///
    /// ```
    /// use multicloud::storage::Object;
    /// let mut o = Object::new("c", "k", 3);
    /// o.hash = Some("900150983cd24fb0d6963f7d28e17f72".into());
    /// assert_eq!(o.md5(), Some("900150983cd24fb0d6963f7d28e17f72"));
    /// o.hash = Some("3858f62230ac3c915f300c664312c11f-25".into());
    /// assert_eq!(o.md5(), None);
    /// ```
    pub fn md5(&self) -> Option<&str> {
        self.hash.as_deref().filter(|h| is_md5_hex(h))
    }

    /// An object with a name and size and nothing else known.
    pub fn new(container: impl Into<String>, name: impl Into<String>, size: u64) -> Self {
        Object {
            container: container.into(),
            name: name.into(),
            size,
            hash: None,
            content_type: None,
            last_modified: None,
            metadata: BTreeMap::new(),
            crc32c: None,
        }
    }
}

/// A range of bytes of an object: `start..end` (end exclusive) or `start..` (to the end).
/// The default is the whole object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteRange {
    /// The first byte.
    pub start: u64,
    /// One past the last byte, or `None` for "to the end".
    pub end: Option<u64>,
}

impl ByteRange {
    /// The whole object.
    pub const ALL: ByteRange = ByteRange {
        start: 0,
        end: None,
    };

    /// Resolves the range against an object of `size` bytes into `(offset, length)`.
    ///
    /// An end past the object is clamped (as HTTP does); a start past the end of a non-empty
    /// object, or an end before the start, is `InvalidInput`.
    pub fn resolve(self, size: u64) -> Result<(u64, u64)> {
        let end = self.end.unwrap_or(size).min(size);
        if let Some(e) = self.end {
            if e < self.start {
                return Err(Error::invalid(format!(
                    "byte range {}..{e} ends before it starts",
                    self.start
                )));
            }
        }
        if self.start > size || (self.start == size && size > 0 && self.end != Some(self.start)) {
            return Err(Error::invalid(format!(
                "byte range starts at {} but the object has {size} bytes",
                self.start
            )));
        }
        Ok((self.start, end.saturating_sub(self.start)))
    }
}

impl From<std::ops::Range<u64>> for ByteRange {
    fn from(r: std::ops::Range<u64>) -> Self {
        ByteRange {
            start: r.start,
            end: Some(r.end),
        }
    }
}

impl From<std::ops::RangeFrom<u64>> for ByteRange {
    fn from(r: std::ops::RangeFrom<u64>) -> Self {
        ByteRange {
            start: r.start,
            end: None,
        }
    }
}

impl From<std::ops::RangeFull> for ByteRange {
    fn from(_: std::ops::RangeFull) -> Self {
        ByteRange::ALL
    }
}

/// One entry of a listing with a delimiter: an object, or a common prefix standing for
/// every name that continues past the delimiter (a "directory").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An object directly under the prefix.
    Object(Object),
    /// A common prefix, the delimiter included (`photos/2026/`).
    Prefix(String),
}

impl Entry {
    /// The object's name or the prefix: the key listings order entries by.
    pub fn key(&self) -> &str {
        match self {
            Entry::Object(o) => &o.name,
            Entry::Prefix(p) => p,
        }
    }
}

/// Where a name falls in a delimited listing of `prefix`: the common prefix it rolls up
/// into (up to and including the first `delimiter` after `prefix`), or `None` for an
/// object directly under the prefix. An empty delimiter rolls nothing up.
pub fn common_prefix<'n>(name: &'n str, prefix: &str, delimiter: &str) -> Option<&'n str> {
    let rest = name.strip_prefix(prefix)?;
    if delimiter.is_empty() {
        return None;
    }
    rest.find(delimiter)
        .map(|i| &name[..prefix.len() + i + delimiter.len()])
}

/// One page of a listing and the token for the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass this to get the next page; `None` when this was the last.
    pub next_token: Option<String>,
}

/// The page size listings ask for (S3's maximum).
pub const DEFAULT_PAGE_SIZE: usize = 1000;

/// The concurrency `upload_many`, `download_many` and `delete_many` use by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What a whole download is checked with: the object's CRC32C where the provider
/// states one, else its MD5 where its hash is one, else only its size.
#[derive(Debug, Clone)]
pub enum ContentDigest {
    /// Running CRC32C.
    Crc32c(u32),
    /// Running MD5.
    Md5(md5::Md5),
    /// Nothing to compare with.
    None,
}

impl ContentDigest {
    /// The digest `object` can be checked with.
    pub fn for_object(object: &Object) -> Self {
        use md5::Digest;
        match (object.crc32c, object.md5()) {
            (Some(_), _) => ContentDigest::Crc32c(0),
            (None, Some(_)) => ContentDigest::Md5(md5::Md5::new()),
            (None, None) => ContentDigest::None,
        }
    }

    /// Adds the next bytes.
    pub fn update(&mut self, data: &[u8]) {
        use md5::Digest;
        match self {
            ContentDigest::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            ContentDigest::Md5(h) => h.update(data),
            ContentDigest::None => {}
        }
    }
}

/// Checks a complete download against the object's announced size and its CRC32C or MD5
/// (whichever `digest` ran, from [`ContentDigest::for_object`]).
pub fn verify_download(object: &Object, size: u64, digest: ContentDigest) -> Result<()> {
    if size != object.size {
        return Err(Error::new(
            crate::ErrorKind::Integrity,
            format!(
                "object {:?}: received {size} bytes, expected {}",
                object.name, object.size
            ),
        ));
    }
    let (got, want) = match digest {
        ContentDigest::Crc32c(crc) => match object.crc32c {
            Some(want) if want != crc => (format!("CRC32C {crc:08x}"), format!("{want:08x}")),
            _ => return Ok(()),
        },
        ContentDigest::Md5(h) => {
            use md5::Digest;
            let md5 = hex::encode(h.finalize());
            match object.md5() {
                Some(want) if !want.eq_ignore_ascii_case(&md5) => {
                    (format!("MD5 {md5}"), want.to_owned())
                }
                _ => return Ok(()),
            }
        }
        ContentDigest::None => return Ok(()),
    };
    Err(Error::new(
        crate::ErrorKind::Integrity,
        format!("object {:?}: {got} does not match {want}", object.name),
    ))
}

/// Checks a copy against its source: the same size and, where both hashes are plain
/// MD5s, the same hash; a mismatch is `Integrity`.
pub fn verify_copy(source: &Object, copied: &Object) -> Result<()> {
    let md5s = (source.md5(), copied.md5());
    let hash_differs = matches!(md5s, (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b));
    if copied.size != source.size || hash_differs {
        return Err(Error::new(
            crate::ErrorKind::Integrity,
            format!(
                "copy of {:?} to {:?}: stored {} bytes (MD5 {:?}), the source has {} (MD5 {:?})",
                source.name, copied.name, copied.size, md5s.1, source.size, md5s.0
            ),
        ));
    }
    Ok(())
}

/// Checks that a ranged download received exactly the `expected` bytes.
pub fn verify_length(object: &Object, expected: u64, received: u64) -> Result<()> {
    if received != expected {
        return Err(Error::new(
            crate::ErrorKind::Integrity,
            format!(
                "object {:?} in {:?}: received {received} bytes of a range of {expected}",
                object.name, object.container
            ),
        ));
    }
    Ok(())
}

/// Whether a hash or ETag has the shape of a hex MD5 (32 hex digits), so it can be
/// compared with one.
pub fn is_md5_hex(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Lowercase hex MD5 of `data`: the hash the built-in drivers report.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_checked_by_crc32c_first_then_md5_then_size() {
        let mut o = Object::new("c", "k", 5);
        o.hash = Some(md5_hex(b"hello"));
        let check = |o: &Object, data: &[u8]| {
            let mut d = ContentDigest::for_object(o);
            d.update(data);
            verify_download(o, data.len() as u64, d)
        };
        assert!(check(&o, b"hello").is_ok());
        let e = check(&o, b"hallo").unwrap_err();
        assert!(e.to_string().contains("MD5"), "{e}");
        o.crc32c = Some(crc32c::crc32c(b"hello"));
        assert!(matches!(
            ContentDigest::for_object(&o),
            ContentDigest::Crc32c(_)
        ));
        let e = check(&o, b"hallo").unwrap_err();
        assert!(e.to_string().contains("CRC32C"), "{e}");
        assert_eq!(e.kind(), crate::ErrorKind::Integrity);
        let mut multipart = Object::new("c", "k", 5);
        multipart.hash = Some("abc-2".into());
        assert!(
            check(&multipart, b"hallo").is_ok(),
            "nothing to compare but the size"
        );
        assert!(check(&multipart, b"hall").is_err());
    }

    #[test]
    fn ranges_resolve_and_clamp() {
        assert_eq!(ByteRange::ALL.resolve(10).unwrap(), (0, 10));
        assert_eq!(ByteRange::from(2..5).resolve(10).unwrap(), (2, 3));
        assert_eq!(ByteRange::from(2..50).resolve(10).unwrap(), (2, 8));
        assert_eq!(ByteRange::from(4..).resolve(10).unwrap(), (4, 6));
        assert_eq!(ByteRange::ALL.resolve(0).unwrap(), (0, 0));
        assert_eq!(ByteRange::from(10..10).resolve(10).unwrap(), (10, 0));
        assert!(ByteRange::from(11..).resolve(10).is_err());
        assert!(ByteRange::from(10..).resolve(10).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = ByteRange::from(5..2);
        assert!(backwards.resolve(10).is_err());
    }

    #[test]
    fn upload_options_validate_and_lowercase() {
        let o = UploadOptions::new()
            .content_type("text/plain")
            .metadata("Owner-ID", "42")
            .validated()
            .unwrap();
        assert_eq!(o.metadata.get("owner-id").map(String::as_str), Some("42"));
        for bad_key in ["", "a b", "ключ", "x\n"] {
            assert!(
                UploadOptions::new()
                    .metadata(bad_key, "v")
                    .validated()
                    .is_err()
            );
        }
        assert!(
            UploadOptions::new()
                .metadata("k", "a\r\nX-Evil: 1")
                .validated()
                .is_err()
        );
        assert!(
            UploadOptions::new()
                .content_type("text/plain\n")
                .validated()
                .is_err()
        );
    }

    #[test]
    fn names_roll_up_at_the_first_delimiter_after_the_prefix() {
        assert_eq!(common_prefix("a/b/c", "", "/"), Some("a/"));
        assert_eq!(common_prefix("a/b/c", "a/", "/"), Some("a/b/"));
        assert_eq!(common_prefix("a/b", "a/", "/"), None);
        assert_eq!(common_prefix("dir/", "", "/"), Some("dir/"));
        assert_eq!(common_prefix("x--y--z", "x", "--"), Some("x--"));
        assert_eq!(common_prefix("a/b", "", ""), None);
        assert_eq!(common_prefix("b/c", "a", "/"), None);
    }

    #[test]
    fn md5_matches_known_value() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
