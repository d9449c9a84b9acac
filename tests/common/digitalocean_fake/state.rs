//! The fake's state, its answers, and the shapes every endpoint shares (errors, pages).

use std::collections::{BTreeMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use super::domains::Domain;
use super::{Fault, ImageKind, Logged, catalog};

/// A droplet: its JSON as served, and the counters that move it on.
pub(super) struct Droplet {
    pub json: Value,
    pub polls: u32,
    pub ipv6: bool,
    pub create_action: u64,
}

/// What completing an action does.
#[derive(Clone)]
pub(super) enum Effect {
    Activate(u64),
    Status(u64, &'static str),
    Attach(String, u64),
    Detach(String, u64),
}

/// An action: its JSON as served, the GETs left before it completes, and its effect.
pub(super) struct Action {
    pub json: Value,
    pub polls_left: u32,
    pub effect: Effect,
    /// Ends `errored` (and does nothing) instead of completing.
    pub fails: bool,
}

pub(super) struct State {
    pub token: String,
    pub base: String,
    pub next_id: u64,
    pub droplets: BTreeMap<u64, Droplet>,
    pub actions: BTreeMap<u64, Action>,
    pub keys: BTreeMap<u64, Value>,
    pub volumes: BTreeMap<String, Value>,
    pub snapshots: BTreeMap<String, Value>,
    pub domains: BTreeMap<String, Domain>,
    pub sizes: Vec<Value>,
    pub images: Vec<(ImageKind, Value)>,
    pub regions: Vec<Value>,
    pub active_after: u32,
    pub action_after: u32,
    pub faults: VecDeque<Fault>,
    pub canned: VecDeque<(u16, Value)>,
    pub actions_to_fail: usize,
    pub log: Vec<Logged>,
    pub served: u64,
    pub first_at: u64,
}

/// An answer: status and JSON body (none for 204).
pub(super) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
        }
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
        }
    }
}

/// The documented error body: `{"id": ..., "message": ...}`.
pub(super) fn error(status: u16, id: &str, message: &str) -> Reply {
    Reply::json(status, json!({ "id": id, "message": message }))
}

pub(super) fn not_found() -> Reply {
    error(
        404,
        "not_found",
        "The resource you were accessing could not be found.",
    )
}

pub(super) fn unprocessable(message: &str) -> Reply {
    error(422, "unprocessable_entity", message)
}

impl State {
    pub fn new(token: &str, base: &str) -> State {
        State {
            token: token.to_string(),
            base: base.to_string(),
            next_id: 1,
            droplets: BTreeMap::new(),
            actions: BTreeMap::new(),
            keys: BTreeMap::new(),
            volumes: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            domains: BTreeMap::new(),
            sizes: catalog::default_sizes(),
            images: catalog::default_images(),
            regions: catalog::default_regions(),
            active_after: 2,
            action_after: 1,
            faults: VecDeque::new(),
            canned: VecDeque::new(),
            actions_to_fail: 0,
            log: Vec::new(),
            served: 0,
            first_at: 0,
        }
    }

    /// A fresh number; ids of different kinds never collide, which keeps mix-ups visible.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh UUID-shaped id (volumes and their snapshots use strings).
    pub fn uuid(&mut self) -> String {
        format!("506f78a4-e098-11e5-ad9f-{:012x}", self.id())
    }

    pub fn region(&self, slug: &str) -> Option<&Value> {
        self.regions.iter().find(|r| r["slug"] == slug)
    }

    /// The rate-limit headers every answer carries (the hourly limit counts down per
    /// request; the reset is when the oldest request of the hour expires).
    pub fn rate_headers(&self, exhausted: bool) -> Vec<(&'static str, String)> {
        let remaining = if exhausted {
            0
        } else {
            5000u64.saturating_sub(self.served)
        };
        vec![
            ("ratelimit-limit", "5000".into()),
            ("ratelimit-remaining", remaining.to_string()),
            ("ratelimit-reset", (self.first_at + 3600).to_string()),
        ]
    }

    /// The headers of an exhausted limit whose oldest request expires `reset_in` seconds
    /// from now.
    pub fn reset_headers(&self, reset_in: u64) -> Vec<(&'static str, String)> {
        vec![
            ("ratelimit-limit", "5000".into()),
            ("ratelimit-remaining", "0".into()),
            ("ratelimit-reset", (now() + reset_in).to_string()),
        ]
    }
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2020-07-21T18:37:44Z` for a Unix time (civil-from-days, proleptic Gregorian).
pub(super) fn iso8601(unix: u64) -> String {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// A request's decoded query parameters, in order.
pub(super) struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Query {
        let decode = |s: &str| {
            let s = s.replace('+', " ");
            percent_encoding::percent_decode_str(&s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = raw.split('&').filter(|p| !p.is_empty());
        Query(
            pairs
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// How a collection says "no other page": the reference's examples differ per endpoint
/// (droplets and images show `{"pages": {}}`, keys, volumes and snapshots `{}`).
#[derive(Clone, Copy)]
pub(super) enum NoPages {
    EmptyPages,
    Empty,
}

/// One page of `items` under `key`, with `links.pages` (absolute URLs to this fake,
/// keeping `per_page` when asked and the filters) and `meta.total`. A bad `page` or
/// `per_page` is a 400 (the reference gives bounds, not the error).
pub(super) fn page(
    st: &State,
    path: &str,
    q: &Query,
    key: &str,
    items: Vec<Value>,
    none: NoPages,
) -> Reply {
    let Some((page, per_page)) = page_params(q) else {
        return error(
            400,
            "bad_request",
            "page and per_page must be positive integers",
        );
    };
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let shown: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let link = |n: usize| page_url(st, path, q, n);
    let mut pages = Map::new();
    if page > 1 {
        pages.insert("first".into(), link(1).into());
        pages.insert("prev".into(), link((page - 1).min(last)).into());
    }
    if page < last {
        pages.insert("last".into(), link(last).into());
        pages.insert("next".into(), link(page + 1).into());
    }
    let links = match (pages.is_empty(), none) {
        (true, NoPages::Empty) => json!({}),
        _ => json!({ "pages": pages }),
    };
    Reply::json(
        200,
        json!({ key: shown, "links": links, "meta": { "total": total } }),
    )
}

/// `page` (default 1) and `per_page` (default 20, at most 200).
fn page_params(q: &Query) -> Option<(usize, usize)> {
    let read = |k: &str, default: usize| match q.get(k) {
        None => Some(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n >= 1),
    };
    Some((read("page", 1)?, read("per_page", 20)?.min(200)))
}

/// RFC 3986 unreserved characters stay as they are (`per_page`, not `per%5Fpage`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn page_url(st: &State, path: &str, q: &Query, n: usize) -> String {
    let mut url = format!("{}{path}?page={n}", st.base);
    for (k, v) in q.0.iter().filter(|(k, _)| k != "page") {
        let enc = |s: &str| utf8_percent_encode(s, QUERY_VALUE).to_string();
        url.push_str(&format!("&{}={}", enc(k), enc(v)));
    }
    url
}
