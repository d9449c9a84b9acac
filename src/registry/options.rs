//! Driver options given in a storage URL's query or programmatically
//! (`AnyStorage::from_url_with`): one parser for both, so the keys mean the same.

use super::Provider;
use crate::error::{Error, Result};

/// Options of a storage URL. Which keys a provider accepts:
///
/// | provider | keys |
/// |---|---|
/// | `file://` | `container`, `prefix` |
/// | `memory://` | none |
/// | `s3://` | `region`, `endpoint`, `profile`, `anonymous`, `path_style`, `list_v1`, `part_size`, `part_concurrency` |
/// | `az://` | `account`, `endpoint`, `anonymous`, `emulator`, `part_size`, `part_concurrency` |
/// | `gs://` | `project`, `endpoint`, `anonymous`, `emulator`, `part_size` |
///
/// `part_size` (bytes) is the size of S3 multipart parts, Azure blocks and GCS resumable
/// chunks; `part_concurrency` how many parts (blocks) of one upload are sent at once. The
/// drivers' own limits apply when the store is built (S3 parts at least 5 MiB, GCS chunks
/// a multiple of 256 KiB).
///
/// Any other key is `InvalidInput` naming it. Credentials are never accepted here (URLs
/// end up in logs and shell histories): `access_key_id`, `secret_access_key`, `password`
/// and the like are refused with an error that names the key, never the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageOptions {
    /// `account=` (`az://`): the storage account (instead of `AZURE_STORAGE_ACCOUNT`).
    pub account: Option<String>,
    /// `project=` (`gs://`): the project buckets are listed and created in.
    pub project: Option<String>,
    /// `emulator=true`: Azurite's well-known development account (`az://`), or an
    /// emulator at `endpoint` without credentials (`gs://`, as `STORAGE_EMULATOR_HOST`).
    pub emulator: bool,
    /// `region=`: the S3 region requests are signed for.
    pub region: Option<String>,
    /// `endpoint=`: an S3 endpoint `http(s)://host[:port][/base/path]`, an Azure blob
    /// endpoint (`https://account.blob.core.windows.net`, `http://127.0.0.1:10000/account`)
    /// or a GCS endpoint.
    pub endpoint: Option<String>,
    /// `profile=`: the profile of the shared AWS files (instead of `AWS_PROFILE`).
    pub profile: Option<String>,
    /// `anonymous=true`: unsigned requests, no credentials looked for.
    pub anonymous: bool,
    /// `path_style=true|false`: S3 path-style addressing.
    pub path_style: Option<bool>,
    /// `list_v1=true`: list with ListObjects (v1) for servers without ListObjectsV2.
    pub list_v1: Option<bool>,
    /// `part_size=` (`s3://`, `az://`, `gs://`): bytes per multipart part, block or chunk.
    pub part_size: Option<usize>,
    /// `part_concurrency=` (`s3://`, `az://`): parts (blocks) of one upload sent at once.
    pub part_concurrency: Option<usize>,
    /// `container=` (`file://` only).
    pub container: Option<String>,
    /// `prefix=` (`file://` only).
    pub prefix: Option<String>,
}

/// Keys refused everywhere because their values are secrets.
pub(super) const SECRET_KEYS: &[&str] = &[
    "access_key",
    "access_key_id",
    "aws_access_key_id",
    "secret",
    "secret_key",
    "secret_access_key",
    "aws_secret_access_key",
    "session_token",
    "aws_session_token",
    "token",
    "password",
    "credentials",
    "account_key",
    "key",
    "sas",
    "sas_token",
    "sig",
    "connection_string",
    "client_secret",
];

