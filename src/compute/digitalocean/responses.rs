//! Parsing DigitalOcean answers into the compute model, and its error bodies
//! (`{"id": "not_found", "message": "..."}`) into [`Error`]s. Every answer must be a JSON
//! object holding the key the call returns (`droplet`, `droplets`, `action`...); a
//! missing key, a field of the wrong type, JSON cut short or an HTML page is `Parse`,
//! never a panic. Messages quote at most a few hundred characters of what was sent.
//!
//! Listings return a [`Page`] whose token is the number of the next page, taken from
//! `links.pages.next` only once that link is checked: same scheme, host, port and path as
//! the request, and the page right after this one. The driver's listings also run pages
//! through [`storage::Pager`](crate::storage::Pager), which ends a listing that repeats a
//! token.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::PROVIDER;
use super::requests::{PageAsk, page_number};
use crate::compute::NodeState;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use crate::storage::Page;

mod block;
mod catalog;
mod droplets;

pub use block::{snapshot, volume};
pub use catalog::{key_id, ssh_key};
pub use droplets::{created_droplet, droplet};

/// The droplet status's [`NodeState`] (see the table in [`super`]).
pub fn node_state(status: &str) -> NodeState {
    match status {
        "new" => NodeState::Pending,
        "active" => NodeState::Running,
        "off" => NodeState::Stopped,
        "archive" => NodeState::Terminated,
        _ => NodeState::Unknown,
    }
}

/// The error kind of a DigitalOcean error id, falling back on the status.
///
/// `not_found` is `NotFound`, `unauthorized` `Unauthorized`, `forbidden`
/// `PermissionDenied`, `too_many_requests` `RateLimited`. `conflict` (deleting an
/// attached volume) is `PreconditionFailed`: the resource's state forbids the call, which
/// may work once it changes; so is an `unprocessable_entity` whose message says so (a
/// pending event, a volume attached or not). An `unprocessable_entity` saying a name or
/// key is already taken or in use is `AlreadyExists`; any other, and `bad_request`, are
/// `InvalidInput`. Server errors are `Provider`.
pub fn kind_of(status: u16, id: Option<&str>, message: &str) -> ErrorKind {
    match id {
        Some("not_found") => ErrorKind::NotFound,
        Some("unauthorized") => ErrorKind::Unauthorized,
        Some("forbidden") => ErrorKind::PermissionDenied,
        Some("too_many_requests") => ErrorKind::RateLimited,
        Some("conflict") => ErrorKind::PreconditionFailed,
        Some("unprocessable_entity") if says(message, STATE) => ErrorKind::PreconditionFailed,
        Some("unprocessable_entity") if says(message, TAKEN) => ErrorKind::AlreadyExists,
        Some("unprocessable_entity" | "bad_request") => ErrorKind::InvalidInput,
        _ => kind_of_status(status),
    }
}

/// What messages of a state that forbids the call say.
const STATE: [&str; 4] = [
    "pending event",
    "already attached",
    "not attached",
    "attached to a droplet",
];

/// What messages of a name or key already taken say.
const TAKEN: [&str; 4] = [
    "already exists",
    "already in use",
    "already been taken",
    "already taken",
];

fn says(message: &str, phrases: [&str; 4]) -> bool {
    let m = message.to_ascii_lowercase();
    phrases.iter().any(|p| m.contains(p))
}

fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        409 => ErrorKind::PreconditionFailed,
        400 | 422 => ErrorKind::InvalidInput,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        429 | 503 => ErrorKind::RateLimited,
        _ => ErrorKind::Provider,
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    id: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// The error an answer carries: its id (as the error's code) and message, the status,
/// the request id (body or `x-request-id`). A body that is not a DigitalOcean error
/// gives the status's kind, saying so. A 429 names the wait the answer asks for.
pub fn error_from(resp: &Response, context: &str) -> Error {
    let body: Option<ErrorBody> = serde_json::from_slice(&resp.body).ok();
    let id = body.as_ref().map(|b| clip(&b.id, 64));
    let message = body
        .as_ref()
        .and_then(|b| b.message.as_deref())
        .unwrap_or("");
    let mut text = match &body {
        Some(_) => format!("{context}: {}", clip(message, 300)),
        None => format!("{context}: the answer is not a DigitalOcean error"),
    };
    if resp.status == 429 {
        text.push_str(&rate_limit_hint(resp));
    }
    let mut e = Error::new(kind_of(resp.status, id.as_deref(), message), text)
        .with_provider(PROVIDER)
        .with_status(resp.status);
    if let Some(id) = id {
        e = e.with_code(id);
    }
    let request_id = body.and_then(|b| b.request_id);
    match request_id.as_deref().or(resp.header("x-request-id")) {
        Some(r) => e.with_request_id(clip(r, 100)),
        None => e,
    }
}

