// The compute conformance cases. Included by `tests/compute.rs` once per mode, inside a
// module that provides `mc` (the mode module), `maybe_async`, `mode_test`, `drain` and
// `spawn_and_join`.

use std::time::Duration;

use mc::compute::{ComputeDriver, CreateNode, ImageOwner, MemoryCompute, NodeState, VolumeState};
use multicloud::ErrorKind;
use multicloud::storage::CancelToken;

/// Generates one test per case for one driver: `$module::$case`.
macro_rules! compute_cases {
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

/// A valid OpenSSH public key (EC2 checks the format).
const LAPTOP_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZXpkuHvI62iaI9zrO0FZd9KERZOJiK9g09N+pQVKdp laptop";

/// A driver on a cloud of its own (no other test's nodes in it) and what the cloud
/// offers: a size and a provider image nodes can be made from.
struct Fixture<D> {
    d: D,
    size: &'static str,
    image: &'static str,
}

impl<D> Fixture<D> {
    fn spec(&self, name: &str) -> CreateNode {
        CreateNode::new(name, self.size, self.image).tag("suite", "compute")
    }
}

fn memory() -> Fixture<MemoryCompute> {
    let d = MemoryCompute::with_boot_looks(0);
    Fixture {
        d,
        size: "small",
        image: "debian-13",
    }
}

/// EC2 on moto, in an account of its own; `t2.micro` and an Amazon Linux AMI moto offers.
fn ec2() -> Fixture<mc::compute::Ec2> {
    let config = crate::common::ec2env::ec2_config("eu-west-1");
    let d = mc::compute::Ec2::new(config).unwrap();
    Fixture {
        d,
        size: "t2.micro",
        image: "ami-12c6146b",
    }
}

compute_cases!(ec2, ec2();
    node_lifecycle_run_stop_start_reboot_destroy,
    nodes_are_listed_in_pages_lazily_and_whole,
    waits_end_in_typed_errors,
    catalog_and_bad_specs,
    key_pairs_show_their_private_key_once,
    volumes_attach_detach_and_snapshot,
    create_and_wait_in_the_background_while_other_work_runs,
);

/// The run-time choice: every case through `AnyCompute`, over EC2 and over memory.
fn any<D: Into<mc::compute::AnyCompute>>(f: Fixture<D>) -> Fixture<mc::compute::AnyCompute> {
    let Fixture { d, size, image } = f;
    Fixture {
        d: d.into(),
        size,
        image,
    }
}

fn any_ec2() -> Fixture<mc::compute::AnyCompute> {
    any(ec2())
}

fn any_digitalocean() -> Fixture<mc::compute::AnyCompute> {
    any(digitalocean())
}

fn any_memory() -> Fixture<mc::compute::AnyCompute> {
    any(memory())
}

compute_cases!(any_ec2, any_ec2();
    node_lifecycle_run_stop_start_reboot_destroy,
    nodes_are_listed_in_pages_lazily_and_whole,
    waits_end_in_typed_errors,
    catalog_and_bad_specs,
    key_pairs_show_their_private_key_once,
    volumes_attach_detach_and_snapshot,
    create_and_wait_in_the_background_while_other_work_runs,
);

compute_cases!(any_digitalocean, any_digitalocean();
    node_lifecycle_run_stop_start_reboot_destroy,
    nodes_are_listed_in_pages_lazily_and_whole,
    waits_end_in_typed_errors,
    catalog_and_bad_specs,
    key_pairs_show_their_private_key_once,
    volumes_attach_detach_and_snapshot,
    create_and_wait_in_the_background_while_other_work_runs,
);

compute_cases!(any_memory, any_memory();
    node_lifecycle_run_stop_start_reboot_destroy,
    volumes_attach_detach_and_snapshot,
);

/// DigitalOcean on the in-process fake, a fresh one per test; droplets go to `nyc3` and
/// run from their first look. `s-1vcpu-1gb` and Debian 12 (image 106433672) are in the
/// fake's catalog.
fn digitalocean() -> Fixture<mc::compute::DigitalOcean> {
    let token = "dop_v1_conformance";
    let fake = crate::common::digitalocean_fake::DoFake::start(token);
    fake.set_active_after(1);
    let config = multicloud::compute::digitalocean::DoConfig::builder()
        .token(token)
        .endpoint(fake.url())
        .region("nyc3")
        .build()
        .unwrap();
    Fixture {
        d: mc::compute::DigitalOcean::new(config).unwrap(),
        size: "s-1vcpu-1gb",
        image: "106433672",
    }
}

compute_cases!(digitalocean, digitalocean();
    node_lifecycle_run_stop_start_reboot_destroy,
    nodes_are_listed_in_pages_lazily_and_whole,
    waits_end_in_typed_errors,
    catalog_and_bad_specs,
    key_pairs_show_their_private_key_once,
    volumes_attach_detach_and_snapshot,
    create_and_wait_in_the_background_while_other_work_runs,
);

compute_cases!(memory, memory();
    node_lifecycle_run_stop_start_reboot_destroy,
    nodes_are_listed_in_pages_lazily_and_whole,
    waits_end_in_typed_errors,
    catalog_and_bad_specs,
    key_pairs_show_their_private_key_once,
    volumes_attach_detach_and_snapshot,
    create_and_wait_in_the_background_while_other_work_runs,
);

/// Looks at a node until it is in `state` (at most 20 looks; each look moves a node in
/// transit on).
#[maybe_async]
async fn settles_in<D: ComputeDriver>(d: &D, id: &str, state: NodeState) {
    for _ in 0..20 {
        let node = d.get_node(id).await.unwrap();
        if node.state == state {
            return;
        }
    }
    panic!("node {id} never reached {state}");
}

#[maybe_async]
async fn node_lifecycle_run_stop_start_reboot_destroy<D: ComputeDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let node = d.create_node(&f.spec("web-1")).await.unwrap();
    assert_eq!(node.name, "web-1");
    assert_eq!(node.tags.get("suite").map(String::as_str), Some("compute"));
    let ids = vec![node.id.clone()];
    let minute = Duration::from_secs(60);
    let running = d.wait_until_running(&ids, minute, None).await.unwrap();
    assert!(running[0].is_ready(), "{:?}", running[0]);
    d.stop_node(&node.id).await.unwrap();
    settles_in(d, &node.id, NodeState::Stopped).await;
    d.start_node(&node.id).await.unwrap();
    let again = d.wait_until_running(&ids, minute, None).await.unwrap();
    assert_eq!(again[0].id, node.id);
    d.reboot_node(&node.id).await.unwrap();
    let rebooted = d.wait_until_running(&ids, minute, None).await.unwrap();
    assert!(rebooted[0].is_ready());
    d.destroy_node(&node.id).await.unwrap();
    let gone = d.get_node(&node.id).await;
    match gone {
        Ok(n) => assert_eq!(n.state, NodeState::Terminated),
        Err(e) => assert_eq!(e.kind(), ErrorKind::NotFound, "{e}"),
    }
    let missing = d.get_node("no-such-node").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
}

