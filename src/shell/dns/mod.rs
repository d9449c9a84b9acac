//! DNS: the [`DnsDriver`] trait and the built-in drivers (in memory so far; Route53,
//! DigitalOcean and Cloudflare are being built on the same trait).
//!
//! This file and its children are compiled twice, once per mode (see the crate docs).

mod any;
mod cloudflare;
mod digitalocean;
mod driver;
mod memory;
mod route53;
mod zones;

use super::rt;

pub use super::rt::Listing;
pub use crate::dns::{NewRecord, NewZone, Record, RecordData, RecordType, Zone};
pub use any::AnyDns;
pub use cloudflare::Cloudflare;
pub use digitalocean::DigitalOceanDns;
pub use driver::DnsDriver;
pub use memory::MemoryDns;
pub use route53::Route53;
pub use zones::{copy_zone, export_zone, import_zone};
