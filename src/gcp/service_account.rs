//! The credentials files of Google Cloud: a service-account key (`"type":
//! "service_account"`) and a user's refresh token (`"type": "authorized_user"`, what
//! `gcloud auth application-default login` writes), as `GOOGLE_APPLICATION_CREDENTIALS`
//! names them. Pure: the caller reads the file.
//!
//! Errors are `InvalidInput` naming the field that is missing or malformed, never quoting
//! a value (a value may be the key).

use std::fmt;

use serde_json::{Map, Value};

use super::rsa::RsaSigner;
use super::{DEFAULT_TOKEN_URI, DEFAULT_UNIVERSE};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, Result};

/// Credentials files are a few kilobytes; anything far larger is not one.
const MAX_FILE_LEN: usize = 64 * 1024;

/// What a credentials file (`GOOGLE_APPLICATION_CREDENTIALS`) holds, by its `type`.
///
/// ```
/// use multicloud::gcp::service_account::CredentialsFile;
///
/// let json = br#"{"type": "authorized_user", "client_id": "id.apps.googleusercontent.com",
///                 "client_secret": "s3cr3t", "refresh_token": "1//r3fr3sh"}"#;
/// let CredentialsFile::AuthorizedUser(user) = CredentialsFile::parse(json)? else {
///     panic!("an authorized_user file");
/// };
/// assert_eq!(user.client_id, "id.apps.googleusercontent.com");
/// assert!(!format!("{user:?}").contains("s3cr3t"));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CredentialsFile {
    /// `"type": "service_account"`: a key that signs its own token requests.
    ServiceAccount(ServiceAccountKey),
    /// `"type": "authorized_user"`: a user's refresh token.
    AuthorizedUser(AuthorizedUser),
}

impl CredentialsFile {
    /// Parses a credentials file by its `type`. A type this crate does not support yet
    /// (`external_account`, `impersonated_service_account`...) is `Unsupported`; an
    /// unknown one, broken JSON or a missing field is `InvalidInput`.
    ///
    /// ```
    /// # use multicloud::gcp::service_account::CredentialsFile;
    /// let e = CredentialsFile::parse(br#"{"type": "external_account"}"#).unwrap_err();
    /// assert_eq!(e.kind(), multicloud::ErrorKind::Unsupported);
    /// ```
    pub fn parse(json: &[u8]) -> Result<Self> {
        let doc = object("credentials file", json)?;
        match text(&doc, "credentials file", "type")? {
            "service_account" => ServiceAccountKey::from_fields(&doc).map(Self::ServiceAccount),
            "authorized_user" => AuthorizedUser::from_fields(&doc).map(Self::AuthorizedUser),
            other => Err(unsupported_type(other)),
        }
    }

    /// The file's `type` as written in it.
    ///
    /// ```
    /// # use multicloud::gcp::service_account::CredentialsFile;
    /// let json = br#"{"type": "authorized_user", "client_id": "i", "client_secret": "s",
    ///                 "refresh_token": "r"}"#;
    /// assert_eq!(CredentialsFile::parse(json)?.kind(), "authorized_user");
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ServiceAccount(_) => "service_account",
            Self::AuthorizedUser(_) => "authorized_user",
        }
    }
}

/// The types Google documents that this crate does not handle (yet).
const KNOWN_UNSUPPORTED: [&str; 4] = [
    "external_account",
    "external_account_authorized_user",
    "impersonated_service_account",
    "gdch_service_account",
];

fn unsupported_type(kind: &str) -> Error {
    if KNOWN_UNSUPPORTED.contains(&kind) {
        return Error::new(
            ErrorKind::Unsupported,
            format!("credentials file: type `{kind}` is not supported"),
        );
    }
    // Not a secret, but possibly anything: shown short and escaped.
    Error::invalid(format!("credentials file: unknown type {kind:.40?}"))
}

