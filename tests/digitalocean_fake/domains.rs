//! The domains API the DNS driver leans on: domains made with their SOA and NS records,
//! records of every type checked, kept and filtered, pages, 404s and 422s.

use serde_json::{Value, json};

use super::client::{Client, TOKEN};
use super::common::digitalocean_fake::DoFake;
use super::error_of;

fn new_domain(c: &Client, name: &str) -> Value {
    let a = c.post("/v2/domains", json!({ "name": name }));
    assert_eq!(a.status, 201, "{}", a.text);
    a.json()["domain"].clone()
}

fn records(c: &Client, path: &str) -> Vec<Value> {
    c.get(path).json()["domain_records"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_new_domain_has_its_soa_and_three_ns_records_and_is_listed_then_deleted() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    let d = new_domain(&c, "Example.com");
    assert_eq!(
        d,
        json!({ "name": "example.com", "ttl": 1800, "zone_file": null })
    );
    let got = c.get("/v2/domains/example.com").json()["domain"].clone();
    assert_eq!(
        (&got["name"], &got["ttl"]),
        (&json!("example.com"), &json!(1800))
    );
    assert!(
        got["zone_file"]
            .as_str()
            .unwrap()
            .contains("example.com. IN SOA ns1.digitalocean.com. hostmaster.example.com.")
    );
    let all = records(&c, "/v2/domains/example.com/records");
    let kinds: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap();
            (s("type"), s("name"), s("data"))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("SOA", "@", "1800"),
            ("NS", "@", "ns1.digitalocean.com"),
            ("NS", "@", "ns2.digitalocean.com"),
            ("NS", "@", "ns3.digitalocean.com"),
        ]
    );
    assert!(all[0]["priority"].is_null() && all[0]["id"].is_u64());
    let listed = c.get("/v2/domains").json();
    assert_eq!(listed["domains"][0]["name"], "example.com");
    assert_eq!(listed["meta"]["total"], 1);
    let again = c.post("/v2/domains", json!({ "name": "example.com" }));
    assert_eq!(error_of(&again).0, 422);
    assert!(error_of(&again).2.contains("already exists"));
    for bad in [
        json!({}),
        json!({ "name": "com" }),
        json!({ "name": "a b.com" }),
    ] {
        assert_eq!(c.post("/v2/domains", bad).status, 422);
    }
    let with_ip = c.post(
        "/v2/domains",
        json!({ "name": "b.org", "ip_address": "192.0.2.4" }),
    );
    assert_eq!(with_ip.status, 201);
    let a = records(&c, "/v2/domains/b.org/records?type=A");
    assert_eq!(
        (&a[0]["name"], &a[0]["data"]),
        (&json!("@"), &json!("192.0.2.4"))
    );
    assert_eq!(c.delete("/v2/domains/example.com").status, 204);
    assert_eq!(error_of(&c.get("/v2/domains/example.com")).1, "not_found");
    assert_eq!(c.get("/v2/domains/example.com/records").status, 404);
    assert_eq!(c.delete("/v2/domains/example.com").status, 404);
}

