//! Cloudflare configuration: the API token, the account new zones belong to, the endpoint.

use std::ffi::OsString;

use super::{ACCOUNT_VAR, DEFAULT_ENDPOINT, TOKEN_VAR, is_id};
use crate::credentials::Secret;
use crate::error::{Error, Result};

/// A resolved Cloudflare configuration. Build it with [`CloudflareConfig::builder`].
/// `Debug` never shows the token.
///
/// ```
/// use multicloud::dns::cloudflare::CloudflareConfig;
/// let c = CloudflareConfig::builder().token("cf-secret-token").build()?;
/// assert_eq!(c.endpoint.as_str(), "https://api.cloudflare.com/client/v4");
/// assert!(!format!("{c:?}").contains("cf-secret-token"));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CloudflareConfig {
    /// The API token, sent as `Authorization: Bearer …`.
    pub token: Secret,
    /// The account new zones are created in (a zone's `account_id` extra overrides it).
    pub account_id: Option<String>,
    /// The API's base address (`https://api.cloudflare.com/client/v4`), without query or
    /// user; every path is appended to it.
    pub endpoint: url::Url,
}

impl CloudflareConfig {
    /// A builder: the public endpoint, no account.
    pub fn builder() -> CloudflareConfigBuilder {
        CloudflareConfigBuilder::default()
    }
}

/// Builds a [`CloudflareConfig`].
#[derive(Debug, Clone, Default)]
pub struct CloudflareConfigBuilder {
    token: Option<Secret>,
    account_id: Option<String>,
    endpoint: Option<String>,
}

impl CloudflareConfigBuilder {
    /// The API token.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The account new zones go to (32 hexadecimal digits).
    pub fn account_id(mut self, id: impl Into<String>) -> Self {
        self.account_id = Some(id.into());
        self
    }

    /// Another endpoint (`http://127.0.0.1:PORT/client/v4` for a test server).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Takes the token from `CLOUDFLARE_API_TOKEN` and the account from
    /// `CLOUDFLARE_ACCOUNT_ID`, each unless one was given.
    pub fn from_env(self) -> Result<Self> {
        self.from_env_with(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) reading variables through `var` (tests, sandboxes).
    /// A value that is not UTF-8 is `InvalidInput`; an empty one counts as none.
    pub fn from_env_with(mut self, var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        let read = |name: &str| -> Result<Option<String>> {
            match var(name).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .into_string()
                    .map(Some)
                    .map_err(|_| Error::invalid(format!("{name} is not UTF-8"))),
            }
        };
        if self.token.is_none() {
            self.token = read(TOKEN_VAR)?.map(Secret::new);
        }
        if self.account_id.is_none() {
            self.account_id = read(ACCOUNT_VAR)?;
        }
        Ok(self)
    }

    /// Checks and resolves the configuration: `InvalidInput` for a missing or malformed
    /// token (naming `CLOUDFLARE_API_TOKEN`, never the token), account id or endpoint.
    pub fn build(self) -> Result<CloudflareConfig> {
        let token = self.token.ok_or_else(|| {
            Error::invalid(format!(
                "no Cloudflare API token: set {TOKEN_VAR} or give one to the builder"
            ))
        })?;
        check_token(&token)?;
        if let Some(a) = &self.account_id {
            check_account(a)?;
        }
        let endpoint = self.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT);
        Ok(CloudflareConfig {
            token,
            account_id: self.account_id,
            endpoint: checked_endpoint(endpoint)?,
        })
    }
}

/// A token goes into a header: visible ASCII only, and not empty.
fn check_token(token: &Secret) -> Result<()> {
    let t = token.expose();
    match !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "the Cloudflare API token (from the builder or {TOKEN_VAR}) is empty or holds \
             spaces or control characters"
        ))),
    }
}

/// An account id is a Cloudflare id (it goes into request bodies).
pub(crate) fn check_account(id: &str) -> Result<()> {
    match is_id(id) {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "Cloudflare account id {id:.40?} is not 32 lowercase hexadecimal digits"
        ))),
    }
}

/// `http(s)://host[:port][/base]` without user, query or fragment.
fn checked_endpoint(text: &str) -> Result<url::Url> {
    // Errors never quote the text: it may hold a password or a token.
    let mut u = url::Url::parse(text)
        .map_err(|e| Error::invalid(format!("Cloudflare endpoint is not a URL: {e}")))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Error::invalid(
            "Cloudflare endpoint must not hold a user name or password (give a token)",
        ));
    }
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() || u.query().is_some() {
        return Err(Error::invalid(format!(
            "Cloudflare endpoint {}://{} must be http(s)://host[:port][/path] (no query)",
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

    const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.into())
    }

    #[test]
    fn token_and_account_come_from_the_builder_first_then_the_variables() {
        let vars = [(TOKEN_VAR, "cf_from_env"), (ACCOUNT_VAR, ACCOUNT)];
        let c = CloudflareConfig::builder()
            .from_env_with(env(&vars))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.token.expose(), "cf_from_env");
        assert_eq!(c.account_id.as_deref(), Some(ACCOUNT));
        let c = CloudflareConfig::builder()
            .token("cf_explicit")
            .from_env_with(env(&vars[..1]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.token.expose(), "cf_explicit");
        assert_eq!(c.account_id, None);
        assert!(!format!("{c:?}").contains("cf_explicit"));
    }

    #[test]
    fn a_missing_token_is_invalid_input_naming_the_variable() {
        for vars in [&[][..], &[(TOKEN_VAR, "")][..]] {
            let b = CloudflareConfig::builder()
                .from_env_with(env(vars))
                .unwrap();
            let e = b.build().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.to_string().contains(TOKEN_VAR), "{e}");
        }
    }

    #[test]
    fn bad_settings_are_invalid_input_and_never_quote_the_token() {
        let with = |t: &str| CloudflareConfig::builder().token(t);
        for b in [
            with("cf hunter2"),
            with("hunter2\n"),
            with("ok").endpoint("ftp://x"),
            with("ok").endpoint("http://u:hunter2@127.0.0.1"),
            with("ok").endpoint("http://127.0.0.1/v4?token=hunter2"),
            with("ok").account_id("not-an-account"),
        ] {
            let e = b.build().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}");
        }
        let c = with("ok")
            .endpoint("http://127.0.0.1:9/client/v4")
            .build()
            .unwrap();
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:9/client/v4");
    }
}
