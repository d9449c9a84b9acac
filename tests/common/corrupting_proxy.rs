//! A TCP proxy in front of a real server that flips one byte of the first message body
//! on each connection, in one direction: a stand-in for a bad NIC, a buggy middlebox or
//! memory corruption, to prove that corrupted bodies are caught both ways.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which bodies the proxy corrupts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    /// The first request body of each connection (an upload).
    Requests,
    /// The first response body of each connection (a download).
    Responses,
}

pub struct CorruptingProxy {
    addr: SocketAddr,
    flipped: Arc<AtomicUsize>,
}

impl CorruptingProxy {
    /// Starts a proxy to `upstream` (`http://host:port`).
    pub fn start(upstream: &str, flip: Flip) -> Self {
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let flipped = Arc::new(AtomicUsize::new(0));
        let count = flipped.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (up, down) = (count.clone(), count.clone());
                std::thread::spawn(move || pump(client, server, flip == Flip::Requests, &up));
                std::thread::spawn(move || pump(s2, c2, flip == Flip::Responses, &down));
            }
        });
        CorruptingProxy { addr, flipped }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many bytes were flipped so far.
    pub fn flipped(&self) -> usize {
        self.flipped.load(Ordering::SeqCst)
    }
}

/// Copies `from` to `to`; with `corrupt`, flips the first byte after the first header
/// block's end (`\r\n\r\n`) once, if a body byte follows in the same read or a later one.
fn pump(mut from: TcpStream, mut to: TcpStream, corrupt: bool, flipped: &AtomicUsize) {
    let mut buf = vec![0u8; 64 << 10];
    let (mut tail, mut armed, mut done) = (Vec::<u8>::new(), false, !corrupt);
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &mut buf[..n];
        if !done {
            let mut start = 0;
            if !armed {
                tail.extend_from_slice(chunk);
                if let Some(i) = tail.windows(4).position(|w| w == b"\r\n\r\n") {
                    armed = true;
                    // Where the body starts within this chunk.
                    start = (i + 4).saturating_sub(tail.len() - n);
                }
            }
            if armed && start < n {
                chunk[start] ^= 0x01;
                flipped.fetch_add(1, Ordering::SeqCst);
                done = true;
            }
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
