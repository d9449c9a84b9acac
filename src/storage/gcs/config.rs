//! GCS configuration: the endpoint (Google, an emulator, another universe), where access
//! tokens come from, the project buckets are listed and created in, the OAuth scope.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::aws::chain::text_var;
use crate::error::{Error, ErrorKind, Result};
use crate::gcp::{DEFAULT_UNIVERSE, METADATA_HOST, Source};

/// Google's endpoint for the JSON API.
///
/// ```
/// assert_eq!(multicloud::storage::gcs::config::DEFAULT_ENDPOINT, "https://storage.googleapis.com");
/// ```
pub const DEFAULT_ENDPOINT: &str = "https://storage.googleapis.com";

/// Read objects and bucket metadata.
///
/// ```
/// # use multicloud::storage::gcs::{GcsConfig, config::SCOPE_READ_ONLY};
/// let c = GcsConfig::builder().anonymous().scope(SCOPE_READ_ONLY).build()?;
/// assert_eq!(c.scope, SCOPE_READ_ONLY);
/// # Ok::<(), multicloud::Error>(())
/// ```
pub const SCOPE_READ_ONLY: &str = "https://www.googleapis.com/auth/devstorage.read_only";

/// Read and write objects, create and delete buckets, not change IAM policies (the
/// default: all the storage model needs).
///
/// ```
/// # use multicloud::storage::gcs::{GcsConfig, config::SCOPE_READ_WRITE};
/// assert_eq!(GcsConfig::builder().anonymous().build()?.scope, SCOPE_READ_WRITE);
/// # Ok::<(), multicloud::Error>(())
/// ```
pub const SCOPE_READ_WRITE: &str = "https://www.googleapis.com/auth/devstorage.read_write";

/// Everything, ACLs and IAM policies included.
///
/// ```
/// # use multicloud::storage::gcs::{GcsConfig, config::SCOPE_FULL_CONTROL};
/// let c = GcsConfig::builder().anonymous().scope(SCOPE_FULL_CONTROL).build()?;
/// assert!(c.scope.ends_with("full_control"));
/// # Ok::<(), multicloud::Error>(())
/// ```
pub const SCOPE_FULL_CONTROL: &str = "https://www.googleapis.com/auth/devstorage.full_control";

/// A resolved GCS configuration. Build it with [`GcsConfig::builder`]. `Debug` shows no
/// secret (keys, refresh tokens and access tokens print as `***`).
///
/// ```
/// use multicloud::storage::gcs::GcsConfig;
///
/// let config = GcsConfig::builder().emulator_host("127.0.0.1:4443").build()?;
/// assert_eq!(config.endpoint.as_str(), "http://127.0.0.1:4443/");
/// assert_eq!(config.credentials.name(), "anonymous");
/// assert!(config.emulator);
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GcsConfig {
    /// `scheme://host[:port][/base]`: [`DEFAULT_ENDPOINT`], an emulator, or
    /// `https://storage.<universe>` for a service account of another universe.
    pub endpoint: url::Url,
    /// Where access tokens come from.
    pub credentials: Source,
    /// The project buckets are listed and created in (`GOOGLE_CLOUD_PROJECT`, else the
    /// service account's), where known; object calls do not need it.
    pub project: Option<String>,
    /// The OAuth scope tokens are asked for ([`SCOPE_READ_WRITE`] by default).
    pub scope: String,
    /// The endpoint is an emulator (`STORAGE_EMULATOR_HOST` or
    /// [`GcsConfigBuilder::emulator_host`]).
    pub emulator: bool,
    /// Uploads larger than this go up as a resumable upload in chunks of this size (a
    /// multiple of 256 KiB, [`DEFAULT_CHUNK_SIZE`] by default); smaller ones in one
    /// request. Memory: a resumable upload holds one chunk at a time (read, hashed, sent,
    /// dropped before the next is read); a one-request upload holds its bytes and the
    /// request body made of them, at most twice this size.
    pub chunk_size: usize,
}

/// The default resumable-upload chunk: 8 MiB (Google recommends at least 8 MiB).
///
/// ```
/// assert_eq!(multicloud::storage::gcs::config::DEFAULT_CHUNK_SIZE % (256 << 10), 0);
/// ```
pub const DEFAULT_CHUNK_SIZE: usize = 8 << 20;

