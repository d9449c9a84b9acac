//! Building DigitalOcean v2 requests: `Authorization: Bearer <token>`, JSON bodies written
//! with serde_json, every id checked for its shape before it goes into a path (droplet,
//! key and action ids are numbers, volume and snapshot ids UUIDs). Pure: nothing here
//! sends anything.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{DoConfig, MAX_PER_PAGE, PROVIDER};
use crate::compute::{CreateNode, ImageOwner};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request};

/// The most user data the API takes (64 KiB).
pub const MAX_USER_DATA: usize = 64 * 1024;

/// The `extra` settings [`DoRequests::create_droplet`] accepts: the booleans, the VPC and
/// the volumes to attach (UUIDs, comma-separated).
pub const DROPLET_EXTRAS: [&str; 6] = [
    "backups",
    "ipv6",
    "monitoring",
    "with_droplet_agent",
    "vpc_uuid",
    "volumes",
];

/// A listing the API pages through `links.pages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Collection {
    /// `GET /v2/droplets`.
    Droplets,
    /// `GET /v2/sizes`.
    Sizes,
    /// `GET /v2/images?type=distribution`: the public OS images.
    DistributionImages,
    /// `GET /v2/images?type=application`: the 1-Click (marketplace) images.
    ApplicationImages,
    /// `GET /v2/images?private=true`: the account's own images.
    PrivateImages,
    /// `GET /v2/regions`.
    Regions,
    /// `GET /v2/account/keys`.
    SshKeys,
    /// `GET /v2/volumes`.
    Volumes,
    /// `GET /v2/snapshots?resource_type=volume`.
    VolumeSnapshots,
}

impl Collection {
    /// The path listed (and the path every `links.pages` URL must name).
    pub fn path(self) -> &'static str {
        match self {
            Collection::Droplets => "/v2/droplets",
            Collection::Sizes => "/v2/sizes",
            Collection::DistributionImages
            | Collection::ApplicationImages
            | Collection::PrivateImages => "/v2/images",
            Collection::Regions => "/v2/regions",
            Collection::SshKeys => "/v2/account/keys",
            Collection::Volumes => "/v2/volumes",
            Collection::VolumeSnapshots => "/v2/snapshots",
        }
    }

    /// The answer's key holding the items.
    pub fn key(self) -> &'static str {
        match self {
            Collection::Droplets => "droplets",
            Collection::Sizes => "sizes",
            Collection::DistributionImages
            | Collection::ApplicationImages
            | Collection::PrivateImages => "images",
            Collection::Regions => "regions",
            Collection::SshKeys => "ssh_keys",
            Collection::Volumes => "volumes",
            Collection::VolumeSnapshots => "snapshots",
        }
    }

    fn filter(self) -> Option<(&'static str, &'static str)> {
        match self {
            Collection::DistributionImages => Some(("type", "distribution")),
            Collection::ApplicationImages => Some(("type", "application")),
            Collection::PrivateImages => Some(("private", "true")),
            Collection::VolumeSnapshots => Some(("resource_type", "volume")),
            _ => None,
        }
    }

    /// The image listing of `owner`. DigitalOcean cannot list another account's images:
    /// [`ImageOwner::Account`] is `Unsupported`.
    pub fn images_of(owner: &ImageOwner) -> Result<Collection> {
        match owner {
            ImageOwner::Provider => Ok(Collection::DistributionImages),
            ImageOwner::Marketplace => Ok(Collection::ApplicationImages),
            ImageOwner::Mine => Ok(Collection::PrivateImages),
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                "DigitalOcean lists distribution, application and private images, not \
                 another account's",
            )
            .with_provider(PROVIDER)),
        }
    }
}

/// One page asked of a collection. The continuation tokens this driver hands out are page
/// numbers (taken from `links.pages.next` once checked), nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageAsk {
    /// The listing.
    pub collection: Collection,
    /// The page number, from 1.
    pub page: u32,
    /// Items per page, 1 to 200.
    pub per_page: usize,
}

