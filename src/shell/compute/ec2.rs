use std::sync::Arc;
use std::time::SystemTime;

use super::super::aws::CredentialsProvider;
use super::super::http::{HttpClient, TransportConfig};
use super::ComputeDriver;
use super::rt::{self, maybe_async};
use crate::compute::ec2::requests as calls;
use crate::compute::ec2::{Call, Ec2Config, Ec2Requests, PROVIDER, responses};
use crate::compute::{
    CreateNode, ImageOwner, KeyPair, Node, NodeImage, NodeLocation, NodeSize, Volume,
    VolumeSnapshot,
};
use crate::error::{ErrorKind, Result};
use crate::http::Response;
use crate::storage::Page;

mod volumes;

/// Amazon EC2 in one region (one driver per region; run several at once with
/// `compute::across`).
///
/// Each method builds a [`Call`] in the pure core, signs it ([`Ec2Requests`]), sends it
/// through the mode's pooled [`HttpClient`] (retries, timeouts; `RequestLimitExceeded`
/// is retried with backoff whatever status carries it) and parses the answer in the core,
/// its root element checked. Node ids must look like EC2's (`i-…`): any other id is
/// `NotFound` without a request.
///
#[doc = per_mode!(
    blocking: r#"
```no_run
use multicloud::blocking::compute::{ComputeDriver, Ec2};
use multicloud::compute::ec2::Ec2Config;
# fn run() -> multicloud::Result<()> {
let ec2 = Ec2::new(Ec2Config::builder().region("eu-west-1").from_env()?.build()?)?;
for node in ec2.iterate_nodes() {
    let node = node?;
    println!("{} {} {}", node.id, node.name, node.state);
}
# Ok(())
# }
```
"#,
    async: r#"
