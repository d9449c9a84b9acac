//! OAuth 2.0 access tokens for the Google and Azure drivers: where they come from, cached,
//! refreshed before they expire, one refresh at a time. The requests and the parsing of
//! the answers are the core's ([`crate::gcp::token`], [`crate::entra`]).

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use super::aws::Clock;
use super::http::{HttpClient, TransportConfig};
use super::rt::{self, maybe_async};
use crate::credentials::Secret;
use crate::entra::{self, ClientSecretCredential};
use crate::error::{Error, Result};
use crate::gcp::{
    self,
    token::{self, AccessToken, Freshness},
};

/// Where a [`TokenProvider`] gets its tokens.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TokenSource {
    /// Google credentials (service account, `authorized_user`, metadata server, a fixed
    /// token or none), asking for `scope`.
    Google {
        /// The credentials.
        source: gcp::Source,
        /// Space-separated OAuth scopes.
        scope: String,
    },
    /// A Microsoft Entra application's client secret, asking for `scope`
    /// ([`entra::STORAGE_SCOPE`] for Azure Storage).
    Entra {
        /// The credential.
        credential: Arc<ClientSecretCredential>,
        /// The scope (`{resource}/.default`).
        scope: String,
    },
}

impl TokenSource {
    fn name(&self) -> &'static str {
        match self {
            TokenSource::Google { source, .. } => source.name(),
            TokenSource::Entra { .. } => "Microsoft Entra client secret",
        }
    }

    fn provider(&self) -> &'static str {
        match self {
            TokenSource::Google { .. } => "gcp",
            TokenSource::Entra { .. } => "azure",
        }
    }

    /// The token of a source that never needs fetching: `Some(None)` for anonymous
    /// access, `Some(Some(..))` for a fixed token, `None` for the others.
    fn fixed(&self) -> Option<Option<Secret>> {
        match self {
            TokenSource::Google {
                source: gcp::Source::Anonymous,
                ..
            } => Some(None),
            TokenSource::Google {
                source: gcp::Source::StaticToken(t),
                ..
            } => Some(Some(t.clone())),
            _ => None,
        }
    }
}

/// Access tokens from a [`TokenSource`], cached while fresh and refreshed five minutes
/// before they expire (a failed early refresh keeps the current token until it expires);
/// concurrent callers share one refresh. Cheap to clone: clones share the cache.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::tokens::{TokenProvider, TokenSource};

let source = TokenSource::Google {
    source: multicloud::gcp::Source::StaticToken("ya29.token".into()),
    scope: "https://www.googleapis.com/auth/devstorage.read_write".into(),
};
let tokens = TokenProvider::new(source)?;
let header = tokens.authorization()?.expect("a token");
assert_eq!(header.expose(), "Bearer ya29.token");
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::tokens::{TokenProvider, TokenSource};

