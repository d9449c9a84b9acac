//! Building Cloudflare API v4 requests: `Authorization: Bearer <token>`, JSON bodies written
//! with serde_json, zone and record ids checked for their shape before they go into a
//! path, record names made absolute. Pure: nothing here sends anything.

use serde_json::{Map, Value, json};

use super::config::check_account;
use super::{CloudflareConfig, MIN_PER_PAGE, PROVIDER, is_id};
use crate::dns::{NewRecord, NewZone, RecordData, names};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request};

/// The `extra` settings a new zone accepts: the account (else the configured one), the
/// zone's `type` (`full`, `partial`...) and `jump_start` (`true`/`false`).
pub const ZONE_EXTRAS: [&str; 3] = ["account_id", "type", "jump_start"];

/// The `extra` settings a record accepts: `proxied` (`true`/`false`) and `comment`.
pub const RECORD_EXTRAS: [&str; 2] = ["proxied", "comment"];

/// One page asked of a listing. The continuation tokens this driver hands out are page
/// numbers (the next one, once `result_info` is checked), nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageAsk {
    /// The page number, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: usize,
}

impl PageAsk {
    /// The page `token` names (the first without one), of `max` items clamped to
    /// [`MIN_PER_PAGE`]..=`largest`. A token that is not a page number is `InvalidInput`.
    ///
    /// ```
    /// use multicloud::dns::cloudflare::PageAsk;
    /// let ask = PageAsk::new(Some("3"), 1000, 50)?;
    /// assert_eq!((ask.page, ask.per_page), (3, 50));
    /// assert!(PageAsk::new(Some("page=3"), 5, 50).is_err());
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn new(token: Option<&str>, max: usize, largest: usize) -> Result<Self> {
        let page = match token {
            None => 1,
            Some(t) => page_number(t).ok_or_else(|| {
                Error::invalid(format!("{t:.40?} is not a Cloudflare page token"))
                    .with_provider(PROVIDER)
            })?,
        };
        let per_page = max.clamp(MIN_PER_PAGE, largest);
        Ok(PageAsk { page, per_page })
    }

    fn query(&self) -> String {
        format!("page={}&per_page={}", self.page, self.per_page)
    }
}

/// A page number: 1 to `u32::MAX`, plain digits.
fn page_number(text: &str) -> Option<u32> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    text.parse().ok().filter(|n| digits && *n >= 1)
}

/// `id` if it has the shape of a Cloudflare id; else `NotFound` (it names nothing).
pub fn checked_id<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    match is_id(id) {
        true => Ok(id),
        false => Err(Error::new(
            ErrorKind::NotFound,
            format!("{id:.80?} is not a Cloudflare {what} id (32 hexadecimal digits)"),
        )
        .with_provider(PROVIDER)),
    }
}

/// Builds the requests of one configuration.
#[derive(Debug, Clone)]
pub struct CfRequests {
    cfg: CloudflareConfig,
}

impl CfRequests {
    /// Requests for `cfg`.
    pub fn new(cfg: CloudflareConfig) -> Self {
        CfRequests { cfg }
    }

    /// The configuration.
    pub fn config(&self) -> &CloudflareConfig {
        &self.cfg
    }

    fn request(&self, method: Method, path: &str) -> Request {
        let base = self.cfg.endpoint.as_str().trim_end_matches('/');
        let bearer = format!("Bearer {}", self.cfg.token.expose());
        Request::new(method, format!("{base}{path}"))
            .header("authorization", bearer)
            .header("accept", "application/json")
    }

