//! Parsing Route53 answers into the DNS model, and Route53 errors into [`Error`]. Every
//! answer's root must be `{Action}Response`; anything else (an HTML page, another call's
//! answer, XML cut short) is `Parse`, never a panic. Namespaces are not checked. Zones,
//! changes and record sets in an answer must be the ones asked about: a zone of another
//! id, a record set outside the zone are `Parse`.

use std::collections::BTreeMap;

use super::PROVIDER;
use super::rdata::{self, parse_error};
use super::requests::{RecordSet, Start, check_id};
use crate::dns::{Record, RecordType, Zone, names};
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use crate::storage::Page;

pub(crate) use crate::compute::ec2::responses::tree;
use tree::Element;

/// The error kind of a Route53 error code, falling back on the status.
///
/// `NoSuchHostedZone`, `NoSuchChange` are `NotFound`; `HostedZoneAlreadyExists`,
/// `ConflictingDomainExists` are `AlreadyExists`; `InvalidChangeBatch` is `InvalidInput`
/// (but `AlreadyExists` when it says a record set already exists: see [`error_from`]);
/// `Throttling` and `PriorRequestNotComplete` are `RateLimited`; `HostedZoneNotEmpty` is
/// `PreconditionFailed`.
pub fn kind_of(status: u16, code: Option<&str>) -> ErrorKind {
    match code.unwrap_or("") {
        "NoSuchHostedZone" | "NoSuchChange" | "NoSuchDelegationSet" => ErrorKind::NotFound,
        "HostedZoneAlreadyExists" | "ConflictingDomainExists" => ErrorKind::AlreadyExists,
        "InvalidChangeBatch" | "InvalidInput" | "InvalidDomainName" | "InvalidArgument"
        | "InvalidVPCId" | "ValidationError" | "MalformedXML" => ErrorKind::InvalidInput,
        "Throttling" | "ThrottlingException" | "PriorRequestNotComplete" => ErrorKind::RateLimited,
        "HostedZoneNotEmpty" | "LastVPCAssociation" => ErrorKind::PreconditionFailed,
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "MissingAuthenticationToken"
        | "ExpiredToken"
        | "IncompleteSignature"
        | "RequestExpired" => ErrorKind::Unauthorized,
        "AccessDenied" | "AccessDeniedException" => ErrorKind::PermissionDenied,
        _ => match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            429 | 503 => ErrorKind::RateLimited,
            _ => ErrorKind::Provider,
        },
    }
}

/// The status an answer stands for, for the transport's retry decision: Route53's
/// throttling (`Throttling`, `PriorRequestNotComplete`, both 400) is a 503, so it is
/// retried with backoff.
pub fn effective_status(resp: &Response) -> u16 {
    if resp.is_success() || resp.status >= 500 {
        return resp.status;
    }
    let doc = tree::parse(&resp.body, "ErrorResponse").ok();
    let code = doc.as_ref().and_then(error_code);
    match kind_of(resp.status, code.as_deref()) {
        ErrorKind::RateLimited => 503,
        _ => resp.status,
    }
}

/// The code and message of an error document (`<ErrorResponse><Error>`, or Route53's
/// `<InvalidChangeBatch><Messages>`).
fn error_parts(doc: &Element) -> Option<(String, String)> {
    if doc.name == "InvalidChangeBatch" {
        let messages = doc.child("Messages").map(|m| texts(m, "Message"));
        let text = messages.unwrap_or_default().join("; ");
        let text = doc.text_of("Message").map_or(text, str::to_owned);
        return Some(("InvalidChangeBatch".into(), text));
    }
    let e = match doc.name.as_str() {
        "ErrorResponse" | "Response" => doc
            .child("Error")
            .or_else(|| doc.child("Errors").and_then(|e| e.child("Error")))?,
        "Error" => doc,
        _ => return None,
    };
    let code = e.text_of("Code")?.to_owned();
    Some((code, e.text_of("Message").unwrap_or("").to_owned()))
}

fn error_code(doc: &Element) -> Option<String> {
    error_parts(doc).map(|(c, _)| c)
}

/// The text of every child leaf `name` of `e`.
fn texts(e: &Element, name: &str) -> Vec<String> {
    e.children
        .iter()
        .filter(|c| c.name == name && c.children.is_empty())
        .map(|c| c.text.clone())
        .collect()
}

/// The error an answer carries: code, message, request id, status. An
/// `InvalidChangeBatch` saying a record set already exists is `AlreadyExists`.
pub fn error_from(resp: &Response, action: &str) -> Error {
    let doc = tree::parse(&resp.body, "ErrorResponse").ok();
    let parts = doc.as_ref().and_then(error_parts);
    let (code, message) = match &parts {
        Some((c, m)) => (Some(c.as_str()), m.as_str()),
        None => (None, "the answer is not a Route53 error"),
    };
    let mut kind = kind_of(resp.status, code);
    if code == Some("InvalidChangeBatch") && message.contains("already exists") {
        kind = ErrorKind::AlreadyExists;
    }
    let mut e = Error::new(kind, format!("{action}: {message:.300}").trim_end())
        .with_provider(PROVIDER)
        .with_status(resp.status);
    if let Some(c) = code {
        e = e.with_code(c);
    }
    let request_id = doc.as_ref().and_then(|d| d.text_of("RequestId"));
    match request_id.or_else(|| resp.header("x-amzn-requestid")) {
        Some(id) => e.with_request_id(id),
        None => e,
    }
}

