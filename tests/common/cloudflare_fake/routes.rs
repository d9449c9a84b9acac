//! The fake's state and its answers: zones, DNS records, the envelope, pages, errors.

use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};

use super::server::Request;
use super::{ACCOUNT, Fault, Logged};

const TIME: &str = "2014-01-01T05:20:00.12345Z";
const TYPES: [&str; 14] = [
    "A", "AAAA", "CAA", "CERT", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SRV", "SVCB",
    "TXT",
];

/// A zone: its JSON as served and its records, oldest first.
pub(super) struct StoredZone {
    pub json: Value,
    pub records: Vec<Value>,
}

pub(super) struct State {
    pub token: String,
    pub next_id: u64,
    pub zones: BTreeMap<String, StoredZone>,
    pub faults: VecDeque<Fault>,
    pub canned: VecDeque<(u16, Value)>,
    pub log: Vec<Logged>,
}

/// An answer: status and envelope.
pub(super) struct Reply {
    pub status: u16,
    pub body: Value,
}

/// A successful envelope around `result`.
fn ok(result: Value) -> Reply {
    let body = json!({ "success": true, "errors": [], "messages": [], "result": result });
    Reply { status: 200, body }
}

/// A failed envelope naming `errors` (code, message).
pub(super) fn failure(status: u16, errors: &[(i64, &str)]) -> Reply {
    let errors: Vec<Value> = errors
        .iter()
        .map(|(c, m)| json!({ "code": c, "message": m }))
        .collect();
    let body = json!({ "success": false, "errors": errors, "messages": [], "result": null });
    Reply { status, body }
}

fn no_route(path: &str) -> Reply {
    let msg = format!("Could not route to {path}, perhaps your object identifier is invalid?");
    failure(400, &[(7003, &msg), (7000, "No route for that URI")])
}

fn record_missing() -> Reply {
    failure(404, &[(81044, "Record does not exist.")])
}

fn invalid(code: i64, message: &str) -> Reply {
    failure(400, &[(code, message)])
}

/// `page` and `per_page` of a query (defaults 1 and `default`, `per_page` at least 5 and
/// at most `max`).
fn paging(query: &str, default: usize, max: usize) -> (usize, usize) {
    let get = |k: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let page = get("page").unwrap_or(1).max(1);
    (page, get("per_page").unwrap_or(default).clamp(5, max))
}

/// One page of `items` with its `result_info`.
fn listed(items: &[Value], page: usize, per_page: usize) -> Reply {
    let total = items.len();
    let slice: Vec<Value> = items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let mut r = ok(Value::Array(slice.clone()));
    r.body["result_info"] = json!({
        "page": page, "per_page": per_page, "count": slice.len(),
        "total_count": total, "total_pages": total.div_ceil(per_page),
    });
    r
}

impl State {
    pub fn new(token: &str) -> State {
        State {
            token: token.to_string(),
            next_id: 1,
            zones: BTreeMap::new(),
            faults: VecDeque::new(),
            canned: VecDeque::new(),
            log: Vec::new(),
        }
    }

    /// A fresh id: 32 lowercase hex digits.
    fn id(&mut self) -> String {
        self.next_id += 1;
        let mix = self.next_id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        format!("{mix:016x}{:016x}", self.next_id)
    }

    pub fn authorized(&mut self, req: &Request) -> Reply {
        let Some(auth) = req.header("authorization") else {
            let msg = "Missing X-Auth-Key, X-Auth-Email or Authorization headers";
            return invalid(9106, msg);
        };
        if auth != format!("Bearer {}", self.token) {
            return failure(403, &[(10000, "Authentication error")]);
        }
        self.route(req)
    }

    fn route(&mut self, req: &Request) -> Reply {
        let Some(rest) = req.path.strip_prefix("/client/v4/") else {
            return no_route(&req.path);
        };
        let segs: Vec<&str> = rest.split('/').collect();
        let m = req.method.as_str();
        match (m, segs.as_slice()) {
            ("GET", ["zones"]) => self.list_zones(&req.query),
            ("POST", ["zones"]) => self.create_zone(req),
            ("GET", ["zones", z]) => self
                .zone(z, &req.path)
                .map_or_else(|e| e, |z| ok(z.json.clone())),
            ("DELETE", ["zones", z]) => self.delete_zone(z, &req.path),
            ("GET", ["zones", z, "dns_records"]) => self.list_records(z, req),
            ("POST", ["zones", z, "dns_records"]) => self.create_record(z, req),
            (_, ["zones", z, "dns_records", r]) => self.one_record(m, z, r, req),
            _ => failure(405, &[(10405, "Method not allowed for this path")]),
        }
    }