/// A service-account key (`"type": "service_account"`). `Debug` never shows the key.
///
/// ```no_run
/// use multicloud::gcp::service_account::ServiceAccountKey;
///
/// let key = ServiceAccountKey::from_json(&std::fs::read("key.json")?)?;
/// println!("signing as {}", key.client_email);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ServiceAccountKey {
    /// The project the account belongs to (`project_id`), where the file says.
    pub project_id: Option<String>,
    /// Which of the account's keys this is (`private_key_id`), where the file says.
    pub private_key_id: Option<String>,
    /// The account (`client_email`): the JWT issuer and the signed URLs' credential.
    pub client_email: String,
    /// Where assertions are exchanged for access tokens (`token_uri`, default
    /// [`DEFAULT_TOKEN_URI`]); https, or http to a loopback address (tests).
    pub token_uri: String,
    /// The universe the account lives in (`universe_domain`, default `googleapis.com`).
    pub universe_domain: String,
    signer: RsaSigner,
}

impl ServiceAccountKey {
    /// Parses a key file; its `type` must be `service_account`, `private_key` a PEM
    /// PKCS#8 RSA key, `client_email` present.
    ///
    /// ```
    /// # use multicloud::gcp::service_account::ServiceAccountKey;
    /// let e = ServiceAccountKey::from_json(br#"{"type": "service_account"}"#).unwrap_err();
    /// assert!(e.to_string().contains("private_key"), "{e}");
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let doc = object(SA, json)?;
        match text(&doc, SA, "type")? {
            "service_account" => Self::from_fields(&doc),
            _ => Err(Error::invalid(format!(
                "{SA}: type is not `service_account`"
            ))),
        }
    }

    fn from_fields(doc: &Map<String, Value>) -> Result<Self> {
        let signer = RsaSigner::from_pem(text(doc, SA, "private_key")?)
            .map_err(|e| Error::invalid(format!("{SA}: {}", e.message())))?;
        Ok(ServiceAccountKey {
            project_id: optional_text(doc, SA, "project_id")?.map(str::to_owned),
            private_key_id: optional_text(doc, SA, "private_key_id")?.map(str::to_owned),
            client_email: printable(doc, SA, "client_email")?,
            token_uri: token_uri(doc, SA)?,
            universe_domain: universe(doc)?,
            signer,
        })
    }

    /// The key, to sign JWT assertions and signed URLs with.
    ///
    /// ```no_run
    /// # use multicloud::gcp::service_account::ServiceAccountKey;
    /// # let key = ServiceAccountKey::from_json(&std::fs::read("key.json")?)?;
    /// let signature = key.signer().sign(b"to sign")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signer(&self) -> &RsaSigner {
        &self.signer
    }
}

const SA: &str = "service account key";
const USER: &str = "authorized_user credentials";

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("project_id", &self.project_id)
            .field("private_key_id", &self.private_key_id)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("universe_domain", &self.universe_domain)
            .field("private_key", &"***")
            .finish()
    }
}

/// A user's refresh token (`"type": "authorized_user"`). The secret and the token are
/// [`Secret`]s.
///
/// ```
/// use multicloud::gcp::service_account::AuthorizedUser;
///
/// let json = br#"{"type": "authorized_user", "client_id": "i", "client_secret": "s",
///                 "refresh_token": "r", "quota_project_id": "my-project"}"#;
/// let user = AuthorizedUser::from_json(json)?;
/// assert_eq!(user.quota_project_id.as_deref(), Some("my-project"));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizedUser {
    /// The OAuth client the token was issued to.
    pub client_id: String,
    /// The OAuth client's secret.
    pub client_secret: Secret,
    /// The refresh token.
    pub refresh_token: Secret,
    /// The project billed for quota, where the file names one.
    pub quota_project_id: Option<String>,
    /// Where refresh tokens are exchanged ([`DEFAULT_TOKEN_URI`] unless the file says).
    pub token_uri: String,
}