let source = TokenSource::Google {
    source: multicloud::gcp::Source::StaticToken("ya29.token".into()),
    scope: "https://www.googleapis.com/auth/devstorage.read_write".into(),
};
let tokens = TokenProvider::new(source)?;
let header = tokens.authorization().await?.expect("a token");
assert_eq!(header.expose(), "Bearer ya29.token");
# Ok(())
# }
```
"#,
)]
#[derive(Clone)]
pub struct TokenProvider {
    inner: Arc<Inner>,
}

struct Inner {
    source: TokenSource,
    http: HttpClient,
    cache: RwLock<Option<AccessToken>>,
    flight: rt::FlightLock,
    clock: Clock,
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenProvider")
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

/// Token endpoints answer fast or not at all: short limits, so a stuck one fails the call.
fn token_transport() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(15))
}

impl TokenProvider {
    /// A provider with the default (short-timeout) transport.
    pub fn new(source: TokenSource) -> Result<Self> {
        Self::with_transport(source, token_transport())
    }

    /// A provider whose token requests go through `transport`.
    pub fn with_transport(source: TokenSource, transport: TransportConfig) -> Result<Self> {
        let http = HttpClient::new(transport)?.for_provider(source.provider());
        Ok(TokenProvider {
            inner: Arc::new(Inner {
                source,
                http,
                cache: RwLock::new(None),
                flight: rt::FlightLock::default(),
                clock: Arc::new(SystemTime::now),
            }),
        })
    }

    /// The same source with another clock and an empty cache (tests of expiry).
    pub fn with_clock(self, clock: Clock) -> Self {
        TokenProvider {
            inner: Arc::new(Inner {
                source: self.inner.source.clone(),
                http: self.inner.http.clone(),
                cache: RwLock::new(None),
                flight: rt::FlightLock::default(),
                clock,
            }),
        }
    }

    /// Where the tokens come from.
    pub fn source(&self) -> &TokenSource {
        &self.inner.source
    }

    /// Forgets the cached token, so the next call fetches one (after the service refused
    /// it, for instance).
    pub fn invalidate(&self) {
        *self
            .inner
            .cache
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The `Authorization` header value (`Bearer <token>`), fetched when the cached token
    /// is not fresh; `None` for anonymous access. A refused request is `Unauthorized` with
    /// the token endpoint's description; a malformed answer `Parse`.
    #[maybe_async]
    pub async fn authorization(&self) -> Result<Option<Secret>> {
        let token = self.access_token().await?;
        Ok(token.map(|t| Secret::new(format!("Bearer {}", t.expose()))))
    }

    /// The access token itself (what follows `Bearer `), as
    /// [`authorization`](Self::authorization) gets it; `None` for anonymous access.
    #[maybe_async]
    pub async fn access_token(&self) -> Result<Option<Secret>> {
        if let Some(fixed) = self.inner.source.fixed() {
            return Ok(fixed);
        }
        Ok(Some(self.token().await?.token))
    }

    /// A fresh token (not for fixed or anonymous sources, which `authorization` answers).
    #[maybe_async]
    async fn token(&self) -> Result<AccessToken> {
        let inner = &self.inner;
        if let Some(t) = self
            .cached()
            .filter(|t| t.freshness((inner.clock)()) == Freshness::Fresh)
        {
            return Ok(t);
        }
        let _flight = inner.flight.lock().await;
        let now = (inner.clock)();
        let held = self.cached();
        let state = held.as_ref().map(|t| t.freshness(now));
        if let (Some(t), Some(Freshness::Fresh)) = (&held, state) {
            return Ok(t.clone());
        }
        match self.fetch(now).await {
            Ok(t) => {
                *inner.cache.write().unwrap_or_else(PoisonError::into_inner) = Some(t.clone());
                Ok(t)
            }
            Err(e) => match (held, state) {
                (Some(t), Some(Freshness::RefreshEarly)) => {
                    tracing::warn!(source = inner.source.name(), error = %e,
                        "token refresh failed; the current token is still valid");
                    Ok(t)
                }
                _ => Err(e),
            },
        }
    }

    fn cached(&self) -> Option<AccessToken> {
        self.inner
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    #[maybe_async]
    async fn fetch(&self, now: SystemTime) -> Result<AccessToken> {
        let http = &self.inner.http;
        let name = self.inner.source.name();
        match &self.inner.source {
            TokenSource::Entra { credential, scope } => {
                let resp = http.send(&credential.token_request(scope)).await?;
                entra::parse_token(&resp, now)
            }
            TokenSource::Google { source, scope } => {
                let req = match source {
                    gcp::Source::ServiceAccount(key) => {
                        token::service_account_request(key, scope, now)?
                    }
                    gcp::Source::AuthorizedUser(user) => token::refresh_request(user),
                    gcp::Source::MetadataServer { host } => token::metadata_token_request(host)?,
                    // `authorization` answers these without fetching.
                    gcp::Source::StaticToken(_) | gcp::Source::Anonymous => {
                        return Err(Error::invalid(format!("{name} is not fetched")));
                    }
                };
                token::parse_token(&http.send(&req).await?, name, now)
            }
        }
    }
}
