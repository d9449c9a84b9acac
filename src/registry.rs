//! Choosing a provider at run time: the [`Provider`] enum and storage URLs.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, ErrorKind, Result};

/// A cloud provider (or local stand-in) multicloud knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// A local directory (`file://`).
    Local,
    /// An in-memory store (`memory://`).
    Memory,
    /// Amazon S3 and S3-compatible stores (`s3://`).
    S3,
    /// Google Cloud Storage (`gs://`). Not built yet.
    Gcs,
    /// Azure Blob Storage (`az://`). Not built yet.
    Azure,
}

impl Provider {
    /// The provider's short name, as errors report it.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Local => "local",
            Provider::Memory => "memory",
            Provider::S3 => "s3",
            Provider::Gcs => "gcs",
            Provider::Azure => "azure",
        }
    }

    /// The error for a provider whose driver this version does not have.
    pub fn not_built_yet(self) -> Error {
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "the {} driver is not available in this version",
                self.as_str()
            ),
        )
    }

    fn from_scheme(scheme: &str) -> Option<Self> {
        Some(match scheme {
            "file" => Provider::Local,
            "memory" => Provider::Memory,
            "s3" => Provider::S3,
            "gs" => Provider::Gcs,
            "az" => Provider::Azure,
            _ => return None,
        })
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a storage URL points: a provider, and optionally a container and a prefix.
///
/// | URL | provider | container | prefix |
/// |---|---|---|---|
/// | `file:///srv/data` | Local (root `/srv/data`) | - | - |
/// | `file:///srv/data?container=logs&prefix=2026/` | Local | `logs` | `2026/` |
/// | `memory://` | Memory | - | - |
/// | `memory://bucket/some/prefix` | Memory | `bucket` | `some/prefix` |
/// | `s3://bucket/prefix`, `gs://...`, `az://...` | S3, Gcs, Azure | `bucket` | `prefix` |
/// | `s3://bucket?anonymous=true` | S3, unsigned requests | `bucket` | - |
///
/// Query parameters other than these are `InvalidInput`, so a typo never goes unnoticed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// The provider the scheme names.
    pub provider: Provider,
    /// The root directory, for `file://` URLs.
    pub root: Option<PathBuf>,
    /// The container, if the URL names one.
    pub container: Option<String>,
    /// The prefix within the container (`""` when none).
    pub prefix: String,
    /// `?anonymous=true` (`s3://` only): send unsigned requests instead of looking for
    /// credentials. Anonymous access is never a fall-back, only this explicit choice.
    pub anonymous: bool,
}

impl Location {
    /// Parses a storage URL (see the table above). Unknown schemes, relative or remote
    /// `file:` URLs and malformed URLs are `InvalidInput`.
    pub fn parse(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::invalid(format!("{url:?} is not a valid URL: {e}")))?;
        let provider = Provider::from_scheme(parsed.scheme()).ok_or_else(|| {
            Error::invalid(format!(
                "unknown storage URL scheme {:?} (expected file, memory, s3, gs or az)",
                parsed.scheme()
            ))
        })?;
        if provider == Provider::Local {
            return Self::parse_file(url, &parsed);
        }
        let container = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .map(str::to_owned);
        let prefix = percent_encoding::percent_decode_str(parsed.path().trim_start_matches('/'))
            .decode_utf8()
            .map_err(|_| Error::invalid(format!("{url:?} has a prefix that is not UTF-8")))?
            .into_owned();
        Ok(Location {
            provider,
            root: None,
            container,
            prefix,
            anonymous: Self::parse_anonymous(url, &parsed, provider)?,
        })
    }

    /// The only query parameter of remote URLs: `anonymous=true|false`, on `s3://`.
    fn parse_anonymous(url: &str, parsed: &url::Url, provider: Provider) -> Result<bool> {
        let mut anonymous = false;
        for (k, v) in parsed.query_pairs() {
            anonymous = match (&*k, &*v, provider) {
                ("anonymous", "true", Provider::S3) => true,
                ("anonymous", "false", Provider::S3) => false,
                ("anonymous", _, Provider::S3) => {
                    return Err(Error::invalid(format!(
                        "{url:?}: anonymous must be true or false"
                    )));
                }
                (other, _, _) => {
                    return Err(Error::invalid(format!(
                        "{url:?}: unknown query parameter {other:?}"
                    )));
                }
            };
        }
        Ok(anonymous)
    }

    fn parse_file(url: &str, parsed: &url::Url) -> Result<Self> {
        if parsed
            .host_str()
            .is_some_and(|h| !h.is_empty() && h != "localhost")
        {
            return Err(Error::invalid(format!(
                "{url:?} names a remote host; file URLs must be file:///absolute/path"
            )));
        }
        let root = parsed
            .to_file_path()
            .map_err(|()| Error::invalid(format!("{url:?} is not an absolute file path")))?;
        let mut container = None;
        let mut prefix = String::new();
        for (k, v) in parsed.query_pairs() {
            match &*k {
                "container" if v.is_empty() => {
                    return Err(Error::invalid(format!("{url:?}: the container is empty")));
                }
                "container" => container = Some(v.into_owned()),
                "prefix" => prefix = v.into_owned(),
                other => {
                    return Err(Error::invalid(format!(
                        "{url:?}: unknown query parameter {other:?}"
                    )));
                }
            }
        }
        Ok(Location {
            provider: Provider::Local,
            root: Some(root),
            container,
            prefix,
            anonymous: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scheme() {
        let l = Location::parse("file:///srv/data?container=logs&prefix=2026/").unwrap();
        assert_eq!(l.provider, Provider::Local);
        assert_eq!(l.root, Some(PathBuf::from("/srv/data")));
        assert_eq!(l.container.as_deref(), Some("logs"));
        assert_eq!(l.prefix, "2026/");

        let m = Location::parse("memory://").unwrap();
        assert_eq!(
            (m.provider, m.container, m.prefix.as_str()),
            (Provider::Memory, None, "")
        );

        let s = Location::parse("s3://bucket/a/b%20c").unwrap();
        assert_eq!(s.provider, Provider::S3);
        assert_eq!(s.container.as_deref(), Some("bucket"));
        assert_eq!(s.prefix, "a/b c");
        assert!(!s.anonymous);
        assert!(
            Location::parse("s3://public?anonymous=true")
                .unwrap()
                .anonymous
        );
        assert!(!Location::parse("s3://b?anonymous=false").unwrap().anonymous);
    }

    #[test]
    fn refuses_bad_urls() {
        for bad in [
            "ftp://x",
            "not a url",
            "file://remote/x",
            "file:///x?evil=1",
            "file:///x?container=",
            "/plain/path",
            "s3://b?anonymous=yes",
            "s3://b?anonymus=true",
            "memory://b?anonymous=true",
        ] {
            let e = Location::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        }
    }
}
