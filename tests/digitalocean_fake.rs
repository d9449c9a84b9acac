//! The DigitalOcean fake proves itself: its answers are checked here with a plain HTTP
//! client (ureq) before any driver relies on them. Each test starts its own fake.

#[path = "digitalocean_fake/client.rs"]
mod client;
mod common;
#[path = "digitalocean_fake/domains.rs"]
mod domains;
#[path = "digitalocean_fake/switches.rs"]
mod switches;

use std::io::{Read, Write};
use std::net::TcpStream;

use client::{Answer, Client, TOKEN};
use common::digitalocean_fake::{DoFake, Fault, ImageKind, catalog};
use serde_json::{Value, json};

fn create_droplet(c: &Client, name: &str) -> Value {
    let a = c.post(
        "/v2/droplets",
        json!({ "name": name, "size": "s-1vcpu-1gb", "image": "ubuntu-20-04-x64" }),
    );
    assert_eq!(a.status, 202, "{}", a.text);
    a.json()["droplet"].clone()
}

fn error_of(a: &Answer) -> (u16, String, String) {
    let j = a.json();
    let s = |k: &str| j[k].as_str().unwrap_or_default().to_string();
    (a.status, s("id"), s("message"))
}

#[test]
fn wrong_or_missing_token_is_401_with_the_documented_body() {
    let fake = DoFake::start(TOKEN);
    let mut c = Client::new(&fake);
    c.token = Some("dop_v1_other".into());
    let expected = (
        401,
        "unauthorized".to_string(),
        "Unable to authenticate you.".to_string(),
    );
    assert_eq!(error_of(&c.get("/v2/droplets")), expected);
    c.token = None;
    assert_eq!(error_of(&c.get("/v2/droplets")), expected);
    c.token = Some(TOKEN.into());
    assert_eq!(c.get("/v2/droplets").status, 200);
}