/// What a 429 says of the wait: `Retry-After`, else the rate limit's reset time.
fn rate_limit_hint(resp: &Response) -> String {
    if let Some(after) = resp.header("retry-after") {
        return format!(" (retry after {})", clip(after, 40));
    }
    match resp.header("ratelimit-reset") {
        Some(reset) => format!(
            " (the limit frees a request at Unix time {})",
            clip(reset, 40)
        ),
        None => String::new(),
    }
}

/// At most `max` characters of `text`.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A `Parse` error about an answer, never quoting more than a little of it.
pub(crate) fn parse_error(context: &str, what: impl std::fmt::Display) -> Error {
    let what = clip(&what.to_string(), 300);
    Error::new(ErrorKind::Parse, format!("{context}: {what}")).with_provider(PROVIDER)
}

/// The JSON object of a successful answer; an unsuccessful one is its error.
fn body_object(resp: &Response, context: &str) -> Result<Map<String, Value>> {
    if !resp.is_success() {
        return Err(error_from(resp, context));
    }
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(parse_error(context, "the answer is not a JSON object")),
        Err(e) => Err(parse_error(
            context,
            format_args!("the answer is not JSON: {e}"),
        )),
    }
}

/// The value under `key` of a successful answer, read as `T`.
pub(crate) fn one<T: DeserializeOwned>(resp: &Response, key: &str, context: &str) -> Result<T> {
    let mut object = body_object(resp, context)?;
    let Some(value) = object.remove(key) else {
        return Err(parse_error(
            context,
            format_args!("the answer has no \"{key}\""),
        ));
    };
    serde_json::from_value(value).map_err(|e| parse_error(context, format_args!("\"{key}\": {e}")))
}

/// A successful answer without a body to read (deletions: 204).
pub fn no_content(resp: &Response, context: &str) -> Result<()> {
    match resp.is_success() {
        true => Ok(()),
        false => Err(error_from(resp, context)),
    }
}

/// An item of a listing, read from its JSON object.
pub trait Listed: Sized {
    /// Reads one item; the error says what is wrong with it.
    fn from_item(item: Value) -> std::result::Result<Self, String>;
}

/// Reads `T` from JSON through its serde shape `J`, then converts it.
pub(crate) fn read_as<J: DeserializeOwned, T>(
    item: Value,
    convert: impl FnOnce(J) -> std::result::Result<T, String>,
) -> std::result::Result<T, String> {
    let json: J = serde_json::from_value(item).map_err(|e| e.to_string())?;
    convert(json)
}

/// One page of the listing `ask` asked for, of the API at `endpoint`: the items under the
/// collection's key (at most `per_page`), and the next page's number when
/// `links.pages.next` names a checked next page.
pub fn page<T: Listed>(resp: &Response, ask: &PageAsk, endpoint: &url::Url) -> Result<Page<T>> {
    let at = PageAt {
        key: ask.collection.key(),
        path: ask.collection.path(),
        page: ask.page,
        per_page: ask.per_page,
    };
    page_at(resp, &at, endpoint)
}

/// Where a page was asked: the listing's path and key, the page number and size (the DNS
/// listings' paths hold the domain, so they are not [`Collection`](super::Collection)s).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageAt<'a> {
    pub key: &'a str,
    pub path: &'a str,
    pub page: u32,
    pub per_page: usize,
}

/// [`page`] for any listing path.
pub(crate) fn page_at<T: Listed>(
    resp: &Response,
    at: &PageAt<'_>,
    endpoint: &url::Url,
) -> Result<Page<T>> {
    let key = at.key;
    let context = format!("listing {key} (page {})", at.page);
    let mut object = body_object(resp, &context)?;
    let Some(Value::Array(raw)) = object.remove(key) else {
        return Err(parse_error(
            &context,
            format_args!("the answer has no \"{key}\" list"),
        ));
    };
    if raw.len() > at.per_page {
        return Err(parse_error(
            &context,
            format_args!("{} items on a page of {}", raw.len(), at.per_page),
        ));
    }
    let items = raw
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            T::from_item(item).map_err(|e| parse_error(&context, format_args!("item {i}: {e}")))
        })
        .collect::<Result<Vec<T>>>()?;
    let next = next_link(object.remove("links")).map_err(|e| parse_error(&context, e))?;
    let next_token = match next {
        None => None,
        Some(link) => Some(next_page(&link, at, endpoint).map_err(|e| parse_error(&context, e))?),
    };
    Ok(Page { items, next_token })
}

