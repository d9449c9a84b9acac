//! Amazon EC2, pure parts: configuration ([`config`]), the Query API requests, signed
//! with SigV4 ([`requests`]), and the parsing of their XML answers into the compute model
//! ([`responses`]). No I/O: the driver's shell sends what [`requests`] builds and hands
//! the answers to [`responses`].
//!
//! Instance states map to [`NodeState`](super::NodeState) as Libcloud maps them:
//!
//! | EC2 | `NodeState` |
//! |---|---|
//! | `pending` | `Pending` |
//! | `running` | `Running` |
//! | `shutting-down` | `Stopping` |
//! | `stopping` | `Stopping` |
//! | `stopped` | `Stopped` |
//! | `terminated` | `Terminated` |
//! | anything else | `Unknown` |

pub mod config;
pub mod requests;
pub mod responses;

pub use config::{Ec2Config, Ec2ConfigBuilder};
pub use requests::{Call, Ec2Requests, Filter};

/// The EC2 API version every request names.
pub const API_VERSION: &str = "2016-11-15";

/// The provider name errors carry.
pub const PROVIDER: &str = "ec2";
