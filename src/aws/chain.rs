//! Which credentials source to use, decided from the environment and the shared files.
//! Order:
//!
//! 1. explicit (the caller's);
//! 2. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`;
//! 3. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`);
//! 4. the profile (static keys, `role_arn` with `source_profile` or
//!    `web_identity_token_file`, `credential_process`);
//! 5. container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`);
//! 6. instance metadata, only when opted in ([`ChainOptions::instance_metadata`],
//!    `AWS_EC2_METADATA_SERVICE_ENDPOINT` or `AWS_EC2_METADATA_DISABLED=false`), never when
//!    `AWS_EC2_METADATA_DISABLED=true`.
//!
//! The first source configured wins; a source that fails later is not skipped over.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{AssumeRole, Container, ECS_ENDPOINT, IMDS_ENDPOINT, Source, WebIdentity, metadata};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::s3::profile::{self, Section, SharedFiles};

/// Choices the environment cannot make.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ChainOptions {
    /// Try EC2 instance metadata last even without an environment hint. Off by default so
    /// that, with nothing configured, building a driver fails at once instead of waiting
    /// for a metadata service that is not there.
    pub instance_metadata: bool,
    /// The region STS requests go to (`AWS_REGION`, the profile's `region`, or us-east-1).
    pub region: Option<String>,
}

impl ChainOptions {
    /// Whether to try instance metadata without an environment hint.
    pub fn instance_metadata(mut self, on: bool) -> Self {
        self.instance_metadata = on;
        self
    }
}

/// A variable's text: `None` when unset or empty, `InvalidInput` naming it when not UTF-8.
pub(crate) fn text_var(
    var: &impl Fn(&str) -> Option<OsString>,
    name: &str,
) -> Result<Option<String>> {
    match var(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .into_string()
            .map(Some)
            .map_err(|_| Error::invalid(format!("environment variable {name} is not valid UTF-8"))),
    }
}

fn path_var(var: &impl Fn(&str) -> Option<OsString>, name: &str) -> Option<PathBuf> {
    var(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The whole chain after explicit credentials: the source to use, `None` when nothing is
/// configured (the caller reports "no credentials").
pub fn resolve(
    var: &impl Fn(&str) -> Option<OsString>,
    opts: &ChainOptions,
) -> Result<Option<Source>> {
    if let Some(c) = env_credentials(var)? {
        return Ok(Some(Source::Static(c)));
    }
    let files = SharedFiles::locate(var, text_var(var, "AWS_PROFILE")?)?;
    let region = match &opts.region {
        Some(r) => r.clone(),
        None => region(var, &files)?,
    };
    if let Some(s) = web_identity_env(var, &region)? {
        return Ok(Some(s));
    }
    if let Some(s) = profile_source(&files, var, &region)? {
        return Ok(Some(s));
    }
    after_profile(var, opts)
}

/// The region from `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile, else `us-east-1`.
fn region(var: &impl Fn(&str) -> Option<OsString>, files: &SharedFiles) -> Result<String> {
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(r) = text_var(var, name)? {
            return Ok(r);
        }
    }
    let from_profile = files.config().and_then(|(_, s)| s.get("region").cloned());
    Ok(from_profile.unwrap_or_else(|| "us-east-1".to_owned()))
}

/// Container credentials, then instance metadata: the sources after the profile.
pub fn after_profile(
    var: &impl Fn(&str) -> Option<OsString>,
    opts: &ChainOptions,
) -> Result<Option<Source>> {
    if let Some(s) = container_env(var)? {
        return Ok(Some(s));
    }
    instance_metadata_env(var, opts.instance_metadata)
}

/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`: both keys or
/// neither (a key id alone is a mistake, not a request for anonymity).
pub fn env_credentials(var: &impl Fn(&str) -> Option<OsString>) -> Result<Option<Credentials>> {
    let id = text_var(var, "AWS_ACCESS_KEY_ID")?;
    let secret = text_var(var, "AWS_SECRET_ACCESS_KEY")?;
    let token = text_var(var, "AWS_SESSION_TOKEN")?;
    match (id, secret) {
        (Some(id), Some(secret)) => {
            let c = Credentials::new(id, secret);
            Ok(Some(match token {
                Some(t) => c.with_session_token(t),
                None => c,
            }))
        }
        (None, None) if token.is_none() => Ok(None),
        (id, _) => Err(Error::invalid(format!(
            "incomplete credentials in the environment: {} is unset or empty",
            if id.is_some() {
                "AWS_SECRET_ACCESS_KEY"
            } else {
                "AWS_ACCESS_KEY_ID"
            }
        ))),
    }
}

/// The STS endpoint: `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, else the region's.
pub fn sts_endpoint(var: &impl Fn(&str) -> Option<OsString>, region: &str) -> Result<String> {
    for name in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
        if let Some(e) = text_var(var, name)? {
            return Ok(e);
        }
    }
    Ok(format!("https://sts.{region}.amazonaws.com"))
}

