//! The streaming helpers the provided methods share: copying between drivers, copying a
//! reader to a writer while hashing (with progress and cancellation), one `upload_many`
//! item, and the temporary file of a download.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::UploadSource;
#[allow(unused_imports)]
use super::rt::{ReadExt, WriteExt, maybe_async};
use super::{DownloadWriter, Object, StorageDriver, UploadItem, UploadOptions, UploadReader};
use crate::error::Result;
use crate::storage::{Batch, ContentDigest, DownloadOptions, Tracker};
use crate::storage::{local_fs::download_target, verify_copy};

/// What every item of a `*_many` call shares, owned, so each item can run on a task of
/// its own (async mode spreads them over the runtime's workers).
pub(super) struct Many<D, O> {
    pub(super) driver: D,
    pub(super) container: String,
    pub(super) opts: O,
    pub(super) batch: Option<Arc<Batch>>,
}

impl<D: StorageDriver, O> Many<D, O> {
    pub(super) fn new(driver: &D, container: &str, opts: O, batch: Option<Arc<Batch>>) -> Self {
        Many {
            driver: driver.clone(),
            container: container.to_owned(),
            opts,
            batch,
        }
    }
}

/// One item of `upload_many`: its options resolved, its progress counted in the batch.
#[maybe_async]
pub(super) async fn upload_tracked<D: StorageDriver>(
    ctx: &Many<D, UploadOptions>,
    item: UploadItem,
) -> Result<Object> {
    let mut opts = item.resolved_options(&ctx.opts);
    let own = item.options.as_ref().and_then(|o| o.progress.clone());
    let tracked = ctx.batch.as_ref().map(|b| b.item(own));
    if let Some(t) = &tracked {
        opts.progress = Some(t.observer());
    }
    let name = item.name.clone();
    let result = upload_one(&ctx.driver, &ctx.container, item, &opts).await;
    if let Some(t) = &tracked {
        t.finish(&name, result.as_ref().ok().map(|o| o.size));
    }
    result
}

/// One item of `download_many`, its progress counted in the batch.
#[maybe_async]
pub(super) async fn download_tracked<D: StorageDriver>(
    ctx: &Many<D, DownloadOptions>,
    name: &str,
    dest: &Path,
) -> Result<Object> {
    let mut opts = ctx.opts.clone();
    let tracked = ctx.batch.as_ref().map(|b| b.item(None));
    if let Some(t) = &tracked {
        opts.progress = Some(t.observer());
    }
    let result = ctx
        .driver
        .download_object(&ctx.container, name, dest, opts)
        .await;
    if let Some(t) = &tracked {
        t.finish(name, result.as_ref().ok().map(|o| o.size));
    }
    result
}

/// Uploads one [`UploadItem`] with `opts` (already resolved), unless cancelled already.
#[maybe_async]
async fn upload_one<D: StorageDriver>(
    driver: &D,
    container: &str,
    item: UploadItem,
    opts: &UploadOptions,
) -> Result<Object> {
    let name = item.name;
    opts.tracker(&name, None).check()?;
    match item.source {
        UploadSource::Bytes(b) => driver.upload_bytes(container, &name, b, opts).await,
        UploadSource::Path(p) => driver.upload_file(container, &name, &p, opts).await,
        UploadSource::Reader(r) => driver.upload_reader(container, &name, r, opts).await,
    }
}

/// Copies an object from one store to another (or within one), streamed in bounded
/// memory: the source is read as the destination is written, never held whole. The
/// copy keeps the content type and metadata; its size and MD5 (where the source has a
/// plain MD5) are checked against the source's, and a mismatch is `Integrity`.
///
/// Drivers may be of different types (S3 to Local, Memory to S3...); within one store,
/// prefer [`StorageDriver::copy_object`], which copies server side where it can.
#[maybe_async]
pub async fn copy_between<S: StorageDriver, D: StorageDriver>(
    src: &S,
    src_container: &str,
    src_name: &str,
    dst: &D,
    dst_container: &str,
    dst_name: &str,
) -> Result<Object> {
    let (source, reader) = src.open_object(src_container, src_name).await?;
    let mut opts = UploadOptions::new();
    opts.content_type = source.content_type.clone();
    opts.metadata = source.metadata.clone();
    let copied = dst
        .upload_reader(dst_container, dst_name, reader, &opts)
        .await?;
    verify_copy(&source, &copied)?;
    Ok(copied)
}

/// Copies `reader` to `writer` to the end, returning the byte count and the MD5, with
/// write failures turned into errors by `write_err`, progress
/// reported to and cancellation checked on `tracker` for every chunk.
#[maybe_async]
pub(super) async fn copy_hashing_with<R, W, E>(
    reader: &mut R,
    writer: &mut W,
    write_err: E,
    tracker: &Tracker<'_>,
) -> Result<(u64, String)>
where
    R: UploadReader + ?Sized,
    W: DownloadWriter + ?Sized,
    E: Fn(std::io::Error) -> crate::Error + Send,
{
    use md5::Digest;
    let mut digest = ContentDigest::Md5(md5::Md5::new());
    let copy = (reader, writer, &mut digest);
    let size = copy_digesting(copy, write_err, tracker, u64::MAX).await?;
    let ContentDigest::Md5(h) = digest else {
        unreachable!("the digest stays what it was made")
    };
    Ok((size, hex::encode(h.finalize())))
}

/// Copies the reader to the writer to the end through `digest`, returning the byte count;
/// write failures are turned into errors by `write_err`, progress reported to and
/// cancellation checked on `tracker` for every chunk. `size_hint` (the expected length)
/// keeps the buffer small for small objects.
#[maybe_async]
pub(super) async fn copy_digesting<R, W, E>(
    (reader, writer, digest): (&mut R, &mut W, &mut ContentDigest),
    write_err: E,
    tracker: &Tracker<'_>,
    size_hint: u64,
) -> Result<u64>
where
    R: UploadReader + ?Sized,
    W: DownloadWriter + ?Sized,
    E: Fn(std::io::Error) -> crate::Error + Send,
{
    // One byte more than expected, so the end shows in the second read.
    let mut buf = vec![0u8; size_hint.saturating_add(1).min(64 * 1024) as usize];
    let mut total = 0u64;
    loop {
        tracker.check()?;
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        digest.update(&buf[..n]);
        writer.write_all(&buf[..n]).await.map_err(&write_err)?;
        total += n as u64;
        tracker.advance(n as u64);
    }
}

/// A temporary file removed on drop (also when an async download is cancelled) unless
/// disarmed.
pub(super) struct TempFile(pub(super) PathBuf);

impl TempFile {
    pub(super) fn disarm(self) -> PathBuf {
        let path = self.0.clone();
        std::mem::forget(self);
        path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        download_target::discard(&self.0);
    }
}
