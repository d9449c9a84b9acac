use serde_json::{Value, json};

use super::requests::{DnsPage, DnsRequests, record_body, record_id, zone_id};
use super::responses;
use super::{DoConfig, PROVIDER};
use crate::dns::{NewRecord, NewZone, RecordData, RecordType};
use crate::error::ErrorKind;
use crate::http::{Method, Response};

fn requests() -> DnsRequests {
    let cfg = DoConfig::builder()
        .token("dop_v1_SECRET")
        .endpoint("http://127.0.0.1:9")
        .build()
        .unwrap();
    DnsRequests::new(cfg)
}

fn endpoint() -> url::Url {
    "http://127.0.0.1:9".parse().unwrap()
}

fn answer(status: u16, body: Value) -> Response {
    Response {
        status,
        headers: Default::default(),
        body: body.to_string().into(),
    }
}

fn body_of(r: &NewRecord) -> Value {
    record_body("example.com", r).unwrap()
}

#[test]
fn record_bodies_carry_each_types_fields_and_final_dots() {
    let mx = RecordData::Mx {
        priority: 10,
        exchange: "Mail.Example.com".into(),
    };
    assert_eq!(
        body_of(&NewRecord::new("", mx).ttl(300)),
        json!({ "type": "MX", "name": "@", "data": "mail.example.com.", "priority": 10,
                "ttl": 300 })
    );
    let cname = RecordData::Cname("example.com.".into());
    assert_eq!(
        body_of(&NewRecord::new("WWW", cname)),
        json!({ "type": "CNAME", "name": "www", "data": "@" })
    );
    let srv = RecordData::Srv {
        priority: 1,
        weight: 2,
        port: 5060,
        target: "sip.example.net".into(),
    };
    assert_eq!(
        body_of(&NewRecord::new("_sip._tcp", srv)),
        json!({ "type": "SRV", "name": "_sip._tcp", "data": "sip.example.net.",
                "priority": 1, "weight": 2, "port": 5060 })
    );
    let caa = RecordData::Caa {
        flags: 128,
        tag: "issue".into(),
        value: "letsencrypt.org".into(),
    };
    assert_eq!(
        body_of(&NewRecord::new("@", caa)),
        json!({ "type": "CAA", "name": "@", "data": "letsencrypt.org", "flags": 128,
                "tag": "issue" })
    );
    let txt = RecordData::Txt("a \"q\"; b".into());
    assert_eq!(body_of(&NewRecord::new("t", txt))["data"], "a \"q\"; b");
}

