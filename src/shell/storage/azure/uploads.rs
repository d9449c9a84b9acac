//! Azure uploads (one Put Blob, or blocks in parallel and a Put Block List), their write
//! conditions, and server-side copies.

use std::time::Duration;

use bytes::Bytes;

use super::super::rt::{self, maybe_async};
use super::super::{Object, UploadOptions, UploadReader};
use super::{Azure, PROVIDER, blob_context, responses};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Request, header_str};
use crate::storage::azure::requests::{BlockDigest, block_id, md5_of};
use crate::storage::azure::responses::CopyState;
use crate::storage::{Tracker, WriteCondition};

/// What a block upload reads: bytes already in memory, the reader's rest, the total size
/// when known (for progress).
pub(super) type BlockSource<R> = (Bytes, R, Option<u64>);

/// Azure's limit of blocks in one blob.
const MAX_BLOCKS: u32 = 50_000;

/// What every block of one upload shares.
struct Blocks<'a> {
    target: (&'a str, &'a str),
    /// Makes this upload's block ids its own.
    nonce: u64,
    context: String,
    digest: BlockDigest,
    tracker: Tracker<'a>,
}

/// [`UploadOptions::validated`], plus Azure's rule for metadata names: C# identifiers
/// (letters, digits and `_`, not starting with a digit). Others are refused before
/// anything is sent; renaming them would store something other than what was asked.
/// So are values Azure would not keep as given: spaces at either end are dropped by the
/// service, and runs of spaces are signed collapsed by Shared Key, so Azurite refuses
/// the request as unauthorized.
pub(super) fn validated(opts: &UploadOptions) -> Result<UploadOptions> {
    let opts = opts.validated().map_err(|e| e.with_provider(PROVIDER))?;
    let values = opts
        .metadata
        .iter()
        .map(|(k, v)| (format!("metadata value for {k:?}"), v));
    let content_type = opts
        .content_type
        .iter()
        .map(|t| ("content type".to_owned(), t));
    for (what, value) in values.chain(content_type) {
        if value.trim() != value || value.contains("  ") {
            return Err(Error::invalid(format!(
                "{what} ({value:?}) has spaces at an end or two in a row, which Azure \
                 would not store as given"
            ))
            .with_provider(PROVIDER));
        }
    }
    for key in opts.metadata.keys() {
        let ok = key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !key.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(Error::invalid(format!(
                "metadata name {key:?} is not valid on Azure, which requires C# identifiers \
                 (ASCII letters, digits and '_', not starting with a digit)"
            ))
            .with_provider(PROVIDER));
        }
    }
    Ok(opts)
}

impl Azure {
    /// One Put Blob, names and options already checked.
    #[maybe_async]
    pub(super) async fn put_small(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let size = data.len() as u64;
        let tracker = opts.tracker(name, Some(size));
        tracker.check()?;
        let md5 = md5_of(&data);
        let wire = self.wire_options(container, name, opts).await?;
        let req = self.requests.put_blob(container, name, data, &wire);
        let resp = self.send(req).await?;
        let context = format!("uploading {}", blob_context(container, name));
        if let Err(e) = responses::check(&resp, &context) {
            return self.landed_anyway(container, name, md5, opts, e).await;
        }
        responses::check_stored_md5(&resp.headers, md5, &context)?;
        tracker.advance(size);
        Ok(self.uploaded(container, name, (size, md5), opts, &resp))
    }

