//! The settings every AWS service's configuration (S3, EC2, and the services to come)
//! takes from the environment and the shared files: region, endpoint, credentials. One
//! resolver, so `from_env` means the same for every AWS driver; only the service's own
//! endpoint variable (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_EC2`) differs.

use std::ffi::OsString;

use super::{Source, chain};
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::storage::s3::profile::SharedFiles;

/// Region, endpoint and credentials as a builder holds them before `build`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AwsSettings {
    /// The region, if set or found.
    pub region: Option<String>,
    /// The endpoint, if set or found.
    pub endpoint: Option<String>,
    /// Static credentials, if set or found.
    pub credentials: Option<Credentials>,
    /// Where temporary credentials come from, if set or found.
    pub credential_source: Option<Source>,
    /// The shared files' profile to read (instead of `AWS_PROFILE`).
    pub profile: Option<String>,
    /// Whether instance metadata is the chain's last source.
    pub instance_metadata: bool,
    /// Where [`fill_from_env`](Self::fill_from_env) looked for credentials, for the error
    /// when it found none.
    pub looked_in: Option<String>,
}

impl AwsSettings {
    /// Whether no credentials (static or a source) are set yet.
    pub fn wants_credentials(&self) -> bool {
        self.credentials.is_none() && self.credential_source.is_none()
    }

    /// Fills what is not set yet, in the chain's order ([`chain`]): the region from
    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile; the endpoint from
    /// `endpoint_var`, `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`; and, when
    /// `credentials` is true, credentials from the environment's keys, web identity, the
    /// profile, the container, then instance metadata if opted in.
    pub fn fill_from_env(
        &mut self,
        var: &impl Fn(&str) -> Option<OsString>,
        endpoint_var: &str,
        credentials: bool,
    ) -> Result<()> {
        let text = |name: &str| chain::text_var(var, name);
        if self.region.is_none() {
            self.region = first_of(text("AWS_REGION")?, || text("AWS_DEFAULT_REGION"))?;
        }
        if self.endpoint.is_none() {
            self.endpoint = first_of(text(endpoint_var)?, || text("AWS_ENDPOINT_URL"))?;
        }
        if credentials && self.wants_credentials() {
            self.credentials = chain::env_credentials(var)?;
        }
        let profile = match self.profile.clone() {
            Some(p) => Some(p),
            None => text("AWS_PROFILE")?,
        };
        let files = SharedFiles::locate(var, profile)?;
        self.looked_in = Some(format!(
            "{}, web identity, container and instance-metadata variables",
            files.describe()
        ));
        self.apply_shared_files(&files);
        if credentials {
            self.chain_sources(var, &files)?;
        }
        Ok(())
    }

    /// Takes region and endpoint from the profile.
    fn apply_shared_files(&mut self, files: &SharedFiles) {
        let Some((_, section)) = files.config() else {
            return;
        };
        if self.region.is_none() {
            self.region = section.get("region").cloned();
        }
        if self.endpoint.is_none() {
            self.endpoint = section.get("endpoint_url").cloned();
        }
    }

    /// Web identity, the profile's sources, then container and instance metadata.
    fn chain_sources(
        &mut self,
        var: &impl Fn(&str) -> Option<OsString>,
        files: &SharedFiles,
    ) -> Result<()> {
        let region = self.region.clone().unwrap_or_else(|| "us-east-1".into());
        if self.wants_credentials() {
            self.credential_source = chain::web_identity_env(var, &region)?;
        }
        if self.wants_credentials() {
            match chain::profile_source(files, var, &region)? {
                Some(Source::Static(c)) => self.credentials = Some(c),
                other => self.credential_source = other,
            }
        }
        if self.wants_credentials() {
            let opts = chain::ChainOptions::default().instance_metadata(self.instance_metadata);
            self.credential_source = chain::after_profile(var, &opts)?;
        }
        Ok(())
    }
}

/// What a service's `build` needs once the settings are checked.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub region: String,
    pub endpoint: url::Url,
    pub credentials: Option<Credentials>,
    pub credential_source: Option<Source>,
}

impl AwsSettings {
    /// The settings checked for a service whose requests all go to the endpoint's root
    /// (EC2's Query API, Route53's REST paths): credentials found (instance metadata last
    /// when opted in), a valid region (`us-east-1` by default), a bare `http(s)://host[:port]`
    /// endpoint (`default_endpoint(region)` when none is set). `service` names it in
    /// errors, which never quote the endpoint's text.
    pub(crate) fn resolve(
        mut self,
        service: &str,
        default_endpoint: impl FnOnce(&str) -> String,
    ) -> Result<Resolved> {
        if self.wants_credentials() && self.instance_metadata {
            self.credential_source = chain::instance_metadata_env(&|_: &str| None, true)?;
        }
        if self.wants_credentials() {
            let looked = self
                .looked_in
                .as_deref()
                .unwrap_or("explicit settings only");
            let what = format!("no {service} credentials found (looked in {looked})");
            return Err(Error::invalid(what));
        }
        let region = self.region.unwrap_or_else(|| "us-east-1".to_owned());
        check_region(service, &region)?;
        let endpoint = self.endpoint.unwrap_or_else(|| default_endpoint(&region));
        Ok(Resolved {
            endpoint: bare_endpoint(service, &endpoint)?,
            region,
            credentials: self.credentials,
            credential_source: self.credential_source,
        })
    }
}

/// `InvalidInput` unless `region` is letters, digits and `-`.
pub(crate) fn check_region(service: &str, region: &str) -> Result<()> {
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match ok {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "{service} region {region:.64?} is not valid"
        ))),
    }
}

/// `http(s)://host[:port]` and nothing else. Errors never quote the text: it may hold a
/// password or a token.
pub(crate) fn bare_endpoint(service: &str, text: &str) -> Result<url::Url> {
    let mut u = url::Url::parse(text)
        .map_err(|e| Error::invalid(format!("{service} endpoint is not a URL: {e}")))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Error::invalid(format!(
            "{service} endpoint must not hold a user name or password (give credentials instead)"
        )));
    }
    let bare = u.path().trim_end_matches('/').is_empty() && u.query().is_none();
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() || !bare {
        return Err(Error::invalid(format!(
            "{service} endpoint {}://{} must be http(s)://host[:port] (no path or query)",
            u.scheme(),
            u.host_str().unwrap_or("")
        )));
    }
    u.set_fragment(None);
    Ok(u)
}

fn first_of(
    first: Option<String>,
    second: impl FnOnce() -> Result<Option<String>>,
) -> Result<Option<String>> {
    match first {
        Some(v) => Ok(Some(v)),
        None => second(),
    }
}
