//! Which proxy a request goes through: one pure decision both modes act on (each client's
//! own environment handling is turned off, so blocking and async agree).
//!
//! Variables, read once when a client is built: `https_proxy`/`HTTPS_PROXY` for `https`
//! URLs, `http_proxy`/`HTTP_PROXY` for `http` URLs, `all_proxy`/`ALL_PROXY` for either when
//! its own is unset, and `no_proxy`/`NO_PROXY` (see [`NoProxy`]). The lowercase spelling
//! wins; an empty value counts as unset. Under CGI (`REQUEST_METHOD` set) the uppercase
//! `HTTP_PROXY` is ignored, since a request's `Proxy:` header arrives as that variable. Loopback addresses are not exempt unless
//! `NO_PROXY` says so, as in curl.

use std::ffi::OsString;
use std::fmt;
use std::net::IpAddr;

use crate::error::{Error, Result};

/// A proxy's URL (`http://[user:password@]host:port`). `Debug` and `Display` hide the
/// password; errors never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(url::Url);

impl ProxyUrl {
    /// Parses a proxy URL; without a scheme, `http://` is assumed (`proxy:3128`). Only
    /// `http` and `https` proxies are supported (`Unsupported` for others, such as SOCKS).
    pub fn parse(text: &str) -> Result<Self> {
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let url = url::Url::parse(&with_scheme)
            .map_err(|e| Error::invalid(format!("proxy URL is not valid: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::new(
                crate::ErrorKind::Unsupported,
                format!(
                    "{} proxies are not supported (http and https only)",
                    url.scheme()
                ),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid("proxy URL has no host"));
        }
        Ok(ProxyUrl(url))
    }

    /// The URL, credentials included: for the transport only, never for display.
    pub fn expose(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

/// Hosts reached directly. A comma-separated list (`NO_PROXY` syntax): `*` (every host),
/// a domain (`example.com` or `.example.com`: it and every sub-domain), an IP address
/// (`10.1.2.3`, `::1` or `[::1]`), a network (`10.0.0.0/8`), any of these with `:port` to
/// match that port only. Names compare case-insensitively, a trailing dot ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy(Vec<Rule>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    All,
    Domain(String, Option<u16>),
    Ip(IpAddr, Option<u16>),
    Net(IpAddr, u8),
}

impl NoProxy {
    /// Parses a list; entries that fit no form are ignored (as every client does).
    pub fn parse(list: &str) -> Self {
        NoProxy(
            list.split(',')
                .filter_map(|e| parse_rule(e.trim()))
                .collect(),
        )
    }

    /// Whether a request to `host:port` goes direct.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.0.iter().any(|r| match r {
            Rule::All => true,
            Rule::Domain(d, p) => port_ok(*p, port) && domain_matches(&host, d),
            Rule::Ip(a, p) => port_ok(*p, port) && ip == Some(*a),
            Rule::Net(net, bits) => ip.is_some_and(|a| in_network(a, *net, *bits)),
        })
    }
}

fn parse_rule(entry: &str) -> Option<Rule> {
    if entry.is_empty() {
        return None;
    }
    if entry == "*" {
        return Some(Rule::All);
    }
    if let Some((net, bits)) = entry.split_once('/') {
        let net: IpAddr = net.trim_matches(['[', ']']).parse().ok()?;
        let bits: u8 = bits.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        return (bits <= max).then_some(Rule::Net(net, bits));
    }
    if let Ok(ip) = entry.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Some(Rule::Ip(ip, None));
    }
    let (host, port) = split_port(entry);
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Some(Rule::Ip(ip, port));
    }
    let name = host.trim_start_matches("*.").trim_start_matches('.');
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(Rule::Domain(name, port))
}

/// `host:port` into its parts (`[v6]:port` too); no or a bad port leaves it whole.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && (!h.contains(':') || h.ends_with(']')) => {
            match p.parse() {
                Ok(port) => (h, Some(port)),
                Err(_) => (entry, None),
            }
        }
        _ => (entry, None),
    }
}

