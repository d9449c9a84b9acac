//! The pure parts of the Azure Blob driver: configuration (account, credentials, blob
//! endpoint, connection strings, environment) and the credential types it resolves to.
//! Signing lives in [`signing::azure_sharedkey`](crate::signing::azure_sharedkey) and
//! [`signing::azure_sas`](crate::signing::azure_sas).

use std::fmt;
use std::sync::Arc;

use crate::credentials::Secret;
use crate::entra::ClientSecretCredential;
use crate::error::{Error, Result};
use crate::signing::azure_sas::redact_signature;
use crate::signing::azure_sharedkey::AccountKey;

pub mod config;
pub mod requests;
pub mod responses;

pub use config::{AzureConfig, AzureConfigBuilder};

/// How Azure requests are authorized.
///
/// ```
/// use multicloud::storage::azure::{AzureConfig, AzureCredentials};
/// let c = AzureConfig::builder().emulator().build()?;
/// assert!(matches!(c.credentials, AzureCredentials::AccountKey(_)));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AzureCredentials {
    /// Shared Key: every request signed with the account key.
    AccountKey(AccountKey),
    /// A shared access signature appended to every request's query.
    Sas(SasToken),
    /// `Authorization: Bearer` with a Microsoft Entra token from this source.
    Bearer(BearerSource),
    /// No authorization (containers open to public read).
    Anonymous,
}

/// Where bearer tokens come from: a fixed token, or a Microsoft Entra application's
/// client secret exchanged for tokens that are cached and refreshed (managed and workload
/// identities are not built yet).
///
/// ```
/// use multicloud::storage::azure::BearerSource;
/// let s = BearerSource::Static("eyJ0eXAi-token".into());
/// assert!(!format!("{s:?}").contains("eyJ0eXAi"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BearerSource {
    /// A token obtained elsewhere; it is not refreshed.
    Static(Secret),
    /// Tokens for Azure Storage from the client-credentials grant of this application
    /// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`).
    ClientSecret(Arc<ClientSecretCredential>),
}

/// A SAS token: the query string of a shared access signature, without `?`. Its `Debug`
/// shows every parameter but the signature.
///
/// ```
/// use multicloud::storage::azure::SasToken;
/// let t = SasToken::new("?sv=2022-11-02&sp=r&sig=c2lnbmF0dXJl%3D")?;
/// assert_eq!(t.query(), "sv=2022-11-02&sp=r&sig=c2lnbmF0dXJl%3D");
/// assert_eq!(format!("{t:?}"), "SasToken(\"sv=2022-11-02&sp=r&sig=***\")");
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SasToken(Secret);

impl SasToken {
    /// Checks and wraps a token (a leading `?` and surrounding whitespace are dropped).
    /// `InvalidInput`, never quoting the token, when it is empty, has no `sig`, holds
    /// characters a query cannot (`#`, whitespace, `;`) or XML's `&amp;`.
    ///
    /// ```
    /// use multicloud::storage::azure::SasToken;
    /// assert!(SasToken::new("sv=2022-11-02&sp=r").is_err(), "no signature");
    /// ```
    pub fn new(token: impl Into<Secret>) -> Result<Self> {
        let token = token.into();
        let text = token.expose().trim().trim_start_matches('?');
        let has_sig = text
            .split('&')
            .any(|p| p.len() > 4 && p.starts_with("sig="));
        let problem = if !has_sig {
            Some("has no sig parameter")
        } else if text.contains(|c: char| c == '#' || c == ';' || c.is_whitespace()) {
            Some("holds a character a URL query cannot ('#', ';' or whitespace)")
        } else if text.contains("&amp;") {
            Some("holds `&amp;` (XML-escaped): use plain `&`")
        } else {
            None
        };
        match problem {
            Some(p) => Err(Error::invalid(format!("the Azure SAS token {p}"))),
            None => Ok(SasToken(Secret::new(text))),
        }
    }

    /// The token, to append to a request's query. Call it only to send; never log it.
    ///
    /// ```
    /// let t = multicloud::storage::azure::SasToken::new("sig=x")?;
    /// assert_eq!(t.query(), "sig=x");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn query(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SasToken")
            .field(&redact_signature(self.0.expose()))
            .finish()
    }
}
