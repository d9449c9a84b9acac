//! The compute model shared by every driver and both modes (Libcloud's `NodeDriver`
//! types, in Rust names): nodes and their states, sizes, images, locations, key pairs,
//! volumes and snapshots, the options of a new node, and the pure decision of
//! [`wait`] (which nodes are still pending, how long to wait before asking again).
//!
//! Provider fields without a place in the model are kept in each item's `extra` map, as
//! the provider spelled them.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use crate::credentials::Secret;

pub mod digitalocean;
pub mod ec2;
pub mod memory_cloud;
pub mod wait;

/// A node's state, the same names on every provider (Libcloud's `NodeState`). Each driver
/// documents how its provider's states map here; a state it does not know is
/// [`Unknown`](Self::Unknown), never a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeState {
    /// Running (EC2 `running`, DigitalOcean `active`).
    Running,
    /// Being created or booted (EC2 `pending`, DigitalOcean `new`).
    Pending,
    /// Starting from stopped.
    Starting,
    /// Rebooting.
    Rebooting,
    /// Shutting down or stopping (EC2 `stopping`, `shutting-down`).
    Stopping,
    /// Stopped, can be started again (EC2 `stopped`, DigitalOcean `off`).
    Stopped,
    /// Suspended by the provider.
    Suspended,
    /// Paused.
    Paused,
    /// Being resized or reconfigured.
    Reconfiguring,
    /// Moving between hosts.
    Migrating,
    /// Gone, or on its way out for good (EC2 `terminated`, DigitalOcean `archive`).
    Terminated,
    /// Failed.
    Error,
    /// A state this library does not know.
    Unknown,
}

impl NodeState {
    /// The name, as `Display` writes it (`"running"`, `"stopped"`...).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Running => "running",
            NodeState::Pending => "pending",
            NodeState::Starting => "starting",
            NodeState::Rebooting => "rebooting",
            NodeState::Stopping => "stopping",
            NodeState::Stopped => "stopped",
            NodeState::Suspended => "suspended",
            NodeState::Paused => "paused",
            NodeState::Reconfiguring => "reconfiguring",
            NodeState::Migrating => "migrating",
            NodeState::Terminated => "terminated",
            NodeState::Error => "error",
            NodeState::Unknown => "unknown",
        }
    }

    /// Whether the node can never run again (waiting for it to run is pointless).
    ///
    /// ```
    /// use multicloud::compute::NodeState;
    /// assert!(NodeState::Terminated.is_final());
    /// assert!(!NodeState::Stopped.is_final());
    /// ```
    pub fn is_final(self) -> bool {
        matches!(self, NodeState::Terminated | NodeState::Error)
    }
}

impl fmt::Display for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A virtual machine (EC2 instance, DigitalOcean droplet).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Node {
    /// The provider's id (`i-0abc…`, `3164444`).
    pub id: String,
    /// Its name (EC2: the `Name` tag; empty when it has none).
    pub name: String,
    /// Its state.
    pub state: NodeState,
    /// Public addresses.
    pub public_ips: Vec<IpAddr>,
    /// Private addresses.
    pub private_ips: Vec<IpAddr>,
    /// The size (instance type, size slug), where known.
    pub size: Option<String>,
    /// The image it was created from, where known.
    pub image: Option<String>,
    /// Where it runs (availability zone, region slug), where known.
    pub location: Option<String>,
    /// When it was created (launched), where the provider says.
    pub created_at: Option<SystemTime>,
    /// Tags or labels: EC2 tags (`Name` included), DigitalOcean tags (values empty).
    pub tags: BTreeMap<String, String>,
    /// The provider's other fields, as it spelled them.
    pub extra: BTreeMap<String, String>,
}

impl Node {
    /// A node with an id, a name and a state, nothing else known.
    ///
    /// ```
    /// use multicloud::compute::{Node, NodeState};
    /// let n = Node::new("i-1", "web", NodeState::Pending);
    /// assert!(!n.has_address());
    /// ```
    pub fn new(id: impl Into<String>, name: impl Into<String>, state: NodeState) -> Self {
        Node {
            id: id.into(),
            name: name.into(),
            state,
            public_ips: Vec::new(),
            private_ips: Vec::new(),
            size: None,
            image: None,
            location: None,
            created_at: None,
            tags: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }

    /// Whether it has any address, public or private.
    pub fn has_address(&self) -> bool {
        !self.public_ips.is_empty() || !self.private_ips.is_empty()
    }

    /// Whether it runs and can be reached: running, with an address.
    pub fn is_ready(&self) -> bool {
        self.state == NodeState::Running && self.has_address()
    }
}

/// A size (EC2 instance type, DigitalOcean size slug) nodes can be created with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NodeSize {
    /// The id used to create nodes (`t3.micro`, `s-1vcpu-1gb`).
    pub id: String,
    /// A readable name (often the id).
    pub name: String,
    /// Memory, in MiB.
    pub ram_mib: u64,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Included disk, in GiB (0 when storage is separate, as on EC2).
    pub disk_gib: u64,
    /// Price per hour in US dollars, where the provider publishes it in its API.
    pub price_hourly: Option<f64>,
    /// The provider's other fields.
    pub extra: BTreeMap<String, String>,
}

/// An image (AMI, DigitalOcean image or snapshot) nodes can be created from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeImage {
    /// The id used to create nodes (`ami-…`, an id or slug).
    pub id: String,
    /// A readable name.
    pub name: String,
    /// The provider's other fields (owner, architecture, distribution...).
    pub extra: BTreeMap<String, String>,
}

