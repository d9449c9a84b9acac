//! The blocking mode's runtime seam: the same names as `asynchronous::rt`, with plain
//! blocking implementations. The shared shell code imports these by relative path.

use std::collections::VecDeque;
use std::io::Cursor;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;

use crate::error::Result;
use crate::storage::{Page, Pager};

pub(crate) use maybe_async::must_be_sync as maybe_async;
pub(crate) use std::fs::File;
pub(crate) use std::io::{Read as ReadExt, Write as WriteExt};

/// A readable object body: `std::io::Read` in blocking mode.
pub type ObjectReader = Box<dyn std::io::Read + Send + 'static>;

/// A lazily paginated listing: an `Iterator` in blocking mode. Each page is fetched only
/// when the items of the previous one have been consumed.
pub type Listing<'a, T> = Box<dyn Iterator<Item = Result<T>> + Send + 'a>;

/// What uploads read from: any `std::io::Read + Send` in blocking mode.
pub trait UploadReader: std::io::Read + Send {}
impl<T: std::io::Read + Send + ?Sized> UploadReader for T {}

/// What downloads write to: any `std::io::Write + Send` in blocking mode.
pub trait DownloadWriter: std::io::Write + Send {}
impl<T: std::io::Write + Send + ?Sized> DownloadWriter for T {}

/// Runs blocking file-system work. In blocking mode that is simply calling it.
pub(crate) fn unblock<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    f()
}

pub(crate) use super::raw_http::RawClient;

/// One credentials refresh at a time: the refresher holds it, other callers wait on it.
#[derive(Debug, Default)]
pub(crate) struct FlightLock(Mutex<()>);

impl FlightLock {
    /// Waits for the lock (a panicked holder does not poison it: the cache is re-read).
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `f` inside `span`.
pub(crate) fn in_span<T>(span: tracing::Span, f: impl FnOnce() -> T) -> T {
    span.in_scope(f)
}

/// Waits, for retry backoff.
pub(crate) fn sleep(d: Duration) {
    std::thread::sleep(d)
}

pub(crate) fn bytes_reader(b: Bytes) -> ObjectReader {
    Box::new(Cursor::new(b))
}

/// A body that must hold exactly `check`'s length (see [`crate::http::LengthCheck`]).
pub(crate) fn exact_length(inner: ObjectReader, check: crate::http::LengthCheck) -> ObjectReader {
    Box::new(ExactLength { inner, check })
}

struct ExactLength {
    inner: ObjectReader,
    check: crate::http::LengthCheck,
}

impl std::io::Read for ExactLength {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let read = self.inner.read(buf);
        self.check.on_read(read)
    }
}

pub(crate) fn file_reader(file: File, len: u64) -> ObjectReader {
    Box::new(std::io::Read::take(file, len))
}

pub(crate) fn seek_to(file: &mut File, offset: u64) -> Result<()> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(offset))?;
    Ok(())
}

/// Turns a page-fetch function into a lazy listing driven by [`Pager`].
pub(crate) fn paginate<'a, T, F>(fetch: F) -> Listing<'a, T>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Result<Page<T>> + Send + 'a,
{
    Box::new(PageIter {
        pager: Pager::new(),
        fetch,
        buffered: VecDeque::new(),
    })
}

struct PageIter<T, F> {
    pager: Pager,
    fetch: F,
    buffered: VecDeque<Result<T>>,
}

impl<T, F> Iterator for PageIter<T, F>
where
    F: FnMut(Option<String>) -> Result<Page<T>>,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Some(item);
            }
            let token = self.pager.next_token()?.map(str::to_owned);
            let page = (self.fetch)(token);
            self.buffered.extend(self.pager.accept(page));
        }
    }
}

