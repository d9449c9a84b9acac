//! Writes: the generation a write condition pins, one-request (multipart) uploads, and
//! the check of what a finished upload stored.

use bytes::Bytes;

use super::super::rt::maybe_async;
use super::super::{Object, UploadOptions};
use super::{Gcs, PROVIDER, e_context};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::WriteCondition;
use crate::storage::gcs::requests::{BodyHashes, Generation};
use crate::storage::gcs::responses::{self, Stored};

impl Gcs {
    /// What `name` holds now, `None` when nothing (in an existing bucket).
    #[maybe_async]
    pub(super) async fn current(&self, bucket: &str, name: &str) -> Result<Option<Stored>> {
        let resp = self.send(self.requests.get_object(bucket, name)).await?;
        if resp.status == 404 {
            self.only_object_missing(&resp, bucket, name).await?;
            return Ok(None);
        }
        responses::object(&resp, bucket, name).map(Some)
    }

    /// The generation a conditional write is pinned to: `0` for create-only; for
    /// `IfMatch`, a generation given as the ETag, else the current generation once its
    /// MD5 is checked against the ETag (a change after the check fails the write).
    #[maybe_async]
    pub(super) async fn write_generation(
        &self,
        bucket: &str,
        name: &str,
        condition: Option<&WriteCondition>,
    ) -> Result<Option<Generation>> {
        let etag = match condition {
            None => return Ok(None),
            Some(WriteCondition::IfNotExists) => return Ok(Some(Generation(0))),
            Some(WriteCondition::IfMatch(etag)) => etag.trim().trim_matches('"'),
        };
        if let Ok(generation) = etag.parse::<u64>() {
            return Ok(Some(Generation(generation)));
        }
        let current = self.current(bucket, name).await?;
        let object = current.as_ref().map(|s| &s.object);
        condition.map_or(Ok(()), |c| c.check(name, object))?;
        Ok(current.map(|s| Generation(s.generation)))
    }

    /// One multipart upload (names and options checked).
    #[maybe_async]
    pub(super) async fn put_multipart(
        &self,
        bucket: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let size = data.len() as u64;
        let tracker = opts.tracker(name, Some(size));
        tracker.check()?;
        let generation = self
            .write_generation(bucket, name, opts.condition.as_ref())
            .await?;
        let mut req = self
            .requests
            .upload_multipart(bucket, name, &data, opts, generation);
        // A conditional write is not repeated blindly: a repeat of one that landed
        // would hear 412. A failure that may have arrived is checked instead.
        req.idempotent = generation.is_none();
        let hashes = BodyHashes::of(&data);
        let resp = match self.send(req).await {
            Ok(resp) => resp,
            Err(e) if may_have_arrived(&e) => {
                return self.landed_anyway(bucket, name, size, hashes, e).await;
            }
            Err(e) => return Err(e),
        };
        let stored = responses::object(&resp, bucket, name)
            .map_err(|e| e_context(e, &format!("uploading {name:?}")))?;
        let object = self.check_stored(stored, size, hashes).await?;
        tracker.advance(size);
        Ok(object)
    }

    /// The object, when it holds exactly the bytes an upload whose answer was lost sent;
    /// `error` otherwise.
    #[maybe_async]
    async fn landed_anyway(
        &self,
        bucket: &str,
        name: &str,
        size: u64,
        hashes: BodyHashes,
        error: Error,
    ) -> Result<Object> {
        match self.stored(bucket, name).await {
            Ok(s) if holds(&s.object, size, hashes) => Ok(s.object),
            _ => Err(error),
        }
    }

    /// Checks a finished upload's object against the bytes sent: the same size, MD5
    /// and CRC32C (those Google states; at least one must be). Otherwise that generation
    /// is deleted, so no reader gets the corrupt bytes, and the upload is `Integrity`.
    /// Nothing is deleted without a hash to judge by, or without the generation (an
    /// unconditional deletion could remove a concurrent writer's good object).
    #[maybe_async]
    pub(super) async fn check_stored(
        &self,
        stored: Stored,
        size: u64,
        hashes: BodyHashes,
    ) -> Result<Object> {
        let object = &stored.object;
        let name = &object.name;
        if !states_a_hash(object) {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "uploading {name:?}: the store stated no hash of what it stored ({}                      bytes); the object was left in place",
                    object.size
                ),
            )
            .with_provider(PROVIDER));
        }
        if holds(object, size, hashes) {
            return Ok(stored.object);
        }
        let fate = self.discard(&stored, "corrupt").await;
        Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "uploading {name:?}: the store holds {} bytes (MD5 {:?}, CRC32C {:?}), not the \
                 {size} bytes sent (MD5 {}, CRC32C {:08x}); {fate}",
                object.size,
                object.md5(),
                object.crc32c,
                hex::encode(hashes.md5),
                hashes.crc32c
            ),
        )
        .with_provider(PROVIDER))
    }

    /// Deletes exactly `stored`'s generation (never whatever the name holds now); what
    /// became of the object, for an error message.
    #[maybe_async]
    pub(super) async fn discard(&self, stored: &Stored, what: &str) -> String {
        let (bucket, name) = (&stored.object.container, &stored.object.name);
        if stored.generation == 0 {
            return format!(
                "the {what} object was left in place because its generation is unknown"
            );
        }
        let req = self
            .requests
            .delete_object(bucket, name, Some(stored.generation));
        let _ = self.send(req).await;
        format!("the {what} object was deleted")
    }
}

/// Whether the store stated a hash of what it holds (Google always states CRC32C).
fn states_a_hash(object: &Object) -> bool {
    object.md5().is_some() || object.crc32c.is_some()
}

/// Whether `object` holds `size` bytes with these hashes (those it states; none stated
/// proves nothing).
fn holds(object: &Object, size: u64, hashes: BodyHashes) -> bool {
    if !states_a_hash(object) {
        return false;
    }
    let md5_ok = object
        .md5()
        .is_none_or(|m| m.eq_ignore_ascii_case(&hex::encode(hashes.md5)));
    let crc_ok = object.crc32c.is_none_or(|c| c == hashes.crc32c);
    object.size == size && md5_ok && crc_ok
}

/// Whether a failed call may have been carried out by the store (its answer lost).
fn may_have_arrived(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout)
}
