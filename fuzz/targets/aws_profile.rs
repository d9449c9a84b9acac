//! The shared AWS files (credentials and config, INI with profiles), read the way
//! `S3Config::builder().from_env_with(..)` reads them: from the files that
//! `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` name, for the profile `AWS_PROFILE`.
//!
//! Input: the credentials file, NUL, the config file, NUL, the profile name (raw bytes: a
//! profile that is not UTF-8 is tried too). Properties: every failure is `InvalidInput`
//! (or `Unsupported` for credential sources this version cannot follow: SSO, chained roles) and never shows
//! [`SECRET`] — seeds and generated inputs use it as the secret value — unless the profile
//! name itself holds it; a secret read is never shown by `Debug`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use multicloud::ErrorKind;
use multicloud::storage::s3::S3Config;

use super::{assert_error, fields};

/// The marker used as the secret in seeds and generated inputs.
pub const SECRET: &str = "SECRET-MARKER-7f3a";

/// An input for [`run`].
pub fn input(credentials: &[u8], config: &[u8], profile: &[u8]) -> Vec<u8> {
    [credentials, b"\0", config, b"\0", profile].concat()
}

/// The target.
pub fn run(data: &[u8]) {
    let [credentials, config, profile] = fields::<3>(data, 0);
    let (dir, creds_path, config_path) = write_files(credentials, config);
    let var = |name: &str| -> Option<OsString> {
        match name {
            "AWS_SHARED_CREDENTIALS_FILE" => Some(creds_path.clone().into()),
            "AWS_CONFIG_FILE" => Some(config_path.clone().into()),
            "AWS_PROFILE" => Some(OsString::from_vec(profile.to_vec())),
            _ => None,
        }
    };
    let built = S3Config::builder()
        .from_env_with(var)
        .and_then(|b| b.build());
    let _ = std::fs::remove_dir_all(dir);
    let checked = marker_only_in_secrets(&[credentials, config])
        && !String::from_utf8_lossy(profile).contains(SECRET);
    let shows_marker = |s: &str| checked && s.contains(SECRET);
    match built {
        Ok(config) => {
            // Roles and commands: the source keys inside must not print either.
            if let Some(source) = &config.credential_source {
                let shown = format!("{source:?}");
                assert!(
                    !shows_marker(&shown),
                    "a secret in a source's Debug: {shown}"
                );
            }
            if let Some(c) = &config.credentials {
                let secret = c.secret.expose();
                let shown = format!("{c:?}");
                let hidden = secret.len() < 8 || c.key_id.contains(secret);
                assert!(
                    hidden || !shown.contains(secret),
                    "a secret in Debug: {shown}"
                );
            }
        }
        Err(e) => {
            let kinds = [ErrorKind::InvalidInput, ErrorKind::Unsupported];
            assert_error(&e, &kinds, data.len() + 2 * creds_path.as_os_str().len());
            let shown = format!("{e} {e:?}");
            assert!(!shows_marker(&shown), "a secret in an error: {shown}");
        }
    }
}

/// Whether [`SECRET`] appears in the files only as the value of secret keys (elsewhere — a
/// region, a profile name — it may rightly be shown).
fn marker_only_in_secrets(inputs: &[&[u8]]) -> bool {
    let secret_key = |line: &str| {
        let key = line.split_once('=').map_or("", |(k, _)| k.trim());
        let key = key.to_ascii_lowercase();
        !line.starts_with([' ', '\t'])
            && (key == "aws_secret_access_key" || key == "aws_session_token")
    };
    inputs.iter().all(|input| {
        String::from_utf8_lossy(input)
            .lines()
            .filter(|l| l.contains(SECRET))
            .all(secret_key)
    })
}

/// Writes both files into a directory of this thread's own; returns it and both paths.
fn write_files(credentials: &[u8], config: &[u8]) -> (PathBuf, PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "multicloud-fuzz-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let (creds, conf) = (dir.join("credentials"), dir.join("config"));
    std::fs::write(&creds, credentials).expect("writing the credentials file");
    std::fs::write(&conf, config).expect("writing the config file");
    (dir, creds, conf)
}
