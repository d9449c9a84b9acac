//! The DNS model shared by every driver and both modes (Libcloud's `DNSDriver` types, in
//! Rust names): zones, records with typed data where the type has structure, the options
//! of new zones and records, and the zone file format ([`zonefile`]).
//!
//! Names: a zone's `domain` is lowercase without the final dot (`example.com`); a record's
//! `name` is relative to its zone (`""` for the apex, `www`, `_sip._tcp`); names inside
//! record data (CNAME, MX, NS, SRV targets...) are absolute, without the final dot. Provider
//! fields without a place in the model are kept in `extra`, as the provider spelled them.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub mod cloudflare;
pub mod digitalocean;
pub mod memory_zones;
pub mod names;
pub mod presentation;
pub mod route53;
pub mod sync_plan;
pub mod zonefile;

/// A DNS zone (a Route53 hosted zone, a DigitalOcean domain, a Cloudflare zone).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Zone {
    /// The provider's id (Route53 `Z…`, the domain name on DigitalOcean, Cloudflare's id).
    pub id: String,
    /// The domain, lowercase, without the final dot.
    pub domain: String,
    /// The default TTL of its records, where the provider has one.
    pub ttl: Option<u32>,
    /// The provider's other fields.
    pub extra: BTreeMap<String, String>,
}

impl Zone {
    /// A zone with no extras.
    pub fn new(id: impl Into<String>, domain: impl Into<String>) -> Self {
        Zone {
            id: id.into(),
            domain: domain.into(),
            ttl: None,
            extra: BTreeMap::new(),
        }
    }
}

/// What a new zone is: its domain, a default TTL, provider extras (Route53
/// `private_vpc`/`comment`, Cloudflare `account_id`...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewZone {
    /// The domain (`example.com`; a final dot and upper case are accepted).
    pub domain: String,
    /// The default TTL, where the provider has one.
    pub ttl: Option<u32>,
    /// Provider settings by name.
    pub extra: BTreeMap<String, String>,
}

impl NewZone {
    /// A zone for `domain`.
    pub fn new(domain: impl Into<String>) -> Self {
        NewZone {
            domain: domain.into(),
            ttl: None,
            extra: BTreeMap::new(),
        }
    }

    /// The default TTL.
    pub fn ttl(mut self, ttl: u32) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// A provider setting.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}

/// A record's type (Libcloud's `RecordType`): the common ones by name, any other as
/// [`Other`](Self::Other) with its mnemonic in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Certification authority authorisation.
    Caa,
    /// Canonical name.
    Cname,
    /// Mail exchange.
    Mx,
    /// Name server.
    Ns,
    /// Pointer (reverse DNS).
    Ptr,
    /// Start of authority.
    Soa,
    /// Sender policy framework (obsolete type; SPF lives in TXT today).
    Spf,
    /// Service locator.
    Srv,
    /// Text.
    Txt,
    /// Any other type, by its upper-case mnemonic (`DS`, `HTTPS`, `NAPTR`...).
    Other(String),
}