```no_run
use multicloud::asynchronous::TryStreamExt;
use multicloud::asynchronous::compute::{ComputeDriver, Ec2};
use multicloud::compute::ec2::Ec2Config;
# async fn run() -> multicloud::Result<()> {
let ec2 = Ec2::new(Ec2Config::builder().region("eu-west-1").from_env()?.build()?)?;
let mut nodes = ec2.iterate_nodes();
while let Some(node) = nodes.try_next().await? {
    println!("{} {} {}", node.id, node.name, node.state);
}
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct Ec2 {
    http: HttpClient,
    requests: Arc<Ec2Requests>,
    /// Refreshes the credentials `requests` signs with (`None`: static ones).
    credentials: Option<CredentialsProvider>,
}

impl Ec2 {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: Ec2Config) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: Ec2Config, transport: TransportConfig) -> Result<Self> {
        match config.credential_source.clone() {
            Some(source) => {
                let provider = CredentialsProvider::new(source)?;
                Self::with_credentials_provider(config, transport, provider)
            }
            None => Ok(Ec2 {
                http: HttpClient::new(transport)?.for_provider(PROVIDER),
                requests: Arc::new(Ec2Requests::new(config)),
                credentials: None,
            }),
        }
    }

    /// A driver signing with what `provider` gives (refreshed before it expires), whatever
    /// credentials the configuration holds.
    pub fn with_credentials_provider(
        config: Ec2Config,
        transport: TransportConfig,
        provider: CredentialsProvider,
    ) -> Result<Self> {
        let requests = Ec2Requests::with_credentials(config, provider.cache());
        Ok(Ec2 {
            http: HttpClient::new(transport)?.for_provider(PROVIDER),
            requests: Arc::new(requests),
            credentials: Some(provider),
        })
    }

    /// A driver configured from the environment and the shared AWS files (as
    /// [`Ec2ConfigBuilder::from_env`](crate::compute::ec2::Ec2ConfigBuilder::from_env)).
    pub fn from_env() -> Result<Self> {
        Self::new(Ec2Config::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &Ec2Config {
        self.requests.config()
    }

    /// Asks EC2 whether `spec` could be created (`DryRun`): permissions, image, size and
    /// key are checked and nothing is launched. `Ok` when it could; otherwise the error
    /// the real call would meet (`PermissionDenied`, `NotFound`...).
    #[maybe_async]
    pub async fn check_create_node(&self, spec: &CreateNode) -> Result<()> {
        let call = calls::run_instances(spec, &client_token())?.dry_run();
        let resp = self.send(&call).await?;
        responses::dry_run_outcome(&resp, call.action())
    }

    /// Signs `call` with fresh credentials and sends it; the answer is unchecked.
    #[maybe_async]
    async fn send(&self, call: &Call) -> Result<Response> {
        if let Some(p) = &self.credentials {
            p.credentials().await?;
        }
        let req = self.requests.sign(call, SystemTime::now())?;
        self.http
            .send_classified(&req, responses::effective_status)
            .await
    }

    /// Every page of a listing, run through the core's pager guards.
    #[maybe_async]
    async fn all_pages<T: Send>(
        &self,
        build: impl Fn(Option<&str>) -> Result<Call> + Send + Sync,
        parse: fn(&Response) -> Result<Page<T>>,
    ) -> Result<Vec<T>> {
        rt::collect_pages(|token: Option<String>| {
            let call = build(token.as_deref());
            async move { parse(&self.send(&call?).await?) }
        })
        .await
    }

    /// Starts, stops or terminates one instance; the answer must report that instance.
    #[maybe_async]
    async fn change_state(&self, call: Result<Call>, id: &str) -> Result<()> {
        let call = call?;
        let changes = responses::state_changes(&self.send(&call).await?, call.action())?;
        match changes.iter().any(|c| c.id == id) {
            true => Ok(()),
            false => Err(responses::parse_error(
                call.action(),
                "the answer does not name the instance asked",
            )),
        }
    }
}

/// A fresh idempotency token: a retried create is recognised by EC2 as the same call.
fn client_token() -> String {
    format!("mc-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// `id` as a one-element id list, or `NotFound` when it cannot be an EC2 id of `kind`.
fn ids_of(kind: &str, prefix: &str, id: &str) -> Result<Vec<String>> {
    calls::check_id(kind, prefix, id)?;
    Ok(vec![id.to_owned()])
}

fn instance(id: &str) -> Result<Vec<String>> {
    ids_of("instance", "i-", id)
}

/// EC2's owner filter for `owner`.
fn owner_filter(owner: &ImageOwner) -> String {
    match owner {
        ImageOwner::Mine => "self".into(),
        ImageOwner::Provider => "amazon".into(),
        ImageOwner::Marketplace => "aws-marketplace".into(),
        ImageOwner::Account(id) => id.clone(),
    }
}

#[maybe_async(AFIT)]
impl ComputeDriver for Ec2 {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }

    async fn list_nodes_page(&self, token: Option<&str>, max: usize) -> Result<Page<Node>> {
        let call = calls::describe_instances(&[], &[], token, Some(max))?;
        responses::describe_instances(&self.send(&call).await?)
    }

    async fn get_node(&self, id: &str) -> Result<Node> {
        let call = calls::describe_instances(&instance(id)?, &[], None, None)?;
        let page = responses::describe_instances(&self.send(&call).await?)?;
        page.items
            .into_iter()
            .find(|n| n.id == id)
            .ok_or_else(|| calls::not_found("instance", id))
    }

    /// RunInstances with a fresh client token, so the transport's retries cannot launch
    /// twice on EC2.
    async fn create_node(&self, spec: &CreateNode) -> Result<Node> {
        let call = calls::run_instances(spec, &client_token())?;
        responses::run_instance(&self.send(&call).await?)
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        let call = calls::reboot_instances(&instance(id)?)?;
        responses::accepted(&self.send(&call).await?, call.action())
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        let call = calls::start_instances(&instance(id)?);
        self.change_state(call, id).await
    }

    async fn stop_node(&self, id: &str) -> Result<()> {
        let call = calls::stop_instances(&instance(id)?);
        self.change_state(call, id).await
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        let call = calls::terminate_instances(&instance(id)?);
        self.change_state(call, id).await
    }

    async fn list_sizes(&self) -> Result<Vec<NodeSize>> {
        let build = |t: Option<&str>| calls::describe_instance_types(&[], &[], t, Some(100));
        self.all_pages(build, responses::describe_instance_types)
            .await
    }

    async fn list_images(&self, owner: &ImageOwner) -> Result<Vec<NodeImage>> {
        let owners = [owner_filter(owner)];
        let build = |t: Option<&str>| calls::describe_images(&owners, &[], &[], t, Some(1000));
        self.all_pages(build, responses::describe_images).await
    }

    /// The region's availability zones (where nodes and volumes are placed).
    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        let call = calls::describe_availability_zones(&[])?;
        responses::describe_availability_zones(&self.send(&call).await?)
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        let call = calls::describe_key_pairs(&[])?;
        responses::describe_key_pairs(&self.send(&call).await?)
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        let call = calls::create_key_pair(name)?;
        responses::create_key_pair(&self.send(&call).await?, name)
    }

    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        let call = calls::import_key_pair(name, public_key)?;
        responses::import_key_pair(&self.send(&call).await?, name)
    }

    /// EC2 answers success for a key that is not there: it is looked up first, so a
    /// missing key is `NotFound` as on every provider.
    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        let look = calls::describe_key_pairs(&[name.to_owned()])?;
        let found = responses::describe_key_pairs(&self.send(&look).await?)?;
        if !found.iter().any(|k| k.name == name) {
            return Err(calls::not_found("key pair", name));
        }
        let call = calls::delete_key_pair(name)?;
        responses::accepted(&self.send(&call).await?, call.action())
    }

    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        let build = |t: Option<&str>| calls::describe_volumes(&[], &[], t, Some(500));
        self.all_pages(build, responses::describe_volumes).await
    }

    async fn create_volume(&self, name: &str, size_gib: u64, location: &str) -> Result<Volume> {
        let call = calls::create_volume(size_gib, location, name, &client_token())?;
        responses::create_volume(&self.send(&call).await?)
    }

    async fn attach_volume(&self, volume: &str, node: &str) -> Result<()> {
        self.attach(volume, node).await
    }

    async fn detach_volume(&self, volume: &str) -> Result<()> {
        self.detach(volume).await
    }

    async fn destroy_volume(&self, volume: &str) -> Result<()> {
        let call = calls::delete_volume(&ids_of("volume", "vol-", volume)?[0])?;
        responses::accepted(&self.send(&call).await?, call.action())
    }

    async fn create_volume_snapshot(&self, volume: &str) -> Result<VolumeSnapshot> {
        let call = calls::create_snapshot(&ids_of("volume", "vol-", volume)?[0], None)?;
        responses::create_snapshot(&self.send(&call).await?, volume)
    }

    /// The account's own snapshots (`Owner=self`).
    async fn list_volume_snapshots(&self) -> Result<Vec<VolumeSnapshot>> {
        let mine = ["self".to_owned()];
        let build = |t: Option<&str>| calls::describe_snapshots(&[], &mine, t, Some(1000));
        self.all_pages(build, responses::describe_snapshots).await
    }

    async fn delete_volume_snapshot(&self, id: &str) -> Result<()> {
        let call = calls::delete_snapshot(&ids_of("snapshot", "snap-", id)?[0])?;
        responses::accepted(&self.send(&call).await?, call.action())
    }

    /// One DescribeInstances for every node (EC2 fails the whole call when one is gone:
    /// then each is looked at alone, and the missing ones left out).
    async fn look_at(&self, ids: &[String]) -> Result<Vec<Node>> {
        let known: Vec<String> = ids
            .iter()
            .filter(|id| calls::check_id("instance", "i-", id).is_ok())
            .cloned()
            .collect();
        if known.is_empty() {
            return Ok(Vec::new());
        }
        let call = calls::describe_instances(&known, &[], None, None)?;
        match responses::describe_instances(&self.send(&call).await?) {
            Ok(page) => Ok(page.items),
            Err(e) if e.kind() == ErrorKind::NotFound => self.look_one_by_one(&known).await,
            Err(e) => Err(e),
        }
    }
}

impl Ec2 {
    /// `look_at`, one DescribeInstances per node.
    #[maybe_async]
    async fn look_one_by_one(&self, ids: &[String]) -> Result<Vec<Node>> {
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
