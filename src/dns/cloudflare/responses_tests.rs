use serde_json::{Value, json};

use super::*;
use crate::dns::cloudflare::requests::{CfRequests, PageAsk};
use crate::dns::cloudflare::{CloudflareConfig, MAX_ZONES_PER_PAGE};
use crate::dns::{NewRecord, NewZone};
use crate::http::{Method, header_map};

const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const RECORD: &str = "372e67954025e0ba6aaa6d586b9e0b59";
const ACCOUNT: &str = "01a7362d577a6c3019a474fd6f485823";

fn answer(status: u16, body: &Value) -> Response {
    answer_with(status, body, &[])
}

fn answer_with(status: u16, body: &Value, headers: &[(&str, &str)]) -> Response {
    Response {
        status,
        headers: header_map(headers.iter().copied()),
        body: body.to_string().into_bytes().into(),
    }
}

fn ok(result: Value) -> Value {
    json!({ "success": true, "errors": [], "messages": [], "result": result })
}

fn failed(code: i64, message: &str) -> Value {
    json!({ "success": false, "errors": [{ "code": code, "message": message }], "messages": [], "result": null })
}

fn listed(items: Vec<Value>, page: u32, per_page: u32, total_pages: u32) -> Value {
    let count = items.len();
    json!({
        "success": true, "errors": [], "messages": [], "result": items,
        "result_info": { "page": page, "per_page": per_page, "count": count,
                         "total_count": 99, "total_pages": total_pages }
    })
}

fn record_json(name: &str, rtype: &str, content: &str) -> Value {
    json!({
        "id": RECORD, "zone_id": ZONE, "zone_name": "example.com", "name": name,
        "type": rtype, "content": content, "proxiable": true, "proxied": false, "ttl": 300,
        "locked": false, "created_on": "2014-01-01T05:20:00.12345Z",
        "modified_on": "2014-01-01T05:20:00.12345Z", "meta": {}
    })
}

fn requests() -> CfRequests {
    let cfg = CloudflareConfig::builder()
        .token("cf-token")
        .account_id(ACCOUNT)
        .build()
        .unwrap();
    CfRequests::new(cfg)
}

#[test]
fn codes_map_to_kinds() {
    let cases = [
        (400, 7003, ErrorKind::NotFound),
        (404, 81044, ErrorKind::NotFound),
        (400, 1061, ErrorKind::AlreadyExists),
        (400, 81058, ErrorKind::AlreadyExists),
        (400, 81057, ErrorKind::AlreadyExists),
        (403, 10000, ErrorKind::Unauthorized),
        (400, 9005, ErrorKind::InvalidInput),
        (400, 1004, ErrorKind::InvalidInput),
        (429, 971, ErrorKind::RateLimited),
        (500, 10001, ErrorKind::Provider),
        (400, 12345, ErrorKind::InvalidInput),
    ];
    for (status, code, kind) in cases {
        let e = error_from(&answer(status, &failed(code, "m")), "ctx");
        assert_eq!(
            (e.kind(), e.code()),
            (kind, Some(code.to_string().as_str())),
            "{e}"
        );
        assert_eq!(e.status(), Some(status));
    }
    let html = Response {
        status: 502,
        headers: header_map([]),
        body: "<html>bad gateway</html>".as_bytes().to_vec().into(),
    };
    assert_eq!(error_from(&html, "ctx").kind(), ErrorKind::Provider);
}

#[test]
fn a_200_without_success_is_the_error_it_names() {
    let resp = answer(200, &failed(81058, "An identical record already exists."));
    let e = zone(&resp, None, "getting").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let silent = json!({ "success": false, "errors": [], "result": null });
    let e = zone(&answer(200, &silent), None, "getting").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let e = zone(&answer(200, &json!({ "result": {} })), None, "g").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

#[test]
fn zones_are_read_and_checked() {
    let z = json!({ "id": ZONE, "name": "Example.com", "status": "pending",
        "account": { "id": ACCOUNT, "name": "a" }, "name_servers": ["a.ns", "b.ns"],
        "type": "full", "paused": false });
    let got = zone(&answer(200, &ok(z.clone())), Some(ZONE), "g").unwrap();
    assert_eq!(
        (got.id.as_str(), got.domain.as_str()),
        (ZONE, "example.com")
    );
    assert_eq!(got.extra["account_id"], ACCOUNT);
    assert_eq!(got.extra["name_servers"], "a.ns,b.ns");
    let other = zone(&answer(200, &ok(z.clone())), Some(RECORD), "g").unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Parse);
    let e = created_zone(&answer(200, &ok(z)), "example.org", "c").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    let bad_id = json!({ "id": "../../x", "name": "example.com" });
    assert_eq!(
        zone(&answer(200, &ok(bad_id)), None, "g")
            .unwrap_err()
            .kind(),
        ErrorKind::Parse
    );
}

