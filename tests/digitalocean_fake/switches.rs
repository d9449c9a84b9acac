//! The switches the driver tests lean on, and the endpoints added for them: volume
//! snapshot listings, the 409 for deleting an attached volume, errored actions, canned
//! answers and the 429 that names only its reset time.

use serde_json::json;

use super::client::{Client, TOKEN};
use super::common::digitalocean_fake::{DoFake, Fault};
use super::{create_droplet, error_of};

#[test]
fn snapshot_listings_attached_deletes_errored_actions_and_canned_answers() {
    let fake = DoFake::start(TOKEN);
    fake.set_active_after(1);
    let c = Client::new(&fake);
    let did = create_droplet(&c, "host")["id"].as_u64().unwrap();
    c.get(&format!("/v2/droplets/{did}"));
    let vol = c.post(
        "/v2/volumes",
        json!({ "name": "data", "size_gigabytes": 10, "region": "nyc3" }),
    );
    let vid = vol.json()["volume"]["id"].as_str().unwrap().to_string();
    c.post(
        &format!("/v2/volumes/{vid}/snapshots"),
        json!({ "name": "s1" }),
    );
    let listed = c.get("/v2/snapshots?resource_type=volume").json();
    assert_eq!(listed["snapshots"][0]["resource_id"], vid.as_str());
    assert_eq!(listed["links"], json!({}));
    let droplets_only = c.get("/v2/snapshots?resource_type=droplet").json();
    assert_eq!(droplets_only["meta"]["total"], 0);
    let attach = json!({ "type": "attach", "droplet_id": did });
    let aid = c.post(&format!("/v2/volumes/{vid}/actions"), attach).json()["action"]["id"].clone();
    c.get(&format!("/v2/actions/{aid}"));
    let refused = c.delete(&format!("/v2/volumes/{vid}"));
    assert_eq!(
        (error_of(&refused).0, error_of(&refused).1.as_str()),
        (409, "conflict")
    );
    fake.error_next_actions(1);
    let off = c.post(
        &format!("/v2/droplets/{did}/actions"),
        json!({ "type": "power_off" }),
    );
    let polled = c.get(&format!("/v2/actions/{}", off.json()["action"]["id"]));
    assert_eq!(polled.json()["action"]["status"], "errored");
    assert_eq!(
        c.get(&format!("/v2/droplets/{did}")).json()["droplet"]["status"],
        "active"
    );
    fake.answer_next(200, json!({ "anything": 1 }), 1);
    assert_eq!(c.get("/v2/sizes").json(), json!({ "anything": 1 }));
    fake.fail_next(Fault::RateLimitedUntilReset { reset_in: 30 }, 1);
    let limited = c.get("/v2/sizes");
    let reset: u64 = limited.header("ratelimit-reset").unwrap().parse().unwrap();
    assert_eq!((limited.status, limited.header("retry-after")), (429, None));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert!(
        (now.as_secs() + 25..=now.as_secs() + 31).contains(&reset),
        "{reset}"
    );
}