fn session_name(given: Option<String>) -> String {
    given.unwrap_or_else(|| "multicloud-session".to_owned())
}

/// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` [+ `AWS_ROLE_SESSION_NAME`]: both or
/// neither.
pub fn web_identity_env(
    var: &impl Fn(&str) -> Option<OsString>,
    region: &str,
) -> Result<Option<Source>> {
    let file = path_var(var, "AWS_WEB_IDENTITY_TOKEN_FILE");
    let role = text_var(var, "AWS_ROLE_ARN")?;
    match (file, role) {
        (None, None) => Ok(None),
        (Some(token_file), Some(role_arn)) => Ok(Some(Source::WebIdentity(WebIdentity {
            token_file,
            role_arn,
            session_name: session_name(text_var(var, "AWS_ROLE_SESSION_NAME")?),
            sts_endpoint: sts_endpoint(var, region)?,
        }))),
        (file, _) => Err(Error::invalid(format!(
            "web identity needs both AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN; {} is unset",
            if file.is_some() {
                "AWS_ROLE_ARN"
            } else {
                "AWS_WEB_IDENTITY_TOKEN_FILE"
            }
        ))),
    }
}

/// The source the profile names: static keys (credentials file first), an assumed role,
/// or a command. Keys of half-configured profiles are errors naming file and profile.
pub(crate) fn profile_source(
    files: &SharedFiles,
    var: &impl Fn(&str) -> Option<OsString>,
    region: &str,
) -> Result<Option<Source>> {
    let name = files.profile.as_str();
    if let Some(c) = static_keys(files, name)? {
        return Ok(Some(Source::Static(c)));
    }
    let settings = merged(files, name);
    let Some((file, _)) = files.config().or_else(|| files.credentials()) else {
        return Ok(None);
    };
    let file = file.path.display().to_string();
    let at = || format!("profile {name:?} in {file}");
    if let Some(role_arn) = settings.get("role_arn").filter(|v| !v.is_empty()) {
        return role_source(files, var, region, &settings, role_arn, &at()).map(Some);
    }
    if let Some(command) = settings.get("credential_process").filter(|v| !v.is_empty()) {
        return Ok(Some(Source::Process {
            command: command.clone(),
            profile: name.to_owned(),
            timeout: super::PROCESS_TIMEOUT,
        }));
    }
    match ["sso_session", "sso_start_url", "credential_source"]
        .iter()
        .find(|k| settings.contains_key(**k))
    {
        None => Ok(None),
        Some(key) => Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "{} gets credentials through {key}, which this version does not support",
                at()
            ),
        )),
    }
}

