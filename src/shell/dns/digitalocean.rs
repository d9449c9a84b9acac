use std::sync::Arc;

use super::super::http::{HttpClient, TransportConfig};
use super::DnsDriver;
use super::rt::{self, maybe_async};
use crate::compute::digitalocean::responses::parse_error;
use crate::dns::digitalocean::requests::{self, DnsPage, DnsRequests};
use crate::dns::digitalocean::{DoConfig, PROVIDER, responses};
use crate::dns::{NewRecord, NewZone, Record, RecordType, Zone, names};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Request, Response};
use crate::storage::Page;

/// DigitalOcean DNS: domains and their records (API v2, bearer token; the same
/// [`DoConfig`] as the compute driver).
///
/// A zone's id is its domain; record ids are numbers. Each method builds its request in
/// the pure core ([`crate::dns::digitalocean`]), sends it through the mode's pooled
/// [`HttpClient`] (retries, timeouts; a 429 waits as long as the answer asks) and parses
/// the answer there. What differs from other providers: A, AAAA, CAA, CNAME, MX, NS,
/// SRV and TXT records only (PTR, SPF and others are `Unsupported`; the SOA is
/// DigitalOcean's own, read whole from the domain's zone file);
/// a domain's TTL is DigitalOcean's (1800 s). Creating a record first lists the records
/// of its name and type, so that the same value twice is `AlreadyExists`.
///
#[doc = per_mode!(
    blocking: r#"
```no_run
use multicloud::blocking::dns::{DigitalOceanDns, DnsDriver};
use multicloud::dns::{NewRecord, NewZone, RecordData};
# fn run() -> multicloud::Result<()> {
let dns = DigitalOceanDns::from_env()?; // DIGITALOCEAN_TOKEN
let zone = dns.create_zone(&NewZone::new("example.com"))?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
dns.create_record(&zone.id, &www)?;
# Ok(())
# }
```
"#,
    async: r#"
