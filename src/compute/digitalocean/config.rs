//! DigitalOcean configuration: the API token, the endpoint, the region new droplets go to
//! when a spec names none, and how long droplet and volume actions may take.

use std::ffi::OsString;
use std::time::Duration;

use super::{DEFAULT_ENDPOINT, TOKEN_VAR};
use crate::credentials::Secret;
use crate::error::{Error, Result};

/// How long an action (power on/off, reboot, attach, detach) may take by default.
pub const DEFAULT_ACTION_TIMEOUT: Duration = Duration::from_secs(600);

/// A resolved DigitalOcean configuration. Build it with [`DoConfig::builder`]. `Debug`
/// never shows the token.
///
/// ```
/// use multicloud::compute::digitalocean::DoConfig;
/// let c = DoConfig::builder().token("dop_v1_secret").region("ams3").build()?;
/// assert_eq!(c.endpoint.as_str(), "https://api.digitalocean.com/");
/// assert!(!format!("{c:?}").contains("dop_v1_secret"));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DoConfig {
    /// The API token, sent as `Authorization: Bearer …`.
    pub token: Secret,
    /// The API's address (`https://api.digitalocean.com`; another for a test server),
    /// without path, query or user.
    pub endpoint: url::Url,
    /// The region slug new droplets are created in when their spec names no location.
    pub region: Option<String>,
    /// How long an action may take before waiting for it ends in `Timeout`.
    pub action_timeout: Duration,
}

impl DoConfig {
    /// A builder: the public endpoint, no default region, 10-minute actions.
    pub fn builder() -> DoConfigBuilder {
        DoConfigBuilder::default()
    }
}

/// Builds a [`DoConfig`].
#[derive(Debug, Clone, Default)]
pub struct DoConfigBuilder {
    token: Option<Secret>,
    endpoint: Option<String>,
    region: Option<String>,
    action_timeout: Option<Duration>,
}

impl DoConfigBuilder {
    /// The API token.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Another endpoint (`http://127.0.0.1:PORT` for a test server).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The region new droplets go to when their spec names none (`nyc3`).
    pub fn region(mut self, slug: impl Into<String>) -> Self {
        self.region = Some(slug.into());
        self
    }

    /// How long an action may take (default 10 minutes).
    pub fn action_timeout(mut self, limit: Duration) -> Self {
        self.action_timeout = Some(limit);
        self
    }

    /// Takes the token from `DIGITALOCEAN_TOKEN` unless one was given.
    pub fn from_env(self) -> Result<Self> {
        self.from_env_with(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) reading variables through `var` (tests, sandboxes).
    /// A token that is not UTF-8 is `InvalidInput`; an empty one counts as none.
    pub fn from_env_with(mut self, var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        if self.token.is_some() {
            return Ok(self);
        }
        let Some(value) = var(TOKEN_VAR).filter(|v| !v.is_empty()) else {
            return Ok(self);
        };
        let text = value
            .into_string()
            .map_err(|_| Error::invalid(format!("{TOKEN_VAR} is not UTF-8")))?;
        self.token = Some(Secret::new(text));
        Ok(self)
    }

    /// Checks and resolves the configuration: `InvalidInput` for a missing or malformed
    /// token (naming `DIGITALOCEAN_TOKEN`, never the token), a bad endpoint or region.
    pub fn build(self) -> Result<DoConfig> {
        let token = self.token.ok_or_else(|| {
            Error::invalid(format!(
                "no DigitalOcean token: set {TOKEN_VAR} or give one to the builder"
            ))
        })?;
        check_token(&token)?;
        if let Some(r) = &self.region {
            check_slug(r)?;
        }
        let endpoint = self.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT);
        Ok(DoConfig {
            token,
            endpoint: checked_endpoint(endpoint)?,
            region: self.region,
            action_timeout: self.action_timeout.unwrap_or(DEFAULT_ACTION_TIMEOUT),
        })
    }
}

/// A token goes into a header: visible ASCII only, and not empty.
fn check_token(token: &Secret) -> Result<()> {
    let t = token.expose();
    match !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "the DigitalOcean token (from the builder or {TOKEN_VAR}) is empty or holds \
             spaces or control characters"
        ))),
    }
}

/// Region slugs are lowercase letters and digits (`nyc3`).
pub(crate) fn check_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    match ok {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "DigitalOcean region {slug:.80?} is not a region slug"
        ))),
    }
}

/// `http(s)://host[:port]` and nothing else: every path is the API's own (`/v2/...`).
fn checked_endpoint(text: &str) -> Result<url::Url> {
    // Errors never quote the text: it may hold a password or a token.
    let mut u = url::Url::parse(text)
        .map_err(|e| Error::invalid(format!("DigitalOcean endpoint is not a URL: {e}")))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Error::invalid(
            "DigitalOcean endpoint must not hold a user name or password (give a token)",
        ));
    }
    let bare = u.path().trim_end_matches('/').is_empty() && u.query().is_none();
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() || !bare {
        return Err(Error::invalid(format!(
            "DigitalOcean endpoint {}://{} must be http(s)://host[:port] (no path or query)",
            u.scheme(),
            u.host_str().unwrap_or("")
        )));
    }
    u.set_fragment(None);
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.into())
    }

    #[test]
    fn the_token_comes_from_the_builder_first_then_the_variable() {
        let vars = [(TOKEN_VAR, "dop_v1_from_env")];
        let c = DoConfig::builder()
            .from_env_with(env(&vars))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.token.expose(), "dop_v1_from_env");
        let c = DoConfig::builder()
            .token("dop_v1_explicit")
            .from_env_with(env(&vars))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.token.expose(), "dop_v1_explicit");
        assert_eq!(c.action_timeout, DEFAULT_ACTION_TIMEOUT);
        assert!(!format!("{c:?}").contains("dop_v1_explicit"));
    }

    #[test]
    fn a_missing_token_is_invalid_input_naming_the_variable() {
        for vars in [&[][..], &[(TOKEN_VAR, "")][..]] {
            let b = DoConfig::builder().from_env_with(env(vars)).unwrap();
            let e = b.build().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.to_string().contains(TOKEN_VAR), "{e}");
        }
    }

    #[test]
    fn bad_settings_are_invalid_input_and_never_quote_the_token() {
        let with = |t: &str| DoConfig::builder().token(t);
        for b in [
            with("dop v1 hunter2"),
            with("hunter2\n"),
            with("ok").endpoint("ftp://x"),
            with("ok").endpoint("http://127.0.0.1:1/base"),
            with("ok").endpoint("http://u:hunter2@127.0.0.1"),
            with("ok").endpoint("http://u:hunter2@127.0.0.1:99999"),
            with("ok").endpoint("http://127.0.0.1/?token=hunter2"),
            with("ok").endpoint("http://127.0.0.1?q=1"),
            with("ok").region("NYC 3"),
        ] {
            let e = b.build().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}");
        }
        let c = with("ok").endpoint("http://127.0.0.1:9/").build().unwrap();
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:9/");
    }
}