/// Static keys of `profile`: its credentials-file section, then its config section.
fn static_keys(files: &SharedFiles, profile: &str) -> Result<Option<Credentials>> {
    for (file, section) in [files.credentials_for(profile), files.config_for(profile)]
        .into_iter()
        .flatten()
    {
        if let Some(c) = profile::credentials_in(section, &file.path, profile)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// The profile's settings from both files, the credentials file's winning.
fn merged(files: &SharedFiles, profile: &str) -> Section {
    let mut out = Section::new();
    for (_, s) in [files.config_for(profile), files.credentials_for(profile)]
        .into_iter()
        .flatten()
    {
        out.extend(s.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

fn role_source(
    files: &SharedFiles,
    var: &impl Fn(&str) -> Option<OsString>,
    region: &str,
    settings: &Section,
    role_arn: &str,
    at: &str,
) -> Result<Source> {
    let session = session_name(settings.get("role_session_name").cloned());
    let sts = sts_endpoint(var, region)?;
    if let Some(token_file) = settings.get("web_identity_token_file") {
        return Ok(Source::WebIdentity(WebIdentity {
            token_file: token_file.into(),
            role_arn: role_arn.to_owned(),
            session_name: session,
            sts_endpoint: sts,
        }));
    }
    let Some(source_profile) = settings.get("source_profile").filter(|v| !v.is_empty()) else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("{at} has role_arn without source_profile or web_identity_token_file"),
        ));
    };
    let Some(source) = static_keys(files, source_profile)? else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "{at} has source_profile {source_profile:?}, which holds no static keys \
                 (chained roles are not supported)"
            ),
        ));
    };
    Ok(Source::AssumeRole(AssumeRole {
        role_arn: role_arn.to_owned(),
        session_name: session,
        external_id: settings.get("external_id").cloned(),
        source,
        sts_endpoint: sts,
        region: region.to_owned(),
    }))
}

