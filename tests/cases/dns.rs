// The DNS conformance cases. Included by `tests/dns.rs` once per mode, inside a module
// that provides `mc` (the mode module), `maybe_async`, `mode_test` and `drain`.

use std::time::Duration;

use mc::dns::{DnsDriver, MemoryDns, copy_zone, export_zone, import_zone};
use multicloud::ErrorKind;
use multicloud::dns::{NewRecord, NewZone, Record, RecordData, RecordType};

/// Generates one test per case for one driver: `$module::$case`.
macro_rules! dns_cases {
    ($module:ident, $fixture:expr; $($case:ident),* $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[maybe_async]
                #[mode_test]
                async fn $case() {
                    let fixture = $fixture;
                    super::$case(&fixture).await;
                }
            )*
        }
    };
}

/// A driver and what its provider offers: the record types it stores (beyond A, AAAA,
/// CNAME, MX, TXT, which every provider has).
struct Fixture<D> {
    d: D,
    types: &'static [&'static str],
}

fn memory() -> Fixture<MemoryDns> {
    let types = &["NS", "SRV", "CAA", "PTR", "SPF"];
    Fixture {
        d: MemoryDns::new(),
        types,
    }
}

dns_cases!(memory, memory();
    zones_are_created_found_listed_and_deleted,
    records_of_every_type_round_trip,
    records_are_updated_and_deleted,
    records_are_listed_in_pages_lazily_and_whole,
    bad_input_and_missing_things_are_typed_errors,
    deleting_a_zone_deletes_its_records,
    zones_move_through_zone_files_and_copies,
);

/// Cloudflare on the in-process fake, a fresh one per test (no SPF; SOA and apex NS are
/// never listed).
fn cloudflare() -> Fixture<mc::dns::Cloudflare> {
    use crate::common::cloudflare_fake::{ACCOUNT, CfFake};
    let fake = CfFake::start("cf-conformance-token");
    let cfg = multicloud::dns::cloudflare::CloudflareConfig::builder()
        .token("cf-conformance-token")
        .account_id(ACCOUNT)
        .endpoint(fake.api())
        .build()
        .unwrap();
    Fixture {
        d: mc::dns::Cloudflare::new(cfg).unwrap(),
        types: &["NS", "SRV", "CAA", "PTR"],
    }
}

dns_cases!(cloudflare, cloudflare();
    zones_are_created_found_listed_and_deleted,
    records_of_every_type_round_trip,
    records_are_updated_and_deleted,
    records_are_listed_in_pages_lazily_and_whole,
    bad_input_and_missing_things_are_typed_errors,
    deleting_a_zone_deletes_its_records,
    zones_move_through_zone_files_and_copies,
);

/// DigitalOcean DNS on the in-process fake, a fresh one per test (no PTR or SPF).
fn digitalocean() -> Fixture<mc::dns::DigitalOceanDns> {
    let token = "dop_v1_dns_conformance";
    let fake = crate::common::digitalocean_fake::DoFake::start(token);
    let config = multicloud::compute::digitalocean::DoConfig::builder()
        .token(token)
        .endpoint(fake.url())
        .build()
        .unwrap();
    Fixture {
        d: mc::dns::DigitalOceanDns::new(config).unwrap(),
        types: &["NS", "SRV", "CAA"],
    }
}

dns_cases!(digitalocean, digitalocean();
    zones_are_created_found_listed_and_deleted,
    records_of_every_type_round_trip,
    records_are_updated_and_deleted,
    records_are_listed_in_pages_lazily_and_whole,
    bad_input_and_missing_things_are_typed_errors,
    deleting_a_zone_deletes_its_records,
    zones_move_through_zone_files_and_copies,
);

/// Route53 on moto, in an AWS account of its own per test (moto keeps one Route53 state
/// per account; the keys its STS hands out sign as the role's account), so other tests'
/// zones never show in a listing.
fn route53() -> Fixture<mc::dns::Route53> {
    Fixture {
        d: mc::dns::Route53::new(route53_config()).unwrap(),
        types: &["NS", "SRV", "CAA", "PTR", "SPF"],
    }
}

/// A Route53 configuration for moto, signing as a role in a fresh account.
fn route53_config() -> multicloud::dns::route53::Route53Config {
    let account = crate::common::ec2env::fresh_account();
    let role = multicloud::aws::AssumeRole {
        role_arn: format!("arn:aws:iam::{account}:role/multicloud-test"),
        session_name: "multicloud-test".into(),
        external_id: None,
        source: multicloud::credentials::Credentials::new("AKIDMULTICLOUDTEST", "moto"),
        sts_endpoint: crate::common::s3env::moto(),
        region: "us-east-1".into(),
    };
    multicloud::dns::route53::Route53Config::builder()
        .endpoint(crate::common::s3env::moto())
        .credential_source(multicloud::aws::Source::AssumeRole(role))
        .build()
        .unwrap()
}

