// The compute examples' steps (examples/compute/compute_steps.rs), run by the tests in
// both modes against moto: what `scripts/compute-examples` shows, checked. Included by
// `tests/compute.rs` beside `examples/compute/modes.rs` (which compiles the steps once
// per mode as `blocking` and `asynchronous`).

use multicloud::compute::CreateNode;
use multicloud::compute::ec2::Ec2Config;

fn ec2_spec(name: &str) -> CreateNode {
    CreateNode::new(name, "t2.micro", "ami-12c6146b")
}

/// Two regions of one fresh moto account (and the base configuration).
fn regions() -> (Ec2Config, Vec<(&'static str, Ec2Config)>) {
    let base = crate::common::ec2env::ec2_config("eu-west-1");
    let west = base.in_region("eu-west-1").unwrap();
    let east = base.in_region("us-east-1").unwrap();
    (base, vec![("ec2 eu-west-1", west), ("ec2 us-east-1", east)])
}

/// A moto S3 store for the reports (each test its own bucket).
fn reports_store() -> (multicloud::storage::s3::S3Config, String) {
    let cfg = multicloud::storage::s3::S3Config::builder()
        .endpoint(crate::common::s3env::moto())
        .region("us-east-1")
        .credentials(multicloud::Credentials::new("AKID", "moto"))
        .build()
        .unwrap();
    (
        cfg,
        format!("reports-{}", crate::common::s3env::unique_prefix()),
    )
}

/// A DigitalOcean fake and a configuration for it (droplets to `nyc3`).
fn digitalocean() -> (
    crate::common::digitalocean_fake::DoFake,
    multicloud::compute::digitalocean::DoConfig,
) {
    let fake = crate::common::digitalocean_fake::DoFake::start("dop_v1_examples");
    let config = multicloud::compute::digitalocean::DoConfig::builder()
        .token("dop_v1_examples")
        .endpoint(fake.url())
        .region("nyc3")
        .build()
        .unwrap();
    (fake, config)
}

fn droplet(name: &str) -> CreateNode {
    CreateNode::new(name, "s-1vcpu-1gb", "debian-12-x64")
}

/// Lines of the inventory that name `label`.
fn rows_of<'a>(lines: &'a [String], label: &str) -> Vec<&'a String> {
    lines.iter().filter(|l| l.starts_with(label)).collect()
}

#[test]
fn nodes_everywhere_lists_every_region_in_blocking_mode() {
    use multicloud::blocking::compute::{AnyCompute, ComputeDriver, DigitalOcean, Ec2};
    let (_, regions) = regions();
    let (_fake, config) = digitalocean();
    let ocean = DigitalOcean::new(config).unwrap();
    ocean.create_node(&droplet("b-droplet")).unwrap();
    let mut clouds = vec![("digitalocean".to_string(), AnyCompute::from(ocean))];
    for (i, (label, cfg)) in regions.into_iter().enumerate() {
        let d = Ec2::new(cfg).unwrap();
        for n in 0..=i {
            d.create_node(&ec2_spec(&format!("b{i}-{n}"))).unwrap();
        }
        clouds.push((label.to_string(), AnyCompute::from(d)));
    }
    let lines = blocking::inventory(clouds);
    assert_eq!(rows_of(&lines, "ec2 eu-west-1").len(), 1, "{lines:#?}");
    assert_eq!(rows_of(&lines, "ec2 us-east-1").len(), 2, "{lines:#?}");
    assert_eq!(rows_of(&lines, "digitalocean").len(), 1, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("running") || l.contains("pending"))
    );
}

#[tokio::test]
async fn nodes_everywhere_lists_every_region_in_async_mode() {
    use multicloud::asynchronous::compute::{AnyCompute, ComputeDriver, DigitalOcean, Ec2};
    let (_, regions) = regions();
    let (_fake, config) = digitalocean();
    let ocean = DigitalOcean::new(config).unwrap();
    ocean.create_node(&droplet("a-droplet")).await.unwrap();
    let mut clouds = vec![("digitalocean".to_string(), AnyCompute::from(ocean))];
    for (i, (label, cfg)) in regions.into_iter().enumerate() {
        let d = Ec2::new(cfg).unwrap();
        for n in 0..=i {
            d.create_node(&ec2_spec(&format!("a{i}-{n}")))
                .await
                .unwrap();
        }
        clouds.push((label.to_string(), AnyCompute::from(d)));
    }
    let lines = asynchronous::inventory(clouds).await;
    assert_eq!(rows_of(&lines, "ec2 eu-west-1").len(), 1, "{lines:#?}");
    assert_eq!(rows_of(&lines, "ec2 us-east-1").len(), 2, "{lines:#?}");
    assert_eq!(rows_of(&lines, "digitalocean").len(), 1, "{lines:#?}");
}

#[test]
fn create_and_wait_uploads_while_the_node_starts_in_blocking_mode() {
    use multicloud::blocking::compute::{AnyCompute, Ec2};
    use multicloud::blocking::storage::{AnyStorage, S3, StorageDriver};
    let (base, _) = regions();
    let cloud = AnyCompute::from(Ec2::new(base).unwrap());
    let (cfg, bucket) = reports_store();
    let store = AnyStorage::from(S3::new(cfg).unwrap());
    let (node, _) = blocking::create_and_wait(&cloud, &ec2_spec("w"), &store, &bucket, 5).unwrap();
    assert!(node.is_ready(), "{node:?}");
    let objects = store.list_objects(&bucket, "reports/").unwrap();
    assert_eq!(objects.len(), 5);
    assert!(objects.iter().all(|o| o.name.contains(&node.id)));
}

#[tokio::test]
async fn create_and_wait_uploads_while_the_node_starts_in_async_mode() {
    use multicloud::asynchronous::compute::{AnyCompute, Ec2};
    use multicloud::asynchronous::storage::{AnyStorage, S3, StorageDriver};
    let (base, _) = regions();
    let cloud = AnyCompute::from(Ec2::new(base).unwrap());
    let (cfg, bucket) = reports_store();
    let store = AnyStorage::from(S3::new(cfg).unwrap());
    let spec = ec2_spec("w");
    let waited = asynchronous::create_and_wait(&cloud, &spec, &store, &bucket, 5).await;
    let (node, _) = waited.unwrap();
    assert!(node.is_ready(), "{node:?}");
    let objects = store.list_objects(&bucket, "reports/").await.unwrap();
    assert_eq!(objects.len(), 5);
}

#[tokio::test]
async fn create_and_wait_on_digitalocean_while_uploading_in_async_mode() {
    use multicloud::asynchronous::compute::{AnyCompute, DigitalOcean};
    use multicloud::asynchronous::storage::{AnyStorage, Memory, StorageDriver};
    let (fake, config) = digitalocean();
    fake.set_active_after(3);
    let cloud = AnyCompute::from(DigitalOcean::new(config).unwrap());
    let store = AnyStorage::from(Memory::new());
    let spec = droplet("worker");
    let waited = asynchronous::create_and_wait(&cloud, &spec, &store, "reports", 4).await;
    let (node, _) = waited.unwrap();
    assert!(node.is_ready(), "{node:?}");
    let objects = store.list_objects("reports", "reports/").await.unwrap();
    assert_eq!(objects.len(), 4);
}
