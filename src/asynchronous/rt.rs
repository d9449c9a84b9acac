//! The async mode's runtime seam: the same names as `blocking::rt`, implemented on tokio
//! and futures. The shared shell code imports these by relative path.

use std::future::Future;
use std::io::Cursor;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::error::{Error, ErrorKind, Result};
use crate::storage::{Page, Pager};

pub(crate) use maybe_async::must_be_async as maybe_async;
pub(crate) use tokio::fs::File;
pub(crate) use tokio::io::{AsyncReadExt as ReadExt, AsyncWriteExt as WriteExt};

/// A readable object body: `tokio::io::AsyncRead` in async mode.
pub type ObjectReader = Pin<Box<dyn tokio::io::AsyncRead + Send + 'static>>;

/// A lazily paginated listing: a `futures::Stream` in async mode. Each page is fetched
/// only when the items of the previous one have been consumed.
pub type Listing<'a, T> = BoxStream<'a, Result<T>>;

/// What uploads read from: any `tokio::io::AsyncRead + Unpin + Send` in async mode.
pub trait UploadReader: tokio::io::AsyncRead + Unpin + Send {}
impl<T: tokio::io::AsyncRead + Unpin + Send + ?Sized> UploadReader for T {}

/// What downloads write to: any `tokio::io::AsyncWrite + Unpin + Send` in async mode.
pub trait DownloadWriter: tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncWrite + Unpin + Send + ?Sized> DownloadWriter for T {}

/// Runs blocking file-system work on tokio's blocking pool.
pub(crate) async fn unblock<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::new(ErrorKind::Io, format!("a file-system task failed: {e}")).with_source(e)
    })?
}

pub(crate) use super::raw_http::RawClient;

/// One credentials refresh at a time: the refresher holds it, other callers wait on it.
#[derive(Debug, Default)]
pub(crate) struct FlightLock(tokio::sync::Mutex<()>);

impl FlightLock {
    /// Waits for the lock.
    pub(crate) async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.0.lock().await
    }
}

/// Runs the future `f` makes inside `span`.
pub(crate) fn in_span<Fut: Future>(
    span: tracing::Span,
    f: impl FnOnce() -> Fut,
) -> tracing::instrument::Instrumented<Fut> {
    tracing::Instrument::instrument(f(), span)
}

/// Waits, for retry backoff.
pub(crate) async fn sleep(d: Duration) {
    tokio::time::sleep(d).await
}

pub(crate) fn bytes_reader(b: Bytes) -> ObjectReader {
    Box::pin(Cursor::new(b))
}

/// A body that must hold exactly `check`'s length (see [`crate::http::LengthCheck`]).
pub(crate) fn exact_length(inner: ObjectReader, check: crate::http::LengthCheck) -> ObjectReader {
    Box::pin(ExactLength { inner, check })
}

struct ExactLength {
    inner: ObjectReader,
    check: crate::http::LengthCheck,
}

impl tokio::io::AsyncRead for ExactLength {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return std::task::Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let read = std::task::ready!(this.inner.as_mut().poll_read(cx, buf));
        let read = read.map(|()| buf.filled().len() - before);
        std::task::Poll::Ready(this.check.on_read(read).map(|_| ()))
    }
}

pub(crate) fn file_reader(file: File, len: u64) -> ObjectReader {
    Box::pin(tokio::io::AsyncReadExt::take(file, len))
}

pub(crate) async fn seek_to(file: &mut File, offset: u64) -> Result<()> {
    use tokio::io::AsyncSeekExt;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    Ok(())
}

/// Turns a page-fetch function into a lazy listing driven by [`Pager`].
pub(crate) fn paginate<'a, T, F, Fut>(fetch: F) -> Listing<'a, T>
where
    T: Send + 'a,
    F: FnMut(Option<String>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T>>> + Send + 'a,
{
    stream::unfold((Pager::new(), fetch), |(mut pager, mut fetch)| async move {
        let token = pager.next_token()?.map(str::to_owned);
        let page = fetch(token).await;
        let items = pager.accept(page);
        Some((stream::iter(items), (pager, fetch)))
    })
    .flatten()
    .boxed()
}

/// Fetches every page through [`Pager`] and collects the items, for callers that want
/// the whole listing: never a partial list (a failed page or a repeated token is `Err`).
pub(crate) async fn collect_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut out = Vec::new();
    let mut pager = Pager::new();
    while let Some(token) = pager.next_token().map(|t| t.map(str::to_owned)) {
        pager.accept_all(fetch(token).await, &mut out)?;
    }
    Ok(out)
}