impl AuthorizedUser {
    /// Parses an `authorized_user` file (`client_id`, `client_secret`, `refresh_token`).
    ///
    /// ```
    /// # use multicloud::gcp::service_account::AuthorizedUser;
    /// let e = AuthorizedUser::from_json(br#"{"type": "authorized_user", "client_id": "i",
    ///                                        "client_secret": "s"}"#).unwrap_err();
    /// assert!(e.to_string().contains("refresh_token"), "{e}");
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let doc = object(USER, json)?;
        match text(&doc, USER, "type")? {
            "authorized_user" => Self::from_fields(&doc),
            _ => Err(Error::invalid(format!(
                "{USER}: type is not `authorized_user`"
            ))),
        }
    }

    fn from_fields(doc: &Map<String, Value>) -> Result<Self> {
        Ok(AuthorizedUser {
            client_id: printable(doc, USER, "client_id")?,
            client_secret: Secret::new(text(doc, USER, "client_secret")?),
            refresh_token: Secret::new(text(doc, USER, "refresh_token")?),
            quota_project_id: optional_text(doc, USER, "quota_project_id")?.map(str::to_owned),
            token_uri: token_uri(doc, USER)?,
        })
    }
}

/// The JSON object of a file, refusing anything else. serde_json's messages may quote
/// values, so only the position is reported.
fn object(what: &str, json: &[u8]) -> Result<Map<String, Value>> {
    if json.len() > MAX_FILE_LEN {
        return Err(Error::invalid(format!("{what}: over {MAX_FILE_LEN} bytes")));
    }
    match serde_json::from_slice(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid(format!("{what}: not a JSON object"))),
        Err(e) => Err(Error::invalid(format!(
            "{what}: malformed JSON (line {}, column {})",
            e.line(),
            e.column()
        ))),
    }
}

/// A field that must be a non-empty string.
fn text<'a>(doc: &'a Map<String, Value>, what: &str, field: &str) -> Result<&'a str> {
    optional_text(doc, what, field)?
        .ok_or_else(|| Error::invalid(format!("{what}: field `{field}` is missing")))
}

/// A field that may be absent (or null); when present, a non-empty string.
fn optional_text<'a>(
    doc: &'a Map<String, Value>,
    what: &str,
    field: &str,
) -> Result<Option<&'a str>> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(Error::invalid(format!(
            "{what}: field `{field}` is not a non-empty string"
        ))),
    }
}

/// A field that goes into headers or URLs: visible ASCII only.
fn printable(doc: &Map<String, Value>, what: &str, field: &str) -> Result<String> {
    let value = text(doc, what, field)?;
    if value.len() > 1024 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(format!(
            "{what}: field `{field}` is not visible ASCII"
        )));
    }
    Ok(value.to_owned())
}

/// `token_uri`, where signed assertions and refresh tokens are sent: it must not leak
/// them in clear over a network.
fn token_uri(doc: &Map<String, Value>, what: &str) -> Result<String> {
    let Some(uri) = optional_text(doc, what, "token_uri")? else {
        return Ok(DEFAULT_TOKEN_URI.to_owned());
    };
    if !super::url_is_safe_for_secrets(uri) {
        return Err(Error::invalid(format!(
            "{what}: token_uri must be an https URL (http only to a loopback address)"
        )));
    }
    Ok(uri.to_owned())
}