#[test]
fn records_of_each_shape_are_read_relative_to_their_zone() {
    let mut mx = record_json("example.com", "MX", "mail.example.com");
    mx["priority"] = json!(10);
    let mut srv = record_json("_sip._tcp.example.com", "SRV", "5 5060 sip.example.com");
    srv["data"] = json!({ "priority": 10, "weight": 5, "port": 5060, "target": "sip.example.com" });
    let mut caa = record_json("example.com", "CAA", "0 issue \"letsencrypt.org\"");
    caa["data"] = json!({ "flags": 0, "tag": "issue", "value": "letsencrypt.org" });
    let auto = {
        let mut a = record_json("www.example.com", "A", "192.0.2.1");
        a["ttl"] = json!(1);
        a
    };
    let want = [
        (
            mx,
            "",
            RecordData::Mx {
                priority: 10,
                exchange: "mail.example.com".into(),
            },
        ),
        (
            srv,
            "_sip._tcp",
            RecordData::Srv {
                priority: 10,
                weight: 5,
                port: 5060,
                target: "sip.example.com".into(),
            },
        ),
        (
            caa,
            "",
            RecordData::Caa {
                flags: 0,
                tag: "issue".into(),
                value: "letsencrypt.org".into(),
            },
        ),
        (auto, "www", RecordData::A("192.0.2.1".parse().unwrap())),
    ];
    for (json, name, data) in want {
        let r = record(
            &answer(200, &ok(json)),
            ZONE,
            "example.com",
            Some(RECORD),
            "g",
        )
        .unwrap();
        assert_eq!((r.name.as_str(), &r.data), (name, &data));
        assert_eq!(r.extra["proxied"], "false");
    }
}

