//! Credentials whose secret parts never show in `Debug`, `Display` or logs.

use std::fmt;

/// A secret string (a secret key, a token, a password). Its `Debug` and `Display` print
/// `"***"`; read it with [`Secret::expose`] only where it is used (signing).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call it only to sign or send; never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// A key pair with an optional session token: the shape S3, Azure (account + key) and
/// DigitalOcean (token only) credentials share.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The public identifier (access key id, account name). Not secret.
    pub key_id: String,
    /// The secret key.
    pub secret: Secret,
    /// A temporary session token, where the provider issued one.
    pub session_token: Option<Secret>,
}

impl Credentials {
    /// Credentials from a key id and a secret.
    pub fn new(key_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Credentials {
            key_id: key_id.into(),
            secret: secret.into(),
            session_token: None,
        }
    }

    /// Adds a session token.
    pub fn with_session_token(mut self, token: impl Into<Secret>) -> Self {
        self.session_token = Some(token.into());
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key_id", &self.key_id)
            .field("secret", &self.secret)
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (secret hidden)", self.key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI-very-secret")
            .with_session_token("token-very-secret");
        let shown = format!("{c:?} {c} {:?} {}", c.secret, c.secret);
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("very-secret"), "{shown}");
        assert_eq!(c.secret.expose(), "wJalrXUtnFEMI-very-secret");
    }
}
