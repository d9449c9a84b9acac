//! Parsing Cloudflare answers: the envelope `{success, errors: [{code, message}],
//! messages, result, result_info}`, checked before anything is read (`success` must be
//! `true` and `result` of the shape the call returns; a 200 saying `success: false` is the
//! error its `errors` name), and the zones and records in it. A field of the wrong type,
//! JSON cut short or an HTML page is `Parse`, never a panic; so is an answer about another
//! zone or record, an id of the wrong shape, or a record named outside its zone.
//! Messages quote at most a few hundred characters of what was sent.
//!
//! Pages are checked against `result_info`: the page asked, no more items than asked nor
//! than `count` says, never a page beyond `total_pages`, never an empty page before the
//! last. The next page's number is the token; the driver's listings also run pages through
//! [`storage::Pager`](crate::storage::Pager).

use serde::Deserialize;
use serde_json::Value;

use super::requests::PageAsk;
use super::{PROVIDER, is_id};
use crate::dns::{Record, RecordData, RecordType, Zone, names};
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use crate::storage::Page;

/// The error kind of a Cloudflare error code, falling back on the status.
///
/// Not found: 7000 (no route), 7003 (no such object), 1001 (invalid zone), 81044 (no such
/// record). Already exists: 1061 (zone), 81053, 81057, 81058 (record). Unauthorized: 10000,
/// 9103, 9106, 9109 (authentication). Rate limited: 971 and any 429. Invalid input: the
/// other 9000-9999 and 1004 (DNS validation), 6003/6007 (bad request), 1049 (not a
/// registered domain), and a 400 with another code. Server errors are `Provider`.
pub fn kind_of(status: u16, code: Option<i64>) -> ErrorKind {
    match code {
        Some(7000 | 7003 | 1001 | 81044) => ErrorKind::NotFound,
        Some(1061 | 81053 | 81057 | 81058) => ErrorKind::AlreadyExists,
        Some(10000 | 9103 | 9106 | 9109) => ErrorKind::Unauthorized,
        Some(971) => ErrorKind::RateLimited,
        Some(9000..=9999 | 1004 | 6003 | 6007 | 1049) if status != 429 => ErrorKind::InvalidInput,
        _ => kind_of_status(status),
    }
}

fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        400 | 422 => ErrorKind::InvalidInput,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::AlreadyExists,
        429 => ErrorKind::RateLimited,
        _ => ErrorKind::Provider,
    }
}

