//! The big-object phase's data: a deterministic generator reader (nothing held whole) and
//! a sink that counts and checks every byte. The pattern is one 64-bit word per 8 bytes
//! (the word's index times an odd constant, little-endian), so generating and checking
//! cost a multiply and a compare per word, and misplaced or repeated parts are caught.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

fn word(w: u64) -> [u8; 8] {
    w.wrapping_mul(MUL).to_le_bytes()
}

fn byte_at(i: u64) -> u8 {
    word(i / 8)[(i % 8) as usize]
}

/// Splits `len` bytes at offset `pos` into an unaligned head and an aligned body (whole
/// words); the rest is the tail.
fn split(pos: u64, len: usize) -> (usize, usize) {
    let head = (((8 - pos % 8) % 8) as usize).min(len);
    (head, (len - head) / 8 * 8)
}

/// Writes the pattern of bytes `pos..pos + buf.len()` into `buf`.
fn fill(pos: u64, buf: &mut [u8]) {
    let (head, body) = split(pos, buf.len());
    let (h, rest) = buf.split_at_mut(head);
    let (b, t) = rest.split_at_mut(body);
    h.iter_mut()
        .enumerate()
        .for_each(|(k, x)| *x = byte_at(pos + k as u64));
    let w0 = (pos + head as u64) / 8;
    for (c, w) in b.chunks_exact_mut(8).zip(w0..) {
        c.copy_from_slice(&word(w));
    }
    let t0 = pos + (head + body) as u64;
    t.iter_mut()
        .enumerate()
        .for_each(|(k, x)| *x = byte_at(t0 + k as u64));
}

/// Whether `buf` holds the pattern of bytes `pos..pos + buf.len()`.
fn matches(pos: u64, buf: &[u8]) -> bool {
    let (head, body) = split(pos, buf.len());
    let (h, rest) = buf.split_at(head);
    let (b, t) = rest.split_at(body);
    let w0 = (pos + head as u64) / 8;
    let t0 = pos + (head + body) as u64;
    h.iter()
        .enumerate()
        .all(|(k, x)| *x == byte_at(pos + k as u64))
        && b.chunks_exact(8).zip(w0..).all(|(c, w)| c == word(w))
        && t.iter()
            .enumerate()
            .all(|(k, x)| *x == byte_at(t0 + k as u64))
}

/// Yields `len` bytes of the pattern, in whatever pieces the caller asks for.
pub struct Generator {
    pos: u64,
    len: u64,
}

impl Generator {
    pub fn new(len: u64) -> Self {
        Generator { pos: 0, len }
    }
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.len - self.pos) as usize;
        fill(self.pos, &mut buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl tokio::io::AsyncRead for Generator {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.get_mut().read(buf.initialize_unfilled())?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// Counts the bytes it is given and panics at the first one off the pattern.
#[derive(Default)]
pub struct Checker {
    pub pos: u64,
}

impl Checker {
    pub fn check(&mut self, buf: &[u8]) {
        assert!(
            matches(self.pos, buf),
            "a byte in {}..{} differs from the pattern",
            self.pos,
            self.pos + buf.len() as u64
        );
        self.pos += buf.len() as u64;
    }
}
