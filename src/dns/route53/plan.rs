//! The decisions between the model's one-value records and Route53's record sets: which
//! change batch creates, updates or deletes one value, and how a page of sets becomes a
//! page of records with a continuation token that can stop inside a set. Pure.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::rdata::{from_value, record_id, to_value};
use super::requests::{Action, RecordSet, Start};
use super::responses::records_of;
use super::{DEFAULT_TTL, PROVIDER};
use crate::dns::{NewRecord, Record, RecordData, RecordType, names};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::Page;

/// A change batch: what to send, in order.
pub type Batch = Vec<(Action, RecordSet)>;

/// The simple set of `name`'s `rtype` among `sets` (alias and routing-policy sets are not
/// edited by this driver).
pub fn find_set(sets: Vec<RecordSet>, fqdn: &str, rtype: &RecordType) -> Option<RecordSet> {
    sets.into_iter()
        .find(|s| s.name == fqdn && s.rtype == rtype.as_str() && !s.is_special())
}

/// Whether `set` holds `data` (compared as data, not as text).
fn holds(set: &RecordSet, data: &RecordData) -> bool {
    position(set, data).is_some()
}

fn position(set: &RecordSet, data: &RecordData) -> Option<usize> {
    let rtype = RecordType::parse(&set.rtype);
    set.values
        .iter()
        .position(|v| from_value(&rtype, v).is_ok_and(|d| d == *data))
}

/// A copy of `set` to send (not echoing the element Route53 sent).
fn edited(set: &RecordSet, ttl: Option<u32>) -> RecordSet {
    let mut s = RecordSet::new(
        &set.name,
        &set.rtype,
        ttl.or(set.ttl).unwrap_or(DEFAULT_TTL),
    );
    s.values = set.values.clone();
    s
}

/// The absolute name of `record` in the zone of `domain`, checked.
pub fn fqdn_of(record: &NewRecord, domain: &str) -> Result<String> {
    Ok(names::absolute(&names::relative(&record.name)?, domain))
}

/// Adds `data` at `fqdn` to `existing` (its set of that name and type, if any): CREATE of a
/// new set, or UPSERT of the set with the value added (its TTL the new one when given).
/// `AlreadyExists` when the set holds the value.
pub fn create(
    existing: Option<&RecordSet>,
    fqdn: &str,
    data: &RecordData,
    ttl: Option<u32>,
) -> Result<Batch> {
    let value = to_value(data)?;
    match existing {
        Some(set) if holds(set, data) => Err(already(fqdn, data)),
        Some(set) => {
            let mut s = edited(set, ttl);
            s.values.push(value);
            Ok(vec![(Action::Upsert, s)])
        }
        None => {
            let mut s = RecordSet::new(
                fqdn,
                data.record_type().as_str(),
                ttl.unwrap_or(DEFAULT_TTL),
            );
            s.values.push(value);
            Ok(vec![(Action::Create, s)])
        }
    }
}

/// Takes `data` out of `set`: DELETE of the set when it was its last value (echoing the
/// set as Route53 sent it), else UPSERT without it. `NotFound` when it is not there.
pub fn delete(set: &RecordSet, data: &RecordData) -> Result<Batch> {
    let at = position(set, data).ok_or_else(|| not_found(&set.name, data))?;
    if set.values.len() == 1 {
        return Ok(vec![(Action::Delete, set.clone())]);
    }
    let mut s = edited(set, None);
    s.values.remove(at);
    Ok(vec![(Action::Upsert, s)])
}

/// Replaces `old` in `set` by `new` at `fqdn` (the same name, or another one whose set is
/// `target`), with TTL `ttl`. One batch, applied together or not at all.
pub fn update(
    set: &RecordSet,
    old: &RecordData,
    target: Option<&RecordSet>,
    fqdn: &str,
    new: &RecordData,
    ttl: Option<u32>,
) -> Result<Batch> {
    if old.record_type() != new.record_type() {
        return Err(Error::invalid(format!(
            "a record's type cannot change ({} to {})",
            old.record_type(),
            new.record_type()
        )));
    }
    let at = position(set, old).ok_or_else(|| not_found(&set.name, old))?;
    if fqdn == set.name {
        if old != new && holds(set, new) {
            return Err(already(fqdn, new));
        }
        let mut s = edited(set, ttl);
        s.values[at] = to_value(new)?;
        return Ok(vec![(Action::Upsert, s)]);
    }
    let mut batch = delete(set, old)?;
    batch.extend(create(target, fqdn, new, ttl)?);
    Ok(batch)
}

