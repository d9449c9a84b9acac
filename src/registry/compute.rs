//! Choosing a compute provider at run time: [`ComputeProvider`] and compute URLs
//! ([`ComputeLocation`]), as storage has [`Provider`](super::Provider) and
//! [`Location`](super::Location).

use std::fmt;

use super::service_url;
use crate::error::{Error, Result};

/// A compute provider multicloud knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ComputeProvider {
    /// The in-memory cloud (`memory://`), for tests and examples.
    Memory,
    /// Amazon EC2, one region per driver (`ec2://REGION`).
    Ec2,
    /// DigitalOcean (`digitalocean://[REGION]`; the region is where nodes and volumes
    /// are created when a call names none).
    DigitalOcean,
}

impl ComputeProvider {
    /// The provider's short name, as errors report it and URLs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ComputeProvider::Memory => "memory",
            ComputeProvider::Ec2 => "ec2",
            ComputeProvider::DigitalOcean => "digitalocean",
        }
    }

    /// The provider named `name` (`memory`, `ec2`, `digitalocean`); `InvalidInput`
    /// listing the known names otherwise.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "memory" => Ok(ComputeProvider::Memory),
            "ec2" => Ok(ComputeProvider::Ec2),
            "digitalocean" => Ok(ComputeProvider::DigitalOcean),
            other => Err(Error::invalid(format!(
                "unknown compute provider {other:.40?} (expected memory, ec2 or digitalocean)"
            ))),
        }
    }
}

impl fmt::Display for ComputeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a compute URL points: a provider and its options.
///
/// | URL | provider | options |
/// |---|---|---|
/// | `memory://` | Memory | none |
/// | `ec2://eu-west-1` | Ec2 | region `eu-west-1` (without a host: from the environment) |
/// | `ec2://us-east-1?endpoint=http://127.0.0.1:5000&profile=work` | Ec2 (moto) | region, endpoint, profile |
/// | `digitalocean://` | DigitalOcean | none (the token from `DIGITALOCEAN_TOKEN`) |
/// | `digitalocean://nyc3?endpoint=http://127.0.0.1:8080` | DigitalOcean (a fake) | default region `nyc3`, endpoint |
///
/// Other query keys are `InvalidInput` naming them; secrets (`token`, `secret_access_key`,
/// a user or password in the URL...) are refused without echoing them: credentials come
/// from the environment or the driver's configuration, never from URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComputeLocation {
    /// The provider the scheme names.
    pub provider: ComputeProvider,
    /// The region (`ec2://REGION`, `digitalocean://REGION` or `region=`): EC2's region,
    /// DigitalOcean's default region for new nodes and volumes.
    pub region: Option<String>,
    /// `endpoint=`: a custom API endpoint (an emulator's, a fake's).
    pub endpoint: Option<String>,
    /// `profile=`: the shared AWS files' profile, EC2 only.
    pub profile: Option<String>,
}

impl ComputeLocation {
    /// Parses a compute URL (see the table above).
    pub fn parse(url: &str) -> Result<Self> {
        Self::parse_with(url, std::iter::empty::<(&str, &str)>())
    }

    /// [`parse`](Self::parse), then applies `options` (the query's keys) over the URL's:
    /// `parse_with("ec2://", [("region", region)])` for one driver per region.
    pub fn parse_with<K, V>(url: &str, options: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let u = service_url::parse(url, options, "compute")?;
        let mut l = ComputeLocation {
            provider: ComputeProvider::from_name(&u.scheme)?,
            region: None,
            endpoint: None,
            profile: None,
        };
        let host = u.host.iter().map(|h| ("region".to_owned(), h.clone()));
        for (k, v) in host.chain(u.options) {
            l.set(&k, &v)
                .map_err(|e| Error::invalid(format!("{}: {}", u.shown, e.message())))?;
        }
        Ok(l)
    }

    /// Sets one option (a host is the `region`). Errors name the key, never the value.
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        use ComputeProvider::{DigitalOcean, Ec2};
        let slot = match (self.provider, key) {
            (Ec2 | DigitalOcean, "region") => &mut self.region,
            (Ec2, "profile") => &mut self.profile,
            (Ec2 | DigitalOcean, "endpoint") => &mut self.endpoint,
            (p, _) => {
                return Err(Error::invalid(format!(
                    "unknown option {key:?} for {p} compute (accepted: {})",
                    accepted(p)
                )));
            }
        };
        *slot = Some(service_url::value(key, value)?);
        Ok(())
    }
}

fn accepted(p: ComputeProvider) -> &'static str {
    match p {
        ComputeProvider::Memory => "none (memory URLs name no host)",
        ComputeProvider::Ec2 => "region, endpoint, profile",
        ComputeProvider::DigitalOcean => "region, endpoint",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn parses_each_scheme_and_the_callers_options() {
        let m = ComputeLocation::parse("memory://").unwrap();
        assert_eq!((m.provider, m.region), (ComputeProvider::Memory, None));
        let e = ComputeLocation::parse("ec2://eu-west-1?profile=work").unwrap();
        assert_eq!(e.provider, ComputeProvider::Ec2);
        assert_eq!(e.region.as_deref(), Some("eu-west-1"));
        assert_eq!(e.profile.as_deref(), Some("work"));
        let moto = "ec2://?endpoint=http%3A%2F%2F127.0.0.1%3A5000";
        let e = ComputeLocation::parse_with(moto, [("region", "ap-south-1")]).unwrap();
        assert_eq!(e.region.as_deref(), Some("ap-south-1"));
        assert_eq!(e.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        let d = ComputeLocation::parse("digitalocean://ams3?endpoint=http://127.0.0.1:1").unwrap();
        assert_eq!(d.provider, ComputeProvider::DigitalOcean);
        assert_eq!(d.region.as_deref(), Some("ams3"));
        assert_eq!(d.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(
            ComputeProvider::from_name("ec2").unwrap(),
            ComputeProvider::Ec2
        );
    }

    #[test]
    fn refuses_bad_urls_without_echoing_secrets() {
        for bad in [
            "gce://x",
            "not a url",
            "ec2://eu-west-1/path",
            "ec2://eu-west-1?regoin=x",
            "ec2://?region=",
            "ec2://eu-west-1?secret_access_key=HUNTER2",
            "ec2://AKID:HUNTER2@eu-west-1",
            "digitalocean://?token=HUNTER2",
            "digitalocean://?profile=work",
            "memory://?endpoint=x",
            "memory://somewhere",
        ] {
            let e = ComputeLocation::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
            assert!(!format!("{e} {e:?}").contains("HUNTER2"), "{bad}: {e}");
        }
    }
}
