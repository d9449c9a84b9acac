//! Key pairs, volumes, snapshots: DescribeKeyPairs, CreateKeyPair, ImportKeyPair,
//! DescribeVolumes, CreateVolume, Attach/DetachVolume, DescribeSnapshots, CreateSnapshot.

use super::tree::Element;
use super::{document, extra_of, next_token, number, parse_error, required, tags, time_of};
use crate::compute::{KeyPair, Volume, VolumeSnapshot, VolumeState};
use crate::credentials::Secret;
use crate::error::Result;
use crate::http::Response;
use crate::storage::Page;

/// The key pairs of a DescribeKeyPairs answer.
pub fn describe_key_pairs(resp: &Response) -> Result<Vec<KeyPair>> {
    const ACTION: &str = "DescribeKeyPairs";
    let doc = document(resp, ACTION)?;
    doc.items("keySet").map(|k| key_pair(k, ACTION)).collect()
}

/// The key pair a CreateKeyPair answer describes, with its private key (sent once); it
/// must be the key `name` asked for (another is `Parse`).
pub fn create_key_pair(resp: &Response, name: &str) -> Result<KeyPair> {
    const ACTION: &str = "CreateKeyPair";
    let doc = document(resp, ACTION)?;
    let mut k = named(key_pair(&doc, ACTION)?, name, ACTION)?;
    let material = required(doc.text_of("keyMaterial"), ACTION, "keyMaterial")?;
    k.private_key = Some(Secret::new(material));
    k.extra.remove("keyMaterial");
    Ok(k)
}

/// The key pair an ImportKeyPair answer describes, which must be the key `name` asked for.
pub fn import_key_pair(resp: &Response, name: &str) -> Result<KeyPair> {
    const ACTION: &str = "ImportKeyPair";
    named(key_pair(&document(resp, ACTION)?, ACTION)?, name, ACTION)
}

/// `k`, when it is the key `name` (a key pair answer about another key is `Parse`).
fn named(k: KeyPair, name: &str, action: &str) -> Result<KeyPair> {
    match k.name == name {
        true => Ok(k),
        false => Err(parse_error(action, "the answer is about another key pair")),
    }
}

fn key_pair(e: &Element, action: &str) -> Result<KeyPair> {
    let taken = [
        "keyPairId",
        "keyName",
        "keyFingerprint",
        "publicKey",
        "requestId",
    ];
    let mut extra = extra_of(e, &taken);
    extra.remove("keyMaterial");
    Ok(KeyPair {
        id: e.text_of("keyPairId").map(str::to_owned),
        name: required(e.text_of("keyName"), action, "keyName")?.to_owned(),
        fingerprint: e.text_of("keyFingerprint").map(str::to_owned),
        public_key: e.text_of("publicKey").map(str::to_owned),
        private_key: None,
        extra,
    })
}

/// The EC2 volume status's [`VolumeState`]: `creating`, `available`, `in-use`,
/// `deleting`, `error`; `deleted` and anything else are `Unknown`.
pub fn volume_state(status: &str) -> VolumeState {
    match status {
        "creating" => VolumeState::Creating,
        "available" => VolumeState::Available,
        "in-use" => VolumeState::InUse,
        "deleting" => VolumeState::Deleting,
        "error" => VolumeState::Error,
        _ => VolumeState::Unknown,
    }
}

/// One page of DescribeVolumes.
pub fn describe_volumes(resp: &Response) -> Result<Page<Volume>> {
    const ACTION: &str = "DescribeVolumes";
    let doc = document(resp, ACTION)?;
    let items = doc
        .items("volumeSet")
        .map(|v| volume(v, ACTION))
        .collect::<Result<Vec<_>>>()?;
    let next_token = next_token(&doc);
    Ok(Page { items, next_token })
}

/// The volume a CreateVolume answer describes.
pub fn create_volume(resp: &Response) -> Result<Volume> {
    const ACTION: &str = "CreateVolume";
    volume(&document(resp, ACTION)?, ACTION)
}