#[test]
fn records_of_each_type_are_checked_and_kept_without_final_dots() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    new_domain(&c, "example.com");
    let path = "/v2/domains/example.com/records";
    let make = |b: Value| {
        let a = c.post(path, b.clone());
        assert_eq!(a.status, 201, "{b}: {}", a.text);
        a.json()["domain_record"].clone()
    };
    let mx = make(
        json!({ "type": "MX", "name": "@", "data": "mail.example.com.",
                          "priority": 10, "ttl": 300 }),
    );
    assert_eq!(
        mx,
        json!({ "id": mx["id"], "type": "MX", "name": "@", "data": "mail.example.com",
                "priority": 10, "port": null, "ttl": 300, "weight": null, "flags": null,
                "tag": null })
    );
    let srv = make(
        json!({ "type": "SRV", "name": "_sip._tcp", "data": "sip.example.com.",
                           "priority": 1, "weight": 2, "port": 5060 }),
    );
    assert_eq!((&srv["port"], &srv["ttl"]), (&json!(5060), &json!(1800)));
    let caa = make(
        json!({ "type": "CAA", "name": "@", "data": "letsencrypt.org",
                           "flags": 0, "tag": "issue" }),
    );
    assert_eq!(caa["tag"], "issue");
    make(json!({ "type": "CNAME", "name": "www", "data": "@" }));
    make(json!({ "type": "TXT", "name": "note", "data": "a \"q\"; b" }));
    make(json!({ "type": "AAAA", "name": "v6", "data": "2001:db8::1" }));
    let bad = [
        json!({ "type": "PTR", "name": "x", "data": "h.example.com." }),
        json!({ "type": "SOA", "name": "@", "data": "1800" }),
        json!({ "type": "A", "name": "bad name!", "data": "192.0.2.1" }),
        json!({ "type": "A", "name": "x", "data": "nope" }),
        json!({ "type": "A", "name": "x", "data": "192.0.2.1", "ttl": 5 }),
        json!({ "type": "CNAME", "name": "x", "data": "no.final.dot" }),
        json!({ "type": "MX", "name": "@", "data": "m.example.com." }),
        json!({ "type": "SRV", "name": "_s._tcp", "data": "s.", "priority": 1 }),
        json!({ "type": "CAA", "name": "@", "data": "x", "flags": 0, "tag": "other" }),
        json!({ "type": "MX", "name": "@", "data": "mail.example.com.", "priority": 10 }),
    ];
    for b in bad {
        let e = error_of(&c.post(path, b.clone()));
        assert_eq!((e.0, e.1.as_str()), (422, "unprocessable_entity"), "{b}");
    }
    let www = records(&c, &format!("{path}?name=WWW.example.com&type=CNAME"));
    assert_eq!((www.len(), &www[0]["data"]), (1, &json!("@")));
    assert_eq!(records(&c, &format!("{path}?type=NS")).len(), 3);
    assert_eq!(
        records(&c, &format!("{path}?name=example.com&type=MX")).len(),
        1
    );
    assert_eq!(
        c.post("/v2/domains/nowhere.com/records", json!({})).status,
        404
    );
}

#[test]
fn records_are_read_updated_deleted_and_paged() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    new_domain(&c, "example.com");
    let path = "/v2/domains/example.com/records";
    for i in 0..5 {
        let b = json!({ "type": "A", "name": format!("h{i}"), "data": "192.0.2.1" });
        assert_eq!(c.post(path, b).status, 201);
    }
    let first = c.get(&format!("{path}?per_page=4")).json();
    assert_eq!(first["meta"]["total"], 9);
    let next = first["links"]["pages"]["next"].as_str().unwrap();
    assert_eq!(next, format!("{}{path}?page=2&per_page=4", fake.url()));
    let last = c.get(&format!("{path}?page=3&per_page=4")).json();
    assert_eq!(last["domain_records"].as_array().unwrap().len(), 1);
    assert!(last["links"]["pages"].get("next").is_none());
    let r = records(&c, &format!("{path}?name=h0.example.com"))[0].clone();
    let one = format!("{path}/{}", r["id"]);
    assert_eq!(c.get(&one).json()["domain_record"], r);
    let put = c.update(
        true,
        &one,
        json!({ "type": "A", "name": "h0", "data": "192.0.2.9",
                                          "ttl": 600 }),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json()["domain_record"]["data"], "192.0.2.9");
    let patched = c.update(false, &one, json!({ "ttl": 60 })).json()["domain_record"].clone();
    assert_eq!(
        (&patched["ttl"], &patched["data"]),
        (&json!(60), &json!("192.0.2.9"))
    );
    assert_eq!(
        c.update(true, &one, json!({ "ttl": 60 })).status,
        422,
        "PUT needs type"
    );
    let retyped = c.update(false, &one, json!({ "type": "TXT", "data": "x" }));
    assert_eq!(retyped.status, 422);
    let clash = c.update(false, &one, json!({ "name": "h1", "data": "192.0.2.1" }));
    assert!(error_of(&clash).2.contains("already exists"));
    assert_eq!(c.delete(&one).status, 204);
    assert_eq!(error_of(&c.get(&one)).1, "not_found");
    assert_eq!(c.delete(&one).status, 404);
    assert_eq!(c.get(&format!("{path}/abc")).status, 404);
    assert_eq!(c.get("/v2/domains/nowhere.com/records/1").status, 404);
}
