//! Amazon Route53, pure parts: configuration ([`config`]), the REST XML API requests
//! (version 2013-04-01), signed with SigV4 for `us-east-1` ([`requests`]), the record data
//! in Route53's presentation format and the record ids made from it ([`rdata`]), and the
//! parsing of the XML answers ([`responses`]). No I/O: the driver's shell sends what
//! [`requests`] builds and hands the answers to [`responses`].
//!
//! Route53 keeps record *sets* (one name, one type, one TTL, several values); the model
//! keeps one [`Record`](super::Record) per value. A record's id is made from its absolute
//! name, type and value ([`rdata::record_id`]), so it survives a round trip and names the
//! value inside its set; changing a value changes the id.

pub mod config;
pub mod plan;
pub mod rdata;
pub mod requests;
pub mod responses;

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod rdata_tests;
#[cfg(test)]
mod requests_tests;
#[cfg(test)]
mod responses_tests;

pub use config::{Route53Config, Route53ConfigBuilder};
pub use requests::{Call, Route53Requests};

/// The Route53 API version every path starts with.
pub const API_VERSION: &str = "2013-04-01";

/// The provider name errors carry.
pub const PROVIDER: &str = "route53";

/// The TTL a record gets when neither it nor its set states one (Route53 requires one).
pub const DEFAULT_TTL: u32 = 300;
