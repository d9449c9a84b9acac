//! Azure Blob configuration: account, credentials (account key, SAS token, bearer token),
//! blob endpoint, connection strings and the `AZURE_STORAGE_*` environment variables.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;

use super::{AzureCredentials, BearerSource, SasToken};
use crate::aws::chain::text_var;
use crate::credentials::Secret;
use crate::entra::ClientSecretCredential;
use crate::error::{Error, Result};
use crate::signing::azure_sas::redact_signature;
use crate::signing::azure_sharedkey::AccountKey;

/// The emulator's (Azurite's) only account, its well-known published key (it protects
/// nothing) and its blob endpoint, where the account is the first path segment.
pub(crate) const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
pub(crate) const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
pub(crate) const EMULATOR_BLOB_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// The endpoint suffix of Azure's public cloud.
const DEFAULT_ENDPOINT_SUFFIX: &str = "core.windows.net";

const CONNECTION_STRING_VAR: &str = "AZURE_STORAGE_CONNECTION_STRING";

/// A resolved Azure Blob configuration. Build it with [`AzureConfig::builder`]. Its
/// `Debug` shows no key, token or SAS signature.
///
/// ```
/// use multicloud::storage::azure::AzureConfig;
/// let c = AzureConfig::builder().account("acct").anonymous().build()?;
/// assert_eq!(c.endpoint.as_str(), "https://acct.blob.core.windows.net/");
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AzureConfig {
    /// The storage account (3 to 24 lowercase letters and digits).
    pub account: String,
    /// How requests are authorized.
    pub credentials: AzureCredentials,
    /// The blob endpoint, without query or trailing slash (`https://acct.blob.core.windows.net`,
    /// `http://127.0.0.1:10000/devstoreaccount1`). A path is kept: request paths are
    /// `{path}/{container}/{blob}`, and Shared Key signs them whole (so the emulator's
    /// signed resource names the account twice, as documented).
    pub endpoint: url::Url,
    /// Uploads up to this many bytes go in one Put Blob; larger ones in blocks.
    pub single_put_threshold: usize,
    /// The size of each block of a block upload (the last may be smaller).
    pub block_size: usize,
    /// Blocks sent at once; a block upload holds at most `block_size × block_concurrency`
    /// bytes of the object in memory.
    pub block_concurrency: usize,
}

/// Default [`AzureConfig::single_put_threshold`]: 32 MiB.
pub const DEFAULT_SINGLE_PUT_THRESHOLD: usize = 32 << 20;
/// Default [`AzureConfig::block_size`]: 8 MiB.
pub const DEFAULT_BLOCK_SIZE: usize = 8 << 20;
/// Default [`AzureConfig::block_concurrency`].
pub const DEFAULT_BLOCK_CONCURRENCY: usize = 4;
/// Azure's largest block (4000 MiB).
const MAX_BLOCK_SIZE: usize = 4000 << 20;
/// Azure's largest Put Blob (5000 MiB).
const MAX_SINGLE_PUT: u64 = 5000 << 20;

impl AzureConfig {
    /// An empty builder.
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder();
    /// assert!(b.build().is_err(), "no account, no credentials");
    /// ```
    pub fn builder() -> AzureConfigBuilder {
        AzureConfigBuilder::default()
    }
}

/// A credential not yet checked, with where it came from (for error messages).
#[derive(Clone)]
struct Given {
    secret: Secret,
    origin: String,
}

/// Builds an [`AzureConfig`]. Setters override; [`connection_string`] and [`from_env`]
/// only fill what is not set yet.
///
/// [`connection_string`]: Self::connection_string
/// [`from_env`]: Self::from_env
///
/// ```
/// use multicloud::storage::azure::AzureConfig;
/// let c = AzureConfig::builder()
///     .account("acct")
///     .account_key("YXpLZXk=")
///     .build()?;
/// assert_eq!(c.account, "acct");
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct AzureConfigBuilder {
    account: Option<String>,
    key: Option<Given>,
    sas: Option<Given>,
    bearer: Option<BearerSource>,
    anonymous: bool,
    endpoint: Option<String>,
    endpoint_suffix: Option<String>,
    protocol: Option<String>,
    looked_in: Option<&'static str>,
    single_put_threshold: Option<usize>,
    block_size: Option<usize>,
    block_concurrency: Option<usize>,
}

