use std::time::{Duration, Instant};

use super::super::pause::{check_cancel, pause};
use super::Listing;
use super::rt::{self, maybe_async};
use crate::compute::wait::next_interval;
use crate::dns::{NewRecord, NewZone, Record, Zone, names};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{CancelToken, DEFAULT_PAGE_SIZE, Page};

/// What a cancelled wait says it was doing.
const WAITING: &str = "waiting for a DNS change to sync";

/// The DNS operations every provider offers (Libcloud's `DNSDriver`, in Rust names).
/// Identical in both modes but for `async`/`.await` and `Iterator`/`Stream`.
///
/// Drivers are cheap to clone and `Send + Sync`; async futures are `Send`. Required
/// methods are the provider's primitives; listings, lookups by domain and waiting for
/// changes are provided on them once for every driver.
///
/// Record names are relative to their zone (`""` for the apex); one [`Record`] is one
/// value (see [`crate::dns`]).
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::dns::{DnsDriver, MemoryDns};
use multicloud::dns::{NewRecord, NewZone, RecordData};

let dns = MemoryDns::new();
let zone = dns.create_zone(&NewZone::new("example.com"))?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
dns.create_record(&zone.id, &www)?;
// The zone's SOA and two NS records, and www.
assert_eq!(dns.list_records(&zone.id)?.len(), 4);
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::dns::{DnsDriver, MemoryDns};
use multicloud::dns::{NewRecord, NewZone, RecordData};

let dns = MemoryDns::new();
let zone = dns.create_zone(&NewZone::new("example.com")).await?;
let www = NewRecord::new("www", RecordData::A("192.0.2.7".parse().unwrap())).ttl(300);
dns.create_record(&zone.id, &www).await?;
// The zone's SOA and two NS records, and www.
assert_eq!(dns.list_records(&zone.id).await?.len(), 4);
# Ok(())
# }
```
"#,
)]
#[maybe_async(AFIT)]
pub trait DnsDriver: Clone + Send + Sync + 'static {
    /// The provider's short name (`"route53"`, `"memory"`...), as errors report it.
    fn provider_name(&self) -> &'static str;

    /// One page of zones after the continuation `token`. Most callers want
    /// [`iterate_zones`](Self::iterate_zones) or [`list_zones`](Self::list_zones).
    fn list_zones_page(
        &self,
        token: Option<&str>,
        max: usize,
    ) -> impl Future<Output = Result<Page<Zone>>> + Send;

    /// One zone; `NotFound` if it does not exist.
    fn get_zone(&self, id: &str) -> impl Future<Output = Result<Zone>> + Send;

    /// Creates a zone; `AlreadyExists` when this account has one for the domain.
    fn create_zone(&self, zone: &NewZone) -> impl Future<Output = Result<Zone>> + Send;

    /// Deletes a zone and every record in it.
    fn delete_zone(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// One page of a zone's records (the ones the provider manages itself, SOA and apex
    /// NS, included where the provider lists them).
    fn list_records_page(
        &self,
        zone_id: &str,
        token: Option<&str>,
        max: usize,
    ) -> impl Future<Output = Result<Page<Record>>> + Send;

    /// One record; `NotFound` if it does not exist.
    fn get_record(&self, zone_id: &str, id: &str) -> impl Future<Output = Result<Record>> + Send;

    /// Creates a record; `AlreadyExists` when the same value is already at that name and
    /// type.
    fn create_record(
        &self,
        zone_id: &str,
        record: &NewRecord,
    ) -> impl Future<Output = Result<Record>> + Send;

    /// Replaces a record's name, TTL and data (its type cannot change: `InvalidInput`). The
    /// answer may carry a new id (where ids derive from the data).
    fn update_record(
        &self,
        zone_id: &str,
        id: &str,
        record: &NewRecord,
    ) -> impl Future<Output = Result<Record>> + Send;

    /// Deletes a record.
    fn delete_record(&self, zone_id: &str, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Whether the provider's change `change` (a [`Record::change`]) is applied on all of
    /// its servers. Providers that apply changes at once answer `true`.
    fn change_synced(&self, change: &str) -> impl Future<Output = Result<bool>> + Send {
        let _ = change;
        async move { Ok(true) }
    }

    /// Lazily lists every zone: an `Iterator` in blocking mode, a `Stream` in async mode.
    fn iterate_zones(&self) -> Listing<'_, Zone> {
        rt::paginate(move |token: Option<String>| async move {
            self.list_zones_page(token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// Every zone, collected; never a partial list.
    fn list_zones(&self) -> impl Future<Output = Result<Vec<Zone>>> + Send {
        rt::collect_pages(move |token: Option<String>| async move {
            self.list_zones_page(token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// Lazily lists a zone's records.
    fn iterate_records<'a>(&'a self, zone_id: &'a str) -> Listing<'a, Record> {
        rt::paginate(move |token: Option<String>| async move {
            self.list_records_page(zone_id, token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// Every record of a zone, collected; never a partial list.
    fn list_records(&self, zone_id: &str) -> impl Future<Output = Result<Vec<Record>>> + Send {
        rt::collect_pages(move |token: Option<String>| async move {
            self.list_records_page(zone_id, token.as_deref(), DEFAULT_PAGE_SIZE)
                .await
        })
    }

    /// The zone of `domain` (any case, final dot or not); `NotFound` if this account has
    /// none.
    fn find_zone(&self, domain: &str) -> impl Future<Output = Result<Zone>> + Send {
        async move {
            let want = names::domain(domain)?;
            let zones = self.list_zones().await?;
            zones.into_iter().find(|z| z.domain == want).ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("no zone for {want:?}"))
                    .with_provider(self.provider_name())
            })
        }
    }

    /// Waits until change `change` is applied everywhere, looking with backoff (1 s
    /// doubling to 20 s); past `timeout` the error is `Timeout` naming the change;
    /// `cancel` stops the wait (`Cancelled`), as does dropping the future in async mode.
    fn wait_until_synced(
        &self,
        change: &str,
        timeout: Duration,
        cancel: Option<&CancelToken>,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let started = Instant::now();
            for look in 0u32.. {
                check_cancel(cancel, WAITING)?;
                if self.change_synced(change).await? {
                    return Ok(());
                }
                let left = timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(not_synced(change, started.elapsed()));
                }
                pause(next_interval(look, left), cancel, WAITING).await?;
            }
            Err(not_synced(change, started.elapsed()))
        }
    }
}

/// `Timeout`: `change` was still pending after `waited`.
fn not_synced(change: &str, waited: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("DNS change {change:.80?} still pending after {waited:.1?}"),
    )
}
