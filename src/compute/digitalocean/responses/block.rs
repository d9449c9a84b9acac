//! Volumes and volume snapshots.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::super::requests::is_uuid;
use super::{Listed, extra_of, one, parse_error, read_as, time_of};
use crate::compute::{Volume, VolumeSnapshot, VolumeState};
use crate::error::Result;
use crate::http::Response;

#[derive(Deserialize)]
struct VolumeJson {
    id: String,
    name: String,
    size_gigabytes: u64,
    #[serde(default)]
    droplet_ids: Option<Vec<u64>>,
    #[serde(default)]
    region: Option<RegionRef>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct RegionRef {
    slug: String,
}

/// A volume: `InUse` while attached (`droplet_ids`), else `Available`.
impl Listed for Volume {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        read_as(item, volume_of)
    }
}

fn volume_of(v: VolumeJson) -> std::result::Result<Volume, String> {
    if !is_uuid(&v.id) {
        return Err(format!("volume id {:.60?} is not a UUID", v.id));
    }
    let attached_to: Vec<String> = v
        .droplet_ids
        .unwrap_or_default()
        .iter()
        .map(u64::to_string)
        .collect();
    let state = match attached_to.is_empty() {
        true => VolumeState::Available,
        false => VolumeState::InUse,
    };
    Ok(Volume {
        id: v.id,
        name: v.name,
        size_gib: v.size_gigabytes,
        state,
        attached_to,
        location: v.region.map(|r| r.slug),
        extra: extra_of(v.rest),
    })
}

/// The volume of a `GET /v2/volumes/{id}` (which must be `expected`) or a
/// `POST /v2/volumes` answer.
pub fn volume(resp: &Response, expected: Option<&str>) -> Result<Volume> {
    let context = match expected {
        Some(id) => format!("volume {id}"),
        None => "creating a volume".to_owned(),
    };
    let json: VolumeJson = one(resp, "volume", &context)?;
    let v = volume_of(json).map_err(|e| parse_error(&context, e))?;
    match expected {
        Some(id) if !id.eq_ignore_ascii_case(&v.id) => Err(parse_error(
            &context,
            format_args!("the answer is volume {:.60}", v.id),
        )),
        _ => Ok(v),
    }
}

#[derive(Deserialize)]
struct SnapshotJson {
    id: String,
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
    min_disk_size: Option<u64>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

/// A volume snapshot: `min_disk_size` (the volume's size) is its size; DigitalOcean
/// states no progress, so `state` is `None`.
impl Listed for VolumeSnapshot {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        read_as(item, snapshot_of)
    }
}

fn snapshot_of(s: SnapshotJson) -> std::result::Result<VolumeSnapshot, String> {
    Ok(VolumeSnapshot {
        id: s.id,
        volume_id: s.resource_id,
        size_gib: s.min_disk_size,
        created_at: s.created_at.as_deref().map(time_of).transpose()?,
        state: None,
        extra: extra_of(s.rest),
    })
}

/// The snapshot a `POST /v2/volumes/{id}/snapshots` took of `volume`: its
/// `resource_id` must name that volume (a snapshot of another is `Parse`).
pub fn snapshot(resp: &Response, volume: &str) -> Result<VolumeSnapshot> {
    let context = "taking a volume snapshot";
    let json: SnapshotJson = one(resp, "snapshot", context)?;
    let s = snapshot_of(json).map_err(|e| parse_error(context, e))?;
    match s.volume_id.as_deref() {
        Some(id) if id.eq_ignore_ascii_case(volume) => Ok(s),
        _ => Err(parse_error(
            context,
            "the answer is not a snapshot of the volume asked",
        )),
    }
}
