//! Libcloud's third use case: a long call runs in the background while the program goes
//! on. A node is created and waited for on a thread (blocking mode) or a task (async
//! mode) while the main flow uploads reports to storage, printing progress; the same code
//! in both modes (`compute_steps.rs`).
//!
//! ```text
//! cargo run --all-features --example create_and_wait        # in-memory cloud and store
//! cargo run --all-features --example create_and_wait -- COMPUTE_URL STORAGE_URL SIZE IMAGE [LOCATION]
//! scripts/compute-examples          # EC2 on moto and the DigitalOcean fake, reports to S3 on moto
//! ```

include!("modes.rs");

use multicloud::compute::CreateNode;

/// The reports uploaded while the node starts.
const REPORTS: usize = 12;

#[tokio::main]
async fn main() -> multicloud::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let (compute, storage) = (arg(0, "memory://"), arg(1, "memory://reports"));
    let mut spec = CreateNode::new("", arg(2, "small"), arg(3, "debian-13"));
    if let Some(location) = args.get(4) {
        spec = spec.location(location);
    }
    let container = |url: &str| -> multicloud::Result<String> {
        let l = multicloud::Location::parse(url)?;
        Ok(l.container.unwrap_or_else(|| "reports".into()))
    };

    println!("blocking mode ({compute}):");
    let cloud = multicloud::blocking::compute::AnyCompute::from_url(&compute)?;
    let (store, _) = multicloud::blocking::storage::AnyStorage::from_url(&storage)?;
    let spec_b = named(&spec, "worker-blocking");
    let c = container(&storage)?;
    let (node, before) = tokio::task::block_in_place(|| {
        blocking::create_and_wait(&cloud, &spec_b, &store, &c, REPORTS)
    })?;
    report(&node.id, before);

    println!("async mode ({compute}):");
    let cloud = multicloud::asynchronous::compute::AnyCompute::from_url(&compute)?;
    let (store, _) = multicloud::asynchronous::storage::AnyStorage::from_url(&storage)?;
    let spec_a = named(&spec, "worker-async");
    let (node, before) =
        asynchronous::create_and_wait(&cloud, &spec_a, &store, &c, REPORTS).await?;
    report(&node.id, before);
    Ok(())
}

fn named(spec: &CreateNode, name: &str) -> CreateNode {
    let mut s = spec.clone();
    s.name = name.to_owned();
    s
}

fn report(node: &str, before: Option<usize>) {
    match before {
        Some(n) => println!("  {node} was running after {n} of {REPORTS} uploads"),
        None => println!("  the {REPORTS} uploads finished while {node} was still starting"),
    }
}