/// The answer's document when it succeeded and its root is `{action}Response`.
pub(crate) fn document(resp: &Response, action: &str) -> Result<Element> {
    if !resp.is_success() {
        return Err(error_from(resp, action));
    }
    let root = format!("{action}Response");
    let doc = tree::parse(&resp.body, &root)
        .map_err(|e| parse_error(format!("{action}: the answer is not XML: {e}")))?;
    match doc.name == root {
        true => Ok(doc),
        false => Err(parse_error(format!(
            "{action}: the answer's root is <{:.60}>, not <{root}>",
            doc.name
        ))),
    }
}

/// The children `item` of the child list `list`.
fn items<'a>(e: &'a Element, list: &str, item: &'a str) -> impl Iterator<Item = &'a Element> {
    e.child(list)
        .into_iter()
        .flat_map(move |l| l.children.iter().filter(move |c| c.name == item))
}

/// A `<HostedZone>`: id checked, domain normalised, the rest in `extra`.
fn hosted_zone(e: &Element, action: &str) -> Result<Zone> {
    let bad = |what: &str| parse_error(format!("{action}: a hosted zone {what}"));
    let id = e.text_of("Id").ok_or_else(|| bad("has no Id"))?;
    let id = check_id("zone", id).map_err(|_| bad("has an id that is not Route53's"))?;
    let name = e.text_of("Name").ok_or_else(|| bad("has no Name"))?;
    let domain = rdata::unescape_name(name)?;
    let domain = names::domain(&domain).map_err(|_| bad("has a name that is not a domain"))?;
    let mut zone = Zone::new(id, domain);
    let mut extra = BTreeMap::new();
    for (k, v) in e.leaves().filter(|(k, _)| *k != "Id" && *k != "Name") {
        extra.insert(k.to_owned(), v.to_owned());
    }
    if let Some(config) = e.child("Config") {
        for (k, v) in config.leaves() {
            extra.insert(k.to_owned(), v.to_owned());
        }
    }
    zone.extra = extra;
    Ok(zone)
}

/// `ListHostedZones`: a page, its token the `NextMarker` when `IsTruncated`.
pub fn list_hosted_zones(resp: &Response) -> Result<Page<Zone>> {
    let action = "ListHostedZones";
    let doc = document(resp, action)?;
    let zones = items(&doc, "HostedZones", "HostedZone")
        .map(|z| hosted_zone(z, action))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items: zones,
        next_token: next_marker(&doc, action)?,
    })
}

fn next_marker(doc: &Element, action: &str) -> Result<Option<String>> {
    if doc.text_of("IsTruncated") != Some("true") {
        return Ok(None);
    }
    let marker = doc.text_of("NextMarker").unwrap_or("");
    match check_id("zone", marker) {
        Ok(m) => Ok(Some(m.to_owned())),
        Err(_) => Err(parse_error(format!(
            "{action}: truncated, but the next marker is not a zone id"
        ))),
    }
}

/// `ListHostedZonesByName`: the zones of the page (in Route53's order).
pub fn list_hosted_zones_by_name(resp: &Response) -> Result<Vec<Zone>> {
    let action = "ListHostedZonesByName";
    let doc = document(resp, action)?;
    items(&doc, "HostedZones", "HostedZone")
        .map(|z| hosted_zone(z, action))
        .collect()
}

/// `GetHostedZone` of `id`: the zone, which must be that one.
pub fn get_hosted_zone(resp: &Response, id: &str) -> Result<Zone> {
    let action = "GetHostedZone";
    let doc = document(resp, action)?;
    let e = doc
        .child("HostedZone")
        .ok_or_else(|| parse_error(format!("{action}: no <HostedZone> in the answer")))?;
    let zone = hosted_zone(e, action)?;
    match zone.id == check_id("zone", id)? {
        true => Ok(zone),
        false => Err(parse_error(format!(
            "{action}: the answer is about zone {:.40?}, not {id:.40?}",
            zone.id
        ))),
    }
}

/// `CreateHostedZone` of `domain`: the zone, which must be of that domain; its change
/// id in `extra["change"]`.
pub fn create_hosted_zone(resp: &Response, domain: &str) -> Result<Zone> {
    let action = "CreateHostedZone";
    let doc = document(resp, action)?;
    let e = doc
        .child("HostedZone")
        .ok_or_else(|| parse_error(format!("{action}: no <HostedZone> in the answer")))?;
    let mut zone = hosted_zone(e, action)?;
    if zone.domain != domain {
        return Err(parse_error(format!(
            "{action}: the answer is about {:.80?}, not {domain:.80?}",
            zone.domain
        )));
    }
    if let Ok(change) = change_of(&doc, action) {
        zone.extra.insert("change".into(), change);
    }
    Ok(zone)
}