/// Resumable chunks (all but the last) must be multiples of this: 256 KiB.
pub const CHUNK_GRANULARITY: usize = 256 << 10;

impl GcsConfig {
    /// A builder with Google's defaults.
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let config = GcsConfig::builder().anonymous().build()?;
    /// assert_eq!(config.endpoint.as_str(), "https://storage.googleapis.com/");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn builder() -> GcsConfigBuilder {
        GcsConfigBuilder::default()
    }
}

/// Builds a [`GcsConfig`]: explicit settings first, then [`from_env`](Self::from_env)
/// fills what is not set.
///
/// ```
/// use multicloud::gcp::Source;
/// use multicloud::storage::gcs::GcsConfig;
///
/// let config = GcsConfig::builder()
///     .credentials(Source::StaticToken("ya29.token".into()))
///     .project("my-project")
///     .build()?;
/// assert_eq!(config.project.as_deref(), Some("my-project"));
/// assert!(!format!("{config:?}").contains("ya29"));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct GcsConfigBuilder {
    endpoint: Option<String>,
    emulator: bool,
    credentials: Option<Source>,
    anonymous: bool,
    metadata_server: bool,
    project: Option<String>,
    scope: Option<String>,
    chunk_size: Option<usize>,
    /// Where `from_env` looked for credentials (for the error when it found none).
    looked_in: Option<String>,
}

