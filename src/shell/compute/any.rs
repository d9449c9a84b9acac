use super::rt::maybe_async;
use super::{ComputeDriver, DigitalOcean, Ec2, MemoryCompute};
use crate::compute::digitalocean::DoConfig;
use crate::compute::ec2::Ec2Config;
use crate::compute::{
    CreateNode, ImageOwner, KeyPair, Node, NodeImage, NodeLocation, NodeSize, Volume,
    VolumeSnapshot,
};
use crate::error::Result;
use crate::registry::{ComputeLocation, ComputeProvider};
use crate::storage::Page;

/// Any compute driver, chosen at run time (Libcloud's `get_driver`): an enum over the
/// drivers that implements [`ComputeDriver`] by delegation, identically in both modes.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::compute::{AnyCompute, ComputeDriver};
let cloud = AnyCompute::from_url("memory://")?;
assert_eq!(cloud.provider_name(), "memory");
assert!(cloud.list_nodes()?.is_empty());
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::compute::{AnyCompute, ComputeDriver};
let cloud = AnyCompute::from_url("memory://")?;
assert_eq!(cloud.provider_name(), "memory");
assert!(cloud.list_nodes().await?.is_empty());
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyCompute {
    /// The in-memory cloud ([`MemoryCompute`]).
    Memory(MemoryCompute),
    /// Amazon EC2 in one region ([`Ec2`]).
    Ec2(Ec2),
    /// DigitalOcean ([`DigitalOcean`]).
    DigitalOcean(DigitalOcean),
}

impl AnyCompute {
    /// Builds the driver a compute URL names (see
    /// [`ComputeLocation`](crate::registry::ComputeLocation) for the URLs and their
    /// options): `memory://`, `ec2://eu-west-1[?endpoint=..&profile=..]`,
    /// `digitalocean://[REGION][?endpoint=..]`. What the URL does not set comes from the
    /// environment (the AWS chain, `DIGITALOCEAN_TOKEN`).
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_location(&ComputeLocation::parse(url)?)
    }

    /// [`from_url`](Self::from_url) with options given by the program, the query's keys,
    /// applied over the URL's: `from_url_with("ec2://", [("region", region)])`.
    pub fn from_url_with<K, V>(url: &str, options: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::from_location(&ComputeLocation::parse_with(url, options)?)
    }

    /// A driver of `provider` configured from the environment alone.
    pub fn new(provider: ComputeProvider) -> Result<Self> {
        Self::from_location(&ComputeLocation::parse(&format!("{provider}://"))?)
    }

    /// The driver a parsed location names.
    pub fn from_location(l: &ComputeLocation) -> Result<Self> {
        match l.provider {
            ComputeProvider::Memory => Ok(AnyCompute::Memory(MemoryCompute::new())),
            ComputeProvider::Ec2 => Ok(AnyCompute::Ec2(Ec2::new(ec2_config(l)?)?)),
            ComputeProvider::DigitalOcean => {
                Ok(AnyCompute::DigitalOcean(DigitalOcean::new(do_config(l)?)?))
            }
        }
    }

    /// The provider this driver talks to.
    pub fn provider(&self) -> ComputeProvider {
        match self {
            AnyCompute::Memory(_) => ComputeProvider::Memory,
            AnyCompute::Ec2(_) => ComputeProvider::Ec2,
            AnyCompute::DigitalOcean(_) => ComputeProvider::DigitalOcean,
        }
    }
}

/// The EC2 configuration a location asks for, the rest from the environment.
fn ec2_config(l: &ComputeLocation) -> Result<Ec2Config> {
    let mut b = Ec2Config::builder();
    if let Some(region) = &l.region {
        b = b.region(region);
    }
    if let Some(endpoint) = &l.endpoint {
        b = b.endpoint(endpoint);
    }
    if let Some(profile) = &l.profile {
        b = b.profile(profile);
    }
    b.from_env()?.build()
}

