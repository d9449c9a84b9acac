//! Building DigitalOcean domain and domain-record requests on the compute driver's
//! bearer requests. Domains are checked with [`names::domain`] and record ids for their
//! shape before they go into a path; record bodies are written with serde_json. Pure.

use serde_json::{Map, Value};

use super::PROVIDER;
use crate::compute::digitalocean::requests::{long_number, page_number};
use crate::compute::digitalocean::{DoConfig, DoRequests, MAX_PER_PAGE};
use crate::dns::{NewRecord, NewZone, RecordData, RecordType, names};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request};

/// One page asked of a DNS listing: the domains, or one domain's records (optionally
/// filtered by absolute name and type, as the API offers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsPage {
    /// The listing's path (`/v2/domains`, `/v2/domains/{name}/records`).
    pub path: String,
    /// The answer's key holding the items (`domains`, `domain_records`).
    pub key: &'static str,
    /// The page number, from 1.
    pub page: u32,
    /// Items per page, 1 to 200.
    pub per_page: usize,
    /// `name` and `type` filters of a records listing.
    pub filter: Option<(String, RecordType)>,
}

impl DnsPage {
    /// The page of domains `token` names (a page number; the first without one).
    pub fn zones(token: Option<&str>, max: usize) -> Result<Self> {
        Self::new("/v2/domains".into(), "domains", token, max)
    }

    /// The page of `zone`'s records `token` names. A zone id that is not a domain names
    /// nothing: `NotFound`.
    pub fn records(zone: &str, token: Option<&str>, max: usize) -> Result<Self> {
        let domain = zone_id(zone)?;
        let path = format!("/v2/domains/{domain}/records");
        Self::new(path, "domain_records", token, max)
    }

    /// Only the records at `name` (relative) of type `rtype`.
    pub fn only(mut self, domain: &str, name: &str, rtype: RecordType) -> Self {
        self.filter = Some((names::absolute(name, domain), rtype));
        self
    }

    fn new(path: String, key: &'static str, token: Option<&str>, max: usize) -> Result<Self> {
        let page = match token {
            None => 1,
            Some(t) => page_number(t).ok_or_else(|| {
                Error::invalid(format!("{t:.40?} is not a DigitalOcean page token"))
                    .with_provider(PROVIDER)
            })?,
        };
        let per_page = max.clamp(1, MAX_PER_PAGE);
        Ok(DnsPage {
            path,
            key,
            page,
            per_page,
            filter: None,
        })
    }
}

/// Builds the DNS requests of one configuration.
#[derive(Debug, Clone)]
pub struct DnsRequests {
    base: DoRequests,
}