impl GcsConfigBuilder {
    /// A custom endpoint (`https://storage.example.com`, `http://127.0.0.1:4443`).
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let c = GcsConfig::builder().endpoint("http://127.0.0.1:9000/").anonymous().build()?;
    /// assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:9000/");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// An emulator (fake-gcs-server, the gcloud storage emulator) at `host[:port]`, over
    /// http unless a scheme is given, as `STORAGE_EMULATOR_HOST` says. Requests go
    /// anonymous unless [`credentials`](Self::credentials) are given: an emulator must
    /// never receive real tokens by accident.
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let c = GcsConfig::builder().emulator_host("https://gcs.local:4443").build()?;
    /// assert_eq!(c.endpoint.as_str(), "https://gcs.local:4443/");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn emulator_host(mut self, host: impl AsRef<str>) -> Self {
        let host = host.as_ref();
        self.endpoint = Some(match host.contains("://") {
            true => host.to_owned(),
            false => format!("http://{host}"),
        });
        self.emulator = true;
        self
    }

    /// Where access tokens come from (see [`Source`]).
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// use multicloud::gcp::Source;
    /// let c = GcsConfig::builder()
    ///     .credentials(Source::MetadataServer { host: "127.0.0.1:8080".into() })
    ///     .build()?;
    /// assert_eq!(c.credentials.name(), "metadata server");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn credentials(mut self, source: Source) -> Self {
        self.credentials = Some(source);
        self
    }

    /// No credentials: requests go unauthenticated (public buckets). Anonymous access is
    /// only ever this explicit choice or an emulator: finding no credentials otherwise
    /// makes [`build`](Self::build) fail.
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// assert_eq!(GcsConfig::builder().anonymous().build()?.credentials.name(), "anonymous");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    /// Whether the metadata server ([`METADATA_HOST`]) is the last source tried (off by
    /// default, so that with nothing configured [`build`](Self::build) fails at once
    /// rather than the first call waiting for a server that is not there;
    /// `GCE_METADATA_HOST` in the environment also turns it on, at that host).
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let c = GcsConfig::builder().metadata_server(true).build()?;
    /// assert_eq!(c.credentials.name(), "metadata server");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn metadata_server(mut self, on: bool) -> Self {
        self.metadata_server = on;
        self
    }

    /// The project buckets are listed and created in.
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// assert!(GcsConfig::builder().anonymous().project("a/b").build().is_err());
    /// ```
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// The OAuth scope (space-separated scopes) tokens are asked for.
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let c = GcsConfig::builder().anonymous()
    ///     .scope("https://www.googleapis.com/auth/cloud-platform").build()?;
    /// assert!(c.scope.ends_with("cloud-platform"));
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The resumable-upload chunk size (and the size above which uploads are resumable):
    /// a non-zero multiple of 256 KiB, at most 1 GiB; `InvalidInput` otherwise, from
    /// [`build`](Self::build).
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let c = GcsConfig::builder().anonymous().chunk_size(512 << 10).build()?;
    /// assert_eq!(c.chunk_size, 512 << 10);
    /// assert!(GcsConfig::builder().anonymous().chunk_size(1000).build().is_err());
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = Some(bytes);
        self
    }

    /// Fills what is not set yet from the process environment; see
    /// [`from_env_with`](Self::from_env_with).
    ///
    /// ```no_run
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let config = GcsConfig::builder().from_env()?.build()?;
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn from_env(self) -> Result<Self> {
        self.from_env_with(|name| std::env::var_os(name))
    }

    /// Fills what is not set yet from variables read through `var` (for tests and
    /// sandboxes), in this order:
    ///
    /// - `STORAGE_EMULATOR_HOST`: the endpoint, as [`emulator_host`](Self::emulator_host)
    ///   (then no credentials are looked for);
    /// - `GOOGLE_CLOUD_PROJECT`: the project;
    /// - `GOOGLE_APPLICATION_CREDENTIALS`: a credentials file (service account or
    ///   `authorized_user`), read and parsed now;
    /// - else gcloud's application-default file (`$CLOUDSDK_CONFIG` or
    ///   `$HOME/.config/gcloud`, `application_default_credentials.json`), if it exists;
    /// - else `GCE_METADATA_HOST`: the metadata server at that host.
    ///
    /// Mistakes are errors naming the variable or file, never a secret: a variable that
    /// is not UTF-8, a file that is missing or malformed. Finding no credentials is an
    /// error in [`build`](Self::build), not here.
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// use std::collections::HashMap;
    /// use std::ffi::OsString;
    ///
    /// let env = HashMap::from([("STORAGE_EMULATOR_HOST", "localhost:4443")]);
    /// let var = |name: &str| env.get(name).map(OsString::from);
    /// let config = GcsConfig::builder().from_env_with(var)?.build()?;
    /// assert_eq!(config.endpoint.as_str(), "http://localhost:4443/");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn from_env_with(mut self, var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        let text = |name: &str| text_var(&var, name);
        if let (None, Some(host)) = (&self.endpoint, text("STORAGE_EMULATOR_HOST")?) {
            self = self.emulator_host(host);
        }
        if self.project.is_none() {
            self.project = text("GOOGLE_CLOUD_PROJECT")?;
        }
        let mut looked = Vec::new();
        if self.wants_credentials() {
            self.credentials = credentials_file(&var, &mut looked)?;
        }
        if self.wants_credentials() {
            looked.push("GCE_METADATA_HOST".to_owned());
            self.credentials =
                text("GCE_METADATA_HOST")?.map(|host| Source::MetadataServer { host });
        }
        self.looked_in = Some(looked.join(", "));
        Ok(self)
    }

    fn wants_credentials(&self) -> bool {
        self.credentials.is_none() && !self.anonymous && !self.emulator
    }

    /// Checks and resolves the configuration. `InvalidInput` when a setting is invalid,
    /// or when there are no credentials and neither [`anonymous`](Self::anonymous), an
    /// emulator nor the [`metadata_server`](Self::metadata_server) was asked for.
    ///
    /// ```
    /// # use multicloud::storage::gcs::GcsConfig;
    /// let e = GcsConfig::builder().build().unwrap_err();
    /// assert!(e.to_string().contains("no GCS credentials"), "{e}");
    /// ```
    pub fn build(self) -> Result<GcsConfig> {
        let credentials = self.resolved_credentials()?;
        let endpoint = endpoint_url(self.endpoint.as_deref(), &credentials)?;
        let scope = self.scope.unwrap_or_else(|| SCOPE_READ_WRITE.to_owned());
        crate::gcp::token::check_scope(&scope)?;
        let project = self.project.or_else(|| match &credentials {
            Source::ServiceAccount(k) => k.project_id.clone(),
            _ => None,
        });
        project.as_deref().map_or(Ok(()), check_project)?;
        if let Source::MetadataServer { host } = &credentials {
            // Checked now rather than at the first token request.
            crate::gcp::token::metadata_token_request(host)?;
        }
        Ok(GcsConfig {
            endpoint,
            credentials,
            project,
            scope,
            emulator: self.emulator,
            chunk_size: check_chunk_size(self.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE))?,
        })
    }

    fn resolved_credentials(&self) -> Result<Source> {
        match (&self.credentials, self.anonymous, self.emulator) {
            (_, true, _) => Ok(Source::Anonymous),
            (Some(source), false, _) => Ok(source.clone()),
            (None, false, true) => Ok(Source::Anonymous),
            (None, false, false) if self.metadata_server => Ok(Source::MetadataServer {
                host: METADATA_HOST.to_owned(),
            }),
            (None, false, false) => Err(Error::invalid(format!(
                "no GCS credentials found (looked in {}); give credentials, turn on the \
                 metadata server, or call anonymous() for unauthenticated requests",
                self.looked_in
                    .as_deref()
                    .unwrap_or("explicit settings only")
            ))),
        }
    }
}

