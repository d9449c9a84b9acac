use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::super::http::{HttpClient, TransportConfig};
use super::DnsDriver;
use super::rt::maybe_async;
use crate::dns::cloudflare::responses;
use crate::dns::cloudflare::{
    CfRequests, CloudflareConfig, MAX_RECORDS_PER_PAGE, MAX_ZONES_PER_PAGE, PROVIDER, PageAsk,
};
use crate::dns::{NewRecord, NewZone, Record, Zone, names};
use crate::error::{Error, Result};
use crate::http::{Request, Response};
use crate::storage::Page;

/// Cloudflare DNS: zones and their records (API v4, bearer token).
///
/// Each method builds its request in the pure core
/// ([`CfRequests`](crate::dns::cloudflare::CfRequests)), sends it through the mode's
/// pooled [`HttpClient`] (retries, timeouts; a 429 waits as long as its `Retry-After`
/// asks) and parses the answer in the core. Record names go to Cloudflare absolute and
/// come back relative; the driver remembers each zone's domain once it has read it.
/// What differs from other providers: zones have no default TTL and need an account
/// ([`CloudflareConfig::account_id`] or the zone's `account_id` extra); SOA and apex NS
/// are never listed; SPF records are `Unsupported`; pages hold at least 5 items.
///
#[doc = per_mode!(
    blocking: r#"
```no_run
use multicloud::blocking::dns::{Cloudflare, DnsDriver};
use multicloud::dns::{NewRecord, RecordData};
# fn run() -> multicloud::Result<()> {
let dns = Cloudflare::from_env()?; // CLOUDFLARE_API_TOKEN
let zone = dns.find_zone("example.com")?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
dns.create_record(&zone.id, &www)?;
# Ok(())
# }
```
"#,
    async: r#"
