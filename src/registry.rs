//! Choosing a provider at run time: the [`Provider`] enum and storage URLs, and for
//! compute [`ComputeProvider`] and compute URLs.

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
    /// Google Cloud Storage (`gs://`).
    Gcs,
    /// Azure Blob Storage (`az://`).
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

mod compute;
mod dns;
mod options;
mod service_url;

pub use compute::{ComputeLocation, ComputeProvider};
pub use dns::{DnsLocation, DnsProvider};
use options::SECRET_KEYS;
pub use options::StorageOptions;

/// Where a storage URL points: a provider, and optionally a container and a prefix, with
/// the driver options of its query (see [`StorageOptions`] for the keys each provider
/// accepts).
///
/// | URL | provider | container | prefix |
/// |---|---|---|---|
/// | `file:///srv/data` | Local (root `/srv/data`) | - | - |
/// | `file:///srv/data?container=logs&prefix=2026/` | Local | `logs` | `2026/` |
/// | `memory://` | Memory | - | - |
/// | `memory://bucket/some/prefix` | Memory | `bucket` | `some/prefix` |
/// | `s3://bucket/prefix`, `gs://...`, `az://...` | S3, Gcs, Azure | `bucket` | `prefix` |
/// | `s3://bucket?anonymous=true` | S3, unsigned requests | `bucket` | - |
/// | `s3://bucket/p?region=eu-west-1&endpoint=http://127.0.0.1:9000/base&list_v1=true` | S3 | `bucket` | `p` |
/// | `s3://bucket?part_size=16777216&part_concurrency=10` | S3, 16 MiB parts, 10 at once | `bucket` | - |
/// | `az://container/p?account=myaccount` | Azure | `container` | `p` |
/// | `az://container?emulator=true&endpoint=http://127.0.0.1:10000/devstoreaccount1` | Azure (Azurite) | `container` | - |
/// | `gs://bucket/p?project=my-project` | Gcs | `bucket` | `p` |
/// | `gs://bucket?emulator=true&endpoint=http://127.0.0.1:4443` | Gcs (fake-gcs-server) | `bucket` | - |
///
/// Query parameters other than these are `InvalidInput`, so a typo never goes unnoticed;
/// errors show the URL without its query and user information.
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
    /// `?anonymous=true` (`s3://`, `az://`, `gs://`): send unsigned requests instead of
    /// looking for credentials. Anonymous access is never a fall-back, only this explicit choice.
    pub anonymous: bool,
    /// Every option of the query (and of [`parse_with`](Self::parse_with)).
    pub options: StorageOptions,
}

impl Location {
    /// Parses a storage URL (see the table above). Unknown schemes, relative or remote
    /// `file:` URLs, user information in the URL and malformed URLs are `InvalidInput`.
    pub fn parse(url: &str) -> Result<Self> {
        Self::parse_with(url, std::iter::empty::<(&str, &str)>())
    }