impl PageAsk {
    /// The page `token` names (the first without one), of `per_page` items clamped to 1 to
    /// 200. A token that is not a page number is `InvalidInput`. A listing must keep the
    /// same `per_page` from page to page (pages are counted in items of that size).
    ///
    /// ```
    /// use multicloud::compute::digitalocean::{Collection, PageAsk};
    /// let ask = PageAsk::new(Collection::Droplets, Some("3"), 1000)?;
    /// assert_eq!((ask.page, ask.per_page), (3, 200));
    /// assert!(PageAsk::new(Collection::Droplets, Some("https://x/?page=3"), 5).is_err());
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn new(collection: Collection, token: Option<&str>, per_page: usize) -> Result<Self> {
        let page = match token {
            None => 1,
            Some(t) => page_number(t).ok_or_else(|| {
                Error::invalid(format!("{t:.40?} is not a DigitalOcean page token"))
                    .with_provider(PROVIDER)
            })?,
        };
        Ok(PageAsk {
            collection,
            page,
            per_page: per_page.clamp(1, MAX_PER_PAGE),
        })
    }
}

/// A page number: 1 to `u32::MAX`, plain digits.
pub(crate) fn page_number(text: &str) -> Option<u32> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    text.parse().ok().filter(|n| digits && *n >= 1)
}

/// A droplet action, polled to completion by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropletAction {
    /// `reboot`: a graceful restart.
    Reboot,
    /// `power_on`.
    PowerOn,
    /// `power_off`: a hard power-off (the droplet is `off` afterwards).
    PowerOff,
}

impl DropletAction {
    /// The action's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropletAction::Reboot => "reboot",
            DropletAction::PowerOn => "power_on",
            DropletAction::PowerOff => "power_off",
        }
    }
}

/// Builds the requests of one configuration.
#[derive(Debug, Clone)]
pub struct DoRequests {
    cfg: DoConfig,
}

impl DoRequests {
    /// Requests for `cfg`.
    pub fn new(cfg: DoConfig) -> Self {
        DoRequests { cfg }
    }

    /// The configuration.
    pub fn config(&self) -> &DoConfig {
        &self.cfg
    }

    /// A request to `path` (and query) of the API, with the bearer token.
    pub(crate) fn request(&self, method: Method, path: &str) -> Request {
        let base = self.cfg.endpoint.as_str().trim_end_matches('/');
        let bearer = format!("Bearer {}", self.cfg.token.expose());
        Request::new(method, format!("{base}{path}"))
            .header("authorization", bearer)
            .header("accept", "application/json")
    }