/// Whose images a driver's `list_images` returns. Clouds hold hundreds of thousands of public images: a listing always names
/// whose it wants.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageOwner {
    /// The account's own images (EC2 `Owner=self`, DigitalOcean `private=true`).
    Mine,
    /// The provider's public OS images (EC2 `Owner=amazon`, DigitalOcean
    /// `type=distribution`).
    Provider,
    /// Marketplace images (EC2 `Owner=aws-marketplace`, DigitalOcean `type=application`).
    Marketplace,
    /// Images another account shares or publishes (EC2 account ids; `Unsupported` where
    /// the provider has no such filter).
    Account(String),
}

/// A place nodes run in (EC2 region or availability zone, DigitalOcean region).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeLocation {
    /// The id (`eu-west-1a`, `ams3`).
    pub id: String,
    /// A readable name.
    pub name: String,
    /// Whether nodes can be created there now, where the provider says.
    pub available: Option<bool>,
    /// The provider's other fields.
    pub extra: BTreeMap<String, String>,
}

/// A key pair (EC2) or SSH key (DigitalOcean) nodes can be created with.
/// `Debug` hides the private key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyPair {
    /// The provider's id (DigitalOcean's number; EC2's key pair id), where it has one.
    pub id: Option<String>,
    /// The name used to refer to it (EC2 key name, DigitalOcean key name).
    pub name: String,
    /// Its fingerprint, as the provider states it.
    pub fingerprint: Option<String>,
    /// The public key, where the provider returns it.
    pub public_key: Option<String>,
    /// The private key: only in the answer of a key pair the provider created, once.
    pub private_key: Option<Secret>,
    /// The provider's other fields.
    pub extra: BTreeMap<String, String>,
}

/// A volume's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VolumeState {
    /// Being created.
    Creating,
    /// Ready and not attached.
    Available,
    /// Attached to a node.
    InUse,
    /// Being attached or detached.
    Attaching,
    /// Being deleted.
    Deleting,
    /// Failed.
    Error,
    /// A state this library does not know.
    Unknown,
}

/// A block storage volume (EBS volume, DigitalOcean volume).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Volume {
    /// The provider's id.
    pub id: String,
    /// Its name (EC2: the `Name` tag).
    pub name: String,
    /// Its size in GiB.
    pub size_gib: u64,
    /// Its state.
    pub state: VolumeState,
    /// The nodes it is attached to (ids).
    pub attached_to: Vec<String>,
    /// Where it is (availability zone, region).
    pub location: Option<String>,
    /// The provider's other fields.
    pub extra: BTreeMap<String, String>,
}

/// A snapshot of a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VolumeSnapshot {
    /// The provider's id.
    pub id: String,
    /// The volume it was taken of, where known.
    pub volume_id: Option<String>,
    /// Its size in GiB, where known.
    pub size_gib: Option<u64>,
    /// When it was taken.
    pub created_at: Option<SystemTime>,
    /// Whether it is complete, where the provider says (`completed` / `pending`...).
    pub state: Option<String>,
    /// The provider's other fields.
    pub extra: BTreeMap<String, String>,
}

/// What a new node is made of. Provider-specific settings go in `extra` with the
/// provider's own names (EC2 `SubnetId`, DigitalOcean `vpc_uuid`...).
///
/// ```
/// use multicloud::compute::CreateNode;
/// let spec = CreateNode::new("web-1", "t3.micro", "ami-0abc")
///     .location("eu-west-1a")
///     .key_name("deploy")
///     .user_data("#!/bin/sh\necho hi\n")
///     .tag("team", "web");
/// assert_eq!(spec.tags["team"], "web");
/// // User data often carries secrets: `Debug` gives only its length.
/// assert!(!format!("{spec:?}").contains("echo hi"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateNode {
    /// Its name.
    pub name: String,
    /// The size id.
    pub size: String,
    /// The image id.
    pub image: String,
    /// Where to create it (the driver's default when `None`).
    pub location: Option<String>,
    /// The key pair or SSH key names to install.
    pub key_names: Vec<String>,
    /// User data (cloud-init) as text; drivers encode it as their API wants. `Debug`
    /// shows only its length.
    pub user_data: Option<String>,
    /// Security groups (EC2 ids or names); empty for the default.
    pub security_groups: Vec<String>,
    /// Tags (EC2 tags; DigitalOcean tags take the keys).
    pub tags: BTreeMap<String, String>,
    /// Provider-specific settings, by the provider's names.
    pub extra: BTreeMap<String, String>,
}

/// Every field but the user data, of which only the length is shown.
impl fmt::Debug for CreateNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user_data = self
            .user_data
            .as_ref()
            .map(|d| format!("<{} bytes>", d.len()));
        f.debug_struct("CreateNode")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("image", &self.image)
            .field("location", &self.location)
            .field("key_names", &self.key_names)
            .field("user_data", &user_data)
            .field("security_groups", &self.security_groups)
            .field("tags", &self.tags)
            .field("extra", &self.extra)
            .finish()
    }
}

impl CreateNode {
    /// A node of this name, size and image; the rest default.
    pub fn new(name: impl Into<String>, size: impl Into<String>, image: impl Into<String>) -> Self {
        CreateNode {
            name: name.into(),
            size: size.into(),
            image: image.into(),
            ..CreateNode::default()
        }
    }

    /// Where to create it.
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Adds a key pair or SSH key to install.
    pub fn key_name(mut self, name: impl Into<String>) -> Self {
        self.key_names.push(name.into());
        self
    }

    /// User data (cloud-init).
    pub fn user_data(mut self, data: impl Into<String>) -> Self {
        self.user_data = Some(data.into());
        self
    }

    /// Adds a security group.
    pub fn security_group(mut self, group: impl Into<String>) -> Self {
        self.security_groups.push(group.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Adds a provider-specific setting.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}
