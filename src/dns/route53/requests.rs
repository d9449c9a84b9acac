//! Building Route53 REST requests (API 2013-04-01): paths under `/2013-04-01/`, query
//! parameters for listings, XML bodies for creations and change batches, signed with SigV4
//! (service `route53`). Pure: the clock is an argument. A [`Call`] is built first
//! (checked, inspectable), then [`Route53Requests::sign`] turns it into the request sent;
//! the body is encoded once and those bytes are signed.

use std::sync::Arc;
use std::time::SystemTime;

use quick_xml::escape::escape;

use super::responses::tree::Element;
use super::{API_VERSION, PROVIDER, Route53Config};
use crate::aws::Cache;
use crate::dns::NewZone;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request};
use crate::signing::sigv4::{self, Options, Scope, Unsigned};

/// Route53's XML namespace.
pub const XMLNS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// The most record sets one ListResourceRecordSets answers with.
pub const MAX_RRSETS: usize = 300;

/// The most zones one ListHostedZones answers with.
pub const MAX_ZONES: usize = 100;

/// How Route53 wants its requests signed: normalised path, signed token, no
/// `x-amz-content-sha256` header.
const SIGNING: Options = Options {
    normalize_path: true,
    sign_session_token: true,
    content_sha256_header: false,
};

/// One Route53 call before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// What it does (`ListHostedZones`), for errors; its answer's root is `{action}Response`.
    pub action: &'static str,
    /// The method.
    pub method: Method,
    /// The path, decoded (`/2013-04-01/hostedzone/Z1`).
    pub path: String,
    /// The query pairs, decoded, in the order sent.
    pub query: Vec<(String, String)>,
    /// The XML body (empty for GET and DELETE).
    pub body: String,
}

impl Call {
    fn new(action: &'static str, method: Method, path: String) -> Self {
        Call {
            action,
            method,
            path: format!("/{API_VERSION}/{path}"),
            query: Vec::new(),
            body: String::new(),
        }
    }

    fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }
}

/// A record set as it is sent: absolute name (no final dot), type, TTL, values in
/// presentation format. Sets read from Route53 keep their element, so a DELETE echoes
/// exactly what Route53 holds (alias and routing-policy fields included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSet {
    /// The absolute name, lowercase, without the final dot (`www.example.com`).
    pub name: String,
    /// The type's mnemonic (`A`).
    pub rtype: String,
    /// The TTL (absent on alias sets).
    pub ttl: Option<u32>,
    /// The values.
    pub values: Vec<String>,
    /// The `SetIdentifier` of routing-policy sets.
    pub identifier: Option<String>,
    /// The element as Route53 sent it, when it was read from an answer.
    pub(crate) element: Option<Element>,
}

impl RecordSet {
    /// A simple set (no alias, no routing policy).
    pub fn new(name: impl Into<String>, rtype: impl Into<String>, ttl: u32) -> Self {
        RecordSet {
            name: name.into(),
            rtype: rtype.into(),
            ttl: Some(ttl),
            values: Vec::new(),
            identifier: None,
            element: None,
        }
    }

    /// Whether it is an alias or routing-policy set (which this driver reads, never edits).
    pub fn is_special(&self) -> bool {
        self.identifier.is_some() || self.ttl.is_none()
    }

    fn xml(&self) -> String {
        if let Some(e) = &self.element {
            return element_xml(e);
        }
        let values: String = self
            .values
            .iter()
            .map(|v| {
                format!(
                    "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                    escape(v)
                )
            })
            .collect();
        format!(
            "<ResourceRecordSet><Name>{}.</Name><Type>{}</Type><TTL>{}</TTL>\
             <ResourceRecords>{values}</ResourceRecords></ResourceRecordSet>",
            escape(&self.name),
            escape(&self.rtype),
            self.ttl.unwrap_or(super::DEFAULT_TTL)
        )
    }
}

/// An element back as XML (its leaves' text escaped).
fn element_xml(e: &Element) -> String {
    let inner: String = match e.children.is_empty() {
        true => escape(&e.text).into_owned(),
        false => e.children.iter().map(element_xml).collect(),
    };
    format!("<{0}>{inner}</{0}>", e.name)
}

