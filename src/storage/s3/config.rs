//! S3 configuration: region, endpoint, addressing, credentials (explicit, environment,
//! shared files with profiles), multipart tuning.

use std::ffi::OsString;

use crate::aws::{AwsSettings, Source, chain};
use crate::credentials::Credentials;
use crate::error::{Error, Result};

/// A resolved S3 configuration. Build it with [`S3Config::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct S3Config {
    /// The region requests are signed for.
    pub region: String,
    /// The endpoint (`scheme://host[:port][/base]`), without query. A base path is kept:
    /// every request path (and what is signed) starts with it.
    pub endpoint: url::Url,
    /// Path-style addressing (`endpoint/bucket/key`) rather than virtual-host
    /// (`bucket.endpoint/key`).
    pub path_style: bool,
    /// Static credentials (explicit, environment, a profile's keys); `None` when they come
    /// from [`credential_source`](Self::credential_source), or when
    /// [`S3ConfigBuilder::anonymous`] asked for unsigned (anonymous) requests.
    pub credentials: Option<Credentials>,
    /// Where temporary credentials come from (web identity, an assumed role, a command,
    /// the container or instance metadata), when there are no static ones: the driver
    /// asks a [`CredentialsProvider`](crate::aws) for them before signing.
    pub credential_source: Option<Source>,
    /// Uploads from readers switch to multipart above this many bytes.
    pub multipart_threshold: usize,
    /// The size of each multipart part (5 MiB minimum on AWS).
    pub part_size: usize,
    /// How many parts of one upload are sent at once. Memory used by one upload is about
    /// `part_size × part_concurrency`.
    pub part_concurrency: usize,
    /// Sign payload hashes, or send `UNSIGNED-PAYLOAD` (integrity still checked with
    /// [`upload_checksum`](Self::upload_checksum)). By default signed over `http` (the
    /// signature is then all that protects the body) and unsigned over `https`, as the
    /// AWS SDKs do: TLS protects it, and hashing it twice costs CPU for nothing.
    pub sign_payload: bool,
    /// How a single PutObject proves its bytes arrived intact: a CRC32C the store checks
    /// (the default for AWS endpoints) or `Content-MD5` (the default for custom ones).
    pub upload_checksum: super::UploadChecksum,
    /// Check part and final ETags against the MD5s of what was sent (on by default; turn
    /// off for SSE-KMS buckets, whose ETags are not MD5s).
    pub verify_etags: bool,
    /// List with ListObjects (v1: `marker`, `NextMarker`) instead of ListObjectsV2, for
    /// old servers that do not speak v2 (off by default).
    pub list_v1: bool,
}

impl S3Config {
    /// A builder with AWS defaults (region `us-east-1`, virtual-host addressing).
    pub fn builder() -> S3ConfigBuilder {
        S3ConfigBuilder::default()
    }
}

/// Builds an [`S3Config`].
#[derive(Debug, Clone, Default)]
pub struct S3ConfigBuilder {
    /// Region, endpoint and credentials, resolved as for every AWS service.
    aws: AwsSettings,
    path_style: Option<bool>,
    anonymous: bool,
    multipart_threshold: Option<usize>,
    part_size: Option<usize>,
    part_concurrency: Option<usize>,
    sign_payload: Option<bool>,
    upload_checksum: Option<super::UploadChecksum>,
    verify_etags: Option<bool>,
    list_v1: Option<bool>,
}

/// Default multipart part size: 8 MiB.
pub const DEFAULT_PART_SIZE: usize = 8 << 20;
/// Default number of parts in flight per upload.
pub const DEFAULT_PART_CONCURRENCY: usize = 4;
/// S3's smallest part (all but the last).
pub const MIN_PART_SIZE: usize = 5 << 20;