#[derive(Deserialize)]
struct Envelope {
    success: bool,
    #[serde(default)]
    errors: Vec<ApiError>,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct ApiError {
    code: i64,
    #[serde(default)]
    message: String,
}

/// A listing's `result_info`.
#[derive(Deserialize, Debug, Clone, Copy)]
struct ResultInfo {
    page: u32,
    per_page: u32,
    count: u32,
    total_pages: u32,
}

/// The error an answer carries: the first error's code and message (the others' codes
/// listed), the status, Cloudflare's `cf-ray` as the request id. A body that is not a
/// Cloudflare envelope gives the status's kind, saying so. A 429 names its `Retry-After`.
pub fn error_from(resp: &Response, context: &str) -> Error {
    let envelope: Option<Envelope> = serde_json::from_slice(&resp.body).ok();
    let errors = envelope.map(|e| e.errors).unwrap_or_default();
    let first = errors.first();
    let mut text = match first {
        Some(e) => format!("{context}: {} (code {})", clip(&e.message, 300), e.code),
        None => format!("{context}: the answer is not a Cloudflare error"),
    };
    if errors.len() > 1 {
        let codes: Vec<String> = errors[1..]
            .iter()
            .take(5)
            .map(|e| e.code.to_string())
            .collect();
        text.push_str(&format!("; also codes {}", codes.join(", ")));
    }
    if let Some(after) = resp.header("retry-after").filter(|_| resp.status == 429) {
        text.push_str(&format!(" (retry after {})", clip(after, 40)));
    }
    let code = first.map(|e| e.code);
    let mut e = Error::new(kind_of(resp.status, code), text)
        .with_provider(PROVIDER)
        .with_status(resp.status);
    if let Some(c) = code {
        e = e.with_code(c.to_string());
    }
    match resp.header("cf-ray") {
        Some(r) => e.with_request_id(clip(r, 100)),
        None => e,
    }
}

/// At most `max` characters of `text`.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A `Parse` error about an answer, never quoting more than a little of it.
fn parse_error(context: &str, what: impl std::fmt::Display) -> Error {
    let what = clip(&what.to_string(), 300);
    Error::new(ErrorKind::Parse, format!("{context}: {what}")).with_provider(PROVIDER)
}

/// The envelope of a successful answer; an unsuccessful one (by status or by `success`)
/// is its error.
fn envelope(resp: &Response, context: &str) -> Result<Envelope> {
    if !resp.is_success() {
        return Err(error_from(resp, context));
    }
    let env: Envelope = serde_json::from_slice(&resp.body).map_err(|e| {
        parse_error(
            context,
            format_args!("the answer is not a Cloudflare envelope: {e}"),
        )
    })?;
    match (env.success, env.errors.is_empty()) {
        (true, true) => Ok(env),
        (true, false) => Err(parse_error(context, "the answer says success with errors")),
        (false, _) if env.errors.is_empty() => Err(parse_error(
            context,
            "the answer says no success and names no error",
        )),
        (false, _) => Err(error_from(resp, context)),
    }
}

/// The `result` object of a successful answer, read as `T`.
fn result<T: serde::de::DeserializeOwned>(resp: &Response, context: &str) -> Result<T> {
    let env = envelope(resp, context)?;
    if !env.result.is_object() {
        return Err(parse_error(context, "\"result\" is not an object"));
    }
    serde_json::from_value(env.result)
        .map_err(|e| parse_error(context, format_args!("\"result\": {e}")))
}

#[derive(Deserialize)]
struct ZoneJson {
    id: String,
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    account: Option<AccountJson>,
    #[serde(default)]
    name_servers: Vec<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    paused: Option<bool>,
}

#[derive(Deserialize)]
struct AccountJson {
    id: String,
}

impl ZoneJson {
    fn into_zone(self, want: Option<&str>) -> std::result::Result<Zone, String> {
        check_answer_id("zone", &self.id, want)?;
        let domain = names::domain(&self.name).map_err(|_| "the zone's name is not a domain")?;
        let mut z = Zone::new(self.id, domain);
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                z.extra.insert(k.into(), v);
            }
        };
        put("status", self.status);
        put("account_id", self.account.map(|a| a.id));
        put("type", self.kind);
        put("paused", self.paused.map(|p| p.to_string()));
        if !self.name_servers.is_empty() {
            put("name_servers", Some(self.name_servers.join(",")));
        }
        Ok(z)
    }
}

/// The server's id must have Cloudflare's shape, and be the one asked about.
fn check_answer_id(what: &str, id: &str, want: Option<&str>) -> std::result::Result<(), String> {
    if !is_id(id) {
        return Err(format!("the {what} id {id:.40?} is not a Cloudflare id"));
    }
    match want {
        Some(w) if w != id => Err(format!("the answer is about {what} {id}, not {w}")),
        _ => Ok(()),
    }
}

/// A zone answer (`GET`/`POST /zones`); `want`: the id asked about, if any.
pub fn zone(resp: &Response, want: Option<&str>, context: &str) -> Result<Zone> {
    let z: ZoneJson = result(resp, context)?;
    z.into_zone(want).map_err(|e| parse_error(context, e))
}

/// A new zone's answer: a zone named `domain`.
pub fn created_zone(resp: &Response, domain: &str, context: &str) -> Result<Zone> {
    let z = zone(resp, None, context)?;
    match z.domain == domain {
        true => Ok(z),
        false => Err(parse_error(
            context,
            format_args!("the answer is about zone {}", z.domain),
        )),
    }
}

