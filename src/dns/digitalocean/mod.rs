//! DigitalOcean DNS (domains and domain records, API v2), pure parts: the requests
//! ([`requests`]) and the parsing of the answers into the DNS model ([`responses`]). The
//! configuration, the bearer requests, error bodies and page links are the compute
//! driver's ([`crate::compute::digitalocean`]): one [`DoConfig`] serves both.
//!
//! Zones are domains and a zone's id is its domain name. Record ids are numbers; an id
//! of another shape names nothing (`NotFound`) and never reaches a URL. DigitalOcean
//! keeps record names relative with `@` for the apex, and names in data (CNAME, MX, NS,
//! SRV targets) with a final dot or `@`; it answers them without the final dot. Types: A,
//! AAAA, CAA, CNAME, MX, NS, SRV, TXT, and the SOA it makes itself (read only, its data
//! is the TTL only, kept as [`RecordData::Other`](crate::dns::RecordData::Other)); PTR,
//! SPF and other types are `Unsupported`.

pub mod requests;
pub mod responses;

pub use crate::compute::digitalocean::{DoConfig, DoConfigBuilder, PROVIDER, TOKEN_VAR};
pub use requests::{DnsPage, DnsRequests};

#[cfg(test)]
mod tests;
