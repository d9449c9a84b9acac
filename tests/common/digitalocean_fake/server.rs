//! HTTP/1.1 over std::net: keep-alive connections (closed when the client asks), the
//! request log, fault switches, the bearer check and the route table.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::state::{Query, Reply, State, error, not_found, now};
use super::{Fault, Logged, block, domains, droplets};

/// A request as read from the wire.
pub(super) struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        let mut found = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name));
        found.next().map(|(_, v)| v.as_str())
    }

    /// The body as JSON; an empty body reads as `{}`.
    pub fn json(&self) -> Result<Value, Reply> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| error(400, "bad_request", &format!("invalid JSON body: {e}")))
    }
}

/// What goes back on the connection.
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
        let outcome = state.lock().unwrap_or_else(|e| e.into_inner()).answer(&req);
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

impl State {
    /// Logs the request, then answers it: a pending fault, else the bearer check, else
    /// the route.
    fn answer(&mut self, req: &Request) -> Outcome {
        self.log.push(Logged {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
        });
        self.served += 1;
        if self.first_at == 0 {
            self.first_at = now();
        }
        match self.faults.pop_front() {
            Some(Fault::Reset) => Outcome::Reset,
            Some(Fault::Truncated) => Outcome::Truncated,
            Some(Fault::CutJson) => Outcome::CutJson,
            Some(Fault::ServerError) => Outcome::Answer(server_error(), self.rate_headers(false)),
            Some(Fault::RateLimited { retry_after }) => {
                let mut headers = self.rate_headers(true);
                headers.push(("retry-after", retry_after.to_string()));
                Outcome::Answer(rate_limited(), headers)
            }
            Some(Fault::RateLimitedUntilReset { reset_in }) => {
                Outcome::Answer(rate_limited(), self.reset_headers(reset_in))
            }
            None => match self.canned.pop_front() {
                Some((status, body)) => {
                    Outcome::Answer(Reply::json(status, body), self.rate_headers(false))
                }
                None => Outcome::Answer(self.authorized(req), self.rate_headers(false)),
            },
        }
    }

    fn authorized(&mut self, req: &Request) -> Reply {
        let expected = format!("Bearer {}", self.token);
        if req.header("authorization") != Some(expected.as_str()) {
            return error(401, "unauthorized", "Unable to authenticate you.");
        }
        self.route(req)
    }

    fn route(&mut self, req: &Request) -> Reply {
        let Some(rest) = req.path.strip_prefix("/v2/") else {
            return not_found();
        };
        let segs: Vec<&str> = rest.split('/').collect();
        let q = Query::parse(&req.query);
        let m = req.method.as_str();
        match (segs[0], m) {
            ("droplets" | "actions", _) => droplets::route(self, m, &segs, &q, req),
            ("sizes" | "images" | "regions", "GET") if segs.len() == 1 => {
                droplets::catalog(self, segs[0], &q)
            }
            ("account" | "volumes" | "snapshots", _) => block::route(self, m, &segs, &q, req),
            ("domains", _) => domains::route(self, m, &segs, &q, req),
            _ => not_found(),
        }
    }
}

fn server_error() -> Reply {
    error(500, "server_error", "Unexpected server-side error")
}

fn rate_limited() -> Reply {
    error(429, "too_many_requests", "API Rate limit exceeded.")
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Other",
    }
}

fn write_reply(out: &mut TcpStream, reply: &Reply, headers: &[(&str, String)], close: bool) {
    let body = reply
        .body
        .as_ref()
        .map_or_else(Vec::new, |b| b.to_string().into_bytes());
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    if reply.body.is_some() {
        head.push_str("content-type: application/json; charset=utf-8\r\n");
    }
    head.push_str(&format!("content-length: {}\r\n", body.len()));
    if close {
        head.push_str("connection: close\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    // One write: head and body in separate segments would meet Nagle and delayed ACKs
    // (about 40 ms per answer on a kept-alive connection).
    let mut whole = head.into_bytes();
    whole.extend_from_slice(&body);
    let _ = out.write_all(&whole);
    let _ = out.flush();
}

/// A 200 carrying half a JSON document, then the connection closes. `short`: the
/// content-length promises the whole document (the body ends early); otherwise it matches
/// the half sent (a complete HTTP answer whose JSON is cut).
fn write_cut(out: &mut TcpStream, short: bool) {
    let whole = br#"{"droplets":[{"id":3164444,"name":"example.com","status":"active"}],"meta":{"total":1}}"#;
    let half = &whole[..whole.len() / 2];
    let declared = if short { whole.len() } else { half.len() };
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n\
         content-length: {declared}\r\nconnection: close\r\n\r\n"
    );
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(half);
    let _ = out.flush();
}