// An endpoint may have been pasted with a SAS in its query: only its signature is hidden.
impl fmt::Debug for AzureConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureConfigBuilder")
            .field("account", &self.account)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("sas", &self.sas.as_ref().map(|_| "***"))
            .field("bearer", &self.bearer)
            .field("anonymous", &self.anonymous)
            .field("endpoint", &self.endpoint.as_deref().map(redact_signature))
            .field("endpoint_suffix", &self.endpoint_suffix)
            .field("protocol", &self.protocol)
            .field("single_put_threshold", &self.single_put_threshold)
            .field("block_size", &self.block_size)
            .field("block_concurrency", &self.block_concurrency)
            .finish()
    }
}

impl AzureConfigBuilder {
    /// The storage account name.
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder().account("acct");
    /// assert_eq!(b.anonymous().build()?.account, "acct");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn account(mut self, name: impl Into<String>) -> Self {
        self.account = Some(name.into());
        self
    }

    /// Shared Key credentials: the account key, base64 as the portal shows it (checked
    /// by [`build`](Self::build)).
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder().account("acct").account_key("not base64");
    /// assert!(b.build().is_err());
    /// ```
    pub fn account_key(mut self, key: impl Into<Secret>) -> Self {
        self.key = Some(given(key.into(), "the account key given"));
        self
    }

    /// A SAS token (the query part of a SAS URL), appended to every request.
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder().account("acct").sas_token("sv=2022-11-02&sig=x");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn sas_token(mut self, token: impl Into<Secret>) -> Self {
        self.sas = Some(given(token.into(), "the SAS token given"));
        self
    }

    /// A fixed Microsoft Entra bearer token.
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder().account("acct").bearer_token("tok");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.bearer = Some(BearerSource::Static(token.into()));
        self
    }

    /// Microsoft Entra tokens from an application's client secret, cached and refreshed
    /// by the driver.
    ///
    /// ```
    /// use multicloud::entra::ClientSecretCredential;
    /// let app = ClientSecretCredential::new("tenant", "app", "secret")?;
    /// let c = multicloud::storage::azure::AzureConfig::builder()
    ///     .account("acct")
    ///     .client_secret(app)
    ///     .build()?;
    /// assert!(!format!("{c:?}").contains("secret\""));
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn client_secret(mut self, credential: ClientSecretCredential) -> Self {
        self.bearer = Some(BearerSource::ClientSecret(Arc::new(credential)));
        self
    }

    /// No credentials: requests go unauthorized (public containers). Only ever this
    /// explicit choice; finding no credentials otherwise makes [`build`](Self::build) fail.
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder().account("acct").anonymous();
    /// assert!(b.build().is_ok());
    /// ```
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    /// A blob endpoint other than `https://{account}.blob.core.windows.net`: a custom
    /// domain, a private endpoint, or an emulator (`http://127.0.0.1:10000/devstoreaccount1`,
    /// where the first path segment is the account when none is given).
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder().anonymous();
    /// let c = b.endpoint("http://127.0.0.1:10000/devstoreaccount1/").build()?;
    /// assert_eq!((c.account.as_str(), c.endpoint.path()), ("devstoreaccount1", "/devstoreaccount1"));
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The endpoint suffix of a sovereign cloud (`core.chinacloudapi.cn`), used when no
    /// endpoint is given.
    ///
    /// ```
    /// let c = multicloud::storage::azure::AzureConfig::builder()
    ///     .account("acct").endpoint_suffix("core.chinacloudapi.cn").anonymous().build()?;
    /// assert_eq!(c.endpoint.as_str(), "https://acct.blob.core.chinacloudapi.cn/");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn endpoint_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.endpoint_suffix = Some(suffix.into());
        self
    }

    /// The local emulator (Azurite): its well-known account `devstoreaccount1` and key at
    /// `http://127.0.0.1:10000/devstoreaccount1`.
    ///
    /// ```
    /// let c = multicloud::storage::azure::AzureConfig::builder().emulator().build()?;
    /// assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:10000/devstoreaccount1");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn emulator(self) -> Self {
        self.account(EMULATOR_ACCOUNT)
            .account_key(EMULATOR_KEY)
            .endpoint(EMULATOR_BLOB_ENDPOINT)
    }

    /// Uploads up to `bytes` go in one Put Blob (default 32 MiB, at most 5000 MiB); larger
    /// ones in blocks. A reader's first `bytes + 1` are read to choose, so this is also
    /// what a block upload from a reader holds before its first blocks are sent.
    ///
    /// ```
    /// let c = multicloud::storage::azure::AzureConfig::builder().emulator().single_put_threshold(1 << 20).build()?;
    /// assert_eq!(c.single_put_threshold, 1 << 20);
    /// let over = multicloud::storage::azure::AzureConfig::builder().emulator().single_put_threshold(usize::MAX);
    /// assert!(over.build().is_err(), "above Put Blob's 5000 MiB");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn single_put_threshold(mut self, bytes: usize) -> Self {
        self.single_put_threshold = Some(bytes);
        self
    }

    /// The block size of block uploads (default 8 MiB, at most 4000 MiB).
    ///
    /// ```
    /// let b = multicloud::storage::azure::AzureConfig::builder().emulator();
    /// assert!(b.block_size(0).build().is_err());
    /// ```
    pub fn block_size(mut self, bytes: usize) -> Self {
        self.block_size = Some(bytes);
        self
    }

    /// How many blocks are sent at once (default 4, at least 1).
    ///
    /// ```
    /// let c = multicloud::storage::azure::AzureConfig::builder().emulator().block_concurrency(2).build()?;
    /// assert_eq!(c.block_concurrency, 2);
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn block_concurrency(mut self, n: usize) -> Self {
        self.block_concurrency = Some(n);
        self
    }

    /// Fills what is not set yet from a connection string (`AccountName=..;AccountKey=..`,
    /// `BlobEndpoint=..;SharedAccessSignature=..`, `UseDevelopmentStorage=true`, with
    /// `DefaultEndpointsProtocol` and `EndpointSuffix`; names in any case; values may hold
    /// `=`). `QueueEndpoint`, `TableEndpoint` and `FileEndpoint` are accepted and unused.
    /// A malformed string is `InvalidInput` naming the part (by position, or by setting
    /// name), never quoting a value.
    ///
    /// ```
    /// let c = multicloud::storage::azure::AzureConfig::builder()
    ///     .connection_string("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=YXpLZXk=;EndpointSuffix=core.windows.net")?
    ///     .build()?;
    /// assert_eq!(c.endpoint.as_str(), "https://acct.blob.core.windows.net/");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn connection_string(self, s: &str) -> Result<Self> {
        let parsed = ConnectionString::parse(s, "the connection string")?;
        Ok(self.fill_from(parsed, "the connection string"))
    }

    /// Fills what is not set yet from the environment: `AZURE_STORAGE_CONNECTION_STRING`
    /// first, then `AZURE_STORAGE_ACCOUNT`, then `AZURE_STORAGE_KEY` or
    /// `AZURE_STORAGE_SAS_TOKEN` (both set is an error), then a Microsoft Entra client
    /// secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, with
    /// `AZURE_AUTHORITY_HOST` if set; some but not all three is an error). Variables that are not UTF-8 are
    /// `InvalidInput` naming them. Finding no credentials is an error of
    /// [`build`](Self::build), not of this.
    ///
    /// ```
    /// // An error only for a malformed or non-UTF-8 variable.
    /// let _ = multicloud::storage::azure::AzureConfig::builder().from_env();
    /// ```
    pub fn from_env(self) -> Result<Self> {
        self.from_env_with(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) reading variables through `var` instead of the process
    /// environment (for tests and sandboxes).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// let env = |name: &str| match name {
    ///     "AZURE_STORAGE_ACCOUNT" => Some(OsString::from("acct")),
    ///     "AZURE_STORAGE_KEY" => Some(OsString::from("YXpLZXk=")),
    ///     _ => None,
    /// };
    /// let c = multicloud::storage::azure::AzureConfig::builder().from_env_with(env)?.build()?;
    /// assert_eq!(c.account, "acct");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn from_env_with(mut self, var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        let text = |name: &str| text_var(&var, name);
        if let Some(s) = text(CONNECTION_STRING_VAR)? {
            let parsed = ConnectionString::parse(&s, CONNECTION_STRING_VAR)?;
            self = self.fill_from(parsed, CONNECTION_STRING_VAR);
        }
        if self.account.is_none() {
            self.account = text("AZURE_STORAGE_ACCOUNT")?;
        }
        if self.wants_credentials() {
            self = self.credentials_from_env(
                text("AZURE_STORAGE_KEY")?,
                text("AZURE_STORAGE_SAS_TOKEN")?,
            )?;
        }
        if self.wants_credentials() {
            let app = ClientSecretCredential::from_env_with(&var)?;
            self.bearer = app.map(|a| BearerSource::ClientSecret(Arc::new(a)));
        }
        self.looked_in = Some(
            "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN and \
             AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET",
        );
        Ok(self)
    }

    /// `AZURE_STORAGE_KEY` or `AZURE_STORAGE_SAS_TOKEN`, whichever is set.
    fn credentials_from_env(mut self, key: Option<String>, sas: Option<String>) -> Result<Self> {
        match (key, sas) {
            (Some(_), Some(_)) => {
                let both = "both AZURE_STORAGE_KEY and AZURE_STORAGE_SAS_TOKEN are set; unset one";
                return Err(Error::invalid(both));
            }
            (Some(k), None) => self.key = Some(given(k.into(), "AZURE_STORAGE_KEY")),
            (None, Some(t)) => self.sas = Some(given(t.into(), "AZURE_STORAGE_SAS_TOKEN")),
            (None, None) => {}
        }
        Ok(self)
    }

    fn wants_credentials(&self) -> bool {
        self.key.is_none() && self.sas.is_none() && self.bearer.is_none() && !self.anonymous
    }

    fn fill_from(mut self, cs: ConnectionString, origin: &str) -> Self {
        fill(&mut self.account, cs.account);
        fill(&mut self.endpoint, cs.blob_endpoint);
        fill(&mut self.endpoint_suffix, cs.endpoint_suffix);
        fill(&mut self.protocol, cs.protocol);
        if self.wants_credentials() {
            self.key = cs.key.map(|k| given(k, &format!("AccountKey in {origin}")));
            self.sas = cs
                .sas
                .map(|t| given(t, &format!("SharedAccessSignature in {origin}")));
        }
        self
    }

    /// Checks and resolves the configuration: `InvalidInput` naming the setting when the
    /// account name, endpoint, key or SAS token is malformed, when several kinds of
    /// credentials are given, or when there are none and [`anonymous`](Self::anonymous)
    /// was not asked for.
    ///
    /// ```
    /// let e = multicloud::storage::azure::AzureConfig::builder().account("Bad_Name").anonymous().build();
    /// assert!(e.is_err());
    /// ```
    pub fn build(self) -> Result<AzureConfig> {
        let credentials = self.resolve_credentials()?;
        let (account, endpoint) = self.resolve_endpoint()?;
        check_account_name(&account)?;
        let block_size = self.block_size.unwrap_or(DEFAULT_BLOCK_SIZE);
        if block_size == 0 || block_size > MAX_BLOCK_SIZE {
            return Err(Error::invalid(format!(
                "Azure block size {block_size} must be 1 byte to 4000 MiB"
            )));
        }
        let threshold = self
            .single_put_threshold
            .unwrap_or(DEFAULT_SINGLE_PUT_THRESHOLD);
        if threshold as u64 > MAX_SINGLE_PUT {
            return Err(Error::invalid(format!(
                "Azure single-put threshold {threshold} is above Put Blob's 5000 MiB"
            )));
        }
        Ok(AzureConfig {
            account,
            credentials,
            endpoint,
            single_put_threshold: threshold,
            block_size,
            block_concurrency: self
                .block_concurrency
                .unwrap_or(DEFAULT_BLOCK_CONCURRENCY)
                .max(1),
        })
    }

    fn resolve_credentials(&self) -> Result<AzureCredentials> {
        self.check_one_kind()?;
        if let Some(k) = &self.key {
            let key = AccountKey::from_base64(k.secret.expose());
            return key
                .map(AzureCredentials::AccountKey)
                .map_err(|e| k.blame(&e));
        }
        if let Some(t) = &self.sas {
            let token = SasToken::new(t.secret.clone());
            return token.map(AzureCredentials::Sas).map_err(|e| t.blame(&e));
        }
        match (&self.bearer, self.anonymous) {
            (Some(b), _) => Ok(AzureCredentials::Bearer(b.clone())),
            (None, true) => Ok(AzureCredentials::Anonymous),
            (None, false) => Err(self.no_credentials()),
        }
    }

    /// Two kinds of credentials given explicitly leave no right one to pick.
    fn check_one_kind(&self) -> Result<()> {
        let kinds = [
            self.key.is_some(),
            self.sas.is_some(),
            self.bearer.is_some(),
            self.anonymous,
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            return Err(Error::invalid(
                "more than one kind of Azure credentials given (account key, SAS token, \
                 bearer token, anonymous): keep one",
            ));
        }
        Ok(())
    }

    fn no_credentials(&self) -> Error {
        Error::invalid(format!(
            "no Azure credentials found (looked in {}); give an account key, a SAS token \
             or a bearer token, or call anonymous() for public containers",
            self.looked_in.unwrap_or("explicit settings only")
        ))
    }

    /// The account and the endpoint URL: the endpoint given (its first path segment naming
    /// the account when none is given, emulator style), or the default one for the account.
    fn resolve_endpoint(&self) -> Result<(String, url::Url)> {
        let no_account = || {
            Error::invalid(
                "no Azure storage account name (give account(), AccountName or AZURE_STORAGE_ACCOUNT)",
            )
        };
        match (&self.endpoint, &self.account) {
            (Some(e), account) => {
                let url = parse_endpoint(e)?;
                let account = account.clone().or_else(|| account_in_path(&url));
                Ok((account.ok_or_else(no_account)?, url))
            }
            (None, Some(account)) => {
                check_account_name(account)?;
                let url = parse_endpoint(&self.default_endpoint(account)?)?;
                Ok((account.clone(), url))
            }
            (None, None) => Err(no_account()),
        }
    }

    /// `{protocol}://{account}.blob.{suffix}`.
    fn default_endpoint(&self, account: &str) -> Result<String> {
        let protocol = self.protocol.as_deref().unwrap_or("https");
        let suffix = self
            .endpoint_suffix
            .as_deref()
            .unwrap_or(DEFAULT_ENDPOINT_SUFFIX);
        let host_like = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
        if suffix.is_empty() || !suffix.bytes().all(host_like) {
            return Err(Error::invalid(format!(
                "Azure endpoint suffix {suffix:?} is not a host name"
            )));
        }
        Ok(format!("{protocol}://{account}.blob.{suffix}"))
    }
}

