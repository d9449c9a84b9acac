use std::sync::Arc;
use std::time::SystemTime;

use super::super::aws::CredentialsProvider;
use super::super::http::{HttpClient, TransportConfig};
use super::DnsDriver;
use super::rt::{self, maybe_async};
use crate::dns::route53::plan::{self, Batch};
use crate::dns::route53::requests::{self as calls, RecordSet, Start};
use crate::dns::route53::{Call, PROVIDER, Route53Config, Route53Requests, rdata, responses};
use crate::dns::{NewRecord, NewZone, Record, RecordData, Zone, names};
use crate::error::{ErrorKind, Result};
use crate::http::Response;
use crate::storage::Page;

/// The most changes one batch of [`delete_zone`](DnsDriver::delete_zone) sends.
const CHANGES_PER_BATCH: usize = 100;

/// Amazon Route53: hosted zones and their record sets, one [`Record`] per value of a set.
///
/// Each method builds a [`Call`] in the pure core, signs it ([`Route53Requests`]), sends
/// it through the mode's pooled [`HttpClient`] (retries, timeouts; `Throttling` and
/// `PriorRequestNotComplete` are retried with backoff) and parses the answer in the core,
/// its root element checked. Changes are applied by Route53 later: a record's `change`
/// is the change id, [`change_synced`](DnsDriver::change_synced) asks `GetChange`.
///
/// Creating, updating or deleting one value rewrites its set (UPSERT with the value added,
/// replaced or removed; DELETE of the last value), so a record's TTL is its set's. Alias
/// and routing-policy sets are not listed as records (deleting a zone deletes them).
///
#[doc = per_mode!(
    blocking: r#"
```no_run
use multicloud::blocking::dns::{DnsDriver, Route53};
use multicloud::dns::{NewRecord, RecordData};
# fn run() -> multicloud::Result<()> {
let dns = Route53::from_env()?;
let zone = dns.find_zone("example.com")?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
let record = dns.create_record(&zone.id, &www)?;
if let Some(change) = &record.change {
    dns.wait_until_synced(change, std::time::Duration::from_secs(120), None)?;
}
# Ok(())
# }
```
"#,
    async: r#"
