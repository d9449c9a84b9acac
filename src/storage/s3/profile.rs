//! The shared AWS files (`~/.aws/credentials`, `~/.aws/config`): reading one profile,
//! strictly. A file that cannot be read as an INI file, or a profile whose credentials are
//! half there, is an error naming the file and the profile — never a silent fall back to
//! unsigned requests. Error messages never quote a line or a value (they may hold a secret).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};

/// One profile's settings (keys lowercased).
pub(crate) type Section = HashMap<String, String>;

/// A shared file, read and parsed: its path and its sections by name.
#[derive(Debug)]
pub(crate) struct SharedFile {
    pub path: PathBuf,
    sections: HashMap<String, Section>,
}

impl SharedFile {
    /// Reads and parses `path`. A missing file is `None`; a file that is not UTF-8 or not
    /// well-formed is `InvalidInput`; other read failures are `Io`; all name the file.
    pub fn load(path: &Path) -> Result<Option<Self>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                let msg = format!("cannot read AWS shared file {}: {e}", path.display());
                return Err(Error::new(ErrorKind::Io, msg).with_source(e));
            }
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::invalid(format!(
                "AWS shared file {} is not valid UTF-8",
                path.display()
            ))
        })?;
        let sections = parse_ini(&text).map_err(|line| {
            Error::invalid(format!(
                "AWS shared file {} is malformed at line {line} (expected `[section]`, \
                 `key = value` inside a section, or a comment)",
                path.display()
            ))
        })?;
        Ok(Some(SharedFile {
            path: path.to_owned(),
            sections,
        }))
    }

    /// The section named `name`, if present.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }
}

/// The shared credentials and config files and the profile, as `from_env` found them.
pub(crate) struct SharedFiles {
    pub profile: String,
    paths: [Option<PathBuf>; 2],
    credentials_file: Option<SharedFile>,
    config_file: Option<SharedFile>,
}

impl SharedFiles {
    /// Finds and reads both files. A profile named by `AWS_PROFILE` must be in one of them.
    pub fn locate(var: &impl Fn(&str) -> Option<OsString>, named: Option<String>) -> Result<Self> {
        let home = path_var(var, "HOME");
        let in_home = |rel: &str| home.as_ref().map(|h| h.join(rel));
        let paths = [
            path_var(var, "AWS_SHARED_CREDENTIALS_FILE").or_else(|| in_home(".aws/credentials")),
            path_var(var, "AWS_CONFIG_FILE").or_else(|| in_home(".aws/config")),
        ];
        let load = |p: &Option<PathBuf>| p.as_deref().map(SharedFile::load).transpose();
        let files = SharedFiles {
            credentials_file: load(&paths[0])?.flatten(),
            config_file: load(&paths[1])?.flatten(),
            profile: named.clone().unwrap_or_else(|| "default".to_owned()),
            paths,
        };
        if named.is_some() && files.credentials().is_none() && files.config().is_none() {
            let [creds, config] = files.shown();
            return Err(Error::invalid(format!(
                "AWS_PROFILE names profile {:?}, which is in neither {creds} nor {config}",
                files.profile
            )));
        }
        Ok(files)
    }

    /// The profile's section in the credentials file.
    pub fn credentials(&self) -> Option<(&SharedFile, &Section)> {
        self.credentials_for(&self.profile)
    }

    /// The profile's section in the config file.
    pub fn config(&self) -> Option<(&SharedFile, &Section)> {
        self.config_for(&self.profile)
    }

    /// Another profile's section in the credentials file (a role's `source_profile`).
    pub fn credentials_for(&self, profile: &str) -> Option<(&SharedFile, &Section)> {
        let f = self.credentials_file.as_ref()?;
        Some((f, f.section(profile)?))
    }

    /// Another profile's section in the config file.
    pub fn config_for(&self, profile: &str) -> Option<(&SharedFile, &Section)> {
        let f = self.config_file.as_ref()?;
        Some((f, f.section(&config_section_name(profile))?))
    }

    /// Both paths, each marked when missing.
    fn shown(&self) -> [String; 2] {
        let show = |p: &Option<PathBuf>, f: &Option<SharedFile>| match (p, f) {
            (None, _) => "no file (HOME unset)".to_owned(),
            (Some(p), None) => format!("{} (missing)", p.display()),
            (Some(p), Some(_)) => p.display().to_string(),
        };
        [
            show(&self.paths[0], &self.credentials_file),
            show(&self.paths[1], &self.config_file),
        ]
    }

    /// Where credentials were looked for, for the error when none were found.
    pub fn describe(&self) -> String {
        let [creds, config] = self.shown();
        format!(
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and profile {:?} of {creds} and {config}",
            self.profile
        )
    }
}