/// Fetches every page through [`Pager`] and collects the items, for callers that want
/// the whole listing: never a partial list (a failed page or a repeated token is `Err`).
pub(crate) fn collect_pages<T, F>(mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Result<Page<T>>,
{
    let mut out = Vec::new();
    let mut pager = Pager::new();
    while let Some(token) = pager.next_token().map(|t| t.map(str::to_owned)) {
        pager.accept_all(fetch(token), &mut out)?;
    }
    Ok(out)
}

/// Runs `f` on every item with at most `limit` running at once, on scoped threads that
/// pull from a shared queue; returns the results in input order.
///
/// This is how blocking mode does parallel transfers and "the same call on many drivers":
/// no runtime, no thread outlives the call.
///
/// ```
/// let squares = multicloud::blocking::run_bounded(vec![1, 2, 3], 2, |x| x * x);
/// assert_eq!(squares, [1, 4, 9]);
/// ```
pub fn run_bounded<T, R, F>(items: Vec<T>, limit: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let n = items.len();
    let workers = limit.max(1).min(n);
    if workers <= 1 {
        return items.into_iter().map(f).collect();
    }
    let queue = Mutex::new(items.into_iter().enumerate());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                    let Some((i, item)) = next else { break };
                    let r = f(item);
                    results.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        // Invariant: the scope joined every worker and a worker panic re-panics above,
        // so every slot was filled.
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// [`run_bounded`] for owned work, the twin of async mode's `spawn_bounded` (there it
/// spreads the items over the runtime's workers; here `run_bounded`'s threads already
/// do). The `*_many` helpers run on this.
///
/// ```
/// let squares = multicloud::blocking::spawn_bounded(vec![1, 2, 3], 2, |x| x * x);
/// assert_eq!(squares, [1, 4, 9]);
/// ```
pub fn spawn_bounded<T, R, F>(items: Vec<T>, limit: usize, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> R + Send + Sync + 'static,
{
    run_bounded(items, limit, f)
}

/// Runs `op` on every target (a driver per region, per provider, per account), at most
/// `limit` at once, and returns each result labelled, in input order: Libcloud's "fetch
/// nodes from many regions at once". A target that fails is one `Err` among the results;
/// the others are not lost.
///
/// ```
/// use multicloud::blocking::across;
/// use multicloud::blocking::compute::{ComputeDriver, MemoryCompute};
///
/// let clouds = [("north", MemoryCompute::new()), ("south", MemoryCompute::new())];
/// for region in across(clouds, 8, |cloud| cloud.list_nodes()) {
///     println!("{}: {} nodes", region.label, region.result?.len());
/// }
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn across<L, D, T, F>(
    targets: impl IntoIterator<Item = (L, D)>,
    limit: usize,
    op: F,
) -> Vec<crate::Labelled<T>>
where
    L: Into<String>,
    D: Send,
    T: Send,
    F: Fn(D) -> crate::Result<T> + Sync,
{
    let items: Vec<(String, D)> = targets.into_iter().map(|(l, d)| (l.into(), d)).collect();
    run_bounded(items, limit, |(label, d)| {
        crate::Labelled::new(label, op(d))
    })
}

/// Reads up to `limit` bytes; fewer only at the end of the reader. `capacity` is the
/// first allocation (the whole `limit` when the caller expects it to fill).
pub(crate) fn read_up_to<R: UploadReader + ?Sized>(
    reader: &mut R,
    limit: usize,
    capacity: usize,
) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(capacity.min(limit));
    std::io::Read::take(reader, limit as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads `reader` in parts of `part_size` and runs `upload(part_number, bytes)` on up to
/// `limit` parts at once (scoped worker threads fed through a rendezvous channel), so at
/// most `limit + 1` parts are in memory. Returns each part's result in part order; stops
/// reading at the first failure and returns it.
pub(crate) fn upload_parts<R, F>(
    mut reader: R,
    part_size: usize,
    limit: usize,
    upload: F,
) -> Result<Vec<String>>
where
    R: UploadReader,
    F: Fn(u32, Bytes) -> Result<String> + Sync,
{
    use std::sync::atomic::{AtomicBool, Ordering};
    let done: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<crate::Error>> = Mutex::new(None);
    let failed = AtomicBool::new(false);
    let panicked: Mutex<Option<Box<dyn std::any::Any + Send>>> = Mutex::new(None);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u32, Bytes)>(0);
    let rx = Mutex::new(rx);
    // A token per worker: a part is read only once a worker is free to take it, so at
    // most `limit` parts are in memory, the one being read included.
    let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<()>(limit.max(1));
    for _ in 0..limit.max(1) {
        let _ = free_tx.send(());
    }
    let read_result = std::thread::scope(|s| {
        for _ in 0..limit.max(1) {
            s.spawn(|| {
                loop {
                    let next = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((n, bytes)) = next else { break };
                    // A panicking upload must not leave the reader blocked on a channel
                    // nobody drains: catch it, stop, and re-raise it once all have joined.
                    let outcome =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| upload(n, bytes)));
                    match outcome {
                        Ok(Ok(etag)) => done
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push((n, etag)),
                        Ok(Err(e)) => {
                            failed.store(true, Ordering::SeqCst);
                            first_error
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .get_or_insert(e);
                        }
                        Err(payload) => {
                            failed.store(true, Ordering::SeqCst);
                            panicked
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .get_or_insert(payload);
                        }
                    }
                    let _ = free_tx.send(());
                }
            });
        }
        let mut n = 1u32;
        let outcome = loop {
            if free_rx.recv().is_err() || failed.load(Ordering::SeqCst) {
                break Ok(());
            }
            let part = match read_up_to(&mut reader, part_size, part_size) {
                Ok(p) => p,
                Err(e) => break Err(e),
            };
            if part.is_empty() {
                break Ok(());
            }
            let last = part.len() < part_size;
            if tx.send((n, Bytes::from(part))).is_err() || last {
                break Ok(());
            }
            n += 1;
        };
        drop(tx);
        outcome
    });
    if let Some(payload) = panicked
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        std::panic::resume_unwind(payload);
    }
    read_result?;
    if let Some(e) = first_error
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        return Err(e);
    }
    let mut parts = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    parts.sort_unstable_by_key(|(n, _)| *n);
    Ok(parts.into_iter().map(|(_, e)| e).collect())
}