fn universe(doc: &Map<String, Value>) -> Result<String> {
    let Some(domain) = optional_text(doc, SA, "universe_domain")? else {
        return Ok(DEFAULT_UNIVERSE.to_owned());
    };
    let host_char = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    if domain.len() > 253 || !domain.bytes().all(host_char) {
        return Err(Error::invalid(format!(
            "{SA}: field `universe_domain` is not a domain name"
        )));
    }
    Ok(domain.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::TEST_KEY_FILE;

    fn with(field: &str, value: Value) -> Vec<u8> {
        let mut doc: Map<String, Value> = serde_json::from_str(TEST_KEY_FILE).unwrap();
        match value {
            Value::Null => doc.remove(field),
            v => doc.insert(field.to_owned(), v),
        };
        serde_json::to_vec(&doc).unwrap()
    }

    #[test]
    fn the_conformance_key_parses() {
        let key = ServiceAccountKey::from_json(TEST_KEY_FILE.as_bytes()).unwrap();
        assert_eq!(
            key.client_email,
            "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com"
        );
        assert_eq!(key.project_id.as_deref(), Some("dummy-project-id"));
        assert_eq!(key.token_uri, "https://oauth2.googleapis.com/token");
        assert_eq!(key.universe_domain, "googleapis.com");
        let file = CredentialsFile::parse(TEST_KEY_FILE.as_bytes()).unwrap();
        assert_eq!(file.kind(), "service_account");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = ServiceAccountKey::from_json(TEST_KEY_FILE.as_bytes()).unwrap();
        let file = CredentialsFile::parse(TEST_KEY_FILE.as_bytes()).unwrap();
        let shown = format!("{key:?} {file:?}");
        assert!(shown.contains("test-iam-credentials@"), "{shown}");
        assert!(!shown.contains("MII"), "{shown}");
        assert!(!shown.contains("BEGIN"), "{shown}");
    }

    #[test]
    fn defaults_fill_absent_optional_fields() {
        let key = ServiceAccountKey::from_json(&with("token_uri", Value::Null)).unwrap();
        assert_eq!(key.token_uri, DEFAULT_TOKEN_URI);
        let key = ServiceAccountKey::from_json(&with("project_id", Value::Null)).unwrap();
        assert_eq!(key.project_id, None);
        let local = with("token_uri", "http://127.0.0.1:8080/token".into());
        assert!(ServiceAccountKey::from_json(&local).is_ok());
    }

    #[test]
    fn malformed_files_name_the_field_and_never_echo_the_key() {
        let cases: [(Vec<u8>, &str); 9] = [
            (with("private_key", Value::Null), "`private_key` is missing"),
            (with("private_key", 5.into()), "`private_key` is not"),
            (
                with("private_key", "-----BEGIN PRIVATE KEY-----\nAAAA".into()),
                "END",
            ),
            (
                with("client_email", Value::Null),
                "`client_email` is missing",
            ),
            (
                with("client_email", "a b@c".into()),
                "`client_email` is not visible",
            ),
            (
                with("token_uri", "http://evil.example/token".into()),
                "token_uri",
            ),
            (with("universe_domain", "a/b".into()), "universe_domain"),
            (TEST_KEY_FILE.as_bytes()[..200].to_vec(), "malformed JSON"),
            (b"[1]".to_vec(), "not a JSON object"),
        ];
        for (json, needle) in cases {
            let e = ServiceAccountKey::from_json(&json).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{shown}");
            assert!(shown.contains(needle), "{needle:?} not in {shown}");
            assert!(!shown.contains("MIIE"), "{shown}");
        }
        let huge = vec![b' '; MAX_FILE_LEN + 1];
        assert!(CredentialsFile::parse(&huge).is_err());
    }

    #[test]
    fn a_wrong_key_is_refused_with_ring_reason() {
        let e = ServiceAccountKey::from_json(&with(
            "private_key",
            "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n".into(),
        ))
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid input: service account key: private key")
        );
    }

    #[test]
    fn types_are_told_apart() {
        let user = br#"{"type": "authorized_user", "client_id": "cid",
            "client_secret": "very-secret-cs", "refresh_token": "very-secret-rt"}"#;
        let CredentialsFile::AuthorizedUser(u) = CredentialsFile::parse(user).unwrap() else {
            panic!("authorized_user");
        };
        assert_eq!(u.refresh_token.expose(), "very-secret-rt");
        assert_eq!(u.token_uri, DEFAULT_TOKEN_URI);
        assert!(!format!("{u:?}").contains("very-secret"));
        assert!(ServiceAccountKey::from_json(user).is_err());
        assert!(AuthorizedUser::from_json(TEST_KEY_FILE.as_bytes()).is_err());
        let e = CredentialsFile::parse(br#"{"type": "impersonated_service_account"}"#);
        assert_eq!(e.unwrap_err().kind(), ErrorKind::Unsupported);
        let e = CredentialsFile::parse(br#"{"type": "weird\nthing"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains(r#""weird\nthing""#), "{e}");
        let e = CredentialsFile::parse(br#"{"client_id": "x"}"#).unwrap_err();
        assert!(e.to_string().contains("`type` is missing"), "{e}");
    }
}
