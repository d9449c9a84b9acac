//! GCS resumable uploads: chunks sent in order, one in memory at a time; after a failed
//! chunk the session is asked what it holds and the upload resumes from there; the
//! finished object is checked against the size, MD5 and CRC32C computed while reading;
//! a failed or cancelled upload cancels its session.

use bytes::Bytes;

use super::super::super::http::HttpClient;
use super::super::rt::{self, maybe_async};
use super::super::{Object, UploadOptions, UploadReader};
use super::{Gcs, PROVIDER, e_context};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use crate::storage::WriteCondition;
use crate::storage::gcs::requests::{BodyHashes, GcsRequests, authorized};
use crate::storage::gcs::responses::{self, Session};

/// Failed attempts in a row (no byte gained) before a chunk's upload gives up.
const MAX_FAILURES: u32 = 5;

/// Where an upload stands: the session, the object, the bytes the session holds.
struct Upload<'a> {
    session: String,
    bucket: &'a str,
    name: &'a str,
}

impl Upload<'_> {
    fn context(&self) -> String {
        format!("uploading {:?} to bucket {:?}", self.name, self.bucket)
    }
}

impl Gcs {
    /// Uploads what `chunks` yields through a resumable session. `total` is the size
    /// when known (for progress).
    #[maybe_async]
    pub(super) async fn upload_resumable<R: UploadReader>(
        &self,
        bucket: &str,
        name: &str,
        chunks: Chunks<R>,
        total: Option<u64>,
        opts: &UploadOptions,
    ) -> Result<Object> {
        if let Some(WriteCondition::IfNotExists) = &opts.condition {
            // Fail before sending gigabytes; the session's condition holds at the end.
            let current = self.current(bucket, name).await?;
            WriteCondition::IfNotExists.check(name, current.as_ref().map(|s| &s.object))?;
        }
        let generation = self
            .write_generation(bucket, name, opts.condition.as_ref())
            .await?;
        let req = self
            .requests
            .start_resumable(bucket, name, opts, generation);
        // A token to cancel with is had before the session exists: once it does, nothing
        // may fail before the guard that cancels it is armed. The current one is
        // preferred (the start may have replaced a refused token).
        let early = self.bearer().await?;
        let resp = self.send(req).await?;
        let session = session_uri(&self.requests, &resp, name)?;
        let guard = CancelOnDrop(Some(Cancel {
            http: self.http.clone(),
            session: session.clone(),
            token: self.bearer().await.unwrap_or(early),
        }));
        let upload = Upload {
            session,
            bucket,
            name,
        };
        let outcome = self.send_chunks(&upload, chunks, total, opts).await;
        let cancel = guard.disarm();
        if let (Err(_), Some(c)) = (&outcome, cancel) {
            // With the token held: a new one may be what could not be had.
            let req = authorized(GcsRequests::cancel_session(&c.session), c.token.as_ref());
            let _ = self.http.send(&req).await;
        }
        outcome
    }

    /// Reads and sends the chunks; the finished object, checked.
    #[maybe_async]
    async fn send_chunks<R: UploadReader>(
        &self,
        upload: &Upload<'_>,
        chunks: Chunks<R>,
        total: Option<u64>,
        opts: &UploadOptions,
    ) -> Result<Object> {
        use super::super::rt::ReadExt;
        let chunk = self.config().chunk_size;
        let (mut source, first) = match chunks {
            // The head is at most one chunk and a byte: that byte starts the next chunk.
            Chunks::Reader { mut head, rest } => {
                let extra = head.split_off(head.len().min(chunk));
                let reader = std::io::Cursor::new(extra).chain(rest);
                (Source::Read(reader), Bytes::from(head))
            }
            Chunks::Whole(bytes) => (Source::Whole(bytes), Bytes::new()),
        };
        let tracker = opts.tracker(upload.name, total);
        let mut digest = Digest::new();
        let mut offset = 0u64;
        let mut data = match first.is_empty() {
            true => source.next(chunk).await?,
            false => first,
        };
        loop {
            tracker.check()?;
            digest.update(&data);
            let len = data.len() as u64;
            // A short chunk is the last; a full one may be followed by nothing, which an
            // empty request saying the total then finishes.
            let last = data.len() < chunk;
            let size = last.then_some(offset + len);
            let answer = self.put_chunk(upload, offset, data, size).await?;
            offset += len;
            if len > 0 {
                tracker.advance(len);
            }
            match answer {
                Session::Finished(s) if last => {
                    return self.check_stored(s, offset, digest.finish()).await;
                }
                Session::Finished(s) => return self.finished_early(s, offset).await,
                Session::Holds(_) if last => return Err(unfinished(upload.name, offset)),
                Session::Holds(_) => {}
            }
            data = source.next(chunk).await?;
        }
    }

