// DigitalOcean's own behaviour, against the in-process fake (a fresh one per test):
// paging by checked links, actions polled, rate limits waited out as advertised, faults
// typed, the token kept out of sight. Included by `tests/compute.rs` once per mode, inside
// a module providing `mc`, `maybe_async` and `mode_test`.

use std::time::{Duration, Instant};

use mc::compute::{ComputeDriver, CreateNode, DigitalOcean, ImageOwner, NodeState};
use multicloud::ErrorKind;
use multicloud::compute::digitalocean::{DoConfig, DropletAction};
use multicloud::http::TransportConfig;
use multicloud::retry::RetryPolicy;
use multicloud::storage::CancelToken;
use serde_json::json;

use crate::common::digitalocean_fake::{DoFake, Fault, Logged, catalog};

const TOKEN: &str = "dop_v1_specific_SECRET";

fn driver_with(fake: &DoFake, token: &str, transport: TransportConfig) -> DigitalOcean {
    let config = DoConfig::builder()
        .token(token)
        .endpoint(fake.url())
        .region("nyc3")
        .build()
        .unwrap();
    DigitalOcean::with_transport(config, transport).unwrap()
}

/// A fresh fake (droplets run from their first look) and a driver on it.
fn setup() -> (DoFake, DigitalOcean) {
    let fake = DoFake::start(TOKEN);
    fake.set_active_after(1);
    let d = driver_with(&fake, TOKEN, TransportConfig::default());
    (fake, d)
}

fn spec(name: &str) -> CreateNode {
    CreateNode::new(name, "s-1vcpu-1gb", "ubuntu-20-04-x64")
}

/// The requests the fake received whose path starts with `prefix`.
fn sent(fake: &DoFake, method: &str, prefix: &str) -> Vec<Logged> {
    let all = fake.requests().into_iter();
    all.filter(|r| r.method == method && r.path.starts_with(prefix))
        .collect()
}

#[maybe_async]
#[mode_test]
async fn listings_follow_checked_next_links_over_several_pages() {
    let (fake, d) = setup();
    for i in 0..5 {
        d.create_node(&spec(&format!("n{i}"))).await.unwrap();
    }
    let mut token: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = d.list_nodes_page(token.as_deref(), 2).await.unwrap();
        pages.push(page.items.len());
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, [2, 2, 1]);
    let asked: Vec<String> = sent(&fake, "GET", "/v2/droplets")
        .into_iter()
        .map(|r| r.query)
        .collect();
    assert_eq!(
        asked,
        ["page=1&per_page=2", "page=2&per_page=2", "page=3&per_page=2"]
    );
    let whole = d.list_nodes().await.unwrap();
    assert_eq!(whole.len(), 5);
    // A catalog bigger than the largest page (200) is collected whole.
    let sizes = (0..250)
        .map(|i| catalog::size(&format!("s-{i}"), 1024, 1, 25, 6.0))
        .collect();
    fake.set_sizes(sizes);
    let all = d.list_sizes().await.unwrap();
    assert_eq!(all.len(), 250);
    assert_eq!(sent(&fake, "GET", "/v2/sizes").len(), 2);
}

#[maybe_async]
#[mode_test]
async fn next_links_to_another_host_or_a_repeated_page_are_refused() {
    let (fake, d) = setup();
    let node = d.create_node(&spec("one")).await.unwrap();
    let droplet = fake.droplet(node.id.parse().unwrap()).unwrap();
    let page_linking = |next: String| {
        json!({ "droplets": [droplet.clone()], "links": { "pages": { "next": next } },
                "meta": { "total": 9 } })
    };
    let elsewhere = "https://collector.invalid/v2/droplets?page=2&per_page=1".to_string();
    let repeated = format!("{}/v2/droplets?page=1&per_page=1", fake.url());
    for next in [elsewhere, repeated] {
        fake.answer_next(200, page_linking(next.clone()), 1);
        let e = d.list_nodes_page(None, 1).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{next}: {e}");
        assert!(e.to_string().contains("next page"), "{e}");
    }
    // Collected listings fail whole: never a partial list.
    let skipping = format!("{}/v2/droplets?page=3", fake.url());
    fake.answer_next(200, page_linking(skipping), 1);
    let e = d.list_nodes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let listings = sent(&fake, "GET", "/v2/droplets");
    assert_eq!(listings.len(), 3, "nothing followed a refused link");
}

