use serde_json::{Value, json};

use super::*;
use crate::compute::digitalocean::{Collection, PageAsk};
use crate::compute::{
    KeyPair, Node, NodeImage, NodeLocation, NodeSize, Volume, VolumeSnapshot, VolumeState,
};
use crate::http::header_map;

const VOLUME: &str = "506f78a4-e098-11e5-ad9f-000f53306ae1";

fn answer(status: u16, body: &Value) -> Response {
    answer_text(status, &body.to_string(), &[])
}

fn answer_text(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
    Response {
        status,
        headers: header_map(headers.iter().copied()),
        body: body.to_owned().into_bytes().into(),
    }
}

fn endpoint() -> url::Url {
    url::Url::parse("https://api.digitalocean.com").unwrap()
}

/// A droplet shaped as the API reference's example.
fn droplet_json(id: u64, status: &str) -> Value {
    json!({
        "id": id, "name": "example.com", "memory": 1024, "vcpus": 1, "disk": 25,
        "locked": false, "status": status, "kernel": null,
        "created_at": "2020-07-21T18:37:44Z", "features": ["backups", "ipv6"],
        "backup_ids": [], "snapshot_ids": [], "volume_ids": [],
        "image": { "id": 63663980, "name": "20.04 (LTS) x64", "slug": "ubuntu-20-04-x64" },
        "size": { "slug": "s-1vcpu-1gb", "memory": 1024 }, "size_slug": "s-1vcpu-1gb",
        "networks": {
            "v4": [
                { "ip_address": "10.128.192.124", "netmask": "255.255.0.0", "gateway": "nil", "type": "private" },
                { "ip_address": "192.241.165.154", "netmask": "255.255.255.0", "gateway": "192.241.165.1", "type": "public" }
            ],
            "v6": [ { "ip_address": "2604:a880:0:1010::18a:a001", "netmask": 64, "gateway": "2604:a880:0:1010::1", "type": "public" } ]
        },
        "region": { "name": "New York 3", "slug": "nyc3", "available": true },
        "tags": ["web", "env:prod", "url:a:b"],
        "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000"
    })
}