#[test]
fn unsupported_types_bad_names_and_extras_are_refused_before_sending() {
    for data in [
        RecordData::Ptr("h.example.com".into()),
        RecordData::Spf("v=spf1".into()),
        RecordData::Other {
            rtype: RecordType::Other("DS".into()),
            value: "1 2 3".into(),
        },
    ] {
        let e = record_body("example.com", &NewRecord::new("x", data)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        assert_eq!(e.provider(), Some(PROVIDER));
    }
    let a = RecordData::A("192.0.2.1".parse().unwrap());
    let bad = record_body("example.com", &NewRecord::new("bad name!", a.clone()));
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidInput);
    let extra = NewRecord::new("x", a).extra("proxied", "true");
    let e = record_body("example.com", &extra).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let cname = RecordData::Cname("not a host".into());
    let e = record_body("example.com", &NewRecord::new("x", cname)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn ids_of_the_wrong_shape_are_not_found_and_never_reach_a_path() {
    for bad in ["", "1/2", "../v2/account", "-1", "abc"] {
        assert_eq!(record_id(bad).unwrap_err().kind(), ErrorKind::NotFound);
    }
    assert_eq!(record_id("28448429").unwrap(), 28448429);
    for bad in ["com", "a/b.com", "x..y", "../v2/droplets"] {
        assert_eq!(
            zone_id(bad).unwrap_err().kind(),
            ErrorKind::NotFound,
            "{bad}"
        );
    }
    assert_eq!(zone_id("Example.COM.").unwrap(), "example.com");
    let r = requests();
    assert_eq!(
        r.get_record("example.com", "../1").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let req = r.get_record("Example.com", "7").unwrap();
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/v2/domains/example.com/records/7"
    );
    let put = r
        .update_record(
            "example.com",
            "7",
            &NewRecord::new("a", RecordData::Txt("x".into())),
        )
        .unwrap();
    assert_eq!(put.method, Method::Put);
}

#[test]
fn domains_are_created_by_name_with_ip_address_only() {
    let r = requests();
    let req = r.create_domain(&NewZone::new("Example.COM.")).unwrap();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, json!({ "name": "example.com" }));
    let with_ip = NewZone::new("example.com").extra("ip_address", "192.0.2.1");
    let req = r.create_domain(&with_ip).unwrap();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["ip_address"], "192.0.2.1");
    let e = r.create_domain(&NewZone::new("not a domain")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = r
        .create_domain(&NewZone::new("example.com").ttl(60))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = r
        .create_domain(&NewZone::new("example.com").extra("ip_address", "x"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(!format!("{r:?}").contains("SECRET"));
}

#[test]
fn pages_ask_numbers_and_filters() {
    let r = requests();
    let ask = DnsPage::records("example.com", Some("3"), 500)
        .unwrap()
        .only("example.com", "www", RecordType::A);
    let req = r.list(&ask);
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/v2/domains/example.com/records?page=3&per_page=200&name=www.example.com&type=A"
    );
    let e = DnsPage::zones(Some("https://evil/?page=2"), 5).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn records_parse_by_type_with_at_and_final_dots() {
    let page = json!({ "domain_records": [
        { "id": 1, "type": "SOA", "name": "@", "data": "1800", "ttl": 1800 },
        { "id": 2, "type": "NS", "name": "@", "data": "ns1.digitalocean.com", "ttl": 1800 },
        { "id": 3, "type": "MX", "name": "@", "data": "@", "priority": 10, "ttl": 300 },
        { "id": 4, "type": "CNAME", "name": "www", "data": "Other.Example.org.", "ttl": 60 },
        { "id": 5, "type": "SRV", "name": "_sip._tcp", "data": "sip.example.com",
          "priority": 1, "weight": 2, "port": 5060, "ttl": 60 },
        { "id": 6, "type": "CAA", "name": "@", "data": "letsencrypt.org", "flags": 0,
          "tag": "issue", "ttl": 60 },
      ], "links": {}, "meta": { "total": 6 } });
    let ask = DnsPage::records("example.com", None, 20).unwrap();
    let p = responses::records_page(&answer(200, page), &ask, "example.com", &endpoint()).unwrap();
    let data: Vec<RecordData> = p.items.iter().map(|r| r.data.clone()).collect();
    assert_eq!(data[0].record_type(), RecordType::Soa);
    assert_eq!(data[1], RecordData::Ns("ns1.digitalocean.com".into()));
    let mx = RecordData::Mx {
        priority: 10,
        exchange: "example.com".into(),
    };
    assert_eq!(data[2], mx);
    assert_eq!(data[3], RecordData::Cname("other.example.org".into()));
    assert!(matches!(&data[4], RecordData::Srv { port: 5060, .. }));
    assert!(matches!(&data[5], RecordData::Caa { flags: 0, .. }));
    assert_eq!(
        (p.items[3].name.as_str(), p.items[3].ttl),
        ("www", Some(60))
    );
    assert_eq!(
        (p.items[0].id.as_str(), p.items[0].name.as_str()),
        ("1", "")
    );
    assert_eq!(p.next_token, None);
}

#[test]
fn answers_that_do_not_fit_are_parse_errors() {
    let rec = |v: Value| answer(200, json!({ "domain_record": v }));
    let ok = json!({ "id": 7, "type": "A", "name": "www", "data": "192.0.2.1", "ttl": 30 });
    let r = responses::record(&rec(ok.clone()), "example.com", Some(7), "t").unwrap();
    assert_eq!((r.id.as_str(), r.zone_id.as_str()), ("7", "example.com"));
    let wrong_id = responses::record(&rec(ok), "example.com", Some(8), "t").unwrap_err();
    assert_eq!(wrong_id.kind(), ErrorKind::Parse);
    for bad in [
        json!({ "id": 7, "type": "A", "name": "www", "data": "not-an-ip" }),
        json!({ "id": 7, "type": "MX", "name": "@", "data": "m.example.com" }),
        json!({ "id": 7, "type": "MX", "name": "@", "data": "m", "priority": 70000 }),
        json!({ "id": 7, "type": "A", "name": "../x", "data": "192.0.2.1" }),
        json!({ "id": "7", "type": "A", "name": "www", "data": "192.0.2.1" }),
        json!({ "id": 7, "type": "CAA", "name": "@", "data": "x", "flags": 300, "tag": "issue" }),
    ] {
        let e = responses::record(&rec(bad.clone()), "example.com", None, "t").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{bad}");
    }
    let other = answer(
        200,
        json!({ "domain": { "name": "other.com", "ttl": 1800 } }),
    );
    let e = responses::domain(&other, "example.com", "t").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    let no_key = answer(200, json!({ "domains": [] }));
    assert_eq!(
        responses::domain(&no_key, "example.com", "t")
            .unwrap_err()
            .kind(),
        ErrorKind::Parse
    );
    let z = answer(
        201,
        json!({ "domain": { "name": "example.com", "ttl": 1800,
                                            "zone_file": null } }),
    );
    let zone = responses::domain(&z, "example.com", "t").unwrap();
    assert_eq!((zone.id.as_str(), zone.ttl), ("example.com", Some(1800)));
}

#[test]
fn errors_map_to_kinds_and_next_links_are_checked() {
    let dup = answer(
        422,
        json!({ "id": "unprocessable_entity", "message": "Domain already exists" }),
    );
    let e = responses::domain(&dup, "example.com", "creating").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    let gone = answer(404, json!({ "id": "not_found", "message": "not found" }));
    let e = responses::no_content(&gone, "deleting").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let ask = DnsPage::zones(None, 1).unwrap();
    let page = |next: &str| {
        answer(
            200,
            json!({ "domains": [{ "name": "a.com", "ttl": 1800 }],
                            "links": { "pages": { "next": next } } }),
        )
    };
    let ok = responses::zones_page(
        &page("http://127.0.0.1:9/v2/domains?page=2&per_page=1"),
        &ask,
        &endpoint(),
    )
    .unwrap();
    assert_eq!(ok.next_token.as_deref(), Some("2"));
    for bad in [
        "http://evil:9/v2/domains?page=2",
        "http://127.0.0.1:9/v2/droplets?page=2",
        "http://127.0.0.1:9/v2/domains?page=5",
    ] {
        let e = responses::zones_page(&page(bad), &ask, &endpoint()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{bad}");
    }
}

#[test]
fn the_soa_is_read_whole_from_the_zone_file() {
    let file = "$ORIGIN example.com.\n$TTL 1800\nexample.com. IN SOA ns1.digitalocean.com. \
                hostmaster.example.com. 1415982609 10800 3600 604800 1800\n\
                example.com. 1800 IN NS ns1.digitalocean.com.\nwww 1800 IN WEIRD ?\n";
    let resp = answer(
        200,
        json!({ "domain": { "name": "example.com", "zone_file": file } }),
    );
    let soa = responses::soa(&resp, "example.com", "t").unwrap().unwrap();
    let RecordData::Soa {
        mname,
        serial,
        minimum,
        ..
    } = soa
    else {
        panic!("{soa:?}")
    };
    assert_eq!(
        (mname.as_str(), serial, minimum),
        ("ns1.digitalocean.com", 1415982609, 1800)
    );
    let none = answer(
        200,
        json!({ "domain": { "name": "example.com", "zone_file": null } }),
    );
    assert_eq!(responses::soa(&none, "example.com", "t").unwrap(), None);
    let other = answer(
        200,
        json!({ "domain": { "name": "other.com", "zone_file": file } }),
    );
    let e = responses::soa(&other, "example.com", "t").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
}
