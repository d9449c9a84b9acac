//! What bringing a zone to a wanted set of records takes (a zone copied from another
//! provider, a zone file imported): the pure decision, run by the drivers' `copy_zone` and
//! `import_zone`. Records the provider manages itself (the SOA, the apex NS) are never
//! copied; records already there are left alone, so running it twice changes nothing.

use super::{NewRecord, Record, RecordType};

/// The changes a zone needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncPlan {
    /// Records to create.
    pub create: Vec<NewRecord>,
    /// Records there with the wanted data but another TTL: their id and what they become.
    pub update: Vec<(String, NewRecord)>,
    /// Wanted records already there as wanted.
    pub unchanged: usize,
    /// Wanted records left out because the provider manages them (SOA, apex NS).
    pub skipped: usize,
}

/// What a zone copy or import did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// The zone written to (found, or created).
    pub zone: super::Zone,
    /// Records created.
    pub created: usize,
    /// Records whose TTL was changed.
    pub updated: usize,
    /// Records already there as wanted.
    pub unchanged: usize,
    /// Records left to the provider (SOA, apex NS).
    pub skipped: usize,
}

/// Whether the provider makes and manages this record itself.
pub fn provider_managed(name: &str, rtype: &RecordType) -> bool {
    *rtype == RecordType::Soa || (*rtype == RecordType::Ns && name.is_empty())
}

/// The plan that brings `existing` to hold every record of `wanted` (extra records in the
/// zone are kept).
pub fn plan(wanted: &[NewRecord], existing: &[Record]) -> SyncPlan {
    let mut p = SyncPlan::default();
    for w in wanted {
        if provider_managed(&w.name, &w.data.record_type()) {
            p.skipped += 1;
            continue;
        }
        let same = existing
            .iter()
            .find(|r| r.name == w.name && r.data == w.data);
        match same {
            None => p.create.push(w.clone()),
            Some(r) if w.ttl.is_some() && r.ttl != w.ttl => {
                p.update.push((r.id.clone(), w.clone()))
            }
            Some(_) => p.unchanged += 1,
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::RecordData;

    fn a(ip: &str) -> RecordData {
        RecordData::A(ip.parse().unwrap())
    }

    #[test]
    fn creates_what_is_missing_updates_ttls_and_skips_the_providers_own() {
        let wanted = vec![
            NewRecord::new("", RecordData::Ns("ns1.other.net".into())),
            NewRecord::new("www", a("192.0.2.1")).ttl(300),
            NewRecord::new("api", a("192.0.2.2")).ttl(60),
            NewRecord::new("db", a("192.0.2.3")).ttl(60),
            NewRecord::new("sub", RecordData::Ns("ns1.other.net".into())).ttl(60),
        ];
        let mut www = Record::new("1", "z", "www", a("192.0.2.1"));
        www.ttl = Some(300);
        let mut api = Record::new("2", "z", "api", a("192.0.2.2"));
        api.ttl = Some(3600);
        let p = plan(&wanted, &[www, api]);
        assert_eq!((p.skipped, p.unchanged), (1, 1));
        assert_eq!(p.update.len(), 1);
        assert_eq!(p.update[0].0, "2");
        let names: Vec<&str> = p.create.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["db", "sub"]);
    }
}
