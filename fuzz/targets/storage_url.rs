//! Storage URLs: `Location::parse` and `AnyStorage::from_url`.
//!
//! Input: the URL (invalid UTF-8 replaced). Properties: a URL that does not parse is
//! `InvalidInput`; one that does names the provider of its scheme, a root exactly for
//! `file:`, `anonymous` only on the clouds (`s3:`, `az:`, `gs:`); `from_url` finds the same
//! location, and fails only as `Unsupported` or `InvalidInput` (a cloud's configuration:
//! no credentials, a bad endpoint).
//! `from_url` is not called for `file:` URLs: it creates the root directory.

use multicloud::{ErrorKind, Location, Provider, Result};

use super::{assert_bounded, assert_error, text};

/// `AnyStorage::from_url` of one mode, reduced to the location it returns.
pub type FromUrl = fn(&str) -> Result<Location>;

/// The target.
pub fn run(data: &[u8], from_url: FromUrl) {
    let url = text(data);
    let location = match Location::parse(&url) {
        Ok(l) => l,
        Err(e) => return assert_error(&e, &[ErrorKind::InvalidInput], url.len()),
    };
    // The URL standard drops leading controls and spaces, and tabs and newlines anywhere.
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let scheme = cleaned.split_once(':').map_or("", |(s, _)| s);
    let expected = match location.provider {
        Provider::Local => "file",
        Provider::Memory => "memory",
        Provider::S3 => "s3",
        Provider::Gcs => "gs",
        Provider::Azure => "az",
        other => panic!("unknown provider {other:?}"),
    };
    assert!(scheme.eq_ignore_ascii_case(expected), "{url:?}");
    assert_eq!(
        location.root.is_some(),
        location.provider == Provider::Local
    );
    let cloud = matches!(
        location.provider,
        Provider::S3 | Provider::Azure | Provider::Gcs
    );
    assert!(!location.anonymous || cloud);
    assert!(location.container.as_ref().is_none_or(|c| !c.is_empty()));
    let container = location.container.as_ref().map_or(0, String::len);
    assert_bounded("location", container + location.prefix.len(), url.len());
    if location.provider != Provider::Local {
        driver(&url, &location, from_url);
    }
}

fn driver(url: &str, location: &Location, from_url: FromUrl) {
    match from_url(url) {
        Ok(found) => assert_eq!(&found, location),
        Err(e) => {
            let kinds: &[ErrorKind] = match location.provider {
                Provider::S3 | Provider::Azure | Provider::Gcs => {
                    &[ErrorKind::InvalidInput, ErrorKind::Unsupported]
                }
                _ => &[ErrorKind::Unsupported],
            };
            assert_error(&e, kinds, url.len());
        }
    }
}