#[test]
fn a_droplet_reads_into_a_node() {
    let resp = answer(200, &json!({ "droplet": droplet_json(3164444, "active") }));
    let n = droplet(&resp, 3164444).unwrap();
    assert_eq!((n.id.as_str(), n.name.as_str()), ("3164444", "example.com"));
    assert_eq!(n.state, NodeState::Running);
    assert_eq!(
        n.private_ips,
        ["10.128.192.124".parse::<std::net::IpAddr>().unwrap()]
    );
    let public: Vec<String> = n.public_ips.iter().map(|i| i.to_string()).collect();
    assert_eq!(public, ["192.241.165.154", "2604:a880:0:1010::18a:a001"]);
    assert_eq!(n.size.as_deref(), Some("s-1vcpu-1gb"));
    assert_eq!(n.image.as_deref(), Some("63663980"));
    assert_eq!(n.location.as_deref(), Some("nyc3"));
    let epoch = n
        .created_at
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert_eq!(epoch.as_secs(), 1_595_356_664);
    let tags: Vec<(&str, &str)> = n
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(tags, [("env", "prod"), ("url", "a:b"), ("web", "")]);
    assert_eq!(n.extra["image_slug"], "ubuntu-20-04-x64");
    assert_eq!(n.extra["vpc_uuid"], "760e09ef-dc84-11e8-981e-3cfdfeaae000");
    assert_eq!(
        (n.extra["memory"].as_str(), n.extra["locked"].as_str()),
        ("1024", "false")
    );
    assert_eq!(n.extra["features"], r#"["backups","ipv6"]"#);
    assert_eq!(n.extra["status"], "active");
    assert!(!n.extra.contains_key("kernel") && !n.extra.contains_key("size"));
}

#[test]
fn droplet_statuses_map_to_node_states() {
    for (status, state) in [
        ("new", NodeState::Pending),
        ("active", NodeState::Running),
        ("off", NodeState::Stopped),
        ("archive", NodeState::Terminated),
        ("reticulating", NodeState::Unknown),
    ] {
        let resp = answer(202, &json!({ "droplet": droplet_json(7, status) }));
        let spec = crate::compute::CreateNode::new("a", "s-1vcpu-1gb", "7");
        assert_eq!(
            created_droplet(&resp, &spec).unwrap().state,
            state,
            "{status}"
        );
    }
}

#[test]
fn broken_droplet_answers_are_parse_errors() {
    let mut wrong_ip = droplet_json(7, "active");
    wrong_ip["networks"]["v4"][0]["ip_address"] = json!("10.0.0.999");
    let mut string_id = droplet_json(7, "active");
    string_id["id"] = json!("7");
    let mut bad_time = droplet_json(7, "active");
    bad_time["created_at"] = json!("yesterday");
    let mut tags_not_text = droplet_json(7, "active");
    tags_not_text["tags"] = json!([1, 2]);
    let cases = [
        json!({ "droplet": wrong_ip }),
        json!({ "droplet": string_id }),
        json!({ "droplet": bad_time }),
        json!({ "droplet": tags_not_text }),
        json!({ "droplet": droplet_json(8, "active") }),
        json!({ "droplets": [droplet_json(7, "active")] }),
        json!({ "droplet": null }),
        json!([droplet_json(7, "active")]),
    ];
    for body in cases {
        let e = droplet(&answer(200, &body), 7).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{body}: {e}");
        assert_eq!(e.provider(), Some(PROVIDER));
    }
    let cut = r#"{"droplet":{"id":7,"name":"a","sta"#;
    let e = droplet(&answer_text(200, cut, &[]), 7).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let html = "<html><body>502 Bad Gateway</body></html>";
    let e = droplet(&answer_text(200, html, &[]), 7).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

#[test]
fn error_bodies_map_to_kinds_keeping_message_code_and_request_id() {
    let err = |status: u16, id: &str, message: &str| {
        let body = json!({ "id": id, "message": message, "request_id": "4d9d8375" });
        error_from(&answer(status, &body), "droplet 7")
    };
    let e = err(
        404,
        "not_found",
        "The resource you were accessing could not be found.",
    );
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(
        (e.code(), e.status(), e.request_id()),
        (Some("not_found"), Some(404), Some("4d9d8375"))
    );
    assert!(
        e.to_string()
            .contains("droplet 7: The resource you were accessing"),
        "{e}"
    );
    for (status, id, message, kind) in [
        (
            401,
            "unauthorized",
            "Unable to authenticate you.",
            ErrorKind::Unauthorized,
        ),
        (
            403,
            "forbidden",
            "You do not have access.",
            ErrorKind::PermissionDenied,
        ),
        (
            422,
            "unprocessable_entity",
            "SSH Key is already in use on your account",
            ErrorKind::AlreadyExists,
        ),
        (
            422,
            "unprocessable_entity",
            "You specified an invalid size.",
            ErrorKind::InvalidInput,
        ),
        (
            409,
            "conflict",
            "A volume that's attached to a Droplet cannot be deleted.",
            ErrorKind::PreconditionFailed,
        ),
        (
            422,
            "unprocessable_entity",
            "Droplet already has a pending event.",
            ErrorKind::PreconditionFailed,
        ),
        (
            422,
            "unprocessable_entity",
            "the volume is already attached to a Droplet",
            ErrorKind::PreconditionFailed,
        ),
        (400, "bad_request", "invalid JSON", ErrorKind::InvalidInput),
        (
            429,
            "too_many_requests",
            "API Rate limit exceeded.",
            ErrorKind::RateLimited,
        ),
        (
            500,
            "server_error",
            "Unexpected server-side error",
            ErrorKind::Provider,
        ),
        (418, "teapot", "?", ErrorKind::Provider),
    ] {
        assert_eq!(err(status, id, message).kind(), kind, "{id}: {message}");
    }
    let html = answer_text(
        502,
        "<html>Bad Gateway</html>",
        &[("x-request-id", "req-9")],
    );
    let e = error_from(&html, "listing droplets");
    assert_eq!(
        (e.kind(), e.request_id()),
        (ErrorKind::Provider, Some("req-9"))
    );
    assert!(e.to_string().contains("not a DigitalOcean error"), "{e}");
    let bare = error_from(&answer_text(404, "", &[]), "x");
    assert_eq!(bare.kind(), ErrorKind::NotFound);
    let long = err(500, "server_error", &"A".repeat(100_000));
    assert!(long.message().len() < 400, "messages are clipped");
}

#[test]
fn a_429_names_the_wait_it_asks_for() {
    let body = r#"{"id":"too_many_requests","message":"API Rate limit exceeded."}"#;
    let retry = answer_text(429, body, &[("retry-after", "7")]);
    let e = error_from(&retry, "listing sizes");
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(e.to_string().contains("retry after 7"), "{e}");
    let reset = answer_text(
        429,
        body,
        &[
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "1444931833"),
        ],
    );
    let e = error_from(&reset, "listing sizes");
    assert!(e.to_string().contains("1444931833"), "{e}");
}

fn page_answer(items: Vec<Value>, next: Option<&str>) -> Response {
    let links = match next {
        Some(n) => json!({ "pages": { "next": n, "last": n } }),
        None => json!({}),
    };
    answer(
        200,
        &json!({ "droplets": items, "links": links, "meta": { "total": 9 } }),
    )
}

fn ask(page: u32) -> PageAsk {
    PageAsk::new(Collection::Droplets, Some(&page.to_string()), 2).unwrap()
}

#[test]
fn pages_hand_out_the_next_page_number_once_its_link_is_checked() {
    let two = vec![droplet_json(1, "new"), droplet_json(2, "active")];
    let next = "https://api.digitalocean.com/v2/droplets?page=2&per_page=2";
    let p: Page<Node> = page(&page_answer(two.clone(), Some(next)), &ask(1), &endpoint()).unwrap();
    assert_eq!((p.items.len(), p.next_token.as_deref()), (2, Some("2")));
    let last: Page<Node> = page(&page_answer(two.clone(), None), &ask(5), &endpoint()).unwrap();
    assert_eq!(last.next_token, None);
    let empty_pages = answer(200, &json!({ "droplets": [], "links": { "pages": {} } }));
    let p: Page<Node> = page(&empty_pages, &ask(1), &endpoint()).unwrap();
    assert!(p.items.is_empty() && p.next_token.is_none());
    let no_links = answer(200, &json!({ "droplets": [] }));
    assert!(page::<Node>(&no_links, &ask(1), &endpoint()).is_ok());
    let port = url::Url::parse("https://api.digitalocean.com:443/").unwrap();
    assert!(page::<Node>(&page_answer(two, Some(next)), &ask(1), &port).is_ok());
}

#[test]
fn next_links_elsewhere_or_out_of_order_are_refused() {
    let two = || vec![droplet_json(1, "new"), droplet_json(2, "active")];
    for next in [
        "https://evil.example/v2/droplets?page=2",
        "http://api.digitalocean.com/v2/droplets?page=2",
        "https://api.digitalocean.com:8443/v2/droplets?page=2",
        "https://user:pw@api.digitalocean.com/v2/droplets?page=2",
        "https://api.digitalocean.com/v2/account/keys?page=2",
        "https://api.digitalocean.com/v2/droplets?page=1",
        "https://api.digitalocean.com/v2/droplets?page=4",
        "https://api.digitalocean.com/v2/droplets?page=2&page=3",
        "https://api.digitalocean.com/v2/droplets?per_page=2",
        "https://api.digitalocean.com/v2/droplets?page=two",
        "not a url",
    ] {
        let e = page::<Node>(&page_answer(two(), Some(next)), &ask(1), &endpoint()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{next}: {e}");
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}

#[test]
fn broken_pages_are_parse_errors_and_error_pages_their_error() {
    let three = vec![
        droplet_json(1, "new"),
        droplet_json(2, "new"),
        droplet_json(3, "new"),
    ];
    let cases = [
        page_answer(three, None),
        answer(200, &json!({ "droplet": droplet_json(1, "new") })),
        answer(200, &json!({ "droplets": { "id": 1 } })),
        answer(
            200,
            &json!({ "droplets": [], "links": { "pages": { "next": 5 } } }),
        ),
        answer(200, &json!({ "droplets": [], "links": [] })),
        answer(200, &json!({ "droplets": [{ "id": 1 }] })),
        answer_text(200, r#"{"droplets":[{"id":3164444,"name":"exa"#, &[]),
    ];
    for resp in cases {
        let e = page::<Node>(&resp, &ask(1), &endpoint()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }
    let denied = answer(
        401,
        &json!({ "id": "unauthorized", "message": "Unable to authenticate you." }),
    );
    let e = page::<Node>(&denied, &ask(1), &endpoint()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
}

#[test]
fn actions_complete_stay_in_progress_or_error_by_name() {
    let a = |status: &str| {
        json!({ "action": { "id": 36804636, "status": status, "type": "reboot",
        "started_at": "2014-11-14T16:29:21Z", "completed_at": null, "resource_id": 3164444,
        "resource_type": "droplet", "region_slug": "nyc3" } })
    };
    let started = started_action(&answer(201, &a("in-progress")), "reboot", "reboot");
    assert!(!action_settled(&started.unwrap(), "reboot").unwrap());
    let other = started_action(&answer(201, &a("in-progress")), "power off", "power_off");
    assert_eq!(other.unwrap_err().kind(), ErrorKind::Parse);
    let done = action(&answer(200, &a("completed")), "reboot", Some(36804636)).unwrap();
    assert!(action_settled(&done, "reboot").unwrap());
    let running = action(&answer(201, &a("in-progress")), "reboot", None).unwrap();
    assert_eq!(
        (running.kind.as_str(), running.status),
        ("reboot", ActionStatus::InProgress)
    );
    assert!(!action_settled(&running, "reboot").unwrap());
    let failed = action(&answer(200, &a("errored")), "reboot", None).unwrap();
    let e = action_settled(&failed, "reboot of droplet 3164444").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider);
    assert!(
        e.to_string().contains("action 36804636 (reboot) errored"),
        "{e}"
    );
    let e = action(&answer(200, &a("paused")), "reboot", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let e = action(&answer(200, &a("completed")), "reboot", Some(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let t = action_timed_out(&running, "reboot of droplet 7", Duration::from_secs(600));
    assert_eq!(t.kind(), ErrorKind::Timeout);
    assert!(t.to_string().contains("36804636"), "{t}");
}

fn listed<T: Listed>(item: Value) -> T {
    T::from_item(item).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn catalog_keys_volumes_and_snapshots_read_into_the_model() {
    let s: NodeSize = listed(
        json!({ "slug": "s-1vcpu-1gb", "memory": 1024, "vcpus": 1, "disk": 25,
        "transfer": 1.0, "price_monthly": 6.0, "price_hourly": 0.00893, "regions": ["nyc3"],
        "available": true, "description": "Basic" }),
    );
    assert_eq!(
        (s.id.as_str(), s.ram_mib, s.vcpus, s.disk_gib),
        ("s-1vcpu-1gb", 1024, 1, 25)
    );
    assert_eq!(
        (s.price_hourly, s.extra["price_monthly"].as_str()),
        (Some(0.00893), "6.0")
    );
    let i: NodeImage = listed(
        json!({ "id": 7555620, "name": "Nifty New Snapshot", "slug": null,
        "distribution": "Ubuntu", "public": false }),
    );
    assert_eq!(
        (i.id.as_str(), i.extra.contains_key("slug")),
        ("7555620", false)
    );
    let r: NodeLocation = listed(
        json!({ "slug": "nyc2", "name": "New York 2", "available": false,
        "features": ["ipv6"], "sizes": [] }),
    );
    assert_eq!((r.id.as_str(), r.available), ("nyc2", Some(false)));
    let k: KeyPair = listed(
        json!({ "id": 512189, "fingerprint": "3b:16:bf", "name": "laptop",
        "public_key": "ssh-rsa AEXAMPLE example" }),
    );
    assert_eq!(
        (k.id.as_deref(), k.private_key.is_none()),
        (Some("512189"), true)
    );
    let v: Volume = listed(json!({ "id": VOLUME, "name": "data", "size_gigabytes": 10,
        "droplet_ids": [3164444], "region": { "slug": "nyc1" }, "description": "",
        "created_at": "2020-03-02T17:00:49Z", "filesystem_type": "ext4", "tags": [] }));
    assert_eq!(
        (v.state, v.attached_to.as_slice()),
        (VolumeState::InUse, &["3164444".to_string()][..])
    );
    assert_eq!(v.location.as_deref(), Some("nyc1"));
    let snap: VolumeSnapshot = listed(json!({ "id": "8fa70202-873f-11e6-8b68-000f533176b1",
        "name": "big-data-snapshot1475261774", "regions": ["nyc1"],
        "created_at": "2020-09-30T18:56:14Z", "resource_id": VOLUME, "resource_type": "volume",
        "min_disk_size": 10, "size_gigabytes": 0, "tags": [] }));
    assert_eq!(
        (snap.volume_id.as_deref(), snap.size_gib),
        (Some(VOLUME), Some(10))
    );
    for bad in [
        json!({ "id": "not-a-uuid", "name": "d", "size_gigabytes": 1 }),
        json!({ "id": VOLUME, "name": "d", "size_gigabytes": -1 }),
        json!({ "id": VOLUME, "name": "d", "size_gigabytes": 1, "droplet_ids": ["7"] }),
    ] {
        assert!(Volume::from_item(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn key_names_resolve_to_exactly_one_key() {
    let key = |id: &str, name: &str| {
        KeyPair::from_item(json!({ "id": id.parse::<u64>().unwrap(),
        "name": name, "fingerprint": id, "public_key": "ssh-ed25519 AAAA" }))
        .unwrap()
    };
    let keys = [key("1", "laptop"), key("2", "ci"), key("3", "ci")];
    assert_eq!(key_id(&keys, "laptop").unwrap(), 1);
    assert_eq!(
        key_id(&keys, "desktop").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        key_id(&keys, "ci").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn no_content_answers_and_created_resources() {
    assert!(no_content(&answer_text(204, "", &[]), "deleting").is_ok());
    let e = no_content(
        &answer(404, &json!({ "id": "not_found", "message": "m" })),
        "deleting",
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let v = json!({ "volume": { "id": VOLUME, "name": "data", "size_gigabytes": 10, "droplet_ids": [] } });
    assert_eq!(
        volume(&answer(201, &v), None).unwrap().state,
        VolumeState::Available
    );
    assert!(volume(&answer(200, &v), Some(VOLUME)).is_ok());
    let other = "506f78a4-e098-11e5-ad9f-000f53306ae2";
    assert_eq!(
        volume(&answer(200, &v), Some(other)).unwrap_err().kind(),
        ErrorKind::Parse
    );
    let k = json!({ "ssh_key": { "id": 5, "name": "n", "fingerprint": "f", "public_key": "p" } });
    assert_eq!(ssh_key(&answer(201, &k), "n").unwrap().name, "n");
    let s = json!({ "snapshot": { "id": VOLUME, "resource_id": VOLUME, "min_disk_size": 10 } });
    assert_eq!(
        snapshot(&answer(201, &s), VOLUME).unwrap().size_gib,
        Some(10)
    );
    assert_eq!(
        snapshot(&answer(201, &k), VOLUME).unwrap_err().kind(),
        ErrorKind::Parse
    );
}

#[test]
fn created_keys_and_snapshots_must_be_the_ones_asked() {
    let k = json!({ "ssh_key": { "id": 5, "name": "n", "fingerprint": "f", "public_key": "p" } });
    let e = ssh_key(&answer(201, &k), "deploy").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let other = "506f78a4-e098-11e5-ad9f-000f53306ae2";
    for s in [
        json!({ "snapshot": { "id": VOLUME, "resource_id": other } }),
        json!({ "snapshot": { "id": VOLUME } }),
    ] {
        let e = snapshot(&answer(201, &s), VOLUME).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }
}