/// The record `data` at `fqdn` is after `batch` was accepted as change `change`.
pub fn record_after(
    batch: &Batch,
    zone: (&str, &str),
    fqdn: &str,
    data: &RecordData,
    change: String,
) -> Result<Record> {
    let (zone_id, domain) = zone;
    let ttl = batch
        .iter()
        .find(|(a, s)| *a != Action::Delete && s.name == fqdn)
        .and_then(|(_, s)| s.ttl);
    let name = names::relative_to(fqdn, domain).unwrap_or_default();
    let mut r = Record::new(record_id(fqdn, data)?, zone_id, name, data.clone());
    r.ttl = ttl;
    r.change = Some(change);
    Ok(r)
}

/// A records-page token: where the listing goes on (a set) and how many of that set's
/// values were already given.
pub fn token(start: &Start, skip: usize) -> String {
    let text = format!(
        "{}\n{}\n{}\n{skip}",
        start.name,
        start.rtype.as_deref().unwrap_or(""),
        start.identifier.as_deref().unwrap_or("")
    );
    URL_SAFE_NO_PAD.encode(text)
}

/// What a [`token`] says; `InvalidInput` for one this driver never made.
pub fn parse_token(token: &str) -> Result<(Start, usize)> {
    let bad = || Error::invalid("not a Route53 records-page token").with_provider(PROVIDER);
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('\n').collect();
    let [name, rtype, identifier, skip] = parts.as_slice() else {
        return Err(bad());
    };
    let name = names::relative(name).map_err(|_| bad())?;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let start = Start {
        name,
        rtype: opt(rtype),
        identifier: opt(identifier),
    };
    Ok((start, skip.parse().map_err(|_| bad())?))
}

/// A page of at most `max` records from `sets` (a listing from `from`, `skip` values of
/// its first set already given), going on at `next` (Route53's) or inside a set cut short.
pub fn records_page(
    sets: &[RecordSet],
    from: Option<(&Start, usize)>,
    next: Option<Start>,
    max: usize,
    zone: (&str, &str),
) -> Result<Page<Record>> {
    let (zone_id, domain) = zone;
    let mut items = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let mut records = records_of(set, zone_id, domain)?;
        let total = records.len();
        let skip = match from {
            Some((start, skip)) if i == 0 && starts_at(set, start) => skip.min(records.len()),
            _ => 0,
        };
        records.drain(..skip);
        let room = max.saturating_sub(items.len());
        if records.len() > room {
            items.extend(records.drain(..room));
            let here = Start {
                name: set.name.clone(),
                rtype: Some(set.rtype.clone()),
                identifier: set.identifier.clone(),
            };
            return Ok(Page {
                items,
                next_token: Some(token(&here, total - records.len())),
            });
        }
        items.extend(records);
    }
    Ok(Page {
        items,
        next_token: next.map(|n| token(&n, 0)),
    })
}

fn starts_at(set: &RecordSet, start: &Start) -> bool {
    set.name == start.name
        && start.rtype.as_deref().is_none_or(|t| t == set.rtype)
        && set.identifier == start.identifier
}

fn already(fqdn: &str, data: &RecordData) -> Error {
    Error::new(
        ErrorKind::AlreadyExists,
        format!("{fqdn:.120} already has this {} value", data.record_type()),
    )
    .with_provider(PROVIDER)
}

fn not_found(fqdn: &str, data: &RecordData) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("{fqdn:.120} has no such {} value", data.record_type()),
    )
    .with_provider(PROVIDER)
}
