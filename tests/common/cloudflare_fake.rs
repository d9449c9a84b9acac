//! An in-process fake of Cloudflare's API v4 (zones and DNS records), for the DNS driver:
//! Cloudflare has no emulator. Answers follow the public API reference: every body is the
//! envelope `{success, errors: [{code, message}], messages, result}` (listings add
//! `result_info {page, per_page, count, total_count, total_pages}`), record names are
//! absolute, SRV and CAA records carry a `data` object, MX a `priority`.
//!
//! Served under `/client/v4` (bearer token checked: none is 400 code 9106, a wrong one 403
//! code 10000): `GET`/`POST /zones`, `GET`/`DELETE /zones/{id}`, `GET`/`POST
//! /zones/{id}/dns_records`, `GET`/`PUT`/`PATCH`/`DELETE /zones/{id}/dns_records/{id}`.
//! Errors as Cloudflare sends them: 7003 + 7000 for an unknown zone, 81044 for an unknown
//! record, 1061 for a zone that exists, 81058 for an identical record, 9005/9020/9021...
//! for validation. Fault switches answer the next requests with a 429 (code 971 and
//! `Retry-After`), a 500, a truncated body, cut JSON or a connection reset, or with a
//! canned answer; every request is logged for tests to inspect.

mod routes;
mod server;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use routes::State;

/// The one account the fake's token may create zones in.
pub const ACCOUNT: &str = "01a7362d577a6c3019a474fd6f485823";

/// What the next request(s) get instead of their answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with code 971 and `retry-after` (seconds).
    RateLimited { retry_after: u64 },
    /// 500 with an internal error.
    ServerError,
    /// A 200 whose body stops before its `content-length` (the connection then closes).
    Truncated,
    /// A complete 200 whose JSON document stops half way (`content-length` matches).
    CutJson,
    /// The connection is reset without an answer.
    Reset,
}

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    /// The path, without the query (`/client/v4/zones`).
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// The `authorization` header, as sent.
    pub authorization: Option<String>,
    /// The body, as text (lossy for non-UTF-8).
    pub body: String,
}

/// A running fake; the server threads live as long as the test process.
pub struct CfFake {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl CfFake {
    /// Starts a fake on 127.0.0.1 (a free port) that accepts `Authorization: Bearer <token>`.
    pub fn start(token: &str) -> CfFake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake");
        let addr = listener.local_addr().expect("the fake's address");
        let state = Arc::new(Mutex::new(State::new(token)));
        let shared = state.clone();
        std::thread::spawn(move || server::serve(listener, shared));
        CfFake { addr, state }
    }

    /// The API's base URL (`http://127.0.0.1:P/client/v4`).
    pub fn api(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    /// The address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// The next `n` requests get `fault` instead of their answer.
    pub fn fail_next(&self, fault: Fault, n: usize) {
        self.lock().faults.extend(std::iter::repeat_n(fault, n));
    }

    /// The next `n` requests (after any pending fault) get this answer instead of theirs:
    /// a status and a JSON body (a hostile page, a wrong answer...).
    pub fn answer_next(&self, status: u16, body: Value, n: usize) {
        let mut st = self.lock();
        st.canned.extend(std::iter::repeat_n((status, body), n));
    }

    /// The stored records of zone `id`, as a GET would show them.
    pub fn records(&self, zone: &str) -> Vec<Value> {
        let st = self.lock();
        st.zones
            .get(zone)
            .map_or_else(Vec::new, |z| z.records.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
