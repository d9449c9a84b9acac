//! Route53 configuration: region, endpoint, credentials. Credentials are found by the same
//! AWS chain the S3 driver uses ([`crate::aws::chain`]); nothing here re-implements it.

use std::ffi::OsString;

use crate::aws::{AwsSettings, Source};
use crate::credentials::Credentials;
use crate::error::Result;

/// A resolved Route53 configuration. Build it with [`Route53Config::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Route53Config {
    /// The region requests are signed for: Route53 is global and signs for `us-east-1`
    /// (`cn-northwest-1` in China, `us-gov-west-1` in GovCloud).
    pub region: String,
    /// The endpoint (`https://route53.amazonaws.com`, or a custom one such as
    /// `http://127.0.0.1:5000` for moto), without path, query or user.
    pub endpoint: url::Url,
    /// Static credentials (explicit, environment, a profile's keys); `None` when they come
    /// from [`credential_source`](Self::credential_source).
    pub credentials: Option<Credentials>,
    /// Where temporary credentials come from when there are no static ones (web identity,
    /// an assumed role, a command, container or instance metadata).
    pub credential_source: Option<Source>,
}

impl Route53Config {
    /// A builder with AWS defaults (region `us-east-1`, the global endpoint).
    pub fn builder() -> Route53ConfigBuilder {
        Route53ConfigBuilder::default()
    }
}

/// The global endpoint.
const DEFAULT_ENDPOINT: &str = "https://route53.amazonaws.com";

/// Builds an [`Route53Config`].
#[derive(Debug, Clone, Default)]
pub struct Route53ConfigBuilder {
    aws: AwsSettings,
}

impl Route53ConfigBuilder {
    /// The region signed for (`us-east-1` unless in another partition).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.aws.region = Some(region.into());
        self
    }

    /// A custom endpoint (`http://127.0.0.1:5000` for moto).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.aws.endpoint = Some(endpoint.into());
        self
    }

    /// Explicit credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.aws.credentials = Some(credentials);
        self
    }

    /// A source of temporary credentials, used when no static credentials are given.
    pub fn credential_source(mut self, source: Source) -> Self {
        self.aws.credential_source = Some(source);
        self
    }

    /// Whether EC2 instance metadata is the last source tried (off by default, as for S3:
    /// see [`S3ConfigBuilder::instance_metadata`](crate::storage::s3::S3ConfigBuilder::instance_metadata)).
    pub fn instance_metadata(mut self, on: bool) -> Self {
        self.aws.instance_metadata = on;
        self
    }

    /// The profile [`from_env`](Self::from_env) reads, instead of `AWS_PROFILE`.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.aws.profile = Some(name.into());
        self
    }

    /// Fills what is not set yet from the environment, exactly as
    /// [`S3ConfigBuilder::from_env`](crate::storage::s3::S3ConfigBuilder::from_env) does,
    /// except that the endpoint comes from `AWS_ENDPOINT_URL_ROUTE_53` first, then
    /// `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`, and the region is left
    /// alone (Route53 signs for `us-east-1` whatever region the environment names).
    pub fn from_env(self) -> Result<Self> {
        self.from_env_with(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) reading variables through `var` (tests, sandboxes).
    pub fn from_env_with(mut self, var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        // The region is not the environment's: Route53 is global and signs for
        // us-east-1 whatever region the other services use.
        let region = self.aws.region.take();
        self.aws
            .fill_from_env(&var, "AWS_ENDPOINT_URL_ROUTE_53", true)?;
        self.aws.region = region;
        Ok(self)
    }

    /// Checks and resolves the configuration: `InvalidInput` for a bad region or endpoint,
    /// or when no credentials were found (Route53 has no anonymous access).
    pub fn build(self) -> Result<Route53Config> {
        let r = self
            .aws
            .resolve("Route53", |_: &str| DEFAULT_ENDPOINT.to_owned())?;
        Ok(Route53Config {
            endpoint: r.endpoint,
            region: r.region,
            credentials: r.credentials,
            credential_source: r.credential_source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.into())
    }

    #[test]
    fn environment_gives_region_endpoint_and_keys_route53_endpoint_first() {
        let vars = [
            ("AWS_REGION", "eu-west-3"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_ROUTE_53", "http://127.0.0.1:5000"),
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "SECRET-VALUE"),
        ];
        let c = Route53Config::builder()
            .from_env_with(env(&vars))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.region, "us-east-1", "Route53 signs for us-east-1");
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:5000/");
        assert_eq!(c.credentials.as_ref().unwrap().key_id, "AK");
        assert!(!format!("{c:?}").contains("SECRET-VALUE"));
    }

    #[test]
    fn a_profile_gives_keys_region_and_endpoint_as_for_s3() {
        let dir = tempfile::tempdir().unwrap();
        let (creds, config) = (dir.path().join("credentials"), dir.path().join("config"));
        std::fs::write(
            &creds,
            "[work]\naws_access_key_id = W\naws_secret_access_key = SECRET-VALUE\n",
        )
        .unwrap();
        std::fs::write(
            &config,
            "[profile work]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:7\n",
        )
        .unwrap();
        let vars = [
            ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_PROFILE", "work"),
        ];
        let c = Route53Config::builder()
            .from_env_with(env(&vars))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            (c.region.as_str(), c.endpoint.as_str()),
            ("us-east-1", "http://127.0.0.1:7/")
        );
        assert_eq!(c.credentials.unwrap().key_id, "W");
        let typo = [vars[0], vars[1], ("AWS_PROFILE", "typo")];
        let e = Route53Config::builder()
            .from_env_with(env(&typo))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("typo"), "{e}");
    }

    #[test]
    fn defaults_to_the_global_endpoint_signed_for_us_east_1() {
        let c = Route53Config::builder()
            .credentials(Credentials::new("AK", "S"))
            .build()
            .unwrap();
        assert_eq!(c.endpoint.as_str(), "https://route53.amazonaws.com/");
        assert_eq!(c.region, "us-east-1");
    }

    #[test]
    fn bad_settings_and_no_credentials_are_invalid_input() {
        let keys = || Route53Config::builder().credentials(Credentials::new("AK", "S"));
        for b in [
            keys().region("eu west"),
            keys().endpoint("ftp://x"),
            keys().endpoint("http://127.0.0.1:5000/base"),
            keys().endpoint("http://u:hunter2@127.0.0.1"),
            keys().endpoint("http://u:hunter2@127.0.0.1:99999"),
            keys().endpoint("http://127.0.0.1:5000/?X-Amz-Security-Token=hunter2"),
            Route53Config::builder(),
        ] {
            let e = b.build().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(!format!("{e} {e:?}").contains("hunter2"));
        }
        let nothing = Route53Config::builder()
            .from_env_with(env(&[]))
            .unwrap()
            .build();
        let e = nothing.unwrap_err();
        assert!(e.to_string().contains("no Route53 credentials"), "{e}");
    }
}
