use std::time::{Duration, Instant};

use super::super::pause::{check_cancel, pause};
use super::Listing;
use super::rt::{self, maybe_async};
use crate::compute::wait::{self, Progress};
use crate::compute::{
    CreateNode, ImageOwner, KeyPair, Node, NodeImage, NodeLocation, NodeSize, Volume,
    VolumeSnapshot,
};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{CancelToken, DEFAULT_PAGE_SIZE, Page};

/// What a cancelled wait says it was doing.
const WAITING: &str = "waiting for nodes to run";

/// The compute operations every provider offers (Libcloud's `NodeDriver`, in Rust names).
/// Identical in both modes but for `async`/`.await` and `Iterator`/`Stream`.
///
/// Drivers are cheap to clone and `Send + Sync`; async futures are `Send`. Required
/// methods are the provider's primitives; listing all nodes and waiting for nodes to run
/// are provided on them once for every driver.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::compute::{ComputeDriver, MemoryCompute};
use multicloud::compute::CreateNode;
use std::time::Duration;

let cloud = MemoryCompute::new();
let node = cloud.create_node(&CreateNode::new("web-1", "small", "debian-13"))?;
let running = cloud.wait_until_running(&[node.id], Duration::from_secs(60), None)?;
assert!(running[0].is_ready());
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::compute::{ComputeDriver, MemoryCompute};
use multicloud::compute::CreateNode;
use std::time::Duration;

