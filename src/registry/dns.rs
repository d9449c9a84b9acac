//! Choosing a DNS provider at run time: [`DnsProvider`] and DNS URLs ([`DnsLocation`]).

use std::fmt;

use super::service_url;
use crate::error::{Error, Result};

/// A DNS provider multicloud knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DnsProvider {
    /// DNS in memory (`memory://`), for tests and examples.
    Memory,
    /// Amazon Route53 (`route53://`).
    Route53,
    /// DigitalOcean domains (`digitalocean://`).
    DigitalOcean,
    /// Cloudflare (`cloudflare://`).
    Cloudflare,
}

impl DnsProvider {
    /// The provider's short name, as errors report it and URLs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsProvider::Memory => "memory",
            DnsProvider::Route53 => "route53",
            DnsProvider::DigitalOcean => "digitalocean",
            DnsProvider::Cloudflare => "cloudflare",
        }
    }

    /// The provider named `name`; `InvalidInput` listing the known names otherwise.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "memory" => Ok(DnsProvider::Memory),
            "route53" => Ok(DnsProvider::Route53),
            "digitalocean" => Ok(DnsProvider::DigitalOcean),
            "cloudflare" => Ok(DnsProvider::Cloudflare),
            other => Err(Error::invalid(format!(
                "unknown DNS provider {other:.40?} (expected memory, route53, digitalocean \
                 or cloudflare)"
            ))),
        }
    }
}

impl fmt::Display for DnsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a DNS URL points: a provider and its options. DNS URLs name no host.
///
/// | URL | provider | options |
/// |---|---|---|
/// | `memory://` | Memory | none |
/// | `route53://?endpoint=http://127.0.0.1:5000&profile=work` | Route53 | endpoint, profile (credentials from the AWS chain) |
/// | `digitalocean://` | DigitalOcean | endpoint (token from `DIGITALOCEAN_TOKEN`) |
/// | `cloudflare://?account=ID` | Cloudflare | endpoint, account (token from `CLOUDFLARE_API_TOKEN`) |
///
/// Other keys are `InvalidInput` naming them; secrets are refused without echoing them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DnsLocation {
    /// The provider the scheme names.
    pub provider: DnsProvider,
    /// `endpoint=`: a custom API endpoint (an emulator's, a fake's).
    pub endpoint: Option<String>,
    /// `profile=`: the shared AWS files' profile (Route53).
    pub profile: Option<String>,
    /// `account=`: the account new zones belong to (Cloudflare).
    pub account: Option<String>,
}

impl DnsLocation {
    /// Parses a DNS URL (see the table above).
    pub fn parse(url: &str) -> Result<Self> {
        Self::parse_with(url, std::iter::empty::<(&str, &str)>())
    }

    /// [`parse`](Self::parse), then applies `options` (the query's keys) over the URL's.
    pub fn parse_with<K, V>(url: &str, options: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let u = service_url::parse(url, options, "DNS")?;
        if u.host.is_some() {
            return Err(Error::invalid(format!(
                "{}: DNS URLs name no host",
                u.shown
            )));
        }
        let mut l = DnsLocation {
            provider: DnsProvider::from_name(&u.scheme)?,
            endpoint: None,
            profile: None,
            account: None,
        };
        for (k, v) in u.options {
            l.set(&k, &v)
                .map_err(|e| Error::invalid(format!("{}: {}", u.shown, e.message())))?;
        }
        Ok(l)
    }

    /// Sets one option. Errors name the key, never the value.
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        use DnsProvider::{Cloudflare, DigitalOcean, Route53};
        let slot = match (self.provider, key) {
            (Route53 | DigitalOcean | Cloudflare, "endpoint") => &mut self.endpoint,
            (Route53, "profile") => &mut self.profile,
            (Cloudflare, "account") => &mut self.account,
            (p, _) => {
                return Err(Error::invalid(format!(
                    "unknown option {key:?} for {p} DNS (accepted: {})",
                    accepted(p)
                )));
            }
        };
        *slot = Some(service_url::value(key, value)?);
        Ok(())
    }
}

fn accepted(p: DnsProvider) -> &'static str {
    match p {
        DnsProvider::Memory => "none",
        DnsProvider::Route53 => "endpoint, profile",
        DnsProvider::DigitalOcean => "endpoint",
        DnsProvider::Cloudflare => "endpoint, account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn dns_urls_name_the_provider_and_its_options() {
        let r = DnsLocation::parse("route53://?endpoint=http://127.0.0.1:5000&profile=w").unwrap();
        assert_eq!(r.provider, DnsProvider::Route53);
        assert_eq!(r.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(r.profile.as_deref(), Some("w"));
        let c = DnsLocation::parse_with("cloudflare://", [("account", "abc")]).unwrap();
        assert_eq!(c.account.as_deref(), Some("abc"));
        assert_eq!(
            DnsLocation::parse("memory://").unwrap().provider,
            DnsProvider::Memory
        );
        for bad in [
            "bind://x",
            "route53://host",
            "route53://?token=HUNTER2",
            "cloudflare://?api_token=x&token=HUNTER2",
            "digitalocean://?profile=x",
            "memory://?endpoint=x",
            "route53://AK:HUNTER2@",
            "route53:///path",
        ] {
            let e = DnsLocation::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
            assert!(!format!("{e} {e:?}").contains("HUNTER2"), "{bad}: {e}");
        }
    }
}