#[maybe_async]
async fn nodes_are_listed_in_pages_lazily_and_whole<D: ComputeDriver>(f: &Fixture<D>) {
    let d = &f.d;
    // EC2 pages hold at least 5.
    for i in 0..7 {
        d.create_node(&f.spec(&format!("n{i}"))).await.unwrap();
    }
    let first = d.list_nodes_page(None, 5).await.unwrap();
    assert_eq!(first.items.len(), 5);
    let token = first.next_token.expect("more pages");
    let second = d.list_nodes_page(Some(&token), 5).await.unwrap();
    assert!(
        second
            .items
            .iter()
            .all(|n| first.items.iter().all(|m| m.id != n.id))
    );
    let lazily = drain(d.iterate_nodes()).await;
    assert_eq!(lazily.len(), 7);
    let whole = d.list_nodes().await.unwrap();
    let mut names: Vec<String> = whole.into_iter().map(|n| n.name).collect();
    names.sort();
    assert_eq!(names, ["n0", "n1", "n2", "n3", "n4", "n5", "n6"]);
}

#[maybe_async]
async fn waits_end_in_typed_errors<D: ComputeDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let minute = Duration::from_secs(60);
    let e = d.wait_until_running(&[], minute, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let missing = vec!["no-such-node".to_string()];
    let e = d
        .wait_until_running(&missing, minute, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let node = d.create_node(&f.spec("doomed")).await.unwrap();
    d.destroy_node(&node.id).await.unwrap();
    let ids = vec![node.id.clone()];
    let e = d.wait_until_running(&ids, minute, None).await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Provider | ErrorKind::NotFound),
        "{e}"
    );
    let live = d.create_node(&f.spec("live")).await.unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let ids = vec![live.id.clone()];
    let e = d
        .wait_until_running(&ids, minute, Some(&cancel))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
}

