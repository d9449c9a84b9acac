// DigitalOcean DNS's own behaviour, against the in-process fake (a fresh one per test):
// pages by checked links, duplicates and invalid records typed, the SOA read whole, rate
// limits waited out, faults typed, the token kept out of sight. Included by `tests/dns.rs`
// once per mode, inside a module providing `mc`, `maybe_async` and `mode_test`.

use std::time::{Duration, Instant};

use mc::dns::{DigitalOceanDns, DnsDriver};
use multicloud::ErrorKind;
use multicloud::compute::digitalocean::DoConfig;
use multicloud::dns::{NewRecord, NewZone, RecordData, RecordType};
use multicloud::http::TransportConfig;
use multicloud::retry::RetryPolicy;
use serde_json::json;

use crate::common::digitalocean_fake::{DoFake, Fault, Logged};

const TOKEN: &str = "dop_v1_dns_SECRET";

fn driver_with(fake: &DoFake, token: &str, transport: TransportConfig) -> DigitalOceanDns {
    let config = DoConfig::builder()
        .token(token)
        .endpoint(fake.url())
        .build()
        .unwrap();
    DigitalOceanDns::with_transport(config, transport).unwrap()
}

fn setup() -> (DoFake, DigitalOceanDns) {
    let fake = DoFake::start(TOKEN);
    let d = driver_with(&fake, TOKEN, TransportConfig::default());
    (fake, d)
}

fn sent(fake: &DoFake, method: &str, prefix: &str) -> Vec<Logged> {
    let all = fake.requests().into_iter();
    all.filter(|r| r.method == method && r.path.starts_with(prefix))
        .collect()
}

fn a(ip: &str) -> RecordData {
    RecordData::A(ip.parse().unwrap())
}

#[maybe_async]
#[mode_test]
async fn do_records_page_by_checked_links_and_a_foreign_link_is_parse() {
    let (fake, d) = setup();
    let zone = d.create_zone(&NewZone::new("paged.com")).await.unwrap();
    for i in 0..6 {
        let r = NewRecord::new(format!("h{i}"), a("192.0.2.1"));
        d.create_record(&zone.id, &r).await.unwrap();
    }
    let mut token = None;
    let mut seen = Vec::new();
    loop {
        let page = d
            .list_records_page(&zone.id, token.as_deref(), 4)
            .await
            .unwrap();
        assert!(page.items.len() <= 4);
        seen.extend(page.items.into_iter().map(|r| r.id));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10, "SOA, 3 NS, 6 A");
    let asked = sent(&fake, "GET", "/v2/domains/paged.com/records");
    assert!(
        asked.iter().any(|r| r.query == "page=3&per_page=4"),
        "{asked:?}"
    );
    let hostile = json!({ "domain_records": [],
        "links": { "pages": { "next": "http://evil.example:1/v2/domains/paged.com/records?page=2" } } });
    fake.answer_next(200, hostile, 1);
    let e = d.list_records_page(&zone.id, None, 4).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let e = d
        .list_records_page(&zone.id, Some("http://evil/?page=2"), 4)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

#[maybe_async]
#[mode_test]
async fn do_duplicates_and_invalid_records_are_typed_errors() {
    let (fake, d) = setup();
    let zone = d.create_zone(&NewZone::new("dup.com")).await.unwrap();
    let again = d.create_zone(&NewZone::new("DUP.com.")).await.unwrap_err();
    assert_eq!(
        (again.kind(), again.status()),
        (ErrorKind::AlreadyExists, Some(422))
    );
    assert_eq!(again.code(), Some("unprocessable_entity"));
    let www = NewRecord::new("www", a("192.0.2.9")).ttl(300);
    d.create_record(&zone.id, &www).await.unwrap();
    let posts = sent(&fake, "POST", "/v2/domains/dup.com/records").len();
    let dup = d.create_record(&zone.id, &www).await.unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists, "{dup}");
    assert_eq!(
        sent(&fake, "POST", "/v2/domains/dup.com/records").len(),
        posts,
        "not sent"
    );
    let short = NewRecord::new("x", a("192.0.2.9")).ttl(5);
    let e = d.create_record(&zone.id, &short).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::InvalidInput, Some(422)),
        "{e}"
    );
    let other = d
        .create_record(&zone.id, &NewRecord::new("h1", a("192.0.2.1")))
        .await
        .unwrap();
    let clash = d
        .update_record(&zone.id, &other.id, &www)
        .await
        .unwrap_err();
    assert_eq!(
        clash.kind(),
        ErrorKind::AlreadyExists,
        "the server's 422: {clash}"
    );
    let before = fake.requests().len();
    for data in [
        RecordData::Ptr("h.dup.com".into()),
        RecordData::Spf("v=spf1 -all".into()),
    ] {
        let e = d
            .create_record(&zone.id, &NewRecord::new("p", data))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    }
    let e = d.get_record(&zone.id, "../../account").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = d.get_zone("x/../droplets.com").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let ttl = d
        .create_zone(&NewZone::new("t.com").ttl(60))
        .await
        .unwrap_err();
    assert_eq!(ttl.kind(), ErrorKind::Unsupported, "{ttl}");
    assert_eq!(fake.requests().len(), before, "refused before sending");
}