/// The DigitalOcean configuration a location asks for, the token from the environment.
fn do_config(l: &ComputeLocation) -> Result<DoConfig> {
    let mut b = DoConfig::builder();
    if let Some(region) = &l.region {
        b = b.region(region);
    }
    if let Some(endpoint) = &l.endpoint {
        b = b.endpoint(endpoint);
    }
    b.from_env()?.build()
}

impl From<DigitalOcean> for AnyCompute {
    fn from(d: DigitalOcean) -> Self {
        AnyCompute::DigitalOcean(d)
    }
}

impl From<MemoryCompute> for AnyCompute {
    fn from(d: MemoryCompute) -> Self {
        AnyCompute::Memory(d)
    }
}

impl From<Ec2> for AnyCompute {
    fn from(d: Ec2) -> Self {
        AnyCompute::Ec2(d)
    }
}

// Delegation is spelled out per method: `maybe_async` cannot strip an `.await` inside a
// macro's arguments, so a delegating macro would break the blocking build.
#[maybe_async(AFIT)]
impl ComputeDriver for AnyCompute {
    fn provider_name(&self) -> &'static str {
        match self {
            AnyCompute::Memory(d) => d.provider_name(),
            AnyCompute::Ec2(d) => d.provider_name(),
            AnyCompute::DigitalOcean(d) => d.provider_name(),
        }
    }

    async fn list_nodes_page(&self, token: Option<&str>, max: usize) -> Result<Page<Node>> {
        match self {
            AnyCompute::Memory(d) => d.list_nodes_page(token, max).await,
            AnyCompute::Ec2(d) => d.list_nodes_page(token, max).await,
            AnyCompute::DigitalOcean(d) => d.list_nodes_page(token, max).await,
        }
    }

    async fn get_node(&self, id: &str) -> Result<Node> {
        match self {
            AnyCompute::Memory(d) => d.get_node(id).await,
            AnyCompute::Ec2(d) => d.get_node(id).await,
            AnyCompute::DigitalOcean(d) => d.get_node(id).await,
        }
    }

    async fn create_node(&self, spec: &CreateNode) -> Result<Node> {
        match self {
            AnyCompute::Memory(d) => d.create_node(spec).await,
            AnyCompute::Ec2(d) => d.create_node(spec).await,
            AnyCompute::DigitalOcean(d) => d.create_node(spec).await,
        }
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.reboot_node(id).await,
            AnyCompute::Ec2(d) => d.reboot_node(id).await,
            AnyCompute::DigitalOcean(d) => d.reboot_node(id).await,
        }
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.start_node(id).await,
            AnyCompute::Ec2(d) => d.start_node(id).await,
            AnyCompute::DigitalOcean(d) => d.start_node(id).await,
        }
    }

    async fn stop_node(&self, id: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.stop_node(id).await,
            AnyCompute::Ec2(d) => d.stop_node(id).await,
            AnyCompute::DigitalOcean(d) => d.stop_node(id).await,
        }
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.destroy_node(id).await,
            AnyCompute::Ec2(d) => d.destroy_node(id).await,
            AnyCompute::DigitalOcean(d) => d.destroy_node(id).await,
        }
    }

    async fn list_sizes(&self) -> Result<Vec<NodeSize>> {
        match self {
            AnyCompute::Memory(d) => d.list_sizes().await,
            AnyCompute::Ec2(d) => d.list_sizes().await,
            AnyCompute::DigitalOcean(d) => d.list_sizes().await,
        }
    }

    async fn list_images(&self, owner: &ImageOwner) -> Result<Vec<NodeImage>> {
        match self {
            AnyCompute::Memory(d) => d.list_images(owner).await,
            AnyCompute::Ec2(d) => d.list_images(owner).await,
            AnyCompute::DigitalOcean(d) => d.list_images(owner).await,
        }
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        match self {
            AnyCompute::Memory(d) => d.list_locations().await,
            AnyCompute::Ec2(d) => d.list_locations().await,
            AnyCompute::DigitalOcean(d) => d.list_locations().await,
        }
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        match self {
            AnyCompute::Memory(d) => d.list_key_pairs().await,
            AnyCompute::Ec2(d) => d.list_key_pairs().await,
            AnyCompute::DigitalOcean(d) => d.list_key_pairs().await,
        }
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        match self {
            AnyCompute::Memory(d) => d.create_key_pair(name).await,
            AnyCompute::Ec2(d) => d.create_key_pair(name).await,
            AnyCompute::DigitalOcean(d) => d.create_key_pair(name).await,
        }
    }

    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        match self {
            AnyCompute::Memory(d) => d.import_key_pair(name, public_key).await,
            AnyCompute::Ec2(d) => d.import_key_pair(name, public_key).await,
            AnyCompute::DigitalOcean(d) => d.import_key_pair(name, public_key).await,
        }
    }

    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.delete_key_pair(name).await,
            AnyCompute::Ec2(d) => d.delete_key_pair(name).await,
            AnyCompute::DigitalOcean(d) => d.delete_key_pair(name).await,
        }
    }

    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        match self {
            AnyCompute::Memory(d) => d.list_volumes().await,
            AnyCompute::Ec2(d) => d.list_volumes().await,
            AnyCompute::DigitalOcean(d) => d.list_volumes().await,
        }
    }

    async fn create_volume(&self, name: &str, size_gib: u64, location: &str) -> Result<Volume> {
        match self {
            AnyCompute::Memory(d) => d.create_volume(name, size_gib, location).await,
            AnyCompute::Ec2(d) => d.create_volume(name, size_gib, location).await,
            AnyCompute::DigitalOcean(d) => d.create_volume(name, size_gib, location).await,
        }
    }

    async fn attach_volume(&self, volume: &str, node: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.attach_volume(volume, node).await,
            AnyCompute::Ec2(d) => d.attach_volume(volume, node).await,
            AnyCompute::DigitalOcean(d) => d.attach_volume(volume, node).await,
        }
    }

    async fn detach_volume(&self, volume: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.detach_volume(volume).await,
            AnyCompute::Ec2(d) => d.detach_volume(volume).await,
            AnyCompute::DigitalOcean(d) => d.detach_volume(volume).await,
        }
    }

    async fn destroy_volume(&self, volume: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.destroy_volume(volume).await,
            AnyCompute::Ec2(d) => d.destroy_volume(volume).await,
            AnyCompute::DigitalOcean(d) => d.destroy_volume(volume).await,
        }
    }

    async fn create_volume_snapshot(&self, volume: &str) -> Result<VolumeSnapshot> {
        match self {
            AnyCompute::Memory(d) => d.create_volume_snapshot(volume).await,
            AnyCompute::Ec2(d) => d.create_volume_snapshot(volume).await,
            AnyCompute::DigitalOcean(d) => d.create_volume_snapshot(volume).await,
        }
    }

    async fn list_volume_snapshots(&self) -> Result<Vec<VolumeSnapshot>> {
        match self {
            AnyCompute::Memory(d) => d.list_volume_snapshots().await,
            AnyCompute::Ec2(d) => d.list_volume_snapshots().await,
            AnyCompute::DigitalOcean(d) => d.list_volume_snapshots().await,
        }
    }

    async fn delete_volume_snapshot(&self, id: &str) -> Result<()> {
        match self {
            AnyCompute::Memory(d) => d.delete_volume_snapshot(id).await,
            AnyCompute::Ec2(d) => d.delete_volume_snapshot(id).await,
            AnyCompute::DigitalOcean(d) => d.delete_volume_snapshot(id).await,
        }
    }

    async fn look_at(&self, ids: &[String]) -> Result<Vec<Node>> {
        match self {
            AnyCompute::Memory(d) => d.look_at(ids).await,
            AnyCompute::Ec2(d) => d.look_at(ids).await,
            AnyCompute::DigitalOcean(d) => d.look_at(ids).await,
        }
    }
}