    /// Sends the chunk `data` starting at `start` (`size`: the object's, when this is the
    /// last) until the session holds all of it, resuming after a failure from what the
    /// session says it holds (never more than was sent, never less than `start`: earlier
    /// bytes are no longer in memory). Gives up after `MAX_FAILURES` tries in a row that
    /// gain nothing.
    #[maybe_async]
    async fn put_chunk(
        &self,
        upload: &Upload<'_>,
        start: u64,
        data: Bytes,
        size: Option<u64>,
    ) -> Result<Session> {
        let end = start + data.len() as u64;
        let (mut from, mut failures) = (start, 0);
        loop {
            let slice = data.slice((from - start) as usize..);
            let req = GcsRequests::upload_chunk(&upload.session, from, slice, size);
            let sent = self.send(req).await;
            let answer = match sent {
                Ok(resp) if resp.status == 308 || resp.is_success() => {
                    Ok(self.held(upload, &resp, start, end)?)
                }
                Ok(resp) if resp.status >= 500 || resp.status == 429 => {
                    Err(responses::error_from(&resp, &upload.context()))
                }
                Ok(resp) => return Err(responses::error_from(&resp, &upload.context())),
                Err(e) if matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) => Err(e),
                Err(e) => return Err(e),
            };
            let held = match answer {
                Ok(Session::Holds(h)) if h < end => h,
                Ok(done) => return Ok(done),
                // The answer is lost or an error: ask the session what it holds.
                Err(e) if failures >= MAX_FAILURES => return Err(e),
                Err(_) => {
                    let status = GcsRequests::session_status(&upload.session, size);
                    let resp = self.send(status).await?;
                    match self.held(upload, &resp, start, end)? {
                        Session::Holds(h) if h < end => h,
                        done => return Ok(done),
                    }
                }
            };
            failures = if held > from { 0 } else { failures + 1 };
            if failures > MAX_FAILURES {
                return Err(unfinished(upload.name, held));
            }
            from = held;
        }
    }

    /// What a session's answer says it holds, checked against the bytes sent.
    fn held(&self, upload: &Upload<'_>, resp: &Response, start: u64, end: u64) -> Result<Session> {
        if resp.status != 308 && !resp.is_success() {
            return Err(responses::error_from(resp, &upload.context()));
        }
        let answer = responses::session(resp, upload.bucket, upload.name, end)?;
        if let Session::Holds(h) = answer {
            if h < start {
                return Err(Error::new(
                    ErrorKind::Integrity,
                    format!(
                        "uploading {:?}: the session holds {h} bytes, fewer than the {start} \
                         it acknowledged",
                        upload.name
                    ),
                )
                .with_provider(PROVIDER));
            }
        }
        Ok(answer)
    }

    /// The session finished before every byte was sent (fake-gcs-server finishes an
    /// upload when asked for its status): that short object is deleted, so no reader
    /// gets it, and the upload fails.
    #[maybe_async]
    async fn finished_early(&self, stored: responses::Stored, sent: u64) -> Result<Object> {
        let name = &stored.object.name;
        let fate = self.discard(&stored, "incomplete").await;
        let e = Error::new(
            ErrorKind::Provider,
            format!(
                "the store finished the upload at {} bytes, before all were sent ({sent} so \
                 far); {fate}",
                stored.object.size
            ),
        )
        .with_provider(PROVIDER);
        Err(e_context(e, &format!("uploading {name:?}")))
    }
}

/// The session a resumable start answered with, which must be on our endpoint (the
/// access token goes to it).
fn session_uri(requests: &GcsRequests, resp: &Response, name: &str) -> Result<String> {
    let context = format!("starting the upload of {name:?}");
    responses::check(resp, &context)?;
    match resp.header("location") {
        Some(uri) if requests.is_own_session(uri) => Ok(uri.to_owned()),
        Some(_) => Err(Error::new(
            ErrorKind::Parse,
            format!("{context}: the session is not on the configured endpoint"),
        )
        .with_provider(PROVIDER)),
        None => Err(Error::new(
            ErrorKind::Parse,
            format!("{context}: the answer has no session (Location)"),
        )
        .with_provider(PROVIDER)),
    }
}

fn unfinished(name: &str, held: u64) -> Error {
    Error::new(
        ErrorKind::Provider,
        format!("uploading {name:?}: the session holds {held} bytes and does not finish"),
    )
    .with_provider(PROVIDER)
}

/// What a resumable upload sends: the bytes read to choose the path and the rest of the
/// reader, or bytes already in memory (sliced, never copied).
pub(super) enum Chunks<R> {
    /// A reader, `head` already read from it.
    Reader {
        /// More than a chunk, read first.
        head: Vec<u8>,
        /// The rest.
        rest: R,
    },
    /// Everything, in memory.
    Whole(Bytes),
}

/// Where the next chunk comes from.
enum Source<C> {
    Read(C),
    Whole(Bytes),
}

impl<C: UploadReader> Source<C> {
    /// Up to `chunk` bytes; fewer only at the end.
    #[maybe_async]
    async fn next(&mut self, chunk: usize) -> Result<Bytes> {
        match self {
            Source::Read(reader) => Ok(rt::read_up_to(reader, chunk, chunk).await?.into()),
            Source::Whole(rest) => Ok(rest.split_to(chunk.min(rest.len()))),
        }
    }
}

/// MD5 and CRC32C of the bytes read so far.
struct Digest {
    md5: md5::Md5,
    crc32c: u32,
}

impl Digest {
    fn new() -> Self {
        use md5::Digest as _;
        Digest {
            md5: md5::Md5::new(),
            crc32c: 0,
        }
    }

    fn update(&mut self, data: &[u8]) {
        use md5::Digest as _;
        self.md5.update(data);
        self.crc32c = crc32c::crc32c_append(self.crc32c, data);
    }

    fn finish(self) -> BodyHashes {
        use md5::Digest as _;
        BodyHashes {
            md5: self.md5.finalize().into(),
            crc32c: self.crc32c,
        }
    }
}

/// What cancelling a session needs.
struct Cancel {
    http: HttpClient,
    session: String,
    token: Option<Secret>,
}

/// Cancels a session when dropped armed: on a panic, or when an async upload is
/// cancelled (its future dropped).
struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    /// Disarms it; what it would have cancelled with.
    fn disarm(mut self) -> Option<Cancel> {
        self.0.take()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(Cancel {
            http,
            session,
            token,
        }) = self.0.take()
        {
            rt::send_detached(http, move || {
                authorized(GcsRequests::cancel_session(&session), token.as_ref())
            });
        }
    }
}