#[maybe_async]
#[mode_test]
async fn do_the_soa_and_name_servers_are_listed_whole() {
    let (_fake, d) = setup();
    let zone = d.create_zone(&NewZone::new("soa.com")).await.unwrap();
    assert_eq!((zone.id.as_str(), zone.ttl), ("soa.com", Some(1800)));
    let all = d.list_records(&zone.id).await.unwrap();
    let soa = all
        .iter()
        .find(|r| r.record_type() == RecordType::Soa)
        .unwrap();
    let RecordData::Soa {
        mname,
        rname,
        minimum,
        ..
    } = soa.data.clone()
    else {
        panic!("{soa:?}")
    };
    assert_eq!(
        (mname.as_str(), rname.as_str()),
        ("ns1.digitalocean.com", "hostmaster.soa.com")
    );
    assert_eq!(minimum, 1800);
    let again = d.get_record(&zone.id, &soa.id).await.unwrap();
    assert_eq!(again.data, soa.data);
    let ns: Vec<&RecordData> = all
        .iter()
        .filter(|r| r.record_type() == RecordType::Ns)
        .map(|r| &r.data)
        .collect();
    assert_eq!(ns.len(), 3);
    assert!(ns.contains(&&RecordData::Ns("ns2.digitalocean.com".into())));
    let apex = NewRecord::new("", RecordData::Cname("soa.com".into()));
    let e = d.create_record(&zone.id, &apex).await;
    assert!(
        e.is_ok_and(|r| r.data == RecordData::Cname("soa.com".into())),
        "sent as @"
    );
}

#[maybe_async]
#[mode_test]
async fn do_a_429_is_retried_after_the_wait_it_advertises() {
    let (fake, d) = setup();
    fake.fail_next(Fault::RateLimited { retry_after: 1 }, 1);
    let started = Instant::now();
    d.create_zone(&NewZone::new("limited.com")).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1"
    );
    assert_eq!(
        sent(&fake, "POST", "/v2/domains").len(),
        2,
        "a 429 was not carried out"
    );
    fake.fail_next(Fault::RateLimited { retry_after: 0 }, 10);
    let e = d.list_zones().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
}

#[maybe_async]
#[mode_test]
async fn do_faults_and_malformed_answers_are_typed_errors() {
    let (fake, d) = setup();
    let zone = d.create_zone(&NewZone::new("faults.com")).await.unwrap();
    fake.fail_next(Fault::ServerError, 1);
    fake.fail_next(Fault::Reset, 1);
    let got = d.get_zone(&zone.id).await.unwrap();
    assert_eq!(
        got.domain, "faults.com",
        "read again after a 500 and a reset"
    );
    fake.fail_next(Fault::ServerError, 1);
    let e = d.create_zone(&NewZone::new("once.com")).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Provider, Some("server_error"))
    );
    assert_eq!(
        sent(&fake, "POST", "/v2/domains")
            .iter()
            .filter(|r| r.body.contains("once"))
            .count(),
        1,
        "a create is never sent twice"
    );
    let once = driver_with(
        &fake,
        TOKEN,
        TransportConfig::default().retry(RetryPolicy::never()),
    );
    fake.fail_next(Fault::Truncated, 1);
    let e = once.list_zones().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    fake.fail_next(Fault::CutJson, 1);
    let e = once.list_zones().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let elsewhere = json!({ "domain": { "name": "other.com", "ttl": 1800 } });
    fake.answer_next(200, elsewhere, 1);
    let e = d.get_zone(&zone.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let r = d
        .create_record(&zone.id, &NewRecord::new("w", a("192.0.2.1")))
        .await
        .unwrap();
    let wrong = json!({ "domain_record": { "id": 1, "type": "A", "name": "w",
                                           "data": "192.0.2.1", "ttl": 1800 } });
    fake.answer_next(200, wrong, 1);
    let e = d.get_record(&zone.id, &r.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "another record: {e}");
    let junk = json!({ "domain_record": { "id": 9, "type": "MX", "name": "w", "data": "x." } });
    fake.answer_next(200, junk, 1);
    let e = d.get_record(&zone.id, "9").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "MX without priority: {e}");
    fake.answer_next(200, json!({ "domains": "nope" }), 1);
    let e = d.list_zones().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

#[maybe_async]
#[mode_test]
async fn do_a_wrong_token_is_unauthorized_and_the_token_never_shows() {
    let fake = DoFake::start(TOKEN);
    let wrong = driver_with(&fake, "dop_v1_wrong_HUNTER2", TransportConfig::default());
    let e = wrong.list_zones().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Unauthorized, Some("unauthorized"))
    );
    let e2 = wrong
        .create_record("x.com", &NewRecord::new("a", a("192.0.2.1")))
        .await
        .unwrap_err();
    let shown = format!("{e} {e:?} {e2} {e2:?} {wrong:?} {:?}", wrong.config());
    assert!(!shown.contains("HUNTER2"), "{shown}");
    let right = driver_with(&fake, TOKEN, TransportConfig::default());
    assert!(!format!("{right:?}").contains("SECRET"));
    let zones = right.list_zones().await.unwrap();
    assert!(zones.is_empty());
}
