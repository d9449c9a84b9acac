//! HTTP/1.1 over std::net: keep-alive connections, the request log, fault switches.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::routes::{Reply, State, failure};
use super::{Fault, Logged};

/// A request as read from the wire.
pub(super) struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut found = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name));
        found.next().map(|(_, v)| v.as_str())
    }

    /// The body as a JSON object; anything else is Cloudflare's malformed-body error.
    pub fn json(&self) -> Result<Value, Reply> {
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(failure(400, &[(6007, "Malformed JSON in request body")])),
        }
    }
}

enum Outcome {
    Answer(Reply, Vec<(&'static str, String)>),
    Truncated,
    CutJson,
    Reset,
}

pub(super) fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let state = state.clone();
        std::thread::spawn(move || connection(stream, &state));
    }
}

fn connection(stream: TcpStream, state: &Mutex<State>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let _ = out.set_nodelay(true);
    while let Some(req) = read_request(&mut reader) {
        let close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let outcome = answer(&mut state.lock().unwrap_or_else(|e| e.into_inner()), &req);
        match outcome {
            Outcome::Answer(reply, headers) => write_reply(&mut out, &reply, &headers, close),
            Outcome::Truncated => return write_cut(&mut out, true),
            Outcome::CutJson => return write_cut(&mut out, false),
            Outcome::Reset => return super::super::fake_http::reset(&out),
        }
        if close {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (path, query) = (path.to_string(), query.to_string());
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
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut req = Request {
        method,
        path,
        query,
        headers,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .map_or(Some(0), |v| v.parse().ok())?;
    req.body = vec![0; len];
    reader.read_exact(&mut req.body).ok()?;
    Some(req)
}

/// Logs the request, then answers it: a pending fault, else a canned answer, else the
/// bearer check and the route.
fn answer(st: &mut State, req: &Request) -> Outcome {
    st.log.push(Logged {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        authorization: req.header("authorization").map(str::to_string),
        body: String::from_utf8_lossy(&req.body).into_owned(),
    });
    let ray = vec![("cf-ray", format!("{:016x}-AMS", st.log.len()))];
    match st.faults.pop_front() {
        Some(Fault::Reset) => Outcome::Reset,
        Some(Fault::Truncated) => Outcome::Truncated,
        Some(Fault::CutJson) => Outcome::CutJson,
        Some(Fault::ServerError) => {
            let reply = failure(500, &[(10001, "Internal server error")]);
            Outcome::Answer(reply, ray)
        }
        Some(Fault::RateLimited { retry_after }) => {
            let msg = "Please wait and consider throttling your request speed";
            let mut headers = ray;
            headers.push(("retry-after", retry_after.to_string()));
            Outcome::Answer(failure(429, &[(971, msg)]), headers)
        }
        None => match st.canned.pop_front() {
            Some((status, body)) => Outcome::Answer(Reply { status, body }, ray),
            None => Outcome::Answer(st.authorized(req), ray),
        },
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Other",
    }
}

fn write_reply(out: &mut TcpStream, reply: &Reply, headers: &[(&str, String)], close: bool) {
    let body = reply.body.to_string().into_bytes();
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    head.push_str("content-type: application/json\r\n");
    head.push_str(&format!("content-length: {}\r\n", body.len()));
    if close {
        head.push_str("connection: close\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    // One write: head and body in separate segments would meet Nagle and delayed ACKs.
    let mut whole = head.into_bytes();
    whole.extend_from_slice(&body);
    let _ = out.write_all(&whole);
    let _ = out.flush();
}

/// A 200 carrying half an envelope, then the connection closes. `short`: the
/// content-length promises the whole document (the body ends early); otherwise it matches
/// the half sent (a complete HTTP answer whose JSON is cut).
fn write_cut(out: &mut TcpStream, short: bool) {
    let whole = json!({ "success": true, "errors": [], "messages": [],
        "result": [{ "id": "023e105f4ecef8ad9ca31a8372d0c353", "name": "example.com" }],
        "result_info": { "page": 1, "per_page": 20, "count": 1, "total_count": 1, "total_pages": 1 } })
    .to_string();
    let half = &whole.as_bytes()[..whole.len() / 2];
    let declared = if short { whole.len() } else { half.len() };
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
         content-length: {declared}\r\nconnection: close\r\n\r\n"
    );
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(half);
    let _ = out.flush();
}