dns_cases!(route53, route53();
    zones_are_created_found_listed_and_deleted,
    records_of_every_type_round_trip,
    records_are_updated_and_deleted,
    records_are_listed_in_pages_lazily_and_whole,
    bad_input_and_missing_things_are_typed_errors,
    deleting_a_zone_deletes_its_records,
    zones_move_through_zone_files_and_copies,
);

/// The run-time choice: every case through `AnyDns`, over each provider.
fn any<D: Into<mc::dns::AnyDns>>(f: Fixture<D>) -> Fixture<mc::dns::AnyDns> {
    let Fixture { d, types } = f;
    Fixture { d: d.into(), types }
}

fn any_route53() -> Fixture<mc::dns::AnyDns> {
    any(route53())
}

fn any_digitalocean() -> Fixture<mc::dns::AnyDns> {
    any(digitalocean())
}

fn any_cloudflare() -> Fixture<mc::dns::AnyDns> {
    any(cloudflare())
}

dns_cases!(any_route53, any_route53();
    records_of_every_type_round_trip,
    records_are_updated_and_deleted,
    zones_move_through_zone_files_and_copies,
);

dns_cases!(any_digitalocean, any_digitalocean();
    records_of_every_type_round_trip,
    records_are_updated_and_deleted,
    zones_move_through_zone_files_and_copies,
);

dns_cases!(any_cloudflare, any_cloudflare();
    records_of_every_type_round_trip,
    records_are_updated_and_deleted,
    zones_move_through_zone_files_and_copies,
);

/// DNS URLs choose the driver at run time; bad ones are typed errors.
#[maybe_async]
#[mode_test]
async fn dns_urls_choose_the_driver() {
    let dns = mc::dns::AnyDns::from_url("memory://").unwrap();
    assert_eq!(dns.provider(), multicloud::registry::DnsProvider::Memory);
    let zones = dns.list_zones().await.unwrap();
    assert!(zones.is_empty());
    for bad in ["bind://", "route53://?token=HUNTER2", "cloudflare://host"] {
        let e = mc::dns::AnyDns::from_url(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        assert!(!e.to_string().contains("HUNTER2"), "{e}");
    }
}

/// A domain no other test (or test process) uses.
fn unique_domain() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    format!(
        "t{}-{n}-{}.example.com",
        std::process::id(),
        fastrand::u32(..10_000)
    )
}

fn a(ip: &str) -> RecordData {
    RecordData::A(ip.parse().unwrap())
}

/// Waits for a record's change where the provider applies changes later (Route53).
#[maybe_async]
async fn synced<D: DnsDriver>(d: &D, r: &Record) {
    if let Some(change) = &r.change {
        let minute = Duration::from_secs(60);
        d.wait_until_synced(change, minute, None).await.unwrap();
    }
}

/// Records that are not the provider's own (SOA, apex NS).
fn ours(records: Vec<Record>) -> Vec<Record> {
    records
        .into_iter()
        .filter(|r| {
            !matches!(r.record_type(), RecordType::Soa | RecordType::Ns) || !r.name.is_empty()
        })
        .collect()
}

#[maybe_async]
async fn zones_are_created_found_listed_and_deleted<D: DnsDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let domain = unique_domain();
    let zone = d.create_zone(&NewZone::new(&domain)).await.unwrap();
    assert_eq!(zone.domain, domain);
    let again = d.create_zone(&NewZone::new(&domain)).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::AlreadyExists, "{again}");
    let found = d
        .find_zone(&format!("{}.", domain.to_uppercase()))
        .await
        .unwrap();
    assert_eq!(found.id, zone.id);
    let got = d.get_zone(&zone.id).await.unwrap();
    assert_eq!(got.domain, domain);
    let lazily = drain(d.iterate_zones()).await;
    assert!(
        lazily
            .iter()
            .any(|z| z.as_ref().is_ok_and(|z| z.id == zone.id))
    );
    d.delete_zone(&zone.id).await.unwrap();
    let gone = d.get_zone(&zone.id).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
    let missing = d.find_zone(&domain).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
}

