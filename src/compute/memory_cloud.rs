//! The `MemoryCompute` driver's data (no lock, no I/O): a small cloud in memory whose
//! nodes boot over a few looks, as real ones do over seconds, so code that creates nodes
//! and waits for them can be written and tested without an account. The shell wraps it in
//! a lock.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::SystemTime;

use super::{
    CreateNode, KeyPair, Node, NodeImage, NodeLocation, NodeSize, NodeState, Volume,
    VolumeSnapshot, VolumeState,
};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::Page;

/// How many looks (`get`/list) a new, started or rebooted node takes to run.
pub const DEFAULT_BOOT_LOOKS: u32 = 2;

/// A node and how many more looks it needs to reach its next state.
#[derive(Debug, Clone)]
struct Machine {
    node: Node,
    looks_left: u32,
}

/// The cloud: nodes, key pairs, volumes and snapshots, with ids counted from 1.
#[derive(Debug)]
pub struct MemoryCloud {
    machines: BTreeMap<String, Machine>,
    keys: BTreeMap<String, KeyPair>,
    volumes: BTreeMap<String, Volume>,
    snapshots: BTreeMap<String, VolumeSnapshot>,
    next_id: u64,
    boot_looks: u32,
}

impl Default for MemoryCloud {
    fn default() -> Self {
        Self::new(DEFAULT_BOOT_LOOKS)
    }
}

fn not_found(what: &str, id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{what} {id:?} does not exist")).with_provider("memory")
}

/// A resource in a state that forbids the call (as EC2's `VolumeInUse`).
fn in_use(message: String) -> Error {
    Error::new(ErrorKind::PreconditionFailed, message).with_provider("memory")
}

fn invalid(message: String) -> Error {
    Error::invalid(message).with_provider("memory")
}