/// Sends a clean-up request from a destructor: blocking mode just sends it (built now, so
/// it is signed at send time).
pub(crate) fn send_detached(
    client: super::http::HttpClient,
    make: impl FnOnce() -> crate::http::Request + Send + 'static,
) {
    let _ = client.send(&make());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_parts_keeps_part_order() {
        let data: Vec<u8> = (0..95u8).collect();
        let etags = upload_parts(std::io::Cursor::new(data), 10, 3, |n, b| {
            Ok(format!("{n}:{}", b.len()))
        })
        .unwrap();
        let expected: Vec<String> = (1..=10)
            .map(|n| format!("{n}:{}", if n == 10 { 5 } else { 10 }))
            .collect();
        assert_eq!(etags, expected);
    }

    #[test]
    fn upload_parts_holds_at_most_limit_parts_in_memory() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        /// Counts a part as live from the first read of its bytes.
        struct Counting<'a> {
            data: std::io::Cursor<Vec<u8>>,
            live: &'a AtomicUsize,
            most: &'a AtomicUsize,
        }
        impl std::io::Read for Counting<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.data.position() % 10 == 0 && self.data.position() < 100 {
                    let now = self.live.fetch_add(1, SeqCst) + 1;
                    self.most.fetch_max(now, SeqCst);
                }
                let n = buf.len().min(10);
                self.data.read(&mut buf[..n])
            }
        }
        let (live, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let reader = Counting {
            data: std::io::Cursor::new(vec![7u8; 100]),
            live: &live,
            most: &most,
        };
        upload_parts(reader, 10, 2, |n, _| {
            // Slow uploads: a reader that ran ahead would have a third part live by now.
            for _ in 0..2_000 {
                std::thread::yield_now();
            }
            live.fetch_sub(1, SeqCst);
            Ok(n.to_string())
        })
        .unwrap();
        assert!(
            most.load(SeqCst) <= 2,
            "{} parts were live at once",
            most.load(SeqCst)
        );
    }

    #[test]
    fn upload_parts_stops_at_the_first_error() {
        let data = vec![0u8; 1000];
        let e = upload_parts(std::io::Cursor::new(data), 10, 2, |n, _| {
            if n == 3 {
                Err(crate::Error::new(
                    crate::ErrorKind::Transport,
                    "part 3 failed",
                ))
            } else {
                Ok(String::new())
            }
        })
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Transport);
    }

    #[test]
    fn a_panicking_part_upload_panics_the_caller_instead_of_hanging() {
        let data = vec![0u8; 1000];
        let outcome = std::panic::catch_unwind(|| {
            upload_parts(std::io::Cursor::new(data), 10, 2, |n, _| {
                assert!(n != 2, "part 2 blew up");
                Ok(String::new())
            })
        });
        assert!(outcome.is_err());
    }
}
