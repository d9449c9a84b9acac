//! Droplets into [`Node`]s.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::Value;

use super::{Listed, extra_of, node_state, one, parse_error, read_as, time_of};
use crate::compute::{CreateNode, Node};
use crate::error::Result;
use crate::http::Response;

#[derive(Deserialize)]
struct DropletJson {
    id: u64,
    name: String,
    status: String,
    #[serde(default)]
    networks: Option<Networks>,
    #[serde(default)]
    size_slug: Option<String>,
    #[serde(default)]
    image: Option<ImageRef>,
    #[serde(default)]
    region: Option<RegionRef>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    /// The whole size object: `size_slug` names it.
    #[serde(default, rename = "size")]
    _size: Option<Value>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct Networks {
    #[serde(default)]
    v4: Option<Vec<Interface>>,
    #[serde(default)]
    v6: Option<Vec<Interface>>,
}

#[derive(Deserialize)]
struct Interface {
    ip_address: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct ImageRef {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    slug: Option<String>,
}

#[derive(Deserialize)]
struct RegionRef {
    slug: String,
}

impl Listed for Node {
    fn from_item(item: Value) -> std::result::Result<Self, String> {
        read_as(item, node)
    }
}

/// The droplet of a `GET /v2/droplets/{id}` answer, which must be droplet `id`.
pub fn droplet(resp: &Response, id: u64) -> Result<Node> {
    let context = format!("droplet {id}");
    let json: DropletJson = one(resp, "droplet", &context)?;
    if json.id != id {
        return Err(parse_error(
            &context,
            format_args!("the answer is droplet {}", json.id),
        ));
    }
    node(json).map_err(|e| parse_error(&context, e))
}

/// The droplet a `POST /v2/droplets` for `spec` created (202, `new` at first). Errors
/// name the spec's name, size and image: the API's messages do not ("You specified an
/// invalid size").
pub fn created_droplet(resp: &Response, spec: &CreateNode) -> Result<Node> {
    let context = format!(
        "creating droplet {:.80?} (size {:.80?}, image {:.80?})",
        spec.name, spec.size, spec.image
    );
    let json: DropletJson = one(resp, "droplet", &context)?;
    node(json).map_err(|e| parse_error(&context, e))
}

fn node(d: DropletJson) -> std::result::Result<Node, String> {
    let mut n = Node::new(d.id.to_string(), d.name, node_state(&d.status));
    n.extra = extra_of(d.rest);
    n.extra.insert("status".into(), d.status);
    if let Some(networks) = d.networks {
        let all = networks.v4.into_iter().chain(networks.v6).flatten();
        for iface in all {
            let ip: IpAddr = iface
                .ip_address
                .parse()
                .map_err(|_| format!("{:.60?} is not an IP address", iface.ip_address))?;
            match iface.kind.as_str() {
                "public" => n.public_ips.push(ip),
                "private" => n.private_ips.push(ip),
                _ => {}
            }
        }
    }
    if let Some(image) = d.image {
        if let Some(slug) = &image.slug {
            n.extra.insert("image_slug".into(), slug.clone());
        }
        n.image = image.id.map(|i| i.to_string()).or(image.slug);
    }
    n.size = d.size_slug;
    n.location = d.region.map(|r| r.slug);
    n.created_at = d.created_at.as_deref().map(time_of).transpose()?;
    n.tags = d
        .tags
        .unwrap_or_default()
        .iter()
        .map(|t| split_tag(t))
        .collect();
    Ok(n)
}

/// `key:value` → (`key`, `value`); a bare tag → (`tag`, "").
fn split_tag(tag: &str) -> (String, String) {
    match tag.split_once(':') {
        Some((k, v)) => (k.to_owned(), v.to_owned()),
        None => (tag.to_owned(), String::new()),
    }
}