impl S3ConfigBuilder {
    /// The region (`eu-west-1`; `auto` for R2).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.aws.region = Some(region.into());
        self
    }

    /// A custom endpoint (`http://127.0.0.1:9000`, `https://<account>.r2.cloudflarestorage.com`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.aws.endpoint = Some(endpoint.into());
        self
    }

    /// Path-style addressing (MinIO, Ceph and most local servers want it).
    pub fn path_style(mut self, on: bool) -> Self {
        self.path_style = Some(on);
        self
    }

    /// Explicit credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.aws.credentials = Some(credentials);
        self
    }

    /// A source of temporary credentials (see [`Source`]), used when no static
    /// credentials are given.
    pub fn credential_source(mut self, source: Source) -> Self {
        self.aws.credential_source = Some(source);
        self
    }

    /// Whether EC2 instance metadata is the last source tried (off by default, so that with
    /// nothing configured [`build`](Self::build) fails at once rather than the first call
    /// waiting for a metadata service; `AWS_EC2_METADATA_SERVICE_ENDPOINT` or
    /// `AWS_EC2_METADATA_DISABLED=false` in the environment also turn it on).
    pub fn instance_metadata(mut self, on: bool) -> Self {
        self.aws.instance_metadata = on;
        self
    }

    /// No credentials: requests go unsigned (public buckets). Anonymous access is only ever
    /// this explicit choice (or the URL option `anonymous=true`): finding no credentials
    /// otherwise makes [`build`](Self::build) fail.
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    /// Multipart threshold in bytes.
    pub fn multipart_threshold(mut self, bytes: usize) -> Self {
        self.multipart_threshold = Some(bytes);
        self
    }

    /// Part size in bytes (at least 5 MiB).
    pub fn part_size(mut self, bytes: usize) -> Self {
        self.part_size = Some(bytes);
        self
    }

    /// Parts in flight per upload.
    pub fn part_concurrency(mut self, n: usize) -> Self {
        self.part_concurrency = Some(n);
        self
    }

    /// Whether to sign payload hashes (see [`S3Config::sign_payload`]).
    pub fn sign_payload(mut self, on: bool) -> Self {
        self.sign_payload = Some(on);
        self
    }

    /// How single uploads prove their bytes (see [`S3Config::upload_checksum`]).
    pub fn upload_checksum(mut self, checksum: super::UploadChecksum) -> Self {
        self.upload_checksum = Some(checksum);
        self
    }

    /// Whether to check ETags against MD5s (see [`S3Config::verify_etags`]).
    pub fn verify_etags(mut self, on: bool) -> Self {
        self.verify_etags = Some(on);
        self
    }

    /// List with ListObjects v1 (see [`S3Config::list_v1`]).
    pub fn list_v1(mut self, on: bool) -> Self {
        self.list_v1 = Some(on);
        self
    }

    /// The profile [`from_env`](Self::from_env) reads from the shared files, instead of
    /// `AWS_PROFILE` (which is then ignored).
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.aws.profile = Some(name.into());
        self
    }

    /// Fills what is not set yet from the environment: `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`,
    /// `AWS_ENDPOINT_URL` (`AWS_ENDPOINT_URL_S3` first), then the shared files
    /// (`~/.aws/credentials`, `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE` /
    /// `AWS_CONFIG_FILE`) for the profile `AWS_PROFILE` (default `default`).
    ///
    /// Temporary credentials come, in this order, after the `AWS_*` keys: web identity
    /// (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME`), the
    /// profile (static keys, `role_arn` with `source_profile` or `web_identity_token_file`,
    /// `credential_process`), container credentials
    /// (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`), then instance metadata when asked for
    /// (see [`instance_metadata`](Self::instance_metadata)); STS is reached at
    /// `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL` when set. See [`chain`].
    ///
    /// Only these variables are read. Configuration mistakes are `InvalidInput` errors
    /// naming the variable, file and profile (never a secret): an `AWS_PROFILE` found in
    /// neither file, a key id without its secret, a malformed or non-UTF-8 file, a variable
    /// that is not UTF-8. Finding no credentials at all is not an error here but in
    /// [`build`](Self::build), unless [`anonymous`](Self::anonymous) was asked for.
    pub fn from_env(self) -> Result<Self> {
        self.from_env_with(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) reading variables through `var` instead of the process
    /// environment (for tests and sandboxes): `|name| map.get(name).map(Into::into)`.
    pub fn from_env_with(mut self, var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        let credentials = !self.anonymous;
        self.aws
            .fill_from_env(&var, "AWS_ENDPOINT_URL_S3", credentials)?;
        Ok(self)
    }

    fn wants_credentials(&self) -> bool {
        !self.anonymous && self.aws.wants_credentials()
    }

    /// Checks and resolves the configuration. `InvalidInput` when a setting is invalid, or
    /// when there are no credentials and [`anonymous`](Self::anonymous) was not asked for.
    pub fn build(mut self) -> Result<S3Config> {
        if self.wants_credentials() && self.aws.instance_metadata {
            self.aws.credential_source = chain::instance_metadata_env(&|_: &str| None, true)?;
        }
        if self.wants_credentials() {
            return Err(Error::invalid(format!(
                "no S3 credentials found (looked in {}); give credentials, or call \
                 anonymous() (URL option `anonymous=true`) for unsigned requests",
                self.aws
                    .looked_in
                    .as_deref()
                    .unwrap_or("explicit settings only")
            )));
        }
        let region = self.aws.region.unwrap_or_else(|| "us-east-1".to_owned());
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::invalid(format!("S3 region {region:?} is not valid")));
        }
        let custom = self.aws.endpoint.is_some();
        let endpoint = match self.aws.endpoint {
            Some(e) => e,
            None => format!("https://s3.{region}.amazonaws.com"),
        };
        let endpoint = checked_endpoint(&endpoint)?;
        let part_size = self.part_size.unwrap_or(DEFAULT_PART_SIZE);
        if part_size < MIN_PART_SIZE {
            return Err(Error::invalid(format!(
                "part size {part_size} is below S3's minimum of {MIN_PART_SIZE} bytes"
            )));
        }
        let part_concurrency = self
            .part_concurrency
            .unwrap_or(DEFAULT_PART_CONCURRENCY)
            .max(1);
        let sign_payload = self.sign_payload.unwrap_or(endpoint.scheme() == "http");
        Ok(S3Config {
            region,
            endpoint,
            // Custom endpoints are usually local or S3-compatible servers: path style
            // unless told otherwise.
            path_style: self.path_style.unwrap_or(custom),
            credentials: if self.anonymous {
                None
            } else {
                self.aws.credentials
            },
            credential_source: match self.anonymous {
                true => None,
                false => self.aws.credential_source,
            },
            multipart_threshold: self.multipart_threshold.unwrap_or(part_size).max(1),
            part_size,
            part_concurrency,
            sign_payload,
            upload_checksum: self.upload_checksum.unwrap_or(match custom {
                true => super::UploadChecksum::Md5,
                false => super::UploadChecksum::Crc32c,
            }),
            verify_etags: self.verify_etags.unwrap_or(true),
            list_v1: self.list_v1.unwrap_or(false),
        })
    }

    /// Cloudflare R2 (`https://<account_id>.r2.cloudflarestorage.com`, region `auto`).
    pub fn r2(account_id: &str) -> Self {
        Self::default()
            .endpoint(format!("https://{account_id}.r2.cloudflarestorage.com"))
            .region("auto")
            .path_style(true)
    }

    /// DigitalOcean Spaces in a region (`nyc3`, `ams3`...).
    pub fn digitalocean_spaces(region: &str) -> Self {
        Self::default()
            .endpoint(format!("https://{region}.digitaloceanspaces.com"))
            .region(region)
            .path_style(false)
    }

    /// Wasabi in a region (`us-east-1`, `eu-central-1`...).
    pub fn wasabi(region: &str) -> Self {
        Self::default()
            .endpoint(format!("https://s3.{region}.wasabisys.com"))
            .region(region)
            .path_style(false)
    }

    /// MinIO, Ceph RGW, Garage or any S3-compatible server at `endpoint`, path style.
    pub fn compatible(endpoint: &str) -> Self {
        Self::default().endpoint(endpoint).path_style(true)
    }
}