#[maybe_async]
#[mode_test]
async fn actions_are_polled_until_completed_and_errored_ones_fail() {
    let (fake, d) = setup();
    fake.set_action_after(2);
    let node = d.create_node(&spec("acted")).await.unwrap();
    d.get_node(&node.id).await.unwrap();
    d.stop_node(&node.id).await.unwrap();
    let polls = sent(&fake, "GET", "/v2/actions/");
    assert_eq!(polls.len(), 2, "polled until completed: {polls:?}");
    let stopped = d.get_node(&node.id).await.unwrap();
    assert_eq!(stopped.state, NodeState::Stopped);
    let posted = sent(&fake, "POST", &format!("/v2/droplets/{}/actions", node.id));
    assert!(posted[0].body.contains("power_off"), "{posted:?}");
    fake.error_next_actions(1);
    let e = d.start_node(&node.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
    assert!(e.to_string().contains("(power_on) errored"), "{e}");
    let still = d.get_node(&node.id).await.unwrap();
    assert_eq!(still.state, NodeState::Stopped, "an errored action did nothing");
}

#[maybe_async]
#[mode_test]
async fn action_waits_are_bounded_and_cancellable() {
    let fake = DoFake::start(TOKEN);
    fake.set_active_after(1);
    fake.set_action_after(1000);
    let config = DoConfig::builder()
        .token(TOKEN)
        .endpoint(fake.url())
        .region("nyc3")
        .action_timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    let d = DigitalOcean::new(config).unwrap();
    let node = d.create_node(&spec("slow")).await.unwrap();
    d.get_node(&node.id).await.unwrap();
    let e = d.reboot_node(&node.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("reboot"), "{e}");
    let polls = sent(&fake, "GET", "/v2/actions/").len();
    assert_eq!(polls, 3, "at once, after 1 s, at the deadline");
    let other = d.create_node(&spec("other")).await.unwrap();
    d.get_node(&other.id).await.unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let e = d
        .droplet_action(&other.id, DropletAction::PowerOff, Some(&cancel))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
}

#[maybe_async]
#[mode_test]
async fn a_429_is_retried_after_the_wait_it_advertises() {
    let (fake, d) = setup();
    fake.fail_next(Fault::RateLimited { retry_after: 1 }, 1);
    let started = Instant::now();
    let sizes = d.list_sizes().await.unwrap();
    assert!(!sizes.is_empty());
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1");
    // No Retry-After: the limit's reset time (Unix seconds) says how long.
    fake.fail_next(Fault::RateLimitedUntilReset { reset_in: 2 }, 1);
    let started = Instant::now();
    let regions = d.list_locations().await.unwrap();
    assert!(!regions.is_empty());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "ratelimit-reset: {waited:?}");
    assert_eq!(sent(&fake, "GET", "/v2/sizes").len(), 2);
    assert_eq!(sent(&fake, "GET", "/v2/regions").len(), 2);
    // A POST refused with 429 was not carried out: it is repeated too.
    fake.fail_next(Fault::RateLimited { retry_after: 0 }, 1);
    d.create_node(&spec("after-429")).await.unwrap();
    assert_eq!(sent(&fake, "POST", "/v2/droplets").len(), 2);
    fake.fail_next(Fault::RateLimited { retry_after: 0 }, 10);
    let e = d.list_sizes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert!(e.to_string().contains("retry after 0"), "{e}");
}

