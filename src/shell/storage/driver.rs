use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

// The I/O extension traits are needed for async calls only; blocking resolves them
// through the `Read`/`Write` supertraits.
#[allow(unused_imports)]
use super::rt::{self, ReadExt, WriteExt, maybe_async};
use super::streams::{Many, TempFile, copy_between, copy_digesting};
use super::streams::{download_tracked, upload_tracked};
use super::{ByteRange, Container, Listing, Object, ObjectReader, Page, UploadOptions};
use super::{DownloadWriter, UploadItem, UploadReader};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{
    Batch, DEFAULT_PAGE_SIZE, Entry, EntryGrouper, GetOptions, local_fs::download_target,
    verify_download, verify_length,
};
use crate::storage::{ContentDigest, DownloadOptions, local_fs::io_at};
use std::time::Duration;

use super::ranged::{Download, fill_temp};

/// The object-storage operations every provider offers (Libcloud's `StorageDriver`, in
/// Rust names). Identical in both modes but for `async`/`.await`, `Iterator`/`Stream` and
/// `Read`/`AsyncRead`.
///
/// Drivers are cheap to clone and `Send + Sync`; async futures are `Send`, so calls can be
/// spawned on tokio or sent to threads.
///
/// Required methods are the provider's primitives; the provided ones (listing all objects,
/// files, ranges, the `*_many` helpers) are built on them once for every driver.
///
/// Object names follow one portable rule in every driver (1-1024 bytes of UTF-8, no
/// control characters, not `.` or `..`; see [`names`](crate::storage::names)); a driver
/// refuses more only what its medium cannot hold (Local: `a//b`, `..` segments, ...) with
/// an `InvalidInput` saying so.
///
/// Code written against the trait runs on every driver; progress and cancellation ride
/// in the options:
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::storage::{CancelToken, Memory, Progress, StorageDriver};
use multicloud::blocking::storage::UploadOptions;

