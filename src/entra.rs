//! Microsoft Entra ID (Azure AD) tokens, pure parts: the client-credentials grant of an
//! application with a client secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//! `AZURE_CLIENT_SECRET`), its token request and the parsing of the answer. The shell's
//! `TokenProvider` sends the request, caches the token and refreshes it before it expires.

use std::ffi::OsString;
use std::fmt;
use std::time::SystemTime;

use crate::credentials::Secret;
use crate::error::{Error, Result};
use crate::gcp::token::{AccessToken, form, form_post, parse_oauth_token};
use crate::http::{Request, Response};

/// Microsoft Entra's public-cloud authority (`AZURE_AUTHORITY_HOST` overrides it, for the
/// national clouds or a test server).
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// The scope of a token for Azure Storage.
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

/// An application's client secret, exchanged for access tokens with the OAuth 2.0
/// client-credentials grant. `Debug` hides the secret.
///
/// ```
/// use multicloud::entra::ClientSecretCredential;
///
/// let c = ClientSecretCredential::new("my-tenant", "my-app", "very-secret")?;
/// let request = c.token_request(multicloud::entra::STORAGE_SCOPE);
/// assert_eq!(request.url, "https://login.microsoftonline.com/my-tenant/oauth2/v2.0/token");
/// assert!(!format!("{c:?}").contains("very-secret"));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecretCredential {
    /// The directory (tenant) id or domain.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// Where tokens are asked for: `https://host[:port]` (or `http://` for a loopback
    /// test server), without a trailing slash.
    pub authority: String,
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl ClientSecretCredential {
    /// A credential for the public cloud. `InvalidInput` when the tenant or client id is
    /// empty or holds characters a URL path or form cannot carry as they are.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Result<Self> {
        let c = ClientSecretCredential {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            authority: DEFAULT_AUTHORITY.to_owned(),
        };
        c.checked()
    }

    /// The same credential asking another authority (`https://login.microsoftonline.us`,
    /// a test server on `http://127.0.0.1:PORT`). `InvalidInput` for anything but an
    /// `https://` URL, or `http://` on a loopback address, without path or query.
    ///
    /// ```
    /// # use multicloud::entra::ClientSecretCredential;
    /// let c = ClientSecretCredential::new("t", "c", "s")?;
    /// assert!(c.clone().with_authority("http://169.254.169.254").is_err());
    /// let c = c.with_authority("http://127.0.0.1:8080/")?;
    /// assert_eq!(c.token_request("s").url, "http://127.0.0.1:8080/t/oauth2/v2.0/token");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn with_authority(mut self, authority: &str) -> Result<Self> {
        self.authority = check_authority(authority)?;
        Ok(self)
    }

    /// The credential the environment describes: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
    /// `AZURE_CLIENT_SECRET`, with `AZURE_AUTHORITY_HOST` if set. `None` when none of the
    /// three is set; `InvalidInput` naming the missing ones when only some are.
    ///
    /// ```
    /// use multicloud::entra::ClientSecretCredential;
    ///
    /// let env = |name: &str| match name {
    ///     "AZURE_TENANT_ID" => Some("t".into()),
    ///     "AZURE_CLIENT_ID" => Some("c".into()),
    ///     _ => None,
    /// };
    /// let e = ClientSecretCredential::from_env_with(env).unwrap_err();
    /// assert!(e.to_string().contains("AZURE_CLIENT_SECRET"));
    /// assert!(ClientSecretCredential::from_env_with(|_| None)?.is_none());
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn from_env_with(var: impl Fn(&str) -> Option<OsString>) -> Result<Option<Self>> {
        let get = |name: &str| {
            var(name)
                .and_then(|v| v.into_string().ok())
                .filter(|v| !v.is_empty())
        };
        let names = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"];
        let values: Vec<Option<String>> = names.iter().map(|n| get(n)).collect();
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        let missing: Vec<&str> = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        let mut values = values.into_iter().flatten();
        let (Some(tenant), Some(client), Some(secret)) =
            (values.next(), values.next(), values.next())
        else {
            return Err(Error::invalid(format!(
                "Microsoft Entra client credentials are incomplete: {} not set",
                missing.join(", ")
            )));
        };
        let c = Self::new(tenant, client, secret)?;
        match get("AZURE_AUTHORITY_HOST") {
            Some(host) => c.with_authority(&host).map(Some),
            None => Ok(Some(c)),
        }
    }

    /// The token request for `scope` (usually [`STORAGE_SCOPE`]): a form POST to
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_request(&self, scope: &str) -> Request {
        let url = format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant_id);
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("scope", scope),
        ]);
        form_post(&url, body)
    }

    fn checked(self) -> Result<Self> {
        let id_char = |b: u8| b.is_ascii_alphanumeric() || b"-._".contains(&b);
        for (what, v) in [
            ("tenant id", &self.tenant_id),
            ("client id", &self.client_id),
        ] {
            if v.is_empty() || v.len() > 256 || !v.bytes().all(id_char) {
                return Err(Error::invalid(format!(
                    "the Microsoft Entra {what} {v:.64?} is not valid (letters, digits, - . _)"
                )));
            }
        }
        if self.client_secret.expose().is_empty() {
            return Err(Error::invalid("the Microsoft Entra client secret is empty"));
        }
        Ok(self)
    }
}