let cloud = MemoryCompute::new();
let node = cloud.create_node(&CreateNode::new("web-1", "small", "debian-13")).await?;
let running = cloud.wait_until_running(&[node.id], Duration::from_secs(60), None).await?;
assert!(running[0].is_ready());
# Ok(())
# }
```
"#,
)]
#[maybe_async(AFIT)]
pub trait ComputeDriver: Clone + Send + Sync + 'static {
    /// The provider's short name (`"ec2"`, `"memory"`...), as errors report it.
    fn provider_name(&self) -> &'static str;

    /// One page of nodes after the continuation `token`. Most callers want
    /// [`iterate_nodes`](Self::iterate_nodes) or [`list_nodes`](Self::list_nodes).
    fn list_nodes_page(
        &self,
        token: Option<&str>,
        max: usize,
    ) -> impl Future<Output = Result<Page<Node>>> + Send;

    /// One node; `NotFound` if it does not exist.
    fn get_node(&self, id: &str) -> impl Future<Output = Result<Node>> + Send;

    /// Creates a node (it is usually pending at first: see
    /// [`wait_until_running`](Self::wait_until_running)).
    fn create_node(&self, spec: &CreateNode) -> impl Future<Output = Result<Node>> + Send;

    /// Reboots a node.
    fn reboot_node(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Starts a stopped node.
    fn start_node(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Stops a running node (it can be started again).
    fn stop_node(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Destroys a node for good.
    fn destroy_node(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// The sizes nodes can be created with.
    fn list_sizes(&self) -> impl Future<Output = Result<Vec<NodeSize>>> + Send;

    /// The images of `owner` nodes can be created from.
    fn list_images(
        &self,
        owner: &ImageOwner,
    ) -> impl Future<Output = Result<Vec<NodeImage>>> + Send;

    /// The locations nodes can be created in.
    fn list_locations(&self) -> impl Future<Output = Result<Vec<NodeLocation>>> + Send;

    /// The key pairs (SSH keys).
    fn list_key_pairs(&self) -> impl Future<Output = Result<Vec<KeyPair>>> + Send;

    /// Creates a key pair; the answer holds its private key, this once. Providers that
    /// only import keys answer `Unsupported`.
    fn create_key_pair(&self, name: &str) -> impl Future<Output = Result<KeyPair>> + Send;

    /// Imports a public key (OpenSSH format) under `name`.
    fn import_key_pair(
        &self,
        name: &str,
        public_key: &str,
    ) -> impl Future<Output = Result<KeyPair>> + Send;

    /// Deletes a key pair.
    fn delete_key_pair(&self, name: &str) -> impl Future<Output = Result<()>> + Send;

    /// The volumes.
    fn list_volumes(&self) -> impl Future<Output = Result<Vec<Volume>>> + Send;

    /// Creates a volume of `size_gib` in `location`.
    fn create_volume(
        &self,
        name: &str,
        size_gib: u64,
        location: &str,
    ) -> impl Future<Output = Result<Volume>> + Send;

    /// Attaches a volume to a node.
    fn attach_volume(&self, volume: &str, node: &str) -> impl Future<Output = Result<()>> + Send;

    /// Detaches a volume from its node; a volume attached to none is
    /// `PreconditionFailed` (nothing is done).
    fn detach_volume(&self, volume: &str) -> impl Future<Output = Result<()>> + Send;

    /// Destroys a detached volume; an attached one is `PreconditionFailed`.
    fn destroy_volume(&self, volume: &str) -> impl Future<Output = Result<()>> + Send;

    /// Takes a snapshot of a volume.
    fn create_volume_snapshot(
        &self,
        volume: &str,
    ) -> impl Future<Output = Result<VolumeSnapshot>> + Send;

    /// The snapshots.
    fn list_volume_snapshots(&self) -> impl Future<Output = Result<Vec<VolumeSnapshot>>> + Send;

    /// Deletes a snapshot.
    fn delete_volume_snapshot(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Lazily lists every node, fetching pages as they are consumed: an `Iterator` in
    /// blocking mode, a `Stream` in async mode.
    fn iterate_nodes(&self) -> Listing<'_, Node> {
        rt::paginate(move |token: Option<String>| async move {
            self.list_nodes_page(token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// Every node, collected; never a partial list.
    fn list_nodes(&self) -> impl Future<Output = Result<Vec<Node>>> + Send {
        rt::collect_pages(move |token: Option<String>| async move {
            self.list_nodes_page(token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// Waits until every node of `ids` runs and has an address, looking at them with
    /// backoff (1 s doubling to 20 s); returns them in the order asked. A node that is
    /// gone, terminated or failed ends the wait at once (`NotFound` / `Provider`); past
    /// `timeout` the error is `Timeout` naming the nodes still pending. `cancel` stops the
    /// wait (`Cancelled`); in async mode dropping the future does too.
    fn wait_until_running(
        &self,
        ids: &[String],
        timeout: Duration,
        cancel: Option<&CancelToken>,
    ) -> impl Future<Output = Result<Vec<Node>>> + Send {
        async move {
            wait::check_ids(ids)?;
            let started = Instant::now();
            for look in 0u32.. {
                check_cancel(cancel, WAITING)?;
                let seen = self.look_at(ids).await?;
                let pending = match wait::judge(ids, seen.clone())? {
                    Progress::Ready(nodes) => return Ok(nodes),
                    Progress::Pending(pending) => pending,
                };
                let left = timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    let still: Vec<Node> = seen
                        .into_iter()
                        .filter(|n| pending.contains(&n.id))
                        .collect();
                    return Err(wait::timed_out(&still, started.elapsed()));
                }
                pause(wait::next_interval(look, left), cancel, WAITING).await?;
            }
            unreachable_wait()
        }
    }

    /// The nodes of `ids` as they are now (one `get_node` each; drivers that can ask for
    /// several at once override it). A missing node is left out, not an error.
    fn look_at(&self, ids: &[String]) -> impl Future<Output = Result<Vec<Node>>> + Send {
        async move {
            let mut seen = Vec::with_capacity(ids.len());
            for id in ids {
                match self.get_node(id).await {
                    Ok(node) => seen.push(node),
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(seen)
        }
    }
}

/// `for look in 0u32..` ends only by returning; this is what its type asks for.
fn unreachable_wait<T>() -> Result<T> {
    Err(Error::new(
        ErrorKind::Timeout,
        "waited for nodes longer than can be counted",
    ))
}
