//! Parsing DigitalOcean domain and domain-record answers into the DNS model. Every
//! answer must be an object holding its key (`domain`, `domains`, `domain_record`,
//! `domain_records`); error bodies, page links and the `Parse` errors are the compute
//! driver's ([`crate::compute::digitalocean::responses`]). An answer about another domain
//! or record than the one asked, a name that is not one, data that does not fit its type
//! is `Parse`, never a silent Ok.

use serde::Deserialize;
use serde_json::Value;

use super::requests::DnsPage;
use crate::compute::digitalocean::responses::{self as base, Listed, PageAt, parse_error};
use crate::dns::{Record, RecordData, RecordType, Zone, names, zonefile};
use crate::error::Result;
use crate::http::Response;
use crate::storage::Page;

pub use base::{error_from, no_content};

/// A domain as the API shows it.
#[derive(Deserialize)]
struct DomainJson {
    name: String,
    #[serde(default)]
    ttl: Option<u32>,
}

impl DomainJson {
    fn zone(self) -> std::result::Result<Zone, String> {
        let domain = names::domain(&self.name).map_err(|e| e.to_string())?;
        let mut z = Zone::new(&domain, &domain);
        z.ttl = self.ttl;
        Ok(z)
    }
}

impl Listed for Zone {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        base::read_as(item, DomainJson::zone)
    }
}

/// A record as the API shows it; the zone's domain turns it into a [`Record`].
#[derive(Debug, Deserialize)]
pub struct RecordJson {
    id: u64,
    #[serde(rename = "type")]
    rtype: String,
    name: String,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    priority: Option<u32>,
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    ttl: Option<u32>,
    #[serde(default)]
    weight: Option<u32>,
    #[serde(default)]
    flags: Option<u32>,
    #[serde(default)]
    tag: Option<String>,
}

impl Listed for RecordJson {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        base::read_as(item, Ok)
    }
}

impl RecordJson {
    /// The record, in the zone of `domain`.
    pub fn record(self, domain: &str) -> std::result::Result<Record, String> {
        let name = match self.name.as_str() {
            "@" => String::new(),
            n => names::relative(n).map_err(|e| e.to_string())?,
        };
        let data = self.data(domain)?;
        let mut r = Record::new(self.id.to_string(), domain, name, data);
        r.ttl = self.ttl;
        Ok(r)
    }

    fn data(&self, domain: &str) -> std::result::Result<RecordData, String> {
        let text = self.data.clone().unwrap_or_default();
        let host = || host_of(domain, &text);
        let bad = |what: &str| format!("{} record {}: {what}", self.rtype, self.id);
        Ok(match RecordType::parse(&self.rtype) {
            RecordType::A => RecordData::A(text.parse().map_err(|_| bad("data is not IPv4"))?),
            RecordType::Aaaa => {
                RecordData::Aaaa(text.parse().map_err(|_| bad("data is not IPv6"))?)
            }
            RecordType::Cname => RecordData::Cname(host()?),
            RecordType::Ns => RecordData::Ns(host()?),
            RecordType::Txt => RecordData::Txt(text),
            RecordType::Mx => RecordData::Mx {
                priority: small(self.priority, "priority").map_err(|e| bad(&e))?,
                exchange: host()?,
            },
            RecordType::Srv => RecordData::Srv {
                priority: small(self.priority, "priority").map_err(|e| bad(&e))?,
                weight: small(self.weight, "weight").map_err(|e| bad(&e))?,
                port: small(self.port, "port").map_err(|e| bad(&e))?,
                target: host()?,
            },
            RecordType::Caa => RecordData::Caa {
                flags: self
                    .flags
                    .and_then(|f| u8::try_from(f).ok())
                    .ok_or_else(|| bad("no flags from 0 to 255"))?,
                tag: self.tag.clone().ok_or_else(|| bad("no tag"))?,
                value: text,
            },
            rtype => RecordData::Other { rtype, value: text },
        })
    }
}