/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (against 169.254.170.2) or `_FULL_URI`, with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` / `_TOKEN`.
pub fn container_env(var: &impl Fn(&str) -> Option<OsString>) -> Result<Option<Source>> {
    let url = match (
        text_var(var, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")?,
        text_var(var, "AWS_CONTAINER_CREDENTIALS_FULL_URI")?,
    ) {
        (Some(rel), _) if rel.starts_with('/') => format!("{ECS_ENDPOINT}{rel}"),
        (Some(_), _) => {
            return Err(Error::invalid(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'",
            ));
        }
        (None, Some(full)) if metadata::container_url_allowed(&full) => full,
        (None, Some(_)) => {
            return Err(Error::invalid(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback \
                 or container-credentials address",
            ));
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(Source::Container(Container {
        url,
        token: text_var(var, "AWS_CONTAINER_AUTHORIZATION_TOKEN")?.map(Into::into),
        token_file: path_var(var, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
    })))
}

/// Instance metadata, when opted in or hinted at and not disabled.
pub fn instance_metadata_env(
    var: &impl Fn(&str) -> Option<OsString>,
    opted_in: bool,
) -> Result<Option<Source>> {
    let disabled = text_var(var, "AWS_EC2_METADATA_DISABLED")?.map(|v| v.to_ascii_lowercase());
    let endpoint = text_var(var, "AWS_EC2_METADATA_SERVICE_ENDPOINT")?;
    let v1 = text_var(var, "AWS_EC2_METADATA_V1_DISABLED")?.map(|v| v.to_ascii_lowercase());
    let wanted = opted_in || endpoint.is_some() || disabled.as_deref() == Some("false");
    if disabled.as_deref() == Some("true") || !wanted {
        return Ok(None);
    }
    Ok(Some(Source::InstanceMetadata {
        endpoint: endpoint.unwrap_or_else(|| IMDS_ENDPOINT.to_owned()),
        allow_v1: v1.as_deref() == Some("false"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn files(dir: &tempfile::TempDir, creds: &str, config: &str) -> [(String, String); 2] {
        let (c, k) = (dir.path().join("credentials"), dir.path().join("config"));
        std::fs::write(&c, creds).unwrap();
        std::fs::write(&k, config).unwrap();
        [
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                c.display().to_string(),
            ),
            ("AWS_CONFIG_FILE".into(), k.display().to_string()),
        ]
    }

    fn run(
        files: &[(String, String)],
        extra: &[(&str, &str)],
        opts: ChainOptions,
    ) -> Result<Option<Source>> {
        let mut pairs: Vec<(&str, &str)> = files.iter().map(|(k, v)| (&**k, &**v)).collect();
        pairs.extend_from_slice(extra);
        resolve(&env(&pairs), &opts)
    }

    #[test]
    fn the_order_is_env_web_identity_profile_container_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(
            &dir,
            "[default]\naws_access_key_id = P\naws_secret_access_key = PS\n",
            "",
        );
        let keys = [("AWS_ACCESS_KEY_ID", "E"), ("AWS_SECRET_ACCESS_KEY", "ES")];
        let wi = [
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
            ("AWS_ROLE_ARN", "arn:r"),
        ];
        let all: Vec<_> = keys.iter().chain(&wi).copied().collect();
        let o = ChainOptions::default;
        assert!(matches!(run(&f, &all, o()).unwrap(), Some(Source::Static(c)) if c.key_id == "E"));
        assert!(matches!(
            run(&f, &wi, o()).unwrap(),
            Some(Source::WebIdentity(_))
        ));
        assert!(matches!(run(&f, &[], o()).unwrap(), Some(Source::Static(c)) if c.key_id == "P"));
        let empty = files(&dir, "", "");
        let ecs = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x")];
        let Some(Source::Container(c)) = run(&empty, &ecs, o()).unwrap() else {
            panic!()
        };
        assert_eq!(c.url, "http://169.254.170.2/v2/x");
        assert!(
            run(&empty, &[], o()).unwrap().is_none(),
            "nothing configured: no source"
        );
        let imds = run(&empty, &[], o().instance_metadata(true)).unwrap();
        assert!(matches!(
            imds,
            Some(Source::InstanceMetadata {
                allow_v1: false,
                ..
            })
        ));
        let hinted = run(
            &empty,
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")],
            o(),
        )
        .unwrap();
        assert!(
            matches!(hinted, Some(Source::InstanceMetadata { endpoint, .. }) if endpoint == "http://127.0.0.1:9")
        );
        let off = [("AWS_EC2_METADATA_DISABLED", "true")];
        assert!(
            run(&empty, &off, o().instance_metadata(true))
                .unwrap()
                .is_none()
        );
        let v1 = [("AWS_EC2_METADATA_V1_DISABLED", "false")];
        let v1 = run(&empty, &v1, o().instance_metadata(true)).unwrap();
        assert!(matches!(
            v1,
            Some(Source::InstanceMetadata { allow_v1: true, .. })
        ));
    }

    #[test]
    fn profiles_name_roles_and_processes() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(
            &dir,
            "[base]\naws_access_key_id = B\naws_secret_access_key = BS\n",
            "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\nregion = eu-west-2\n\
             external_id = x\n[profile proc]\ncredential_process = /bin/creds --json\n\
             [profile wi]\nrole_arn = arn:r\nweb_identity_token_file = /tok\n\
             [profile lonely]\nrole_arn = arn:r\n[profile sso]\nsso_session = s\n\
             [profile chained]\nrole_arn = arn:r\nsource_profile = role\n",
        );
        let sts = [("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")];
        let with = |p: &str| {
            let mut v = vec![("AWS_PROFILE", p)];
            v.extend_from_slice(&sts);
            run(&f, &v, ChainOptions::default())
        };
        let Some(Source::AssumeRole(a)) = with("role").unwrap() else {
            panic!()
        };
        assert_eq!(
            (a.source.key_id.as_str(), a.region.as_str()),
            ("B", "eu-west-2")
        );
        assert_eq!(
            (a.external_id.as_deref(), a.sts_endpoint.as_str()),
            (Some("x"), "http://127.0.0.1:5000")
        );
        assert!(
            matches!(with("proc").unwrap(), Some(Source::Process { command, .. }) if command == "/bin/creds --json")
        );
        assert!(
            matches!(with("wi").unwrap(), Some(Source::WebIdentity(w)) if w.token_file == std::path::Path::new("/tok"))
        );
        for (p, needle) in [
            ("lonely", "source_profile"),
            ("sso", "sso_session"),
            ("chained", "chained"),
        ] {
            let e = with(p).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
            assert!(
                e.to_string().contains(needle) && e.to_string().contains(p),
                "{e}"
            );
        }
    }

    #[test]
    fn half_configured_sources_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(&dir, "", "");
        let e = run(&f, &[("AWS_ROLE_ARN", "arn:r")], ChainOptions::default()).unwrap_err();
        assert!(e.to_string().contains("AWS_WEB_IDENTITY_TOKEN_FILE"), "{e}");
        let full = [(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://10.1.2.3/creds",
        )];
        assert_eq!(
            run(&f, &full, ChainOptions::default()).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let rel = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2")];
        assert!(run(&f, &rel, ChainOptions::default()).is_err());
    }
}
