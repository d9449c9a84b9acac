//! Moving zones: export to a zone file, import from one, copy between providers. Each
//! finds or creates the target zone, then creates only what is missing
//! ([`sync_plan`](crate::dns::sync_plan)), so running it twice changes nothing.

use super::DnsDriver;
use super::rt::maybe_async;
use crate::dns::sync_plan::{self, SyncReport};
use crate::dns::{NewRecord, NewZone, Zone, names, zonefile};
use crate::error::{ErrorKind, Result};

/// The zone file (BIND format) of zone `zone_id`, every record included.
#[maybe_async]
pub async fn export_zone<D: DnsDriver>(d: &D, zone_id: &str) -> Result<String> {
    let zone = d.get_zone(zone_id).await?;
    let records = d.list_records(zone_id).await?;
    Ok(zonefile::export(&zone.domain, &records))
}

/// Reads a zone file for `domain` into `d`: the zone is found or created, then the
/// records it lacks are created (the SOA and apex NS are left to the provider).
#[maybe_async]
pub async fn import_zone<D: DnsDriver>(d: &D, domain: &str, text: &str) -> Result<SyncReport> {
    let wanted = zonefile::import(text, domain)?;
    apply(d, domain, &wanted).await
}

/// Copies zone `zone_id` of `from` into `to` (the same domain), creating the zone there if
/// it has none; records `to` already holds are left alone.
#[maybe_async]
pub async fn copy_zone<S: DnsDriver, T: DnsDriver>(
    from: &S,
    zone_id: &str,
    to: &T,
) -> Result<SyncReport> {
    let zone = from.get_zone(zone_id).await?;
    let records = from.list_records(zone_id).await?;
    let wanted: Vec<NewRecord> = records.iter().map(|r| r.to_new()).collect();
    apply(to, &zone.domain, &wanted).await
}

/// Brings the zone of `domain` in `d` to hold `wanted`.
#[maybe_async]
async fn apply<D: DnsDriver>(d: &D, domain: &str, wanted: &[NewRecord]) -> Result<SyncReport> {
    let zone = zone_for(d, domain).await?;
    let existing = d.list_records(&zone.id).await?;
    let plan = sync_plan::plan(wanted, &existing);
    for r in &plan.create {
        d.create_record(&zone.id, r).await?;
    }
    for (id, r) in &plan.update {
        d.update_record(&zone.id, id, r).await?;
    }
    Ok(SyncReport {
        zone,
        created: plan.create.len(),
        updated: plan.update.len(),
        unchanged: plan.unchanged,
        skipped: plan.skipped,
    })
}

/// The zone of `domain` in `d`, created when there is none.
#[maybe_async]
async fn zone_for<D: DnsDriver>(d: &D, domain: &str) -> Result<Zone> {
    let domain = names::domain(domain)?;
    match d.find_zone(&domain).await {
        Err(e) if e.kind() == ErrorKind::NotFound => d.create_zone(&NewZone::new(domain)).await,
        other => other,
    }
}