/// `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's application-default file if present.
fn credentials_file(
    var: &impl Fn(&str) -> Option<OsString>,
    looked: &mut Vec<String>,
) -> Result<Option<Source>> {
    const VAR: &str = "GOOGLE_APPLICATION_CREDENTIALS";
    looked.push(VAR.to_owned());
    if let Some(path) = var(VAR).filter(|v| !v.is_empty()) {
        return read_source(Path::new(&path), VAR).map(Some);
    }
    let Some(path) = gcloud_file(var) else {
        looked.push("gcloud's application-default file (HOME unset)".to_owned());
        return Ok(None);
    };
    looked.push(path.display().to_string());
    match path.try_exists() {
        Ok(true) => read_source(&path, "gcloud's application-default file").map(Some),
        _ => Ok(None),
    }
}

/// Where `gcloud auth application-default login` writes its file.
fn gcloud_file(var: &impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let non_empty = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = non_empty("CLOUDSDK_CONFIG")
        .or_else(|| non_empty("HOME").map(|h| h.join(".config").join("gcloud")))?;
    Some(dir.join("application_default_credentials.json"))
}

/// A credentials file, errors naming where its path came from.
fn read_source(path: &Path, named_by: &str) -> Result<Source> {
    Source::from_file(path).map_err(|e| {
        let kind = match e.kind() {
            ErrorKind::Unsupported => ErrorKind::Unsupported,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, format!("{named_by}: {}", e.message()))
    })
}

/// The endpoint URL: the one given, else Google's for the credentials' universe.
fn endpoint_url(given: Option<&str>, credentials: &Source) -> Result<url::Url> {
    let text = match (given, credentials) {
        (Some(e), _) => e.to_owned(),
        (None, Source::ServiceAccount(k)) if k.universe_domain != DEFAULT_UNIVERSE => {
            format!("https://storage.{}", k.universe_domain)
        }
        (None, _) => DEFAULT_ENDPOINT.to_owned(),
    };
    let url = url::Url::parse(&text)
        .map_err(|e| Error::invalid(format!("GCS endpoint {text:.100?}: {e}")))?;
    checked_endpoint(url)
}

/// An http(s) URL without credentials, query or fragment, its path's trailing `/` cut.
fn checked_endpoint(mut url: url::Url) -> Result<url::Url> {
    // A password in the endpoint would show in every Debug of the configuration.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "GCS endpoint must not hold a user name or password",
        ));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid(format!(
            "GCS endpoint {url} must be http(s)://host[:port]"
        )));
    }
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&base);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

fn check_chunk_size(bytes: usize) -> Result<usize> {
    match bytes > 0 && bytes % CHUNK_GRANULARITY == 0 && bytes <= 1 << 30 {
        true => Ok(bytes),
        false => Err(Error::invalid(format!(
            "GCS chunk size {bytes} is not a non-zero multiple of 256 KiB up to 1 GiB"
        ))),
    }
}