impl MemoryCloud {
    /// An empty cloud whose nodes take `boot_looks` looks to run.
    pub fn new(boot_looks: u32) -> Self {
        MemoryCloud {
            machines: BTreeMap::new(),
            keys: BTreeMap::new(),
            volumes: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            next_id: 1,
            boot_looks,
        }
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id - 1)
    }

    /// The sizes on offer.
    pub fn sizes(&self) -> Vec<NodeSize> {
        [
            ("small", 1024, 1, 25),
            ("medium", 4096, 2, 80),
            ("large", 16384, 8, 320),
        ]
        .into_iter()
        .map(|(id, ram_mib, vcpus, disk_gib)| NodeSize {
            id: id.into(),
            name: id.into(),
            ram_mib,
            vcpus,
            disk_gib,
            price_hourly: None,
            extra: BTreeMap::new(),
        })
        .collect()
    }

    /// The images on offer.
    pub fn images(&self) -> Vec<NodeImage> {
        ["debian-13", "ubuntu-24.04"]
            .into_iter()
            .map(|id| NodeImage {
                id: id.into(),
                name: id.into(),
                extra: BTreeMap::new(),
            })
            .collect()
    }

    /// The locations on offer.
    pub fn locations(&self) -> Vec<NodeLocation> {
        ["here-1", "there-1"]
            .into_iter()
            .map(|id| NodeLocation {
                id: id.into(),
                name: id.into(),
                available: Some(true),
                extra: BTreeMap::new(),
            })
            .collect()
    }

    /// Creates a node, pending until it has been looked at `boot_looks` times.
    pub fn create(&mut self, spec: &CreateNode, now: SystemTime) -> Result<Node> {
        self.check_spec(spec)?;
        let id = self.id("node");
        let mut node = Node::new(&id, &spec.name, NodeState::Pending);
        node.size = Some(spec.size.clone());
        node.image = Some(spec.image.clone());
        node.location = Some(spec.location.clone().unwrap_or_else(|| "here-1".into()));
        node.created_at = Some(now);
        node.tags = spec.tags.clone();
        node.extra = spec.extra.clone();
        let machine = Machine {
            node: node.clone(),
            looks_left: self.boot_looks,
        };
        self.machines.insert(id, machine);
        Ok(node)
    }

    fn check_spec(&self, spec: &CreateNode) -> Result<()> {
        if spec.name.is_empty() {
            return Err(invalid("a node needs a name".into()));
        }
        if !self.sizes().iter().any(|s| s.id == spec.size) {
            return Err(invalid(format!("size {:?} is not offered", spec.size)));
        }
        if !self.images().iter().any(|i| i.id == spec.image) {
            return Err(invalid(format!("image {:?} is not offered", spec.image)));
        }
        match spec.key_names.iter().find(|k| !self.keys.contains_key(*k)) {
            Some(k) => Err(not_found("key pair", k)),
            None => Ok(()),
        }
    }

    /// One page of nodes (ids in order) after `token`, each looked at once.
    pub fn nodes_page(&mut self, token: Option<&str>, max: usize) -> Page<Node> {
        let ids: Vec<String> = self
            .machines
            .keys()
            .filter(|id| token.is_none_or(|t| id.as_str() > t))
            .take(max.max(1))
            .cloned()
            .collect();
        let more = ids
            .last()
            .is_some_and(|last| self.machines.keys().any(|k| k > last));
        let items: Vec<Node> = ids.iter().filter_map(|id| self.look(id)).collect();
        Page {
            next_token: more.then(|| ids.last().cloned()).flatten(),
            items,
        }
    }

    /// A node, looked at once (which moves it on towards its next state).
    pub fn get(&mut self, id: &str) -> Result<Node> {
        self.look(id).ok_or_else(|| not_found("node", id))
    }

    fn look(&mut self, id: &str) -> Option<Node> {
        let m = self.machines.get_mut(id)?;
        if m.looks_left > 0 {
            m.looks_left -= 1;
        } else {
            settle(&mut m.node);
        }
        Some(m.node.clone())
    }

    /// Starts, stops or reboots a node: it passes through `transit` to `to`.
    pub fn transition(&mut self, id: &str, transit: NodeState) -> Result<()> {
        let looks = self.boot_looks;
        let m = self
            .machines
            .get_mut(id)
            .ok_or_else(|| not_found("node", id))?;
        if m.node.state == NodeState::Terminated {
            return Err(
                Error::new(ErrorKind::Provider, format!("node {id:?} is terminated"))
                    .with_provider("memory"),
            );
        }
        m.node.state = transit;
        m.looks_left = looks;
        Ok(())
    }

    /// Destroys a node: terminated at once, gone after the next look.
    pub fn destroy(&mut self, id: &str) -> Result<()> {
        let m = self
            .machines
            .get_mut(id)
            .ok_or_else(|| not_found("node", id))?;
        if m.node.state == NodeState::Terminated {
            self.machines.remove(id);
            return Ok(());
        }
        m.node.state = NodeState::Terminated;
        m.node.public_ips.clear();
        m.node.private_ips.clear();
        m.looks_left = 0;
        for v in self.volumes.values_mut() {
            v.attached_to.retain(|n| n != id);
        }
        Ok(())
    }

    /// The key pairs.
    pub fn key_pairs(&self) -> Vec<KeyPair> {
        self.keys.values().cloned().collect()
    }

    /// Adds a key pair (created or imported); `AlreadyExists` for a taken name.
    pub fn add_key_pair(&mut self, key: KeyPair) -> Result<KeyPair> {
        if key.name.is_empty() {
            return Err(invalid("a key pair needs a name".into()));
        }
        if self.keys.contains_key(&key.name) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("key pair {:?} exists", key.name),
            )
            .with_provider("memory"));
        }
        let stored = KeyPair {
            private_key: None,
            ..key.clone()
        };
        self.keys.insert(key.name.clone(), stored);
        Ok(key)
    }

    /// Deletes a key pair; `NotFound` when missing.
    pub fn delete_key_pair(&mut self, name: &str) -> Result<()> {
        self.keys
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| not_found("key pair", name))
    }

    /// The volumes.
    pub fn volumes(&self) -> Vec<Volume> {
        self.volumes.values().cloned().collect()
    }

    /// Creates an available volume.
    pub fn create_volume(&mut self, name: &str, size_gib: u64, location: &str) -> Result<Volume> {
        if size_gib == 0 || name.is_empty() {
            return Err(invalid("a volume needs a name and a size".into()));
        }
        let v = Volume {
            id: self.id("vol"),
            name: name.into(),
            size_gib,
            state: VolumeState::Available,
            attached_to: Vec::new(),
            location: Some(location.into()),
            extra: BTreeMap::new(),
        };
        self.volumes.insert(v.id.clone(), v.clone());
        Ok(v)
    }

    /// Attaches a volume to a node (both must exist; the volume must be free).
    pub fn attach(&mut self, volume: &str, node: &str) -> Result<()> {
        if !self.machines.contains_key(node) {
            return Err(not_found("node", node));
        }
        let v = self
            .volumes
            .get_mut(volume)
            .ok_or_else(|| not_found("volume", volume))?;
        if !v.attached_to.is_empty() {
            return Err(in_use(format!("volume {volume:?} is attached already")));
        }
        v.attached_to.push(node.into());
        v.state = VolumeState::InUse;
        Ok(())
    }

    /// Detaches a volume from whatever holds it; one attached to nothing is
    /// `PreconditionFailed`.
    pub fn detach(&mut self, volume: &str) -> Result<()> {
        let v = self
            .volumes
            .get_mut(volume)
            .ok_or_else(|| not_found("volume", volume))?;
        if v.attached_to.is_empty() {
            return Err(in_use(format!("volume {volume:?} is not attached")));
        }
        v.attached_to.clear();
        v.state = VolumeState::Available;
        Ok(())
    }

    /// Destroys a detached volume.
    pub fn destroy_volume(&mut self, volume: &str) -> Result<()> {
        let v = self
            .volumes
            .get(volume)
            .ok_or_else(|| not_found("volume", volume))?;
        if !v.attached_to.is_empty() {
            return Err(in_use(format!(
                "volume {volume:?} is attached: detach it first"
            )));
        }
        self.volumes.remove(volume);
        Ok(())
    }

    /// Takes a snapshot of a volume.
    pub fn snapshot(&mut self, volume: &str, now: SystemTime) -> Result<VolumeSnapshot> {
        let size = self
            .volumes
            .get(volume)
            .ok_or_else(|| not_found("volume", volume))?
            .size_gib;
        let s = VolumeSnapshot {
            id: self.id("snap"),
            volume_id: Some(volume.into()),
            size_gib: Some(size),
            created_at: Some(now),
            state: Some("completed".into()),
            extra: BTreeMap::new(),
        };
        self.snapshots.insert(s.id.clone(), s.clone());
        Ok(s)
    }

    /// The snapshots.
    pub fn snapshots(&self) -> Vec<VolumeSnapshot> {
        self.snapshots.values().cloned().collect()
    }

    /// Deletes a snapshot.
    pub fn delete_snapshot(&mut self, id: &str) -> Result<()> {
        self.snapshots
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| not_found("snapshot", id))
    }
}