fn backup(store: &impl StorageDriver, cancel: &CancelToken) -> multicloud::Result<u64> {
    store.ensure_container("backups")?;
    let opts = UploadOptions::new()
        .create_only()
        .progress(|p: &Progress<'_>| eprintln!("{}: {} bytes stored", p.name, p.bytes))
        .cancel(cancel);
    let o = store.upload_bytes("backups", "day-1.tar", vec![0; 1024].into(), &opts)?;
    Ok(o.size)
}
assert_eq!(backup(&Memory::new(), &CancelToken::new())?, 1024);
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::storage::{CancelToken, Memory, Progress, StorageDriver};
use multicloud::asynchronous::storage::UploadOptions;

async fn backup(store: &impl StorageDriver, cancel: &CancelToken) -> multicloud::Result<u64> {
    store.ensure_container("backups").await?;
    let opts = UploadOptions::new()
        .create_only()
        .progress(|p: &Progress<'_>| eprintln!("{}: {} bytes stored", p.name, p.bytes))
        .cancel(cancel);
    let o = store.upload_bytes("backups", "day-1.tar", vec![0; 1024].into(), &opts).await?;
    Ok(o.size)
}
assert_eq!(backup(&Memory::new(), &CancelToken::new()).await?, 1024);
# Ok(())
# }
```
"#,
)]
#[maybe_async(AFIT)]
pub trait StorageDriver: Clone + Send + Sync + 'static {
    /// The provider's short name (`"local"`, `"memory"`, ...), as errors report it.
    fn provider_name(&self) -> &'static str;

    /// All containers.
    fn list_containers(&self) -> impl Future<Output = Result<Vec<Container>>> + Send;

    /// One container; `NotFound` if it does not exist.
    fn get_container(&self, name: &str) -> impl Future<Output = Result<Container>> + Send;

    /// Creates a container; `AlreadyExists` if it exists.
    fn create_container(&self, name: &str) -> impl Future<Output = Result<Container>> + Send;

    /// Deletes an empty container; `NotEmpty` if it holds objects, `NotFound` if missing.
    fn delete_container(&self, name: &str) -> impl Future<Output = Result<()>> + Send;

    /// One page of the objects whose names start with `prefix`, in name order, after the
    /// continuation `token` from the previous page. Most callers want
    /// [`iterate_objects`](Self::iterate_objects) instead.
    fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> impl Future<Output = Result<Page<Object>>> + Send;

    /// An object's metadata; `NotFound` if missing.
    fn get_object(
        &self,
        container: &str,
        name: &str,
    ) -> impl Future<Output = Result<Object>> + Send;

    /// Stores `data` as `name`, replacing any object of that name.
    fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> impl Future<Output = Result<Object>> + Send;

    /// Stores what `reader` yields until its end as `name`. The built-in drivers never
    /// expose a partially written object: on error the previous object (if any) remains.
    ///
    /// A reader's error fails the upload, except `std::io::ErrorKind::Interrupted`, which
    /// the standard I/O loops retry at once, forever: a reader meant to stop an upload
    /// must return another error, or better, the caller cancels the
    /// [`CancelToken`](crate::storage::CancelToken) in `opts`.
    fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        reader: R,
        opts: &UploadOptions,
    ) -> impl Future<Output = Result<Object>> + Send;

    /// Opens an object for reading, whole or by range, if its preconditions hold; returns
    /// its metadata and a reader. A failed precondition is `PreconditionFailed` or
    /// `NotModified` (see [`ReadConditions`](crate::storage::ReadConditions)), checked
    /// against the metadata the reader comes with even when the provider was asked to,
    /// so a server that ignores a condition cannot slip past it.
    fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> impl Future<Output = Result<(Object, ObjectReader)>> + Send;

    /// Opens a byte range of an object for reading; returns its metadata and a reader.
    fn open_object_range(
        &self,
        container: &str,
        name: &str,
        range: ByteRange,
    ) -> impl Future<Output = Result<(Object, ObjectReader)>> + Send {
        async move {
            self.open_object_with(container, name, &GetOptions::from(range))
                .await
        }
    }

    /// Deletes an object. Deleting a missing object succeeds (so retries are harmless);
    /// a missing container is `NotFound`.
    fn delete_object(&self, container: &str, name: &str)
    -> impl Future<Output = Result<()>> + Send;

    /// One page of a listing with a delimiter: the objects directly under `prefix` and
    /// the common prefixes ("directories") below it, in key order, after `token`. Most
    /// callers want [`iterate_entries`](Self::iterate_entries).
    ///
    /// The provided implementation groups [`list_objects_page`](Self::list_objects_page)
    /// pages and assumes, as Local and Memory do, that its tokens are the last name
    /// listed; drivers with opaque tokens (S3) override it with the provider's own
    /// delimiter listing.
    fn list_entries_page(
        &self,
        container: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
    ) -> impl Future<Output = Result<Page<Entry>>> + Send {
        async move {
            let max = max.max(1);
            let mut grouper = EntryGrouper::new(prefix, delimiter, token);
            while grouper.wants_more(max) {
                let after = grouper.resume_token();
                let page = self
                    .list_objects_page(container, prefix, after.as_deref(), DEFAULT_PAGE_SIZE)
                    .await;
                grouper.take(page)?;
            }
            Ok(grouper.finish(max))
        }
    }

    /// Lazily lists what is directly under `prefix`, splitting names at `delimiter`
    /// (usually `"/"`): objects, and one [`Entry::Prefix`] per "directory" below, in key
    /// order, paginated like [`iterate_objects`](Self::iterate_objects): an `Iterator` in
    /// blocking mode, a `Stream` in async mode.
    fn iterate_entries<'a>(
        &'a self,
        container: &'a str,
        prefix: &'a str,
        delimiter: &'a str,
    ) -> Listing<'a, Entry> {
        rt::paginate(move |token: Option<String>| async move {
            self.list_entries_page(
                container,
                prefix,
                delimiter,
                token.as_deref(),
                DEFAULT_PAGE_SIZE,
            )
            .await
        })
    }

    /// Everything [`iterate_entries`](Self::iterate_entries) yields, collected; never a
    /// partial list.
    fn list_entries(
        &self,
        container: &str,
        prefix: &str,
        delimiter: &str,
    ) -> impl Future<Output = Result<Vec<Entry>>> + Send {
        rt::collect_pages(move |token: Option<String>| async move {
            self.list_entries_page(
                container,
                prefix,
                delimiter,
                token.as_deref(),
                DEFAULT_PAGE_SIZE,
            )
            .await
        })
    }

    /// A URL that lets anyone `GET` the object for `expires`, with any HTTP client.
    /// Drivers without presigned URLs (Local, Memory) answer `Unsupported`.
    fn presign_get(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        let _ = (container, name, expires);
        Err(unsupported(self.provider_name(), "presigned URLs"))
    }

    /// A URL that lets anyone `PUT` the object for `expires`. Drivers without presigned
    /// URLs (Local, Memory) answer `Unsupported`.
    fn presign_put(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        let _ = (container, name, expires);
        Err(unsupported(self.provider_name(), "presigned URLs"))
    }

    /// Copies an object within this store: server side where the provider can (S3,
    /// Memory), otherwise streamed through this process in bounded memory. The copy keeps
    /// the source's content type and metadata; a streamed copy whose bytes do not match
    /// the source's size or MD5 is `Integrity` (and the destination is not replaced).
    fn copy_object(
        &self,
        src_container: &str,
        src_name: &str,
        dst_container: &str,
        dst_name: &str,
    ) -> impl Future<Output = Result<Object>> + Send {
        async move { copy_between(self, src_container, src_name, self, dst_container, dst_name).await }
    }

    /// Creates a container, or returns the existing one: `create_container` that accepts
    /// `AlreadyExists` when the container is there and reachable with these credentials
    /// (a name taken by someone else stays an error).
    fn ensure_container(&self, name: &str) -> impl Future<Output = Result<Container>> + Send {
        async move {
            match self.create_container(name).await {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => self.get_container(name).await,
                other => other,
            }
        }
    }

    /// Lazily lists the objects whose names start with `prefix` (`""` for all), fetching
    /// pages as they are consumed: an `Iterator` in blocking mode, a `Stream` in async mode.
    fn iterate_objects<'a>(&'a self, container: &'a str, prefix: &'a str) -> Listing<'a, Object> {
        rt::paginate(move |token: Option<String>| async move {
            self.list_objects_page(container, prefix, token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// All objects whose names start with `prefix`, collected. Never a partial list: a
    /// listing that fails part way (or whose provider repeats a token) is an `Err`.
    fn list_objects(
        &self,
        container: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<Object>>> + Send {
        rt::collect_pages(move |token: Option<String>| async move {
            self.list_objects_page(container, prefix, token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// Opens a whole object for reading; returns its metadata and a reader.
    fn open_object(
        &self,
        container: &str,
        name: &str,
    ) -> impl Future<Output = Result<(Object, ObjectReader)>> + Send {
        async move {
            self.open_object_range(container, name, ByteRange::ALL)
                .await
        }
    }

    /// Downloads a whole object into memory, checking its size and MD5.
    fn download_bytes(
        &self,
        container: &str,
        name: &str,
    ) -> impl Future<Output = Result<Bytes>> + Send {
        async move {
            self.download_bytes_with(container, name, &GetOptions::new())
                .await
        }
    }

    /// Downloads a byte range of an object into memory (`2..10`, `100..`, `..`). The bytes
    /// received are checked against the range resolved on the object's size: a driver (or
    /// server) that answers more or fewer bytes is an `Integrity` error.
    fn download_range(
        &self,
        container: &str,
        name: &str,
        range: impl Into<ByteRange> + Send,
    ) -> impl Future<Output = Result<Bytes>> + Send {
        async move {
            let opts = GetOptions::new().range(range);
            self.download_bytes_with(container, name, &opts).await
        }
    }

    /// Downloads an object, or a range of it, into memory if its preconditions hold: the
    /// length is always checked, the MD5 too for a whole object. With
    /// `ReadConditions::if_none_match(etag)` this is "fetch only if changed"
    /// (`NotModified` otherwise).
    fn download_bytes_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> impl Future<Output = Result<Bytes>> + Send {
        async move {
            let (object, mut reader) = self.open_object_with(container, name, opts).await?;
            let (_, len) = opts.range.resolve(object.size)?;
            let mut buf = Vec::with_capacity(len.min(64 << 20) as usize);
            reader.read_to_end(&mut buf).await?;
            verify_length(&object, len, buf.len() as u64)?;
            if opts.range == ByteRange::ALL {
                let mut digest = ContentDigest::for_object(&object);
                digest.update(&buf);
                verify_download(&object, buf.len() as u64, digest)?;
            }
            Ok(Bytes::from(buf))
        }
    }

    /// Streams a whole object into `writer`, checking its size and MD5; returns its metadata.
    fn download_to_writer<W: DownloadWriter>(
        &self,
        container: &str,
        name: &str,
        writer: W,
    ) -> impl Future<Output = Result<Object>> + Send {
        async move {
            self.download_to_writer_with(container, name, writer, DownloadOptions::new())
                .await
        }
    }

    /// [`download_to_writer`](Self::download_to_writer) with the read's preconditions, a
    /// progress observer (bytes written) and a cancel token from `opts`; the path settings
    /// of `opts` do not apply to a writer.
    fn download_to_writer_with<W: DownloadWriter>(
        &self,
        container: &str,
        name: &str,
        mut writer: W,
        opts: impl Into<DownloadOptions> + Send,
    ) -> impl Future<Output = Result<Object>> + Send {
        async move {
            let opts: DownloadOptions = opts.into();
            let get = GetOptions::new().conditions(opts.conditions.clone());
            let (object, mut reader) = self.open_object_with(container, name, &get).await?;
            let tracker = opts.tracker(name, Some(object.size));
            let mut digest = ContentDigest::for_object(&object);
            let copy = (&mut reader, &mut writer, &mut digest);
            let size = copy_digesting(copy, Error::from, &tracker, object.size).await?;
            writer.flush().await?;
            verify_download(&object, size, digest)?;
            Ok(object)
        }
    }

    /// Downloads an object to a file. The data goes to a temporary file beside `dest`,
    /// checked, then renamed into place: on any failure the partial file is removed and an
    /// existing `dest` is left untouched.
    ///
    /// `opts` is a [`DownloadOptions`] or a `bool` (`overwrite`, other settings default).
    /// Without `overwrite`, an existing `dest` is `AlreadyExists`; missing parent
    /// directories are created unless `create_dirs` is off. Failures of the local side are
    /// `Io` naming the path; `NotFound` always means the object or container.
    ///
    /// An empty folder marker (a name ending in `/`, as S3 consoles make) becomes the
    /// directory `dest`.
    ///
    /// An object of at least twice `opts.range_size` (8 MiB) is fetched in ranges,
    /// `opts.range_concurrency` (4) at once, each conditioned on the first answer's ETag
    /// (see [`DownloadOptions::range_size`]); the whole file is checked all the same.
    fn download_object(
        &self,
        container: &str,
        name: &str,
        dest: &Path,
        opts: impl Into<DownloadOptions> + Send,
    ) -> impl Future<Output = Result<Object>> + Send {
        async move {
            let opts: DownloadOptions = opts.into();
            opts.tracker(name, None).check()?;
            let marker = name.ends_with('/');
            if marker || !opts.conditions.is_empty() {
                // Before anything is created locally: a condition that fails leaves the
                // destination (and its parent directories) as they were.
                let object = self.get_object(container, name).await?;
                opts.conditions.check(&object)?;
                if marker && object.size == 0 {
                    let dest = dest.to_path_buf();
                    rt::unblock(move || download_target::create_dir(&dest)).await?;
                    return Ok(object);
                }
            }
            let (target, settings) = (dest.to_path_buf(), opts.clone());
            let temp = rt::unblock(move || download_target::prepare(&target, settings)).await?;
            let temp = TempFile(temp);
            let at = Download {
                driver: self,
                container,
                name,
                temp: &temp.0,
            };
            let object = fill_temp(&at, &opts).await?;
            let (from, to) = (temp.disarm(), dest.to_path_buf());
            rt::unblock(move || download_target::persist(&from, &to, opts.overwrite)).await?;
            Ok(object)
        }
    }

    /// Uploads a local file as `name`.
    fn upload_file(
        &self,
        container: &str,
        name: &str,
        path: &Path,
        opts: &UploadOptions,
    ) -> impl Future<Output = Result<Object>> + Send {
        async move {
            // A missing local file is `Io` naming it: `NotFound` is for remote things.
            let file = rt::File::open(path)
                .await
                .map_err(|e| io_at(e, "open", path))?;
            self.upload_reader(container, name, file, opts).await
        }
    }

    /// Uploads many objects with at most `concurrency` transfers at once. Results come
    /// back in input order; one failure does not stop the others.
    ///
    /// Items are [`UploadItem`]s or `(name, source)` pairs; an item without options of
    /// its own takes `opts`, and a content type from its extension (see [`UploadItem`]).
    /// The progress observer of `opts` hears every item's progress with the batch's
    /// ([`BatchProgress`](crate::storage::BatchProgress)); its cancel token stops items
    /// in flight and fails those not started.
    fn upload_many<I: Into<UploadItem> + Send>(
        &self,
        container: &str,
        items: Vec<I>,
        opts: &UploadOptions,
        concurrency: usize,
    ) -> impl Future<Output = Vec<Result<Object>>> + Send {
        async move {
            let items: Vec<UploadItem> = items.into_iter().map(Into::into).collect();
            let sizes: Option<u64> = items.iter().map(|i| i.source.known_size()).sum();
            let batch = opts
                .progress
                .clone()
                .map(|o| Batch::new(o, items.len(), sizes));
            let ctx = Arc::new(Many::new(self, container, opts.clone(), batch));
            rt::spawn_bounded(items, concurrency, move |item| {
                let ctx = ctx.clone();
                async move { upload_tracked(&ctx, item).await }
            })
            .await
        }
    }

    /// Downloads many objects to files (see [`download_object`](Self::download_object):
    /// `opts` is a [`DownloadOptions`] or the `overwrite` flag; folder markers become
    /// directories) with at most `concurrency` transfers at once. Results come back in
    /// input order. The progress observer of `opts` hears every item's progress with the
    /// batch's; its cancel token stops items in flight and fails those not started.
    fn download_many(
        &self,
        container: &str,
        items: Vec<(String, PathBuf)>,
        opts: impl Into<DownloadOptions> + Send,
        concurrency: usize,
    ) -> impl Future<Output = Vec<Result<Object>>> + Send {
        async move {
            let opts: DownloadOptions = opts.into();
            let batch = opts
                .progress
                .clone()
                .map(|o| Batch::new(o, items.len(), None));
            let ctx = Arc::new(Many::new(self, container, opts, batch));
            rt::spawn_bounded(items, concurrency, move |(name, dest)| {
                let ctx = ctx.clone();
                async move { download_tracked(&ctx, &name, &dest).await }
            })
            .await
        }
    }

    /// Deletes many objects with at most `concurrency` requests at once. Results come back
    /// in input order.
    fn delete_many(
        &self,
        container: &str,
        names: Vec<String>,
        concurrency: usize,
    ) -> impl Future<Output = Vec<Result<()>>> + Send {
        async move {
            let ctx = Arc::new(Many::new(self, container, (), None));
            rt::spawn_bounded(names, concurrency, move |name| {
                let ctx = ctx.clone();
                async move { ctx.driver.delete_object(&ctx.container, &name).await }
            })
            .await
        }
    }
}

fn unsupported(provider: &'static str, what: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("the {provider} driver has no {what}"),
    )
    .with_provider(provider)
}
