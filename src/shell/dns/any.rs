use super::rt::maybe_async;
use super::{Cloudflare, DigitalOceanDns, DnsDriver, MemoryDns, Route53};
use crate::dns::cloudflare::CloudflareConfig;
use crate::dns::digitalocean::DoConfig;
use crate::dns::route53::Route53Config;
use crate::dns::{NewRecord, NewZone, Record, Zone};
use crate::error::Result;
use crate::registry::{DnsLocation, DnsProvider};
use crate::storage::Page;

/// Any DNS driver, chosen at run time (Libcloud's `get_driver`): an enum over the drivers
/// that implements [`DnsDriver`] by delegation, identically in both modes.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::dns::{AnyDns, DnsDriver};
let dns = AnyDns::from_url("memory://")?;
assert_eq!(dns.provider_name(), "memory");
assert!(dns.list_zones()?.is_empty());
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::dns::{AnyDns, DnsDriver};
let dns = AnyDns::from_url("memory://")?;
assert_eq!(dns.provider_name(), "memory");
assert!(dns.list_zones().await?.is_empty());
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyDns {
    /// DNS in memory ([`MemoryDns`]).
    Memory(MemoryDns),
    /// Amazon Route53 ([`Route53`]).
    Route53(Route53),
    /// DigitalOcean domains ([`DigitalOceanDns`]).
    DigitalOcean(DigitalOceanDns),
    /// Cloudflare ([`Cloudflare`]).
    Cloudflare(Cloudflare),
}

impl AnyDns {
    /// Builds the driver a DNS URL names (see [`DnsLocation`] for the URLs and their
    /// options); what the URL does not set comes from the environment.
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_location(&DnsLocation::parse(url)?)
    }

    /// [`from_url`](Self::from_url) with options given by the program, the query's keys.
    pub fn from_url_with<K, V>(url: &str, options: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::from_location(&DnsLocation::parse_with(url, options)?)
    }

    /// A driver of `provider` configured from the environment alone.
    pub fn new(provider: DnsProvider) -> Result<Self> {
        Self::from_location(&DnsLocation::parse(&format!("{provider}://"))?)
    }

    /// The driver a parsed location names.
    pub fn from_location(l: &DnsLocation) -> Result<Self> {
        match l.provider {
            DnsProvider::Memory => Ok(AnyDns::Memory(MemoryDns::new())),
            DnsProvider::Route53 => Ok(AnyDns::Route53(Route53::new(route53_config(l)?)?)),
            DnsProvider::DigitalOcean => {
                Ok(AnyDns::DigitalOcean(DigitalOceanDns::new(do_config(l)?)?))
            }
            DnsProvider::Cloudflare => {
                Ok(AnyDns::Cloudflare(Cloudflare::new(cloudflare_config(l)?)?))
            }
        }
    }

    /// The provider this driver talks to.
    pub fn provider(&self) -> DnsProvider {
        match self {
            AnyDns::Memory(_) => DnsProvider::Memory,
            AnyDns::Route53(_) => DnsProvider::Route53,
            AnyDns::DigitalOcean(_) => DnsProvider::DigitalOcean,
            AnyDns::Cloudflare(_) => DnsProvider::Cloudflare,
        }
    }
}

impl From<MemoryDns> for AnyDns {
    fn from(d: MemoryDns) -> Self {
        AnyDns::Memory(d)
    }
}

impl From<Route53> for AnyDns {
    fn from(d: Route53) -> Self {
        AnyDns::Route53(d)
    }
}

impl From<DigitalOceanDns> for AnyDns {
    fn from(d: DigitalOceanDns) -> Self {
        AnyDns::DigitalOcean(d)
    }
}

impl From<Cloudflare> for AnyDns {
    fn from(d: Cloudflare) -> Self {
        AnyDns::Cloudflare(d)
    }
}

/// The Route53 configuration a location asks for, the rest from the environment.
fn route53_config(l: &DnsLocation) -> Result<Route53Config> {
    let mut b = Route53Config::builder();
    if let Some(endpoint) = &l.endpoint {
        b = b.endpoint(endpoint);
    }
    if let Some(profile) = &l.profile {
        b = b.profile(profile);
    }
    b.from_env()?.build()
}

/// The DigitalOcean configuration a location asks for, the token from the environment.
fn do_config(l: &DnsLocation) -> Result<DoConfig> {
    let mut b = DoConfig::builder();
    if let Some(endpoint) = &l.endpoint {
        b = b.endpoint(endpoint);
    }
    b.from_env()?.build()
}

/// The Cloudflare configuration a location asks for, the token from the environment.
fn cloudflare_config(l: &DnsLocation) -> Result<CloudflareConfig> {
    let mut b = CloudflareConfig::builder();
    if let Some(endpoint) = &l.endpoint {
        b = b.endpoint(endpoint);
    }
    if let Some(account) = &l.account {
        b = b.account_id(account);
    }
    b.from_env()?.build()
}