/// The state a node in transit settles in, with addresses when it runs.
fn settle(node: &mut Node) {
    node.state = match node.state {
        NodeState::Pending | NodeState::Starting | NodeState::Rebooting => NodeState::Running,
        NodeState::Stopping => NodeState::Stopped,
        other => other,
    };
    let running = node.state == NodeState::Running;
    if running && node.private_ips.is_empty() {
        let n: u8 = node
            .id
            .bytes()
            .fold(0u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
        node.private_ips
            .push(IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)));
        node.public_ips
            .push(IpAddr::V4(Ipv4Addr::new(203, 0, 113, n)));
    }
    if node.state == NodeState::Stopped {
        node.public_ips.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> CreateNode {
        CreateNode::new(name, "small", "debian-13")
    }

    #[test]
    fn nodes_boot_over_looks_and_get_addresses() {
        let mut cloud = MemoryCloud::new(2);
        let n = cloud.create(&spec("web"), SystemTime::now()).unwrap();
        assert_eq!(n.state, NodeState::Pending);
        let states: Vec<NodeState> = (0..3).map(|_| cloud.get(&n.id).unwrap().state).collect();
        assert_eq!(
            states,
            [NodeState::Pending, NodeState::Pending, NodeState::Running]
        );
        assert!(cloud.get(&n.id).unwrap().is_ready());
        cloud.transition(&n.id, NodeState::Stopping).unwrap();
        let n = (0..3).map(|_| cloud.get(&n.id).unwrap()).last().unwrap();
        assert_eq!(n.state, NodeState::Stopped);
        assert!(n.public_ips.is_empty());
    }

    #[test]
    fn pages_follow_ids_and_destroyed_nodes_go() {
        let mut cloud = MemoryCloud::new(0);
        for i in 0..5 {
            cloud
                .create(&spec(&format!("n{i}")), SystemTime::now())
                .unwrap();
        }
        let first = cloud.nodes_page(None, 2);
        assert_eq!(first.items.len(), 2);
        let second = cloud.nodes_page(first.next_token.as_deref(), 10);
        assert_eq!((second.items.len(), second.next_token), (3, None));
        let id = first.items[0].id.clone();
        cloud.destroy(&id).unwrap();
        assert_eq!(cloud.get(&id).unwrap().state, NodeState::Terminated);
        cloud.destroy(&id).unwrap();
        assert_eq!(cloud.get(&id).unwrap_err().kind(), ErrorKind::NotFound);
    }

    #[test]
    fn bad_specs_keys_and_volumes_are_refused() {
        let mut cloud = MemoryCloud::default();
        let bad = CreateNode::new("x", "huge", "debian-13");
        assert_eq!(
            cloud.create(&bad, SystemTime::now()).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let keyed = spec("x").key_name("missing");
        assert_eq!(
            cloud.create(&keyed, SystemTime::now()).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let v = cloud.create_volume("data", 10, "here-1").unwrap();
        let n = cloud.create(&spec("db"), SystemTime::now()).unwrap();
        cloud.attach(&v.id, &n.id).unwrap();
        assert_eq!(
            cloud.destroy_volume(&v.id).unwrap_err().kind(),
            ErrorKind::PreconditionFailed
        );
        cloud.detach(&v.id).unwrap();
        let e = cloud.detach(&v.id).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PreconditionFailed);
        cloud.destroy_volume(&v.id).unwrap();
    }
}