    /// [`request`](Self::request) with a JSON body.
    pub(crate) fn with_json(&self, method: Method, path: &str, body: &Value) -> Request {
        self.request(method, path)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// One page of a listing: `?page=N&per_page=M` and the collection's filter.
    pub fn list(&self, ask: &PageAsk) -> Request {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("page", &ask.page.to_string());
        query.append_pair("per_page", &ask.per_page.to_string());
        if let Some((k, v)) = ask.collection.filter() {
            query.append_pair(k, v);
        }
        let path = format!("{}?{}", ask.collection.path(), query.finish());
        self.request(Method::Get, &path)
    }

    /// `GET /v2/droplets/{id}`.
    pub fn get_droplet(&self, id: &str) -> Result<Request> {
        let id = droplet_id(id)?;
        Ok(self.request(Method::Get, &format!("/v2/droplets/{id}")))
    }

    /// `DELETE /v2/droplets/{id}`.
    pub fn delete_droplet(&self, id: &str) -> Result<Request> {
        let id = droplet_id(id)?;
        Ok(self.request(Method::Delete, &format!("/v2/droplets/{id}")))
    }

    /// `POST /v2/droplets` for one droplet: `spec`'s name, size, image (a number is an
    /// image id, anything else a slug), region (the spec's location, else the configured
    /// region: `InvalidInput` when neither is set), the SSH keys (ids the caller resolved
    /// from the spec's key names), user data, tags and the [`DROPLET_EXTRAS`]; any other
    /// extra, or security groups (DigitalOcean has cloud firewalls instead), is refused.
    /// Not retried (the API has no idempotency token): only a 429 or an unopened
    /// connection is repeated.
    pub fn create_droplet(&self, spec: &CreateNode, ssh_keys: &[u64]) -> Result<Request> {
        let region = spec.location.as_deref().or(self.cfg.region.as_deref());
        let Some(region) = region else {
            return Err(Error::invalid(
                "DigitalOcean needs a region: give the node a location or the driver a region",
            )
            .with_provider(PROVIDER));
        };
        super::config::check_slug(region).map_err(|e| e.with_provider(PROVIDER))?;
        let body = droplet_body(spec, region, ssh_keys)?;
        Ok(self.with_json(Method::Post, "/v2/droplets", &body))
    }

    /// `POST /v2/droplets/{id}/actions` with the action's `type`.
    pub fn droplet_action(&self, id: &str, action: DropletAction) -> Result<Request> {
        let id = droplet_id(id)?;
        let body = json!({ "type": action.as_str() });
        Ok(self.with_json(Method::Post, &format!("/v2/droplets/{id}/actions"), &body))
    }

    /// `GET /v2/actions/{id}`: one look at an action.
    pub fn get_action(&self, id: u64) -> Request {
        self.request(Method::Get, &format!("/v2/actions/{id}"))
    }

    /// `POST /v2/account/keys`: imports a public key (OpenSSH line) under `name`.
    pub fn create_ssh_key(&self, name: &str, public_key: &str) -> Result<Request> {
        let body = json!({
            "name": non_empty("key name", name)?,
            "public_key": non_empty("public key", public_key.trim())?,
        });
        Ok(self.with_json(Method::Post, "/v2/account/keys", &body))
    }

    /// `DELETE /v2/account/keys/{id}`.
    pub fn delete_ssh_key(&self, id: u64) -> Request {
        self.request(Method::Delete, &format!("/v2/account/keys/{id}"))
    }

    /// `GET /v2/volumes/{id}`.
    pub fn get_volume(&self, id: &str) -> Result<Request> {
        let id = resource_uuid("volume", id)?;
        Ok(self.request(Method::Get, &format!("/v2/volumes/{id}")))
    }

    /// `POST /v2/volumes`: `size_gib` (at least 1) in the region `region`.
    pub fn create_volume(&self, name: &str, size_gib: u64, region: &str) -> Result<Request> {
        if size_gib == 0 {
            return Err(Error::invalid("a DigitalOcean volume holds at least 1 GiB"));
        }
        super::config::check_slug(region)?;
        let body = json!({
            "name": non_empty("volume name", name)?,
            "size_gigabytes": size_gib,
            "region": region,
        });
        Ok(self.with_json(Method::Post, "/v2/volumes", &body))
    }

    /// `POST /v2/volumes/{id}/actions`: attach to, or detach from, the droplet `droplet`.
    pub fn volume_action(&self, volume: &str, attach: bool, droplet: &str) -> Result<Request> {
        let id = resource_uuid("volume", volume)?;
        let kind = if attach { "attach" } else { "detach" };
        let body = json!({ "type": kind, "droplet_id": droplet_id(droplet)? });
        Ok(self.with_json(Method::Post, &format!("/v2/volumes/{id}/actions"), &body))
    }

    /// `DELETE /v2/volumes/{id}`.
    pub fn delete_volume(&self, id: &str) -> Result<Request> {
        let id = resource_uuid("volume", id)?;
        Ok(self.request(Method::Delete, &format!("/v2/volumes/{id}")))
    }

    /// `POST /v2/volumes/{id}/snapshots` named `name`.
    pub fn create_volume_snapshot(&self, volume: &str, name: &str) -> Result<Request> {
        let id = resource_uuid("volume", volume)?;
        let body = json!({ "name": non_empty("snapshot name", name)? });
        Ok(self.with_json(Method::Post, &format!("/v2/volumes/{id}/snapshots"), &body))
    }

    /// `DELETE /v2/snapshots/{id}` (a volume snapshot: a UUID).
    pub fn delete_snapshot(&self, id: &str) -> Result<Request> {
        let id = resource_uuid("snapshot", id)?;
        Ok(self.request(Method::Delete, &format!("/v2/snapshots/{id}")))
    }
}

/// A droplet id: a number. Anything else names no droplet (`NotFound`, as the API would
/// answer) and never reaches a URL.
///
/// ```
/// use multicloud::compute::digitalocean::requests::droplet_id;
/// assert_eq!(droplet_id("3164444")?, 3164444);
/// for bad in ["", "+1", "-1", "1/actions", "../v2/account", "i-0abc"] {
///     assert_eq!(droplet_id(bad).unwrap_err().kind(), multicloud::ErrorKind::NotFound);
/// }
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn droplet_id(id: &str) -> Result<u64> {
    long_number(id).ok_or_else(|| {
        Error::not_found(format!(
            "no droplet has the id {id:.40?} (droplet ids are numbers)"
        ))
        .with_provider(PROVIDER)
    })
}

/// A positive number of plain digits (no sign, no spaces).
pub(crate) fn long_number(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    text.parse().ok().filter(|n| digits && *n >= 1)
}

/// Whether `text` is a UUID (`8-4-4-4-12` hex digits).
pub fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A volume or snapshot id: a UUID, else `NotFound` (it names nothing).
fn resource_uuid<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    match is_uuid(id) {
        true => Ok(id),
        false => Err(Error::not_found(format!(
            "no {what} has the id {id:.40?} (DigitalOcean {what} ids are UUIDs)"
        ))
        .with_provider(PROVIDER)),
    }
}

