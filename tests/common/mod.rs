//! Helpers shared by both modes' test copies (plain code, compiled once per test binary).

#![allow(dead_code)]

pub mod child;
pub mod cloud_env;
pub mod cloudflare_fake;
pub mod corrupting_proxy;
pub mod digitalocean_fake;
pub mod ec2env;
pub mod fake_http;
pub mod fault_model;
pub mod fault_plan;
pub mod fault_proxy;
pub mod gcs_fake;
pub mod proxy_server;
pub mod s3env;
pub mod tls_server;
pub mod transfer;

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

/// What the documented name rule (`multicloud::storage::names`) says of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Portable, and every built-in driver holds it.
    Portable,
    /// Not portable: every driver refuses it (`InvalidInput`).
    NotPortable,
    /// Portable, but the local file system cannot hold it (Local: `InvalidInput` naming
    /// the local file system).
    LocalCannotHold,
    /// Portable with a `.`/`..` segment: Local cannot hold it, S3 cannot address it.
    DotSegment,
    /// A folder marker (`name/`): Local cannot store it and reports it absent.
    FolderMarker,
}

/// Names of the form a Libcloud user could pass by mistake or malice, each with what the
/// documented rule says of it. Built at run time for the long ones.
pub fn name_corpus() -> Vec<(String, Rule)> {
    use Rule::*;
    let long_segment = "s".repeat(256);
    let longest_holdable = ["a", "b", "c", "d"].map(|c| c.repeat(255)).join("/");
    let fixed: &[(&str, Rule)] = &[
        ("", NotPortable),
        (".", NotPortable),
        ("..", NotPortable),
        ("nul\0byte", NotPortable),
        ("new\nline", NotPortable),
        ("\u{7f}", NotPortable),
        ("tab\t", NotPortable),
        ("next\u{85}line", NotPortable),
        ("../../etc/passwd", DotSegment),
        ("../outside.txt", DotSegment),
        ("a/../../../outside.txt", DotSegment),
        ("a/./b", DotSegment),
        ("./x", DotSegment),
        ("x/..", DotSegment),
        ("a/b/../../../../x", DotSegment),
        ("...//../x", DotSegment),
        ("/etc/passwd", LocalCannotHold),
        ("/abs.txt", LocalCannotHold),
        ("//server/share/x", LocalCannotHold),
        ("a//b", LocalCannotHold),
        ("trailing/", FolderMarker),
        ("a/b/", FolderMarker),
        // Backslashes and drive letters are plain characters outside Windows.
        ("..\\..\\outside.txt", Portable),
        ("a\\..\\..\\b", Portable),
        ("C:\\Windows\\x", Portable),
        ("..hidden", Portable),
        ("a/.../b", Portable),
        ("ünïcødé/名前.txt", Portable),
        ("with space", Portable),
        ("percent%2e%2e/%2F", Portable),
        ("plus+and?query#frag&x=1", Portable),
        ("emoji 🎉", Portable),
    ];
    let mut out: Vec<(String, Rule)> = fixed.iter().map(|(n, r)| (n.to_string(), *r)).collect();
    out.push(("x".repeat(1025), NotPortable));
    out.push((format!("dir/{long_segment}"), LocalCannotHold));
    out.push((longest_holdable, Portable));
    out
}

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
