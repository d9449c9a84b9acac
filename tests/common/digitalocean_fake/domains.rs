//! Domains (`/v2/domains`) and their records (`/v2/domains/{name}/records`), as the API
//! reference documents them: `{"domain": {name, ttl, zone_file}}` and `{"domain_record":
//! {id, type, name, data, priority, port, ttl, weight, flags, tag}}` (fields a type does
//! not use are null); listings paged with `links.pages`, records filtered by `name` (the
//! absolute name) and `type`. A new domain gets an SOA record (data: the TTL; the whole
//! SOA is in the domain's `zone_file`) and three
//! NS records at `@`, and an A record at `@` when created with `ip_address`. Names in
//! CNAME, MX, NS and SRV data must end with a dot (or be `@`) and are kept without it.
//! Invalid or duplicate domains and records are 422 `unprocessable_entity` (the messages
//! are this fake's own wording).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value, json};

use super::server::Request;
use super::state::{NoPages, Query, Reply, State, not_found, now, page, unprocessable};

/// A domain's records by id.
#[derive(Default)]
pub(super) struct Domain {
    pub records: BTreeMap<u64, Value>,
    /// The SOA's serial: the creation time.
    pub serial: u64,
}

/// The name servers of every domain.
pub const NAME_SERVERS: [&str; 3] = [
    "ns1.digitalocean.com",
    "ns2.digitalocean.com",
    "ns3.digitalocean.com",
];

const TYPES: [&str; 9] = ["A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT"];

pub(super) fn route(st: &mut State, m: &str, segs: &[&str], q: &Query, req: &Request) -> Reply {
    let body = || req.json();
    let path = req.path.as_str();
    match (segs, m) {
        (["domains"], "GET") => {
            let all = st.domains.keys().map(|d| domain_json(st, d)).collect();
            page(st, path, q, "domains", all, NoPages::Empty)
        }
        (["domains"], "POST") => body().map_or_else(|e| e, |b| create_domain(st, &b)),
        (["domains", d], "GET") if st.domains.contains_key(*d) => {
            Reply::json(200, json!({ "domain": domain_json(st, d) }))
        }
        (["domains", d], "DELETE") if st.domains.remove(*d).is_some() => Reply::no_content(),
        (["domains", d, "records"], "GET") if st.domains.contains_key(*d) => {
            let all = st.domains[*d]
                .records
                .values()
                .filter(|r| record_matches(r, d, q))
                .cloned()
                .collect();
            page(st, path, q, "domain_records", all, NoPages::EmptyPages)
        }
        (["domains", d, "records"], "POST") if st.domains.contains_key(*d) => {
            body().map_or_else(|e| e, |b| save_record(st, d, None, &b))
        }
        (["domains", d, "records", id], _) => one_record(st, m, d, id, req),
        _ => not_found(),
    }
}

/// GET, PUT, PATCH or DELETE of one record.
fn one_record(st: &mut State, m: &str, d: &str, id: &str, req: &Request) -> Reply {
    let id = id.parse::<u64>().ok();
    let found = id.filter(|id| {
        st.domains
            .get(d)
            .is_some_and(|x| x.records.contains_key(id))
    });
    let Some(id) = found else {
        return not_found();
    };
    match m {
        "GET" => Reply::json(200, json!({ "domain_record": st.domains[d].records[&id] })),
        "DELETE" => {
            st.domains.get_mut(d).map(|x| x.records.remove(&id));
            Reply::no_content()
        }
        "PUT" | "PATCH" => match req.json() {
            Ok(b) if m == "PUT" && b.get("type").is_none() => {
                unprocessable("Type is required to update a record")
            }
            Ok(b) => save_record(st, d, Some(id), &b),
            Err(e) => e,
        },
        _ => not_found(),
    }
}

/// A domain as GET shows it; its zone file holds the SOA and NS lines (the real one
/// holds every record).
fn domain_json(st: &State, d: &str) -> Value {
    let serial = st.domains.get(d).map_or(0, |x| x.serial);
    let mut zone_file = format!(
        "$ORIGIN {d}.\n$TTL 1800\n{d}. IN SOA ns1.digitalocean.com. hostmaster.{d}. \
         {serial} 10800 3600 604800 1800\n"
    );
    for ns in NAME_SERVERS {
        zone_file.push_str(&format!("{d}. 1800 IN NS {ns}.\n"));
    }
    json!({ "name": d, "ttl": 1800, "zone_file": zone_file })
}

fn create_domain(st: &mut State, b: &Value) -> Reply {
    let Some(name) = b["name"].as_str().map(str::to_ascii_lowercase) else {
        return unprocessable("Name is required");
    };
    if !is_domain(&name) {
        return unprocessable("Name is not a valid domain name");
    }
    if st.domains.contains_key(&name) {
        return unprocessable("Domain already exists");
    }
    let ip = match b.get("ip_address") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(|s| s.parse::<Ipv4Addr>().ok()) {
            Some(ip) => Some(ip),
            None => return unprocessable("Ip address is not a valid IPv4 address"),
        },
    };
    let domain = Domain {
        serial: now(),
        ..Domain::default()
    };
    st.domains.insert(name.clone(), domain);
    let soa = json!({ "type": "SOA", "name": "@", "data": "1800", "ttl": 1800 });
    let mut made = vec![soa];
    for ns in NAME_SERVERS {
        made.push(json!({ "type": "NS", "name": "@", "data": ns, "ttl": 1800 }));
    }
    if let Some(ip) = ip {
        made.push(json!({ "type": "A", "name": "@", "data": ip.to_string(), "ttl": 1800 }));
    }
    for r in made {
        let id = st.id();
        let full = record_json(id, &r);
        st.domains
            .get_mut(&name)
            .map(|x| x.records.insert(id, full));
    }
    let created = json!({ "name": name, "ttl": 1800, "zone_file": null });
    Reply::json(201, json!({ "domain": created }))
}

