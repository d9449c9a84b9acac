//! S3 multipart uploads: parts sent in parallel, the final ETag checked, failures and
//! cancellations aborted, and public clean-up calls for uploads left behind.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::super::super::http::HttpClient;
use super::super::rt::{self, maybe_async};
use super::super::{Object, StorageDriver, UploadOptions, UploadReader};
use super::{S3, check_bucket, check_key};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::s3::{MultipartUpload, S3Requests, responses};
use crate::storage::{DEFAULT_CONCURRENCY, WriteCondition, is_md5_hex};

impl S3 {
    /// Multipart uploads in progress in `bucket` under `prefix` (every page).
    #[maybe_async]
    pub async fn list_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<MultipartUpload>> {
        check_bucket(bucket)?;
        rt::collect_pages(move |token: Option<String>| async move {
            let req = self.signer().await?.list_multipart_uploads(
                bucket,
                prefix,
                token.as_deref(),
                SystemTime::now(),
            );
            let sent = self.http.send(&req).await;
            sent.and_then(|resp| responses::multipart_uploads(&resp, bucket))
        })
        .await
    }

    /// Aborts one multipart upload, freeing its parts. An upload already gone (completed
    /// or aborted) is not an error, so clean-up can be repeated.
    #[maybe_async]
    pub async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<()> {
        check_bucket(bucket)?;
        check_key(key)?;
        let req = self
            .signer()
            .await?
            .abort_multipart(bucket, key, upload_id, SystemTime::now());
        let resp = self.http.send(&req).await?;
        match responses::check(&resp, &format!("aborting the upload of {key:?}")) {
            Err(e) if e.code() == Some("NoSuchUpload") => Ok(()),
            other => other,
        }
    }