```no_run
use multicloud::asynchronous::dns::{DigitalOceanDns, DnsDriver};
use multicloud::dns::{NewRecord, NewZone, RecordData};
# async fn run() -> multicloud::Result<()> {
let dns = DigitalOceanDns::from_env()?; // DIGITALOCEAN_TOKEN
let zone = dns.create_zone(&NewZone::new("example.com")).await?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
dns.create_record(&zone.id, &www).await?;
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct DigitalOceanDns {
    http: HttpClient,
    requests: Arc<DnsRequests>,
}

impl DigitalOceanDns {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: DoConfig) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: DoConfig, transport: TransportConfig) -> Result<Self> {
        Ok(DigitalOceanDns {
            http: HttpClient::new(transport)?.for_provider(PROVIDER),
            requests: Arc::new(DnsRequests::new(config)),
        })
    }

    /// A driver whose token comes from `DIGITALOCEAN_TOKEN` (`InvalidInput` naming the
    /// variable when it is not set).
    pub fn from_env() -> Result<Self> {
        Self::new(DoConfig::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &DoConfig {
        self.requests.config()
    }

    #[maybe_async]
    async fn send(&self, req: Request) -> Result<Response> {
        self.http.send(&req).await
    }

    #[maybe_async]
    async fn records_page(&self, domain: &str, ask: &DnsPage) -> Result<Page<Record>> {
        let resp = self.send(self.requests.list(ask)).await?;
        let mut page = responses::records_page(&resp, ask, domain, &self.config().endpoint)?;
        self.complete_soa(domain, &mut page.items).await?;
        Ok(page)
    }

    /// DigitalOcean lists its SOA with a TTL as its only data: the whole SOA is read from
    /// the domain's zone file (one more request), where that file holds one.
    #[maybe_async]
    async fn complete_soa(&self, domain: &str, records: &mut [Record]) -> Result<()> {
        let Some(r) = records.iter_mut().find(|r| responses::bare_soa(r)) else {
            return Ok(());
        };
        let resp = self.send(self.requests.get_domain(domain)?).await?;
        let context = format!("reading the SOA of {domain}");
        if let Some(soa) = responses::soa(&resp, domain, &context)? {
            r.data = soa;
        }
        Ok(())
    }

    /// Every record of `domain` at `name` (relative) of type `rtype`.
    #[maybe_async]
    async fn records_at(&self, domain: &str, name: &str, rtype: RecordType) -> Result<Vec<Record>> {
        rt::collect_pages(move |token: Option<String>| {
            let rtype = rtype.clone();
            async move {
                let ask = DnsPage::records(domain, token.as_deref(), 200)?;
                self.records_page(domain, &ask.only(domain, name, rtype))
                    .await
            }
        })
        .await
    }
}

/// The record an answer holds must be the one asked for: its name and type.
fn check_made(r: Record, name: &str, spec: &NewRecord, context: &str) -> Result<Record> {
    let rtype = spec.data.record_type();
    match r.name == name && r.record_type() == rtype {
        true => Ok(r),
        false => Err(parse_error(
            context,
            format_args!(
                "asked for {rtype} at {name:?}, the answer is {} at {:?}",
                r.record_type(),
                r.name
            ),
        )),
    }
}

#[maybe_async(AFIT)]
impl DnsDriver for DigitalOceanDns {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }

    /// `per_page` is `max` clamped to 1..=200; the token is the next page's number.
    async fn list_zones_page(&self, token: Option<&str>, max: usize) -> Result<Page<Zone>> {
        let ask = DnsPage::zones(token, max)?;
        let resp = self.send(self.requests.list(&ask)).await?;
        responses::zones_page(&resp, &ask, &self.config().endpoint)
    }

    async fn get_zone(&self, id: &str) -> Result<Zone> {
        let req = self.requests.get_domain(id)?;
        let domain = requests::zone_id(id)?;
        let resp = self.send(req).await?;
        responses::domain(&resp, &domain, &format!("reading domain {domain}"))
    }

    /// A TTL is `Unsupported` (DigitalOcean's is 1800 s); the one extra is `ip_address`
    /// (an A record at the apex).
    async fn create_zone(&self, zone: &NewZone) -> Result<Zone> {
        let req = self.requests.create_domain(zone)?;
        let domain = names::domain(&zone.domain)?;
        let resp = self.send(req).await?;
        responses::domain(&resp, &domain, &format!("creating domain {domain}"))
    }

    async fn delete_zone(&self, id: &str) -> Result<()> {
        let resp = self.send(self.requests.delete_domain(id)?).await?;
        responses::no_content(&resp, &format!("deleting domain {id:.80}"))
    }

    /// `per_page` is `max` clamped to 1..=200; the token is the next page's number.
    async fn list_records_page(
        &self,
        zone_id: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Record>> {
        let ask = DnsPage::records(zone_id, token, max)?;
        self.records_page(&requests::zone_id(zone_id)?, &ask).await
    }

    async fn get_record(&self, zone_id: &str, id: &str) -> Result<Record> {
        let req = self.requests.get_record(zone_id, id)?;
        let (domain, number) = (requests::zone_id(zone_id)?, requests::record_id(id)?);
        let context = format!("reading record {number} of {domain}");
        let r = responses::record(&self.send(req).await?, &domain, Some(number), &context)?;
        let mut one = [r];
        self.complete_soa(&domain, &mut one).await?;
        let [r] = one;
        Ok(r)
    }

    /// The records of the same name and type are listed first: the same value is
    /// `AlreadyExists` (as is DigitalOcean's own 422 saying so).
    async fn create_record(&self, zone_id: &str, record: &NewRecord) -> Result<Record> {
        let req = self.requests.create_record(zone_id, record)?;
        let domain = requests::zone_id(zone_id)?;
        let name = names::relative(&record.name)?;
        let rtype = record.data.record_type();
        let present = self.records_at(&domain, &name, rtype.clone()).await?;
        if present
            .iter()
            .any(|r| r.name == name && r.data == record.data)
        {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{domain} already has this {rtype} record at {name:?}"),
            )
            .with_provider(PROVIDER));
        }
        let context = format!("creating a {rtype} record at {name:?} in {domain}");
        let made = responses::record(&self.send(req).await?, &domain, None, &context)?;
        check_made(made, &name, record, &context)
    }

    /// The record is read first: another type is `InvalidInput`. The id stays.
    async fn update_record(&self, zone_id: &str, id: &str, record: &NewRecord) -> Result<Record> {
        let req = self.requests.update_record(zone_id, id, record)?;
        let old = self.get_record(zone_id, id).await?;
        let rtype = record.data.record_type();
        if old.record_type() != rtype {
            return Err(Error::invalid(format!(
                "record {id} is {}, not {rtype}: DigitalOcean records keep their type",
                old.record_type()
            ))
            .with_provider(PROVIDER));
        }
        let number = requests::record_id(id)?;
        let context = format!("updating record {number} of {}", old.zone_id);
        let resp = self.send(req).await?;
        let r = responses::record(&resp, &old.zone_id, Some(number), &context)?;
        check_made(r, &names::relative(&record.name)?, record, &context)
    }

    async fn delete_record(&self, zone_id: &str, id: &str) -> Result<()> {
        let resp = self.send(self.requests.delete_record(zone_id, id)?).await?;
        responses::no_content(&resp, &format!("deleting record {id:.40} of {zone_id:.80}"))
    }
}
