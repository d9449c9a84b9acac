// Route53's own behaviour beyond the conformance cases: record sets of several values,
// pages that stop inside a set, errors, waiting for INSYNC, throttling retried. On moto
// (an account per test) and on an in-process fake answering as Route53. Included by
// `tests/dns.rs` once per mode, inside a module that provides what `cases/dns.rs` uses.

use multicloud::credentials::Credentials;
use multicloud::dns::route53::Route53Config;

use crate::common::fake_http::{FakeServer, respond};

/// A driver on moto in an account of its own, and a zone in it.
#[maybe_async]
async fn moto_zone() -> (mc::dns::Route53, multicloud::dns::Zone) {
    let d = mc::dns::Route53::new(route53_config()).unwrap();
    let zone = d.create_zone(&NewZone::new(unique_domain())).await.unwrap();
    (d, zone)
}

/// A driver on a fake that answers with `handler`, with static keys.
fn on_fake(server: &FakeServer) -> mc::dns::Route53 {
    let config = Route53Config::builder()
        .endpoint(server.url(""))
        .credentials(Credentials::new("AKIDFAKE", "SECRET-ROUTE53-KEY"))
        .build()
        .unwrap();
    mc::dns::Route53::new(config).unwrap()
}

const NS: &str = "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"";

fn change_xml(id: &str, status: &str) -> String {
    format!(
        "<GetChangeResponse {NS}><ChangeInfo><Id>/change/{id}</Id><Status>{status}</Status>\
         <SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt></ChangeInfo></GetChangeResponse>"
    )
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse {NS}><Error><Type>Sender</Type><Code>{code}</Code>\
         <Message>{message}</Message></Error><RequestId>rq</RequestId></ErrorResponse>"
    )
}

#[maybe_async]
#[mode_test]
async fn route53_sets_of_several_values_are_one_record_each() {
    let (d, zone) = moto_zone().await;
    let mut ids = Vec::new();
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        let spec = NewRecord::new("multi", a(ip)).ttl(120);
        ids.push(d.create_record(&zone.id, &spec).await.unwrap().id);
    }
    let dup = NewRecord::new("multi", a("192.0.2.2"));
    let e = d.create_record(&zone.id, &dup).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let listed = ours(d.list_records(&zone.id).await.unwrap());
    assert_eq!(listed.len(), 3, "{listed:#?}");
    let changed = NewRecord::new("multi", a("192.0.2.9")).ttl(60);
    let u = d.update_record(&zone.id, &ids[1], &changed).await.unwrap();
    assert_ne!(u.id, ids[1], "the id follows the value");
    let old = d.get_record(&zone.id, &ids[1]).await.unwrap_err();
    assert_eq!(old.kind(), ErrorKind::NotFound, "{old}");
    let first = d.get_record(&zone.id, &ids[0]).await.unwrap();
    assert_eq!((first.data, first.ttl), (a("192.0.2.1"), Some(60)));
    let taken = NewRecord::new("multi", a("192.0.2.3"));
    let e = d.update_record(&zone.id, &u.id, &taken).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let moved = NewRecord::new("elsewhere", a("192.0.2.9")).ttl(60);
    let m = d.update_record(&zone.id, &u.id, &moved).await.unwrap();
    let there = d.get_record(&zone.id, &m.id).await.unwrap();
    assert_eq!(there.name, "elsewhere");
    d.delete_record(&zone.id, &ids[0]).await.unwrap();
    d.delete_record(&zone.id, &ids[2]).await.unwrap();
    d.delete_record(&zone.id, &m.id).await.unwrap();
    let left = ours(d.list_records(&zone.id).await.unwrap());
    assert!(left.is_empty(), "{left:#?}");
    d.delete_zone(&zone.id).await.unwrap();
}

