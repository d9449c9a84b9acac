// The compute examples' steps, written once: nodes listed from many clouds at once, and a
// node created and waited for in the background while objects are uploaded. Included by
// `examples/compute/nodes_everywhere.rs`, `examples/compute/create_and_wait.rs` and the
// compute tests, inside a module that provides `mc` (the mode module), `maybe_async`,
// and `spawn`/`join` (a thread in blocking mode, a tokio task in async mode).

#[allow(unused_imports)]
use std::time::Duration;

#[allow(unused_imports)]
use mc::compute::{AnyCompute, ComputeDriver};
#[allow(unused_imports)]
use mc::storage::{AnyStorage, StorageDriver, UploadOptions};
#[allow(unused_imports)]
use multicloud::compute::{CreateNode, Node};
#[allow(unused_imports)]
use multicloud::{ErrorKind, Result};

/// The clouds compute URLs name, each labelled by its URL without the query.
#[allow(dead_code)]
pub fn clouds(urls: &[String]) -> Result<Vec<(String, AnyCompute)>> {
    urls.iter()
        .map(|url| {
            let label = url.split('?').next().unwrap_or(url).to_owned();
            Ok((label, AnyCompute::from_url(url)?))
        })
        .collect()
}

/// Every node of every cloud, listed from all of them at once (at most 8 at a time): one
/// line per node, or one error line for a cloud that failed; the others still answer.
#[allow(dead_code)]
#[maybe_async]
pub async fn inventory(clouds: Vec<(String, AnyCompute)>) -> Vec<String> {
    let results = mc::across(clouds, 8, |cloud| async move { cloud.list_nodes().await }).await;
    let mut lines = Vec::new();
    for r in results {
        match r.result {
            Ok(nodes) => lines.extend(nodes.iter().map(|n| row(&r.label, n))),
            Err(e) => lines.push(format!("{:<32} error: {e}", r.label)),
        }
    }
    lines
}

/// One node as a table row: cloud, id, name, state, first address.
#[allow(dead_code)]
fn row(cloud: &str, n: &Node) -> String {
    let ip = n.public_ips.iter().chain(&n.private_ips).next();
    let ip = ip.map(|a| a.to_string()).unwrap_or_else(|| "-".into());
    format!("{cloud:<32} {:<22} {:<16} {:<10} {ip}", n.id, n.name, n.state)
}

/// Creates a node from `spec` and waits for it to run in the background (a thread, a
/// task) while uploading `count` objects to `container` of `store`, printing progress;
/// returns the running node and how many objects had gone up when it was seen running
/// (`None`: the uploads finished first).
#[allow(dead_code)]
#[maybe_async]
pub async fn create_and_wait(
    cloud: &AnyCompute,
    spec: &CreateNode,
    store: &AnyStorage,
    container: &str,
    count: usize,
) -> Result<(Node, Option<usize>)> {
    let node = cloud.create_node(spec).await?;
    println!("  created {} ({}); waiting for it in the background", node.id, node.state);
    let (waiter, ids) = (cloud.clone(), vec![node.id.clone()]);
    let waiting = spawn(move || async move {
        waiter.wait_until_running(&ids, Duration::from_secs(300), None).await
    });
    store.ensure_container(container).await?;
    let mut before = None;
    for i in 0..count {
        let name = format!("reports/{}/{i:03}.txt", node.id);
        let body = format!("report {i} while {} starts\n", node.id).repeat(64);
        let opts = UploadOptions::default();
        store.upload_bytes(container, &name, body.into(), &opts).await?;
        if before.is_none() && waiting.is_finished() {
            before = Some(i + 1);
        }
        println!("  uploaded {}/{count} objects; node ready: {}", i + 1, waiting.is_finished());
    }
    let running = join(waiting).await?;
    println!("  {} runs at {:?}", running[0].id, running[0].public_ips);
    Ok((running.into_iter().next().expect("one node asked"), before))
}