```no_run
use multicloud::asynchronous::dns::{DnsDriver, Route53};
use multicloud::dns::{NewRecord, RecordData};
# async fn run() -> multicloud::Result<()> {
let dns = Route53::from_env()?;
let zone = dns.find_zone("example.com").await?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
let record = dns.create_record(&zone.id, &www).await?;
if let Some(change) = &record.change {
    let minutes = std::time::Duration::from_secs(120);
    dns.wait_until_synced(change, minutes, None).await?;
}
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct Route53 {
    http: HttpClient,
    requests: Arc<Route53Requests>,
    /// Refreshes the credentials `requests` signs with (`None`: static ones).
    credentials: Option<CredentialsProvider>,
}

impl Route53 {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: Route53Config) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: Route53Config, transport: TransportConfig) -> Result<Self> {
        match config.credential_source.clone() {
            Some(source) => {
                let provider = CredentialsProvider::new(source)?;
                Self::with_credentials_provider(config, transport, provider)
            }
            None => Ok(Route53 {
                http: HttpClient::new(transport)?.for_provider(PROVIDER),
                requests: Arc::new(Route53Requests::new(config)),
                credentials: None,
            }),
        }
    }

    /// A driver signing with what `provider` gives (refreshed before it expires), whatever
    /// credentials the configuration holds.
    pub fn with_credentials_provider(
        config: Route53Config,
        transport: TransportConfig,
        provider: CredentialsProvider,
    ) -> Result<Self> {
        let requests = Route53Requests::with_credentials(config, provider.cache());
        Ok(Route53 {
            http: HttpClient::new(transport)?.for_provider(PROVIDER),
            requests: Arc::new(requests),
            credentials: Some(provider),
        })
    }

    /// A driver configured from the environment and the shared AWS files (as
    /// [`Route53ConfigBuilder::from_env`](crate::dns::route53::Route53ConfigBuilder::from_env)).
    pub fn from_env() -> Result<Self> {
        Self::new(Route53Config::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &Route53Config {
        self.requests.config()
    }

    /// Signs `call` with fresh credentials and sends it; the answer is unchecked.
    #[maybe_async]
    async fn send(&self, call: &Call) -> Result<Response> {
        if let Some(p) = &self.credentials {
            p.credentials().await?;
        }
        let req = self.requests.sign(call, SystemTime::now())?;
        self.http
            .send_classified(&req, responses::effective_status)
            .await
    }

    /// The zone's domain (a `GetHostedZone`; `NotFound` when it is gone).
    #[maybe_async]
    async fn domain_of(&self, zone_id: &str) -> Result<String> {
        Ok(self.get_zone(zone_id).await?.domain)
    }

    /// The simple set of `fqdn`'s type `data` names, if any.
    #[maybe_async]
    async fn set_of(
        &self,
        zone_id: &str,
        domain: &str,
        fqdn: &str,
        data: &RecordData,
    ) -> Result<Option<RecordSet>> {
        let rtype = data.record_type();
        let start = Start {
            name: fqdn.to_owned(),
            rtype: Some(rtype.as_str().to_owned()),
            identifier: None,
        };
        let call = calls::list_record_sets(zone_id, Some(&start), 10)?;
        let (sets, _) = responses::list_record_sets(&self.send(&call).await?, domain)?;
        Ok(plan::find_set(sets, fqdn, &rtype))
    }

    /// Sends a change batch; the change's id.
    #[maybe_async]
    async fn change(&self, zone_id: &str, batch: &Batch) -> Result<String> {
        let call = calls::change_record_sets(zone_id, batch)?;
        responses::change_info(&self.send(&call).await?, call.action)
    }

    /// Every record set of a zone, through the pager's guards (a listing that repeats
    /// where it goes on, or stalls, ends in an error).
    #[maybe_async]
    async fn all_sets(&self, zone_id: &str, domain: &str) -> Result<Vec<RecordSet>> {
        rt::collect_pages(|token: Option<String>| async move {
            let start = token.as_deref().map(plan::parse_token).transpose()?;
            let from = start.as_ref().map(|(s, _)| s);
            let call = calls::list_record_sets(zone_id, from, calls::MAX_RRSETS)?;
            let (sets, next) = responses::list_record_sets(&self.send(&call).await?, domain)?;
            Ok(Page {
                items: sets,
                next_token: next.map(|n| plan::token(&n, 0)),
            })
        })
        .await
    }

    /// The set holding record `id` of `zone_id`, with the record's name and data.
    #[maybe_async]
    async fn locate(
        &self,
        zone_id: &str,
        domain: &str,
        id: &str,
    ) -> Result<(RecordSet, String, RecordData)> {
        let (fqdn, data) = rdata::parse_record_id(id)?;
        let missing = || calls::not_found("record", id);
        names::relative_to(&fqdn, domain).ok_or_else(missing)?;
        let set = self.set_of(zone_id, domain, &fqdn, &data).await?;
        match set {
            Some(s) if plan::delete(&s, &data).is_ok() => Ok((s, fqdn, data)),
            _ => Err(missing()),
        }
    }
}

/// A fresh caller reference: a retried create is recognised by Route53 as the same one.
fn caller_reference() -> String {
    format!("mc-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Whether a set is the zone's own (apex SOA and NS), which Route53 keeps.
fn is_own(set: &RecordSet, domain: &str) -> bool {
    set.name == domain && (set.rtype == "SOA" || set.rtype == "NS")
}

#[maybe_async(AFIT)]
impl DnsDriver for Route53 {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }

    async fn list_zones_page(&self, token: Option<&str>, max: usize) -> Result<Page<Zone>> {
        let call = calls::list_hosted_zones(token, max)?;
        responses::list_hosted_zones(&self.send(&call).await?)
    }

    async fn get_zone(&self, id: &str) -> Result<Zone> {
        let call = calls::get_hosted_zone(id)?;
        responses::get_hosted_zone(&self.send(&call).await?, id)
    }

    /// `AlreadyExists` when the account has a zone of the domain (Route53 itself would
    /// make a second one: the account is looked at first, `ListHostedZonesByName`).
    async fn create_zone(&self, zone: &NewZone) -> Result<Zone> {
        let domain = names::domain(&zone.domain)?;
        let look = calls::list_hosted_zones_by_name(&domain, 1);
        let first = responses::list_hosted_zones_by_name(&self.send(&look).await?)?;
        if first.iter().any(|z| z.domain == domain) {
            return Err(crate::Error::new(
                ErrorKind::AlreadyExists,
                format!("this account has a Route53 zone for {domain:?}"),
            )
            .with_provider(PROVIDER));
        }
        let call = calls::create_hosted_zone(zone, &caller_reference())?;
        responses::create_hosted_zone(&self.send(&call).await?, &domain)
    }

    /// Deletes every record set but the apex SOA and NS first (Route53 refuses to delete
    /// a zone that holds any), in batches, then the zone.
    async fn delete_zone(&self, id: &str) -> Result<()> {
        let domain = self.domain_of(id).await?;
        let sets = self.all_sets(id, &domain).await?;
        let doomed: Vec<_> = sets
            .into_iter()
            .filter(|s| !is_own(s, &domain))
            .map(|s| (calls::Action::Delete, s))
            .collect();
        for batch in doomed.chunks(CHANGES_PER_BATCH) {
            self.change(id, &batch.to_vec()).await?;
        }
        let call = calls::delete_hosted_zone(id)?;
        responses::change_info(&self.send(&call).await?, call.action).map(|_| ())
    }

    async fn list_records_page(
        &self,
        zone_id: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Record>> {
        let from = token.map(plan::parse_token).transpose()?;
        let domain = self.domain_of(zone_id).await?;
        let max = max.clamp(1, calls::MAX_RRSETS);
        let start = from.as_ref().map(|(s, _)| s);
        let call = calls::list_record_sets(zone_id, start, max)?;
        let (sets, next) = responses::list_record_sets(&self.send(&call).await?, &domain)?;
        let from = from.as_ref().map(|(s, skip)| (s, *skip));
        plan::records_page(&sets, from, next, max, (zone_id, &domain))
    }

    async fn get_record(&self, zone_id: &str, id: &str) -> Result<Record> {
        let domain = self.domain_of(zone_id).await?;
        let (set, _, data) = self.locate(zone_id, &domain, id).await?;
        let records = responses::records_of(&set, zone_id, &domain)?;
        records
            .into_iter()
            .find(|r| r.data == data)
            .ok_or_else(|| calls::not_found("record", id))
    }

    async fn create_record(&self, zone_id: &str, record: &NewRecord) -> Result<Record> {
        rdata::to_value(&record.data)?;
        let domain = self.domain_of(zone_id).await?;
        let fqdn = plan::fqdn_of(record, &domain)?;
        let existing = self.set_of(zone_id, &domain, &fqdn, &record.data).await?;
        let batch = plan::create(existing.as_ref(), &fqdn, &record.data, record.ttl)?;
        let change = self.change(zone_id, &batch).await?;
        plan::record_after(&batch, (zone_id, &domain), &fqdn, &record.data, change)
    }

    async fn update_record(&self, zone_id: &str, id: &str, record: &NewRecord) -> Result<Record> {
        let domain = self.domain_of(zone_id).await?;
        let (set, _, old) = self.locate(zone_id, &domain, id).await?;
        let fqdn = plan::fqdn_of(record, &domain)?;
        let target = match fqdn == set.name || old.record_type() != record.data.record_type() {
            true => None,
            false => self.set_of(zone_id, &domain, &fqdn, &record.data).await?,
        };
        let batch = plan::update(&set, &old, target.as_ref(), &fqdn, &record.data, record.ttl)?;
        let change = self.change(zone_id, &batch).await?;
        plan::record_after(&batch, (zone_id, &domain), &fqdn, &record.data, change)
    }

    async fn delete_record(&self, zone_id: &str, id: &str) -> Result<()> {
        let domain = self.domain_of(zone_id).await?;
        let (set, _, data) = self.locate(zone_id, &domain, id).await?;
        self.change(zone_id, &plan::delete(&set, &data)?).await?;
        Ok(())
    }

    async fn change_synced(&self, change: &str) -> Result<bool> {
        let call = calls::get_change(change)?;
        responses::change_synced(&self.send(&call).await?, change)
    }
}
