//! The one error type of the crate, with a [`ErrorKind`] callers match on.

use std::fmt;

/// A specialised `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, by meaning. Match on this, not on messages.
///
/// Each kind says whether the transport's retry policy retries it
/// (see [`crate::retry::RetryPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The container or object does not exist. Not retried.
    NotFound,
    /// The container or object already exists. Not retried.
    AlreadyExists,
    /// A container still holds objects. Not retried.
    NotEmpty,
    /// Credentials are missing, malformed or rejected. Not retried.
    Unauthorized,
    /// Credentials are valid but not allowed to do this. Not retried.
    PermissionDenied,
    /// The provider asked us to slow down (429, 503 SlowDown). Retried with backoff.
    RateLimited,
    /// The caller passed something invalid (a hostile object name, a bad URL...). Not retried.
    InvalidInput,
    /// Data arrived but does not match its hash or announced size. Not retried.
    Integrity,
    /// A connect, request or stall timeout expired. Retried when the request is idempotent.
    Timeout,
    /// The connection failed or was reset. Retried when the request is idempotent
    /// (or was never sent).
    Transport,
    /// The provider answered with an error not covered by another kind; 5xx are retried.
    Provider,
    /// A response could not be parsed (malformed or truncated). Not retried.
    Parse,
    /// A local I/O error (file system). Not retried.
    Io,
    /// The driver or mode does not support this operation. Not retried.
    Unsupported,
    /// A condition of the request did not hold: a create-only upload found the object, an
    /// `If-Match` ETag or `If-Unmodified-Since` time did not match (HTTP 412), a compute
    /// resource is in a state that forbids the call (an attached volume destroyed, EC2's
    /// `IncorrectInstanceState`). Nothing was written or read. Not retried.
    PreconditionFailed,
    /// A conditional read found the object unchanged (`If-None-Match` matched, or not
    /// modified since the time given; HTTP 304): the copy the caller has is current. Not
    /// retried.
    NotModified,
    /// The caller cancelled the operation through a
    /// [`CancelToken`](crate::storage::CancelToken); a multipart upload was aborted, a
    /// partial download removed. Not retried.
    Cancelled,
}

impl ErrorKind {
    /// A short lowercase description, used in `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::NotEmpty => "not empty",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Integrity => "integrity check failed",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "transport error",
            ErrorKind::Provider => "provider error",
            ErrorKind::Parse => "unparseable response",
            ErrorKind::Io => "i/o error",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::PreconditionFailed => "precondition failed",
            ErrorKind::NotModified => "not modified",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The crate's error: a kind, a message, and what the provider told us when it told us anything.
///
/// Boxed inside so `Result<T>` stays one pointer wide. Never carries a secret: messages are
/// built by this crate from names and provider answers, never from credentials.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    provider: Option<&'static str>,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                provider: None,
                status: None,
                code: None,
                request_id: None,
                source: None,
            }),
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidInput`] error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for an [`ErrorKind::NotFound`] error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Attaches the provider (driver) name.
    pub fn with_provider(mut self, provider: &'static str) -> Self {
        self.inner.provider = Some(provider);
        self
    }

    /// Attaches the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Attaches the provider's error code (e.g. `NoSuchKey`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.inner.code = Some(code.into());
        self
    }

    /// Attaches the provider's request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.inner.request_id = Some(id.into());
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// A copy with the same kind, message, provider, status, code and request id (the
    /// source, which need not be clonable, is left out), for one failure reported once per
    /// item (a failed batch, say).
    pub fn replicate(&self) -> Error {
        let i = &self.inner;
        Error {
            inner: Box::new(Inner {
                kind: i.kind,
                message: i.message.clone(),
                provider: i.provider,
                status: i.status,
                code: i.code.clone(),
                request_id: i.request_id.clone(),
                source: None,
            }),
        }
    }

    /// What went wrong, by meaning.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The message, without the kind or provider prefix.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The driver that produced the error, where known (`"local"`, `"memory"`, `"s3"`...).
    pub fn provider(&self) -> Option<&'static str> {
        self.inner.provider
    }

    /// The HTTP status, for errors that came from an HTTP answer.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The provider's error code, where it sent one.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The provider's request id, where it sent one (quote it to their support).
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if let Some(p) = i.provider {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}: {}", i.kind, i.message)?;
        match (i.status, &i.code) {
            (Some(s), Some(c)) => write!(f, " (HTTP {s}, {c})")?,
            (Some(s), None) => write!(f, " (HTTP {s})")?,
            (None, Some(c)) => write!(f, " ({c})")?,
            (None, None) => {}
        }
        if let Some(r) = &i.request_id {
            write!(f, " [request id {r}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(p) = i.provider {
            d.field("provider", &p);
        }
        if let Some(s) = i.status {
            d.field("status", &s);
        }
        if let Some(c) = &i.code {
            d.field("code", c);
        }
        if let Some(r) = &i.request_id {
            d.field("request_id", r);
        }
        if let Some(s) = &i.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        // Our own error travelling through a reader comes back out as it was.
        if let Some(ours) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
            return ours.replicate();
        }
        let kind = match e.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::AlreadyExists => ErrorKind::AlreadyExists,
            Io::PermissionDenied => ErrorKind::PermissionDenied,
            Io::TimedOut => ErrorKind::Timeout,
            Io::InvalidInput => ErrorKind::InvalidInput,
            Io::InvalidData => ErrorKind::Integrity,
            Io::UnexpectedEof => ErrorKind::Integrity,
            _ => ErrorKind::Io,
        };
        Error::new(kind, e.to_string()).with_source(e)
    }
}

/// Turns our error into an `io::Error`, so it can travel through `Read`/`AsyncRead`.
impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        let kind = match e.kind() {
            ErrorKind::NotFound => std::io::ErrorKind::NotFound,
            ErrorKind::PermissionDenied => std::io::ErrorKind::PermissionDenied,
            ErrorKind::Timeout => std::io::ErrorKind::TimedOut,
            ErrorKind::InvalidInput => std::io::ErrorKind::InvalidInput,
            ErrorKind::Integrity => std::io::ErrorKind::InvalidData,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn display_carries_provider_status_code_and_request_id() {
        let e = Error::new(ErrorKind::NotFound, "object 'a' in 'b'")
            .with_provider("s3")
            .with_status(404)
            .with_code("NoSuchKey")
            .with_request_id("R1");
        assert_eq!(
            e.to_string(),
            "s3: not found: object 'a' in 'b' (HTTP 404, NoSuchKey) [request id R1]"
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.code(), Some("NoSuchKey"));
    }

    #[test]
    fn io_errors_map_by_meaning_and_back() {
        let e: Error = std::io::Error::from(std::io::ErrorKind::NotFound).into();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let back: std::io::Error = Error::new(ErrorKind::Integrity, "x").into();
        assert_eq!(back.kind(), std::io::ErrorKind::InvalidData);
        // Through a reader and back: nothing lost.
        let ours = Error::new(ErrorKind::Transport, "reset")
            .with_provider("s3")
            .with_status(200);
        let again = Error::from(std::io::Error::from(ours));
        assert_eq!(
            (
                again.kind(),
                again.provider(),
                again.status(),
                again.message()
            ),
            (ErrorKind::Transport, Some("s3"), Some(200), "reset")
        );
    }
}
