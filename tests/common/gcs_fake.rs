//! An in-process GCS server following Google's documented JSON API and resumable-upload
//! rules, with fault switches, for the GCS fault cases (`tests/cases/fault_gcs.rs`).
//!
//! A small GCS JSON API server: one bucket `bkt`, objects in memory, resumable sessions
//! with Google's documented semantics, and faults switched on by the tests.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use md5::Digest;

pub const CHUNK: usize = 256 << 10;

#[derive(Default)]
pub struct Faults {
    /// The n-th chunk (1-based) is kept, then the connection reset before the answer.
    pub lose_answer_of_chunk: Option<usize>,
    /// The n-th chunk: only its first half is kept (308 says so).
    pub keep_half_of_chunk: Option<usize>,
    /// Status queries claim a byte more than the session holds.
    pub overclaim: bool,
    /// Finished uploads store one byte flipped.
    pub corrupt_final: bool,
    /// This many metadata GETs answer 503 first.
    pub unavailable_metadata: usize,
    /// This many media GETs are reset before the head.
    pub reset_media: usize,
    /// Media GETs send half the body and close.
    pub truncate_media: bool,
    /// The next multipart upload is stored (`true`) or not, then reset unanswered.
    pub lose_multipart: Option<bool>,
    /// The next object deletion happens, then the connection is reset unanswered.
    pub lose_answer_of_delete: bool,
    /// Resumable sessions are on another host.
    pub foreign_session: bool,
    /// The second page of the bucket listing hands back the first page's token.
    pub repeat_bucket_token: bool,
    /// Object resources leave out the generation.
    pub omit_generation: bool,
    /// Object resources leave out md5Hash and crc32c.
    pub omit_hashes: bool,
    /// `buckets.get` answers 403 (an object-only role).
    pub forbid_bucket_get: bool,
    /// 404s carry Google's messages (`No such object: bkt/n`; bucket `gone` is missing).
    pub google_404s: bool,
    /// Requests bearing this token are refused (401).
    pub refused_token: Option<String>,
    /// Only media GETs refuse `refused_token`.
    pub refuse_only_media: bool,
    /// Every request with a token is refused (401).
    pub refuse_all_tokens: bool,
    /// Rewrites never finish: a new token each time, no byte more rewritten.
    pub rewrite_stuck: bool,
}

#[derive(Default)]
struct State {
    objects: HashMap<String, Vec<u8>>,
    sessions: HashMap<String, (String, Vec<u8>)>,
    chunks: usize,
    faults: Faults,
    log: Vec<String>,
}

pub struct Fake {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Fake {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state, addr));
            }
        });
        Fake { addr, state }
    }

    pub fn set(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.state.lock().unwrap().faults);
    }

    pub fn put(&self, name: &str, data: &[u8]) {
        let mut s = self.state.lock().unwrap();
        s.objects.insert(name.to_owned(), data.to_vec());
    }

    pub fn object(&self, name: &str) -> Option<Vec<u8>> {
        self.state.lock().unwrap().objects.get(name).cloned()
    }

    /// Request lines, with the Content-Range of uploads.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

struct Req {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        let h = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name));
        h.map(|(_, v)| v.as_str())
    }
}

fn read(stream: &TcpStream) -> Option<Req> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let mut req = Req {
        line: line.trim_end().to_owned(),
        headers,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    req.body = vec![0; len];
    reader.read_exact(&mut req.body).ok()?;
    Some(req)
}

fn respond(stream: &mut TcpStream, status: u16, headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn reset(stream: TcpStream) {
    super::fake_http::reset(&stream);
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, addr: SocketAddr) {
    let Some(req) = read(&stream) else { return };
    let range = req.header("content-range").unwrap_or("").to_owned();
    let auth = req.header("authorization").unwrap_or("").to_owned();
    let line = format!("{} {range} {auth}", req.line);
    state.lock().unwrap().log.push(line);
    let mut parts = req.line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if refused(&auth, query, state) {
        return respond(
            &mut stream,
            401,
            "",
            br#"{"error":{"code":401,"message":"Invalid Credentials"}}"#,
        );
    }
    let answer = match (method, path) {
        ("POST", p) if p.contains("/rewriteTo/") => rewrite(p, query, state),
        ("GET", "/storage/v1/b/bkt") if state.lock().unwrap().faults.forbid_bucket_get => {
            Answer::Status(403)
        }
        (_, p) if p.starts_with("/storage/v1/b/gone/") => not_found(
            state,
            r#"{"error":{"code":404,"message":"The specified bucket does not exist."}}"#.into(),
        ),
        ("POST", "/upload/storage/v1/b/bkt/o") if query.contains("uploadType=multipart") => {
            multipart(&req, query, state)
        }
        ("POST", "/upload/storage/v1/b/bkt/o") => start(&req, state, addr),
        ("PUT", "/upload/storage/v1/b/bkt/o") => chunk(&req, query, state),
        ("DELETE", "/upload/storage/v1/b/bkt/o") => Answer::Status(499),
        ("GET", "/storage/v1/b") => buckets(query, state),
        ("GET", "/storage/v1/b/bkt") => {
            Answer::Json(r#"{"kind":"storage#bucket","name":"bkt"}"#.into())
        }
        (m, p) if p.starts_with("/storage/v1/b/bkt/o/") => {
            let name = percent_encoding::percent_decode_str(&p[20..]).decode_utf8_lossy();
            object(m, &name, query, state)
        }
        _ => Answer::Status(400),
    };
    match answer {
        Answer::Status(s) => respond(&mut stream, s, "", b""),
        Answer::Json(j) => respond(
            &mut stream,
            200,
            "Content-Type: application/json\r\n",
            j.as_bytes(),
        ),
        Answer::Raw(s, h, b) => respond(&mut stream, s, &h, &b),
        Answer::Reset => reset(stream),
        Answer::Truncated(b) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\nX-Goog-Generation: 1\r\n\r\n",
                b.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&b[..b.len() / 2]);
        }
    }
}