#[maybe_async]
#[mode_test]
async fn route53_pages_stop_inside_sets_and_give_every_record_once() {
    let (d, zone) = moto_zone().await;
    for i in 0..4 {
        let spec = NewRecord::new("wide", a(&format!("192.0.2.{}", i + 1))).ttl(300);
        d.create_record(&zone.id, &spec).await.unwrap();
        let single = NewRecord::new(format!("s{i}"), RecordData::Txt(format!("t{i}")));
        d.create_record(&zone.id, &single).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let (mut split, mut last) = (false, None);
    for _ in 0..20 {
        let page = d
            .list_records_page(&zone.id, token.as_deref(), 3)
            .await
            .unwrap();
        assert!(page.items.len() <= 3, "{}", page.items.len());
        let first = page
            .items
            .first()
            .map(|r| (r.name.clone(), r.record_type()));
        split |= first.is_some() && first == last;
        last = page.items.last().map(|r| (r.name.clone(), r.record_type()));
        seen.extend(page.items.into_iter().map(|r| r.id));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert!(token.is_none(), "the listing ends");
    assert!(split, "a set of 4 values is cut between pages of 3");
    let whole: Vec<String> = d
        .list_records(&zone.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no record twice");
    assert_eq!(seen.len(), whole.len());
    let e = d
        .list_records_page(&zone.id, Some("not-a-token"), 3)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    d.delete_zone(&zone.id).await.unwrap();
}

#[maybe_async]
#[mode_test]
async fn route53_missing_and_malformed_ids_are_not_found() {
    let (d, zone) = moto_zone().await;
    for id in ["ZNOSUCHZONE0000000000", "../etc", ""] {
        let e = d.get_zone(id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{id:?}: {e}");
    }
    let e = d.delete_zone("ZNOSUCHZONE0000000000").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let soa = RecordData::Soa {
        mname: "ns.example.com".into(),
        rname: "h.example.com".into(),
        serial: 1,
        refresh: 1,
        retry: 1,
        expire: 1,
        minimum: 1,
    };
    let e = d
        .create_record(&zone.id, &NewRecord::new("", soa))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let synced = d.change_synced("../../x").await.unwrap_err();
    assert_eq!(synced.kind(), ErrorKind::NotFound, "{synced}");
    d.delete_zone(&zone.id).await.unwrap();
}

#[maybe_async]
#[mode_test]
async fn route53_waits_until_a_change_is_insync_and_retries_throttling() {
    let server = FakeServer::start_with_request(|n, line, s| {
        assert!(line.starts_with("GET /2013-04-01/change/C1 "), "{line}");
        match n {
            0 => respond(
                s,
                400,
                "",
                error_xml("Throttling", "Rate exceeded").as_bytes(),
            ),
            1 => respond(
                s,
                400,
                "",
                error_xml("PriorRequestNotComplete", "wait").as_bytes(),
            ),
            2 => respond(s, 200, "", change_xml("C1", "PENDING").as_bytes()),
            _ => respond(s, 200, "", change_xml("C1", "INSYNC").as_bytes()),
        }
    });
    let d = on_fake(&server);
    let synced = d.change_synced("C1").await.unwrap();
    assert!(!synced, "PENDING after two throttles");
    assert_eq!(server.hits(), 3);
    d.wait_until_synced("/change/C1", Duration::from_secs(30), None)
        .await
        .unwrap();
    assert_eq!(server.hits(), 4);
    assert!(!format!("{d:?}").contains("SECRET-ROUTE53-KEY"));
}

#[maybe_async]
#[mode_test]
async fn route53_answers_that_cannot_be_trusted_are_parse_errors() {
    let server = FakeServer::start(|n, s| {
        let body = match n {
            0 => change_xml("C2", "INSYNC"),
            1 => change_xml("C1", "SOMEDAY"),
            2 => change_xml("C1", "INSYNC")[..60].to_owned(),
            _ => "<html>gateway</html>".to_owned(),
        };
        respond(s, 200, "", body.as_bytes());
    });
    let d = on_fake(&server);
    for what in [
        "another change",
        "an unknown status",
        "a cut answer",
        "HTML",
    ] {
        let e = d.change_synced("C1").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{what}: {e}");
        assert!(!e.to_string().contains("SECRET-ROUTE53-KEY"));
    }
    let missing = FakeServer::start(|_, s| {
        let body = error_xml("NoSuchHostedZone", "No hosted zone found with ID: Z1");
        respond(s, 404, "", body.as_bytes());
    });
    let e = on_fake(&missing).get_zone("Z1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("No hosted zone"), "{e}");
}

#[maybe_async]
#[mode_test]
async fn route53_server_errors_are_retried_on_reads_and_never_repeat_a_change() {
    let server = FakeServer::start_with_request(|n, line, s| {
        if line.starts_with("GET /2013-04-01/change/") {
            match n {
                0 => respond(s, 500, "", b"<html>internal</html>"),
                1 => respond(s, 429, "Retry-After: 1\r\n", b""),
                _ => respond(s, 200, "", change_xml("C1", "INSYNC").as_bytes()),
            }
        } else if line.starts_with("GET /2013-04-01/hostedzone/Z1 ") {
            let zone = format!(
                "<GetHostedZoneResponse {NS}><HostedZone><Id>/hostedzone/Z1</Id>\
                 <Name>example.com.</Name><CallerReference>r</CallerReference></HostedZone>\
                 </GetHostedZoneResponse>"
            );
            respond(s, 200, "", zone.as_bytes());
        } else if line.starts_with("GET /2013-04-01/hostedzone/Z1/rrset") {
            let none = format!(
                "<ListResourceRecordSetsResponse {NS}><ResourceRecordSets/>\
                 <IsTruncated>false</IsTruncated><MaxItems>10</MaxItems>\
                 </ListResourceRecordSetsResponse>"
            );
            respond(s, 200, "", none.as_bytes());
        } else {
            assert!(
                line.starts_with("POST /2013-04-01/hostedzone/Z1/rrset/ "),
                "{line}"
            );
            respond(s, 500, "", b"<html>internal</html>");
        }
    });
    let d = on_fake(&server);
    let started = std::time::Instant::now();
    let synced = d.change_synced("C1").await.unwrap();
    assert!(synced, "INSYNC after a 500 and a 429");
    assert_eq!(server.hits(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After waited"
    );
    let www = NewRecord::new("www", a("192.0.2.1"));
    let e = d.create_record("Z1", &www).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
    assert_eq!(server.hits(), 6, "the change was sent once");
}
