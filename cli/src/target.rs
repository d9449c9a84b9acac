//! What a location argument names: a local path or a place in a store.

use crate::names;
use multicloud::blocking::storage::AnyStorage;
use multicloud::{Error, Location, Provider, Result};
use std::path::{Path, PathBuf};

/// A location argument, resolved.
#[derive(Clone)]
pub enum Target {
    /// A local file or directory (a plain path or a `file:///` URL).
    Local(PathBuf),
    /// A place in a store.
    Remote(Box<Remote>),
}

/// A store, and where in it a URL points.
#[derive(Clone)]
pub struct Remote {
    /// The driver for the URL's provider and options.
    pub store: AnyStorage,
    /// The URL's provider, container and options.
    pub location: Location,
    /// The container (`None` for `s3://`).
    pub container: Option<String>,
    /// The object name or prefix after the container (`""` when none).
    pub key: String,
    /// The URL as messages show it: without its query, which may hold secrets.
    pub shown: String,
}

impl Target {
    /// Reads a location argument: a URL with a store scheme, a `file:` URL, or a path.
    #[cfg(test)]
    pub fn parse(arg: &str) -> Result<Target> {
        Target::parse_with(arg, &[])
    }

    /// [`parse`](Self::parse) with driver options (`part_size`...) applied over the URL's
    /// own, each where the store's provider has it (GCS uploads chunks one at a time: no
    /// `part_concurrency`).
    pub fn parse_with(arg: &str, options: &[(&str, String)]) -> Result<Target> {
        if !arg.contains("://") {
            return Ok(Target::Local(PathBuf::from(arg)));
        }
        if arg.contains('#') {
            // A fragment names nothing in a store: `s3://b/dir#1` would be `dir` (and
            // `rm -r` would empty dir/), and any `?options` after the `#` would be lost.
            return Err(Error::invalid(
                "'#' starts a URL fragment, which names nothing here; write %23 for a '#' \
                 in a name",
            ));
        }
        let location = Location::parse(arg)?;
        if location.provider == Provider::Local {
            // A file URL is a path here: the CLI reads and writes local files directly.
            return Ok(Target::Local(location.root.unwrap_or_default()));
        }
        let applies = |key: &str| match location.provider {
            Provider::S3 | Provider::Azure => true,
            Provider::Gcs => key == "part_size",
            _ => false,
        };
        let options = options.iter().filter(|(k, _)| applies(k)).cloned();
        let (store, location) = AnyStorage::from_url_with(arg, options)?;
        Ok(Target::Remote(Box::new(Remote::new(store, location, arg))))
    }

    /// The store this argument must name, for commands that only work on stores.
    pub fn remote(arg: &str) -> Result<Remote> {
        Target::remote_with(arg, &[])
    }

    /// [`remote`](Self::remote) with driver options (see [`parse_with`](Self::parse_with)).
    pub fn remote_with(arg: &str, options: &[(&str, String)]) -> Result<Remote> {
        match Target::parse_with(arg, options)? {
            Target::Remote(r) => Ok(*r),
            Target::Local(_) => Err(Error::invalid(format!(
                "{arg} is a local path; this command needs a store URL (s3://bucket/key ...)"
            ))),
        }
    }

    /// The store, if this is one.
    pub fn as_remote(&self) -> Option<&Remote> {
        match self {
            Target::Remote(r) => Some(r),
            Target::Local(_) => None,
        }
    }

    /// How messages name this location.
    pub fn shown(&self) -> String {
        match self {
            Target::Local(p) => p.display().to_string(),
            Target::Remote(r) => r.shown.clone(),
        }
    }
}

impl Remote {
    fn new(store: AnyStorage, location: Location, arg: &str) -> Remote {
        let shown = shown(arg);
        Remote {
            container: location.container.clone(),
            key: location.prefix.clone(),
            store,
            location,
            shown,
        }
    }

    /// The container, or an error naming the URL for commands that need one.
    pub fn container(&self) -> Result<&str> {
        self.container.as_deref().ok_or_else(|| {
            Error::invalid(format!(
                "{} names no container (s3://bucket/...)",
                self.shown
            ))
        })
    }

    /// The object name, or an error naming the URL for commands that need one.
    pub fn object(&self) -> Result<(&str, &str)> {
        let container = self.container()?;
        if self.key.is_empty() || self.key.ends_with('/') {
            return Err(Error::invalid(format!(
                "{} names no object (a prefix: use -r where the command has it)",
                self.shown
            )));
        }
        Ok((container, &self.key))
    }

    /// The URL of one object in this store, as messages show it.
    pub fn url_of(&self, container: &str, name: &str) -> String {
        let scheme = self.shown.split("://").next().unwrap_or_default();
        format!("{scheme}://{container}/{name}")
    }

    /// Whether both URLs reach the same store with the same settings, so one driver can
    /// copy between them (server side where the provider can).
    pub fn same_store(&self, other: &Remote) -> bool {
        self.location.provider == other.location.provider
            && self.location.options == other.location.options
    }

    /// Whether an object name here may be the same object as that name there: the same
    /// provider, endpoint and account (a region, profile or project does not change which
    /// bucket a name is). Wider than [`same_store`](Self::same_store), to refuse in doubt.
    pub fn may_share_names(&self, other: &Remote) -> bool {
        let (a, b) = (&self.location.options, &other.location.options);
        self.location.provider == other.location.provider
            && a.endpoint == b.endpoint
            && a.account == b.account
    }
}