/// Whether the fault switches refuse a request bearing `auth`.
fn refused(auth: &str, query: &str, state: &Mutex<State>) -> bool {
    let s = state.lock().unwrap();
    let f = &s.faults;
    let token = auth.strip_prefix("Bearer ");
    let named = token.is_some() && token == f.refused_token.as_deref();
    let media = query.contains("alt=media");
    (f.refuse_all_tokens && token.is_some()) || (named && (media || !f.refuse_only_media))
}

/// A 404 with Google's `message` when `google_404s` is on, an empty one otherwise.
fn not_found(state: &Mutex<State>, google: String) -> Answer {
    match state.lock().unwrap().faults.google_404s {
        true => Answer::Raw(
            404,
            "Content-Type: application/json\r\n".into(),
            google.into(),
        ),
        false => Answer::Status(404),
    }
}

/// `objects.rewrite` within `bkt`: done at once, or (`rewrite_stuck`) never.
fn rewrite(path: &str, query: &str, state: &Mutex<State>) -> Answer {
    let decode = |p: &str| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    };
    let (src, dst) = path["/storage/v1/b/bkt/o/".len()..]
        .split_once("/rewriteTo/b/bkt/o/")
        .unwrap();
    let (src, dst) = (decode(src), decode(dst));
    let mut s = state.lock().unwrap();
    let Some(data) = s.objects.get(&src).cloned() else {
        return Answer::Status(404);
    };
    if s.faults.rewrite_stuck {
        let n = query.matches("rewriteToken=").count() + s.log.len();
        return Answer::Json(format!(
            r#"{{"kind":"storage#rewriteResponse","done":false,"rewriteToken":"t{n}",
            "totalBytesRewritten":"0","objectSize":"{}"}}"#,
            data.len()
        ));
    }
    let json = resource(&s.faults, &dst, &data);
    s.objects.insert(dst, data.clone());
    Answer::Json(format!(
        r#"{{"kind":"storage#rewriteResponse","done":true,"objectSize":"{}","resource":{json}}}"#,
        data.len()
    ))
}

enum Answer {
    Status(u16),
    Json(String),
    Raw(u16, String, Vec<u8>),
    Reset,
    Truncated(Vec<u8>),
}

fn start(req: &Req, state: &Mutex<State>, addr: SocketAddr) -> Answer {
    let meta: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    let name = meta["name"].as_str().unwrap().to_owned();
    let mut s = state.lock().unwrap();
    let id = format!("s{}", s.sessions.len() + 1);
    s.sessions.insert(id.clone(), (name, Vec::new()));
    let host = match s.faults.foreign_session {
        true => "198.51.100.7:80".to_owned(),
        false => addr.to_string(),
    };
    let location = format!(
        "Location: http://{host}/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id={id}\r\n"
    );
    Answer::Raw(200, location, Vec::new())
}

/// A chunk or a status query: `bytes A-B/T` or `bytes */T` (`T` may be `*`).
fn chunk(req: &Req, query: &str, state: &Mutex<State>) -> Answer {
    let id = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("upload_id="))
        .unwrap_or("");
    let spec = req
        .header("content-range")
        .unwrap_or("")
        .trim_start_matches("bytes ")
        .to_owned();
    let (span, total) = spec.split_once('/').unwrap_or(("", "*"));
    let total: Option<usize> = total.parse().ok();
    let mut s = state.lock().unwrap();
    let overclaim = s.faults.overclaim;
    let mut lose = false;
    if span != "*" {
        s.chunks += 1;
        let n = s.chunks;
        let start: usize = span.split('-').next().unwrap().parse().unwrap();
        let half = s.faults.keep_half_of_chunk == Some(n);
        lose = s.faults.lose_answer_of_chunk == Some(n);
        let Some((_, held)) = s.sessions.get_mut(id) else {
            return Answer::Status(404);
        };
        if start > held.len() {
            return Answer::Status(400);
        }
        let mut new = &req.body[held.len() - start..];
        if half {
            new = &new[..new.len() / 2];
        }
        held.extend_from_slice(new);
    }
    let Some((name, held)) = s.sessions.get(id).cloned() else {
        return Answer::Status(404);
    };
    if lose {
        return Answer::Reset;
    }
    if total == Some(held.len()) {
        s.sessions.remove(id);
        let mut stored = held;
        if s.faults.corrupt_final {
            stored[0] ^= 1;
        }
        let json = resource(&s.faults, &name, &stored);
        s.objects.insert(name, stored);
        return Answer::Json(json);
    }
    let claimed = held.len() + usize::from(overclaim && span == "*");
    match claimed {
        0 => Answer::Status(308),
        n => Answer::Raw(308, format!("Range: bytes=0-{}\r\n", n - 1), Vec::new()),
    }
}

