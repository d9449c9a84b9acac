//! S3 configuration: region, endpoint, addressing, credentials (explicit, environment,
//! shared files with profiles), multipart tuning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::credentials::Credentials;
use crate::error::{Error, Result};

/// A resolved S3 configuration. Build it with [`S3Config::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct S3Config {
    /// The region requests are signed for.
    pub region: String,
    /// The endpoint (`scheme://host[:port]`), without a trailing slash.
    pub endpoint: url::Url,
    /// Path-style addressing (`endpoint/bucket/key`) rather than virtual-host
    /// (`bucket.endpoint/key`).
    pub path_style: bool,
    /// Credentials; `None` sends unsigned (anonymous) requests.
    pub credentials: Option<Credentials>,
    /// Uploads from readers switch to multipart above this many bytes.
    pub multipart_threshold: usize,
    /// The size of each multipart part (5 MiB minimum on AWS).
    pub part_size: usize,
    /// How many parts of one upload are sent at once. Memory used by one upload is about
    /// `part_size × part_concurrency`.
    pub part_concurrency: usize,
    /// Sign payload hashes (`true`, default) or send `UNSIGNED-PAYLOAD` (integrity still
    /// checked with `Content-MD5`).
    pub sign_payload: bool,
    /// Check part and final ETags against the MD5s of what was sent (on by default; turn
    /// off for SSE-KMS buckets, whose ETags are not MD5s).
    pub verify_etags: bool,
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
    region: Option<String>,
    endpoint: Option<String>,
    path_style: Option<bool>,
    credentials: Option<Credentials>,
    anonymous: bool,
    multipart_threshold: Option<usize>,
    part_size: Option<usize>,
    part_concurrency: Option<usize>,
    sign_payload: Option<bool>,
    verify_etags: Option<bool>,
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
        self.region = Some(region.into());
        self
    }

    /// A custom endpoint (`http://127.0.0.1:9000`, `https://<account>.r2.cloudflarestorage.com`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Path-style addressing (MinIO, Ceph and most local servers want it).
    pub fn path_style(mut self, on: bool) -> Self {
        self.path_style = Some(on);
        self
    }

    /// Explicit credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// No credentials: requests go unsigned (public buckets).
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

    /// Whether to check ETags against MD5s (see [`S3Config::verify_etags`]).
    pub fn verify_etags(mut self, on: bool) -> Self {
        self.verify_etags = Some(on);
        self
    }

    /// Fills what is not set yet from the environment: `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`,
    /// `AWS_ENDPOINT_URL` (`AWS_ENDPOINT_URL_S3` first), then the shared files
    /// (`~/.aws/credentials`, `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE` /
    /// `AWS_CONFIG_FILE`) for the profile `AWS_PROFILE` (default `default`).
    pub fn from_env(self) -> Result<Self> {
        let env: HashMap<String, String> = std::env::vars().collect();
        self.from_env_map(&env)
    }

    /// [`from_env`](Self::from_env) over a given map (for tests and sandboxes).
    pub fn from_env_map(mut self, env: &HashMap<String, String>) -> Result<Self> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        if self.region.is_none() {
            self.region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
        }
        if self.endpoint.is_none() {
            self.endpoint = get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL"));
        }
        if self.credentials.is_none() && !self.anonymous {
            if let (Some(id), Some(secret)) =
                (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"))
            {
                let mut c = Credentials::new(id, secret);
                if let Some(t) = get("AWS_SESSION_TOKEN") {
                    c = c.with_session_token(t);
                }
                self.credentials = Some(c);
            }
        }
        let profile = get("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
        let home = get("HOME").map(PathBuf::from);
        let creds_file = get("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
        let config_file = get("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
        if self.credentials.is_none() && !self.anonymous {
            if let Some(section) = read_profile(creds_file.as_deref(), &profile, false)? {
                self.credentials = credentials_from_section(&section);
            }
        }
        if let Some(section) = read_profile(config_file.as_deref(), &profile, true)? {
            if self.region.is_none() {
                self.region = section.get("region").cloned();
            }
            if self.endpoint.is_none() {
                self.endpoint = section.get("endpoint_url").cloned();
            }
            if self.credentials.is_none() && !self.anonymous {
                self.credentials = credentials_from_section(&section);
            }
        }
        Ok(self)
    }

    /// Checks and resolves the configuration.
    pub fn build(self) -> Result<S3Config> {
        let region = self.region.unwrap_or_else(|| "us-east-1".to_owned());
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Error::invalid(format!("S3 region {region:?} is not valid")));
        }
        let custom = self.endpoint.is_some();
        let endpoint = match self.endpoint {
            Some(e) => e,
            None => format!("https://s3.{region}.amazonaws.com"),
        };
        let mut endpoint = url::Url::parse(&endpoint)
            .map_err(|e| Error::invalid(format!("S3 endpoint {endpoint:?}: {e}")))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(Error::invalid(format!(
                "S3 endpoint {endpoint} must be http(s)://host[:port]"
            )));
        }
        endpoint.set_path("");
        endpoint.set_query(None);
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
        Ok(S3Config {
            region,
            endpoint,
            // Custom endpoints are usually local or S3-compatible servers: path style
            // unless told otherwise.
            path_style: self.path_style.unwrap_or(custom),
            credentials: if self.anonymous {
                None
            } else {
                self.credentials
            },
            multipart_threshold: self.multipart_threshold.unwrap_or(part_size).max(1),
            part_size,
            part_concurrency,
            sign_payload: self.sign_payload.unwrap_or(true),
            verify_etags: self.verify_etags.unwrap_or(true),
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

fn credentials_from_section(section: &HashMap<String, String>) -> Option<Credentials> {
    let id = section.get("aws_access_key_id")?;
    let secret = section.get("aws_secret_access_key")?;
    let mut c = Credentials::new(id.clone(), secret.clone());
    if let Some(t) = section.get("aws_session_token") {
        c = c.with_session_token(t.clone());
    }
    Some(c)
}

/// Reads one profile's keys from an AWS INI file. In the config file, profiles other than
/// `default` are named `[profile NAME]`. A missing file is `None`.
fn read_profile(
    path: Option<&Path>,
    profile: &str,
    config_style: bool,
) -> Result<Option<HashMap<String, String>>> {
    let Some(path) = path else { return Ok(None) };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(parse_ini(&text).remove(&section_name(profile, config_style)))
}

fn section_name(profile: &str, config_style: bool) -> String {
    if config_style && profile != "default" {
        format!("profile {profile}")
    } else {
        profile.to_owned()
    }
}

/// A minimal INI reader: `[section]`, `key = value`, `#`/`;` comments.
fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            current = Some(name.clone());
            out.entry(name).or_default();
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.get_mut(section)
                .expect("section inserted above")
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_variables_win() {
        let c = S3Config::builder()
            .from_env_map(&env(&[
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
            .from_env_map(&env(&files))
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
            .from_env_map(&env(&with_profile))
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
        assert!(S3Config::builder().region("eu west").build().is_err());
        assert!(S3Config::builder().endpoint("ftp://x").build().is_err());
        assert!(S3Config::builder().endpoint("not a url").build().is_err());
        assert!(S3Config::builder().part_size(1024).build().is_err());
    }
}
