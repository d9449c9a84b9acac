//! A loopback HTTP/1.1 proxy that sits between a driver and a real S3 emulator and breaks
//! a share of the exchanges on purpose, for the fault-injection suite
//! (`tests/fault_injection.rs`).
//!
//! Each request's fault is drawn from a hash of the run's seed, the request's identity
//! (method, path without the bucket, query without the upload id) and how many times that
//! identity was seen before, so a run replays the same faults for the same seed whatever
//! order concurrent requests arrive in. A fault either replaces the answer without
//! forwarding the request (the server never saw it), or forwards the request and breaks
//! the answer (the server acted, the client cannot know).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the proxy did to one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Not forwarded: the connection is reset before any answer.
    ResetBeforeHead,
    /// Not forwarded: `500 InternalError`.
    InternalError,
    /// Not forwarded: `503 SlowDown` with `Retry-After: 0` or `1`.
    SlowDown,
    /// Not forwarded: `429` with `Retry-After: 0` or `1`.
    TooManyRequests,
    /// Not forwarded: no answer for longer than the driver waits.
    Stall,
    /// Not forwarded: the request body stops being read part way (uploads over 1 MiB).
    UploadStall,
    /// Not forwarded: `200` with ~2 KiB of whitespace, then `<Error>` (CopyObject and
    /// CompleteMultipartUpload only, where S3 does that).
    PaddedError,
    /// Forwarded, then the connection is reset before the answer's head.
    LostAnswer,
    /// Forwarded, then `500 InternalError` instead of the answer.
    InternalErrorAfter,
    /// Forwarded, then `200` + padded `<Error>` instead of the answer (copy, complete).
    PaddedErrorAfter,
    /// Forwarded; the head and half the body are sent, then the connection is reset.
    ResetMidBody,
    /// Forwarded; `Content-Length` announces more than is sent, then the connection closes.
    Truncated,
    /// Forwarded; the head and half the body are sent, then nothing for longer than the
    /// driver waits.
    StallMidBody,
    /// Forwarded; the whole answer arrives slowly but steadily (never a failure).
    Trickle,
}

impl Fault {
    /// Whether the request reached the server before the answer was broken.
    pub fn forwarded(self) -> bool {
        use Fault::*;
        !matches!(
            self,
            ResetBeforeHead
                | InternalError
                | SlowDown
                | TooManyRequests
                | Stall
                | UploadStall
                | PaddedError
        )
    }
}

/// One fault injected, for the report.
#[derive(Debug, Clone)]
pub struct Injected {
    /// The harness's operation index when it happened.
    pub op: usize,
    pub fault: Fault,
    /// The request line (method and target).
    pub request: String,
}

/// Timings: how long a stall lasts and how slow a trickle is.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A stall holds the connection this long (longer than any driver limit), at most.
    pub stall: Duration,
    /// Pause between two pieces of a trickled answer (shorter than the stall timeout).
    pub trickle_gap: Duration,
    /// A trickled answer is sent in at most this many pieces.
    pub trickle_pieces: usize,
}

/// Answers above this size are never trickled (time budget), and uploads above it may stall.
const LARGE: usize = 1 << 20;
/// Any wait on a socket is bounded by this (a proxy thread never outlives a run by much).
const IO_LIMIT: Duration = Duration::from_secs(30);

struct Shared {
    upstream: SocketAddr,
    seed: u64,
    rate: f64,
    timing: Timing,
    op: AtomicUsize,
    seen: Mutex<HashMap<String, u64>>,
    log: Mutex<Vec<Injected>>,
    upstream_failures: AtomicUsize,
    stop: AtomicBool,
}

/// A running proxy; stops accepting when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://host:port`) faulting `rate` of the requests.
    pub fn start(upstream: &str, seed: u64, rate: f64, timing: Timing) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("the upstream is http://IP:PORT");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            seed,
            rate,
            timing,
            op: AtomicUsize::new(usize::MAX),
            seen: Mutex::default(),
            log: Mutex::default(),
            upstream_failures: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accept = shared.clone();
        std::thread::spawn(move || accept_loop(listener, accept));
        FaultProxy { addr, shared }
    }

    /// The endpoint to give the driver.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Tags the faults injected from now on with operation `op`.
    pub fn set_op(&self, op: usize) {
        self.shared.op.store(op, Ordering::SeqCst);
    }

    /// Every fault injected so far.
    pub fn injected(&self) -> Vec<Injected> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The faults injected during operation `op`, as text.
    pub fn faults_of(&self, op: usize) -> Vec<String> {
        let log = self.shared.log.lock().unwrap();
        log.iter()
            .filter(|i| i.op == op)
            .map(|i| format!("{:?} on {}", i.fault, i.request))
            .collect()
    }

    /// How many times each fault was injected.
    pub fn counts(&self) -> BTreeMap<Fault, usize> {
        let mut out = BTreeMap::new();
        for i in self.shared.log.lock().unwrap().iter() {
            *out.entry(i.fault).or_default() += 1;
        }
        out
    }

    /// Requests the proxy could not forward (the emulator failed): never expected.
    pub fn upstream_failures(&self) -> usize {
        self.shared.upstream_failures.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let shared = shared.clone();
        std::thread::spawn(move || serve(stream, &shared));
    }
}