#[test]
fn records_about_elsewhere_or_malformed_are_parse_errors() {
    let outside = record_json("www.example.org", "A", "192.0.2.1");
    let mut other_zone = record_json("www.example.com", "A", "192.0.2.1");
    other_zone["zone_id"] = json!(ACCOUNT);
    let bad_ip = record_json("www.example.com", "A", "not-an-ip");
    let mx_without_priority = record_json("example.com", "MX", "mail.example.com");
    let srv_without_data = record_json("_s._tcp.example.com", "SRV", "1 2 3 x.example.com");
    for j in [
        outside,
        other_zone,
        bad_ip,
        mx_without_priority,
        srv_without_data,
    ] {
        let e = record(&answer(200, &ok(j)), ZONE, "example.com", None, "g").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }
    let j = record_json("www.example.com", "A", "192.0.2.1");
    let e = record(&answer(200, &ok(j)), ZONE, "example.com", Some(ZONE), "g").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

#[test]
fn pages_follow_result_info_and_refuse_what_contradicts_it() {
    let item = || record_json("www.example.com", "A", "192.0.2.1");
    let ask = |page| PageAsk { page, per_page: 5 };
    let p = records_page(
        &answer(200, &listed(vec![item(), item()], 1, 5, 3)),
        &ask(1),
        ZONE,
        "example.com",
    )
    .unwrap();
    assert_eq!((p.items.len(), p.next_token.as_deref()), (2, Some("2")));
    let last = records_page(
        &answer(200, &listed(vec![item()], 3, 5, 3)),
        &ask(3),
        ZONE,
        "example.com",
    )
    .unwrap();
    assert_eq!(last.next_token, None);
    let empty = records_page(
        &answer(200, &listed(vec![], 1, 5, 0)),
        &ask(1),
        ZONE,
        "example.com",
    )
    .unwrap();
    assert!(empty.items.is_empty() && empty.next_token.is_none());
    let bad = [
        (listed(vec![item()], 1, 5, 3), 2), // page 1 answered for page 2
        (listed(vec![item()], 4, 5, 3), 4), // beyond total_pages
        (listed(vec![], 1, 5, 3), 1),       // empty before the last
        (listed(vec![item(); 6], 1, 5, 3), 1), // more than asked
        (ok(json!([item()])), 1),           // no result_info
        (ok(json!({})), 1),                 // not a list
    ];
    for (body, page) in bad {
        let e = records_page(&answer(200, &body), &ask(page), ZONE, "example.com").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }
    let mut lying = listed(vec![item()], 1, 5, 3);
    lying["result_info"]["count"] = json!(4);
    let e = records_page(&answer(200, &lying), &ask(1), ZONE, "example.com").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

#[test]
fn rate_limits_name_their_wait() {
    let resp = answer_with(429, &failed(971, "Please wait"), &[("retry-after", "3")]);
    let e = error_from(&resp, "listing");
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(e.to_string().contains("retry after 3"), "{e}");
}

#[test]
fn requests_carry_the_bearer_checked_ids_and_absolute_names() {
    let r = requests();
    let ask = PageAsk::new(Some("2"), 1000, MAX_ZONES_PER_PAGE).unwrap();
    let list = r.list_zones(&ask);
    assert!(
        list.url.ends_with("/client/v4/zones?page=2&per_page=50"),
        "{}",
        list.url
    );
    for bad in [
        "x",
        "../zones",
        &ZONE.to_uppercase(),
        "023e105f4ecef8ad9ca31a8372d0c35",
    ] {
        assert_eq!(r.get_zone(bad).unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(
            r.get_record(ZONE, bad).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    let mx = NewRecord::new(
        "",
        RecordData::Mx {
            priority: 10,
            exchange: "Mail.Example.com.".into(),
        },
    );
    let req = r.create_record(ZONE, "example.com", &mx).unwrap();
    assert_eq!(req.method, Method::Post);
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({ "type": "MX", "name": "example.com", "ttl": 1,
        "content": "mail.example.com", "priority": 10 })
    );
    let srv = NewRecord::new(
        "_sip._tcp",
        RecordData::Srv {
            priority: 1,
            weight: 2,
            port: 3,
            target: "sip.example.com".into(),
        },
    )
    .ttl(300)
    .extra("proxied", "false");
    let body: Value =
        serde_json::from_slice(&r.create_record(ZONE, "example.com", &srv).unwrap().body).unwrap();
    assert_eq!(body["name"], "_sip._tcp.example.com");
    assert_eq!(
        body["data"],
        json!({ "priority": 1, "weight": 2, "port": 3, "target": "sip.example.com" })
    );
    assert_eq!(body["proxied"], false);
    let auth = req.headers.iter().find(|(k, _)| k == "authorization");
    assert_eq!(auth.map(|(_, v)| v.as_str()), Some("Bearer cf-token"));
}

#[test]
fn requests_refuse_what_cloudflare_cannot_take() {
    let r = requests();
    let a = RecordData::A("192.0.2.1".parse().unwrap());
    let spf = NewRecord::new("", RecordData::Spf("v=spf1 -all".into()));
    let bad = [
        (
            NewRecord::new("bad name!", a.clone()),
            ErrorKind::InvalidInput,
        ),
        (
            NewRecord::new("www", a.clone()).extra("colour", "red"),
            ErrorKind::InvalidInput,
        ),
        (
            NewRecord::new("www", a).extra("proxied", "yes"),
            ErrorKind::InvalidInput,
        ),
        (spf, ErrorKind::Unsupported),
    ];
    for (rec, kind) in bad {
        let e = r.create_record(ZONE, "example.com", &rec).unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
    }
    let zone_body =
        |z: &NewZone| -> Value { serde_json::from_slice(&r.create_zone(z).unwrap().body).unwrap() };
    assert_eq!(
        zone_body(&NewZone::new("Example.com.")),
        json!({ "name": "example.com", "account": { "id": ACCOUNT } })
    );
    assert_eq!(
        r.create_zone(&NewZone::new("example.com").ttl(60))
            .unwrap_err()
            .kind(),
        ErrorKind::Unsupported
    );
    assert_eq!(
        r.create_zone(&NewZone::new("bad domain"))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let no_account = CfRequests::new(CloudflareConfig::builder().token("t").build().unwrap());
    let e = no_account
        .create_zone(&NewZone::new("example.com"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("CLOUDFLARE_ACCOUNT_ID"), "{e}");
    assert!(
        no_account
            .create_zone(&NewZone::new("example.com").extra("account_id", ACCOUNT))
            .is_ok()
    );
}

#[test]
fn a_lookup_by_name_answers_that_zone_or_not_found() {
    let ask = PageAsk::new(None, 50, 50).unwrap();
    let z = |name: &str| json!({ "id": ZONE, "name": name });
    let one = listed(vec![z("example.com")], 1, 50, 1);
    let got = found_zone(&answer(200, &one), &ask, "example.com").unwrap();
    assert_eq!(got.id, ZONE);
    let none = listed(vec![], 1, 50, 0);
    let e = found_zone(&answer(200, &none), &ask, "example.com").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let unfiltered = listed(vec![z("example.com"), z("example.org")], 1, 50, 1);
    let e = found_zone(&answer(200, &unfiltered), &ask, "example.com").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}