/// Creates (`old` None) or updates a record from `b` (merged onto the old one).
fn save_record(st: &mut State, d: &str, old: Option<u64>, b: &Value) -> Reply {
    let Some(fields) = b.as_object() else {
        return unprocessable("The body must be an object");
    };
    let mut merged: Map<String, Value> = match old {
        Some(id) => st.domains[d].records[&id]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        None => Map::new(),
    };
    if let (Some(id), Some(t)) = (old, fields.get("type")) {
        if *t != st.domains[d].records[&id]["type"] {
            return unprocessable("Type of a record cannot be changed");
        }
    }
    for (k, v) in fields {
        merged.insert(k.clone(), v.clone());
    }
    let checked = match checked_record(&Value::Object(merged), old.is_none()) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let records = &st.domains[d].records;
    let same = |r: &Value| FIELDS.iter().all(|k| r[*k] == checked[*k]);
    if records.iter().any(|(id, r)| Some(*id) != old && same(r)) {
        return unprocessable("Record already exists");
    }
    let (id, status) = match old {
        Some(id) => (id, 200),
        None => (st.id(), 201),
    };
    let full = record_json(id, &checked);
    st.domains
        .get_mut(d)
        .map(|x| x.records.insert(id, full.clone()));
    Reply::json(status, json!({ "domain_record": full }))
}

/// What makes two records the same.
const FIELDS: [&str; 8] = [
    "type", "name", "data", "priority", "port", "weight", "flags", "tag",
];

/// Every documented field, nulls where not given.
fn record_json(id: u64, r: &Value) -> Value {
    let mut out = json!({ "id": id });
    for k in FIELDS.iter().chain(&["ttl"]) {
        out[*k] = r.get(*k).cloned().unwrap_or(Value::Null);
    }
    out
}

/// The record `r` checked as the API would (`creating`: SOA records cannot be made).
fn checked_record(r: &Value, creating: bool) -> Result<Value, Reply> {
    let t = r["type"].as_str().unwrap_or_default();
    if !TYPES.contains(&t) {
        return Err(unprocessable("Type is not a supported record type"));
    }
    if creating && t == "SOA" {
        return Err(unprocessable("SOA records cannot be created"));
    }
    let name = r["name"].as_str().unwrap_or_default().to_ascii_lowercase();
    if name != "@" && !is_relative(&name) {
        return Err(unprocessable(
            "Name Only valid hostname characters are allowed",
        ));
    }
    let data = checked_data(t, r["data"].as_str().unwrap_or_default())?;
    let mut out = json!({ "type": t, "name": name, "data": data,
                          "ttl": r.get("ttl").cloned().unwrap_or(json!(1800)) });
    if !r["ttl"].is_null() && r["ttl"].as_u64().is_none_or(|t| t < 30) {
        return Err(unprocessable(
            "Ttl must be a number of seconds, at least 30",
        ));
    }
    let wanted: &[(&str, u64)] = match t {
        "MX" => &[("priority", 65535)],
        "SRV" => &[("priority", 65535), ("weight", 65535), ("port", 65535)],
        "CAA" => &[("flags", 255)],
        _ => &[],
    };
    for (k, max) in wanted {
        match r[*k].as_u64().filter(|n| n <= max) {
            Some(n) => out[*k] = n.into(),
            None => return Err(unprocessable(&format!("{k} is required, 0 to {max}"))),
        }
    }
    if t == "CAA" {
        match r["tag"].as_str() {
            Some(tag @ ("issue" | "issuewild" | "iodef")) => out["tag"] = tag.into(),
            _ => return Err(unprocessable("Tag must be issue, issuewild or iodef")),
        }
    }
    Ok(out)
}

/// The data as kept: addresses checked, names with their final dot dropped.
fn checked_data(t: &str, data: &str) -> Result<String, Reply> {
    let ok = match t {
        "A" => data.parse::<Ipv4Addr>().is_ok(),
        "AAAA" => data.parse::<Ipv6Addr>().is_ok(),
        "CNAME" | "MX" | "NS" | "SRV" => {
            if data == "@" {
                return Ok(data.into());
            }
            let Some(host) = data.strip_suffix('.') else {
                return Err(unprocessable("Data needs to end with a dot (.)"));
            };
            return match is_domain(host) || is_label_list(host) {
                true => Ok(host.to_ascii_lowercase()),
                false => Err(unprocessable("Data is not a valid hostname")),
            };
        }
        _ => !data.is_empty(),
    };
    match ok {
        true => Ok(data.into()),
        false => Err(unprocessable(&format!(
            "Data is not valid for a {t} record"
        ))),
    }
}

fn record_matches(r: &Value, d: &str, q: &Query) -> bool {
    let name = r["name"].as_str().unwrap_or_default();
    let fqdn = match name {
        "@" => d.to_string(),
        n => format!("{n}.{d}"),
    };
    let name_ok = q.get("name").is_none_or(|n| n.eq_ignore_ascii_case(&fqdn));
    let type_ok = q.get("type").is_none_or(|t| r["type"] == t);
    name_ok && type_ok
}

fn label_ok(l: &str) -> bool {
    (1..=63).contains(&l.len())
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_label_list(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(label_ok)
}

fn is_domain(s: &str) -> bool {
    s.contains('.') && is_label_list(s)
}

/// A relative name: labels, a `*` allowed first.
fn is_relative(s: &str) -> bool {
    let rest = s.strip_prefix("*.").unwrap_or(s);
    s == "*" || is_label_list(rest)
}