#[test]
fn every_answer_carries_rate_limit_headers() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    let first = c.get("/v2/sizes");
    let missing = c.get("/v2/droplets/1");
    let gone = c.delete(&format!("/v2/droplets/{}", create_droplet(&c, "a")["id"]));
    for a in [&first, &missing, &gone] {
        assert_eq!(a.header("ratelimit-limit"), Some("5000"));
        let reset: u64 = a.header("ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset > 1_700_000_000, "unix seconds: {reset}");
        assert!(a.header("ratelimit-remaining").is_some());
    }
    let left = |a: &Answer| {
        a.header("ratelimit-remaining")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(left(&gone) < left(&first), "each request counts");
    assert_eq!(gone.status, 204);
    assert!(gone.text.is_empty());
}

#[test]
fn a_created_droplet_is_new_with_its_action_link_then_active_with_addresses() {
    let fake = DoFake::start(TOKEN);
    fake.set_active_after(3);
    let c = Client::new(&fake);
    let a = c.post(
        "/v2/droplets",
        json!({ "name": "web-1", "size": "s-1vcpu-1gb", "image": "ubuntu-20-04-x64",
                "region": "ams3", "tags": ["web"], "user_data": "#cloud-config\n" }),
    );
    assert_eq!(a.status, 202);
    let body = a.json();
    let d = &body["droplet"];
    assert_eq!(d["status"], "new");
    assert_eq!(d["name"], "web-1");
    assert_eq!(d["size_slug"], "s-1vcpu-1gb");
    assert_eq!(d["memory"], 1024);
    assert_eq!(d["image"]["slug"], "ubuntu-20-04-x64");
    assert_eq!(d["region"]["slug"], "ams3");
    assert_eq!(d["tags"], json!(["web"]));
    assert_eq!(d["networks"], json!({ "v4": [], "v6": [] }));
    let link = &body["links"]["actions"][0];
    assert_eq!(link["rel"], "create");
    let href = link["href"].as_str().unwrap();
    assert_eq!(href, format!("{}/v2/actions/{}", fake.url(), link["id"]));
    let path = format!("/v2/droplets/{}", d["id"]);
    let statuses: Vec<Value> = (0..3)
        .map(|_| c.get(&path).json()["droplet"]["status"].clone())
        .collect();
    assert_eq!(statuses, ["new", "new", "active"]);
    let d = c.get(&path).json()["droplet"].clone();
    let v4 = d["networks"]["v4"].as_array().unwrap();
    let types: Vec<&str> = v4.iter().map(|n| n["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["private", "public"]);
    assert!(
        v4[1]["ip_address"]
            .as_str()
            .unwrap()
            .parse::<std::net::Ipv4Addr>()
            .is_ok()
    );
    assert_eq!(d["networks"]["v6"], json!([]), "no IPv6 unless asked");
    assert_eq!(c.get(href).json()["action"]["status"], "completed");
}

#[test]
fn several_names_create_several_droplets_and_ipv6_gives_a_v6_address() {
    let fake = DoFake::start(TOKEN);
    fake.set_active_after(1);
    let c = Client::new(&fake);
    let a = c.post(
        "/v2/droplets",
        json!({ "names": ["a-1", "a-2"], "size": "s-2vcpu-2gb", "image": 63663980,
                "ipv6": true }),
    );
    assert_eq!(a.status, 202, "{}", a.text);
    let body = a.json();
    let made = body["droplets"].as_array().unwrap();
    assert_eq!(made.len(), 2);
    assert!(body.get("droplet").is_none());
    assert_eq!(body["links"]["actions"].as_array().unwrap().len(), 2);
    let d = c.get(&format!("/v2/droplets/{}", made[1]["id"])).json()["droplet"].clone();
    assert_eq!(d["status"], "active");
    assert_eq!(d["networks"]["v6"][0]["type"], "public");
    assert_eq!(
        d["region"]["slug"], "nyc3",
        "no region asked: the first available"
    );
}

#[test]
fn invalid_droplet_requests_are_422_unprocessable_entity() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    let ok = json!({ "name": "x", "size": "s-1vcpu-1gb", "image": "ubuntu-20-04-x64" });
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = ok.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let bad = [
        without("name"),
        without("size"),
        without("image"),
        with("size", json!("s-999")),
        with("image", json!("no-such-image")),
        with("region", json!("xyz9")),
        with("region", json!("nyc2")),
        with("name", json!("under_score")),
        with("ssh_keys", json!([12345])),
        with("names", json!(["b"])),
        with("user_data", json!("x".repeat(64 * 1024 + 1))),
    ];
    for body in bad {
        let (status, id, message) = error_of(&c.post("/v2/droplets", body.clone()));
        assert_eq!(
            (status, id.as_str()),
            (422, "unprocessable_entity"),
            "{body}"
        );
        assert!(!message.is_empty());
    }
    let not_json = c.post_raw("/v2/droplets", "{\"name\": ");
    assert_eq!(
        (not_json.status, error_of(&not_json).1.as_str()),
        (400, "bad_request")
    );
    assert_eq!(error_of(&c.get("/v2/nothing-here")).1, "not_found");
    assert_eq!(c.get("/v1/droplets").status, 404);
    assert_eq!(c.get("/v2/droplets").json()["meta"]["total"], 0);
}

#[test]
fn a_missing_droplet_is_404_not_found_and_a_deleted_one_is_gone() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    let expected = (
        404,
        "not_found".to_string(),
        "The resource you were accessing could not be found.".to_string(),
    );
    assert_eq!(error_of(&c.get("/v2/droplets/999999")), expected);
    assert_eq!(error_of(&c.get("/v2/droplets/abc")), expected);
    let path = format!("/v2/droplets/{}", create_droplet(&c, "doomed")["id"]);
    assert_eq!(c.get(&path).status, 200);
    assert_eq!(c.delete(&path).status, 204);
    assert_eq!(error_of(&c.get(&path)), expected);
    assert_eq!(error_of(&c.delete(&path)), expected);
}

#[test]
fn droplet_listings_page_with_absolute_links_and_filter_by_tag() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    for i in 0..5 {
        let tags = if i % 2 == 0 {
            json!(["env:prod"])
        } else {
            json!([])
        };
        let body = json!({ "name": format!("n{i}"), "size": "s-1vcpu-1gb",
                           "image": "ubuntu-20-04-x64", "tags": tags });
        assert_eq!(c.post("/v2/droplets", body).status, 202);
    }
    let one = c.get("/v2/droplets").json();
    assert_eq!(one["links"], json!({ "pages": {} }), "one page: no links");
    assert_eq!(one["meta"]["total"], 5);
    let mut names = vec![];
    let mut next = Some("/v2/droplets?per_page=2".to_string());
    let mut pages = vec![];
    while let Some(url) = next {
        let body = c.get(&url).json();
        names.extend(
            body["droplets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].clone()),
        );
        assert_eq!(body["meta"]["total"], 5);
        next = body["links"]["pages"]["next"].as_str().map(String::from);
        pages.push(body["links"]["pages"].clone());
    }
    assert_eq!(names, ["n0", "n1", "n2", "n3", "n4"]);
    let base = fake.url();
    assert_eq!(
        pages[0],
        json!({ "next": format!("{base}/v2/droplets?page=2&per_page=2"),
                "last": format!("{base}/v2/droplets?page=3&per_page=2") })
    );
    assert_eq!(
        pages[2],
        json!({ "first": format!("{base}/v2/droplets?page=1&per_page=2"),
                "prev": format!("{base}/v2/droplets?page=2&per_page=2") })
    );
    let tagged = c.get("/v2/droplets?tag_name=env%3Aprod&per_page=2").json();
    assert_eq!(tagged["meta"]["total"], 3);
    let next = tagged["links"]["pages"]["next"].as_str().unwrap();
    assert!(
        next.contains("tag_name=env%3Aprod"),
        "filters stay on: {next}"
    );
    assert_eq!(c.get(next).json()["droplets"][0]["name"], "n4");
    let named = c.get("/v2/droplets?name=N3").json();
    assert_eq!(
        named["droplets"][0]["name"], "n3",
        "name filter: exact, case-insensitive"
    );
    assert_eq!(c.get("/v2/droplets?per_page=0").status, 400);
}

#[test]
fn power_actions_progress_to_completed_and_move_the_droplet() {
    let fake = DoFake::start(TOKEN);
    fake.set_active_after(1);
    fake.set_action_after(2);
    let c = Client::new(&fake);
    let id = create_droplet(&c, "p")["id"].as_u64().unwrap();
    let actions = format!("/v2/droplets/{id}/actions");
    let early = c.post(&actions, json!({ "type": "power_off" }));
    assert_eq!(
        error_of(&early).1,
        "unprocessable_entity",
        "still being created"
    );
    assert_eq!(
        c.get(&format!("/v2/droplets/{id}")).json()["droplet"]["status"],
        "active"
    );
    let a = c.post(&actions, json!({ "type": "power_off" }));
    assert_eq!(a.status, 201, "{}", a.text);
    let action = a.json()["action"].clone();
    assert_eq!(action["status"], "in-progress");
    assert_eq!(action["type"], "power_off");
    assert_eq!(action["resource_id"], id);
    assert_eq!(action["resource_type"], "droplet");
    assert_eq!(action["region_slug"], "nyc3");
    assert!(action["completed_at"].is_null());
    assert!(action["started_at"].as_str().unwrap().ends_with('Z'));
    let busy = c.post(&actions, json!({ "type": "power_on" }));
    assert_eq!(error_of(&busy).2, "Droplet already has a pending event.");
    let poll = format!("/v2/actions/{}", action["id"]);
    assert_eq!(c.get(&poll).json()["action"]["status"], "in-progress");
    assert_eq!(fake.droplet(id).unwrap()["status"], "active", "not yet");
    let done = c.get(&format!("{actions}/{}", action["id"])).json()["action"].clone();
    assert_eq!(done["status"], "completed");
    assert!(done["completed_at"].is_string());
    assert_eq!(
        c.get(&format!("/v2/droplets/{id}")).json()["droplet"]["status"],
        "off"
    );
    fake.set_action_after(0);
    let on = c.post(&actions, json!({ "type": "power_on" })).json();
    assert_eq!(on["action"]["status"], "completed");
    assert_eq!(fake.droplet(id).unwrap()["status"], "active");
    let listed = c.get(&actions).json();
    assert_eq!(listed["meta"]["total"], 3, "create, power_off, power_on");
    assert_eq!(c.post(&actions, json!({ "type": "fly" })).status, 422);
    assert_eq!(
        c.post("/v2/droplets/424242/actions", json!({ "type": "reboot" }))
            .status,
        404
    );
}

#[test]
fn catalog_lists_are_documented_shapes_filtered_and_seedable() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    let sizes = c.get("/v2/sizes").json();
    let s = &sizes["sizes"][0];
    for k in [
        "slug",
        "memory",
        "vcpus",
        "disk",
        "transfer",
        "price_monthly",
        "price_hourly",
        "regions",
        "available",
        "description",
    ] {
        assert!(!s[k].is_null(), "size field {k}");
    }
    let regions = c.get("/v2/regions").json();
    assert_eq!(regions["regions"][0]["slug"], "nyc3");
    assert!(regions["regions"][0]["sizes"].is_array());
    let names = |q: &str| -> Vec<String> {
        let body = c.get(&format!("/v2/images{q}")).json();
        body["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().into())
            .collect()
    };
    assert_eq!(names("").len(), 4);
    assert_eq!(names("?type=distribution"), ["20.04 (LTS) x64", "12 x64"]);
    assert_eq!(names("?type=application"), ["Docker on Ubuntu 22.04"]);
    assert_eq!(names("?private=true"), ["Nifty New Snapshot"]);
    let many = (0..45)
        .map(|i| catalog::size(&format!("s-{i}"), 1024, 1, 25, 6.0))
        .collect();
    fake.set_sizes(many);
    let p3 = c.get("/v2/sizes?page=3").json();
    assert_eq!(p3["sizes"].as_array().unwrap().len(), 5);
    assert_eq!(p3["sizes"][0]["slug"], "s-40");
    assert!(p3["links"]["pages"].get("next").is_none());
    assert_eq!(
        p3["links"]["pages"]["first"],
        format!("{}/v2/sizes?page=1", fake.url())
    );
    fake.set_images(vec![(
        ImageKind::User,
        catalog::image(5, "mine", "Debian", None, false),
    )]);
    fake.set_regions(vec![catalog::region("fra1", "Frankfurt 1", true)]);
    assert_eq!(names(""), ["mine"]);
    assert_eq!(c.get("/v2/regions").json()["regions"][0]["slug"], "fra1");
}

/// A well-formed ed25519 public key (its 32 key bytes are 0..31).
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me@host";

#[test]
fn ssh_keys_are_created_found_by_id_or_fingerprint_and_deleted() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    let a = c.post(
        "/v2/account/keys",
        json!({ "name": "laptop", "public_key": KEY }),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let key = a.json()["ssh_key"].clone();
    let fp = key["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fp.split(':').count(), 16);
    assert_eq!(key["public_key"], KEY);
    assert_eq!(
        c.get(&format!("/v2/account/keys/{}", key["id"])).json()["ssh_key"],
        key
    );
    assert_eq!(
        c.get(&format!("/v2/account/keys/{fp}")).json()["ssh_key"],
        key
    );
    let listed = c.get("/v2/account/keys").json();
    assert_eq!(listed["ssh_keys"], json!([key]));
    assert_eq!(listed["links"], json!({}));
    let again = c.post(
        "/v2/account/keys",
        json!({ "name": "dup", "public_key": KEY }),
    );
    assert_eq!(again.status, 422);
    let junk = c.post(
        "/v2/account/keys",
        json!({ "name": "x", "public_key": "not a key" }),
    );
    assert_eq!(junk.status, 422);
    let by_key = json!({ "name": "k", "size": "s-1vcpu-1gb", "image": "debian-12-x64",
                         "ssh_keys": [key["id"], fp] });
    assert_eq!(
        c.post("/v2/droplets", by_key).status,
        202,
        "known keys are accepted"
    );
    assert_eq!(c.delete(&format!("/v2/account/keys/{fp}")).status, 204);
    assert_eq!(
        c.get(&format!("/v2/account/keys/{}", key["id"])).status,
        404
    );
}

#[test]
fn volumes_attach_detach_and_snapshot() {
    let fake = DoFake::start(TOKEN);
    fake.set_active_after(1);
    let c = Client::new(&fake);
    let did = create_droplet(&c, "host")["id"].as_u64().unwrap();
    let bad = c.post("/v2/volumes", json!({ "name": "data", "region": "nyc3" }));
    assert_eq!(error_of(&bad).1, "unprocessable_entity");
    let a = c.post(
        "/v2/volumes",
        json!({ "name": "data", "size_gigabytes": 10, "region": "nyc3",
                "filesystem_type": "ext4", "description": "d" }),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let vol = a.json()["volume"].clone();
    let vid = vol["id"].as_str().unwrap().to_string();
    assert_eq!(vol["droplet_ids"], json!([]));
    assert_eq!(vol["region"]["slug"], "nyc3");
    let found = |q: &str| c.get(&format!("/v2/volumes{q}")).json()["meta"]["total"].clone();
    assert_eq!(
        (found("?name=data"), found("?region=ams3")),
        (json!(1), json!(0))
    );
    assert_eq!(c.get("/v2/volumes").json()["links"], json!({}));
    let actions = format!("/v2/volumes/{vid}/actions");
    let att = c.post(
        &actions,
        json!({ "type": "attach", "droplet_id": did, "region": "nyc3" }),
    );
    assert_eq!(att.status, 202, "{}", att.text);
    let action = att.json()["action"].clone();
    assert_eq!(
        (&action["type"], &action["status"]),
        (&json!("attach_volume"), &json!("in-progress"))
    );
    assert_eq!(action["resource_type"], "volume");
    assert_eq!(
        c.get(&format!("/v2/actions/{}", action["id"])).json()["action"]["status"],
        "completed"
    );
    assert_eq!(
        c.get(&format!("/v2/volumes/{vid}")).json()["volume"]["droplet_ids"],
        json!([did])
    );
    assert_eq!(fake.droplet(did).unwrap()["volume_ids"], json!([vid]));
    let twice = c.post(&actions, json!({ "type": "attach", "droplet_id": did }));
    assert_eq!(twice.status, 422);
    let snap = c.post(
        &format!("/v2/volumes/{vid}/snapshots"),
        json!({ "name": "s1" }),
    );
    assert_eq!(snap.status, 201, "{}", snap.text);
    let snap = snap.json()["snapshot"].clone();
    assert_eq!(
        (&snap["resource_id"], &snap["resource_type"]),
        (&json!(vid), &json!("volume"))
    );
    let listed = c.get(&format!("/v2/volumes/{vid}/snapshots")).json();
    assert_eq!(listed["snapshots"], json!([snap]));
    let det = c.post(
        &actions,
        json!({ "type": "detach", "droplet_id": did, "region": "nyc3" }),
    );
    assert_eq!(det.json()["action"]["type"], "detach_volume");
    c.get(&format!("/v2/actions/{}", det.json()["action"]["id"]));
    assert_eq!(
        c.get(&format!("/v2/volumes/{vid}")).json()["volume"]["droplet_ids"],
        json!([])
    );
    assert_eq!(
        c.delete(&format!("/v2/snapshots/{}", snap["id"].as_str().unwrap()))
            .status,
        204
    );
    assert_eq!(c.delete(&format!("/v2/volumes/{vid}")).status, 204);
    assert_eq!(c.get(&format!("/v2/volumes/{vid}")).status, 404);
}

#[test]
fn the_rate_limit_switch_answers_429_with_retry_after_then_recovers() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    fake.fail_next(Fault::RateLimited { retry_after: 7 }, 2);
    for _ in 0..2 {
        let a = c.get("/v2/droplets");
        assert_eq!(
            error_of(&a),
            (
                429,
                "too_many_requests".into(),
                "API Rate limit exceeded.".into()
            )
        );
        assert_eq!(a.header("ratelimit-remaining"), Some("0"));
        assert_eq!(a.header("retry-after"), Some("7"));
    }
    let ok = c.get("/v2/droplets");
    assert_eq!(ok.status, 200);
    assert_ne!(ok.header("ratelimit-remaining"), Some("0"));
}

#[test]
fn fault_switches_break_exactly_the_next_requests() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    fake.fail_next(Fault::ServerError, 1);
    assert_eq!(error_of(&c.get("/v2/droplets")).1, "server_error");
    fake.fail_next(Fault::CutJson, 1);
    let cut = c.get("/v2/droplets");
    assert_eq!(cut.status, 200);
    assert!(
        serde_json::from_str::<Value>(&cut.text).is_err(),
        "cut: {}",
        cut.text
    );
    fake.fail_next(Fault::Truncated, 1);
    assert!(
        c.try_get("/v2/droplets").is_err(),
        "body shorter than content-length"
    );
    fake.fail_next(Fault::Reset, 1);
    assert!(c.try_get("/v2/droplets").is_err(), "connection reset");
    assert_eq!(c.get("/v2/droplets").status, 200);
}

#[test]
fn the_request_log_holds_method_path_query_and_body() {
    let fake = DoFake::start(TOKEN);
    let c = Client::new(&fake);
    c.get("/v2/images?type=distribution&per_page=5");
    c.post("/v2/account/keys", json!({ "name": "n" }));
    let log = fake.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", "/v2/images")
    );
    assert_eq!(log[0].query, "type=distribution&per_page=5");
    assert_eq!(log[0].body, "");
    assert_eq!(
        (log[1].method.as_str(), log[1].path.as_str()),
        ("POST", "/v2/account/keys")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&log[1].body).unwrap(),
        json!({ "name": "n" })
    );
}

#[test]
fn one_connection_serves_several_requests_until_the_client_closes() {
    let fake = DoFake::start(TOKEN);
    let mut s = TcpStream::connect(fake.url().trim_start_matches("http://")).unwrap();
    let req = |close: bool| {
        let conn = if close { "Connection: close\r\n" } else { "" };
        format!(
            "GET /v2/regions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n{conn}\r\n"
        )
    };
    s.write_all(format!("{}{}", req(false), req(true)).as_bytes())
        .unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    assert_eq!(all.matches("HTTP/1.1 200 OK").count(), 2, "{all}");
    assert_eq!(fake.requests().len(), 2);
}