/// Whether one location is inside the other (or both are one): a tree copied or moved
/// into itself reads what it writes, and `sync --delete` into a parent deletes its source.
pub fn nested(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Local(a), Target::Local(b)) => {
            let (a, b) = (resolved(a), resolved(b));
            a.starts_with(&b) || b.starts_with(&a)
        }
        (Target::Remote(a), Target::Remote(b)) => {
            let (x, y) = (names::as_directory(&a.key), names::as_directory(&b.key));
            a.may_share_names(b)
                && a.container == b.container
                && (x.starts_with(&y) || y.starts_with(&x))
        }
        _ => false,
    }
}

/// A path made absolute with its links resolved as far as it exists, the rest appended.
fn resolved(path: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut at = path.to_path_buf();
    loop {
        if let Ok(real) = std::fs::canonicalize(&at) {
            return missing.iter().rev().fold(real, |p, name| p.join(name));
        }
        let Some(name) = at.file_name().map(ToOwned::to_owned) else {
            return path.to_path_buf();
        };
        missing.push(name);
        at.pop();
        if at.as_os_str().is_empty() {
            at.push(".");
        }
    }
}

/// A location argument as messages show it: without its query or fragment and without
/// any user information before an `@`, where a secret may have been pasted.
pub fn shown(arg: &str) -> String {
    let bare = arg.split(['?', '#']).next().unwrap_or(arg);
    let Some((scheme, rest)) = bare.split_once("://") else {
        return bare.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://...@{}", &rest[at + 1..]),
        None => bare.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> Remote {
        Target::remote(url).unwrap()
    }

    #[test]
    fn paths_and_file_urls_are_local() {
        assert!(matches!(Target::parse("./dir").unwrap(), Target::Local(_)));
        let Target::Local(p) = Target::parse("file:///tmp/x").unwrap() else {
            panic!("a file URL is local")
        };
        assert_eq!(p, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn store_urls_split_into_container_and_key() {
        let r = remote("memory://bucket/a/b.txt");
        assert_eq!(r.container.as_deref(), Some("bucket"));
        assert_eq!(r.key, "a/b.txt");
        assert_eq!(r.object().unwrap(), ("bucket", "a/b.txt"));
        assert!(remote("memory://bucket/dir/").object().is_err());
        assert!(remote("memory://").container().is_err());
    }

    #[test]
    fn a_hash_is_refused_in_store_urls_only() {
        let err = Target::parse("s3://b/dir#1?region=us-east-1")
            .err()
            .unwrap();
        assert!(err.to_string().contains("%23"), "{err}");
        assert!(Target::parse("file:///tmp/a#b").is_err());
        assert!(matches!(Target::parse("./a#b").unwrap(), Target::Local(_)));
        assert_eq!(remote("memory://b/dir%231").key, "dir#1");
    }

    #[test]
    fn shown_urls_drop_the_query() {
        let r = remote("s3://b/k?endpoint=http://127.0.0.1:1&anonymous=true");
        assert_eq!(r.shown, "s3://b/k");
    }

    #[test]
    fn shown_arguments_hide_user_information_and_queries() {
        assert_eq!(shown("s3://KEY:SECRET@b/k?x=1"), "s3://...@b/k");
        assert_eq!(shown("s3://b/k?secret_key=S"), "s3://b/k");
        assert_eq!(shown("s3://b/a@b"), "s3://b/a@b");
        assert_eq!(shown("./dir"), "./dir");
    }

    #[test]
    fn a_local_path_is_refused_where_a_store_is_needed() {
        let err = Target::remote("/tmp/x").err().unwrap();
        assert!(err.to_string().contains("local path"), "{err}");
    }

    #[test]
    fn nested_locations_are_found_on_both_sides() {
        let dir = std::env::temp_dir();
        let (d, inside) = (
            Target::Local(dir.clone()),
            Target::Local(dir.join("new/sub")),
        );
        assert!(nested(&d, &inside) && nested(&inside, &d));
        assert!(!nested(
            &Target::Local(dir.join("a")),
            &Target::Local(dir.join("ab"))
        ));
        let at = |url: &str| Target::parse(url).unwrap();
        assert!(nested(&at("memory://b/p"), &at("memory://b/p/q")));
        assert!(nested(&at("memory://b"), &at("memory://b/backup")));
        assert!(!nested(&at("memory://b/p"), &at("memory://b/p2")));
        assert!(!nested(&at("memory://b/p"), &at("memory://c/p")));
        assert!(!nested(&d, &at("memory://b/p")));
    }

    #[test]
    fn same_store_compares_provider_and_options() {
        let a = remote("memory://a/x");
        assert!(a.same_store(&remote("memory://b/y")));
        let s3 = remote("s3://a/x?region=eu-west-1&anonymous=true");
        assert!(!s3.same_store(&remote("s3://a/x?region=us-east-1&anonymous=true")));
        assert!(!a.same_store(&s3));
        let east = remote("s3://a/x?region=us-east-1&anonymous=true");
        assert!(s3.may_share_names(&east));
        assert!(!s3.may_share_names(&remote(
            "s3://a/x?endpoint=http://127.0.0.1:1&anonymous=true"
        )));
        assert!(!a.may_share_names(&s3));
    }
}