// Delegation is spelled out per method: `maybe_async` cannot strip an `.await` inside a
// macro's arguments, so a delegating macro would break the blocking build.
#[maybe_async(AFIT)]
impl DnsDriver for AnyDns {
    fn provider_name(&self) -> &'static str {
        match self {
            AnyDns::Memory(d) => d.provider_name(),
            AnyDns::Route53(d) => d.provider_name(),
            AnyDns::DigitalOcean(d) => d.provider_name(),
            AnyDns::Cloudflare(d) => d.provider_name(),
        }
    }

    async fn list_zones_page(&self, token: Option<&str>, max: usize) -> Result<Page<Zone>> {
        match self {
            AnyDns::Memory(d) => d.list_zones_page(token, max).await,
            AnyDns::Route53(d) => d.list_zones_page(token, max).await,
            AnyDns::DigitalOcean(d) => d.list_zones_page(token, max).await,
            AnyDns::Cloudflare(d) => d.list_zones_page(token, max).await,
        }
    }

    async fn get_zone(&self, id: &str) -> Result<Zone> {
        match self {
            AnyDns::Memory(d) => d.get_zone(id).await,
            AnyDns::Route53(d) => d.get_zone(id).await,
            AnyDns::DigitalOcean(d) => d.get_zone(id).await,
            AnyDns::Cloudflare(d) => d.get_zone(id).await,
        }
    }

    async fn create_zone(&self, zone: &NewZone) -> Result<Zone> {
        match self {
            AnyDns::Memory(d) => d.create_zone(zone).await,
            AnyDns::Route53(d) => d.create_zone(zone).await,
            AnyDns::DigitalOcean(d) => d.create_zone(zone).await,
            AnyDns::Cloudflare(d) => d.create_zone(zone).await,
        }
    }

    async fn delete_zone(&self, id: &str) -> Result<()> {
        match self {
            AnyDns::Memory(d) => d.delete_zone(id).await,
            AnyDns::Route53(d) => d.delete_zone(id).await,
            AnyDns::DigitalOcean(d) => d.delete_zone(id).await,
            AnyDns::Cloudflare(d) => d.delete_zone(id).await,
        }
    }

    async fn list_records_page(
        &self,
        zone_id: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Record>> {
        match self {
            AnyDns::Memory(d) => d.list_records_page(zone_id, token, max).await,
            AnyDns::Route53(d) => d.list_records_page(zone_id, token, max).await,
            AnyDns::DigitalOcean(d) => d.list_records_page(zone_id, token, max).await,
            AnyDns::Cloudflare(d) => d.list_records_page(zone_id, token, max).await,
        }
    }

    async fn get_record(&self, zone_id: &str, id: &str) -> Result<Record> {
        match self {
            AnyDns::Memory(d) => d.get_record(zone_id, id).await,
            AnyDns::Route53(d) => d.get_record(zone_id, id).await,
            AnyDns::DigitalOcean(d) => d.get_record(zone_id, id).await,
            AnyDns::Cloudflare(d) => d.get_record(zone_id, id).await,
        }
    }

    async fn create_record(&self, zone_id: &str, record: &NewRecord) -> Result<Record> {
        match self {
            AnyDns::Memory(d) => d.create_record(zone_id, record).await,
            AnyDns::Route53(d) => d.create_record(zone_id, record).await,
            AnyDns::DigitalOcean(d) => d.create_record(zone_id, record).await,
            AnyDns::Cloudflare(d) => d.create_record(zone_id, record).await,
        }
    }

    async fn update_record(&self, zone_id: &str, id: &str, record: &NewRecord) -> Result<Record> {
        match self {
            AnyDns::Memory(d) => d.update_record(zone_id, id, record).await,
            AnyDns::Route53(d) => d.update_record(zone_id, id, record).await,
            AnyDns::DigitalOcean(d) => d.update_record(zone_id, id, record).await,
            AnyDns::Cloudflare(d) => d.update_record(zone_id, id, record).await,
        }
    }

    async fn delete_record(&self, zone_id: &str, id: &str) -> Result<()> {
        match self {
            AnyDns::Memory(d) => d.delete_record(zone_id, id).await,
            AnyDns::Route53(d) => d.delete_record(zone_id, id).await,
            AnyDns::DigitalOcean(d) => d.delete_record(zone_id, id).await,
            AnyDns::Cloudflare(d) => d.delete_record(zone_id, id).await,
        }
    }

    async fn change_synced(&self, change: &str) -> Result<bool> {
        match self {
            AnyDns::Memory(d) => d.change_synced(change).await,
            AnyDns::Route53(d) => d.change_synced(change).await,
            AnyDns::DigitalOcean(d) => d.change_synced(change).await,
            AnyDns::Cloudflare(d) => d.change_synced(change).await,
        }
    }
}