impl DnsRequests {
    /// Requests for `cfg`.
    pub fn new(cfg: DoConfig) -> Self {
        DnsRequests {
            base: DoRequests::new(cfg),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DoConfig {
        self.base.config()
    }

    /// One page of a listing: `?page=N&per_page=M` and the filters.
    pub fn list(&self, ask: &DnsPage) -> Request {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("page", &ask.page.to_string());
        query.append_pair("per_page", &ask.per_page.to_string());
        if let Some((name, rtype)) = &ask.filter {
            query.append_pair("name", name);
            query.append_pair("type", rtype.as_str());
        }
        let path = format!("{}?{}", ask.path, query.finish());
        self.base.request(Method::Get, &path)
    }

    /// `GET /v2/domains/{name}`.
    pub fn get_domain(&self, zone: &str) -> Result<Request> {
        let d = zone_id(zone)?;
        Ok(self.base.request(Method::Get, &format!("/v2/domains/{d}")))
    }

    /// `DELETE /v2/domains/{name}`: the domain and all its records.
    pub fn delete_domain(&self, zone: &str) -> Result<Request> {
        let d = zone_id(zone)?;
        Ok(self
            .base
            .request(Method::Delete, &format!("/v2/domains/{d}")))
    }

    /// `POST /v2/domains`: the domain (`InvalidInput` when it is not one) and, from
    /// `extra`, `ip_address` (an A record at the apex). DigitalOcean sets a domain's TTL
    /// itself: a TTL is `Unsupported`, as is any other extra.
    pub fn create_domain(&self, zone: &NewZone) -> Result<Request> {
        let domain = names::domain(&zone.domain).map_err(|e| e.with_provider(PROVIDER))?;
        if zone.ttl.is_some() {
            return Err(unsupported("a domain's TTL is DigitalOcean's own (1800 s)"));
        }
        let mut body = Map::new();
        body.insert("name".into(), domain.into());
        for (k, v) in &zone.extra {
            match (k.as_str(), v.parse::<std::net::IpAddr>()) {
                ("ip_address", Ok(ip)) => body.insert(k.clone(), ip.to_string().into()),
                ("ip_address", Err(_)) => {
                    return Err(invalid(format!("ip_address {v:.80?} is not an IP address")));
                }
                _ => return Err(unsupported("a domain takes only the extra ip_address")),
            };
        }
        Ok(self
            .base
            .with_json(Method::Post, "/v2/domains", &Value::Object(body)))
    }

    /// `GET /v2/domains/{name}/records/{id}`.
    pub fn get_record(&self, zone: &str, id: &str) -> Result<Request> {
        let path = record_path(zone, id)?;
        Ok(self.base.request(Method::Get, &path))
    }

    /// `DELETE /v2/domains/{name}/records/{id}`.
    pub fn delete_record(&self, zone: &str, id: &str) -> Result<Request> {
        let path = record_path(zone, id)?;
        Ok(self.base.request(Method::Delete, &path))
    }

    /// `POST /v2/domains/{name}/records` (see [`record_body`]).
    pub fn create_record(&self, zone: &str, record: &NewRecord) -> Result<Request> {
        let domain = zone_id(zone)?;
        let body = record_body(&domain, record)?;
        let path = format!("/v2/domains/{domain}/records");
        Ok(self.base.with_json(Method::Post, &path, &body))
    }

    /// `PUT /v2/domains/{name}/records/{id}`: every field replaced.
    pub fn update_record(&self, zone: &str, id: &str, record: &NewRecord) -> Result<Request> {
        let path = record_path(zone, id)?;
        let body = record_body(&zone_id(zone)?, record)?;
        Ok(self.base.with_json(Method::Put, &path, &body))
    }
}

/// A zone id (the domain) as it goes into a path; anything else names no zone.
pub fn zone_id(zone: &str) -> Result<String> {
    names::domain(zone).map_err(|_| {
        Error::not_found(format!(
            "no DigitalOcean domain is called {zone:.80?} (zone ids are domain names)"
        ))
        .with_provider(PROVIDER)
    })
}

/// A record id: a number, else `NotFound` (it names nothing).
pub fn record_id(id: &str) -> Result<u64> {
    long_number(id).ok_or_else(|| {
        Error::not_found(format!(
            "no DigitalOcean record has the id {id:.40?} (record ids are numbers)"
        ))
        .with_provider(PROVIDER)
    })
}

fn record_path(zone: &str, id: &str) -> Result<String> {
    let domain = zone_id(zone)?;
    let id = record_id(id)?;
    Ok(format!("/v2/domains/{domain}/records/{id}"))
}

/// The JSON of a record in `domain`: `type`, `name` (`@` for the apex), `data`, `ttl`
/// when given, and the type's own fields (MX `priority`; SRV `priority`, `weight`,
/// `port`; CAA `flags`, `tag`). Names in data are sent absolute with their final dot, or
/// `@` for the domain itself. SOA is DigitalOcean's own, PTR, SPF and other types it
/// does not serve: `Unsupported`. Records take no extras.
pub fn record_body(domain: &str, record: &NewRecord) -> Result<Value> {
    let name = names::relative(&record.name).map_err(|e| e.with_provider(PROVIDER))?;
    if let Some(k) = record.extra.keys().next() {
        return Err(unsupported(&format!(
            "records take no settings ({k:.40?} given)"
        )));
    }
    let mut body = data_fields(domain, &record.data)?;
    body.insert("type".into(), record.data.record_type().as_str().into());
    let shown = if name.is_empty() { "@".into() } else { name };
    body.insert("name".into(), shown.into());
    if let Some(ttl) = record.ttl {
        body.insert("ttl".into(), ttl.into());
    }
    Ok(Value::Object(body))
}

/// `data` and the type's own fields.
fn data_fields(domain: &str, data: &RecordData) -> Result<Map<String, Value>> {
    let host = |t: &str| host_data(domain, t).map(Value::from);
    let fields: Vec<(&str, Value)> = match data {
        RecordData::A(ip) => vec![("data", ip.to_string().into())],
        RecordData::Aaaa(ip) => vec![("data", ip.to_string().into())],
        RecordData::Cname(t) | RecordData::Ns(t) => vec![("data", host(t)?)],
        RecordData::Txt(text) => vec![("data", text.as_str().into())],
        RecordData::Mx { priority, exchange } => {
            vec![("data", host(exchange)?), ("priority", (*priority).into())]
        }
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => vec![
            ("data", host(target)?),
            ("priority", (*priority).into()),
            ("weight", (*weight).into()),
            ("port", (*port).into()),
        ],
        RecordData::Caa { flags, tag, value } => vec![
            ("data", value.as_str().into()),
            ("flags", (*flags).into()),
            ("tag", tag.as_str().into()),
        ],
        other => {
            let t = other.record_type();
            return Err(unsupported(&format!(
                "{t} records cannot be created (DigitalOcean serves A, AAAA, CAA, CNAME, MX, \
                 NS, SRV and TXT; the SOA is its own)"
            )));
        }
    };
    Ok(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A name in data: `@` for the domain itself, else absolute with its final dot.
fn host_data(domain: &str, target: &str) -> Result<String> {
    let t = names::target(target).map_err(|e| e.with_provider(PROVIDER))?;
    Ok(match t == domain {
        true => "@".into(),
        false => format!("{t}."),
    })
}

fn unsupported(what: &str) -> Error {
    Error::new(ErrorKind::Unsupported, format!("DigitalOcean DNS: {what}")).with_provider(PROVIDER)
}

fn invalid(what: String) -> Error {
    Error::invalid(format!("DigitalOcean DNS: {what}")).with_provider(PROVIDER)
}
