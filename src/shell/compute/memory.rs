use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use super::ComputeDriver;
use super::rt::maybe_async;
use crate::compute::memory_cloud::{DEFAULT_BOOT_LOOKS, MemoryCloud};
use crate::compute::{
    CreateNode, ImageOwner, KeyPair, Node, NodeImage, NodeLocation, NodeSize, NodeState, Volume,
    VolumeSnapshot,
};
use crate::credentials::Secret;
use crate::error::Result;
use crate::storage::Page;

/// A cloud in memory, for tests and examples: nodes are created pending and run after a
/// few looks (`get_node`, listings), as real ones do over seconds; key pairs, volumes and
/// snapshots are kept. Clones share the cloud.
#[derive(Debug, Clone)]
pub struct MemoryCompute {
    cloud: Arc<Mutex<MemoryCloud>>,
}

impl Default for MemoryCompute {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryCompute {
    /// An empty cloud whose nodes run after two looks.
    pub fn new() -> Self {
        Self::with_boot_looks(DEFAULT_BOOT_LOOKS)
    }

    /// An empty cloud whose nodes run after `looks` looks (0: at the first).
    pub fn with_boot_looks(looks: u32) -> Self {
        MemoryCompute {
            cloud: Arc::new(Mutex::new(MemoryCloud::new(looks))),
        }
    }

    fn cloud(&self) -> MutexGuard<'_, MemoryCloud> {
        self.cloud.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[maybe_async(AFIT)]
impl ComputeDriver for MemoryCompute {
    fn provider_name(&self) -> &'static str {
        "memory"
    }

    async fn list_nodes_page(&self, token: Option<&str>, max: usize) -> Result<Page<Node>> {
        Ok(self.cloud().nodes_page(token, max))
    }

    async fn get_node(&self, id: &str) -> Result<Node> {
        self.cloud().get(id)
    }

    async fn create_node(&self, spec: &CreateNode) -> Result<Node> {
        self.cloud().create(spec, SystemTime::now())
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        self.cloud().transition(id, NodeState::Rebooting)
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        self.cloud().transition(id, NodeState::Starting)
    }

    async fn stop_node(&self, id: &str) -> Result<()> {
        self.cloud().transition(id, NodeState::Stopping)
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        self.cloud().destroy(id)
    }

    async fn list_sizes(&self) -> Result<Vec<NodeSize>> {
        Ok(self.cloud().sizes())
    }

    /// The built-in images are the provider's; the memory cloud has no others.
    async fn list_images(&self, owner: &ImageOwner) -> Result<Vec<NodeImage>> {
        match owner {
            ImageOwner::Provider => Ok(self.cloud().images()),
            _ => Ok(Vec::new()),
        }
    }

    async fn list_locations(&self) -> Result<Vec<NodeLocation>> {
        Ok(self.cloud().locations())
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        Ok(self.cloud().key_pairs())
    }

    /// A key pair whose "private key" is a placeholder: nothing here can log in.
    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        let key = KeyPair {
            id: None,
            name: name.into(),
            fingerprint: Some(format!("memory:{name}")),
            public_key: Some(format!("ssh-ed25519 MEMORY {name}")),
            private_key: Some(Secret::new(format!("memory private key of {name}"))),
            extra: BTreeMap::new(),
        };
        self.cloud().add_key_pair(key)
    }

    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        let key = KeyPair {
            id: None,
            name: name.into(),
            fingerprint: Some(format!("memory:{name}")),
            public_key: Some(public_key.into()),
            private_key: None,
            extra: BTreeMap::new(),
        };
        self.cloud().add_key_pair(key)
    }

    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        self.cloud().delete_key_pair(name)
    }

    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        Ok(self.cloud().volumes())
    }

    async fn create_volume(&self, name: &str, size_gib: u64, location: &str) -> Result<Volume> {
        self.cloud().create_volume(name, size_gib, location)
    }

    async fn attach_volume(&self, volume: &str, node: &str) -> Result<()> {
        self.cloud().attach(volume, node)
    }

    async fn detach_volume(&self, volume: &str) -> Result<()> {
        self.cloud().detach(volume)
    }

    async fn destroy_volume(&self, volume: &str) -> Result<()> {
        self.cloud().destroy_volume(volume)
    }

    async fn create_volume_snapshot(&self, volume: &str) -> Result<VolumeSnapshot> {
        self.cloud().snapshot(volume, SystemTime::now())
    }

    async fn list_volume_snapshots(&self) -> Result<Vec<VolumeSnapshot>> {
        Ok(self.cloud().snapshots())
    }

    async fn delete_volume_snapshot(&self, id: &str) -> Result<()> {
        self.cloud().delete_snapshot(id)
    }
}