    fn with_json(&self, method: Method, path: &str, body: &Value) -> Request {
        self.request(method, path)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// `GET /zones?page=N&per_page=M`.
    pub fn list_zones(&self, ask: &PageAsk) -> Request {
        self.request(Method::Get, &format!("/zones?{}", ask.query()))
    }

    /// `GET /zones?name=DOMAIN&page=1&per_page=50`: the zone of `domain`, looked up by
    /// name instead of through every zone (`InvalidInput` when it is not a domain).
    pub fn find_zone(&self, domain: &str) -> Result<Request> {
        let domain = names::domain(domain)?;
        let ask = PageAsk {
            page: 1,
            per_page: super::MAX_ZONES_PER_PAGE,
        };
        let path = format!("/zones?name={domain}&{}", ask.query());
        Ok(self.request(Method::Get, &path))
    }

    /// `GET /zones/{id}`.
    pub fn get_zone(&self, id: &str) -> Result<Request> {
        let id = checked_id("zone", id)?;
        Ok(self.request(Method::Get, &format!("/zones/{id}")))
    }

    /// `DELETE /zones/{id}` (Cloudflare deletes its records with it).
    pub fn delete_zone(&self, id: &str) -> Result<Request> {
        let id = checked_id("zone", id)?;
        Ok(self.request(Method::Delete, &format!("/zones/{id}")))
    }

    /// `POST /zones` with the domain, the account (the zone's `account_id` extra, else the
    /// configured one: `InvalidInput` when neither is set) and the [`ZONE_EXTRAS`]; a TTL
    /// is `Unsupported` (Cloudflare zones have none; records have their own).
    pub fn create_zone(&self, zone: &NewZone) -> Result<Request> {
        let domain = names::domain(&zone.domain)?;
        if zone.ttl.is_some() {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "Cloudflare zones have no default TTL (give each record its own)",
            )
            .with_provider(PROVIDER));
        }
        only_known(&zone.extra, &ZONE_EXTRAS, "zone")?;
        let account = zone
            .extra
            .get("account_id")
            .or(self.cfg.account_id.as_ref());
        let Some(account) = account else {
            return Err(Error::invalid(format!(
                "Cloudflare needs an account to create a zone: set {} or give the zone an \
                 account_id extra",
                super::ACCOUNT_VAR
            ))
            .with_provider(PROVIDER));
        };
        check_account(account)?;
        let mut body = json!({ "name": domain, "account": { "id": account } });
        if let Some(t) = zone.extra.get("type") {
            body["type"] = json!(t);
        }
        if let Some(j) = zone.extra.get("jump_start") {
            body["jump_start"] = json!(flag("jump_start", j)?);
        }
        Ok(self.with_json(Method::Post, "/zones", &body))
    }

    /// `GET /zones/{zone}/dns_records?page=N&per_page=M`.
    pub fn list_records(&self, zone: &str, ask: &PageAsk) -> Result<Request> {
        let zone = checked_id("zone", zone)?;
        let path = format!("/zones/{zone}/dns_records?{}", ask.query());
        Ok(self.request(Method::Get, &path))
    }

    /// `GET /zones/{zone}/dns_records/{id}`.
    pub fn get_record(&self, zone: &str, id: &str) -> Result<Request> {
        let path = record_path(zone, id)?;
        Ok(self.request(Method::Get, &path))
    }

    /// `DELETE /zones/{zone}/dns_records/{id}`.
    pub fn delete_record(&self, zone: &str, id: &str) -> Result<Request> {
        let path = record_path(zone, id)?;
        Ok(self.request(Method::Delete, &path))
    }

    /// `POST /zones/{zone}/dns_records`: `record` in zone `domain` (see [`record_body`]).
    pub fn create_record(&self, zone: &str, domain: &str, record: &NewRecord) -> Result<Request> {
        let zone = checked_id("zone", zone)?;
        let body = record_body(domain, record)?;
        let path = format!("/zones/{zone}/dns_records");
        Ok(self.with_json(Method::Post, &path, &body))
    }

    /// `PUT /zones/{zone}/dns_records/{id}`: the whole record replaced.
    pub fn update_record(
        &self,
        zone: &str,
        id: &str,
        domain: &str,
        record: &NewRecord,
    ) -> Result<Request> {
        let path = record_path(zone, id)?;
        let body = record_body(domain, record)?;
        Ok(self.with_json(Method::Put, &path, &body))
    }
}

fn record_path(zone: &str, id: &str) -> Result<String> {
    let zone = checked_id("zone", zone)?;
    let id = checked_id("record", id)?;
    Ok(format!("/zones/{zone}/dns_records/{id}"))
}

/// Every extra is one of `known`.
fn only_known(
    extra: &std::collections::BTreeMap<String, String>,
    known: &[&str],
    what: &str,
) -> Result<()> {
    match extra.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(Error::invalid(format!(
            "Cloudflare {what}s take the extras {known:?}, not {k:.40?}"
        ))
        .with_provider(PROVIDER)),
    }
}

fn flag(name: &str, value: &str) -> Result<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::invalid(format!(
            "{name} is true or false, not {value:.20?}"
        ))),
    }
}

/// The JSON of `record` in zone `domain`: its type, absolute name, TTL (1, Cloudflare's
/// "automatic", when `None`), its data (`content`, MX `priority`, SRV and CAA `data`) and
/// the [`RECORD_EXTRAS`]. Names are checked; SOA (Cloudflare's own) and SPF (not offered)
/// are `Unsupported`.
pub fn record_body(domain: &str, record: &NewRecord) -> Result<Value> {
    let name = names::relative(&record.name)?;
    only_known(&record.extra, &RECORD_EXTRAS, "record")?;
    let mut body = Map::new();
    body.insert("type".into(), json!(record.data.record_type().as_str()));
    body.insert("name".into(), json!(names::absolute(&name, domain)));
    body.insert("ttl".into(), json!(record.ttl.unwrap_or(1)));
    for (k, v) in data_fields(&record.data)? {
        body.insert(k.into(), v);
    }
    if let Some(p) = record.extra.get("proxied") {
        body.insert("proxied".into(), json!(flag("proxied", p)?));
    }
    if let Some(c) = record.extra.get("comment") {
        body.insert("comment".into(), json!(c));
    }
    Ok(Value::Object(body))
}

/// The fields carrying `data`.
fn data_fields(data: &RecordData) -> Result<Vec<(&'static str, Value)>> {
    let content = |v: String| Ok(vec![("content", json!(v))]);
    match data {
        RecordData::A(ip) => content(ip.to_string()),
        RecordData::Aaaa(ip) => content(ip.to_string()),
        RecordData::Cname(n) | RecordData::Ns(n) | RecordData::Ptr(n) => content(names::target(n)?),
        RecordData::Txt(t) => content(t.clone()),
        RecordData::Mx { priority, exchange } => Ok(vec![
            ("content", json!(names::target(exchange)?)),
            ("priority", json!(priority)),
        ]),
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            let target = names::target(target)?;
            let data =
                json!({ "priority": priority, "weight": weight, "port": port, "target": target });
            Ok(vec![("data", data)])
        }
        RecordData::Caa { flags, tag, value } => {
            let data = json!({ "flags": flags, "tag": tag, "value": value });
            Ok(vec![("data", data)])
        }
        RecordData::Other { value, .. } => content(value.clone()),
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "Cloudflare does not offer {} records here (SOA is its own; SPF lives in TXT)",
                other.record_type()
            ),
        )
        .with_provider(PROVIDER)),
    }
}