/// A deletion's answer: `result` is `{"id": id}`.
pub fn deleted(resp: &Response, id: &str, context: &str) -> Result<()> {
    #[derive(Deserialize)]
    struct Deleted {
        id: String,
    }
    let d: Deleted = result(resp, context)?;
    match d.id == id {
        true => Ok(()),
        false => Err(parse_error(
            context,
            format_args!("the answer deleted {:.40?}", d.id),
        )),
    }
}

/// A page of zones.
pub fn zones_page(resp: &Response, ask: &PageAsk) -> Result<Page<Zone>> {
    let context = format!("listing zones (page {})", ask.page);
    page(resp, ask, &context, |v| {
        let z: ZoneJson = serde_json::from_value(v).map_err(|e| e.to_string())?;
        z.into_zone(None)
    })
}

/// The answer to a lookup by name: the zone of `domain` (the first, where the token
/// sees it in several accounts); `NotFound` when there is none; `Parse` for a zone of
/// another name (the filter was not applied).
pub fn found_zone(resp: &Response, ask: &PageAsk, domain: &str) -> Result<Zone> {
    let context = format!("looking up zone {domain}");
    let zones = zones_page(resp, ask)?.items;
    if let Some(other) = zones.iter().find(|z| z.domain != domain) {
        let what = format_args!("the answer holds zone {}", other.domain);
        return Err(parse_error(&context, what));
    }
    zones.into_iter().next().ok_or_else(|| {
        Error::new(ErrorKind::NotFound, format!("no zone for {domain:?}")).with_provider(PROVIDER)
    })
}

/// A page of zone `zone_id`'s records (its domain `domain`).
pub fn records_page(
    resp: &Response,
    ask: &PageAsk,
    zone_id: &str,
    domain: &str,
) -> Result<Page<Record>> {
    let context = format!("listing the records of zone {zone_id} (page {})", ask.page);
    page(resp, ask, &context, |v| {
        let r: RecordJson = serde_json::from_value(v).map_err(|e| e.to_string())?;
        r.into_record(zone_id, domain, None)
    })
}

/// A record answer about zone `zone_id` (`domain`); `want`: the record id asked about.
pub fn record(
    resp: &Response,
    zone_id: &str,
    domain: &str,
    want: Option<&str>,
    context: &str,
) -> Result<Record> {
    let r: RecordJson = result(resp, context)?;
    r.into_record(zone_id, domain, want)
        .map_err(|e| parse_error(context, e))
}

/// The items of a listing's page, checked against `result_info` and `ask`.
fn page<T>(
    resp: &Response,
    ask: &PageAsk,
    context: &str,
    item: impl Fn(Value) -> std::result::Result<T, String>,
) -> Result<Page<T>> {
    let env = envelope(resp, context)?;
    let Value::Array(raw) = env.result else {
        return Err(parse_error(context, "\"result\" is not a list"));
    };
    let Some(info) = env.result_info else {
        return Err(parse_error(context, "the answer has no \"result_info\""));
    };
    let next = next_page(&info, ask, raw.len()).map_err(|e| parse_error(context, e))?;
    let items = raw
        .into_iter()
        .enumerate()
        .map(|(i, v)| item(v).map_err(|e| parse_error(context, format_args!("item {i}: {e}"))))
        .collect::<Result<Vec<T>>>()?;
    Ok(Page {
        items,
        next_token: next.map(|n| n.to_string()),
    })
}

/// The next page's number, if any, once `info` agrees with what was asked and sent.
fn next_page(
    info: &ResultInfo,
    ask: &PageAsk,
    len: usize,
) -> std::result::Result<Option<u32>, String> {
    if info.page != ask.page {
        return Err(format!("page {} answered for page {}", info.page, ask.page));
    }
    if len > ask.per_page || len != info.count as usize || info.per_page == 0 {
        return Err(format!(
            "{len} items, result_info says {} of {} per page, {} asked",
            info.count, info.per_page, ask.per_page
        ));
    }
    if info.page > info.total_pages.max(1) {
        return Err(format!("page {} of {} pages", info.page, info.total_pages));
    }
    let more = info.page < info.total_pages;
    if more && len == 0 {
        return Err(format!(
            "page {} of {} is empty",
            info.page, info.total_pages
        ));
    }
    Ok(more.then_some(info.page + 1))
}