    /// [`parse`](Self::parse), then applies `options` (the same keys as the query, see
    /// [`StorageOptions`]) over the URL's own: `[("region", "eu-west-1")]`.
    pub fn parse_with<K, V>(url: &str, options: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::invalid(format!("{} is not a valid URL: {e}", redacted(url))))?;
        let shown = shown(&parsed);
        let provider = Provider::from_scheme(parsed.scheme()).ok_or_else(|| {
            Error::invalid(format!(
                "unknown storage URL scheme {:?} (expected file, memory, s3, gs or az)",
                parsed.scheme()
            ))
        })?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::invalid(format!(
                "{shown}: storage URLs must not hold a user name or password"
            )));
        }
        let mut opts = StorageOptions::default();
        let given = options.into_iter();
        let pairs = parsed
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()));
        let given = given.map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()));
        for (k, v) in pairs.chain(given) {
            opts.set(provider, &k, &v)
                .map_err(|e| Error::invalid(format!("{shown}: {}", e.message())))?;
        }
        if provider == Provider::Local {
            return Self::parse_file(&shown, &parsed, opts);
        }
        let container = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .map(str::to_owned);
        let prefix = percent_encoding::percent_decode_str(parsed.path().trim_start_matches('/'))
            .decode_utf8()
            .map_err(|_| Error::invalid(format!("{shown} has a prefix that is not UTF-8")))?
            .into_owned();
        Ok(Location {
            provider,
            root: None,
            container,
            prefix,
            anonymous: opts.anonymous,
            options: opts,
        })
    }

    fn parse_file(shown: &str, parsed: &url::Url, opts: StorageOptions) -> Result<Self> {
        if parsed
            .host_str()
            .is_some_and(|h| !h.is_empty() && h != "localhost")
        {
            return Err(Error::invalid(format!(
                "{shown} names a remote host; file URLs must be file:///absolute/path"
            )));
        }
        let root = parsed
            .to_file_path()
            .map_err(|()| Error::invalid(format!("{shown} is not an absolute file path")))?;
        Ok(Location {
            provider: Provider::Local,
            root: Some(root),
            container: opts.container.clone(),
            prefix: opts.prefix.clone().unwrap_or_default(),
            anonymous: false,
            options: opts,
        })
    }
}

/// A URL as errors show it: scheme, host, port and path, without user information or
/// query (either may hold a secret pasted in the wrong place).
fn shown(parsed: &url::Url) -> String {
    let mut u = parsed.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    format!("{:?}", u.as_str())
}

/// A URL that did not parse, as errors show it: cut before any `?` or `#`, and without
/// the user information before an `@` (`s3://KEY:SECRET@` shows as `"s3://...@"`).
fn redacted(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let tail = if cut < url.len() { "..." } else { "" };
    let head = &url[..cut];
    match head.rfind('@') {
        Some(at) => {
            let start = head.find("://").map_or(0, |i| i + 3);
            let shown = format!("{}...{}", &head[..start.min(at)], &head[at..]);
            format!("{shown:?}{tail}")
        }
        None => format!("{head:?}{tail}"),
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
            "s3://b?list_v1=yes",
            "s3://b?secret_access_key=HUNTER2",
            "s3://AKID:HUNTER2@b/p",
            "s3://AKID:HUNTER2@",
            "gs://k:HUNTER2@:99/x",
            "memory://b?region=eu-west-1",
            "file:///x?region=eu-west-1",
        ] {
            let e = Location::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
            assert!(!format!("{e} {e:?}").contains("HUNTER2"), "{bad}: {e}");
        }
    }

    #[test]
    fn s3_options_come_from_the_query_and_from_the_caller() {
        let url = "s3://b/p?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000%2Fbase\
                   &profile=work&path_style=false&list_v1=true";
        let l = Location::parse(url).unwrap();
        assert_eq!(
            (l.container.as_deref(), l.prefix.as_str()),
            (Some("b"), "p")
        );
        let o = &l.options;
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        assert_eq!(o.endpoint.as_deref(), Some("http://127.0.0.1:9000/base"));
        assert_eq!(o.profile.as_deref(), Some("work"));
        assert_eq!((o.path_style, o.list_v1), (Some(false), Some(true)));
        let l = Location::parse_with("s3://b?region=us-east-1", [("region", "ap-south-1")]);
        assert_eq!(l.unwrap().options.region.as_deref(), Some("ap-south-1"));
        let l = Location::parse_with("s3://b", [("anonymous", "true")]).unwrap();
        assert!(l.anonymous && l.options.anonymous);
        let e = Location::parse_with("memory://", [("endpoint", "x")]).unwrap_err();
        assert!(e.to_string().contains("endpoint"), "{e}");
        let f = Location::parse_with("file:///srv", [("container", "c")]).unwrap();
        assert_eq!(f.container.as_deref(), Some("c"));
    }
}