/// A 16-bit field that must be there.
fn small(v: Option<u32>, what: &str) -> std::result::Result<u16, String> {
    v.and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| format!("no {what} from 0 to 65535"))
}

/// A name in data: `@` is the domain; names come absolute, with or without the final dot.
fn host_of(domain: &str, text: &str) -> std::result::Result<String, String> {
    match text {
        "@" => Ok(domain.to_owned()),
        t => names::target(t).map_err(|e| e.to_string()),
    }
}

/// The domain of an answer, which must be `expected` (the domain asked for or created).
pub fn domain(resp: &Response, expected: &str, context: &str) -> Result<Zone> {
    let json: DomainJson = base::one(resp, "domain", context)?;
    let zone = json.zone().map_err(|e| parse_error(context, e))?;
    match zone.domain == expected {
        true => Ok(zone),
        false => Err(parse_error(
            context,
            format_args!("the answer is about domain {:?}", zone.domain),
        )),
    }
}

/// A domain with its zone file.
#[derive(Deserialize)]
struct ZoneFileJson {
    name: String,
    #[serde(default)]
    zone_file: Option<String>,
}

/// The SOA of `domain` as the zone file of a domain answer states it (the records
/// listing gives only its TTL); `None` when the file holds no SOA that reads.
pub fn soa(resp: &Response, domain: &str, context: &str) -> Result<Option<RecordData>> {
    let json: ZoneFileJson = base::one(resp, "domain", context)?;
    if !json.name.eq_ignore_ascii_case(domain) {
        return Err(parse_error(
            context,
            format_args!("the answer is about domain {:?}", json.name),
        ));
    }
    // Only the directives and the SOA line: the rest of the file is not needed here.
    let text = json.zone_file.unwrap_or_default();
    let wanted = |l: &&str| l.starts_with('$') || l.split_whitespace().any(|t| t == "SOA");
    let lines: Vec<&str> = text.lines().filter(wanted).collect();
    let records = zonefile::import(&lines.join("\n"), domain).unwrap_or_default();
    let apex = records.into_iter().find(|r| r.name.is_empty());
    Ok(apex
        .map(|r| r.data)
        .filter(|d| d.record_type() == RecordType::Soa))
}

/// Whether `r` is DigitalOcean's SOA as its records listing shows it (data: a TTL).
pub fn bare_soa(r: &Record) -> bool {
    matches!(
        &r.data,
        RecordData::Other {
            rtype: RecordType::Soa,
            ..
        }
    )
}

/// The record of an answer, in `domain`; `expected`, when given, must be its id.
pub fn record(
    resp: &Response,
    domain: &str,
    expected: Option<u64>,
    context: &str,
) -> Result<Record> {
    let json: RecordJson = base::one(resp, "domain_record", context)?;
    if let Some(id) = expected.filter(|id| *id != json.id) {
        return Err(parse_error(
            context,
            format_args!("asked for record {id}, the answer is record {}", json.id),
        ));
    }
    json.record(domain).map_err(|e| parse_error(context, e))
}

/// One page of domains.
pub fn zones_page(resp: &Response, ask: &DnsPage, endpoint: &url::Url) -> Result<Page<Zone>> {
    base::page_at(resp, &at(ask), endpoint)
}

/// One page of `domain`'s records.
pub fn records_page(
    resp: &Response,
    ask: &DnsPage,
    domain: &str,
    endpoint: &url::Url,
) -> Result<Page<Record>> {
    let page: Page<RecordJson> = base::page_at(resp, &at(ask), endpoint)?;
    let context = format!("listing the records of {domain}");
    let items = page
        .items
        .into_iter()
        .map(|j| j.record(domain).map_err(|e| parse_error(&context, e)))
        .collect::<Result<Vec<Record>>>()?;
    Ok(Page {
        items,
        next_token: page.next_token,
    })
}

fn at(ask: &DnsPage) -> PageAt<'_> {
    PageAt {
        key: ask.key,
        path: &ask.path,
        page: ask.page,
        per_page: ask.per_page,
    }
}