/// Every type the provider offers, created, read back equal and listed.
fn every_type(f_types: &[&str], domain: &str) -> Vec<NewRecord> {
    let mut all = vec![
        NewRecord::new("www", a("192.0.2.10")).ttl(300),
        NewRecord::new("v6", RecordData::Aaaa("2001:db8::1".parse().unwrap())).ttl(300),
        NewRecord::new("alias", RecordData::Cname(format!("www.{domain}"))).ttl(300),
        NewRecord::new(
            "",
            RecordData::Mx {
                priority: 10,
                exchange: format!("mail.{domain}"),
            },
        )
        .ttl(300),
        NewRecord::new("", RecordData::Txt("v=spf1 -all".into())).ttl(300),
        NewRecord::new(
            "note",
            RecordData::Txt("a \"quoted\" text; with semicolons".into()),
        )
        .ttl(300),
    ];
    let optional = [
        (
            "NS",
            NewRecord::new("sub", RecordData::Ns("ns1.example.net".into())),
        ),
        (
            "SRV",
            NewRecord::new(
                "_sip._tcp",
                RecordData::Srv {
                    priority: 10,
                    weight: 5,
                    port: 5060,
                    target: format!("sip.{domain}"),
                },
            ),
        ),
        (
            "CAA",
            NewRecord::new(
                "",
                RecordData::Caa {
                    flags: 0,
                    tag: "issue".into(),
                    value: "letsencrypt.org".into(),
                },
            ),
        ),
        (
            "PTR",
            NewRecord::new("7", RecordData::Ptr(format!("host.{domain}"))),
        ),
        (
            "SPF",
            NewRecord::new("spf", RecordData::Spf("v=spf1 mx -all".into())),
        ),
    ];
    for (t, r) in optional {
        if f_types.contains(&t) {
            all.push(r.ttl(300));
        }
    }
    all
}

#[maybe_async]
async fn records_of_every_type_round_trip<D: DnsDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let domain = unique_domain();
    let zone = d.create_zone(&NewZone::new(&domain)).await.unwrap();
    let wanted = every_type(f.types, &domain);
    for spec in &wanted {
        let r = d.create_record(&zone.id, spec).await.unwrap();
        assert_eq!(
            (&r.name, &r.data, r.ttl),
            (&spec.name, &spec.data, spec.ttl),
            "{r:?}"
        );
        synced(d, &r).await;
        let got = d.get_record(&zone.id, &r.id).await.unwrap();
        assert_eq!((&got.name, &got.data), (&spec.name, &spec.data));
    }
    let listed = ours(d.list_records(&zone.id).await.unwrap());
    for spec in &wanted {
        let here = listed
            .iter()
            .any(|r| r.name == spec.name && r.data == spec.data);
        assert!(here, "{spec:?} not listed in {listed:#?}");
    }
    assert_eq!(listed.len(), wanted.len(), "{listed:#?}");
    d.delete_zone(&zone.id).await.unwrap();
}

#[maybe_async]
async fn records_are_updated_and_deleted<D: DnsDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let zone = d.create_zone(&NewZone::new(unique_domain())).await.unwrap();
    let r = d
        .create_record(&zone.id, &NewRecord::new("api", a("192.0.2.1")).ttl(300))
        .await
        .unwrap();
    let changed = NewRecord::new("api", a("192.0.2.2")).ttl(600);
    let u = d.update_record(&zone.id, &r.id, &changed).await.unwrap();
    assert_eq!((u.ttl, &u.data), (Some(600), &changed.data));
    synced(d, &u).await;
    let got = d.get_record(&zone.id, &u.id).await.unwrap();
    assert_eq!((got.ttl, &got.data), (Some(600), &changed.data));
    let retyped = NewRecord::new("api", RecordData::Txt("x".into()));
    let e = d
        .update_record(&zone.id, &u.id, &retyped)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    d.delete_record(&zone.id, &u.id).await.unwrap();
    let gone = d.get_record(&zone.id, &u.id).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
    let again = d.delete_record(&zone.id, &u.id).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::NotFound, "{again}");
    d.delete_zone(&zone.id).await.unwrap();
}