impl StorageOptions {
    /// Sets one option for `provider`. Errors name the key (and, for booleans, what is
    /// allowed), never the value, which could be a secret pasted in the wrong place.
    pub fn set(&mut self, provider: Provider, key: &str, value: &str) -> Result<()> {
        if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
            return Err(Error::invalid(format!(
                "option {key:?} would put a secret in a storage URL, which is not allowed; \
                 give credentials through the driver's configuration or the environment"
            )));
        }
        match (provider, key) {
            (Provider::Local, "container") if value.is_empty() => {
                return Err(Error::invalid(
                    "option \"container\": the container is empty",
                ));
            }
            (Provider::Local, "container") => self.container = Some(value.to_owned()),
            (Provider::Local, "prefix") => self.prefix = Some(value.to_owned()),
            (Provider::S3, "region") => self.region = Some(non_empty(key, value)?),
            (Provider::S3, "endpoint") => self.endpoint = Some(non_empty(key, value)?),
            (Provider::S3, "profile") => self.profile = Some(non_empty(key, value)?),
            (Provider::S3, "anonymous") => self.anonymous = boolean(key, value)?,
            (Provider::S3, "path_style") => self.path_style = Some(boolean(key, value)?),
            (Provider::S3, "list_v1") => self.list_v1 = Some(boolean(key, value)?),
            (Provider::Azure | Provider::Gcs, "endpoint") => {
                self.endpoint = Some(non_empty(key, value)?)
            }
            (Provider::Azure | Provider::Gcs, "anonymous") => self.anonymous = boolean(key, value)?,
            (Provider::Azure | Provider::Gcs, "emulator") => self.emulator = boolean(key, value)?,
            (Provider::Azure, "account") => self.account = Some(non_empty(key, value)?),
            (Provider::S3 | Provider::Azure | Provider::Gcs, "part_size") => {
                self.part_size = Some(count(key, value)?)
            }
            (Provider::S3 | Provider::Azure, "part_concurrency") => {
                self.part_concurrency = Some(count(key, value)?)
            }
            (Provider::Gcs, "project") => self.project = Some(non_empty(key, value)?),
            _ => {
                return Err(Error::invalid(format!(
                    "unknown option {key:?} for {provider} storage (accepted: {})",
                    accepted(provider)
                )));
            }
        }
        Ok(())
    }
}

/// The keys `provider` accepts, for error messages.
fn accepted(provider: Provider) -> &'static str {
    match provider {
        Provider::Local => "container, prefix",
        Provider::S3 => {
            "region, endpoint, profile, anonymous, path_style, list_v1, part_size, part_concurrency"
        }
        Provider::Azure => "account, endpoint, anonymous, emulator, part_size, part_concurrency",
        Provider::Gcs => "project, endpoint, anonymous, emulator, part_size",
        _ => "none",
    }
}

fn boolean(key: &str, value: &str) -> Result<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::invalid(format!(
            "option {key:?} must be true or false"
        ))),
    }
}

fn non_empty(key: &str, value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(Error::invalid(format!("option {key:?} is empty")));
    }
    Ok(value.to_owned())
}

/// A positive whole number (no sign, no unit): the value is not a secret, so it is shown.
fn count(key: &str, value: &str) -> Result<usize> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::invalid(format!(
            "option {key:?} must be a whole number above 0, not {value:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn part_sizes_and_concurrency_are_positive_numbers_where_a_driver_has_them() {
        let mut o = StorageOptions::default();
        o.set(Provider::S3, "part_size", "16777216").unwrap();
        o.set(Provider::S3, "part_concurrency", "10").unwrap();
        assert_eq!(
            (o.part_size, o.part_concurrency),
            (Some(16 << 20), Some(10))
        );
        for bad in ["0", "-1", "8MiB", ""] {
            let e = o.set(Provider::Azure, "part_size", bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        o.set(Provider::Gcs, "part_size", "262144").unwrap();
        let e = o.set(Provider::Gcs, "part_concurrency", "2").unwrap_err();
        assert!(e.message().contains("unknown option"), "{e}");
        assert!(o.set(Provider::Memory, "part_size", "1").is_err());
    }

    #[test]
    fn each_provider_takes_its_own_keys() {
        let mut o = StorageOptions::default();
        o.set(Provider::S3, "region", "eu-west-1").unwrap();
        o.set(Provider::S3, "list_v1", "true").unwrap();
        o.set(Provider::S3, "path_style", "false").unwrap();
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        assert_eq!((o.list_v1, o.path_style), (Some(true), Some(false)));
        for (provider, key) in [
            (Provider::Memory, "region"),
            (Provider::Local, "endpoint"),
            (Provider::S3, "container"),
            (Provider::S3, "regoin"),
            (Provider::S3, "account"),
            (Provider::Azure, "region"),
            (Provider::Gcs, "account"),
        ] {
            let e = o.set(provider, key, "x").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.to_string().contains(key), "{e}");
        }
    }

    #[test]
    fn secrets_and_bad_values_are_refused_without_echoing_the_value() {
        let mut o = StorageOptions::default();
        for key in [
            "secret_access_key",
            "AWS_SESSION_TOKEN",
            "password",
            "sas_token",
            "account_key",
            "sig",
        ] {
            let e = o.set(Provider::S3, key, "HUNTER2").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(!format!("{e} {e:?}").contains("HUNTER2"), "{e}");
            assert!(e.to_string().contains("secret"), "{e}");
        }
        let e = o.set(Provider::S3, "anonymous", "HUNTER2").unwrap_err();
        assert!(!e.to_string().contains("HUNTER2"), "{e}");
        assert!(o.set(Provider::S3, "region", "").is_err());
    }
}