#[maybe_async]
async fn catalog_and_bad_specs<D: ComputeDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let sizes = d.list_sizes().await.unwrap();
    assert!(
        sizes
            .iter()
            .any(|s| s.id == f.size && s.ram_mib > 0 && s.vcpus > 0)
    );
    let images = d.list_images(&ImageOwner::Provider).await.unwrap();
    assert!(images.iter().any(|i| i.id == f.image));
    let mine = d.list_images(&ImageOwner::Mine).await.unwrap();
    assert!(
        mine.iter().all(|i| i.id != f.image),
        "a provider image is not the account's"
    );
    let locations = d.list_locations().await.unwrap();
    assert!(!locations.is_empty());
    let empty = CreateNode::new("x", "", f.image);
    let e = d.create_node(&empty).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // An unknown size: AWS says InvalidParameterValue, moto InvalidInstanceType.NotFound.
    let bad = CreateNode::new("x", "no-such-size", f.image);
    let e = d.create_node(&bad).await.unwrap_err();
    let kind = e.kind();
    assert!(
        matches!(kind, ErrorKind::InvalidInput | ErrorKind::NotFound),
        "{e}"
    );
    assert!(
        e.to_string().contains("no-such-size"),
        "the error names the size: {e}"
    );
    let keyed = f.spec("x").key_name("no-such-key");
    let e = d.create_node(&keyed).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

/// Another valid OpenSSH public key (a second key must differ: DigitalOcean refuses a
/// key it holds already).
const DEPLOY_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIdulxq+Me8HzHu4r/L5oC54Jel8lTXTx2i4jnM9WZ7s deploy";

/// Providers that only import public keys: their `create_key_pair` is `Unsupported`.
const IMPORT_ONLY: [&str; 1] = ["digitalocean"];

#[maybe_async]
async fn key_pairs_show_their_private_key_once<D: ComputeDriver>(f: &Fixture<D>) {
    let d = &f.d;
    if IMPORT_ONLY.contains(&d.provider_name()) {
        keys_are_imported_not_made(d).await;
    } else {
        a_made_key_shows_its_private_key_once(d).await;
    }
    let listed = d.list_key_pairs().await.unwrap();
    let deploy = listed.iter().find(|k| k.name == "deploy").expect("listed");
    assert!(deploy.private_key.is_none(), "shown once, never listed");
    let imported = d.import_key_pair("laptop", LAPTOP_KEY).await.unwrap();
    assert!(imported.private_key.is_none());
    let node = d.create_node(&f.spec("keyed").key_name("laptop")).await;
    assert!(node.is_ok(), "{node:?}");
    d.delete_key_pair("deploy").await.unwrap();
    let e = d.delete_key_pair("deploy").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[maybe_async]
async fn a_made_key_shows_its_private_key_once<D: ComputeDriver>(d: &D) {
    let made = d.create_key_pair("deploy").await.unwrap();
    let private = made
        .private_key
        .clone()
        .expect("a new key pair's private key");
    assert!(
        !format!("{made:?}").contains(private.expose()),
        "Debug hides it"
    );
    let dup = d.create_key_pair("deploy").await.unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists, "{dup}");
}

/// The difference asserted, then the same key name made by import.
#[maybe_async]
async fn keys_are_imported_not_made<D: ComputeDriver>(d: &D) {
    let e = d.create_key_pair("deploy").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    let imported = d.import_key_pair("deploy", DEPLOY_KEY).await.unwrap();
    assert_eq!(imported.name, "deploy");
    assert!(imported.private_key.is_none());
    let dup = d.import_key_pair("deploy", LAPTOP_KEY).await.unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists, "{dup}");
}

