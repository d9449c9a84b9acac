//! Filling a download's temporary file: one stream, or ranges fetched at once and written
//! at their offsets (the plan and the checks are in `storage::ranged`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

#[allow(unused_imports)]
use super::rt::{self, ReadExt, WriteExt, maybe_async};
use super::streams::copy_digesting;
use super::{Object, ObjectReader, StorageDriver};
use crate::error::Result;
use crate::storage::local_fs::{download_target, io_at};
use crate::storage::ranged::{self, FirstError, Span};
use crate::storage::{ContentDigest, DownloadOptions, GetOptions, Tracker};
use crate::storage::{verify_download, verify_length};

/// The most a range holds in memory at once: the chunk it reads before writing.
const CHUNK: u64 = 1 << 20;

/// Where an object is and where its bytes go.
pub(super) struct Download<'a, D> {
    pub(super) driver: &'a D,
    pub(super) container: &'a str,
    pub(super) name: &'a str,
    pub(super) temp: &'a Path,
}

/// Downloads the object into the (prepared, empty) temporary file and checks it whole;
/// returns its metadata. Write failures are `Io` naming the temporary file.
#[maybe_async]
pub(super) async fn fill_temp<D: StorageDriver>(
    at: &Download<'_, D>,
    opts: &DownloadOptions,
) -> Result<Object> {
    let temp = at.temp.to_path_buf();
    let file = rt::unblock(move || download_target::create(&temp)).await?;
    let get = GetOptions::new().conditions(opts.conditions.clone());
    let (object, reader) = at
        .driver
        .open_object_with(at.container, at.name, &get)
        .await?;
    let tracker = opts.tracker(at.name, Some(object.size));
    match ranged::plan_ranges(&object, opts.range_size, opts.range_concurrency)? {
        None => one_stream(at.temp, as_rt_file(file), &object, reader, &tracker).await?,
        Some(spans) => {
            let ranges = spans.into_iter().enumerate();
            // The request already open serves the first range; the others are new reads.
            let mut first = Some(reader);
            let jobs = ranges.map(|(i, s)| (s, if i == 0 { first.take() } else { None }));
            let shared = Shared {
                at,
                object: &object,
                file: Arc::new(file),
                tracker: &tracker,
            };
            let errors = FirstError::new();
            let concurrency = opts.range_concurrency;
            rt::run_bounded(jobs.collect(), concurrency, |(span, reader)| {
                let (shared, errors) = (&shared, &errors);
                async move { errors.record(fetch_range(shared, span, reader, errors).await) }
            })
            .await;
            errors.into_result()?;
            verify_file(at.temp, &object).await?;
        }
    }
    Ok(object)
}

/// Today's path: the one answer streamed into the file through the digest.
#[maybe_async]
async fn one_stream(
    temp: &Path,
    mut file: rt::File,
    object: &Object,
    mut reader: ObjectReader,
    tracker: &Tracker<'_>,
) -> Result<()> {
    let local_err = |e| io_at(e, "write", temp);
    let mut digest = ContentDigest::for_object(object);
    let copy = (&mut reader, &mut file, &mut digest);
    let size = copy_digesting(copy, local_err, tracker, object.size).await?;
    file.flush().await.map_err(local_err)?;
    verify_download(object, size, digest)
}

/// The file as `rt::File`: tokio's in async mode, itself in blocking mode.
#[allow(clippy::useless_conversion)]
fn as_rt_file(file: std::fs::File) -> rt::File {
    rt::File::from(file)
}

/// Checks the finished file whole: ranges arrive out of order, so the digest is computed
/// over the file as written, before the rename.
#[maybe_async]
async fn verify_file(temp: &Path, object: &Object) -> Result<()> {
    let (path, digest) = (temp.to_path_buf(), ContentDigest::for_object(object));
    let (size, digest) = rt::unblock(move || download_target::digest_file(&path, digest)).await?;
    verify_download(object, size, digest)
}

/// What every range of one download shares.
struct Shared<'a, D> {
    at: &'a Download<'a, D>,
    object: &'a Object,
    file: Arc<std::fs::File>,
    tracker: &'a Tracker<'a>,
}

/// Fetches one range (from `first` when given: the first answer) and writes it at its
/// offset; a body cut or stalled part way is read again from where it stopped (see
/// [`ranged::retry_range`]). Stops early, quietly, once another range failed.
#[maybe_async]
async fn fetch_range<D: StorageDriver>(
    shared: &Shared<'_, D>,
    span: Span,
    mut first: Option<ObjectReader>,
    errors: &FirstError,
) -> Result<()> {
    let mut done = 0u64;
    let mut attempt = 1;
    loop {
        match copy_range(shared, span, first.take(), &mut done, errors).await {
            Err(e) if ranged::retry_range(&e, attempt) => attempt += 1,
            other => return other,
        }
    }
}

/// Copies the rest of `span` (after `done` bytes) to the file: exactly its length, else
/// `Integrity` (or the body's own error).
#[maybe_async]
async fn copy_range<D: StorageDriver>(
    shared: &Shared<'_, D>,
    span: Span,
    first: Option<ObjectReader>,
    done: &mut u64,
    errors: &FirstError,
) -> Result<()> {
    if errors.stopped() {
        return Ok(());
    }
    let (mut reader, opened) = match first {
        Some(r) => (r, false),
        None => (open_range(shared, span.after(*done)).await?, true),
    };
    let mut buf = vec![0u8; span.len.min(CHUNK) as usize];
    while *done < span.len {
        shared.tracker.check()?;
        if errors.stopped() {
            return Ok(());
        }
        let want = (span.len - *done).min(CHUNK) as usize;
        let n = fill(&mut reader, &mut buf[..want]).await?;
        if n == 0 {
            break;
        }
        buf = write_chunk(shared, buf, n, span.start + *done).await?;
        *done += n as u64;
        shared.tracker.advance(n as u64);
    }
    // A range read must end where the range does (the first answer goes on: it is dropped).
    let extra = match opened && *done == span.len {
        true => fill(&mut reader, &mut [0u8; 1]).await? as u64,
        false => 0,
    };
    verify_length(shared.object, span.len, *done + extra)
}

/// Opens a range of the first answer's version (see [`ranged::range_request`]).
#[maybe_async]
async fn open_range<D: StorageDriver>(shared: &Shared<'_, D>, span: Span) -> Result<ObjectReader> {
    let (at, get) = (shared.at, ranged::range_request(shared.object, span));
    let (object, reader) = at
        .driver
        .open_object_with(at.container, at.name, &get)
        .await?;
    ranged::check_same_version(shared.object, &object)?;
    Ok(reader)
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
#[maybe_async]
async fn fill(reader: &mut ObjectReader, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]).await? {
            0 => break,
            got => n += got,
        }
    }
    Ok(n)
}

/// Writes `buf[..n]` at `offset` of the temporary file (on the blocking pool in async
/// mode) and hands the buffer back for the next chunk.
#[maybe_async]
async fn write_chunk<D>(
    shared: &Shared<'_, D>,
    buf: Vec<u8>,
    n: usize,
    offset: u64,
) -> Result<Vec<u8>> {
    let (file, temp): (_, PathBuf) = (shared.file.clone(), shared.at.temp.to_path_buf());
    rt::unblock(move || {
        download_target::write_at(&file, &buf[..n], offset, &temp)?;
        Ok(buf)
    })
    .await
}
