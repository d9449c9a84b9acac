//! DigitalOcean, pure parts: configuration ([`config`]), the v2 API requests with their
//! bearer token ([`requests`]), and the parsing of the JSON answers into the compute model
//! ([`responses`]). No I/O: the driver's shell sends what [`requests`] builds and hands
//! the answers to [`responses`].
//!
//! Droplet statuses map to [`NodeState`](super::NodeState):
//!
//! | DigitalOcean | `NodeState` |
//! |---|---|
//! | `new` | `Pending` |
//! | `active` | `Running` |
//! | `off` | `Stopped` |
//! | `archive` | `Terminated` |
//! | anything else | `Unknown` |
//!
//! Ids: droplets, SSH keys, images and actions have numbers, volumes and their snapshots
//! UUIDs; an id of the wrong shape never reaches a URL (it names nothing, so lookups say
//! `NotFound`). Sizes and regions are named by slug. Tags are DigitalOcean's flat strings:
//! a tag `key:value` is the model's `key` → `value`, a bare tag `key` → `""`.

pub mod config;
pub mod requests;
pub mod responses;

pub use config::{DoConfig, DoConfigBuilder};
pub use requests::{Collection, DoRequests, DropletAction, PageAsk};

/// The provider name errors carry.
pub const PROVIDER: &str = "digitalocean";

/// The API's address.
pub const DEFAULT_ENDPOINT: &str = "https://api.digitalocean.com";

/// The variable [`DoConfigBuilder::from_env`] reads the token from.
pub const TOKEN_VAR: &str = "DIGITALOCEAN_TOKEN";

/// The largest page the API serves (`per_page`).
pub const MAX_PER_PAGE: usize = 200;