/// A variable's value as a path (any bytes): `None` when unset or empty.
fn path_var(var: &impl Fn(&str) -> Option<OsString>, name: &str) -> Option<PathBuf> {
    var(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The section holding `profile` in the config file (`[profile NAME]`, but `[default]`).
pub(crate) fn config_section_name(profile: &str) -> String {
    if profile == "default" {
        profile.to_owned()
    } else {
        format!("profile {profile}")
    }
}

/// The static credentials of one section: `None` when it has no credential keys at all
/// (other sources, such as `role_arn`, are `aws::chain`'s business); an error when they are
/// half there (a key id without a secret, a token alone).
pub(crate) fn credentials_in(
    section: &Section,
    file: &Path,
    profile: &str,
) -> Result<Option<Credentials>> {
    let id = section.get("aws_access_key_id").filter(|v| !v.is_empty());
    let secret = section
        .get("aws_secret_access_key")
        .filter(|v| !v.is_empty());
    let token = section.get("aws_session_token").filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => {
            let c = Credentials::new(id.clone(), secret.clone());
            Ok(Some(match token {
                Some(t) => c.with_session_token(t.clone()),
                None => c,
            }))
        }
        (None, None) if token.is_none() => Ok(None),
        (id, _) => Err(Error::invalid(format!(
            "profile {profile:?} in {} has incomplete credentials: {} is missing or empty",
            file.display(),
            if id.is_some() {
                "aws_secret_access_key"
            } else {
                "aws_access_key_id"
            }
        ))),
    }
}

/// Parses an AWS INI file: `[section]`, `key = value`, `#`/`;` comment lines, and indented
/// continuation lines (nested settings such as `s3 =` blocks, which are skipped). Any other
/// line — an unterminated `[section`, a key before the first section, a line with no `=` —
/// fails with its 1-based line number.
fn parse_ini(text: &str) -> std::result::Result<HashMap<String, Section>, usize> {
    let mut out: HashMap<String, Section> = HashMap::new();
    let mut current: Option<String> = None;
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            let name = section_header(line).ok_or(i + 1)?;
            out.entry(name.clone()).or_default();
            current = Some(name);
        } else if raw.starts_with([' ', '\t']) && current.is_some() {
            continue;
        } else {
            let (Some(section), Some((k, v))) = (&current, line.split_once('=')) else {
                return Err(i + 1);
            };
            let key = k.trim().to_ascii_lowercase();
            if key.is_empty() {
                return Err(i + 1);
            }
            let entries = out.get_mut(section).ok_or(i + 1)?;
            entries.insert(key, v.trim().to_owned());
        }
    }
    Ok(out)
}

/// `[ name  words ]` → `name words` (inner whitespace collapsed); `None` when unterminated
/// or empty.
fn section_header(line: &str) -> Option<String> {
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    let name = inner.split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty() && !name.contains(['[', ']'])).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_comments_and_nested_settings() {
        let text = "\u{feff}# top\n[default]\naws_access_key_id = A\n\n; c\n[profile  work]\n\
                    region=eu-west-1\ns3 =\n  max_concurrent_requests = 20\n";
        let ini = parse_ini(text).unwrap();
        assert_eq!(ini["default"]["aws_access_key_id"], "A");
        assert_eq!(ini["profile work"]["region"], "eu-west-1");
        assert!(!ini["profile work"].contains_key("max_concurrent_requests"));
    }

    #[test]
    fn malformed_lines_give_their_number() {
        for (text, line) in [
            ("[default\naws_access_key_id = A\n", 1),
            ("[default]\nok = 1\n[work\n", 3),
            ("aws_access_key_id = A\n[default]\n", 1),
            ("[default]\njust words\n", 2),
            ("[]\n", 1),
            ("[default]\n= value\n", 2),
        ] {
            assert_eq!(parse_ini(text).unwrap_err(), line, "{text:?}");
        }
    }

    fn section(pairs: &[(&str, &str)]) -> Section {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn half_credentials_are_errors_naming_file_and_profile() {
        let file = Path::new("/cfg/credentials");
        for s in [
            section(&[("aws_access_key_id", "AKID")]),
            section(&[("aws_secret_access_key", "very-secret-value")]),
            section(&[("aws_access_key_id", "AKID"), ("aws_secret_access_key", "")]),
            section(&[("aws_session_token", "very-secret-token")]),
        ] {
            let e = credentials_in(&s, file, "work").unwrap_err();
            let shown = format!("{e} {e:?}");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{shown}");
            assert!(
                shown.contains("/cfg/credentials") && shown.contains("\"work\""),
                "{shown}"
            );
            assert!(!shown.contains("very-secret"), "{shown}");
        }
        assert!(
            credentials_in(&section(&[("region", "x")]), file, "p")
                .unwrap()
                .is_none()
        );
        // Roles are the chain's business (aws::chain), not static keys.
        let role = section(&[("role_arn", "arn:x"), ("source_profile", "default")]);
        assert!(credentials_in(&role, file, "p").unwrap().is_none());
    }
}