/// What a change does to its set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create it (Route53 refuses when it exists).
    Create,
    /// Create or replace it.
    Upsert,
    /// Delete it (Route53 refuses unless it matches exactly).
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Create => "CREATE",
            Action::Upsert => "UPSERT",
            Action::Delete => "DELETE",
        }
    }
}

/// `ListHostedZones`, after `marker`.
pub fn list_hosted_zones(marker: Option<&str>, max: usize) -> Result<Call> {
    let mut c = Call::new("ListHostedZones", Method::Get, "hostedzone".into());
    if let Some(m) = marker {
        c = c.query("marker", check_id("zone", m)?);
    }
    Ok(c.query("maxitems", max.clamp(1, MAX_ZONES).to_string()))
}

/// `ListHostedZonesByName` from `domain` on (the zones sorted by reversed labels).
pub fn list_hosted_zones_by_name(domain: &str, max: usize) -> Call {
    Call::new(
        "ListHostedZonesByName",
        Method::Get,
        "hostedzonesbyname".into(),
    )
    .query("dnsname", format!("{domain}."))
    .query("maxitems", max.clamp(1, MAX_ZONES).to_string())
}

/// `GetHostedZone`.
pub fn get_hosted_zone(id: &str) -> Result<Call> {
    let path = format!("hostedzone/{}", check_id("zone", id)?);
    Ok(Call::new("GetHostedZone", Method::Get, path))
}

/// `DeleteHostedZone`.
pub fn delete_hosted_zone(id: &str) -> Result<Call> {
    let path = format!("hostedzone/{}", check_id("zone", id)?);
    Ok(Call::new("DeleteHostedZone", Method::Delete, path))
}

/// `CreateHostedZone` for `zone` (its domain checked), with `caller_reference` (a
/// retried create is then recognised by Route53). Extras: `comment`; `private_vpc` with
/// `vpc_region` make a private zone.
pub fn create_hosted_zone(zone: &NewZone, caller_reference: &str) -> Result<Call> {
    let domain = crate::dns::names::domain(&zone.domain)?;
    let extra = |k: &str| zone.extra.get(k).map(|v| escape(v.as_str()).into_owned());
    let vpc = match (extra("private_vpc"), extra("vpc_region")) {
        (Some(id), Some(region)) => {
            format!("<VPC><VPCRegion>{region}</VPCRegion><VPCId>{id}</VPCId></VPC>")
        }
        (None, None) => String::new(),
        _ => return Err(Error::invalid("private_vpc and vpc_region go together")),
    };
    let comment = extra("comment").unwrap_or_default();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <CreateHostedZoneRequest xmlns=\"{XMLNS}\"><Name>{domain}.</Name>{vpc}\
         <CallerReference>{}</CallerReference>\
         <HostedZoneConfig><Comment>{comment}</Comment></HostedZoneConfig>\
         </CreateHostedZoneRequest>",
        escape(caller_reference)
    );
    let mut c = Call::new("CreateHostedZone", Method::Post, "hostedzone".into());
    c.body = body;
    Ok(c)
}

/// Where a record-set listing starts: name (absolute, no final dot), type, identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The first name.
    pub name: String,
    /// The first type at that name.
    pub rtype: Option<String>,
    /// The first set identifier at that name and type.
    pub identifier: Option<String>,
}

/// `ListResourceRecordSets` of zone `id` from `start` on, at most `max` sets.
pub fn list_record_sets(id: &str, start: Option<&Start>, max: usize) -> Result<Call> {
    let path = format!("hostedzone/{}/rrset", check_id("zone", id)?);
    let mut c = Call::new("ListResourceRecordSets", Method::Get, path);
    if let Some(s) = start {
        c = c.query("name", format!("{}.", s.name));
        if let Some(t) = &s.rtype {
            c = c.query("type", t.as_str());
        }
        if let Some(i) = &s.identifier {
            c = c.query("identifier", i.as_str());
        }
    }
    Ok(c.query("maxitems", max.clamp(1, MAX_RRSETS).to_string()))
}