/// The access token of a token endpoint's answer received at `now`; refusals are
/// `Unauthorized` with Entra's `error` as code and its description (AADSTS...) in the
/// message, malformed answers `Parse`.
///
/// ```
/// use multicloud::entra::parse_token;
/// use multicloud::http::{Response, header_map};
///
/// let body = r#"{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret"}"#;
/// let answer = Response { status: 401, headers: header_map([]), body: body.into() };
/// let e = parse_token(&answer, std::time::SystemTime::now()).unwrap_err();
/// assert_eq!(e.kind(), multicloud::ErrorKind::Unauthorized);
/// assert!(e.to_string().contains("AADSTS7000215"));
/// ```
pub fn parse_token(resp: &Response, now: SystemTime) -> Result<AccessToken> {
    parse_oauth_token(resp, "azure", "Microsoft Entra client secret", now)
}

fn check_authority(authority: &str) -> Result<String> {
    // User info may hold a password: never quoted.
    let shown = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    let bad = || {
        Error::invalid(format!(
            "Microsoft Entra authority {shown:.80?} must be https://host[:port] \
             (http:// only on a loopback address)"
        ))
    };
    let url = url::Url::parse(authority).map_err(|_| bad())?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => return Err(bad()),
    };
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    // No fragment (it would swallow the token path) and no user info (a password would
    // show in `Debug` and go out with the client secret).
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !scheme_ok || !bare {
        return Err(bad());
    }
    // The parsed form: what was checked is what is used (the parser drops spaces, tabs
    // and line breaks the raw text may hold).
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::header_map;
    use std::time::Duration;

    fn cred() -> ClientSecretCredential {
        ClientSecretCredential::new("tenant-1", "app.id", "s3cr&t=").unwrap()
    }

    #[test]
    fn token_request_is_a_form_post_with_the_secret_encoded() {
        let r = cred().token_request(STORAGE_SCOPE);
        assert_eq!(r.method, crate::http::Method::Post);
        let body = String::from_utf8(r.body.to_vec()).unwrap();
        assert_eq!(
            body,
            "grant_type=client_credentials&client_id=app.id&client_secret=s3cr%26t%3D\
             &scope=https%3A%2F%2Fstorage.azure.com%2F.default"
        );
    }

    #[test]
    fn bad_ids_and_authorities_are_refused() {
        assert!(ClientSecretCredential::new("a/b", "c", "s").is_err());
        assert!(ClientSecretCredential::new("t", "", "s").is_err());
        assert!(ClientSecretCredential::new("t", "c", "").is_err());
        for bad in [
            "http://login.example",
            "https://login.example/tenant",
            "https://u:p@login.example",
            "ftp://x",
            "https://h?x=1",
            "https://h#frag",
            "https://:hunter2@login.example",
        ] {
            assert!(cred().with_authority(bad).is_err(), "{bad}");
        }
        let e = cred()
            .with_authority("https://:hunter2@login.example")
            .unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let c = cred()
            .with_authority("https://login.microsoftonline.us")
            .unwrap();
        assert_eq!(c.authority, "https://login.microsoftonline.us");
        let c = cred().with_authority(" https://Login.Example\t/").unwrap();
        assert_eq!(c.authority, "https://login.example");
    }

    #[test]
    fn answers_are_parsed_and_checked() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ok = r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0"}"#;
        let answer = Response {
            status: 200,
            headers: header_map([]),
            body: ok.into(),
        };
        let t = parse_token(&answer, now).unwrap();
        assert_eq!(t.token.expose(), "eyJ0");
        assert_eq!(t.expires, now + Duration::from_secs(3599));
        let broken = Response {
            status: 200,
            headers: header_map([]),
            body: "{\"access_token\": 1".into(),
        };
        let e = parse_token(&broken, now).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Parse);
        assert_eq!(e.provider(), Some("azure"));
    }

    #[test]
    fn env_takes_all_three_or_none() {
        let all = |name: &str| -> Option<OsString> {
            match name {
                "AZURE_TENANT_ID" => Some("t".into()),
                "AZURE_CLIENT_ID" => Some("c".into()),
                "AZURE_CLIENT_SECRET" => Some("s".into()),
                "AZURE_AUTHORITY_HOST" => Some("http://localhost:9".into()),
                _ => None,
            }
        };
        let c = ClientSecretCredential::from_env_with(all).unwrap().unwrap();
        assert_eq!(c.authority, "http://localhost:9");
        let e = ClientSecretCredential::from_env_with(|n| {
            (n == "AZURE_CLIENT_SECRET").then(|| "s".into())
        })
        .unwrap_err();
        assert!(
            e.to_string().contains("AZURE_TENANT_ID, AZURE_CLIENT_ID"),
            "{e}"
        );
        assert!(!e.to_string().contains("s3cr"));
    }
}
