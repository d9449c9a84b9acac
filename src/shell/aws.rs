//! The AWS credentials provider: the source the chain chose, its credentials cached and
//! refreshed before they expire, one refresh at a time. Compiled twice, once per mode;
//! requests and parsing are the core's ([`crate::aws`]).

use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::http::{HttpClient, TransportConfig};
use super::rt::{self, maybe_async};
use crate::aws::{self, Cache, ChainOptions, Freshness, Source, Timed, metadata, sts};
use crate::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind, Result};

/// The clock a provider reads (tests inject one).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// AWS credentials for every AWS driver: fixed ones, or temporary ones from STS, a
/// command, the container or instance metadata (see [`crate::aws::chain`] for the order).
///
/// Temporary credentials are cached and refreshed 5 minutes before they expire
/// ([`crate::aws::freshness`]); concurrent callers share one refresh, and a refresh that
/// fails while the cached credentials are still valid keeps using them. Cheap to clone
/// (clones share the cache).
///
/// ```no_run
/// # #[cfg(feature = "blocking")] {
/// use multicloud::blocking::aws::CredentialsProvider;
/// let provider = CredentialsProvider::default_chain()?;
/// println!("signing as {}", provider.credentials()?.key_id);
/// # }
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Clone)]
pub struct CredentialsProvider {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    http: HttpClient,
    cache: Arc<Cache>,
    flight: rt::FlightLock,
    clock: Clock,
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsProvider")
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

/// The transport credentials requests use: metadata services answer within a second or
/// are not there.
fn credentials_transport() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(10))
}

impl CredentialsProvider {
    /// Credentials that never change.
    pub fn fixed(credentials: Credentials) -> Result<Self> {
        Self::new(Source::Static(credentials))
    }

    /// A provider for `source`, with short timeouts (2 s to connect, 10 s per call).
    pub fn new(source: Source) -> Result<Self> {
        Self::with_transport(source, credentials_transport())
    }

    /// A provider for `source` with custom transport settings.
    pub fn with_transport(source: Source, transport: TransportConfig) -> Result<Self> {
        let cache = match &source {
            Source::Static(c) => Cache::fixed(c.clone()),
            _ => Cache::new(),
        };
        Ok(CredentialsProvider {
            inner: Arc::new(Inner {
                source,
                http: HttpClient::new(transport)?.for_provider("aws"),
                cache: Arc::new(cache),
                flight: rt::FlightLock::default(),
                clock: Arc::new(SystemTime::now),
            }),
        })
    }

    /// The default chain over the process environment, instance metadata included (asking
    /// for the chain is the opt-in). `InvalidInput` when no source is configured.
    pub fn default_chain() -> Result<Self> {
        let opts = ChainOptions::default().instance_metadata(true);
        Self::from_env_with(|name| std::env::var_os(name), &opts)
    }

    /// The chain over variables read through `var` (tests, sandboxes).
    pub fn from_env_with(
        var: impl Fn(&str) -> Option<OsString>,
        opts: &ChainOptions,
    ) -> Result<Self> {
        match aws::resolve(&var, opts)? {
            Some(source) => Self::new(source),
            None => Err(Error::invalid(
                "no AWS credentials found (environment, web identity, shared files, container; \
                 instance metadata was not enabled)",
            )),
        }
    }

    /// The same provider reading time from `clock` (a fresh cache; for tests of expiry).
    pub fn with_clock(self, clock: Clock) -> Self {
        let cache = match &self.inner.source {
            Source::Static(c) => Cache::fixed(c.clone()),
            _ => Cache::new(),
        };
        CredentialsProvider {
            inner: Arc::new(Inner {
                source: self.inner.source.clone(),
                http: self.inner.http.clone(),
                cache: Arc::new(cache),
                flight: rt::FlightLock::default(),
                clock,
            }),
        }
    }

    /// The source it asks.
    pub fn source(&self) -> &Source {
        &self.inner.source
    }

    /// The cache signers read.
    pub(crate) fn cache(&self) -> Arc<Cache> {
        self.inner.cache.clone()
    }

    /// Credentials valid now: the cached ones, or fresh ones after one refresh shared by
    /// every concurrent caller.
    #[maybe_async]
    pub async fn credentials(&self) -> Result<Arc<Credentials>> {
        let inner = &self.inner;
        if let Some(t) = inner.cache.current() {
            if aws::freshness((inner.clock)(), t.expires) == Freshness::Fresh {
                return Ok(t.credentials);
            }
        }
        let _flight = inner.flight.lock().await;
        let now = (inner.clock)();
        let held = inner.cache.current();
        let state = held.as_ref().map(|t| aws::freshness(now, t.expires));
        if let (Some(t), Some(Freshness::Fresh)) = (&held, state) {
            return Ok(t.credentials.clone());
        }
        match self.fetch(now).await {
            Ok(t) => {
                inner.cache.store(t.clone());
                Ok(t.credentials)
            }
            Err(e) => match (held, state) {
                (Some(t), Some(Freshness::RefreshEarly)) => {
                    tracing::warn!(source = inner.source.name(), error = %e,
                        "credentials refresh failed; the current ones are still valid");
                    Ok(t.credentials)
                }
                _ => Err(e),
            },
        }
    }

