//! The AWS credentials chain, pure parts: which source to use ([`chain`]), the requests
//! each source needs and the parsing of their answers ([`sts`], [`metadata`]), and when
//! cached credentials must be refreshed ([`freshness`]). Every AWS driver (S3 today) gets
//! its credentials from one provider per mode (`blocking::aws::CredentialsProvider`,
//! `asynchronous::aws::CredentialsProvider`), which runs these in its thin I/O shell.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use crate::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind};

pub mod chain;
pub mod metadata;
pub(crate) mod settings;
pub mod sts;

pub use chain::{ChainOptions, resolve};
pub use settings::AwsSettings;

/// How long before their expiry temporary credentials are refreshed.
pub const REFRESH_EARLY: Duration = Duration::from_secs(5 * 60);

/// The default instance-metadata endpoint (IMDS).
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254";

/// How long a `credential_process` command may run.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// The container-credentials host `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is relative to.
pub const ECS_ENDPOINT: &str = "http://169.254.170.2";

/// Credentials with the time they stop being valid (`None`: they do not expire).
#[derive(Clone, PartialEq, Eq)]
pub struct Timed {
    /// The credentials.
    pub credentials: Arc<Credentials>,
    /// When they expire, if they do.
    pub expires: Option<SystemTime>,
}

impl Timed {
    /// Credentials that never expire.
    pub fn fixed(credentials: Credentials) -> Self {
        Timed {
            credentials: Arc::new(credentials),
            expires: None,
        }
    }
}

impl fmt::Debug for Timed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timed")
            .field("credentials", &self.credentials)
            .field("expires", &self.expires)
            .finish()
    }
}

/// The credentials a provider holds now, shared with the signers that read them (an
/// `RwLock` read and an `Arc` clone per request; no allocation).
#[derive(Default)]
pub struct Cache(RwLock<Option<Timed>>);

impl Cache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache holding credentials that never expire.
    pub fn fixed(credentials: Credentials) -> Self {
        Cache(RwLock::new(Some(Timed::fixed(credentials))))
    }

    /// What it holds.
    pub fn current(&self) -> Option<Timed> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The credentials it holds.
    pub fn credentials(&self) -> Option<Arc<Credentials>> {
        let held = self.0.read().unwrap_or_else(PoisonError::into_inner);
        held.as_ref().map(|t| t.credentials.clone())
    }

    /// Replaces what it holds.
    pub fn store(&self, timed: Timed) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(timed);
    }
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cache").field(&self.current()).finish()
    }
}

/// What to do with cached credentials at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Use them.
    Fresh,
    /// Refresh them; if the refresh fails, they may still be used.
    RefreshEarly,
    /// They have expired: refresh, and fail if that fails.
    Expired,
}

/// Whether credentials expiring at `expires` are fresh at `now`, due for an early refresh
/// ([`REFRESH_EARLY`] before expiry), or expired.
pub fn freshness(now: SystemTime, expires: Option<SystemTime>) -> Freshness {
    match expires {
        None => Freshness::Fresh,
        Some(e) if now >= e => Freshness::Expired,
        Some(e) if now + REFRESH_EARLY >= e => Freshness::RefreshEarly,
        Some(_) => Freshness::Fresh,
    }
}

/// Whether credentials expiring at `expires` must be refreshed before use at `now`.
pub fn must_refresh(now: SystemTime, expires: Option<SystemTime>) -> bool {
    freshness(now, expires) != Freshness::Fresh
}

/// Where credentials come from: the source the chain chose (see [`chain::resolve`]).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Fixed credentials (explicit, environment, or a profile's keys).
    Static(Credentials),
    /// STS `AssumeRoleWithWebIdentity` with the token read from a file at each refresh.
    WebIdentity(WebIdentity),
    /// STS `AssumeRole`, signed with a source profile's keys.
    AssumeRole(AssumeRole),
    /// A command printing credentials as JSON (`credential_process`).
    Process {
        /// The command line, run by `sh -c`.
        command: String,
        /// The profile that named it (for errors).
        profile: String,
        /// How long it may run before it is killed ([`PROCESS_TIMEOUT`] from the chain).
        timeout: Duration,
    },
    /// The container credentials endpoint (ECS, EKS pod identity).
    Container(Container),
    /// EC2 instance metadata (IMDSv2; v1 only when allowed).
    InstanceMetadata {
        /// `http://169.254.169.254` unless overridden.
        endpoint: String,
        /// Fall back to IMDSv1 (no token) when the token request is refused.
        allow_v1: bool,
    },
}

/// Settings of [`Source::WebIdentity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// The file holding the identity token.
    pub token_file: PathBuf,
    /// The role to assume.
    pub role_arn: String,
    /// The session name.
    pub session_name: String,
    /// The STS endpoint (`https://sts.REGION.amazonaws.com`).
    pub sts_endpoint: String,
}

/// Settings of [`Source::AssumeRole`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// The role to assume.
    pub role_arn: String,
    /// The session name.
    pub session_name: String,
    /// The external id the role's trust policy may require.
    pub external_id: Option<String>,
    /// The keys that sign the request (the source profile's).
    pub source: Credentials,
    /// The STS endpoint.
    pub sts_endpoint: String,
    /// The region STS requests are signed for.
    pub region: String,
}

