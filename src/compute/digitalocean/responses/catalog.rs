//! Sizes, images, regions and SSH keys.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Listed, extra_of, one, read_as};
use crate::compute::{KeyPair, NodeImage, NodeLocation, NodeSize};
use crate::error::Result;
use crate::http::Response;

#[derive(Deserialize)]
struct SizeJson {
    slug: String,
    memory: u64,
    vcpus: u32,
    disk: u64,
    #[serde(default)]
    price_hourly: Option<f64>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

/// A size: `memory` is MiB, `disk` GiB; the slug is its id and name.
impl Listed for NodeSize {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        read_as(item, |s: SizeJson| {
            Ok(NodeSize {
                id: s.slug.clone(),
                name: s.slug,
                ram_mib: s.memory,
                vcpus: s.vcpus,
                disk_gib: s.disk,
                price_hourly: s.price_hourly,
                extra: extra_of(s.rest),
            })
        })
    }
}

#[derive(Deserialize)]
struct ImageJson {
    id: u64,
    name: String,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

/// An image: its number is its id (the slug, when it has one, is in `extra`; both can
/// create droplets).
impl Listed for NodeImage {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        read_as(item, |i: ImageJson| {
            Ok(NodeImage {
                id: i.id.to_string(),
                name: i.name,
                extra: extra_of(i.rest),
            })
        })
    }
}

#[derive(Deserialize)]
struct RegionJson {
    slug: String,
    name: String,
    available: bool,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

impl Listed for NodeLocation {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        read_as(item, |r: RegionJson| {
            Ok(NodeLocation {
                id: r.slug,
                name: r.name,
                available: Some(r.available),
                extra: extra_of(r.rest),
            })
        })
    }
}

#[derive(Deserialize)]
struct KeyJson {
    id: u64,
    name: String,
    fingerprint: String,
    public_key: String,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

impl Listed for KeyPair {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        read_as(item, key_pair)
    }
}

fn key_pair(k: KeyJson) -> std::result::Result<KeyPair, String> {
    Ok(KeyPair {
        id: Some(k.id.to_string()),
        name: k.name,
        fingerprint: Some(k.fingerprint),
        public_key: Some(k.public_key),
        private_key: None,
        extra: extra_of(k.rest),
    })
}

/// The key a `POST /v2/account/keys` imported, which must be called `name` (an answer
/// about another key is `Parse`).
pub fn ssh_key(resp: &Response, name: &str) -> Result<KeyPair> {
    let context = "importing an SSH key";
    let json: KeyJson = one(resp, "ssh_key", context)?;
    let k = key_pair(json).map_err(|e| super::parse_error(context, e))?;
    match k.name == name {
        true => Ok(k),
        false => Err(super::parse_error(
            context,
            "the answer is about another key",
        )),
    }
}

/// The id of the one key called `name` among `keys`: `NotFound` when none is,
/// `InvalidInput` when several are (DigitalOcean does not keep names unique, and a key
/// picked at random is not what the caller named).
pub fn key_id(keys: &[KeyPair], name: &str) -> Result<u64> {
    let named: Vec<&KeyPair> = keys.iter().filter(|k| k.name == name).collect();
    let key = match named.as_slice() {
        [one] => one,
        [] => {
            return Err(
                crate::Error::not_found(format!("no SSH key is called {name:.80?}"))
                    .with_provider(super::PROVIDER),
            );
        }
        _ => {
            return Err(crate::Error::invalid(format!(
                "{} SSH keys are called {name:.80?}: the name does not say which",
                named.len()
            ))
            .with_provider(super::PROVIDER));
        }
    };
    let id = key.id.as_deref().and_then(|i| i.parse().ok());
    id.ok_or_else(|| super::parse_error("SSH keys", format_args!("key {name:.80?} has no number")))
}