fn non_empty<'a>(what: &str, v: &'a str) -> Result<&'a str> {
    match v.is_empty() {
        true => Err(
            Error::invalid(format!("DigitalOcean {what}: an empty value")).with_provider(PROVIDER),
        ),
        false => Ok(v),
    }
}

/// The JSON body of a droplet creation (see [`DoRequests::create_droplet`]).
fn droplet_body(spec: &CreateNode, region: &str, ssh_keys: &[u64]) -> Result<Value> {
    if !spec.security_groups.is_empty() {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "DigitalOcean droplets have no security groups (cloud firewalls are separate)",
        )
        .with_provider(PROVIDER));
    }
    let mut body = Map::new();
    body.insert("name".into(), non_empty("droplet name", &spec.name)?.into());
    body.insert("region".into(), region.into());
    body.insert("size".into(), non_empty("size", &spec.size)?.into());
    body.insert("image".into(), image_ref(&spec.image)?);
    if !ssh_keys.is_empty() {
        body.insert("ssh_keys".into(), json!(ssh_keys));
    }
    if let Some(data) = &spec.user_data {
        if data.len() > MAX_USER_DATA {
            return Err(
                Error::invalid("DigitalOcean user data is at most 64 KiB").with_provider(PROVIDER)
            );
        }
        body.insert("user_data".into(), data.as_str().into());
    }
    if !spec.tags.is_empty() {
        body.insert("tags".into(), json!(tags(&spec.tags)?));
    }
    for (k, v) in &spec.extra {
        body.insert(k.clone(), extra_value(k, v)?);
    }
    Ok(Value::Object(body))
}

/// An image id (digits: sent as a number) or slug (sent as text).
fn image_ref(image: &str) -> Result<Value> {
    let image = non_empty("image", image)?;
    Ok(match long_number(image) {
        Some(id) => id.into(),
        None => image.into(),
    })
}

/// The model's tags as DigitalOcean's: `key:value`, or `key` for an empty value. Tags
/// hold letters, digits, `:`, `-` and `_`, at most 255 in all; a key holding `:` would
/// not read back as itself, so it is refused.
pub fn tags(tags: &BTreeMap<String, String>) -> Result<Vec<String>> {
    let allowed = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_'))
    };
    tags.iter()
        .map(|(k, v)| {
            let tag = match v.is_empty() {
                true => k.clone(),
                false => format!("{k}:{v}"),
            };
            let ok = !k.is_empty() && !k.contains(':') && allowed(&tag) && tag.len() <= 255;
            match ok {
                true => Ok(tag),
                false => Err(Error::invalid(format!(
                    "DigitalOcean tag {tag:.80?}: letters, digits, '-' and '_' (and ':' \
                     between key and value), at most 255"
                ))
                .with_provider(PROVIDER)),
            }
        })
        .collect()
}

/// One of the [`DROPLET_EXTRAS`], typed as the API wants it.
fn extra_value(key: &str, value: &str) -> Result<Value> {
    let bad = |what: &str| {
        Error::invalid(format!(
            "DigitalOcean setting {key:?} must be {what}, not {value:.80?}"
        ))
        .with_provider(PROVIDER)
    };
    match key {
        "backups" | "ipv6" | "monitoring" | "with_droplet_agent" => match value {
            "true" => Ok(true.into()),
            "false" => Ok(false.into()),
            _ => Err(bad("true or false")),
        },
        "vpc_uuid" if is_uuid(value) => Ok(value.into()),
        "vpc_uuid" => Err(bad("a UUID")),
        "volumes" => {
            let ids: Vec<&str> = value.split(',').map(str::trim).collect();
            match ids.iter().all(|id| is_uuid(id)) {
                true => Ok(json!(ids)),
                false => Err(bad("volume UUIDs separated by commas")),
            }
        }
        _ => Err(Error::invalid(format!(
            "DigitalOcean has no droplet setting {key:.80?} this driver sends (it sends {})",
            DROPLET_EXTRAS.join(", ")
        ))
        .with_provider(PROVIDER)),
    }
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