#[maybe_async]
async fn records_are_listed_in_pages_lazily_and_whole<D: DnsDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let zone = d.create_zone(&NewZone::new(unique_domain())).await.unwrap();
    for i in 0..7 {
        let spec = NewRecord::new(format!("h{i}"), a(&format!("192.0.2.{}", i + 1))).ttl(300);
        d.create_record(&zone.id, &spec).await.unwrap();
    }
    let first = d.list_records_page(&zone.id, None, 5).await.unwrap();
    assert!(
        !first.items.is_empty() && first.items.len() <= 5,
        "{}",
        first.items.len()
    );
    let token = first.next_token.clone().expect("more pages");
    let second = d
        .list_records_page(&zone.id, Some(&token), 5)
        .await
        .unwrap();
    assert!(
        second
            .items
            .iter()
            .all(|r| first.items.iter().all(|s| s.id != r.id))
    );
    let lazily = drain(d.iterate_records(&zone.id)).await;
    let whole = d.list_records(&zone.id).await.unwrap();
    assert_eq!(lazily.len(), whole.len());
    let mut names: Vec<String> = ours(whole).into_iter().map(|r| r.name).collect();
    names.sort();
    assert_eq!(names, ["h0", "h1", "h2", "h3", "h4", "h5", "h6"]);
    d.delete_zone(&zone.id).await.unwrap();
}

#[maybe_async]
async fn bad_input_and_missing_things_are_typed_errors<D: DnsDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let e = d
        .create_zone(&NewZone::new("not a domain"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let zone = d.create_zone(&NewZone::new(unique_domain())).await.unwrap();
    let www = NewRecord::new("www", a("192.0.2.9")).ttl(300);
    let r = d.create_record(&zone.id, &www).await.unwrap();
    synced(d, &r).await;
    let dup = d.create_record(&zone.id, &www).await.unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists, "{dup}");
    let bad = NewRecord::new("bad name!", a("192.0.2.9"));
    let e = d.create_record(&zone.id, &bad).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = d.get_record(&zone.id, "no-such-record").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    d.delete_zone(&zone.id).await.unwrap();
    let e = d.list_records(&zone.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = d.create_record(&zone.id, &www).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[maybe_async]
async fn deleting_a_zone_deletes_its_records<D: DnsDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let domain = unique_domain();
    let zone = d.create_zone(&NewZone::new(&domain)).await.unwrap();
    for spec in every_type(f.types, &domain) {
        d.create_record(&zone.id, &spec).await.unwrap();
    }
    d.delete_zone(&zone.id).await.unwrap();
    let e = d.get_zone(&zone.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let again = d.create_zone(&NewZone::new(&domain)).await.unwrap();
    let fresh = ours(d.list_records(&again.id).await.unwrap());
    assert!(
        fresh.is_empty(),
        "a new zone of the same domain starts empty: {fresh:#?}"
    );
    d.delete_zone(&again.id).await.unwrap();
}

/// Name and data of the records that are not the provider's own, sorted: what a zone
/// move must keep.
fn contents(records: Vec<Record>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ours(records)
        .into_iter()
        .map(|r| (r.name, format!("{:?}", r.data)))
        .collect();
    v.sort();
    v
}

/// Libcloud's zone export, and the import and copy it lacks: every record type goes out
/// to a zone file and into another provider (memory), then back by copy; each move run
/// twice changes nothing the second time.
#[maybe_async]
async fn zones_move_through_zone_files_and_copies<D: DnsDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let domain = unique_domain();
    let zone = d.create_zone(&NewZone::new(&domain)).await.unwrap();
    for spec in every_type(f.types, &domain) {
        let r = d.create_record(&zone.id, &spec).await.unwrap();
        synced(d, &r).await;
    }
    let original = contents(d.list_records(&zone.id).await.unwrap());
    let text = export_zone(d, &zone.id).await.unwrap();
    assert!(text.starts_with(&format!("$ORIGIN {domain}.")), "{text}");
    let other = MemoryDns::new();
    let imported = import_zone(&other, &domain, &text).await.unwrap();
    assert_eq!(imported.created, original.len(), "{text}");
    let again = import_zone(&other, &domain, &text).await.unwrap();
    assert_eq!((again.created, again.unchanged), (0, original.len()));
    let there = contents(other.list_records(&imported.zone.id).await.unwrap());
    assert_eq!(there, original, "{text}");
    d.delete_zone(&zone.id).await.unwrap();
    let back = copy_zone(&other, &imported.zone.id, d).await.unwrap();
    assert_eq!(
        (back.created, back.zone.domain.as_str()),
        (original.len(), domain.as_str())
    );
    let twice = copy_zone(&other, &imported.zone.id, d).await.unwrap();
    assert_eq!((twice.created, twice.unchanged), (0, original.len()));
    let home = contents(d.list_records(&back.zone.id).await.unwrap());
    assert_eq!(home, original);
    d.delete_zone(&back.zone.id).await.unwrap();
}
