//! Google Cloud credentials, pure parts: the credentials files
//! ([`service_account`]), the RSA key that signs ([`rsa`]), the token requests and the
//! parsing of their answers with the freshness decision ([`token`]), and where tokens come
//! from ([`Source`]). Every Google driver (GCS first) gets its access tokens from these,
//! run by a thin I/O shell per mode, as the AWS chain is.

use std::path::Path;
use std::sync::Arc;

use crate::credentials::Secret;
use crate::error::{Error, Result};

pub mod rsa;
pub mod service_account;
pub mod token;

use service_account::{AuthorizedUser, CredentialsFile, ServiceAccountKey};

/// Where service-account assertions and refresh tokens are exchanged by default.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// The universe (domain) of Google's public cloud.
pub const DEFAULT_UNIVERSE: &str = "googleapis.com";

/// The metadata server's host on GCE, GKE and Cloud Run (`GCE_METADATA_HOST` overrides).
pub const METADATA_HOST: &str = "metadata.google.internal";

/// Where access tokens come from.
///
/// ```
/// use multicloud::gcp::Source;
///
/// let source = Source::from_json(br#"{"type": "authorized_user", "client_id": "i",
///     "client_secret": "very-secret", "refresh_token": "very-secret-too"}"#)?;
/// assert_eq!(source.name(), "authorized_user refresh token");
/// assert!(!format!("{source:?}").contains("very-secret"));
/// # Ok::<(), multicloud::Error>(())
/// ```
// Every secret inside prints as `***` (`Secret`, `ServiceAccountKey`'s own `Debug`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Source {
    /// A service-account key: tokens from the JWT bearer grant, signed here. Signed URLs
    /// can be made with it.
    ServiceAccount(Arc<ServiceAccountKey>),
    /// A user's refresh token (`gcloud auth application-default login`).
    AuthorizedUser(Arc<AuthorizedUser>),
    /// The metadata server of the machine (GCE, GKE workload identity, Cloud Run).
    MetadataServer {
        /// `host[:port]`, [`METADATA_HOST`] unless overridden.
        host: String,
    },
    /// A fixed access token, sent as it is and never refreshed.
    StaticToken(Secret),
    /// No credentials: requests go unauthenticated (public buckets, emulators).
    Anonymous,
}

impl Source {
    /// The source a credentials file describes (`service_account` or
    /// `authorized_user`); errors as [`CredentialsFile::parse`].
    ///
    /// ```
    /// # use multicloud::gcp::Source;
    /// let e = Source::from_json(b"{}").unwrap_err();
    /// assert_eq!(e.kind(), multicloud::ErrorKind::InvalidInput);
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Self> {
        Ok(match CredentialsFile::parse(json)? {
            CredentialsFile::ServiceAccount(k) => Source::ServiceAccount(Arc::new(k)),
            CredentialsFile::AuthorizedUser(u) => Source::AuthorizedUser(Arc::new(u)),
        })
    }

    /// Reads and parses a credentials file. Errors name the file (a path is not secret).
    ///
    /// ```
    /// # use multicloud::gcp::Source;
    /// let e = Source::from_file("/nonexistent/key.json").unwrap_err();
    /// assert!(e.to_string().contains("/nonexistent/key.json"), "{e}");
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
        Self::from_json(&bytes)
            .map_err(|e| Error::new(e.kind(), format!("{shown}: {}", e.message())))
    }

    /// A short name for errors and logs.
    ///
    /// ```
    /// # use multicloud::gcp::Source;
    /// assert_eq!(Source::Anonymous.name(), "anonymous");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Source::ServiceAccount(_) => "service account key",
            Source::AuthorizedUser(_) => "authorized_user refresh token",
            Source::MetadataServer { .. } => "metadata server",
            Source::StaticToken(_) => "static access token",
            Source::Anonymous => "anonymous",
        }
    }
}

/// The conformance suite's dummy (inactive) service-account key, for tests.
#[cfg(test)]
pub(crate) const TEST_KEY_FILE: &str =
    include_str!("../../tests/data/gcs-v4/test_service_account.not-a-test.json");

/// An I/O error reading `path`, of the kind the I/O error maps to, naming the path.
fn file_error(path: &Path, e: std::io::Error) -> Error {
    let kind = Error::from(std::io::Error::from(e.kind())).kind();
    Error::new(kind, format!("{}: {e}", path.display())).with_source(e)
}

/// Whether secrets (assertions, refresh tokens) may be sent to `url`: https anywhere,
/// http only to a loopback address (tests, local fakes).
pub(crate) fn url_is_safe_for_secrets(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    match (u.scheme(), u.host()) {
        ("https", Some(_)) => u.username().is_empty() && u.password().is_none(),
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Domain(d))) => d == "localhost",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn only_https_or_loopback_may_receive_secrets() {
        assert!(url_is_safe_for_secrets(
            "https://oauth2.googleapis.com/token"
        ));
        assert!(url_is_safe_for_secrets("http://127.0.0.1:8080/token"));
        assert!(url_is_safe_for_secrets("http://[::1]/token"));
        assert!(url_is_safe_for_secrets("http://localhost/token"));
        assert!(!url_is_safe_for_secrets(
            "http://oauth2.googleapis.com/token"
        ));
        assert!(!url_is_safe_for_secrets("https://u:p@host/token"));
        assert!(!url_is_safe_for_secrets("file:///token"));
        assert!(!url_is_safe_for_secrets("token"));
    }

    #[test]
    fn sources_never_print_secrets() {
        let key = TEST_KEY_FILE.as_bytes();
        let user = br#"{"type": "authorized_user", "client_id": "cid",
            "client_secret": "very-secret-cs", "refresh_token": "very-secret-rt"}"#;
        let sources = [
            Source::from_json(key).unwrap(),
            Source::from_json(user).unwrap(),
            Source::StaticToken(Secret::new("very-secret-token")),
            Source::MetadataServer {
                host: METADATA_HOST.into(),
            },
            Source::Anonymous,
        ];
        for s in &sources {
            let shown = format!("{s:?} {}", s.name());
            assert!(!shown.contains("very-secret"), "{shown}");
            assert!(!shown.contains("MIIE"), "{shown}");
        }
    }

    #[test]
    fn files_are_read_and_errors_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        std::fs::write(&path, TEST_KEY_FILE).unwrap();
        assert_eq!(
            Source::from_file(&path).unwrap().name(),
            "service account key"
        );
        std::fs::write(&path, b"{\"type\": 1}").unwrap();
        let e = Source::from_file(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        let missing = Source::from_file(dir.path().join("nope")).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
    }
}
