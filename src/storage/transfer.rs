//! Watching and stopping transfers: a progress observer and a cancel token, both cheap to
//! clone, `Send + Sync`, and free when unused (a transfer without them does no extra work
//! but an `Option` check per chunk or part).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::error::{Error, ErrorKind, Result};

/// Stops transfers from another thread or task: [`cancel`](Self::cancel) makes every
/// transfer holding a clone of the token fail with [`ErrorKind::Cancelled`] at its next
/// check, between chunks (downloads, Local uploads) or parts (multipart uploads, which are
/// then aborted), and makes `*_many` items not yet started fail at once.
///
/// In async mode dropping the future also stops a transfer; the token does the same in
/// both modes, which blocking code needs.
///
/// A cancelling *reader* should return an error of its own (any `io::ErrorKind` but
/// `Interrupted`, which `std::io` retries forever: a reader that keeps answering
/// `Interrupted` spins at full CPU), or better, cancel this token.
///
/// ```
/// use multicloud::storage::CancelToken;
/// let token = CancelToken::new();
/// let for_worker = token.clone();
/// token.cancel();
/// assert!(for_worker.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<Flag>);

#[derive(Debug, Default)]
struct Flag {
    cancelled: AtomicBool,
    // Cancelling any of these cancels this token too.
    parents: Vec<CancelToken>,
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new token cancelled with this one (and on its own): one per job of a larger
    /// task, say, so the task's token stops them all and each can be stopped alone.
    pub fn child(&self) -> CancelToken {
        Self::with_parents(vec![self.clone()])
    }

    /// A token cancelled when either of these is.
    pub(crate) fn either(a: &CancelToken, b: &CancelToken) -> CancelToken {
        Self::with_parents(vec![a.clone(), b.clone()])
    }

    fn with_parents(parents: Vec<CancelToken>) -> CancelToken {
        CancelToken(Arc::new(Flag {
            cancelled: AtomicBool::new(false),
            parents,
        }))
    }

    /// Cancels every transfer holding a clone of this token (or of a child of it).
    /// Cannot be undone.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Release);
    }

    /// Whether [`cancel`](Self::cancel) was called, on this token or a parent.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Acquire) || self.0.parents.iter().any(Self::is_cancelled)
    }

    /// `Err(Cancelled)` naming `what` once cancelled.
    pub fn check(&self, what: &str) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::new(
                ErrorKind::Cancelled,
                format!("{what}: cancelled by the caller"),
            ));
        }
        Ok(())
    }
}

impl PartialEq for CancelToken {
    /// Two tokens are equal when they are clones of one another.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CancelToken {}

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// The object being transferred.
    pub name: &'a str,
    /// Bytes done so far: acknowledged by the store for uploads (whole parts, or the whole
    /// object for a single request), written to the destination for downloads.
    pub bytes: u64,
    /// The object's size, when known.
    pub total: Option<u64>,
    /// For an item of a `*_many` call: how the whole batch stands.
    pub batch: Option<BatchProgress>,
}

/// Where a `*_many` call stands, reported with each item's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchProgress {
    /// Bytes done over all items.
    pub bytes: u64,
    /// The sum of all items' sizes, when every size is known in advance.
    pub total: Option<u64>,
    /// Items finished (successfully or not).
    pub items_done: usize,
    /// Items in the batch.
    pub items: usize,
}

/// Receives [`Progress`] reports. Called from the thread or task doing the transfer (for
/// parallel parts, from several at once): keep it quick, hand slow work elsewhere.
/// Any `Fn(&Progress) + Send + Sync` closure is an observer.
pub trait ProgressObserver: Send + Sync {
    /// One report; `bytes` never decreases for one object.
    fn on_progress(&self, progress: &Progress<'_>);
}

impl<F: Fn(&Progress<'_>) + Send + Sync> ProgressObserver for F {
    fn on_progress(&self, progress: &Progress<'_>) {
        self(progress)
    }
}

/// A shared [`ProgressObserver`], as the options structs hold it.
#[derive(Clone)]
pub struct Observer(Arc<dyn ProgressObserver>);

impl Observer {
    /// Wraps an observer (a closure, say).
    pub fn new(observer: impl ProgressObserver + 'static) -> Self {
        Observer(Arc::new(observer))
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer(..)")
    }
}

impl PartialEq for Observer {
    /// Two observers are equal when they are clones of one another.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Observer {}

/// The progress and cancellation of one transfer, as drivers drive it: `advance` after
/// each acknowledged part or written chunk, `check` before each.
#[derive(Debug)]
pub(crate) struct Tracker<'a> {
    name: &'a str,
    total: Option<u64>,
    // Reports are made under the lock, so an observer sees `bytes` rise even when
    // parallel parts finish at once.
    done: Mutex<u64>,
    observer: Option<&'a Observer>,
    cancel: Option<&'a CancelToken>,
}

impl<'a> Tracker<'a> {
    /// A tracker for `name`, reporting to `observer` and stopped by `cancel`.
    pub(crate) fn new(
        name: &'a str,
        total: Option<u64>,
        observer: Option<&'a Observer>,
        cancel: Option<&'a CancelToken>,
    ) -> Self {
        Tracker {
            name,
            total,
            done: Mutex::new(0),
            observer,
            cancel,
        }
    }

    /// `Err(Cancelled)` once the token is cancelled.
    pub(crate) fn check(&self) -> Result<()> {
        match self.cancel {
            Some(t) => t.check(&format!("transferring {:?}", self.name)),
            None => Ok(()),
        }
    }

