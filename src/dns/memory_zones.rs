//! The `MemoryDns` driver's data (no lock, no I/O): zones and records in memory. As real
//! providers do, a new zone gets an SOA and two NS records at its apex, which a zone copy
//! must know to skip. The shell wraps it in a lock.

use std::collections::BTreeMap;

use super::{NewRecord, NewZone, Record, RecordData, Zone, names};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::Page;

/// The name servers of every memory zone.
pub const NAME_SERVERS: [&str; 2] = ["ns1.memory.invalid", "ns2.memory.invalid"];

/// Zones and their records, ids counted from 1.
#[derive(Debug, Default)]
pub struct MemoryZones {
    zones: BTreeMap<String, Zone>,
    records: BTreeMap<String, Record>,
    next_id: u64,
}

fn error(kind: ErrorKind, message: String) -> Error {
    Error::new(kind, message).with_provider("memory")
}

fn not_found(what: &str, id: &str) -> Error {
    error(
        ErrorKind::NotFound,
        format!("{what} {id:.80?} does not exist"),
    )
}

impl MemoryZones {
    fn next(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:06}", self.next_id)
    }

    /// One page of zones after `token` (the last id of the page before).
    pub fn zones_page(&self, token: Option<&str>, max: usize) -> Page<Zone> {
        page(&self.zones, token, max, |_| true)
    }

    /// A zone by id.
    pub fn zone(&self, id: &str) -> Result<Zone> {
        self.zones
            .get(id)
            .cloned()
            .ok_or_else(|| not_found("zone", id))
    }

    /// Creates a zone with its SOA and NS records.
    pub fn create_zone(&mut self, spec: &NewZone) -> Result<Zone> {
        let domain = names::domain(&spec.domain)?;
        if self.zones.values().any(|z| z.domain == domain) {
            let message = format!("a zone for {domain:?} exists already");
            return Err(error(ErrorKind::AlreadyExists, message));
        }
        let mut zone = Zone::new(self.next("zone"), &domain);
        zone.ttl = spec.ttl;
        zone.extra = spec.extra.clone();
        self.zones.insert(zone.id.clone(), zone.clone());
        for data in apex_records(&domain) {
            self.create_record(&zone.id, &NewRecord::new("", data).ttl(3600))?;
        }
        Ok(zone)
    }

    /// Deletes a zone and its records.
    pub fn delete_zone(&mut self, id: &str) -> Result<()> {
        self.zones.remove(id).ok_or_else(|| not_found("zone", id))?;
        self.records.retain(|_, r| r.zone_id != id);
        Ok(())
    }

    /// One page of a zone's records.
    pub fn records_page(
        &self,
        zone: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Record>> {
        self.zone(zone)?;
        Ok(page(&self.records, token, max, |r| r.zone_id == zone))
    }

    /// A record by id.
    pub fn record(&self, zone: &str, id: &str) -> Result<Record> {
        self.zone(zone)?;
        let r = self.records.get(id).filter(|r| r.zone_id == zone);
        r.cloned().ok_or_else(|| not_found("record", id))
    }

    /// Creates a record; the same value at the same name is `AlreadyExists`.
    pub fn create_record(&mut self, zone: &str, spec: &NewRecord) -> Result<Record> {
        self.zone(zone)?;
        let name = names::relative(&spec.name)?;
        self.refuse_duplicate(zone, &name, &spec.data, None)?;
        let mut r = Record::new(self.next("rec"), zone, name, spec.data.clone());
        r.ttl = spec.ttl;
        self.records.insert(r.id.clone(), r.clone());
        Ok(r)
    }

    /// Replaces a record's name, TTL and data; its type cannot change.
    pub fn update_record(&mut self, zone: &str, id: &str, spec: &NewRecord) -> Result<Record> {
        let old = self.record(zone, id)?;
        if old.record_type() != spec.data.record_type() {
            let message = format!(
                "record {id:?} is {}, not {}",
                old.record_type(),
                spec.data.record_type()
            );
            return Err(error(ErrorKind::InvalidInput, message));
        }
        let name = names::relative(&spec.name)?;
        self.refuse_duplicate(zone, &name, &spec.data, Some(id))?;
        let r = self
            .records
            .get_mut(id)
            .ok_or_else(|| not_found("record", id))?;
        (r.name, r.ttl, r.data) = (name, spec.ttl, spec.data.clone());
        Ok(r.clone())
    }

    /// Deletes a record.
    pub fn delete_record(&mut self, zone: &str, id: &str) -> Result<()> {
        self.record(zone, id)?;
        self.records.remove(id);
        Ok(())
    }

    fn refuse_duplicate(
        &self,
        zone: &str,
        name: &str,
        data: &RecordData,
        except: Option<&str>,
    ) -> Result<()> {
        let same = |r: &&Record| {
            r.zone_id == zone && r.name == name && &r.data == data && Some(r.id.as_str()) != except
        };
        match self.records.values().find(same) {
            Some(r) => Err(error(
                ErrorKind::AlreadyExists,
                format!(
                    "{} {name:?} holds that value already ({})",
                    r.record_type(),
                    r.id
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The SOA and NS records a new zone starts with.
fn apex_records(domain: &str) -> Vec<RecordData> {
    let soa = RecordData::Soa {
        mname: NAME_SERVERS[0].into(),
        rname: format!("hostmaster.{domain}"),
        serial: 1,
        refresh: 7200,
        retry: 900,
        expire: 1_209_600,
        minimum: 86_400,
    };
    let ns = NAME_SERVERS.iter().map(|n| RecordData::Ns((*n).into()));
    std::iter::once(soa).chain(ns).collect()
}

/// Up to `max` items of `map` after `token` that `keep` accepts; the last id is the token.
fn page<T: Clone>(
    map: &BTreeMap<String, T>,
    token: Option<&str>,
    max: usize,
    keep: impl Fn(&T) -> bool,
) -> Page<T> {
    let after = |k: &&String| token.is_none_or(|t| k.as_str() > t);
    let mut found = map.iter().filter(|(k, v)| after(k) && keep(v));
    let items: Vec<(&String, &T)> = found.by_ref().take(max.max(1)).collect();
    let more = found.next().is_some();
    Page {
        next_token: items.last().filter(|_| more).map(|(k, _)| (*k).clone()),
        items: items.into_iter().map(|(_, v)| v.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(ip: &str) -> RecordData {
        RecordData::A(ip.parse().unwrap())
    }

    #[test]
    fn zones_start_with_soa_and_ns_and_refuse_duplicates() {
        let mut m = MemoryZones::default();
        let z = m.create_zone(&NewZone::new("Example.com.")).unwrap();
        assert_eq!(z.domain, "example.com");
        let apex = m.records_page(&z.id, None, 10).unwrap().items;
        assert_eq!(apex.len(), 3);
        let again = m.create_zone(&NewZone::new("example.com")).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::AlreadyExists);
        let www = NewRecord::new("www", a("192.0.2.1"));
        let r = m.create_record(&z.id, &www).unwrap();
        let dup = m.create_record(&z.id, &www).unwrap_err();
        assert_eq!(dup.kind(), ErrorKind::AlreadyExists);
        let other = NewRecord::new("www", RecordData::Txt("x".into()));
        let e = m.update_record(&z.id, &r.id, &other).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let moved = m
            .update_record(&z.id, &r.id, &NewRecord::new("web", a("192.0.2.2")))
            .unwrap();
        assert_eq!(
            (moved.id.as_str(), moved.name.as_str()),
            (r.id.as_str(), "web")
        );
        m.delete_zone(&z.id).unwrap();
        assert_eq!(
            m.record(&z.id, &r.id).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn pages_end_and_stay_in_their_zone() {
        let mut m = MemoryZones::default();
        let z1 = m.create_zone(&NewZone::new("one.test")).unwrap();
        let z2 = m.create_zone(&NewZone::new("two.test")).unwrap();
        let first = m.records_page(&z1.id, None, 2).unwrap();
        let token = first.next_token.clone().unwrap();
        let second = m.records_page(&z1.id, Some(&token), 2).unwrap();
        assert_eq!((first.items.len(), second.items.len()), (2, 1));
        assert!(second.next_token.is_none());
        assert!(second.items.iter().all(|r| r.zone_id == z1.id));
        assert_eq!(m.zones_page(None, 5).items.len(), 2);
        assert!(m.record(&z2.id, &first.items[0].id).is_err());
    }
}
