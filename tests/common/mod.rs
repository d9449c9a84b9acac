//! Helpers shared by both modes' test copies (plain code, compiled once per test binary).

#![allow(dead_code)]

pub mod child;
pub mod fake_http;
pub mod s3env;

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A reader that yields `data` and then fails, in both modes (`Read` and `AsyncRead`).
pub struct FailingReader {
    data: Vec<u8>,
    pos: usize,
}

impl FailingReader {
    pub fn new(data: &[u8]) -> Self {
        FailingReader {
            data: data.to_vec(),
            pos: 0,
        }
    }

    fn step(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.data.len() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "source broke",
            ));
        }
        let n = buf.len().min(self.data.len() - self.pos).min(1000);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl io::Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.step(buf)
    }
}

impl tokio::io::AsyncRead for FailingReader {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut tmp = vec![0u8; buf.remaining()];
        let n = this.step(&mut tmp)?;
        buf.put_slice(&tmp[..n]);
        Poll::Ready(Ok(()))
    }
}

/// Deterministic pseudo-random content of `len` bytes.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.u8(..)).collect()
}

/// Every path under `dir` (recursively, symlinks not followed), relative, sorted.
pub fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Names of the form a Libcloud user could pass by mistake or malice, that must never
/// reach outside a local driver's container.
pub const HOSTILE_NAMES: &[&str] = &[
    "../../etc/passwd",
    "..",
    ".",
    "../outside.txt",
    "a/../../../outside.txt",
    "a/./b",
    "/etc/passwd",
    "/abs.txt",
    "//server/share/x",
    "a//b",
    "trailing/",
    "..\\..\\outside.txt",
    "a\\..\\..\\b",
    "C:\\Windows\\x",
    "nul\0byte",
    "new\nline",
    "./x",
    "x/..",
    "a/b/../../../../x",
    "...//../x",
    "\u{7f}",
    "tab\t",
    "",
];

/// A tracing subscriber that keeps every span and event field it sees, as text, so tests
/// can check what the library logs (and that no secret is among it).
pub mod recorder {
    use std::fmt::Debug;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub struct Recorder {
        pub seen: Arc<Mutex<Vec<String>>>,
        next: Arc<AtomicU64>,
    }

    struct Collect<'a>(&'a Mutex<Vec<String>>);

    impl Visit for Collect<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{}={value:?}", field.name()));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{}={value}", field.name()));
        }
    }

    impl Subscriber for Recorder {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            span.record(&mut Collect(&self.seen));
            Id::from_u64(self.next.fetch_add(1, Ordering::SeqCst) + 1)
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            values.record(&mut Collect(&self.seen));
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            event.record(&mut Collect(&self.seen));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}