/// `ChangeResourceRecordSets` of zone `id`: the changes, applied together or not at all.
pub fn change_record_sets(id: &str, changes: &[(Action, RecordSet)]) -> Result<Call> {
    let path = format!("hostedzone/{}/rrset/", check_id("zone", id)?);
    if changes.is_empty() {
        return Err(Error::invalid("a Route53 change batch needs a change"));
    }
    let body: String = changes
        .iter()
        .map(|(a, s)| {
            format!(
                "<Change><Action>{}</Action>{}</Change>",
                a.as_str(),
                s.xml()
            )
        })
        .collect();
    let mut c = Call::new("ChangeResourceRecordSets", Method::Post, path);
    c.body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <ChangeResourceRecordSetsRequest xmlns=\"{XMLNS}\"><ChangeBatch><Changes>{body}\
         </Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
    );
    Ok(c)
}

/// `GetChange`.
pub fn get_change(id: &str) -> Result<Call> {
    let path = format!("change/{}", check_id("change", id)?);
    Ok(Call::new("GetChange", Method::Get, path))
}

/// `id` (a zone's `Z…`, a change's `C…`; a `/hostedzone/` or `/change/` prefix is
/// dropped) when it can be Route53's: 1 to 64 letters and digits. Any other is `NotFound`
/// without a request.
pub fn check_id<'a>(kind: &str, id: &'a str) -> Result<&'a str> {
    let bare = id.rsplit('/').next().unwrap_or(id);
    let ok = (1..=64).contains(&bare.len()) && bare.bytes().all(|b| b.is_ascii_alphanumeric());
    match ok
        && (id == bare || id == format!("/hostedzone/{bare}") || id == format!("/change/{bare}"))
    {
        true => Ok(bare),
        false => Err(not_found(kind, id)),
    }
}

/// `NotFound`: no `kind` has this `id` (quoted at most 80 characters long).
pub fn not_found(kind: &str, id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no Route53 {kind} {id:.80?}")).with_provider(PROVIDER)
}

/// Signs [`Call`]s for one configuration.
#[derive(Debug)]
pub struct Route53Requests {
    cfg: Route53Config,
    keys: sigv4::KeyCache,
    credentials: Arc<Cache>,
}

impl Route53Requests {
    /// Requests signed with the configuration's static credentials (an empty cache when
    /// it has none: [`sign`](Self::sign) then fails until a provider fills it).
    pub fn new(cfg: Route53Config) -> Self {
        let cache = match cfg.credentials.clone() {
            Some(c) => Cache::fixed(c),
            None => Cache::new(),
        };
        Self::with_credentials(cfg, Arc::new(cache))
    }

    /// Requests signed with what `credentials` holds when each is signed.
    pub fn with_credentials(cfg: Route53Config, credentials: Arc<Cache>) -> Self {
        Route53Requests {
            cfg,
            keys: sigv4::KeyCache::new(),
            credentials,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Route53Config {
        &self.cfg
    }

    /// The request for `call`, signed at `now`. `Unauthorized` when there are no
    /// credentials to sign with.
    pub fn sign(&self, call: &Call, now: SystemTime) -> Result<Request> {
        let creds = self.credentials.credentials().ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthorized,
                "no Route53 credentials to sign with",
            )
            .with_provider(PROVIDER)
        })?;
        let hash = sigv4::payload_sha256(call.body.as_bytes());
        let mut headers = vec![("host".to_owned(), host_of(&self.cfg.endpoint))];
        if !call.body.is_empty() {
            headers.push(("content-type".to_owned(), "application/xml".to_owned()));
        }
        let unsigned = Unsigned {
            method: call.method.as_str(),
            path: &call.path,
            query: &call.query,
            headers: &headers,
            payload_hash: &hash,
        };
        let scope = Scope {
            credentials: &creds,
            region: &self.cfg.region,
            service: "route53",
            key_cache: Some(&self.keys),
        };
        let signed = sigv4::sign_headers(scope, &unsigned, now, SIGNING);
        let mut r = Request::new(call.method, self.url(call));
        if !call.body.is_empty() {
            r = r.header("content-type", "application/xml");
        }
        r.headers.extend(signed.headers);
        r.body = call.body.clone().into();
        r.idempotent = call.method.is_idempotent();
        Ok(r)
    }

    fn url(&self, call: &Call) -> String {
        let base = self.cfg.endpoint.as_str().trim_end_matches('/');
        let query: Vec<String> = call
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
            .collect();
        match query.is_empty() {
            true => format!("{base}{}", sigv4::encode_path(&call.path)),
            false => format!(
                "{base}{}?{}",
                sigv4::encode_path(&call.path),
                query.join("&")
            ),
        }
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