impl Given {
    /// The error about this credential, saying where it came from.
    fn blame(&self, e: &Error) -> Error {
        Error::invalid(format!("{}: {}", self.origin, e.message()))
    }
}

fn given(secret: Secret, origin: &str) -> Given {
    Given {
        secret,
        origin: origin.to_owned(),
    }
}

fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// Azure's rule for account names: 3 to 24 lowercase letters and digits. It keeps the
/// name safe in a host name and in what Shared Key signs.
fn check_account_name(name: &str) -> Result<()> {
    let ok = (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ok {
        return Err(Error::invalid(format!(
            "Azure storage account name {name:?} must be 3 to 24 lowercase letters and digits"
        )));
    }
    Ok(())
}

/// Parses and checks a blob endpoint. Messages never quote the URL's query, which may be
/// a SAS pasted along with it.
fn parse_endpoint(endpoint: &str) -> Result<url::Url> {
    let mut url = url::Url::parse(endpoint)
        .map_err(|e| Error::invalid(format!("Azure blob endpoint is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid(
            "Azure blob endpoint must be http(s)://host[:port][/path]",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "Azure blob endpoint has a query (a SAS URL?): give the SAS token separately",
        ));
    }
    // A password here would show in every Debug of the configuration.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "Azure blob endpoint must not hold a user name or password",
        ));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// The first path segment, where an emulator-style endpoint names the account.
