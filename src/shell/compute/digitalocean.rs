use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::super::http::{HttpClient, TransportConfig};
use super::super::pause::{check_cancel, pause};
use super::ComputeDriver;
use super::rt::{self, maybe_async};
use crate::compute::digitalocean::responses::{self, Action, Listed};
use crate::compute::digitalocean::{
    Collection, DoConfig, DoRequests, DropletAction, MAX_PER_PAGE, PROVIDER, PageAsk, requests,
};
use crate::compute::wait;
use crate::compute::{
    CreateNode, ImageOwner, KeyPair, Node, NodeImage, NodeLocation, NodeSize, Volume,
    VolumeSnapshot,
};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Request, Response};
use crate::storage::{CancelToken, Page};

/// DigitalOcean droplets, SSH keys, volumes and volume snapshots (API v2, bearer token).
///
/// Each method builds its request in the pure core
/// ([`DoRequests`](crate::compute::digitalocean::DoRequests)), sends it through the
/// mode's pooled [`HttpClient`] (retries, timeouts; a 429 waits as long as the answer
/// asks) and parses the answer in the core. Power actions and volume attachments are
/// polled to completion (`/v2/actions/{id}`, backing off from 1 s to 20 s, at most
/// [`DoConfig::action_timeout`]). What differs from other providers: droplets need a
/// region (the spec's location, else [`DoConfig::region`]); SSH keys are only imported
/// (`create_key_pair` is `Unsupported`); another account's images cannot be listed.
///
#[doc = per_mode!(
    blocking: r#"
```no_run
use multicloud::blocking::compute::{ComputeDriver, DigitalOcean};
use multicloud::compute::CreateNode;
use std::time::Duration;
# fn run() -> multicloud::Result<()> {
let cloud = DigitalOcean::from_env()?; // DIGITALOCEAN_TOKEN
let spec = CreateNode::new("web-1", "s-1vcpu-1gb", "ubuntu-24-04-x64").location("ams3");
let node = cloud.create_node(&spec)?;
let running = cloud.wait_until_running(&[node.id], Duration::from_secs(300), None)?;
println!("{:?}", running[0].public_ips);
# Ok(())
# }
```
"#,
    async: r#"