/// A base path must decode to UTF-8 (requests are built from plain paths).
/// `http(s)://host[:port][/base/path]`, query and fragment dropped. Errors never quote
/// the text: a password or a token pasted into it would be shown.
fn checked_endpoint(text: &str) -> Result<url::Url> {
    let mut endpoint = url::Url::parse(text)
        .map_err(|e| Error::invalid(format!("S3 endpoint is not a URL: {e}")))?;
    // A password in the endpoint would show in every Debug of the configuration.
    if !endpoint.username().is_empty() || endpoint.password().is_some() {
        return Err(Error::invalid(
            "S3 endpoint must not hold a user name or password (give credentials instead)",
        ));
    }
    if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
        return Err(Error::invalid(format!(
            "S3 endpoint {}://{} must be http(s)://host[:port]",
            endpoint.scheme(),
            endpoint.host_str().unwrap_or("")
        )));
    }
    let base = endpoint.path().trim_end_matches('/').to_owned();
    endpoint.set_path(&base);
    endpoint.set_query(None);
    endpoint.set_fragment(None);
    check_base_path(&endpoint)?;
    Ok(endpoint)
}

fn check_base_path(endpoint: &url::Url) -> Result<()> {
    percent_encoding::percent_decode_str(endpoint.path())
        .decode_utf8()
        .map(|_| ())
        .map_err(|_| {
            Error::invalid(format!(
                "S3 endpoint {endpoint} has a path that is not UTF-8"
            ))
        })
}

