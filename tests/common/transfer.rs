//! Readers and writers that cancel a transfer part way, in both modes, and a progress
//! recorder: deterministic stand-ins for a user pressing Ctrl-C or watching a bar.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use multicloud::storage::{CancelToken, Progress};

/// Yields `data`, cancelling `token` once `at` bytes have been read (and going on).
pub struct CancellingReader {
    data: Vec<u8>,
    pos: usize,
    at: usize,
    token: CancelToken,
}

impl CancellingReader {
    pub fn new(data: Vec<u8>, at: usize, token: &CancelToken) -> Self {
        CancellingReader {
            data,
            pos: 0,
            at,
            token: token.clone(),
        }
    }

    fn step(&mut self, buf: &mut [u8]) -> usize {
        if self.pos >= self.at {
            self.token.cancel();
        }
        let n = buf.len().min(self.data.len() - self.pos).min(64 << 10);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        n
    }
}

impl io::Read for CancellingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.step(buf))
    }
}

impl tokio::io::AsyncRead for CancellingReader {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = this.step(buf.initialize_unfilled());
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// Collects what is written, cancelling `token` after the first write.
pub struct CancellingWriter {
    pub written: Vec<u8>,
    token: CancelToken,
}

impl CancellingWriter {
    pub fn new(token: &CancelToken) -> Self {
        CancellingWriter {
            written: Vec::new(),
            token: token.clone(),
        }
    }

    fn take(&mut self, buf: &[u8]) -> usize {
        self.written.extend_from_slice(buf);
        self.token.cancel();
        buf.len()
    }
}

impl io::Write for CancellingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.take(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncWrite for CancellingWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.get_mut().take(buf)))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// One progress report, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub name: String,
    pub bytes: u64,
    pub total: Option<u64>,
    /// (bytes, total, items done, items) of the batch.
    pub batch: Option<(u64, Option<u64>, usize, usize)>,
}

/// A progress observer that records every report; `reports()` reads them back.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    pub fn observer(&self) -> impl Fn(&Progress<'_>) + Send + Sync + 'static {
        let log = self.0.clone();
        move |p: &Progress<'_>| {
            let batch = p.batch.map(|b| (b.bytes, b.total, b.items_done, b.items));
            log.lock().unwrap().push(Seen {
                name: p.name.to_owned(),
                bytes: p.bytes,
                total: p.total,
                batch,
            });
        }
    }

    pub fn reports(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}
