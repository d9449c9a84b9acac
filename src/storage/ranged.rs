//! Parallel ranged downloads, the decisions: whether an object is fetched in ranges, which
//! ones, what each range read is conditioned on, and which error a failed download
//! reports. The shell (`shell/storage/ranged.rs`) does the I/O.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use super::{GetOptions, Object, ReadConditions};
use crate::error::{Error, ErrorKind, Result};

/// The range size downloads to a path use by default (awscli's and the S3 part size).
pub const DEFAULT_RANGE_SIZE: u64 = 8 << 20;

/// How many ranges of one download are fetched at once by default.
pub const DEFAULT_RANGE_CONCURRENCY: usize = 4;

/// One range of a download: where it starts in the object and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Its first byte's offset.
    pub start: u64,
    /// Its length (never 0).
    pub len: u64,
}

impl Span {
    /// What is left of the span once its first `done` bytes are in.
    pub fn after(self, done: u64) -> Span {
        Span {
            start: self.start + done,
            len: self.len - done.min(self.len),
        }
    }
}

/// How many times one range is read at most: a body cut or stalled part way is read
/// again from where it stopped (the request's own retries happen before any body).
pub const RANGE_ATTEMPTS: u32 = 3;

/// Whether a range whose `attempt`th read failed with `e` is read again: only a body cut
/// (`Transport`) or stalled (`Timeout`), and at most [`RANGE_ATTEMPTS`] times. Anything
/// else (a changed object, a wrong length, a cancel) is final.
pub fn retry_range(e: &Error, attempt: u32) -> bool {
    matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) && attempt < RANGE_ATTEMPTS
}

/// The ranges `object` is downloaded in, or `None` for one stream: with `concurrency` 1,
/// below twice `range_size` (a few ranges would gain nothing over the request already
/// open), or without a hash to pin the version every range must come from. A
/// `range_size` of 0 is `InvalidInput`.
pub fn plan_ranges(
    object: &Object,
    range_size: u64,
    concurrency: usize,
) -> Result<Option<Vec<Span>>> {
    if range_size == 0 {
        return Err(Error::invalid(
            "a download's range size must be at least 1 byte",
        ));
    }
    let pinned = object.hash.as_deref().is_some_and(|h| !h.is_empty());
    if concurrency <= 1 || !pinned || object.size < range_size.saturating_mul(2) {
        return Ok(None);
    }
    let spans = (0..object.size.div_ceil(range_size))
        .map(|i| {
            let start = i * range_size;
            Span {
                start,
                len: range_size.min(object.size - start),
            }
        })
        .collect();
    Ok(Some(spans))
}

/// The read of one range after the first: that span of the very version the first read
/// answered (`If-Match` its hash), so an object replaced meanwhile is
/// `PreconditionFailed`, never a file mixing two versions.
pub fn range_request(object: &Object, span: Span) -> GetOptions {
    let etag = object.hash.clone().unwrap_or_default();
    GetOptions::new()
        .range(span.start..span.start + span.len)
        .conditions(ReadConditions::new().if_match(etag))
}

/// Checks a range answer's metadata against the first answer's: the same size and hash,
/// else `Integrity` (a driver that ignored the condition).
pub fn check_same_version(first: &Object, answer: &Object) -> Result<()> {
    if answer.size != first.size || answer.hash != first.hash {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "object {:?}: a range came from another version ({} bytes, hash {:?}; first {} bytes, hash {:?})",
                first.name, answer.size, answer.hash, first.size, first.hash
            ),
        ));
    }
    Ok(())
}

/// The outcome of ranges run at once: the first failure is kept (and stops the others);
/// those that stop because of it report nothing.
#[derive(Debug, Default)]
pub struct FirstError {
    stop: AtomicBool,
    error: Mutex<Option<Error>>,
}

impl FirstError {
    /// No failure yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a range failed, so the others should stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Records a range's result; the first error wins.
    pub fn record(&self, result: Result<()>) {
        if let Err(e) = result {
            let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert(e);
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    /// The first error, if any range failed.
    pub fn into_result(self) -> Result<()> {
        match self
            .error
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(size: u64, hash: Option<&str>) -> Object {
        let mut o = Object::new("c", "o", size);
        o.hash = hash.map(str::to_owned);
        o
    }

    #[test]
    fn small_unpinned_or_serial_downloads_stay_one_stream() {
        let h = Some("abc");
        assert_eq!(plan_ranges(&object(15, h), 8, 4).unwrap(), None);
        assert_eq!(plan_ranges(&object(100, h), 8, 1).unwrap(), None);
        assert_eq!(plan_ranges(&object(100, None), 8, 4).unwrap(), None);
        assert_eq!(plan_ranges(&object(100, Some("")), 8, 4).unwrap(), None);
        assert_eq!(plan_ranges(&object(0, h), 8, 4).unwrap(), None);
    }

    #[test]
    fn ranges_cover_the_object_once_in_order() {
        let spans = plan_ranges(&object(20, Some("abc")), 8, 4)
            .unwrap()
            .unwrap();
        let want = [(0, 8), (8, 8), (16, 4)].map(|(start, len)| Span { start, len });
        assert_eq!(spans, want);
        let exact = plan_ranges(&object(16, Some("abc")), 8, 2)
            .unwrap()
            .unwrap();
        assert_eq!(exact.len(), 2);
        assert_eq!(exact[1], Span { start: 8, len: 8 });
    }

    #[test]
    fn a_zero_range_size_is_invalid_input() {
        let e = plan_ranges(&object(20, Some("abc")), 0, 4).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn range_reads_pin_the_version() {
        let get = range_request(&object(20, Some("abc")), Span { start: 8, len: 8 });
        assert_eq!((get.range.start, get.range.end), (8, Some(16)));
        assert_eq!(get.conditions.if_match.as_deref(), Some("abc"));
    }

    #[test]
    fn another_version_is_integrity() {
        let first = object(20, Some("abc"));
        assert!(check_same_version(&first, &first.clone()).is_ok());
        let e = check_same_version(&first, &object(20, Some("def"))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity);
        let e = check_same_version(&first, &object(21, Some("abc"))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity);
    }

    #[test]
    fn only_cut_or_stalled_bodies_are_read_again_a_few_times() {
        let cut = Error::new(ErrorKind::Transport, "reset");
        assert!(retry_range(&cut, 1) && retry_range(&cut, RANGE_ATTEMPTS - 1));
        assert!(!retry_range(&cut, RANGE_ATTEMPTS));
        assert!(retry_range(&Error::new(ErrorKind::Timeout, "stalled"), 1));
        for kind in [
            ErrorKind::PreconditionFailed,
            ErrorKind::Integrity,
            ErrorKind::Cancelled,
        ] {
            assert!(!retry_range(&Error::new(kind, "final"), 1), "{kind:?}");
        }
        let span = Span { start: 64, len: 32 };
        assert_eq!(span.after(10), Span { start: 74, len: 22 });
    }

    #[test]
    fn the_first_error_wins() {
        let errors = FirstError::new();
        errors.record(Ok(()));
        assert!(!errors.stopped());
        errors.record(Err(Error::invalid("first")));
        errors.record(Err(Error::new(ErrorKind::Io, "second")));
        assert!(errors.stopped());
        assert_eq!(
            errors.into_result().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
}