#[derive(Deserialize)]
struct RecordJson {
    id: String,
    #[serde(rename = "type")]
    rtype: String,
    name: String,
    #[serde(default)]
    content: Option<String>,
    ttl: u32,
    #[serde(default)]
    priority: Option<u16>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    zone_id: Option<String>,
    #[serde(default)]
    proxied: Option<bool>,
    #[serde(default)]
    proxiable: Option<bool>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    created_on: Option<String>,
    #[serde(default)]
    modified_on: Option<String>,
}

impl RecordJson {
    fn into_record(
        self,
        zone_id: &str,
        domain: &str,
        want: Option<&str>,
    ) -> std::result::Result<Record, String> {
        check_answer_id("record", &self.id, want)?;
        if self.zone_id.as_deref().is_some_and(|z| z != zone_id) {
            return Err(format!("record {} is in another zone", self.id));
        }
        let name = names::relative_to(&self.name, domain)
            .ok_or_else(|| format!("record {} is named outside zone {domain}", self.id))?;
        let data = self.data_of()?;
        let mut r = Record::new(self.id, zone_id, name, data);
        r.ttl = (self.ttl != 1).then_some(self.ttl);
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                r.extra.insert(k.into(), v);
            }
        };
        put("proxied", self.proxied.map(|p| p.to_string()));
        put("proxiable", self.proxiable.map(|p| p.to_string()));
        put("comment", self.comment);
        put("created_on", self.created_on);
        put("modified_on", self.modified_on);
        Ok(r)
    }

    fn data_of(&self) -> std::result::Result<RecordData, String> {
        let rtype = RecordType::parse(&self.rtype);
        let label = rtype.to_string();
        let content = || {
            self.content
                .clone()
                .ok_or_else(|| format!("the {label} record has no content"))
        };
        let name = || {
            names::target(&content()?).map_err(|_| format!("the {label} target is not a host name"))
        };
        let bad_ip = |_| format!("the {label} content is not an address");
        Ok(match rtype {
            RecordType::A => RecordData::A(content()?.parse().map_err(bad_ip)?),
            RecordType::Aaaa => RecordData::Aaaa(content()?.parse().map_err(bad_ip)?),
            RecordType::Cname => RecordData::Cname(name()?),
            RecordType::Ns => RecordData::Ns(name()?),
            RecordType::Ptr => RecordData::Ptr(name()?),
            RecordType::Txt => RecordData::Txt(content()?),
            RecordType::Spf => RecordData::Spf(content()?),
            RecordType::Mx => RecordData::Mx {
                priority: self.priority.ok_or("the MX record has no priority")?,
                exchange: name()?,
            },
            RecordType::Srv => srv(self.data.as_ref())?,
            RecordType::Caa => caa(self.data.as_ref())?,
            other => RecordData::Other {
                rtype: other,
                value: content()?,
            },
        })
    }
}

fn srv(data: Option<&Value>) -> std::result::Result<RecordData, String> {
    #[derive(Deserialize)]
    struct Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    }
    let d: Srv = from_data(data, "SRV")?;
    let target = names::target(&d.target).map_err(|_| "the SRV target is not a host name")?;
    Ok(RecordData::Srv {
        priority: d.priority,
        weight: d.weight,
        port: d.port,
        target,
    })
}

fn caa(data: Option<&Value>) -> std::result::Result<RecordData, String> {
    #[derive(Deserialize)]
    struct Caa {
        flags: u8,
        tag: String,
        value: String,
    }
    let d: Caa = from_data(data, "CAA")?;
    Ok(RecordData::Caa {
        flags: d.flags,
        tag: d.tag,
        value: d.value,
    })
}

fn from_data<T: serde::de::DeserializeOwned>(
    data: Option<&Value>,
    rtype: &str,
) -> std::result::Result<T, String> {
    let data = data.ok_or_else(|| format!("the {rtype} record has no data"))?;
    serde_json::from_value(data.clone()).map_err(|e| format!("the {rtype} data: {e}"))
}

#[cfg(test)]
#[path = "responses_tests.rs"]
mod tests;
