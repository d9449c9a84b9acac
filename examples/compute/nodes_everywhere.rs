//! Libcloud's first use case: the nodes of several clouds (EC2 regions, DigitalOcean...)
//! listed at once, one table, the same code in blocking and async mode
//! (`compute_steps.rs`). A cloud that fails prints its error; the others still answer.
//!
//! ```text
//! cargo run --all-features --example nodes_everywhere                  # two in-memory clouds
//! cargo run --all-features --example nodes_everywhere -- ec2://eu-west-1 ec2://us-east-1 digitalocean://
//! scripts/compute-examples                # against moto and the DigitalOcean fake
//! ```

include!("modes.rs");

use multicloud::compute::CreateNode;

#[tokio::main]
async fn main() -> multicloud::Result<()> {
    let mut urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        urls = vec!["memory://".into(), "memory://".into()];
    }
    let seed = urls.iter().all(|u| u.starts_with("memory:"));

    println!("blocking mode:");
    let clouds = blocking::clouds(&urls)?;
    if seed {
        seed_memory(&clouds)?;
    }
    let lines = tokio::task::block_in_place(|| blocking::inventory(clouds));
    lines.iter().for_each(|l| println!("  {l}"));

    println!("async mode:");
    let clouds = asynchronous::clouds(&urls)?;
    if seed {
        for (i, (_, cloud)) in clouds.iter().enumerate() {
            use multicloud::asynchronous::compute::ComputeDriver;
            cloud.create_node(&web(i)).await?;
        }
    }
    let lines = asynchronous::inventory(clouds).await;
    lines.iter().for_each(|l| println!("  {l}"));
    Ok(())
}

/// In-memory clouds start empty: one node each, so the table has rows.
fn seed_memory(
    clouds: &[(String, multicloud::blocking::compute::AnyCompute)],
) -> multicloud::Result<()> {
    use multicloud::blocking::compute::ComputeDriver;
    for (i, (_, cloud)) in clouds.iter().enumerate() {
        cloud.create_node(&web(i))?;
    }
    Ok(())
}

fn web(i: usize) -> CreateNode {
    CreateNode::new(format!("web-{i}"), "small", "debian-13")
}