    /// Records `n` more bytes done and reports the new total.
    pub(crate) fn advance(&self, n: u64) {
        let Some(observer) = self.observer else {
            return;
        };
        let mut done = lock(&self.done);
        *done += n;
        observer.0.on_progress(&Progress {
            name: self.name,
            bytes: *done,
            total: self.total,
            batch: None,
        });
    }
}

/// Sums the progress of a `*_many` call's items and reports each item's progress with the
/// batch's.
#[derive(Debug)]
pub(crate) struct Batch {
    observer: Observer,
    total: Option<u64>,
    items: usize,
    // (bytes, items done): reported under the lock, so the batch's figures only rise.
    state: Mutex<(u64, usize)>,
}

/// One item of a [`Batch`]: the observer its transfer reports to, and its finish.
pub(crate) struct BatchItem {
    batch: Arc<Batch>,
    last: Arc<AtomicU64>,
    own: Option<Observer>,
}

impl Batch {
    /// A batch of `items` items of known total size `total`, reporting to `observer`.
    pub(crate) fn new(observer: Observer, items: usize, total: Option<u64>) -> Arc<Self> {
        Arc::new(Batch {
            observer,
            total,
            items,
            state: Mutex::new((0, 0)),
        })
    }

    /// One more item, whose reports also reach its `own` observer, if any.
    pub(crate) fn item(self: &Arc<Self>, own: Option<Observer>) -> BatchItem {
        BatchItem {
            batch: self.clone(),
            last: Arc::new(AtomicU64::new(0)),
            own,
        }
    }

    fn report(&self, item: &Progress<'_>, bytes: u64, items: usize) {
        let mut state = lock(&self.state);
        state.0 += bytes;
        state.1 += items;
        let batch = BatchProgress {
            bytes: state.0,
            total: self.total,
            items_done: state.1,
            items: self.items,
        };
        let p = Progress {
            batch: Some(batch),
            ..*item
        };
        self.observer.0.on_progress(&p);
    }
}

impl BatchItem {
    /// The observer the item's transfer reports to.
    pub(crate) fn observer(&self) -> Observer {
        let (batch, last, own) = (self.batch.clone(), self.last.clone(), self.own.clone());
        Observer::new(move |p: &Progress<'_>| {
            let delta = p.bytes.saturating_sub(last.swap(p.bytes, Ordering::AcqRel));
            batch.report(p, delta, 0);
            if let Some(own) = &own {
                own.0.on_progress(p);
            }
        })
    }

    /// Records the item finished (`size`: the object's, on success) and reports it with
    /// the bytes it reached, which never go back.
    pub(crate) fn finish(&self, name: &str, size: Option<u64>) {
        let bytes = self.last.load(Ordering::Acquire).max(size.unwrap_or(0));
        let delta = bytes - self.last.load(Ordering::Acquire);
        let p = Progress {
            name,
            bytes,
            total: size,
            batch: None,
        };
        self.batch.report(&p, delta, 1);
    }
}

/// A lock whose holder cannot leave its data half-changed: poisoning is ignored.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder() -> (Observer, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let observer = Observer::new(move |p: &Progress<'_>| {
            let batch = p.batch.map(|b| (b.bytes, b.total, b.items_done, b.items));
            let line = format!("{} {} {:?} {batch:?}", p.name, p.bytes, p.total);
            log.lock().unwrap().push(line);
        });
        (observer, seen)
    }

    #[test]
    fn a_tracker_reports_running_totals_and_stops_when_cancelled() {
        let (observer, seen) = recorder();
        let token = CancelToken::new();
        let t = Tracker::new("k", Some(10), Some(&observer), Some(&token));
        t.check().unwrap();
        t.advance(4);
        t.advance(6);
        token.clone().cancel();
        assert_eq!(t.check().unwrap_err().kind(), ErrorKind::Cancelled);
        assert_eq!(
            *seen.lock().unwrap(),
            ["k 4 Some(10) None", "k 10 Some(10) None"]
        );
    }

    #[test]
    fn a_batch_sums_its_items() {
        let (observer, seen) = recorder();
        let batch = Batch::new(observer, 2, Some(30));
        let (own, own_seen) = recorder();
        let (a, b) = (batch.item(Some(own)), batch.item(None));
        let oa = a.observer();
        Tracker::new("a", Some(10), Some(&oa), None).advance(10);
        let ob = b.observer();
        let tb = Tracker::new("b", Some(20), Some(&ob), None);
        tb.advance(5);
        a.finish("a", Some(10));
        tb.advance(7);
        b.finish("b", None); // failed after 12 bytes: its figure stays at 12
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0], "a 10 Some(10) Some((10, Some(30), 0, 2))");
        assert_eq!(seen[1], "b 5 Some(20) Some((15, Some(30), 0, 2))");
        assert_eq!(seen[2], "a 10 Some(10) Some((15, Some(30), 1, 2))");
        assert_eq!(seen[3], "b 12 Some(20) Some((22, Some(30), 1, 2))");
        assert_eq!(seen[4], "b 12 None Some((22, Some(30), 2, 2))");
        assert_eq!(*own_seen.lock().unwrap(), ["a 10 Some(10) None"]);
    }

    #[test]
    fn children_and_either_follow_their_parents() {
        let (parent, other) = (CancelToken::new(), CancelToken::new());
        let child = parent.child();
        let both = CancelToken::either(&child, &other);
        child.cancel();
        assert!(!parent.is_cancelled(), "a child does not cancel its parent");
        assert!(both.is_cancelled());
        let child = parent.child();
        parent.cancel();
        assert!(child.is_cancelled());
    }

    #[test]
    fn options_compare_by_identity() {
        let t = CancelToken::new();
        assert_eq!(t, t.clone());
        assert_ne!(t, CancelToken::new());
        let o = Observer::new(|_: &Progress<'_>| {});
        assert_eq!(o, o.clone());
        assert_eq!(format!("{o:?}"), "Observer(..)");
    }
}