/// Serves one client connection: requests in turn until one is faulted or the client goes.
fn serve(client: TcpStream, shared: &Shared) {
    let _ = client.set_nodelay(true);
    let _ = client.set_read_timeout(Some(IO_LIMIT));
    let _ = client.set_write_timeout(Some(IO_LIMIT));
    let Ok(read_half) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut client = client;
    while let Some(head) = read_request_head(&mut reader) {
        let key = shared.key(&head);
        let fault = shared.draw(key, &head);
        if let Some(f) = fault {
            shared.record(f, &head);
        }
        if !exchange(shared, &head, (key, fault), &mut reader, &mut client) {
            return;
        }
    }
}

/// One request and its answer; false when the connection must end.
fn exchange(
    shared: &Shared,
    head: &RequestHead,
    (key, fault): (u64, Option<Fault>),
    reader: &mut BufReader<TcpStream>,
    client: &mut TcpStream,
) -> bool {
    if fault == Some(Fault::UploadStall) {
        // Take a quarter of the body, then stop reading: the client's writes stall.
        let mut part = vec![0; head.content_length / 4];
        let _ = reader.read_exact(&mut part);
        std::thread::sleep(shared.timing.stall);
        reset(client);
        return false;
    }
    let Some(body) = read_request_body(reader, head) else {
        return false;
    };
    let mut rng = fastrand::Rng::with_seed(key ^ 0x5eed);
    match fault {
        Some(f) if !f.forwarded() => {
            replace(f, client, shared, &mut rng);
            false
        }
        _ => match forward(shared.upstream, head, &body) {
            Some(answer) => deliver(fault, &answer, client, shared, &mut rng) && !head.close,
            None => {
                shared.upstream_failures.fetch_add(1, Ordering::SeqCst);
                let _ = client.write_all(&plain(502, "BadGateway", ""));
                false
            }
        },
    }
}

impl Shared {
    /// The fault (if any) for this request: a pure function of seed, identity, occurrence.
    fn draw(&self, key: u64, head: &RequestHead) -> Option<Fault> {
        let mut rng = fastrand::Rng::with_seed(key);
        if rng.f64() >= self.rate {
            return None;
        }
        let choices = applicable(head);
        Some(choices[rng.usize(..choices.len())])
    }

    /// The hash of seed, identity and how often that identity was seen before (call once
    /// per request).
    fn key(&self, head: &RequestHead) -> u64 {
        let identity = head.identity();
        let n = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(identity.clone()).or_default();
            *n += 1;
            *n - 1
        };
        fnv(self.seed, &format!("{identity}#{n}"))
    }

    fn record(&self, fault: Fault, head: &RequestHead) {
        let op = self.op.load(Ordering::SeqCst);
        let request = format!("{} {}", head.method, head.target);
        self.log
            .lock()
            .unwrap()
            .push(Injected { op, fault, request });
    }
}

/// The faults that make sense for this request.
fn applicable(head: &RequestHead) -> Vec<Fault> {
    use Fault::*;
    let mut out = vec![
        ResetBeforeHead,
        InternalError,
        SlowDown,
        TooManyRequests,
        Stall,
        LostAnswer,
        InternalErrorAfter,
        Trickle,
    ];
    if head.method != "HEAD" {
        out.extend([ResetMidBody, Truncated, StallMidBody]);
    }
    // The faults only some requests can meet weigh more, so a run of 1,000 operations
    // meets each of them several times.
    if head.is_copy() || head.is_complete() {
        out.extend([PaddedError, PaddedErrorAfter].repeat(3));
    }
    if head.content_length > LARGE {
        out.extend([UploadStall].repeat(3));
    }
    out
}

/// Answers in place of the server (the request was never forwarded).
fn replace(fault: Fault, client: &mut TcpStream, shared: &Shared, rng: &mut fastrand::Rng) {
    let retry_after = format!("Retry-After: {}\r\n", rng.u8(0..=1));
    let bytes = match fault {
        Fault::ResetBeforeHead => return reset(client),
        Fault::Stall => return hold(client, shared.timing.stall),
        Fault::InternalError => plain(500, "InternalError", ""),
        Fault::SlowDown => plain(503, "SlowDown", &retry_after),
        Fault::TooManyRequests => plain(429, "TooManyRequests", &retry_after),
        Fault::PaddedError => padded_error(),
        other => unreachable!("{other:?} is forwarded"),
    };
    let _ = client.write_all(&bytes);
    let _ = client.flush();
}

