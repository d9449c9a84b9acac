use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::DnsDriver;
use super::rt::maybe_async;
use crate::dns::memory_zones::MemoryZones;
use crate::dns::{NewRecord, NewZone, Record, Zone};
use crate::error::Result;
use crate::storage::Page;

/// DNS in memory, for tests and examples: zones start with an SOA and two NS records at
/// their apex, as on real providers; changes apply at once. Clones share the zones.
#[derive(Debug, Clone, Default)]
pub struct MemoryDns {
    zones: Arc<Mutex<MemoryZones>>,
}

impl MemoryDns {
    /// No zones.
    pub fn new() -> Self {
        Self::default()
    }

    fn zones(&self) -> MutexGuard<'_, MemoryZones> {
        self.zones.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[maybe_async(AFIT)]
impl DnsDriver for MemoryDns {
    fn provider_name(&self) -> &'static str {
        "memory"
    }

    async fn list_zones_page(&self, token: Option<&str>, max: usize) -> Result<Page<Zone>> {
        Ok(self.zones().zones_page(token, max))
    }

    async fn get_zone(&self, id: &str) -> Result<Zone> {
        self.zones().zone(id)
    }

    async fn create_zone(&self, zone: &NewZone) -> Result<Zone> {
        self.zones().create_zone(zone)
    }

    async fn delete_zone(&self, id: &str) -> Result<()> {
        self.zones().delete_zone(id)
    }

    async fn list_records_page(
        &self,
        zone_id: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Record>> {
        self.zones().records_page(zone_id, token, max)
    }

    async fn get_record(&self, zone_id: &str, id: &str) -> Result<Record> {
        self.zones().record(zone_id, id)
    }

    async fn create_record(&self, zone_id: &str, record: &NewRecord) -> Result<Record> {
        self.zones().create_record(zone_id, record)
    }

    async fn update_record(&self, zone_id: &str, id: &str, record: &NewRecord) -> Result<Record> {
        self.zones().update_record(zone_id, id, record)
    }

    async fn delete_record(&self, zone_id: &str, id: &str) -> Result<()> {
        self.zones().delete_record(zone_id, id)
    }
}