    /// A block upload: the head's whole blocks first, as slices of it (no copy), then
    /// the rest read one block at a time; `block_concurrency` blocks at once, then one
    /// Put Block List with the whole content's MD5. The reader is read only once the
    /// head's blocks are sent, so memory holds the head or the blocks in flight, never
    /// both. Nothing is committed unless every block was.
    #[maybe_async]
    pub(super) async fn upload_blocks<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        (head, rest, total): BlockSource<R>,
        opts: &UploadOptions,
    ) -> Result<Object> {
        use super::super::rt::ReadExt;
        // Resolved first: a failing condition costs no upload.
        let wire = self.wire_options(container, name, opts).await?;
        let (size, at_once) = (self.config().block_size, self.config().block_concurrency);
        let b = Blocks {
            target: (container, name),
            nonce: fastrand::u64(..),
            context: format!("uploading {}", blob_context(container, name)),
            digest: BlockDigest::default(),
            tracker: opts.tracker(name, total),
        };
        let whole = head.len() / size;
        let first: Vec<(u32, Bytes)> = (0..whole)
            .map(|i| (i as u32 + 1, head.slice(i * size..(i + 1) * size)))
            .collect();
        let leftover = head.slice(whole * size..).to_vec();
        drop(head);
        let sent =
            rt::run_bounded(first, at_once, |(n, bytes)| self.send_block(&b, n, bytes)).await;
        let mut ids = sent.into_iter().collect::<Result<Vec<String>>>()?;
        let source = std::io::Cursor::new(leftover).chain(rest);
        let offset = whole as u32;
        let more = rt::upload_parts(source, size, at_once, |n, bytes| {
            self.send_block(&b, n + offset, bytes)
        })
        .await?;
        ids.extend(more);
        b.tracker.check()?;
        let (md5, size) = b.digest.finish()?;
        let req = self
            .requests
            .put_block_list(container, name, &ids, md5, &wire);
        let resp = self.send(req).await?;
        if let Err(e) = responses::check(&resp, &b.context) {
            return self.landed_anyway(container, name, md5, opts, e).await;
        }
        Ok(self.uploaded(container, name, (size, md5), opts, &resp))
    }

    /// One Put Block (block `n`, numbered from 1), hashed into the whole's MD5 in order.
    #[maybe_async]
    async fn send_block(&self, b: &Blocks<'_>, n: u32, bytes: Bytes) -> Result<String> {
        b.tracker.check()?;
        if n > MAX_BLOCKS {
            return Err(Error::invalid(format!(
                "{}: more than Azure's {MAX_BLOCKS} blocks; raise the block size",
                b.context
            ))
            .with_provider(PROVIDER));
        }
        b.digest.add(n, &bytes);
        let len = bytes.len() as u64;
        let id = block_id(b.nonce, n);
        let (container, name) = b.target;
        let req = self.requests.put_block(container, name, &id, bytes);
        self.call(req, &format!("{}, block {n}", b.context)).await?;
        b.tracker.advance(len);
        Ok(id)
    }

    /// The options to send: a create-only upload sends `If-None-Match: *`; an `If-Match`
    /// naming our `hash` (an MD5) or Azure's ETag is checked against the blob's current
    /// properties and sent as that version's ETag, so the write still happens only if the
    /// blob has not changed since.
    #[maybe_async]
    async fn wire_options(
        &self,
        container: &str,
        name: &str,
        opts: &UploadOptions,
    ) -> Result<UploadOptions> {
        let Some(WriteCondition::IfMatch(given)) = &opts.condition else {
            return Ok(opts.clone());
        };
        let current = self.current(container, name).await?;
        let etag = match &current {
            Some((object, Some(etag))) => {
                let mut by_etag = object.clone();
                by_etag.hash = Some(etag.clone());
                let condition = WriteCondition::IfMatch(given.clone());
                condition
                    .check(name, Some(object))
                    .or_else(|_| condition.check(name, Some(&by_etag)))
                    .map_err(|e| e.with_provider(PROVIDER))?;
                etag.clone()
            }
            Some((_, None)) => {
                return Err(Error::new(
                    ErrorKind::Parse,
                    format!("Azure sent no ETag for {name:?}"),
                )
                .with_provider(PROVIDER));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::PreconditionFailed,
                    format!("object {name:?}: precondition failed: it does not exist"),
                )
                .with_provider(PROVIDER));
            }
        };
        let mut wire = opts.clone();
        wire.condition = Some(WriteCondition::IfMatch(etag));
        Ok(wire)
    }

    /// A refused conditional write is `PreconditionFailed` (Azure answers a create-only
    /// upload of an existing blob with 409 `BlobAlreadyExists`). It may also be a retry
    /// whose first attempt landed (its answer lost): when the blob now holds exactly the
    /// bytes sent, the upload did happen and is reported so.
    #[maybe_async]
    async fn landed_anyway(
        &self,
        container: &str,
        name: &str,
        md5: [u8; 16],
        opts: &UploadOptions,
        error: Error,
    ) -> Result<Object> {
        let refused = matches!(
            error.kind(),
            ErrorKind::PreconditionFailed | ErrorKind::AlreadyExists
        ) && opts.condition.is_some();
        if !refused {
            return Err(error);
        }
        let md5 = hex::encode(md5);
        match self.current(container, name).await {
            Ok(Some((o, _))) if o.hash.as_deref() == Some(md5.as_str()) => return Ok(o),
            _ => {}
        }
        let message = format!("{}: precondition failed", error.message());
        let mut out = Error::new(ErrorKind::PreconditionFailed, message).with_provider(PROVIDER);
        if let Some(status) = error.status() {
            out = out.with_status(status);
        }
        if let Some(code) = error.code() {
            out = out.with_code(code);
        }
        Err(out)
    }

    /// The object an upload made, from what was sent and the answer's time.
    fn uploaded(
        &self,
        container: &str,
        name: &str,
        (size, md5): (u64, [u8; 16]),
        opts: &UploadOptions,
        resp: &crate::http::Response,
    ) -> Object {
        let mut o = Object::new(container, name, size);
        o.hash = Some(hex::encode(md5));
        o.content_type = Some(
            opts.content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        );
        o.metadata = opts.metadata.clone();
        // The store's clock, not ours: conditions compare against the store's times.
        o.last_modified = resp
            .header("last-modified")
            .and_then(|d| httpdate::parse_http_date(d).ok());
        o
    }

    /// Copy Blob within the account, then its properties; a pending copy is polled with
    /// backoff (100 ms doubling to 5 s) for up to 15 minutes.
    #[maybe_async]
    pub(super) async fn copy_blob(
        &self,
        src: (&str, &str),
        container: &str,
        name: &str,
    ) -> Result<Object> {
        let context = format!("copying {:?} to {}", src.1, blob_context(container, name));
        let req: Request = self.requests.copy_blob(src, container, name);
        let resp = self.call(req, &context).await?;
        let mut state = responses::copy_state(&resp.headers, &context)?;
        // Polls follow this copy: another copy or write of the destination has another id.
        let copy_id = header_str(&resp.headers, "x-ms-copy-id").map(str::to_owned);
        let (mut wait, mut waited) = (Duration::from_millis(100), Duration::ZERO);
        loop {
            match state {
                CopyState::Success => return self.copied(container, name, &context).await,
                CopyState::Failed(why) => {
                    return Err(Error::new(
                        ErrorKind::Provider,
                        format!("{context}: the copy failed: {why}"),
                    )
                    .with_provider(PROVIDER));
                }
                CopyState::Pending if waited >= Duration::from_secs(900) => {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!("{context}: still pending after 15 minutes"),
                    )
                    .with_provider(PROVIDER));
                }
                CopyState::Pending => {}
            }
            rt::sleep(wait).await;
            waited += wait;
            wait = (wait * 2).min(Duration::from_secs(5));
            let req = self.requests.blob_properties(container, name);
            let resp = self.call(req, &context).await?;
            let polled = header_str(&resp.headers, "x-ms-copy-id");
            if copy_id.is_none() || polled != copy_id.as_deref() {
                return Err(Error::new(
                    ErrorKind::Provider,
                    format!("{context}: the destination no longer reports this copy (its x-ms-copy-id changed or is missing): it was written meanwhile"),
                )
                .with_provider(PROVIDER));
            }
            state = responses::copy_state(&resp.headers, &context)?;
        }
    }

    #[maybe_async]
    async fn copied(&self, container: &str, name: &str, context: &str) -> Result<Object> {
        match self.current(container, name).await? {
            Some((o, _)) => Ok(o),
            None => Err(Error::new(
                ErrorKind::Provider,
                format!("{context}: the copy reported success but the blob is missing"),
            )
            .with_provider(PROVIDER)),
        }
    }
}