#[maybe_async]
#[mode_test]
async fn server_errors_and_resets_are_retried_for_reads_not_for_creates() {
    let (fake, d) = setup();
    fake.fail_next(Fault::ServerError, 1);
    d.list_sizes().await.unwrap();
    fake.fail_next(Fault::Reset, 1);
    d.list_sizes().await.unwrap();
    assert_eq!(sent(&fake, "GET", "/v2/sizes").len(), 4);
    fake.fail_next(Fault::ServerError, 1);
    let e = d.create_node(&spec("once")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
    assert_eq!(e.code(), Some("server_error"));
    assert_eq!(sent(&fake, "POST", "/v2/droplets").len(), 1, "never sent twice");
}

#[maybe_async]
#[mode_test]
async fn truncated_bodies_and_cut_json_are_typed_errors() {
    let fake = DoFake::start(TOKEN);
    let once = TransportConfig::default().retry(RetryPolicy::never());
    let d = driver_with(&fake, TOKEN, once);
    fake.fail_next(Fault::Truncated, 1);
    let e = d.list_nodes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    fake.fail_next(Fault::CutJson, 1);
    let e = d.list_nodes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    assert_eq!(e.provider(), Some("digitalocean"));
    // With retries, a body cut short is read again.
    let retrying = driver_with(&fake, TOKEN, TransportConfig::default());
    fake.fail_next(Fault::Truncated, 1);
    let nodes = retrying.list_nodes().await.unwrap();
    assert!(nodes.is_empty());
}

#[maybe_async]
#[mode_test]
async fn a_wrong_token_is_unauthorized_and_the_token_never_shows() {
    let fake = DoFake::start(TOKEN);
    let wrong = driver_with(&fake, "dop_v1_wrong_HUNTER2", TransportConfig::default());
    let e = wrong.list_nodes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(e.code(), Some("unauthorized"));
    let e2 = wrong.get_node("7").await.unwrap_err();
    let shown = format!("{e} {e:?} {e2} {e2:?} {wrong:?} {:?}", wrong.config());
    assert!(!shown.contains("HUNTER2"), "{shown}");
    let right = driver_with(&fake, TOKEN, TransportConfig::default());
    assert!(!format!("{right:?}").contains("SECRET"));
    let listed = right.list_nodes().await;
    assert!(listed.is_ok(), "{listed:?}");
}

#[maybe_async]
#[mode_test]
async fn not_found_bodies_and_ids_of_the_wrong_shape_are_not_found() {
    let (fake, d) = setup();
    let e = d.get_node("999999").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, Some("not_found")));
    let e = d.destroy_node("999999").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let unknown = "506f78a4-e098-11e5-ad9f-ffffffffffff";
    let e = d.delete_volume_snapshot(unknown).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let before = fake.requests().len();
    for bad in ["../account/keys", "7/actions", "i-0abc"] {
        let e = d.get_node(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{bad}: {e}");
        let e = d.destroy_volume(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{bad}: {e}");
    }
    assert_eq!(fake.requests().len(), before, "never sent");
}

#[maybe_async]
#[mode_test]
async fn a_droplet_goes_from_new_to_active_through_wait_until_running() {
    let (fake, d) = setup();
    fake.set_active_after(2);
    let node = d.create_node(&spec("boot")).await.unwrap();
    assert_eq!(node.state, NodeState::Pending);
    assert!(!node.has_address());
    let ids = vec![node.id.clone()];
    let running = d
        .wait_until_running(&ids, Duration::from_secs(60), None)
        .await
        .unwrap();
    let n = &running[0];
    assert_eq!(n.state, NodeState::Running);
    assert!(!n.public_ips.is_empty() && !n.private_ips.is_empty(), "{n:?}");
    let looks = sent(&fake, "GET", &format!("/v2/droplets/{}", node.id));
    assert_eq!(looks.len(), 2, "new at the first look, active at the second");
}

#[maybe_async]
#[mode_test]
async fn creation_sends_the_spec_as_documented() {
    let (fake, d) = setup();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZXpkuHvI62iaI9zrO0FZd9KERZOJiK9g09N+pQVKdp k";
    let imported = d.import_key_pair("laptop", key).await.unwrap();
    let full = spec("web-1")
        .key_name("laptop")
        .tag("team", "web")
        .tag("public", "")
        .user_data("#cloud-config\n")
        .extra("ipv6", "true")
        .extra("monitoring", "true");
    let node = d.create_node(&full).await.unwrap();
    let posted = sent(&fake, "POST", "/v2/droplets");
    let body: serde_json::Value = serde_json::from_str(&posted[0].body).unwrap();
    let key_id: u64 = imported.id.unwrap().parse().unwrap();
    assert_eq!(body["ssh_keys"], json!([key_id]));
    assert_eq!(body["tags"], json!(["public", "team:web"]));
    assert_eq!((&body["region"], &body["ipv6"]), (&json!("nyc3"), &json!(true)));
    assert_eq!(node.tags.get("team").map(String::as_str), Some("web"));
    let ready = d.get_node(&node.id).await.unwrap();
    assert!(ready.public_ips.iter().any(|ip| ip.is_ipv6()), "{ready:?}");
    let config = DoConfig::builder().token(TOKEN).endpoint(fake.url()).build().unwrap();
    let no_region = DigitalOcean::new(config).unwrap();
    let e = no_region.create_node(&spec("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = d.create_node(&spec("x").extra("SubnetId", "s")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = d.create_key_pair("made").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert_eq!(sent(&fake, "POST", "/v2/droplets").len(), 1, "refused before sending");
}

#[maybe_async]
#[mode_test]
async fn attached_volumes_stay_and_image_owners_choose_the_filter() {
    let (fake, d) = setup();
    let node = d.create_node(&spec("db")).await.unwrap();
    let v = d.create_volume("data", 10, "nyc3").await.unwrap();
    let e = d.detach_volume(&v.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    d.attach_volume(&v.id, &node.id).await.unwrap();
    let e = d.destroy_volume(&v.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    // The look says detached, the API still holds it attached: its 409 says the same.
    let looked = json!({ "volume": { "id": v.id, "name": "data", "size_gigabytes": 10,
                                      "droplet_ids": [], "region": { "slug": "nyc3" } } });
    fake.answer_next(200, looked, 1);
    let e = d.destroy_volume(&v.id).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::PreconditionFailed, Some(409)), "{e}");
    let apps = d.list_images(&ImageOwner::Marketplace).await.unwrap();
    assert!(!apps.is_empty());
    assert!(apps.iter().all(|i| i.extra.get("slug").map(String::as_str) == Some("docker-20-04")));
    let mine = d.list_images(&ImageOwner::Mine).await.unwrap();
    assert_eq!(mine.len(), 1);
    let e = d
        .list_images(&ImageOwner::Account("12345".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    let queries: Vec<String> = sent(&fake, "GET", "/v2/images")
        .into_iter()
        .map(|r| r.query)
        .collect();
    assert_eq!(
        queries,
        ["page=1&per_page=200&type=application", "page=1&per_page=200&private=true"]
    );
}
