//! The proxy's HTTP/1.1 plumbing: reading a request, forwarding it to the emulator on a
//! fresh connection, and re-encoding the answer (always with `Content-Length`, so the proxy
//! can announce more than it sends).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::IO_LIMIT;

/// Heads larger than this are refused (never expected from the driver).
const MAX_HEAD: usize = 64 * 1024;

/// A request's head, parsed.
pub struct RequestHead {
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    headers: Vec<(String, String)>,
    pub content_length: usize,
    chunked: bool,
    /// The client asked to close after this exchange.
    pub close: bool,
}

impl RequestHead {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Method, path without the bucket, query without the upload id (random per run) and
    /// the copy source without its bucket: what makes a request "the same" across runs.
    pub fn identity(&self) -> String {
        let (path, query) = self.target.split_once('?').unwrap_or((&self.target, ""));
        let rest = path.splitn(3, '/').nth(2).unwrap_or("");
        let mut params: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("uploadId="))
            .collect();
        params.sort_unstable();
        let source = self.header("x-amz-copy-source").unwrap_or("");
        let source = source
            .trim_start_matches('/')
            .split_once('/')
            .map_or("", |s| s.1);
        format!("{} {rest}?{} <{source}", self.method, params.join("&"))
    }

    /// CopyObject: a PUT naming a source.
    pub fn is_copy(&self) -> bool {
        self.method == "PUT" && self.header("x-amz-copy-source").is_some()
    }

    /// CompleteMultipartUpload: a POST to an upload.
    pub fn is_complete(&self) -> bool {
        self.method == "POST" && self.target.contains("uploadId=")
    }
}

/// Reads a request head; `None` when the client closed (or sent something unreadable).
pub fn read_request_head(reader: &mut BufReader<TcpStream>) -> Option<RequestHead> {
    let first = read_line(reader)?;
    let mut parts = first.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let headers = read_headers(reader)?;
    let mut head = RequestHead {
        method,
        target,
        headers,
        content_length: 0,
        chunked: false,
        close: false,
    };
    head.content_length = head
        .header("content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    head.chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    head.close = head
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    Some(head)
}

/// Reads the request's body (Content-Length or chunked).
pub fn read_request_body(reader: &mut BufReader<TcpStream>, head: &RequestHead) -> Option<Vec<u8>> {
    if head.chunked {
        return read_chunked(reader);
    }
    let mut body = vec![0; head.content_length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// The server's answer, body read whole.
pub struct Answer {
    status_line: String,
    headers: Vec<(String, String)>,
    /// For answers that carry no body (HEAD, 204, 304): the length header as sent.
    bodiless_length: Option<Option<String>>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The head, announcing `announce` bytes of body (bodiless answers keep their own).
    pub fn head(&self, announce: usize) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.status_line);
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        match &self.bodiless_length {
            Some(Some(len)) => out.push_str(&format!("Content-Length: {len}\r\n")),
            Some(None) => {}
            None => out.push_str(&format!("Content-Length: {announce}\r\n")),
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    /// Head and body, the body cut to `cut` bytes when given (the head still announces
    /// all of it).
    pub fn encode(&self, cut: Option<usize>) -> Vec<u8> {
        let mut out = self.head(self.body.len());
        let end = cut.unwrap_or(self.body.len()).min(self.body.len());
        out.extend_from_slice(&self.body[..end]);
        out
    }
}

/// Sends the request to the emulator on a fresh connection and reads the whole answer;
/// `None` if the emulator could not be reached or answered something unreadable.
pub fn forward(upstream: SocketAddr, head: &RequestHead, body: &[u8]) -> Option<Answer> {
    let mut conn = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)).ok()?;
    let _ = conn.set_nodelay(true);
    conn.set_read_timeout(Some(IO_LIMIT)).ok()?;
    conn.set_write_timeout(Some(IO_LIMIT)).ok()?;
    let mut out = format!("{} {} HTTP/1.1\r\n", head.method, head.target);
    for (k, v) in &head.headers {
        if !is_hop_header(k) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    conn.write_all(out.as_bytes()).ok()?;
    conn.write_all(body).ok()?;
    read_answer(&mut BufReader::new(conn), head.method == "HEAD")
}

fn read_answer(reader: &mut BufReader<TcpStream>, is_head: bool) -> Option<Answer> {
    // Interim answers (100 Continue) are skipped.
    let (status_line, status, headers) = loop {
        let line = read_line(reader)?;
        let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
        let headers = read_headers(reader)?;
        if status >= 200 {
            break (line, status, headers);
        }
    };
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length = find("content-length");
    let chunked =
        find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let kept = headers
        .iter()
        .filter(|(k, _)| !is_hop_header(k))
        .cloned()
        .collect();
    if is_head || status == 204 || status == 304 {
        return Some(Answer {
            status_line,
            headers: kept,
            bodiless_length: Some(length),
            body: Vec::new(),
        });
    }
    let body = if chunked {
        read_chunked(reader)?
    } else if let Some(len) = length {
        let mut body = vec![0; len.parse().ok()?];
        reader.read_exact(&mut body).ok()?;
        body
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body).ok()?;
        body
    };
    Some(Answer {
        status_line,
        headers: kept,
        bodiless_length: None,
        body,
    })
}

/// Headers about this hop's framing, which the proxy sets itself.
fn is_hop_header(name: &str) -> bool {
    [
        "connection",
        "content-length",
        "transfer-encoding",
        "keep-alive",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn read_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    let n = reader
        .by_ref()
        .take(MAX_HEAD as u64)
        .read_line(&mut line)
        .ok()?;
    if n == 0 || !line.ends_with('\n') {
        return None;
    }
    Some(line.trim_end().to_owned())
}

fn read_headers(reader: &mut BufReader<TcpStream>) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            return Some(out);
        }
        let (k, v) = line.split_once(':')?;
        out.push((k.trim().to_owned(), v.trim().to_owned()));
        if out.len() > 200 {
            return None;
        }
    }
}

/// Decodes a chunked body (trailers ignored).
fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?;
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            while !read_line(reader)?.is_empty() {}
            return Some(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).ok()?;
        read_line(reader)?;
    }
}