/// Project ids (`my-project-123`, and the legacy `example.com:project`) go into query
/// strings: letters, digits, `-`, `.`, `:`.
fn check_project(project: &str) -> Result<()> {
    let id_char = |b: u8| b.is_ascii_alphanumeric() || b"-.:".contains(&b);
    match !project.is_empty() && project.len() <= 100 && project.bytes().all(id_char) {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "GCS project {project:.64?} is not a project id"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::TEST_KEY_FILE;
    use std::collections::HashMap;

    /// A fake environment holding `pairs` and nothing else.
    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn from_env(pairs: &[(&str, &str)]) -> Result<GcsConfig> {
        GcsConfig::builder().from_env_with(env(pairs))?.build()
    }

    /// A temporary directory holding `name` with `contents`; the file's path.
    fn file(name: &str, contents: &[u8]) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        (dir, path.display().to_string())
    }

    const USER: &[u8] = br#"{"type": "authorized_user", "client_id": "cid",
        "client_secret": "SECRET-VALUE", "refresh_token": "SECRET-VALUE-2"}"#;

    /// An `InvalidInput` whose message holds every one of `needles` and no secret.
    fn assert_config_error(r: Result<GcsConfig>, needles: &[&str]) {
        let e = r.expect_err("a configuration error");
        let shown = format!("{e} | {e:?}");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{shown}");
        for n in needles {
            assert!(shown.contains(n), "{n:?} missing from {shown}");
        }
        assert!(
            !shown.contains("SECRET-VALUE") && !shown.contains("MIIE"),
            "{shown}"
        );
    }

    #[test]
    fn the_emulator_variable_means_http_and_anonymous() {
        let (_dir, key) = file("key.json", TEST_KEY_FILE.as_bytes());
        let c = from_env(&[
            ("STORAGE_EMULATOR_HOST", "127.0.0.1:4443"),
            ("GOOGLE_APPLICATION_CREDENTIALS", &key),
        ])
        .unwrap();
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:4443/");
        assert!(matches!(c.credentials, Source::Anonymous));
        assert!(c.emulator);
        let https = from_env(&[("STORAGE_EMULATOR_HOST", "https://gcs.test")]).unwrap();
        assert_eq!(https.endpoint.as_str(), "https://gcs.test/");
        // An explicit endpoint wins over the variable.
        let explicit = GcsConfig::builder()
            .endpoint("https://storage.example.com")
            .anonymous()
            .from_env_with(env(&[("STORAGE_EMULATOR_HOST", "127.0.0.1:1")]))
            .unwrap()
            .build()
            .unwrap();
        assert!(!explicit.emulator);
        assert_eq!(explicit.endpoint.host_str(), Some("storage.example.com"));
    }

    #[test]
    fn the_credentials_file_is_read_and_gives_the_project() {
        let (_dir, key) = file("key.json", TEST_KEY_FILE.as_bytes());
        let c = from_env(&[("GOOGLE_APPLICATION_CREDENTIALS", &key)]).unwrap();
        assert!(matches!(c.credentials, Source::ServiceAccount(_)));
        assert_eq!(c.project.as_deref(), Some("dummy-project-id"));
        assert_eq!(c.endpoint.as_str(), "https://storage.googleapis.com/");
        assert_eq!(c.scope, SCOPE_READ_WRITE);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("MIIE") && !shown.contains("BEGIN"),
            "{shown}"
        );
        let named = from_env(&[
            ("GOOGLE_APPLICATION_CREDENTIALS", &key),
            ("GOOGLE_CLOUD_PROJECT", "other-project"),
        ]);
        assert_eq!(named.unwrap().project.as_deref(), Some("other-project"));
        let (_dir, user) = file("user.json", USER);
        let u = from_env(&[("GOOGLE_APPLICATION_CREDENTIALS", &user)]).unwrap();
        assert!(matches!(u.credentials, Source::AuthorizedUser(_)));
        assert!(!format!("{u:?}").contains("SECRET-VALUE"));
    }

    #[test]
    fn gclouds_file_is_the_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let gcloud = dir.path().join(".config").join("gcloud");
        std::fs::create_dir_all(&gcloud).unwrap();
        let home = dir.path().display().to_string();
        assert_config_error(
            from_env(&[("HOME", &home)]),
            &["gcloud", "GCE_METADATA_HOST"],
        );
        std::fs::write(gcloud.join("application_default_credentials.json"), USER).unwrap();
        let c = from_env(&[("HOME", &home)]).unwrap();
        assert!(matches!(c.credentials, Source::AuthorizedUser(_)));
        let config = gcloud.display().to_string();
        let c = from_env(&[("CLOUDSDK_CONFIG", &config)]).unwrap();
        assert!(matches!(c.credentials, Source::AuthorizedUser(_)));
    }

    #[test]
    fn the_metadata_server_is_asked_for_not_assumed() {
        assert_config_error(
            from_env(&[]),
            &["no GCS credentials", "HOME unset", "anonymous"],
        );
        assert!(from_env(&[("GCE_METADATA_HOST", "h/x")]).is_err());
        let c = from_env(&[("GCE_METADATA_HOST", "169.254.169.254")]).unwrap();
        let Source::MetadataServer { host } = c.credentials else {
            panic!("metadata server");
        };
        assert_eq!(host, "169.254.169.254");
        let on = GcsConfig::builder().metadata_server(true).build().unwrap();
        assert!(matches!(on.credentials, Source::MetadataServer { host } if host == METADATA_HOST));
    }

    #[test]
    fn broken_files_and_variables_are_errors_naming_them() {
        let (_dir, bad) = file(
            "bad.json",
            br#"{"type": "authorized_user", "client_id": "c",
            "client_secret": "SECRET-VALUE"}"#,
        );
        let r = from_env(&[("GOOGLE_APPLICATION_CREDENTIALS", &bad)]);
        assert_config_error(
            r,
            &["GOOGLE_APPLICATION_CREDENTIALS", &bad, "refresh_token"],
        );
        let missing = format!("{bad}.missing");
        let r = from_env(&[("GOOGLE_APPLICATION_CREDENTIALS", &missing)]);
        assert_config_error(r, &["GOOGLE_APPLICATION_CREDENTIALS", &missing]);
        let (_dir, ext) = file("ext.json", br#"{"type": "external_account"}"#);
        let e = from_env(&[("GOOGLE_APPLICATION_CREDENTIALS", &ext)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        let not_utf8 = |name: &'static str| {
            move |n: &str| {
                use std::os::unix::ffi::OsStringExt;
                (n == name).then(|| OsString::from_vec(vec![b'a', 0xff]))
            }
        };
        for name in [
            "STORAGE_EMULATOR_HOST",
            "GOOGLE_CLOUD_PROJECT",
            "GCE_METADATA_HOST",
        ] {
            let e = GcsConfig::builder()
                .from_env_with(not_utf8(name))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.to_string().contains(name), "{e}");
        }
    }

    #[test]
    fn bad_settings_are_invalid_input() {
        let anon = || GcsConfig::builder().anonymous();
        assert!(anon().endpoint("ftp://x").build().is_err());
        assert!(anon().endpoint("not a url").build().is_err());
        assert!(anon().scope("").build().is_err());
        assert!(anon().scope("a\nb").build().is_err());
        assert!(anon().project("").build().is_err());
        assert!(anon().project("example.com:my-project").build().is_ok());
        let e = anon()
            .endpoint("http://user:hunter2@127.0.0.1:9000")
            .build();
        let e = e.unwrap_err();
        assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}");
        let based = anon()
            .endpoint("http://127.0.0.1:9000/base/?q#f")
            .build()
            .unwrap();
        assert_eq!(based.endpoint.as_str(), "http://127.0.0.1:9000/base");
    }

    #[test]
    fn anonymous_wins_and_explicit_credentials_reach_emulators() {
        let token = Source::StaticToken("SECRET-VALUE".into());
        let c = GcsConfig::builder()
            .credentials(token.clone())
            .anonymous()
            .build();
        assert!(matches!(c.unwrap().credentials, Source::Anonymous));
        let c = GcsConfig::builder()
            .emulator_host("127.0.0.1:1")
            .credentials(token)
            .build();
        let c = c.unwrap();
        assert!(matches!(c.credentials, Source::StaticToken(_)));
        assert!(!format!("{c:?}").contains("SECRET-VALUE"));
    }

    #[test]
    fn another_universe_gets_its_own_endpoint() {
        let mut doc: serde_json::Value = serde_json::from_str(TEST_KEY_FILE).unwrap();
        doc["universe_domain"] = "example-universe.test".into();
        let source = Source::from_json(&serde_json::to_vec(&doc).unwrap()).unwrap();
        let c = GcsConfig::builder().credentials(source).build().unwrap();
        assert_eq!(
            c.endpoint.as_str(),
            "https://storage.example-universe.test/"
        );
    }
}