    fn zone(&self, id: &str, path: &str) -> Result<&StoredZone, Reply> {
        self.zones.get(id).ok_or_else(|| no_route(path))
    }

    fn list_zones(&self, query: &str) -> Reply {
        let (page, per_page) = paging(query, 20, 50);
        let name = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "name");
        let zones: Vec<Value> = self
            .zones
            .values()
            .map(|z| z.json.clone())
            .filter(|z| name.as_ref().is_none_or(|(_, n)| z["name"] == n.as_ref()))
            .collect();
        listed(&zones, page, per_page)
    }

    fn create_zone(&mut self, req: &Request) -> Reply {
        let body = match req.json() {
            Ok(b) => b,
            Err(e) => return e,
        };
        let name = body["name"].as_str().unwrap_or("").to_ascii_lowercase();
        if body["account"]["id"].as_str() != Some(ACCOUNT) {
            return failure(403, &[(9109, "Unauthorized to access requested resource")]);
        }
        let labels_ok = name
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !name.contains('.') || !labels_ok {
            return invalid(1049, &format!("{name} is not a registered domain"));
        }
        if self.zones.values().any(|z| z.json["name"] == name.as_str()) {
            return invalid(1061, &format!("{name} already exists"));
        }
        let id = self.id();
        let json = json!({
            "id": id, "name": name, "status": "pending", "paused": false,
            "type": body["type"].as_str().unwrap_or("full"), "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": null, "original_registrar": null, "original_dnshost": null,
            "created_on": TIME, "modified_on": TIME, "activated_on": null,
            "meta": { "step": 4, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": false },
            "owner": { "id": null, "type": "user", "email": null },
            "account": { "id": ACCOUNT, "name": "Fake account" },
            "permissions": ["#zone:read", "#zone:edit", "#dns_records:read", "#dns_records:edit"],
            "plan": { "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "price": 0, "currency": "USD",
                      "frequency": "", "is_subscribed": false, "can_subscribe": false, "legacy_id": "free",
                      "legacy_discount": false, "externally_managed": false },
        });
        let records = Vec::new();
        self.zones.insert(
            id,
            StoredZone {
                json: json.clone(),
                records,
            },
        );
        ok(json)
    }

    fn delete_zone(&mut self, id: &str, path: &str) -> Reply {
        match self.zones.remove(id) {
            Some(_) => ok(json!({ "id": id })),
            None => no_route(path),
        }
    }

    fn list_records(&self, zone: &str, req: &Request) -> Reply {
        let z = match self.zone(zone, &req.path) {
            Ok(z) => z,
            Err(e) => return e,
        };
        let (page, per_page) = paging(&req.query, 100, 5_000_000);
        listed(&z.records, page, per_page)
    }

    fn create_record(&mut self, zone: &str, req: &Request) -> Reply {
        let (domain, body) = match self.zone(zone, &req.path).and_then(|z| {
            Ok((
                z.json["name"].as_str().unwrap_or("").to_string(),
                req.json()?,
            ))
        }) {
            Ok(x) => x,
            Err(e) => return e,
        };
        let id = self.id();
        let record = match build_record(&id, zone, &domain, &body, None) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let z = self.zones.get_mut(zone).expect("checked above");
        if z.records.iter().any(|r| same_value(r, &record)) {
            return invalid(81058, "An identical record already exists.");
        }
        z.records.push(record.clone());
        ok(record)
    }

    fn one_record(&mut self, m: &str, zone: &str, id: &str, req: &Request) -> Reply {
        let domain = match self.zone(zone, &req.path) {
            Ok(z) => z.json["name"].as_str().unwrap_or("").to_string(),
            Err(e) => return e,
        };
        let z = self.zones.get_mut(zone).expect("checked above");
        let Some(at) = z.records.iter().position(|r| r["id"] == id) else {
            return record_missing();
        };
        match m {
            "GET" => ok(z.records[at].clone()),
            "DELETE" => {
                z.records.remove(at);
                ok(json!({ "id": id }))
            }
            "PUT" | "PATCH" => {
                let mut body = match req.json() {
                    Ok(b) => b,
                    Err(e) => return e,
                };
                if m == "PATCH" {
                    body = patched(&z.records[at], body);
                }
                match build_record(id, zone, &domain, &body, Some(&z.records[at])) {
                    Ok(r) => {
                        z.records[at] = r.clone();
                        ok(r)
                    }
                    Err(e) => e,
                }
            }
            _ => failure(405, &[(10405, "Method not allowed for this path")]),
        }
    }
}