fn object(method: &str, name: &str, query: &str, state: &Mutex<State>) -> Answer {
    let mut s = state.lock().unwrap();
    if method == "DELETE" {
        let lose = std::mem::take(&mut s.faults.lose_answer_of_delete);
        return match (s.objects.remove(name), lose) {
            (Some(_), true) => Answer::Reset,
            (Some(_), false) => Answer::Status(204),
            (None, _) => {
                drop(s);
                let google =
                    format!(r#"{{"error":{{"code":404,"message":"No such object: bkt/{name}"}}}}"#);
                not_found(state, google)
            }
        };
    }
    let Some(data) = s.objects.get(name).cloned() else {
        drop(s);
        let google =
            format!(r#"{{"error":{{"code":404,"message":"No such object: bkt/{name}"}}}}"#);
        return not_found(state, google);
    };
    if !query.contains("alt=media") {
        if s.faults.unavailable_metadata > 0 {
            s.faults.unavailable_metadata -= 1;
            return Answer::Status(503);
        }
        return Answer::Json(resource(&s.faults, name, &data));
    }
    if s.faults.reset_media > 0 {
        s.faults.reset_media -= 1;
        return Answer::Reset;
    }
    if s.faults.truncate_media {
        return Answer::Truncated(data);
    }
    Answer::Raw(200, "X-Goog-Generation: 1\r\n".into(), data)
}

/// A multipart upload: JSON metadata and bytes between boundaries; `ifGenerationMatch=0`
/// is honoured.
fn multipart(req: &Req, query: &str, state: &Mutex<State>) -> Answer {
    let ct = req.header("content-type").unwrap_or("");
    let boundary = format!("--{}", ct.split("boundary=").nth(1).unwrap_or("").trim());
    let body = &req.body;
    let find = |from: usize, pat: &[u8]| {
        body[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|i| i + from)
    };
    let meta_at = find(0, b"\r\n\r\n").unwrap() + 4;
    let meta_end = find(meta_at, boundary.as_bytes()).unwrap() - 2;
    let meta: serde_json::Value = serde_json::from_slice(&body[meta_at..meta_end]).unwrap();
    let data_at = find(meta_end, b"\r\n\r\n").unwrap() + 4;
    let data_end = find(data_at, format!("\r\n{boundary}--").as_bytes()).unwrap();
    let name = meta["name"].as_str().unwrap().to_owned();
    let data = body[data_at..data_end].to_vec();
    let mut s = state.lock().unwrap();
    if query.contains("ifGenerationMatch=0") && s.objects.contains_key(&name) {
        return Answer::Status(412);
    }
    let lose = s.faults.lose_multipart.take();
    if lose != Some(false) {
        let json = resource(&s.faults, &name, &data);
        s.objects.insert(name, data);
        if lose.is_none() {
            return Answer::Json(json);
        }
    }
    Answer::Reset
}

/// Two pages of buckets (`bkt`, `other`); the second may repeat the first's token.
fn buckets(query: &str, state: &Mutex<State>) -> Answer {
    let repeat = state.lock().unwrap().faults.repeat_bucket_token;
    let page = |name: &str, token: Option<&str>| {
        let mut doc = serde_json::json!({"kind": "storage#buckets", "items": [{"name": name}]});
        if let Some(t) = token {
            doc["nextPageToken"] = t.into();
        }
        Answer::Json(doc.to_string())
    };
    match query.contains("pageToken=t1") {
        false => page("other", Some("t1")),
        true => page("bkt", repeat.then_some("t1")),
    }
}

fn resource(faults: &Faults, name: &str, data: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let md5 = b64.encode(md5::Md5::digest(data));
    let crc = b64.encode(crc32c::crc32c(data).to_be_bytes());
    let mut doc = serde_json::json!({
        "kind": "storage#object", "bucket": "bkt", "name": name, "generation": "1",
        "size": data.len().to_string(), "md5Hash": md5, "crc32c": crc,
        "contentType": "application/octet-stream", "updated": "2026-12-06T10:00:00Z",
    });
    let fields = doc.as_object_mut().unwrap();
    if faults.omit_generation {
        fields.remove("generation");
    }
    if faults.omit_hashes {
        fields.remove("md5Hash");
        fields.remove("crc32c");
    }
    doc.to_string()
}