fn account_in_path(url: &url::Url) -> Option<String> {
    let first = url.path_segments()?.next()?;
    (!first.is_empty()).then(|| first.to_owned())
}

/// The settings a connection string may hold, spelled as documented.
const SETTINGS: [&str; 11] = [
    "DefaultEndpointsProtocol",
    "AccountName",
    "AccountKey",
    "BlobEndpoint",
    "SharedAccessSignature",
    "EndpointSuffix",
    "UseDevelopmentStorage",
    "DevelopmentStorageProxyUri",
    "QueueEndpoint",
    "TableEndpoint",
    "FileEndpoint",
];

/// A connection string's problem, before it is told which string (which origin) it was.
type Parsed<T> = std::result::Result<T, String>;

/// What a connection string says about Blob storage.
#[derive(Default)]
struct ConnectionString {
    account: Option<String>,
    key: Option<Secret>,
    sas: Option<Secret>,
    blob_endpoint: Option<String>,
    protocol: Option<String>,
    endpoint_suffix: Option<String>,
}

impl ConnectionString {
    fn parse(s: &str, origin: &str) -> Result<Self> {
        let bad =
            |what: String| Error::invalid(format!("Azure connection string ({origin}): {what}"));
        let settings = split_settings(s).map_err(bad)?;
        if settings.contains_key("UseDevelopmentStorage") {
            return development_storage(&settings).map_err(bad);
        }
        Self::from_settings(settings).map_err(bad)
    }