/// Runs `f` on every item with at most `limit` futures in flight (`buffer_unordered`);
/// returns the results in input order.
///
/// This is how async mode does parallel transfers and "the same call on many drivers".
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let squares = multicloud::asynchronous::run_bounded(vec![1, 2, 3], 2, |x| async move { x * x }).await;
/// assert_eq!(squares, [1, 4, 9]);
/// # }
/// ```
pub async fn run_bounded<T, R, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> Fut + Send + Sync,
    Fut: Future<Output = R> + Send,
{
    let f = &f;
    let mut out: Vec<(usize, R)> = stream::iter(items.into_iter().enumerate())
        .map(|(i, item)| async move { (i, f(item).await) })
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    out.sort_unstable_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// [`run_bounded`] for owned work: each item runs on a task of its own, spawned on the
/// current tokio runtime, so signing, hashing and parsing spread over the runtime's
/// worker threads instead of sharing the caller's task. At most `limit` run at once;
/// results come back in input order. Dropping the returned future aborts the tasks.
/// Outside a runtime it runs the items on the caller's task, as `run_bounded` does.
///
/// The `*_many` helpers run on this.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)] async fn main() {
/// let squares = multicloud::asynchronous::spawn_bounded(vec![1, 2, 3], 2, |x| async move { x * x }).await;
/// assert_eq!(squares, [1, 4, 9]);
/// # }
/// ```
pub async fn spawn_bounded<T, R, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return run_bounded(items, limit, f).await;
    };
    let n = items.len();
    let mut todo = items.into_iter().enumerate();
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < limit.max(1) {
            let Some((i, item)) = todo.next() else { break };
            // Boxed: a driver's future is kilobytes, and tokio moves a task's future (and
            // the stage that replaces it) several times; a box moves as a pointer.
            let work = Box::pin(f(item));
            running.spawn_on(async move { (i, work.await) }, &runtime);
        }
        match running.join_next().await {
            None => break,
            Some(Ok((i, r))) => out[i] = Some(r),
            // A task panicked: the caller panics, as run_bounded's would.
            Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    // Invariant: every item was spawned and joined, so every slot is filled.
    out.into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Runs `op` on every target (a driver per region, per provider, per account), at most
/// `limit` at once, each on a task of its own ([`spawn_bounded`]), and returns each result
/// labelled, in input order: Libcloud's "fetch nodes from many regions at once". A target
/// that fails is one `Err` among the results; the others are not lost.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> multicloud::Result<()> {
/// use multicloud::asynchronous::across;
/// use multicloud::asynchronous::compute::{ComputeDriver, MemoryCompute};
///
/// let clouds = [("north", MemoryCompute::new()), ("south", MemoryCompute::new())];
/// let regions = across(clouds, 8, |cloud| async move { cloud.list_nodes().await }).await;
/// for region in regions {
///     println!("{}: {} nodes", region.label, region.result?.len());
/// }
/// # Ok(())
/// # }
/// ```
pub async fn across<L, D, T, F, Fut>(
    targets: impl IntoIterator<Item = (L, D)>,
    limit: usize,
    op: F,
) -> Vec<crate::Labelled<T>>
where
    L: Into<String>,
    D: Send + 'static,
    T: Send + 'static,
    F: Fn(D) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = crate::Result<T>> + Send + 'static,
{
    let items: Vec<(String, D)> = targets.into_iter().map(|(l, d)| (l.into(), d)).collect();
    spawn_bounded(items, limit, move |(label, d)| {
        let work = op(d);
        async move { crate::Labelled::new(label, work.await) }
    })
    .await
}

/// Reads up to `limit` bytes; fewer only at the end of the reader. `capacity` is the
/// first allocation (the whole `limit` when the caller expects it to fill).
pub(crate) async fn read_up_to<R: UploadReader + ?Sized>(
    reader: &mut R,
    limit: usize,
    capacity: usize,
) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(capacity.min(limit));
    tokio::io::AsyncReadExt::take(reader, limit as u64)
        .read_to_end(&mut buf)
        .await?;
    Ok(buf)
}

/// Reads `reader` in parts of `part_size` and runs `upload(part_number, bytes)` on up to
/// `limit` parts at once (`buffer_unordered`, which reads the next part only when a slot is
/// free), so at most `limit` parts are in memory. Returns each part's result in part order;
/// at the first failure the in-flight uploads are dropped and the error returned.
pub(crate) async fn upload_parts<R, F, Fut>(
    reader: R,
    part_size: usize,
    limit: usize,
    upload: F,
) -> Result<Vec<String>>
where
    R: UploadReader,
    F: Fn(u32, Bytes) -> Fut,
    Fut: Future<Output = Result<String>>,
{
    let parts = stream::unfold(
        (reader, 1u32, false),
        move |(mut r, n, finished)| async move {
            if finished {
                return None;
            }
            match read_up_to(&mut r, part_size, part_size).await {
                Ok(b) if b.is_empty() => None,
                Ok(b) => {
                    let last = b.len() < part_size;
                    Some((Ok((n, Bytes::from(b))), (r, n + 1, last)))
                }
                Err(e) => Some((Err(e), (r, n + 1, true))),
            }
        },
    );
    let upload = &upload;
    let uploads = parts
        .map(|part| async move {
            let (n, bytes) = part?;
            Ok::<_, Error>((n, upload(n, bytes).await?))
        })
        .buffer_unordered(limit.max(1));
    let mut uploads = std::pin::pin!(uploads);
    let mut done = Vec::new();
    while let Some(r) = uploads.next().await {
        done.push(r?);
    }
    done.sort_unstable_by_key(|(n, _)| *n);
    Ok(done.into_iter().map(|(_, e)| e).collect())
}

/// Sends a clean-up request from a destructor (a cancelled upload's abort). It runs on a
/// thread of its own with its own small runtime and a fresh client: a task spawned on the
/// caller's runtime would be dropped if that runtime shuts down right after the cancel,
/// and its pooled connections die with it. The request is built (signed) when sent.
pub(crate) fn send_detached(
    client: super::http::HttpClient,
    make: impl FnOnce() -> crate::http::Request + Send + 'static,
) {
    let config = client.config().clone();
    let spawned = std::thread::Builder::new()
        .name("multicloud-cleanup".to_owned())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(fresh) = super::http::HttpClient::new(config) {
                    let _ = fresh.send(&make()).await;
                }
            });
        });
    // Nothing more can be done from a destructor if no thread can start.
    drop(spawned);
}