#[maybe_async]
async fn volumes_attach_detach_and_snapshot<D: ComputeDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let node = d.create_node(&f.spec("db")).await.unwrap();
    let location = node.location.clone().unwrap_or_default();
    let v = d.create_volume("data", 10, &location).await.unwrap();
    assert_eq!((v.size_gib, v.state), (10, VolumeState::Available));
    d.attach_volume(&v.id, &node.id).await.unwrap();
    let listed = d.list_volumes().await.unwrap();
    let attached = listed.iter().find(|x| x.id == v.id).unwrap();
    assert_eq!(attached.attached_to, std::slice::from_ref(&node.id));
    let e = d.destroy_volume(&v.id).await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::PreconditionFailed,
        "an attached volume stays: {e}"
    );
    let snap = d.create_volume_snapshot(&v.id).await.unwrap();
    assert_eq!(snap.volume_id.as_deref(), Some(v.id.as_str()));
    let snaps = d.list_volume_snapshots().await.unwrap();
    assert!(snaps.iter().any(|s| s.id == snap.id));
    d.detach_volume(&v.id).await.unwrap();
    let e = d.detach_volume(&v.id).await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::PreconditionFailed,
        "nothing to detach: {e}"
    );
    d.destroy_volume(&v.id).await.unwrap();
    d.delete_volume_snapshot(&snap.id).await.unwrap();
    let e = d.delete_volume_snapshot(&snap.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

/// Libcloud's third use case: a long call (create and wait) runs in the background (a
/// thread, a task) while the caller goes on using the same driver.
#[maybe_async]
async fn create_and_wait_in_the_background_while_other_work_runs<D: ComputeDriver>(f: &Fixture<D>) {
    let d = &f.d;
    let node = d.create_node(&f.spec("bg")).await.unwrap();
    let (driver, ids) = (d.clone(), vec![node.id.clone()]);
    let waited = spawn_and_join(move || async move {
        driver
            .wait_until_running(&ids, Duration::from_secs(60), None)
            .await
    });
    let sizes = d.list_sizes().await.unwrap();
    assert!(!sizes.is_empty(), "the caller keeps working");
    let nodes = waited.await.unwrap();
    assert!(nodes[0].is_ready());
}

/// The backoff path: a node that needs more than one look (the wait sleeps between them).
#[maybe_async]
#[mode_test]
async fn waits_look_again_after_a_pause_until_nodes_run() {
    let f = Fixture {
        d: MemoryCompute::with_boot_looks(1),
        ..memory()
    };
    let d = &f.d;
    let node = d.create_node(&f.spec("slow")).await.unwrap();
    let ids = vec![node.id.clone()];
    let started = std::time::Instant::now();
    let nodes = d
        .wait_until_running(&ids, Duration::from_secs(60), None)
        .await
        .unwrap();
    assert!(nodes[0].is_ready());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "it paused between looks"
    );
    let slow = MemoryCompute::with_boot_looks(1000);
    let node = slow.create_node(&f.spec("never")).await.unwrap();
    let ids = vec![node.id.clone()];
    let e = slow
        .wait_until_running(&ids, Duration::ZERO, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains(&node.id), "{e}");
}

/// Libcloud's first use case: the same call on several regions at once, each result
/// labelled; a region that cannot be reached is one error, the others' nodes are whole.
#[maybe_async]
#[mode_test]
async fn nodes_from_many_regions_at_once_one_failing() {
    let base = crate::common::ec2env::ec2_config("eu-west-1");
    let regions = ["eu-west-1", "us-east-1", "ap-south-1"];
    let mut targets = Vec::new();
    for (i, region) in regions.iter().enumerate() {
        let d = mc::compute::Ec2::new(base.in_region(region).unwrap()).unwrap();
        for n in 0..i {
            d.create_node(&ec2_spec(&format!("{region}-{n}")))
                .await
                .unwrap();
        }
        targets.push((format!("ec2 {region}"), d));
    }
    let quick =
        multicloud::http::TransportConfig::default().retry(multicloud::retry::RetryPolicy::never());
    let nowhere = mc::compute::Ec2::with_transport(unreachable(base), quick).unwrap();
    targets.push(("ec2 nowhere".to_string(), nowhere));
    let results = mc::across(targets, 4, |d| async move { d.list_nodes().await }).await;
    let labels: Vec<&str> = results.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "ec2 eu-west-1",
            "ec2 us-east-1",
            "ec2 ap-south-1",
            "ec2 nowhere"
        ]
    );
    for (i, r) in results.iter().take(3).enumerate() {
        let nodes = r.result.as_ref().unwrap();
        assert_eq!(
            nodes.len(),
            i,
            "{}: each region sees its own nodes",
            r.label
        );
    }
    let e = results[3].result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
}

fn ec2_spec(name: &str) -> CreateNode {
    CreateNode::new(name, "t2.micro", "ami-12c6146b")
}

/// `config` sent to a port nothing listens on (its credentials still come from moto).
fn unreachable(config: multicloud::compute::ec2::Ec2Config) -> multicloud::compute::ec2::Ec2Config {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut b = multicloud::compute::ec2::Ec2Config::builder()
        .region(&config.region)
        .endpoint(format!("http://127.0.0.1:{port}"));
    if let Some(source) = config.credential_source {
        b = b.credential_source(source);
    }
    b.build().unwrap()
}

/// Compute URLs choose the provider at run time; bad ones are typed errors.
#[maybe_async]
#[mode_test]
async fn compute_urls_choose_the_driver() {
    let cloud = mc::compute::AnyCompute::from_url("memory://").unwrap();
    assert_eq!(
        cloud.provider(),
        multicloud::registry::ComputeProvider::Memory
    );
    let nodes = cloud.list_nodes().await.unwrap();
    assert!(nodes.is_empty());
    for bad in [
        "gce://x",
        "ec2://eu-west-1?token=HUNTER2",
        "memory://?region=x",
    ] {
        let e = mc::compute::AnyCompute::from_url(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        assert!(!e.to_string().contains("HUNTER2"), "{e}");
    }
}