    fn from_settings(mut settings: BTreeMap<&'static str, &str>) -> Parsed<Self> {
        let mut take = |name| settings.remove(name).map(str::to_owned);
        let cs = ConnectionString {
            account: take("AccountName"),
            key: take("AccountKey").map(Secret::from),
            sas: take("SharedAccessSignature").map(Secret::from),
            blob_endpoint: take("BlobEndpoint"),
            protocol: take("DefaultEndpointsProtocol").map(|p| p.to_ascii_lowercase()),
            endpoint_suffix: take("EndpointSuffix"),
        };
        if cs.key.is_some() && cs.sas.is_some() {
            return Err("it has both AccountKey and SharedAccessSignature; keep one".into());
        }
        if cs.account.is_none() && cs.blob_endpoint.is_none() {
            return Err("it has neither AccountName nor BlobEndpoint".into());
        }
        match cs.protocol.as_deref() {
            None | Some("http" | "https") => Ok(cs),
            Some(_) => Err("DefaultEndpointsProtocol must be http or https".into()),
        }
    }
}

/// The parts as `(documented name, value)`, each name once. Parts are separated by `;`
/// (whitespace and empty parts ignored); a value runs from the first `=` to the end.
fn split_settings(s: &str) -> Parsed<BTreeMap<&'static str, &str>> {
    let parts: Vec<&str> = s
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut settings = BTreeMap::new();
    for (i, part) in parts.iter().enumerate() {
        let at = format!("part {} of {}", i + 1, parts.len());
        let (name, value) = setting(part, &at)?;
        if settings.insert(name, value).is_some() {
            return Err(format!("{name} is given twice"));
        }
    }
    if settings.is_empty() {
        return Err("it is empty".into());
    }
    Ok(settings)
}