    /// Asks the source once.
    #[maybe_async]
    async fn fetch(&self, now: SystemTime) -> Result<Timed> {
        let http = &self.inner.http;
        match &self.inner.source {
            Source::Static(c) => Ok(Timed::fixed(c.clone())),
            Source::WebIdentity(w) => {
                let token = read_secret_file(w.token_file.clone(), "web identity token").await?;
                let resp = http
                    .send(&sts::assume_role_with_web_identity(w, &token))
                    .await?;
                sts::parse_credentials(&resp, "AssumeRoleWithWebIdentity")
            }
            Source::AssumeRole(a) => {
                let resp = http.send(&sts::assume_role(a, now)).await?;
                sts::parse_credentials(&resp, "AssumeRole")
            }
            Source::Process {
                command,
                profile,
                timeout,
            } => {
                let (command, profile, timeout) = (command.clone(), profile.clone(), *timeout);
                let out = rt::unblock(move || run_process(&command, &profile, timeout)).await?;
                metadata::parse_process_output(&out)
            }
            Source::Container(c) => {
                let auth = match &c.token_file {
                    Some(f) => {
                        Some(read_secret_file(f.clone(), "container authorization token").await?)
                    }
                    None => c.token.clone(),
                };
                let req = metadata::container_request(&c.url, auth.as_ref())?;
                let resp = http.send(&req).await?;
                metadata::parse_container_credentials(&resp)
            }
            Source::InstanceMetadata { endpoint, allow_v1 } => {
                self.instance_metadata(endpoint, *allow_v1).await
            }
        }
    }

    /// IMDSv2: a session token, the role name, then its credentials.
    #[maybe_async]
    async fn instance_metadata(&self, endpoint: &str, allow_v1: bool) -> Result<Timed> {
        let http = &self.inner.http;
        let token = metadata::parse_imds_token(&http.send(&metadata::imds_token(endpoint)).await?)?;
        if token.is_none() && !allow_v1 {
            return Err(Error::new(
                ErrorKind::Unauthorized,
                "instance metadata refused an IMDSv2 token and IMDSv1 is not enabled \
                 (AWS_EC2_METADATA_V1_DISABLED=false)",
            )
            .with_provider("aws"));
        }
        let role = http
            .send(&metadata::imds_role(endpoint, token.as_ref()))
            .await?;
        let role = metadata::parse_imds_role(&role)?;
        let creds = metadata::imds_credentials(endpoint, &role, token.as_ref());
        metadata::parse_imds_credentials(&http.send(&creds).await?)
    }
}

/// A small secret file's text, trimmed; errors name the file, never its content.
#[maybe_async]
async fn read_secret_file(path: std::path::PathBuf, what: &'static str) -> Result<Secret> {
    rt::unblock(move || {
        let fail = |why: &str| Error::invalid(format!("{what} file {}: {why}", path.display()));
        let bytes = std::fs::read(&path).map_err(|e| fail(&e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|_| fail("not UTF-8"))?;
        match text.trim() {
            "" => Err(fail("empty")),
            t => Ok(Secret::new(t)),
        }
    })
    .await
}

/// Runs a `credential_process` command (`sh -c`), returning what it printed (at most
/// 1 MiB). Its stderr is passed through to ours. A command still running after `timeout` is
/// killed (`Timeout`). Failures name the profile, never the command (it may hold a secret).
fn run_process(command: &str, profile: &str, timeout: Duration) -> Result<Vec<u8>> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let io = |e: std::io::Error| {
        Error::new(
            ErrorKind::Io,
            format!("cannot run the credential_process of profile {profile:?}: {e}"),
        )
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(io)?;
    let Some(stdout) = child.stdout.take() else {
        return Err(io(std::io::Error::other("no stdout pipe")));
    };
    // Read on a thread so a full pipe never blocks the child while we wait for it.
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.take(1 << 20).read_to_end(&mut out).map(|_| out)
    });
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(io)? {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("the credential_process of profile {profile:?} ran over {timeout:?}"),
            )
            .with_provider("aws"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if !status.success() {
        return Err(Error::new(
            ErrorKind::Unauthorized,
            format!("the credential_process of profile {profile:?} failed ({status})"),
        )
        .with_provider("aws"));
    }
    match reader.join() {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) => Err(io(e)),
        Err(_) => Err(io(std::io::Error::other("the output reader panicked"))),
    }
}