/// PATCH: the stored record's writable fields, overwritten by those sent.
fn patched(old: &Value, sent: Value) -> Value {
    let mut base = json!({});
    for k in [
        "type", "name", "content", "ttl", "priority", "data", "proxied", "comment",
    ] {
        if !old[k].is_null() {
            base[k] = old[k].clone();
        }
    }
    if let (Value::Object(b), Value::Object(s)) = (&mut base, sent) {
        b.extend(s);
    }
    base
}

/// Two records hold the same value: type, name and content.
fn same_value(a: &Value, b: &Value) -> bool {
    ["type", "name", "content"].iter().all(|k| a[k] == b[k])
}

/// A record as Cloudflare stores it, from a create/update body, or the validation error.
fn build_record(
    id: &str,
    zone: &str,
    domain: &str,
    body: &Value,
    old: Option<&Value>,
) -> Result<Value, Reply> {
    let rtype = body["type"].as_str().unwrap_or("").to_ascii_uppercase();
    if !TYPES.contains(&rtype.as_str()) {
        return Err(invalid(9020, "Invalid DNS record type"));
    }
    let name = absolute(body["name"].as_str().unwrap_or("@"), domain);
    let ttl = body["ttl"].as_u64().unwrap_or(1);
    if ttl != 1 && !(60..=86400).contains(&ttl) {
        return Err(invalid(
            9021,
            "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.",
        ));
    }
    let (content, priority, data) = typed(&rtype, body)?;
    let proxiable = matches!(rtype.as_str(), "A" | "AAAA" | "CNAME");
    let proxied = body["proxied"].as_bool().unwrap_or(false);
    if proxied && !proxiable {
        return Err(invalid(9004, "This record type cannot be proxied."));
    }
    let created = old.map_or(json!(TIME), |o| o["created_on"].clone());
    let mut r = json!({
        "id": id, "zone_id": zone, "zone_name": domain, "name": name, "type": rtype,
        "content": content, "proxiable": proxiable, "proxied": proxied, "ttl": ttl,
        "locked": false, "meta": { "auto_added": false, "managed_by_apps": false,
        "managed_by_argo_tunnel": false, "source": "primary" },
        "comment": body["comment"].clone(), "tags": [], "created_on": created, "modified_on": TIME,
    });
    if let Some(p) = priority {
        r["priority"] = json!(p);
    }
    if let Some(d) = data {
        r["data"] = d;
    }
    Ok(r)
}

/// Names are absolute; a name without the zone gets it appended (`@` is the apex).
fn absolute(name: &str, domain: &str) -> String {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    if n == "@" || n.is_empty() || n == domain {
        domain.to_string()
    } else if n.ends_with(&format!(".{domain}")) {
        n
    } else {
        format!("{n}.{domain}")
    }
}

/// Content, priority and data of a record of `rtype`, checked.
fn typed(rtype: &str, body: &Value) -> Result<(String, Option<u64>, Option<Value>), Reply> {
    let content = body["content"].as_str().unwrap_or("").to_string();
    let bad = |what: &str| {
        invalid(
            9005,
            &format!("Content for {rtype} record is invalid. {what}"),
        )
    };
    match rtype {
        "A" if content.parse::<Ipv4Addr>().is_err() => Err(bad("Must be a valid IPv4 address")),
        "AAAA" if content.parse::<Ipv6Addr>().is_err() => Err(bad("Must be a valid IPv6 address")),
        "MX" => match body["priority"].as_u64() {
            Some(p) if !content.is_empty() => Ok((content, Some(p), None)),
            _ => Err(invalid(9100, "MX records require a priority and content")),
        },
        "SRV" => {
            let d = &body["data"];
            let n = |k: &str| d[k].as_u64();
            let (Some(p), Some(w), Some(port), Some(t)) =
                (n("priority"), n("weight"), n("port"), d["target"].as_str())
            else {
                return Err(invalid(
                    9101,
                    "SRV records require data: priority, weight, port, target",
                ));
            };
            let data = json!({ "priority": p, "weight": w, "port": port, "target": t });
            Ok((format!("{w} {port} {t}"), Some(p), Some(data)))
        }
        "CAA" => {
            let d = &body["data"];
            let (Some(f), Some(tag), Some(v)) =
                (d["flags"].as_u64(), d["tag"].as_str(), d["value"].as_str())
            else {
                return Err(invalid(9101, "CAA records require data: flags, tag, value"));
            };
            let data = json!({ "flags": f, "tag": tag, "value": v });
            Ok((format!("{f} {tag} \"{v}\""), None, Some(data)))
        }
        _ if content.is_empty() => Err(bad("Content is required")),
        _ => Ok((content, None, None)),
    }
}