```no_run
use multicloud::asynchronous::dns::{Cloudflare, DnsDriver};
use multicloud::dns::{NewRecord, RecordData};
# async fn run() -> multicloud::Result<()> {
let dns = Cloudflare::from_env()?; // CLOUDFLARE_API_TOKEN
let zone = dns.find_zone("example.com").await?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
dns.create_record(&zone.id, &www).await?;
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct Cloudflare {
    http: HttpClient,
    requests: Arc<CfRequests>,
    /// Zone id → domain: a zone's domain never changes, and records need it for names.
    domains: Arc<Mutex<HashMap<String, String>>>,
}

impl Cloudflare {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: CloudflareConfig) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: CloudflareConfig, transport: TransportConfig) -> Result<Self> {
        Ok(Cloudflare {
            http: HttpClient::new(transport)?.for_provider(PROVIDER),
            requests: Arc::new(CfRequests::new(config)),
            domains: Arc::default(),
        })
    }

    /// A driver whose token comes from `CLOUDFLARE_API_TOKEN` (`InvalidInput` naming the
    /// variable when it is not set) and account from `CLOUDFLARE_ACCOUNT_ID`, if set.
    pub fn from_env() -> Result<Self> {
        Self::new(CloudflareConfig::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &CloudflareConfig {
        self.requests.config()
    }

    #[maybe_async]
    async fn send(&self, req: Request) -> Result<Response> {
        self.http.send(&req).await
    }

    fn remember(&self, zone: &Zone) {
        let mut d = self.domains.lock().unwrap_or_else(PoisonError::into_inner);
        d.insert(zone.id.clone(), zone.domain.clone());
    }

    fn forget(&self, id: &str) {
        let mut d = self.domains.lock().unwrap_or_else(PoisonError::into_inner);
        d.remove(id);
    }

    /// The domain of zone `id`, read once.
    #[maybe_async]
    async fn domain_of(&self, id: &str) -> Result<String> {
        let known = {
            let d = self.domains.lock().unwrap_or_else(PoisonError::into_inner);
            d.get(id).cloned()
        };
        match known {
            Some(domain) => Ok(domain),
            None => Ok(self.get_zone(id).await?.domain),
        }
    }
}

#[maybe_async(AFIT)]
impl DnsDriver for Cloudflare {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }

    async fn list_zones_page(&self, token: Option<&str>, max: usize) -> Result<Page<Zone>> {
        let ask = PageAsk::new(token, max, MAX_ZONES_PER_PAGE)?;
        let resp = self.send(self.requests.list_zones(&ask)).await?;
        let page = responses::zones_page(&resp, &ask)?;
        page.items.iter().for_each(|z| self.remember(z));
        Ok(page)
    }

    /// Looks the zone up by name (`GET /zones?name=`) instead of listing every zone.
    async fn find_zone(&self, domain: &str) -> Result<Zone> {
        let req = self.requests.find_zone(domain)?;
        let want = names::domain(domain)?;
        let ask = PageAsk::new(None, MAX_ZONES_PER_PAGE, MAX_ZONES_PER_PAGE)?;
        let resp = self.send(req).await?;
        let zone = responses::found_zone(&resp, &ask, &want)?;
        self.remember(&zone);
        Ok(zone)
    }

    async fn get_zone(&self, id: &str) -> Result<Zone> {
        let resp = self.send(self.requests.get_zone(id)?).await?;
        let zone = responses::zone(&resp, Some(id), &format!("getting zone {id}"))?;
        self.remember(&zone);
        Ok(zone)
    }

    async fn create_zone(&self, zone: &NewZone) -> Result<Zone> {
        let req = self.requests.create_zone(zone)?;
        let domain = names::domain(&zone.domain)?;
        let resp = self.send(req).await?;
        let context = format!("creating zone {domain}");
        let made = responses::created_zone(&resp, &domain, &context)?;
        self.remember(&made);
        Ok(made)
    }

    async fn delete_zone(&self, id: &str) -> Result<()> {
        let resp = self.send(self.requests.delete_zone(id)?).await?;
        responses::deleted(&resp, id, &format!("deleting zone {id}"))?;
        self.forget(id);
        Ok(())
    }

    async fn list_records_page(
        &self,
        zone_id: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Record>> {
        let ask = PageAsk::new(token, max, MAX_RECORDS_PER_PAGE)?;
        let req = self.requests.list_records(zone_id, &ask)?;
        let domain = self.domain_of(zone_id).await?;
        let resp = self.send(req).await?;
        responses::records_page(&resp, &ask, zone_id, &domain)
    }

    async fn get_record(&self, zone_id: &str, id: &str) -> Result<Record> {
        let req = self.requests.get_record(zone_id, id)?;
        let domain = self.domain_of(zone_id).await?;
        let resp = self.send(req).await?;
        let context = format!("getting record {id}");
        responses::record(&resp, zone_id, &domain, Some(id), &context)
    }

    async fn create_record(&self, zone_id: &str, record: &NewRecord) -> Result<Record> {
        let domain = self.domain_of(zone_id).await?;
        let req = self.requests.create_record(zone_id, &domain, record)?;
        let resp = self.send(req).await?;
        let context = format!("creating a {} record", record.data.record_type());
        responses::record(&resp, zone_id, &domain, None, &context)
    }

    async fn update_record(&self, zone_id: &str, id: &str, record: &NewRecord) -> Result<Record> {
        let current = self.get_record(zone_id, id).await?;
        let (was, now) = (current.record_type(), record.data.record_type());
        if was != now {
            return Err(Error::invalid(format!(
                "record {id} is {was}; its type cannot become {now}"
            ))
            .with_provider(PROVIDER));
        }
        let domain = self.domain_of(zone_id).await?;
        let req = self.requests.update_record(zone_id, id, &domain, record)?;
        let resp = self.send(req).await?;
        let context = format!("updating record {id}");
        responses::record(&resp, zone_id, &domain, Some(id), &context)
    }

    async fn delete_record(&self, zone_id: &str, id: &str) -> Result<()> {
        let resp = self.send(self.requests.delete_record(zone_id, id)?).await?;
        responses::deleted(&resp, id, &format!("deleting record {id}"))
    }
}