impl RecordType {
    /// The type's mnemonic (`A`, `AAAA`, `MX`...).
    pub fn as_str(&self) -> &str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Caa => "CAA",
            RecordType::Cname => "CNAME",
            RecordType::Mx => "MX",
            RecordType::Ns => "NS",
            RecordType::Ptr => "PTR",
            RecordType::Soa => "SOA",
            RecordType::Spf => "SPF",
            RecordType::Srv => "SRV",
            RecordType::Txt => "TXT",
            RecordType::Other(s) => s,
        }
    }

    /// The type a mnemonic names (any case); unknown mnemonics are [`Other`](Self::Other).
    pub fn parse(mnemonic: &str) -> Self {
        let up = mnemonic.to_ascii_uppercase();
        match up.as_str() {
            "A" => RecordType::A,
            "AAAA" => RecordType::Aaaa,
            "CAA" => RecordType::Caa,
            "CNAME" => RecordType::Cname,
            "MX" => RecordType::Mx,
            "NS" => RecordType::Ns,
            "PTR" => RecordType::Ptr,
            "SOA" => RecordType::Soa,
            "SPF" => RecordType::Spf,
            "SRV" => RecordType::Srv,
            "TXT" => RecordType::Txt,
            _ => RecordType::Other(up),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record's data, typed where the type has structure. Names are absolute, without the
/// final dot; TXT holds the text as one string (the character-strings joined).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// The canonical name.
    Cname(String),
    /// A name server.
    Ns(String),
    /// The name a reverse record points at.
    Ptr(String),
    /// A mail exchange.
    Mx {
        /// Lower is preferred.
        priority: u16,
        /// The mail server.
        exchange: String,
    },
    /// A service locator.
    Srv {
        /// Lower is preferred.
        priority: u16,
        /// Share among equal priorities.
        weight: u16,
        /// The port.
        port: u16,
        /// The host.
        target: String,
    },
    /// Text.
    Txt(String),
    /// SPF text.
    Spf(String),
    /// A CAA property.
    Caa {
        /// Flags (128: critical).
        flags: u8,
        /// `issue`, `issuewild`, `iodef`...
        tag: String,
        /// The value, without quotes.
        value: String,
    },
    /// Start of authority.
    Soa {
        /// The primary name server.
        mname: String,
        /// The administrator's mailbox as a name.
        rname: String,
        /// The zone's serial.
        serial: u32,
        /// Seconds between refreshes.
        refresh: u32,
        /// Seconds between retries.
        retry: u32,
        /// Seconds before a secondary expires the zone.
        expire: u32,
        /// The negative-caching TTL.
        minimum: u32,
    },
    /// Another type: its presentation-format text as the provider gives it.
    Other {
        /// The type.
        rtype: RecordType,
        /// The data in presentation format.
        value: String,
    },
}

impl RecordData {
    /// The record type this data belongs to.
    pub fn record_type(&self) -> RecordType {
        match self {
            RecordData::A(_) => RecordType::A,
            RecordData::Aaaa(_) => RecordType::Aaaa,
            RecordData::Cname(_) => RecordType::Cname,
            RecordData::Ns(_) => RecordType::Ns,
            RecordData::Ptr(_) => RecordType::Ptr,
            RecordData::Mx { .. } => RecordType::Mx,
            RecordData::Srv { .. } => RecordType::Srv,
            RecordData::Txt(_) => RecordType::Txt,
            RecordData::Spf(_) => RecordType::Spf,
            RecordData::Caa { .. } => RecordType::Caa,
            RecordData::Soa { .. } => RecordType::Soa,
            RecordData::Other { rtype, .. } => rtype.clone(),
        }
    }
}

/// A record: one value of one type at one name (a Route53 record set of three values is
/// three records).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// The provider's id (or one the driver makes, where the provider has none).
    pub id: String,
    /// The zone's id.
    pub zone_id: String,
    /// The name relative to the zone (`""` for the apex).
    pub name: String,
    /// The TTL in seconds, where stated.
    pub ttl: Option<u32>,
    /// The data.
    pub data: RecordData,
    /// The id of the provider's change that made it, where changes are applied
    /// asynchronously (Route53): see the drivers' `wait_until_synced`.
    pub change: Option<String>,
    /// The provider's other fields.
    pub extra: BTreeMap<String, String>,
}

impl Record {
    /// A record with no TTL, change or extras.
    pub fn new(
        id: impl Into<String>,
        zone_id: impl Into<String>,
        name: impl Into<String>,
        data: RecordData,
    ) -> Self {
        Record {
            id: id.into(),
            zone_id: zone_id.into(),
            name: name.into(),
            ttl: None,
            data,
            change: None,
            extra: BTreeMap::new(),
        }
    }

    /// Its type.
    pub fn record_type(&self) -> RecordType {
        self.data.record_type()
    }

    /// What it would be created as: name, TTL and data.
    pub fn to_new(&self) -> NewRecord {
        NewRecord {
            name: self.name.clone(),
            ttl: self.ttl,
            data: self.data.clone(),
            extra: BTreeMap::new(),
        }
    }
}

/// What a new (or updated) record is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewRecord {
    /// The name relative to the zone (`""` or `@` for the apex).
    pub name: String,
    /// The TTL; the zone's (or provider's) default when `None`.
    pub ttl: Option<u32>,
    /// The data.
    pub data: RecordData,
    /// Provider settings by name (Cloudflare `proxied`...).
    pub extra: BTreeMap<String, String>,
}

impl NewRecord {
    /// A record of `data` at `name`.
    pub fn new(name: impl Into<String>, data: RecordData) -> Self {
        NewRecord {
            name: name.into(),
            ttl: None,
            data,
            extra: BTreeMap::new(),
        }
    }

    /// The TTL.
    pub fn ttl(mut self, ttl: u32) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// A provider setting.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}
