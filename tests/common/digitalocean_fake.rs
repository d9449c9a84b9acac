//! An in-process fake of DigitalOcean's v2 API, for the compute (and later DNS) drivers:
//! DigitalOcean has no emulator. Answers follow the public API reference (the OpenAPI
//! specification): bodies keyed by the singular or plural resource name, `links.pages` and
//! `meta.total` on collections, `{"id", "message"}` error bodies, rate-limit headers on
//! every answer, and state that changes over time, driven by the fake's own poll counters
//! (never by the wall clock) so tests stay fast and deterministic.
//!
//! Served under `/v2` (bearer token checked): droplets and droplet actions, actions, sizes,
//! images, regions, SSH keys (`/v2/account/keys`), volumes, volume actions and volume
//! snapshots, domains and domain records. Fault switches answer the next requests with a 429, a 500, a truncated body
//! or a connection reset (or a canned answer), or make the next actions error; every
//! request is logged for tests to inspect.

mod block;
pub mod catalog;
mod domains;
mod droplets;
mod server;
mod state;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use state::State;

/// What the next request(s) get instead of their answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 `too_many_requests`, `ratelimit-remaining: 0` and `retry-after` (seconds).
    RateLimited { retry_after: u64 },
    /// 429 `too_many_requests` with `ratelimit-remaining: 0`, no `retry-after`, and a
    /// `ratelimit-reset` (Unix seconds) `reset_in` seconds from now: the hourly limit's
    /// answer, which says when its oldest request expires.
    RateLimitedUntilReset { reset_in: u64 },
    /// 500 `server_error`.
    ServerError,
    /// A 200 whose body stops before its `content-length` (the connection then closes).
    Truncated,
    /// A complete 200 whose JSON document stops half way (`content-length` matches).
    CutJson,
    /// The connection is reset without an answer.
    Reset,
}

/// How the `type` filter of `GET /v2/images` sees an image (the image object itself does
/// not say; the reference only names the two filter values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// A public OS image (`?type=distribution`).
    Distribution,
    /// A public 1-Click application image (`?type=application`).
    Application,
    /// The account's own image (`?private=true`).
    User,
}

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    /// The path, without the query (`/v2/droplets/7`).
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// The body, as text (lossy for non-UTF-8).
    pub body: String,
}

/// A running fake; the server threads live as long as the test process.
pub struct DoFake {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl DoFake {
    /// Starts a fake on 127.0.0.1 (a free port) that accepts `Authorization: Bearer <token>`.
    pub fn start(token: &str) -> DoFake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake");
        let addr = listener.local_addr().expect("the fake's address");
        let state = Arc::new(Mutex::new(State::new(token, &format!("http://{addr}"))));
        let shared = state.clone();
        std::thread::spawn(move || server::serve(listener, shared));
        DoFake { addr, state }
    }

    /// The base URL (`http://127.0.0.1:P`); the API is under `/v2`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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

    /// The next `n` actions started (droplet or volume) end `errored` instead of
    /// `completed`, without their effect.
    pub fn error_next_actions(&self, n: usize) {
        self.lock().actions_to_fail += n;
    }

    /// A new droplet reads `active` from its `polls`-th observation on (a GET of it or a
    /// listing holding it); before that it reads `new`. Default 2.
    pub fn set_active_after(&self, polls: u32) {
        self.lock().active_after = polls;
    }

    /// An action reads `completed` from its `polls`-th GET on; 0 completes it at once (its
    /// effect, e.g. a droplet `off`, is applied when it completes). Default 1.
    pub fn set_action_after(&self, polls: u32) {
        self.lock().action_after = polls;
    }

    /// Replaces the size catalog (objects as [`catalog::size`] builds them).
    pub fn set_sizes(&self, sizes: Vec<Value>) {
        self.lock().sizes = sizes;
    }

    /// Replaces the image catalog (objects as [`catalog::image`] builds them, with their kind).
    pub fn set_images(&self, images: Vec<(ImageKind, Value)>) {
        self.lock().images = images;
    }

    /// Replaces the region catalog (objects as [`catalog::region`] builds them).
    pub fn set_regions(&self, regions: Vec<Value>) {
        self.lock().regions = regions;
    }

    /// The stored droplet, as a GET would show it (without counting as a poll).
    pub fn droplet(&self, id: u64) -> Option<Value> {
        self.lock().droplets.get(&id).map(|d| d.json.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