    /// Aborts every multipart upload under `prefix` started more than `older_than` ago
    /// (uploads whose start the store does not say are left alone); returns how many were
    /// aborted. The clean-up for uploads a crashed process left behind.
    #[maybe_async]
    pub async fn abort_incomplete_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        older_than: Duration,
    ) -> Result<usize> {
        let now = SystemTime::now();
        let stale: Vec<MultipartUpload> = self
            .list_multipart_uploads(bucket, prefix)
            .await?
            .into_iter()
            .filter(|u| u.is_stale(now, older_than))
            .collect();
        let aborted = rt::run_bounded(stale, DEFAULT_CONCURRENCY, |u| async move {
            self.abort_multipart_upload(bucket, &u.key, &u.upload_id)
                .await
        })
        .await;
        aborted.into_iter().try_fold(0, |n, r| r.map(|()| n + 1))
    }

    /// Uploads `head` (already read) followed by the rest of `reader` in parts.
    #[maybe_async]
    pub(super) async fn upload_multipart<R: UploadReader>(
        &self,
        bucket: &str,
        key: &str,
        source: PartSource<R>,
        opts: &UploadOptions,
    ) -> Result<Object> {
        if let Some(condition) = &opts.condition {
            // Fail before sending gigabytes; the completion checks again, atomically.
            condition.check(key, self.current(bucket, key).await?.as_ref())?;
        }
        let upload_id = self.create_upload(bucket, key, opts).await?;
        let guard = AbortOnDrop(Some(Abort {
            http: self.http.clone(),
            requests: self.requests.clone(),
            target: (bucket.to_owned(), key.to_owned(), upload_id.clone()),
        }));
        let outcome = self.send_parts(bucket, key, &upload_id, source, opts).await;
        guard.disarm();
        if outcome.is_err() {
            // Abort now (and wait for it) so no parts are left behind.
            let _ = self.abort_multipart_upload(bucket, key, &upload_id).await;
        }
        outcome
    }

    /// CreateMultipartUpload. It is not idempotent, so a failure after the request may
    /// have reached the store (its answer lost, garbled, or a 5xx) is not simply retried:
    /// the store is asked which uploads of exactly this key are in progress. None: the
    /// request never took effect, so it is sent again (up to three times in all). One: it is
    /// the upload just created, adopted (were it another writer's, completion would fail on
    /// its parts' ETags rather than mix data). More: the error, the uploads left for
    /// `abort_incomplete_uploads`.
    #[maybe_async]
    async fn create_upload(&self, bucket: &str, key: &str, opts: &UploadOptions) -> Result<String> {
        let mut attempts = 1;
        loop {
            let e = match self.create_upload_once(bucket, key, opts).await {
                Err(e) if may_have_arrived(&e) => e,
                other => return other,
            };
            let mut ids = self
                .upload_ids(bucket, key)
                .await
                .map_err(|_| e.replicate())?;
            match ids.len() {
                0 if attempts < 3 => attempts += 1,
                1 => return Ok(ids.remove(0)),
                _ => return Err(e),
            }
        }
    }

    #[maybe_async]
    async fn create_upload_once(
        &self,
        bucket: &str,
        key: &str,
        opts: &UploadOptions,
    ) -> Result<String> {
        let req = self
            .signer()
            .await?
            .create_multipart(bucket, key, opts, SystemTime::now());
        let resp = self.http.send(&req).await?;
        responses::upload_id(&resp, key)
    }

    /// The ids of the uploads in progress for exactly `key`.
    /// What `key` holds now, for a write condition: `None` when nothing.
    #[maybe_async]
    async fn current(&self, bucket: &str, key: &str) -> Result<Option<Object>> {
        match self.get_object(bucket, key).await {
            Ok(o) => Ok(Some(o)),
            Err(e) if e.kind() == ErrorKind::NotFound && e.code() != Some("NoSuchBucket") => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    #[maybe_async]
    async fn upload_ids(&self, bucket: &str, key: &str) -> Result<Vec<String>> {
        let uploads = self.list_multipart_uploads(bucket, key).await?;
        let ours = uploads.into_iter().filter(|u| u.key == key);
        Ok(ours.map(|u| u.upload_id).collect())
    }

    #[maybe_async]
    async fn send_parts<R: UploadReader>(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        PartSource { head, rest, total }: PartSource<R>,
        opts: &UploadOptions,
    ) -> Result<Object> {
        use super::super::rt::ReadExt;
        let cfg = self.requests.config();
        let source = std::io::Cursor::new(head).chain(rest);
        let tracker = opts.tracker(key, total);
        let part_md5s: std::sync::Mutex<Vec<(u32, [u8; 16])>> = std::sync::Mutex::new(Vec::new());
        let etags = rt::upload_parts(source, cfg.part_size, cfg.part_concurrency, |n, bytes| {
            let (part_md5s, tracker) = (&part_md5s, &tracker);
            async move {
                tracker.check()?;
                let len = bytes.len() as u64;
                let (etag, md5) = self.upload_part(bucket, key, upload_id, n, bytes).await?;
                part_md5s
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((n, md5));
                tracker.advance(len);
                Ok(etag)
            }
        })
        .await?;
        tracker.check()?;
        let mut md5s = part_md5s
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        md5s.sort_unstable_by_key(|(n, _)| *n);
        let expected = multipart_etag(&md5s);
        let parts = Parts {
            etags: &etags,
            expected: &expected,
        };
        self.complete(bucket, key, upload_id, parts, opts.condition.as_ref())
            .await?;
        self.get_object(bucket, key).await
    }

    /// One part; returns its ETag (checked against the MD5 sent) and that MD5.
    #[maybe_async]
    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        n: u32,
        bytes: bytes::Bytes,
    ) -> Result<(String, [u8; 16])> {
        let (req, md5) =
            self.signer()
                .await?
                .upload_part(bucket, key, upload_id, n, bytes, SystemTime::now());
        let resp = self.http.send(&req).await?;
        responses::check(&resp, &format!("uploading part {n} of {key:?}"))?;
        let etag = responses::etag(&resp).ok_or_else(|| {
            Error::new(
                ErrorKind::Parse,
                format!("S3 sent no ETag for part {n} of {key:?}"),
            )
            .with_provider("s3")
        })?;
        if self.requests.config().verify_etags && is_md5_hex(&etag) && etag != hex::encode(md5) {
            return Err(integrity(format!(
                "part {n} of {key:?}: the store's ETag {etag} is not the MD5 we sent"
            )));
        }
        Ok((etag, md5))
    }

    /// CompleteMultipartUpload, checking the final ETag against `expected`. A retried
    /// completion that hears `NoSuchUpload` (the first attempt completed it, its answer was
    /// lost) is a success when the object now has exactly the expected ETag.
    #[maybe_async]
    async fn complete(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        Parts { etags, expected }: Parts<'_>,
        condition: Option<&WriteCondition>,
    ) -> Result<()> {
        let now = SystemTime::now();
        let req = self
            .signer()
            .await?
            .complete_multipart(bucket, key, upload_id, etags, condition, now);
        let resp = self
            .http
            .send_classified(&req, responses::effective_status)
            .await?;
        let context = format!("completing the upload of {key:?}");
        let answer = responses::result_etag(&resp, responses::COMPLETE_RESULT, &context);
        match answer.map_err(|e| responses::condition_error(e, condition)) {
            Ok(etag) => self.check_final_etag(key, etag.as_deref(), expected),
            // The object already is the upload being completed (same multipart ETag).
            Err(e) if e.code() == Some("NoSuchUpload") => {
                self.holding(bucket, key, expected, e).await.map(drop)
            }
            // A retried completion of a conditional upload finds the object it made.
            Err(e) if e.kind() == ErrorKind::PreconditionFailed && condition.is_some() => {
                self.holding(bucket, key, expected, e).await.map(drop)
            }
            Err(e) => Err(e),
        }
    }

    fn check_final_etag(&self, key: &str, etag: Option<&str>, expected: &str) -> Result<()> {
        match etag {
            Some(etag)
                if self.requests.config().verify_etags
                    && etag.contains('-')
                    && etag != expected =>
            {
                Err(integrity(format!(
                    "{key:?}: final ETag {etag} does not match the parts sent ({expected})"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// What a multipart upload sends: bytes already read, the reader's rest, and the total
/// size when known (for progress).
pub(super) struct PartSource<R> {
    pub(super) head: Vec<u8>,
    pub(super) rest: R,
    pub(super) total: Option<u64>,
}

impl PartSource<std::io::Cursor<bytes::Bytes>> {
    /// All of `data`, in memory.
    pub(super) fn whole(data: bytes::Bytes) -> Self {
        let total = Some(data.len() as u64);
        PartSource {
            head: Vec::new(),
            rest: std::io::Cursor::new(data),
            total,
        }
    }
}

/// The parts sent: their ETags in order, and the multipart ETag they must make.
#[derive(Clone, Copy)]
struct Parts<'a> {
    etags: &'a [String],
    expected: &'a str,
}

/// Whether a failed call may have been carried out by the store (its answer lost or
/// garbled, or a 5xx, which S3 may send after acting) rather than refused.
fn may_have_arrived(e: &Error) -> bool {
    let server_error = e.status().is_some_and(|s| s >= 500);
    server_error
        || matches!(
            e.kind(),
            ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Parse
        )
}

/// What aborting one upload needs; the request is built (and signed) when it is sent, so
/// an abort long after the upload started is not refused as skewed.
struct Abort {
    http: HttpClient,
    requests: Arc<S3Requests>,
    target: (String, String, String),
}

/// Aborts a multipart upload when dropped armed: on a panic, or when an async upload is
/// cancelled (its future dropped).
struct AbortOnDrop(Option<Abort>);

impl AbortOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(Abort {
            http,
            requests,
            target: (bucket, key, id),
        }) = self.0.take()
        {
            rt::send_detached(http, move || {
                requests.abort_multipart(&bucket, &key, &id, SystemTime::now())
            });
        }
    }
}

/// S3's multipart ETag: the MD5 of the parts' MD5s, a dash, the part count.
fn multipart_etag(md5s: &[(u32, [u8; 16])]) -> String {
    use md5::Digest;
    let mut h = md5::Md5::new();
    for (_, m) in md5s {
        h.update(m);
    }
    format!("{}-{}", hex::encode(h.finalize()), md5s.len())
}

fn integrity(message: String) -> Error {
    Error::new(ErrorKind::Integrity, message).with_provider("s3")
}