/// `links.pages.next`, where there is one (`links` may be absent, `{}`, or hold
/// `pages` without `next`); anything there of another type is an error.
fn next_link(links: Option<Value>) -> std::result::Result<Option<String>, &'static str> {
    let pages = match links {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(mut links)) => links.remove("pages"),
        Some(_) => return Err("\"links\" is not an object"),
    };
    let next = match pages {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(mut pages)) => pages.remove("next"),
        Some(_) => return Err("\"links.pages\" is not an object"),
    };
    match next {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(link)) => Ok(Some(link)),
        Some(_) => Err("\"links.pages.next\" is not text"),
    }
}

/// The page number of a `links.pages.next` URL, once it is checked to list the same
/// collection at the same API and to be the page after `ask`'s.
fn next_page(
    link: &str,
    ask: &PageAt<'_>,
    endpoint: &url::Url,
) -> std::result::Result<String, String> {
    let url =
        url::Url::parse(link).map_err(|e| format!("the next page's link is not a URL ({e})"))?;
    let same_api = url.scheme() == endpoint.scheme()
        && url.host_str() == endpoint.host_str()
        && url.port_or_known_default() == endpoint.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    if !same_api || url.path() != ask.path {
        return Err(format!(
            "the next page's link points at {}{} instead of this listing",
            clip(url.host_str().unwrap_or(""), 80),
            clip(url.path(), 80)
        ));
    }
    let pages: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == "page")
        .map(|(_, v)| v.into_owned())
        .collect();
    let number = match pages.as_slice() {
        [one] => page_number(one),
        _ => None,
    };
    match number {
        Some(n) if Some(n) == ask.page.checked_add(1) => Ok(n.to_string()),
        _ => Err(format!(
            "the next page's link names page {} after page {} (pages would be skipped or repeated)",
            clip(&pages.join(","), 20),
            ask.page
        )),
    }
}

/// An action's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum ActionStatus {
    /// Still running.
    #[serde(rename = "in-progress")]
    InProgress,
    /// Done.
    #[serde(rename = "completed")]
    Completed,
    /// Failed.
    #[serde(rename = "errored")]
    Errored,
}

/// A droplet or volume action (`{"action": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Action {
    /// Its id (`/v2/actions/{id}`).
    pub id: u64,
    /// Its type (`reboot`, `attach_volume`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its status.
    pub status: ActionStatus,
}

/// The action of an answer; `expected`, when given, must be its id (a look at action 7
/// answered with action 8 is `Parse`).
pub fn action(resp: &Response, context: &str, expected: Option<u64>) -> Result<Action> {
    let a: Action = one(resp, "action", context)?;
    match expected {
        Some(id) if id != a.id => Err(parse_error(
            context,
            format_args!("asked for action {id}, the answer is action {}", a.id),
        )),
        _ => Ok(a),
    }
}

/// The action a `POST .../actions` started, which must be of the type asked (`kind`:
/// `reboot`, `attach_volume`...): the answer of another is `Parse`, never waited for.
pub fn started_action(resp: &Response, context: &str, kind: &str) -> Result<Action> {
    let a = action(resp, context, None)?;
    match a.kind == kind {
        true => Ok(a),
        false => Err(parse_error(
            context,
            format_args!(
                "asked for {kind}, the answer is a {} action",
                clip(&a.kind, 40)
            ),
        )),
    }
}

/// Whether waiting for `action` is over: `Ok(true)` once completed, `Ok(false)` while in
/// progress, a `Provider` error naming it (and `what` it was doing) when it errored.
pub fn action_settled(action: &Action, what: &str) -> Result<bool> {
    match action.status {
        ActionStatus::Completed => Ok(true),
        ActionStatus::InProgress => Ok(false),
        ActionStatus::Errored => Err(Error::new(
            ErrorKind::Provider,
            format!(
                "{what}: action {} ({}) errored",
                action.id,
                clip(&action.kind, 40)
            ),
        )
        .with_provider(PROVIDER)),
    }
}

/// The error of a wait for `action` that ran out of time.
pub fn action_timed_out(action: &Action, what: &str, waited: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "{what}: action {} ({}) still in progress after {} s",
            action.id,
            clip(&action.kind, 40),
            waited.as_secs()
        ),
    )
    .with_provider(PROVIDER)
}

/// An RFC 3339 time (`2020-07-21T18:37:44Z`).
pub(crate) fn time_of(text: &str) -> std::result::Result<SystemTime, String> {
    let rfc = &time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text.trim(), rfc)
        .map(SystemTime::from)
        .map_err(|_| format!("{:?} is not a time", clip(text, 40)))
}

/// The fields the model has no place for, as text: strings as they are, numbers and
/// booleans written out, lists and objects as compact JSON; nulls left out.
pub(crate) fn extra_of(rest: BTreeMap<String, Value>) -> BTreeMap<String, String> {
    rest.into_iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s,
                other => other.to_string(),
            };
            Some((k, text))
        })
        .collect()
}

#[cfg(test)]
#[path = "responses_tests.rs"]
mod tests;
