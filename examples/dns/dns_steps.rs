// The zone-move example's steps, written once: a zone exported from one provider to a BIND
// zone file, imported into another, and the two record sets compared. Included by
// `examples/dns/dns_move_zone.rs` and the DNS tests, inside a module that provides `mc`
// (the mode module) and `maybe_async`.

#[allow(unused_imports)]
use mc::dns::{AnyDns, DnsDriver, export_zone, import_zone};
#[allow(unused_imports)]
use multicloud::Result;
#[allow(unused_imports)]
use multicloud::dns::sync_plan::provider_managed;
#[allow(unused_imports)]
use multicloud::dns::{NewRecord, NewZone, Record, RecordData, Zone};

/// The zone of `domain` in `dns`; when there is none, one is made with a record of every
/// common type, so the example runs on empty emulators. The bool says it was made.
#[allow(dead_code)]
#[maybe_async]
pub async fn demo_zone(dns: &AnyDns, domain: &str) -> Result<(Zone, bool)> {
    if let Ok(zone) = dns.find_zone(domain).await {
        return Ok((zone, false));
    }
    let zone = dns.create_zone(&NewZone::new(domain)).await?;
    for record in demo_records(domain) {
        let made = dns.create_record(&zone.id, &record).await?;
        if let Some(change) = &made.change {
            let minute = std::time::Duration::from_secs(60);
            dns.wait_until_synced(change, minute, None).await?;
        }
    }
    Ok((zone, true))
}

/// A record of every type the providers share.
#[allow(dead_code)]
pub fn demo_records(domain: &str) -> Vec<NewRecord> {
    let v4 = |s: &str| RecordData::A(s.parse().expect("a literal address"));
    let v6 = |s: &str| RecordData::Aaaa(s.parse().expect("a literal address"));
    let mx = RecordData::Mx { priority: 10, exchange: format!("mail.{domain}") };
    let srv = RecordData::Srv { priority: 10, weight: 5, port: 5060, target: format!("sip.{domain}") };
    let caa = RecordData::Caa { flags: 0, tag: "issue".into(), value: "letsencrypt.org".into() };
    vec![
        NewRecord::new("www", v4("192.0.2.10")).ttl(300),
        NewRecord::new("www", v6("2001:db8::10")).ttl(300),
        NewRecord::new("mail", v4("192.0.2.25")).ttl(300),
        NewRecord::new("", mx).ttl(300),
        NewRecord::new("", RecordData::Txt("v=spf1 mx -all".into())).ttl(300),
        NewRecord::new("blog", RecordData::Cname(format!("www.{domain}"))).ttl(300),
        NewRecord::new("_sip._tcp", srv).ttl(300),
        NewRecord::new("", caa).ttl(300),
        NewRecord::new("dev", RecordData::Ns("ns1.example.net".into())).ttl(300),
    ]
}

/// The zone file of `domain` in `from`.
#[allow(dead_code)]
#[maybe_async]
pub async fn export(from: &AnyDns, domain: &str) -> Result<String> {
    let zone = from.find_zone(domain).await?;
    export_zone(from, &zone.id).await
}

/// Imports `text` into `to` and compares the records of `domain` on both sides: the lines
/// only one side has (`-` the source's, `+` the target's); empty when they match.
#[allow(dead_code)]
#[maybe_async]
pub async fn import_and_diff(from: &AnyDns, to: &AnyDns, domain: &str, text: &str) -> Result<Vec<String>> {
    let report = import_zone(to, domain, text).await?;
    println!(
        "  imported into {}: {} created, {} already there, {} left to the provider",
        to.provider_name(),
        report.created,
        report.unchanged,
        report.skipped
    );
    let source = lines(from.list_records(&from.find_zone(domain).await?.id).await?);
    let target = lines(to.list_records(&report.zone.id).await?);
    let only = |a: &[String], b: &[String], mark: char| -> Vec<String> {
        a.iter().filter(|l| !b.contains(l)).map(|l| format!("{mark} {l}")).collect()
    };
    let mut diff = only(&source, &target, '-');
    diff.extend(only(&target, &source, '+'));
    Ok(diff)
}

/// A zone's records as comparable lines, without the provider's own (SOA, apex NS).
#[allow(dead_code)]
fn lines(records: Vec<Record>) -> Vec<String> {
    let mut v: Vec<String> = records
        .into_iter()
        .filter(|r| !provider_managed(&r.name, &r.record_type()))
        .map(|r| format!("{:<10} {:<6} {}", at(&r.name), r.record_type(), text(&r.data)))
        .collect();
    v.sort();
    v
}

#[allow(dead_code)]
fn at(name: &str) -> &str {
    if name.is_empty() { "@" } else { name }
}

#[allow(dead_code)]
fn text(data: &RecordData) -> String {
    multicloud::dns::presentation::to_text(data)
}