fn port_ok(rule: Option<u16>, port: u16) -> bool {
    rule.is_none_or(|p| p == port)
}

fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

fn in_network(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The proxies in force: one per URL scheme, and the hosts that go direct.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Proxies {
    /// For `http://` URLs.
    pub http: Option<ProxyUrl>,
    /// For `https://` URLs (tunnelled with `CONNECT`).
    pub https: Option<ProxyUrl>,
    /// Hosts reached directly.
    pub no_proxy: NoProxy,
}

impl Proxies {
    /// One proxy for every URL, but the `no_proxy` hosts.
    pub fn all(proxy: ProxyUrl, no_proxy: NoProxy) -> Self {
        Proxies {
            http: Some(proxy.clone()),
            https: Some(proxy),
            no_proxy,
        }
    }

    /// The proxies the variables name, read through `var` (the process environment in
    /// clients: `|name| std::env::var_os(name)`). A variable that is not UTF-8 or not a
    /// proxy URL is `InvalidInput` naming the variable, never its value.
    pub fn from_env_with(var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        let cgi = var("REQUEST_METHOD").is_some();
        let text = |name: &str| -> Result<Option<String>> {
            for n in [name.to_ascii_lowercase(), name.to_owned()] {
                if cgi && n == "HTTP_PROXY" {
                    continue;
                }
                match var(&n).filter(|v| !v.is_empty()) {
                    None => continue,
                    Some(v) => {
                        return v.into_string().map(Some).map_err(|_| {
                            Error::invalid(format!("environment variable {n} is not valid UTF-8"))
                        });
                    }
                }
            }
            Ok(None)
        };
        let proxy = |name: &str| -> Result<Option<ProxyUrl>> {
            text(name)?
                .map(|v| {
                    ProxyUrl::parse(&v)
                        .map_err(|e| Error::new(e.kind(), format!("{name}: {}", e.message())))
                })
                .transpose()
        };
        let all = proxy("ALL_PROXY")?;
        Ok(Proxies {
            http: proxy("HTTP_PROXY")?.or_else(|| all.clone()),
            https: proxy("HTTPS_PROXY")?.or(all),
            no_proxy: NoProxy::parse(&text("NO_PROXY")?.unwrap_or_default()),
        })
    }

    /// The proxy a request to `url` goes through, `None` for a direct connection (no
    /// proxy for its scheme, a `no_proxy` host, or a URL that does not parse: the
    /// transport then fails on it as it would without a proxy).
    pub fn for_url(&self, url: &str) -> Option<&ProxyUrl> {
        let url = url::Url::parse(url).ok()?;
        let proxy = match url.scheme() {
            "https" => self.https.as_ref()?,
            "http" => self.http.as_ref()?,
            _ => return None,
        };
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        (!self.no_proxy.matches(host, port)).then_some(proxy)
    }

    /// Whether any request can go through a proxy.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }
}

/// Where a transport takes its proxies from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyChoice {
    /// The variables (see the module's documentation), read when the client is built.
    #[default]
    Environment,
    /// Direct connections only, whatever the environment says.
    Direct,
    /// These proxies, whatever the environment says.
    Explicit(Proxies),
}

impl ProxyChoice {
    /// The proxies in force, reading the environment through `var` for `Environment`.
    pub fn resolve_with(&self, var: impl Fn(&str) -> Option<OsString>) -> Result<Proxies> {
        match self {
            ProxyChoice::Environment => Proxies::from_env_with(var),
            ProxyChoice::Direct => Ok(Proxies::default()),
            ProxyChoice::Explicit(p) => Ok(p.clone()),
        }
    }

    /// [`resolve_with`](Self::resolve_with) over the process environment.
    pub fn resolve(&self) -> Result<Proxies> {
        self.resolve_with(|name| std::env::var_os(name))
    }
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