/// Sends the server's answer to the client, broken as `fault` says; false when the
/// connection must end.
fn deliver(
    fault: Option<Fault>,
    answer: &Answer,
    client: &mut TcpStream,
    shared: &Shared,
    rng: &mut fastrand::Rng,
) -> bool {
    let half = answer.body.len() / 2;
    let sent = match fault {
        None => client.write_all(&answer.encode(None)).is_ok(),
        Some(Fault::LostAnswer) => false,
        Some(Fault::InternalErrorAfter) => {
            let _ = client.write_all(&plain(500, "InternalError", ""));
            false
        }
        Some(Fault::PaddedErrorAfter) => {
            let _ = client.write_all(&padded_error());
            false
        }
        Some(Fault::ResetMidBody) => {
            let _ = client.write_all(&answer.encode(Some(half)));
            false
        }
        Some(Fault::Truncated) => return truncate(answer, client, rng),
        Some(Fault::StallMidBody) => {
            let _ = client.write_all(&answer.encode(Some(half)));
            let _ = client.flush();
            hold(client, shared.timing.stall);
            return false;
        }
        Some(Fault::Trickle) => trickle(&answer.encode(None), client, shared.timing),
        Some(other) => unreachable!("{other:?} is not forwarded"),
    };
    if !sent {
        reset(client);
    }
    sent
}

/// Announces the whole body, sends part of it, then closes cleanly (a FIN, not a reset).
/// An empty body is announced as a few bytes, so its cut is visible too.
fn truncate(answer: &Answer, client: &mut TcpStream, rng: &mut fastrand::Rng) -> bool {
    let len = answer.body.len();
    let (announce, cut) = match len {
        0 => (rng.usize(1..=64), 0),
        _ => (len, rng.usize(..len)),
    };
    let mut bytes = answer.head(announce);
    bytes.extend_from_slice(&answer.body[..cut]);
    let _ = client.write_all(&bytes);
    let _ = client.flush();
    let _ = client.shutdown(std::net::Shutdown::Write);
    // Let the client read to the end before the socket goes (bounded).
    hold(client, Duration::from_secs(2));
    false
}

/// Sends `bytes` in pieces with a pause between them; small answers only (time budget).
fn trickle(bytes: &[u8], client: &mut TcpStream, timing: Timing) -> bool {
    if bytes.len() > LARGE * 4 {
        return client.write_all(bytes).is_ok();
    }
    // The head goes whole: the async client sees a head only once it is complete, so a
    // head trickled over longer than the stall timeout is a documented limit (design.md),
    // not what this fault is about. The body trickles.
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |i| i + 4);
    let (head, body) = bytes.split_at(head_end);
    if client
        .write_all(head)
        .and_then(|()| client.flush())
        .is_err()
    {
        return false;
    }
    let piece = body.len().div_ceil(timing.trickle_pieces).max(1);
    for chunk in body.chunks(piece) {
        if client
            .write_all(chunk)
            .and_then(|()| client.flush())
            .is_err()
        {
            return false;
        }
        std::thread::sleep(timing.trickle_gap);
    }
    true
}

/// Keeps the connection open and silent until the client gives up or `limit` passes.
fn hold(client: &mut TcpStream, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut sink = [0u8; 4096];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() || client.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match client.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(_) => break,
        }
    }
    reset(client);
}

/// An S3-style error answer.
fn plain(status: u16, code: &str, extra_headers: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>injected by the fault proxy</Message><RequestId>FAULTPROXY</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A 200 whose body is ~2 KiB of whitespace and then an `<Error>`, as S3 sends when a
/// long copy or completion fails after the head went out.
fn padded_error() -> Vec<u8> {
    let mut body = String::new();
    for i in 0..160 {
        body.push_str(if i % 8 == 7 {
            "            \n"
        } else {
            "            "
        });
    }
    body.push_str(
        "<Error><Code>InternalError</Code><Message>We encountered an internal error. \
         Please try again.</Message><RequestId>FAULTPROXY</RequestId></Error>",
    );
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// FNV-1a of the seed and a string: stable across platforms and Rust versions.
fn fnv(seed: u64, s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in seed.to_le_bytes().iter().chain(s.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

mod wire;
use super::fake_http::reset;
use wire::{Answer, RequestHead, forward, read_request_body, read_request_head};