#[cfg(test)]
#[path = "config_profile_tests.rs"]
mod profile_option_tests;

#[cfg(test)]
mod tests {
    use super::*;

    use crate::error::ErrorKind;
    use std::collections::HashMap;

    /// A fake environment holding `pairs` and nothing else.
    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn environment_variables_win() {
        let c = S3Config::builder()
            .from_env_with(env(&[
                ("AWS_ACCESS_KEY_ID", "AK"),
                ("AWS_SECRET_ACCESS_KEY", "SK"),
                ("AWS_SESSION_TOKEN", "TOK"),
                ("AWS_DEFAULT_REGION", "eu-west-3"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
            ]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.region, "eu-west-3");
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:9000/");
        assert!(c.path_style);
        let creds = c.credentials.unwrap();
        assert_eq!(creds.key_id, "AK");
        assert_eq!(creds.session_token.unwrap().expose(), "TOK");
    }

    #[test]
    fn shared_files_with_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n# work\n[work]\naws_access_key_id=W\naws_secret_access_key=WS\n",
        )
        .unwrap();
        std::fs::write(
            &config,
            "[default]\nregion = us-west-2\n[profile work]\nregion = ap-south-1\n",
        )
        .unwrap();
        let files = [
            ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ];
        let d = S3Config::builder()
            .from_env_with(env(&files))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            (d.credentials.unwrap().key_id.as_str(), d.region.as_str()),
            ("D", "us-west-2")
        );
        let mut with_profile = files.to_vec();
        with_profile.push(("AWS_PROFILE", "work"));
        let w = S3Config::builder()
            .from_env_with(env(&with_profile))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            (w.credentials.unwrap().key_id.as_str(), w.region.as_str()),
            ("W", "ap-south-1")
        );
        assert!(!w.path_style);
        assert_eq!(w.endpoint.as_str(), "https://s3.ap-south-1.amazonaws.com/");
    }

    #[test]
    fn bad_settings_are_invalid_input() {
        assert!(
            S3Config::builder()
                .anonymous()
                .region("eu west")
                .build()
                .is_err()
        );
        assert!(
            S3Config::builder()
                .anonymous()
                .endpoint("ftp://x")
                .build()
                .is_err()
        );
        assert!(
            S3Config::builder()
                .anonymous()
                .endpoint("not a url")
                .build()
                .is_err()
        );
        assert!(
            S3Config::builder()
                .anonymous()
                .part_size(1024)
                .build()
                .is_err()
        );
        assert!(S3Config::builder().anonymous().build().is_ok());
        for secret in [
            "http://user:hunter2@127.0.0.1:9000",
            "http://user:hunter2@127.0.0.1:99999",
            "ftp://127.0.0.1/?X-Amz-Security-Token=hunter2",
        ] {
            let b = S3Config::builder().anonymous().endpoint(secret);
            let e = b.build().unwrap_err();
            assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}");
        }
    }

    /// Writes `credentials` and `config` files into a temporary directory; returns the
    /// directory and the variables that point at them.
    fn shared_files(
        credentials: &[u8],
        config: &[u8],
    ) -> (tempfile::TempDir, [(String, String); 2]) {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("credentials"), dir.path().join("config"));
        std::fs::write(&c, credentials).unwrap();
        std::fs::write(&k, config).unwrap();
        let vars = [
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
                c.display().to_string(),
            ),
            ("AWS_CONFIG_FILE".to_owned(), k.display().to_string()),
        ];
        (dir, vars)
    }

    /// `from_env_with(..)` then `build()`, over the shared files plus `extra` variables.
    fn resolve(files: &[(String, String); 2], extra: &[(&str, &str)]) -> Result<S3Config> {
        let mut pairs: Vec<(&str, &str)> = files.iter().map(|(k, v)| (&**k, &**v)).collect();
        pairs.extend_from_slice(extra);
        S3Config::builder().from_env_with(env(&pairs))?.build()
    }

    /// An `InvalidInput` whose message holds every one of `needles` and no secret.
    fn assert_config_error(r: Result<S3Config>, needles: &[&str]) {
        let e = r.expect_err("a configuration error");
        let shown = format!("{e} | {e:?}");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{shown}");
        for n in needles {
            assert!(shown.contains(n), "{n:?} missing from {shown}");
        }
        assert!(!shown.contains("SECRET-VALUE"), "{shown}");
    }

    const GOOD: &[u8] = b"[default]\naws_access_key_id = D\naws_secret_access_key = SECRET-VALUE\n";

    #[test]
    fn a_missing_profile_is_an_error_naming_it_and_both_files() {
        let (_dir, files) = shared_files(GOOD, b"[default]\nregion = eu-west-1\n");
        let r = resolve(&files, &[("AWS_PROFILE", "typo")]);
        assert_config_error(r, &["\"typo\"", &files[0].1, &files[1].1]);
        // Even when the environment holds credentials: the profile was asked for.
        let with_env = [
            ("AWS_PROFILE", "typo"),
            ("AWS_ACCESS_KEY_ID", "E"),
            ("AWS_SECRET_ACCESS_KEY", "SECRET-VALUE"),
        ];
        assert_config_error(resolve(&files, &with_env), &["\"typo\""]);
    }

    #[test]
    fn a_key_without_secret_is_an_error_naming_file_and_profile() {
        let (_dir, files) = shared_files(b"[work]\naws_access_key_id = W\n", b"");
        let r = resolve(&files, &[("AWS_PROFILE", "work")]);
        assert_config_error(r, &["\"work\"", &files[0].1, "aws_secret_access_key"]);
        let (_dir, files) = shared_files(b"", b"[default]\naws_secret_access_key = SECRET-VALUE\n");
        assert_config_error(resolve(&files, &[]), &["\"default\"", &files[1].1]);
    }

    #[test]
    fn a_broken_section_header_is_an_error_naming_the_file_and_line() {
        let (_dir, files) = shared_files(
            b"[default\naws_access_key_id = D\naws_secret_access_key = SECRET-VALUE\n",
            b"",
        );
        assert_config_error(resolve(&files, &[]), &[&files[0].1, "line 1"]);
    }

    #[test]
    fn no_credentials_anywhere_is_an_error_unless_anonymous() {
        let (_dir, files) = shared_files(b"", b"[default]\nregion = eu-west-1\n");
        let r = resolve(&files, &[]);
        assert_config_error(
            r,
            &["no S3 credentials", "\"default\"", &files[0].1, "anonymous"],
        );
        let nothing = S3Config::builder().from_env_with(env(&[])).unwrap().build();
        assert_config_error(nothing, &["no S3 credentials", "HOME unset"]);
        assert_config_error(S3Config::builder().build(), &["no S3 credentials"]);
        let anon = S3Config::builder()
            .anonymous()
            .from_env_with(env(&[]))
            .unwrap()
            .build()
            .unwrap();
        assert!(anon.credentials.is_none());
    }

    #[test]
    fn half_credentials_in_the_environment_are_an_error() {
        let (_dir, files) = shared_files(GOOD, b"");
        assert_config_error(
            resolve(&files, &[("AWS_ACCESS_KEY_ID", "E")]),
            &["AWS_SECRET_ACCESS_KEY"],
        );
        let token_only = [("AWS_SESSION_TOKEN", "SECRET-VALUE")];
        assert_config_error(resolve(&files, &token_only), &["AWS_ACCESS_KEY_ID"]);
    }

    #[test]
    fn non_utf8_files_and_variables_are_errors_naming_them() {
        let (_dir, files) = shared_files(b"[default]\naws_access_key_id = \xff\xfe\n", b"");
        assert_config_error(resolve(&files, &[]), &[&files[0].1, "UTF-8"]);
        let bad = |name: &'static str| {
            move |n: &str| {
                use std::os::unix::ffi::OsStringExt;
                (n == name).then(|| OsString::from_vec(vec![b'a', 0xff]))
            }
        };
        for name in ["AWS_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"] {
            let r = S3Config::builder().from_env_with(bad(name));
            let e = r.expect_err(name);
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.to_string().contains(name), "{e}");
        }
        // Paths may be any bytes: a non-UTF-8 HOME just points at files that do not exist.
        let home = S3Config::builder().anonymous().from_env_with(bad("HOME"));
        assert!(home.unwrap().build().is_ok());
    }
}