/// Settings of [`Source::Container`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The full URL credentials are read from.
    pub url: String,
    /// The `Authorization` header value, when given directly.
    pub token: Option<Secret>,
    /// A file holding the `Authorization` value, read at each refresh.
    pub token_file: Option<PathBuf>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Static(c) => f.debug_tuple("Static").field(c).finish(),
            Source::WebIdentity(w) => f.debug_tuple("WebIdentity").field(w).finish(),
            Source::AssumeRole(a) => f.debug_tuple("AssumeRole").field(a).finish(),
            Source::Process { profile, .. } => f
                .debug_struct("Process")
                .field("profile", profile)
                .finish_non_exhaustive(),
            Source::Container(c) => f.debug_tuple("Container").field(c).finish(),
            Source::InstanceMetadata { endpoint, allow_v1 } => f
                .debug_struct("InstanceMetadata")
                .field("endpoint", endpoint)
                .field("allow_v1", allow_v1)
                .finish(),
        }
    }
}

impl Source {
    /// A short name for errors and logs (`sts AssumeRole`, `instance metadata`...).
    pub fn name(&self) -> &'static str {
        match self {
            Source::Static(_) => "static credentials",
            Source::WebIdentity(_) => "sts AssumeRoleWithWebIdentity",
            Source::AssumeRole(_) => "sts AssumeRole",
            Source::Process { .. } => "credential_process",
            Source::Container(_) => "container credentials",
            Source::InstanceMetadata { .. } => "instance metadata",
        }
    }
}

/// A `Parse` error about an answer of `source`, never quoting it.
pub(crate) fn parse_error(source: &str, what: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Parse,
        format!("credentials from {source}: {what}"),
    )
    .with_provider("aws")
}

/// An RFC 3339 time (`2026-12-02T13:35:13Z`, fractions allowed).
pub(crate) fn parse_time(source: &str, text: &str) -> crate::error::Result<SystemTime> {
    let t =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| parse_error(source, "Expiration is not an RFC 3339 time"))?;
    Ok(SystemTime::from(t))
}

/// Credentials from their parts, each checked: a key id of printable ASCII, a non-empty
/// secret, a token if any.
pub(crate) fn checked_credentials(
    source: &str,
    key_id: String,
    secret: String,
    token: Option<String>,
) -> crate::error::Result<Credentials> {
    let printable =
        |s: &str| !s.is_empty() && s.len() <= 256 && s.bytes().all(|b| b.is_ascii_graphic());
    if !printable(&key_id) {
        return Err(parse_error(
            source,
            "AccessKeyId is empty or not printable ASCII",
        ));
    }
    if secret.is_empty() || secret.chars().any(char::is_control) {
        return Err(parse_error(
            source,
            "SecretAccessKey is empty or holds control characters",
        ));
    }
    let c = Credentials::new(key_id, secret);
    match token {
        Some(t) if t.is_empty() || t.chars().any(char::is_control) => Err(parse_error(
            source,
            "the session token is empty or holds control characters",
        )),
        Some(t) => Ok(c.with_session_token(t)),
        None => Ok(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_refreshes_five_minutes_early_and_fails_after_expiry() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let exp = Some(t0 + Duration::from_secs(3600));
        assert_eq!(freshness(t0, None), Freshness::Fresh);
        assert_eq!(freshness(t0, exp), Freshness::Fresh);
        let early = t0 + Duration::from_secs(3600 - 300);
        assert_eq!(
            freshness(early - Duration::from_secs(1), exp),
            Freshness::Fresh
        );
        assert_eq!(freshness(early, exp), Freshness::RefreshEarly);
        assert_eq!(
            freshness(t0 + Duration::from_secs(3600), exp),
            Freshness::Expired
        );
        assert!(must_refresh(early, exp));
        assert!(!must_refresh(t0, exp));
        assert!(!must_refresh(t0, None));
    }

    #[test]
    fn checked_credentials_refuse_garbage() {
        assert!(checked_credentials("x", "AK".into(), "S".into(), None).is_ok());
        assert!(checked_credentials("x", "".into(), "S".into(), None).is_err());
        assert!(checked_credentials("x", "A K".into(), "S".into(), None).is_err());
        assert!(checked_credentials("x", "AK".into(), "".into(), None).is_err());
        let e = checked_credentials("x", "AK".into(), "S".into(), Some("a\nb".into())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(parse_time("x", "2026-12-02T13:35:13.292362Z").is_ok());
        assert!(parse_time("x", "tomorrow").is_err());
    }

    #[test]
    fn sources_never_print_secrets() {
        let keys =
            Credentials::new("AKID", "very-secret-key").with_session_token("very-secret-tok");
        let sources = [
            Source::Static(keys.clone()),
            Source::AssumeRole(AssumeRole {
                role_arn: "arn:r".into(),
                session_name: "s".into(),
                external_id: None,
                source: keys.clone(),
                sts_endpoint: "http://127.0.0.1".into(),
                region: "us-east-1".into(),
            }),
            Source::Container(Container {
                url: "http://127.0.0.1/c".into(),
                token: Some("very-secret-auth".into()),
                token_file: None,
            }),
            Source::Process {
                command: "echo very-secret-inline".into(),
                profile: "p".into(),
                timeout: PROCESS_TIMEOUT,
            },
        ];
        for s in &sources {
            let shown = format!("{s:?} {}", s.name());
            assert!(!shown.contains("very-secret"), "{shown}");
        }
        let t = Timed::fixed(keys);
        assert!(!format!("{t:?}").contains("very-secret"));
    }
}