/// One `name=value` part, its name as documented. Neither an unknown name nor a part
/// without `=` is quoted: it may be a pasted key.
fn setting<'a>(part: &'a str, at: &str) -> Parsed<(&'static str, &'a str)> {
    let (name, value) = part
        .split_once('=')
        .ok_or_else(|| format!("{at} is not name=value"))?;
    let known = SETTINGS
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(name.trim()));
    let Some(name) = known else {
        return Err(format!(
            "{at} has an unknown setting name (known: {})",
            SETTINGS.join(", ")
        ));
    };
    match value.trim() {
        "" => Err(format!("{name} ({at}) is empty")),
        value => Ok((name, value)),
    }
}

/// `UseDevelopmentStorage=true`: the emulator's well-known account, key and endpoint.
fn development_storage(settings: &BTreeMap<&'static str, &str>) -> Parsed<ConnectionString> {
    if !settings
        .get("UseDevelopmentStorage")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Err("UseDevelopmentStorage can only be true".into());
    }
    if let Some(other) = settings.keys().find(|k| **k != "UseDevelopmentStorage") {
        return Err(format!(
            "UseDevelopmentStorage=true cannot be combined with {other} (not supported)"
        ));
    }
    Ok(ConnectionString {
        account: Some(EMULATOR_ACCOUNT.to_owned()),
        key: Some(Secret::new(EMULATOR_KEY)),
        blob_endpoint: Some(EMULATOR_BLOB_ENDPOINT.to_owned()),
        ..ConnectionString::default()
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