```no_run
use multicloud::asynchronous::compute::{ComputeDriver, DigitalOcean};
use multicloud::compute::CreateNode;
use std::time::Duration;
# async fn run() -> multicloud::Result<()> {
let cloud = DigitalOcean::from_env()?; // DIGITALOCEAN_TOKEN
let spec = CreateNode::new("web-1", "s-1vcpu-1gb", "ubuntu-24-04-x64").location("ams3");
let node = cloud.create_node(&spec).await?;
let running = cloud.wait_until_running(&[node.id], Duration::from_secs(300), None).await?;
println!("{:?}", running[0].public_ips);
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct DigitalOcean {
    http: HttpClient,
    requests: Arc<DoRequests>,
}

impl DigitalOcean {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: DoConfig) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: DoConfig, transport: TransportConfig) -> Result<Self> {
        Ok(DigitalOcean {
            http: HttpClient::new(transport)?.for_provider(PROVIDER),
            requests: Arc::new(DoRequests::new(config)),
        })
    }

    /// A driver whose token comes from `DIGITALOCEAN_TOKEN` (`InvalidInput` naming the
    /// variable when it is not set).
    pub fn from_env() -> Result<Self> {
        Self::new(DoConfig::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &DoConfig {
        self.requests.config()
    }

    /// Runs a droplet action (reboot, power on, power off) and waits for it to complete,
    /// as `reboot_node`, `start_node` and `stop_node` do, but stoppable through `cancel`
    /// (`Cancelled`; the action itself goes on at DigitalOcean). An action that errors is
    /// a `Provider` error naming it; one still running after
    /// [`DoConfig::action_timeout`] is `Timeout`.
    #[maybe_async]
    pub async fn droplet_action(
        &self,
        id: &str,
        action: DropletAction,
        cancel: Option<&CancelToken>,
    ) -> Result<()> {
        let req = self.requests.droplet_action(id, action)?;
        let what = format!("{} of droplet {id}", action.as_str());
        let resp = self.send(req).await?;
        let started = responses::started_action(&resp, &what, action.as_str())?;
        self.wait_for_action(started, &what, cancel).await
    }

    #[maybe_async]
    async fn send(&self, req: Request) -> Result<Response> {
        self.http.send(&req).await
    }

    /// One page of a listing.
    #[maybe_async]
    async fn page<T: Listed>(
        &self,
        collection: Collection,
        token: Option<&str>,
        per_page: usize,
    ) -> Result<Page<T>> {
        let ask = PageAsk::new(collection, token, per_page)?;
        let resp = self.send(self.requests.list(&ask)).await?;
        responses::page(&resp, &ask, &self.config().endpoint)
    }

    /// Every page of a listing, through the pager's guards; never a partial list.
    #[maybe_async]
    async fn all<T: Listed + Send>(&self, collection: Collection) -> Result<Vec<T>> {
        rt::collect_pages(move |token: Option<String>| async move {
            self.page(collection, token.as_deref(), MAX_PER_PAGE).await
        })
        .await
    }

    /// Looks at `action` until it completes (at once, then after 1 s, 2 s... up to 20 s).
    #[maybe_async]
    async fn wait_for_action(
        &self,
        action: Action,
        what: &str,
        cancel: Option<&CancelToken>,
    ) -> Result<()> {
        let started = Instant::now();
        let limit = self.config().action_timeout;
        let mut current = action;
        let mut look = 0u32;
        while !responses::action_settled(&current, what)? {
            let left = limit.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(responses::action_timed_out(
                    &current,
                    what,
                    started.elapsed(),
                ));
            }
            match look.checked_sub(1) {
                None => check_cancel(cancel, what)?,
                Some(n) => pause(wait::next_interval(n, left), cancel, what).await?,
            }
            look += 1;
            let resp = self.send(self.requests.get_action(current.id)).await?;
            current = responses::action(&resp, what, Some(current.id))?;
        }
        Ok(())
    }

    /// Runs a volume action and waits for it.
    #[maybe_async]
    async fn volume_action(&self, volume: &str, attach: bool, droplet: &str) -> Result<()> {
        let req = self.requests.volume_action(volume, attach, droplet)?;
        let verb = if attach { "attaching" } else { "detaching" };
        let what = format!("{verb} volume {volume} and droplet {droplet}");
        let kind = if attach {
            "attach_volume"
        } else {
            "detach_volume"
        };
        let resp = self.send(req).await?;
        let started = responses::started_action(&resp, &what, kind)?;
        self.wait_for_action(started, &what, None).await
    }

    #[maybe_async]
    async fn volume(&self, id: &str) -> Result<Volume> {
        let resp = self.send(self.requests.get_volume(id)?).await?;
        responses::volume(&resp, Some(id))
    }

    /// The ids of the SSH keys `names` (each must name exactly one key).
    #[maybe_async]
    async fn key_ids(&self, names: &[String]) -> Result<Vec<u64>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<KeyPair> = self.all(Collection::SshKeys).await?;
        names.iter().map(|n| responses::key_id(&keys, n)).collect()
    }
}

fn do_error(kind: ErrorKind, message: String) -> Error {
    Error::new(kind, message).with_provider(PROVIDER)
}

/// A snapshot's name: the volume's id and the time, unique enough for one caller.
fn snapshot_name(volume: &str) -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{}-{millis}", volume.get(..8).unwrap_or(volume))
}

#[maybe_async(AFIT)]
impl ComputeDriver for DigitalOcean {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }

    /// `per_page` is `max` clamped to 1..=200; the token is the next page's number.
    async fn list_nodes_page(&self, token: Option<&str>, max: usize) -> Result<Page<Node>> {
        self.page(Collection::Droplets, token, max).await
    }

    async fn get_node(&self, id: &str) -> Result<Node> {
        let number = requests::droplet_id(id)?;
        let resp = self.send(self.requests.get_droplet(id)?).await?;
        responses::droplet(&resp, number)
    }

    /// Key names are looked up among the account's SSH keys (`NotFound` for an unknown
    /// one) and sent as ids.
    async fn create_node(&self, spec: &CreateNode) -> Result<Node> {
        let keys = self.key_ids(&spec.key_names).await?;
        let resp = self
            .send(self.requests.create_droplet(spec, &keys)?)
            .await?;
        responses::created_droplet(&resp, spec)
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        self.droplet_action(id, DropletAction::Reboot, None).await
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        self.droplet_action(id, DropletAction::PowerOn, None).await
    }

    /// A hard `power_off`.
    async fn stop_node(&self, id: &str) -> Result<()> {
        self.droplet_action(id, DropletAction::PowerOff, None).await
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        let resp = self.send(self.requests.delete_droplet(id)?).await?;
        responses::no_content(&resp, &format!("destroying droplet {id}"))
    }

    async fn list_sizes(&self) -> Result<Vec<NodeSize>> {
        self.all(Collection::Sizes).await
    }

    /// Provider: `type=distribution`; Marketplace: `type=application`; Mine:
    /// `private=true`; Account: `Unsupported`.
    async fn list_images(&self, owner: &ImageOwner) -> Result<Vec<NodeImage>> {
        self.all(Collection::images_of(owner)?).await
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        self.all(Collection::Regions).await
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        self.all(Collection::SshKeys).await
    }

    /// `Unsupported`: DigitalOcean imports public keys, it does not make key pairs.
    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        Err(do_error(
            ErrorKind::Unsupported,
            format!("DigitalOcean cannot create key pair {name:.80?}: import a public key"),
        ))
    }

    /// A name already used by a key is `AlreadyExists` (keys are found by name).
    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        let req = self.requests.create_ssh_key(name, public_key)?;
        let keys: Vec<KeyPair> = self.all(Collection::SshKeys).await?;
        if keys.iter().any(|k| k.name == name) {
            let taken = format!("an SSH key is already called {name:.80?}");
            return Err(do_error(ErrorKind::AlreadyExists, taken));
        }
        responses::ssh_key(&self.send(req).await?, name)
    }

    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        let keys: Vec<KeyPair> = self.all(Collection::SshKeys).await?;
        let id = responses::key_id(&keys, name)?;
        let resp = self.send(self.requests.delete_ssh_key(id)).await?;
        responses::no_content(&resp, &format!("deleting SSH key {name:.80?}"))
    }

    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        self.all(Collection::Volumes).await
    }

    /// `location` is a region slug.
    async fn create_volume(&self, name: &str, size_gib: u64, location: &str) -> Result<Volume> {
        let req = self.requests.create_volume(name, size_gib, location)?;
        responses::volume(&self.send(req).await?, None)
    }

    async fn attach_volume(&self, volume: &str, node: &str) -> Result<()> {
        self.volume_action(volume, true, node).await
    }

    /// Detaches it from the droplet it is attached to (looked up first);
    /// `PreconditionFailed` when it is attached to none.
    async fn detach_volume(&self, volume: &str) -> Result<()> {
        let v = self.volume(volume).await?;
        if v.attached_to.is_empty() {
            let free = format!("volume {volume} is not attached to a droplet");
            return Err(do_error(ErrorKind::PreconditionFailed, free));
        }
        for droplet in &v.attached_to {
            self.volume_action(volume, false, droplet).await?;
        }
        Ok(())
    }

    /// An attached volume is `PreconditionFailed` (checked first; DigitalOcean's own 409
    /// says the same).
    async fn destroy_volume(&self, volume: &str) -> Result<()> {
        let v = self.volume(volume).await?;
        if let Some(droplet) = v.attached_to.first() {
            let busy = format!("volume {volume} is attached to droplet {droplet}: detach it first");
            return Err(do_error(ErrorKind::PreconditionFailed, busy));
        }
        let resp = self.send(self.requests.delete_volume(volume)?).await?;
        responses::no_content(&resp, &format!("destroying volume {volume}"))
    }

    async fn create_volume_snapshot(&self, volume: &str) -> Result<VolumeSnapshot> {
        let name = snapshot_name(volume);
        let req = self.requests.create_volume_snapshot(volume, &name)?;
        responses::snapshot(&self.send(req).await?, volume)
    }

    async fn list_volume_snapshots(&self) -> Result<Vec<VolumeSnapshot>> {
        self.all(Collection::VolumeSnapshots).await
    }

    async fn delete_volume_snapshot(&self, id: &str) -> Result<()> {
        let resp = self.send(self.requests.delete_snapshot(id)?).await?;
        responses::no_content(&resp, &format!("deleting snapshot {id}"))
    }
}
