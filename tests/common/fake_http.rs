//! A tiny in-process HTTP/1.1 server for fault injection: each connection serves one
//! request, answered by a handler that writes raw bytes (or misbehaves on purpose).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct FakeServer {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl FakeServer {
    /// Starts a server; `handler(n, stream)` answers the n-th request (0-based).
    pub fn start(handler: impl Fn(usize, &mut TcpStream) + Send + Sync + 'static) -> Self {
        Self::start_with_request(move |n, _, s| handler(n, s))
    }

    /// Like [`start`](Self::start), with the request line (`PUT /b/k?uploads HTTP/1.1`).
    pub fn start_with_request(
        handler: impl Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static,
    ) -> Self {
        Self::start_with_head(move |n, head, s| handler(n, head.lines().next().unwrap_or(""), s))
    }

    /// Like [`start`](Self::start), with the whole request head (request line and headers).
    pub fn start_with_head(
        handler: impl Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static,
    ) -> Self {
        Self::start_with_body(move |n, head, _, s| handler(n, head, s))
    }

    /// Like [`start_with_head`](Self::start_with_head), with the request body too.
    pub fn start_with_body(
        handler: impl Fn(usize, &str, &[u8], &mut TcpStream) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (handler, counter) = (handler.clone(), counter.clone());
                std::thread::spawn(move || {
                    if let Some((head, body)) = read_request(&mut stream) {
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        handler(n, head.trim_end(), &body, &mut stream);
                    }
                });
            }
        });
        FakeServer { addr, hits }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Reads one request (head and Content-Length body).
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        first.push_str(&line);
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some((first, body))
}

/// Writes a complete response with `Connection: close`.
pub fn respond(stream: &mut TcpStream, status: u16, extra_headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// Closes with a TCP reset (SO_LINGER 0, no FIN first): the peer's next read fails with
/// a reset instead of seeing a clean end. The RST goes out when the last handle closes.
pub fn reset(stream: &TcpStream) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket and a correctly sized option value.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&raw const linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Read);
}

/// Blocks the calling handler thread forever: a peer that stopped talking.
pub fn hang() -> ! {
    loop {
        std::thread::park();
    }
}