/// A volume; its tags go to `extra` as `tag:KEY` (the model has no tags for volumes),
/// the device it is attached as to each instance as `device:INSTANCE`,
/// the `Name` tag is its name.
fn volume(e: &Element, action: &str) -> Result<Volume> {
    let id = required(e.text_of("volumeId"), action, "volumeId")?;
    let tags = tags(e, action)?;
    let status = required(e.text_of("status"), action, "status")?;
    let size = number(e, "size", action)?;
    let mut extra = extra_of(
        e,
        &[
            "volumeId",
            "status",
            "size",
            "availabilityZone",
            "requestId",
        ],
    );
    for (k, v) in &tags {
        extra.insert(format!("tag:{k}"), v.clone());
    }
    let mut attached_to = Vec::new();
    for a in e.items("attachmentSet") {
        let node = required(a.text_of("instanceId"), action, "instanceId")?;
        if let Some(device) = a.text_of("device") {
            extra.insert(format!("device:{node}"), device.to_owned());
        }
        attached_to.push(node.to_owned());
    }
    Ok(Volume {
        id: id.to_owned(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        size_gib: size.ok_or_else(|| parse_error(action, "a volume lacks <size>"))?,
        state: volume_state(status),
        attached_to,
        location: e.text_of("availabilityZone").map(str::to_owned),
        extra,
    })
}

/// What AttachVolume and DetachVolume answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VolumeAttachment {
    /// The volume.
    pub volume_id: String,
    /// The instance, where stated.
    pub instance_id: Option<String>,
    /// The device name (`/dev/sdf`), where stated.
    pub device: Option<String>,
    /// `attaching`, `attached`, `detaching`, `detached`.
    pub status: String,
}

/// The attachment an AttachVolume or DetachVolume answer (`action`) describes; it must be
/// about `volume`, the one asked (another is `Parse`).
pub fn volume_attachment(resp: &Response, action: &str, volume: &str) -> Result<VolumeAttachment> {
    let doc = document(resp, action)?;
    let id = required(doc.text_of("volumeId"), action, "volumeId")?;
    if id != volume {
        return Err(parse_error(action, "the answer is about another volume"));
    }
    Ok(VolumeAttachment {
        volume_id: id.to_owned(),
        instance_id: doc.text_of("instanceId").map(str::to_owned),
        device: doc.text_of("device").map(str::to_owned),
        status: required(doc.text_of("status"), action, "status")?.to_owned(),
    })
}

/// One page of DescribeSnapshots.
pub fn describe_snapshots(resp: &Response) -> Result<Page<VolumeSnapshot>> {
    const ACTION: &str = "DescribeSnapshots";
    let doc = document(resp, ACTION)?;
    let items = doc
        .items("snapshotSet")
        .map(|s| snapshot(s, ACTION))
        .collect::<Result<Vec<_>>>()?;
    let next_token = next_token(&doc);
    Ok(Page { items, next_token })
}

/// The snapshot a CreateSnapshot answer describes, which must be of `volume` (one of
/// another volume is `Parse`).
pub fn create_snapshot(resp: &Response, volume: &str) -> Result<VolumeSnapshot> {
    const ACTION: &str = "CreateSnapshot";
    let s = snapshot(&document(resp, ACTION)?, ACTION)?;
    match s.volume_id.as_deref() == Some(volume) {
        true => Ok(s),
        false => Err(parse_error(
            ACTION,
            "the answer is not a snapshot of the volume asked",
        )),
    }
}

fn snapshot(e: &Element, action: &str) -> Result<VolumeSnapshot> {
    let taken = [
        "snapshotId",
        "volumeId",
        "volumeSize",
        "startTime",
        "status",
        "requestId",
    ];
    let mut extra = extra_of(e, &taken);
    for (k, v) in tags(e, action)? {
        extra.insert(format!("tag:{k}"), v);
    }
    Ok(VolumeSnapshot {
        id: required(e.text_of("snapshotId"), action, "snapshotId")?.to_owned(),
        volume_id: e.text_of("volumeId").map(str::to_owned),
        size_gib: number(e, "volumeSize", action)?,
        created_at: time_of(e, "startTime", action)?,
        state: e.text_of("status").map(str::to_owned),
        extra,
    })
}
