//! Building EC2 Query API requests: a form-encoded POST of `Action=...&Version=2016-11-15`
//! and the call's parameters, signed with SigV4 (service `ec2`). Pure: the clock is an
//! argument. A [`Call`] is built first (checked, inspectable), then [`Ec2Requests::sign`]
//! turns it into the request sent; the body is encoded once and those bytes are signed.

use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;

use super::{API_VERSION, Ec2Config, PROVIDER};
use crate::aws::Cache;
use crate::compute::CreateNode;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request};
use crate::signing::sigv4::{self, Options, Scope, Unsigned};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// How EC2 wants its Query requests signed: normalised path, signed token, no
/// `x-amz-content-sha256` header.
const SIGNING: Options = Options {
    normalize_path: true,
    sign_session_token: true,
    content_sha256_header: false,
};

/// A `Filter.N` of a Describe call: a name (`instance-state-name`, `tag:Name`) and the
/// values any of which matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The filter's name, as EC2 documents it.
    pub name: String,
    /// The values (at least one).
    pub values: Vec<String>,
}

impl Filter {
    /// A filter matching any of `values`.
    pub fn new(
        name: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Filter {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// One EC2 call before signing: the action and its parameters, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    action: &'static str,
    params: Vec<(String, String)>,
    idempotent: bool,
}

impl Call {
    fn new(action: &'static str, idempotent: bool) -> Self {
        Call {
            action,
            params: Vec::new(),
            idempotent,
        }
    }

    fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// `prefix.1=a&prefix.2=b`, each value checked non-empty.
    fn list(mut self, prefix: &str, values: &[String]) -> Result<Self> {
        for (i, v) in values.iter().enumerate() {
            self = self.param(format!("{prefix}.{}", i + 1), non_empty(prefix, v)?);
        }
        Ok(self)
    }

    fn filters(mut self, filters: &[Filter]) -> Result<Self> {
        for (i, f) in filters.iter().enumerate() {
            if f.values.is_empty() {
                return Err(Error::invalid(format!(
                    "EC2 filter {:?} has no value",
                    f.name
                )));
            }
            let n = i + 1;
            self = self.param(format!("Filter.{n}.Name"), non_empty("Filter", &f.name)?);
            self = self.list(&format!("Filter.{n}.Value"), &f.values)?;
        }
        Ok(self)
    }

    /// `NextToken` and `MaxResults` (clamped to what the action accepts).
    fn page(mut self, token: Option<&str>, max: Option<usize>, limits: (usize, usize)) -> Self {
        if let Some(t) = token {
            self = self.param("NextToken", t);
        }
        match max {
            Some(m) => self.param("MaxResults", m.clamp(limits.0, limits.1).to_string()),
            None => self,
        }
    }

    /// Asks EC2 only to check the call (`DryRun=true`): permissions and parameters are
    /// checked, nothing is done. The answer is read with
    /// [`responses::dry_run_outcome`](super::responses::dry_run_outcome).
    pub fn dry_run(self) -> Self {
        self.param("DryRun", "true")
    }

    /// Whether [`dry_run`](Self::dry_run) was asked for.
    pub fn is_dry_run(&self) -> bool {
        self.params
            .iter()
            .any(|(k, v)| k == "DryRun" && v == "true")
    }

    /// The action (`DescribeInstances`); its answer's root is `{action}Response`.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// The parameters after `Action` and `Version`, decoded, in the order sent.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The form body: every name and value percent-encoded the SigV4 way.
    pub fn form(&self) -> String {
        let head = [("Action", self.action), ("Version", API_VERSION)];
        let rest = self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        head.into_iter()
            .chain(rest)
            .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn non_empty<'a>(what: &str, v: &'a str) -> Result<&'a str> {
    match v.is_empty() {
        true => Err(Error::invalid(format!("EC2 {what}: an empty value"))),
        false => Ok(v),
    }
}

/// Signs [`Call`]s for one configuration.
#[derive(Debug)]
pub struct Ec2Requests {
    cfg: Ec2Config,
    keys: sigv4::KeyCache,
    credentials: Arc<Cache>,
}

impl Ec2Requests {
    /// Requests signed with the configuration's static credentials (an empty cache when
    /// it has none: [`sign`](Self::sign) then fails until a provider fills it).
    pub fn new(cfg: Ec2Config) -> Self {
        let cache = match cfg.credentials.clone() {
            Some(c) => Cache::fixed(c),
            None => Cache::new(),
        };
        Self::with_credentials(cfg, Arc::new(cache))
    }

    /// Requests signed with what `credentials` holds when each is signed (a provider keeps
    /// it fresh).
    pub fn with_credentials(cfg: Ec2Config, credentials: Arc<Cache>) -> Self {
        let keys = sigv4::KeyCache::new();
        Ec2Requests {
            cfg,
            keys,
            credentials,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Ec2Config {
        &self.cfg
    }

    /// The request for `call`, signed at `now`. `Unauthorized` when there are no
    /// credentials to sign with.
    pub fn sign(&self, call: &Call, now: SystemTime) -> Result<Request> {
        let creds = self.credentials.credentials().ok_or_else(|| {
            Error::new(ErrorKind::Unauthorized, "no EC2 credentials to sign with")
                .with_provider(PROVIDER)
        })?;
        let body = call.form();
        let hash = sigv4::payload_sha256(body.as_bytes());
        let headers = vec![
            ("content-type".to_owned(), FORM.to_owned()),
            ("host".to_owned(), host_of(&self.cfg.endpoint)),
        ];
        let unsigned = Unsigned {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            payload_hash: &hash,
        };
        let scope = Scope {
            credentials: &creds,
            region: &self.cfg.region,
            service: "ec2",
            key_cache: Some(&self.keys),
        };
        let signed = sigv4::sign_headers(scope, &unsigned, now, SIGNING);
        let url = format!("{}/", self.cfg.endpoint.as_str().trim_end_matches('/'));
        let mut r = Request::new(Method::Post, url).header("content-type", FORM);
        r.headers.extend(signed.headers);
        r.body = body.into();
        r.idempotent = call.idempotent;
        Ok(r)
    }
}

/// `host[:port]` as the client will send it in `Host` (the default port left out).
fn host_of(u: &url::Url) -> String {
    let host = u.host_str().unwrap_or_default();
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// Whether `id` can be an EC2 id of this `kind` (`prefix` then 8 or 17 hex digits, as
/// EC2 makes them); `NotFound` when it cannot, so no request is spent on it.
pub fn check_id(kind: &str, prefix: &str, id: &str) -> Result<()> {
    let hex = id.strip_prefix(prefix).unwrap_or("");
    let digits = matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    match digits {
        true => Ok(()),
        false => Err(not_found(kind, id)),
    }
}

/// `NotFound`: no `kind` has this `id` (quoted at most 80 characters long).
pub fn not_found(kind: &str, id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no EC2 {kind} {id:.80?}")).with_provider(PROVIDER)
}

/// `PreconditionFailed`: the volume is attached to no instance, so there is nothing to
/// detach (as EC2's `IncorrectState` says of an available volume).
pub fn not_attached(volume: &str) -> Error {
    Error::new(
        ErrorKind::PreconditionFailed,
        format!("EC2 volume {volume:.80?} is not attached to an instance"),
    )
    .with_provider(PROVIDER)
}

/// The first of `/dev/sdf` to `/dev/sdp` not in `used` (AWS's advice for EBS volumes on
/// Linux); `PreconditionFailed` when all are taken.
pub fn free_device(used: &[String]) -> Result<String> {
    ('f'..='p')
        .map(|c| format!("/dev/sd{c}"))
        .find(|d| !used.contains(d))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::PreconditionFailed,
                "every device from /dev/sdf to /dev/sdp is in use on the instance",
            )
            .with_provider(PROVIDER)
        })
}

/// DescribeInstances: by ids, or by filters a page at a time (`MaxResults` 5 to 1000;
/// EC2 refuses it together with ids, so it is left out then). A page may hold fewer
/// instances than asked, or (moto, which counts whole reservations) more: callers go by
/// `nextToken`, never by the count.
pub fn describe_instances(
    ids: &[String],
    filters: &[Filter],
    token: Option<&str>,
    max: Option<usize>,
) -> Result<Call> {
    let max = if ids.is_empty() { max } else { None };
    let c = Call::new("DescribeInstances", true).list("InstanceId", ids)?;
    Ok(c.filters(filters)?.page(token, max, (5, 1000)))
}

/// RunInstances for one node. `client_token` (up to 64 ASCII characters, fresh per node)
/// makes the call idempotent: EC2 answers a repeat with the same instance, so it is safe
/// to retry (moto ignores the token and launches another). `extra` settings go out under their own names; one that clashes with a
/// parameter set here is `InvalidInput`.
pub fn run_instances(spec: &CreateNode, client_token: &str) -> Result<Call> {
    if client_token.is_empty() || client_token.len() > 64 || !client_token.is_ascii() {
        return Err(Error::invalid(
            "EC2 client token must be 1 to 64 ASCII characters",
        ));
    }
    let mut c = Call::new("RunInstances", true)
        .param("ImageId", non_empty("image", &spec.image)?)
        .param("InstanceType", non_empty("size", &spec.size)?)
        .param("MinCount", "1")
        .param("MaxCount", "1")
        .param("ClientToken", client_token);
    c = match spec.key_names.as_slice() {
        [] => c,
        [one] => c.param("KeyName", non_empty("key name", one)?),
        _ => return Err(Error::invalid("EC2 installs one key pair per instance")),
    };
    c = security_groups(c, &spec.security_groups)?;
    if let Some(data) = &spec.user_data {
        c = c.param(
            "UserData",
            base64::engine::general_purpose::STANDARD.encode(data),
        );
    }
    if let Some(zone) = &spec.location {
        c = c.param("Placement.AvailabilityZone", non_empty("location", zone)?);
    }
    c = tag_spec(c, 1, "instance", &node_tags(spec)?);
    with_extra(c, &spec.extra)
}

/// Group ids (`sg-…`) as `SecurityGroupId.N`, names as `SecurityGroup.N`.
fn security_groups(c: Call, groups: &[String]) -> Result<Call> {
    let (ids, names): (Vec<String>, Vec<String>) =
        groups.iter().cloned().partition(|g| g.starts_with("sg-"));
    c.list("SecurityGroupId", &ids)?
        .list("SecurityGroup", &names)
}

/// The tags of a new node: its name as `Name`, then the others. A `Name` tag that says
/// something else than the name is `InvalidInput`.
fn node_tags(spec: &CreateNode) -> Result<Vec<(String, String)>> {
    let mut tags: Vec<(String, String)> = Vec::new();
    if let Some(other) = spec.tags.get("Name").filter(|v| **v != spec.name) {
        if !spec.name.is_empty() {
            return Err(Error::invalid(format!(
                "EC2 node name {:?} and its Name tag {other:?} differ",
                spec.name
            )));
        }
    }
    if !spec.name.is_empty() {
        tags.push(("Name".into(), spec.name.clone()));
    }
    let rest = spec
        .tags
        .iter()
        .filter(|(k, _)| *k != "Name" || spec.name.is_empty());
    tags.extend(rest.map(|(k, v)| (k.clone(), v.clone())));
    check_tags(&tags)?;
    Ok(tags)
}

/// EC2's tag rules: at most 50, keys 1 to 128 characters not starting with `aws:`,
/// values up to 256.
fn check_tags(tags: &[(String, String)]) -> Result<()> {
    if tags.len() > 50 {
        return Err(Error::invalid("EC2 allows at most 50 tags per resource"));
    }
    for (k, v) in tags {
        let bad_key = k.is_empty() || k.chars().count() > 128 || k.starts_with("aws:");
        if bad_key || v.chars().count() > 256 {
            return Err(Error::invalid(format!(
                "EC2 tag {k:.140?}: keys are 1 to 128 characters not starting with aws:, \
                 values at most 256"
            )));
        }
    }
    Ok(())
}

/// `TagSpecification.{n}` for `resource`, when there are tags.
fn tag_spec(mut c: Call, n: usize, resource: &str, tags: &[(String, String)]) -> Call {
    if tags.is_empty() {
        return c;
    }
    let at = format!("TagSpecification.{n}");
    c = c.param(format!("{at}.ResourceType"), resource);
    for (i, (k, v)) in tags.iter().enumerate() {
        c = c.param(format!("{at}.Tag.{}.Key", i + 1), k.clone());
        c = c.param(format!("{at}.Tag.{}.Value", i + 1), v.clone());
    }
    c
}

fn with_extra(mut c: Call, extra: &std::collections::BTreeMap<String, String>) -> Result<Call> {
    for (k, v) in extra {
        let clash = matches!(k.as_str(), "Action" | "Version")
            || c.params
                .iter()
                .any(|(p, _)| p == k || p.starts_with(&format!("{k}.")));
        if k.is_empty() || clash {
            return Err(Error::invalid(format!(
                "EC2 setting {k:?} is empty or clashes with one the driver sets"
            )));
        }
        c = c.param(k.clone(), v.clone());
    }
    Ok(c)
}

fn instances(action: &'static str, ids: &[String]) -> Result<Call> {
    if ids.is_empty() {
        return Err(Error::invalid(format!("EC2 {action}: no instance id")));
    }
    Call::new(action, true).list("InstanceId", ids)
}

/// StartInstances.
pub fn start_instances(ids: &[String]) -> Result<Call> {
    instances("StartInstances", ids)
}

/// StopInstances.
pub fn stop_instances(ids: &[String]) -> Result<Call> {
    instances("StopInstances", ids)
}

/// RebootInstances.
pub fn reboot_instances(ids: &[String]) -> Result<Call> {
    instances("RebootInstances", ids)
}

/// TerminateInstances.
pub fn terminate_instances(ids: &[String]) -> Result<Call> {
    instances("TerminateInstances", ids)
}

/// DescribeInstanceTypes, by names or a page at a time (`MaxResults` 5 to 100).
pub fn describe_instance_types(
    types: &[String],
    filters: &[Filter],
    token: Option<&str>,
    max: Option<usize>,
) -> Result<Call> {
    let max = if types.is_empty() { max } else { None };
    let c = Call::new("DescribeInstanceTypes", true).list("InstanceType", types)?;
    Ok(c.filters(filters)?.page(token, max, (5, 100)))
}

/// DescribeImages: by owners (`self`, `amazon`, an account id), ids and filters, or a
/// page at a time (`MaxResults` 5 to 1000: an owner such as `amazon` has tens of
/// thousands of images, more than one answer should hold).
pub fn describe_images(
    owners: &[String],
    ids: &[String],
    filters: &[Filter],
    token: Option<&str>,
    max: Option<usize>,
) -> Result<Call> {
    let max = if ids.is_empty() { max } else { None };
    let c = Call::new("DescribeImages", true).list("Owner", owners)?;
    Ok(c.list("ImageId", ids)?
        .filters(filters)?
        .page(token, max, (5, 1000)))
}

/// DescribeRegions (`all`: those not opted in too).
pub fn describe_regions(all: bool) -> Call {
    let c = Call::new("DescribeRegions", true);
    match all {
        true => c.param("AllRegions", "true"),
        false => c,
    }
}

/// DescribeAvailabilityZones of the configured region.
pub fn describe_availability_zones(filters: &[Filter]) -> Result<Call> {
    Call::new("DescribeAvailabilityZones", true).filters(filters)
}

/// DescribeKeyPairs (all, or these names), with their public keys.
pub fn describe_key_pairs(names: &[String]) -> Result<Call> {
    let c = Call::new("DescribeKeyPairs", true).list("KeyName", names)?;
    Ok(c.param("IncludePublicKey", "true"))
}

/// CreateKeyPair: EC2 makes the key and sends the private key once. Not retried: a
/// repeat would find the name taken and the key lost.
pub fn create_key_pair(name: &str) -> Result<Call> {
    Ok(Call::new("CreateKeyPair", false).param("KeyName", non_empty("key name", name)?))
}

/// ImportKeyPair: `public_key` as an OpenSSH line (`ssh-ed25519 AAAA… comment`), sent
/// base64-encoded as the API wants.
pub fn import_key_pair(name: &str, public_key: &str) -> Result<Call> {
    let material = base64::engine::general_purpose::STANDARD.encode(public_key.trim());
    Ok(Call::new("ImportKeyPair", false)
        .param("KeyName", non_empty("key name", name)?)
        .param("PublicKeyMaterial", non_empty("public key", &material)?))
}

/// DeleteKeyPair by name.
pub fn delete_key_pair(name: &str) -> Result<Call> {
    Ok(Call::new("DeleteKeyPair", true).param("KeyName", non_empty("key name", name)?))
}

/// DescribeVolumes: by ids, or a page at a time (`MaxResults` 5 to 500).
pub fn describe_volumes(
    ids: &[String],
    filters: &[Filter],
    token: Option<&str>,
    max: Option<usize>,
) -> Result<Call> {
    let max = if ids.is_empty() { max } else { None };
    let c = Call::new("DescribeVolumes", true).list("VolumeId", ids)?;
    Ok(c.filters(filters)?.page(token, max, (5, 500)))
}

/// CreateVolume of `size_gib` in `zone`, named by a `Name` tag; `client_token` makes it
/// safe to retry (as for [`run_instances`]).
pub fn create_volume(size_gib: u64, zone: &str, name: &str, client_token: &str) -> Result<Call> {
    if size_gib == 0 {
        return Err(Error::invalid("EC2 volume size must be at least 1 GiB"));
    }
    let c = Call::new("CreateVolume", true)
        .param("Size", size_gib.to_string())
        .param("AvailabilityZone", non_empty("zone", zone)?)
        .param("ClientToken", non_empty("client token", client_token)?);
    let tags = match name.is_empty() {
        true => Vec::new(),
        false => vec![("Name".to_owned(), name.to_owned())],
    };
    check_tags(&tags)?;
    Ok(tag_spec(c, 1, "volume", &tags))
}

/// AttachVolume as `device` (`/dev/sdf`). Not retried: a repeat would fail as in use.
pub fn attach_volume(volume: &str, node: &str, device: &str) -> Result<Call> {
    Ok(Call::new("AttachVolume", false)
        .param("VolumeId", non_empty("volume id", volume)?)
        .param("InstanceId", non_empty("instance id", node)?)
        .param("Device", non_empty("device", device)?))
}

/// DetachVolume. The node is optional for EC2, but moto fails without it (HTTP 500), so
/// drivers pass it when they know it.
pub fn detach_volume(volume: &str, node: Option<&str>) -> Result<Call> {
    let c = Call::new("DetachVolume", false).param("VolumeId", non_empty("volume id", volume)?);
    match node {
        Some(n) => Ok(c.param("InstanceId", non_empty("instance id", n)?)),
        None => Ok(c),
    }
}

/// DeleteVolume.
pub fn delete_volume(volume: &str) -> Result<Call> {
    Ok(Call::new("DeleteVolume", true).param("VolumeId", non_empty("volume id", volume)?))
}

/// CreateSnapshot of a volume. Not retried (EC2 takes no client token here).
pub fn create_snapshot(volume: &str, description: Option<&str>) -> Result<Call> {
    let c = Call::new("CreateSnapshot", false).param("VolumeId", non_empty("volume id", volume)?);
    match description {
        Some(d) => Ok(c.param("Description", d)),
        None => Ok(c),
    }
}

/// DescribeSnapshots: by ids and owners (`self` for one's own; without owners EC2 lists
/// every public snapshot too), or a page at a time (`MaxResults` 5 to 1000).
pub fn describe_snapshots(
    ids: &[String],
    owners: &[String],
    token: Option<&str>,
    max: Option<usize>,
) -> Result<Call> {
    let max = if ids.is_empty() { max } else { None };
    let c = Call::new("DescribeSnapshots", true).list("SnapshotId", ids)?;
    Ok(c.list("Owner", owners)?.page(token, max, (5, 1000)))
}

/// DeleteSnapshot.
pub fn delete_snapshot(snapshot: &str) -> Result<Call> {
    Ok(Call::new("DeleteSnapshot", true).param("SnapshotId", non_empty("snapshot id", snapshot)?))
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