/// The `<ChangeInfo>` id (without `/change/`) of a `{action}Response`.
pub fn change_info(resp: &Response, action: &str) -> Result<String> {
    change_of(&document(resp, action)?, action)
}

fn change_of(doc: &Element, action: &str) -> Result<String> {
    let id = doc.child("ChangeInfo").and_then(|c| c.text_of("Id"));
    let id = id.ok_or_else(|| parse_error(format!("{action}: no <ChangeInfo><Id>")))?;
    check_id("change", id)
        .map(str::to_owned)
        .map_err(|_| parse_error(format!("{action}: the change id is not Route53's")))
}

/// `GetChange` of `id`: whether it is `INSYNC` (`PENDING` is not; anything else is
/// `Parse`).
pub fn change_synced(resp: &Response, id: &str) -> Result<bool> {
    let action = "GetChange";
    let doc = document(resp, action)?;
    if change_of(&doc, action)? != check_id("change", id)? {
        return Err(parse_error(format!(
            "{action}: the answer is about another change"
        )));
    }
    match doc.child("ChangeInfo").and_then(|c| c.text_of("Status")) {
        Some("INSYNC") => Ok(true),
        Some("PENDING") => Ok(false),
        _ => Err(parse_error(format!(
            "{action}: the status is neither PENDING nor INSYNC"
        ))),
    }
}

/// `ListResourceRecordSets` of a zone of `domain`: the sets and where the next page
/// starts. A set outside the zone is `Parse`.
pub fn list_record_sets(resp: &Response, domain: &str) -> Result<(Vec<RecordSet>, Option<Start>)> {
    let action = "ListResourceRecordSets";
    let doc = document(resp, action)?;
    let sets = items(&doc, "ResourceRecordSets", "ResourceRecordSet")
        .map(|s| record_set(s, domain))
        .collect::<Result<Vec<_>>>()?;
    if doc.text_of("IsTruncated") != Some("true") {
        return Ok((sets, None));
    }
    let name = doc
        .text_of("NextRecordName")
        .ok_or_else(|| parse_error(format!("{action}: truncated, but no NextRecordName")))?;
    let start = Start {
        name: inside(name, domain)?,
        rtype: doc.text_of("NextRecordType").map(str::to_owned),
        identifier: doc.text_of("NextRecordIdentifier").map(str::to_owned),
    };
    Ok((sets, Some(start)))
}

/// An absolute name from an answer, unescaped, when it is inside the zone of `domain`.
fn inside(name: &str, domain: &str) -> Result<String> {
    let n = rdata::unescape_name(name)?;
    match names::relative_to(&n, domain) {
        Some(_) => Ok(n),
        None => Err(parse_error(format!(
            "the record set {n:.120?} is not in zone {domain:.80?}"
        ))),
    }
}

/// A `<ResourceRecordSet>`, its element kept (a DELETE echoes it).
fn record_set(e: &Element, domain: &str) -> Result<RecordSet> {
    let bad = |what: &str| parse_error(format!("a record set {what}"));
    let name = inside(e.text_of("Name").ok_or_else(|| bad("has no Name"))?, domain)?;
    let rtype = e.text_of("Type").ok_or_else(|| bad("has no Type"))?;
    let ttl = match e.text_of("TTL") {
        Some(t) => Some(
            t.parse()
                .map_err(|_| bad("has a TTL that is not a number"))?,
        ),
        None => None,
    };
    let values = items(e, "ResourceRecords", "ResourceRecord")
        .map(|r| {
            r.text_of("Value")
                .map(str::to_owned)
                .ok_or_else(|| bad("has an empty value"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordSet {
        name,
        rtype: rtype.to_ascii_uppercase(),
        ttl,
        values,
        identifier: e.text_of("SetIdentifier").map(str::to_owned),
        element: Some(e.clone()),
    })
}

/// The model's records of `set` (one per value) in zone `zone_id` of `domain`. Alias and
/// routing-policy sets have none (this driver does not model them). An SOA value that does
/// not read is left out rather than failing the listing: Route53 keeps the SOA itself and
/// no driver edits it (moto writes its value as a Python dict).
pub fn records_of(set: &RecordSet, zone_id: &str, domain: &str) -> Result<Vec<Record>> {
    if set.is_special() {
        return Ok(Vec::new());
    }
    let rtype = RecordType::parse(&set.rtype);
    let name = names::relative_to(&set.name, domain).unwrap_or_default();
    set.values
        .iter()
        .filter(|v| rtype != RecordType::Soa || rdata::from_value(&rtype, v).is_ok())
        .map(|v| {
            let data = rdata::from_value(&rtype, v)?;
            let mut r = Record::new(rdata::record_id(&set.name, &data)?, zone_id, &name, data);
            r.ttl = set.ttl;
            Ok(r)
        })
        .collect()
}
