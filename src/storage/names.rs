//! Name rules: which container and object names are accepted, and how an object name maps
//! to a relative file-system path that can never leave its container.
//!
//! # The portable object-name rule
//!
//! [`validate_object`] is the one rule every driver applies, and the only one `Memory`
//! applies. A name is portable when it is
//!
//! - 1 to [`MAX_OBJECT_NAME`] (1,024) bytes of UTF-8 (S3's and GCS's limit; Azure counts
//!   1,024 characters, which is never fewer bytes);
//! - free of control characters (U+0000-U+001F, U+007F-U+009F): GCS refuses CR and LF, and
//!   S3's XML listings cannot carry most C0 characters;
//! - not `.` or `..` as a whole (GCS refuses them).
//!
//! Anything else is data, not a path: `a/../b`, `/abs`, `a//b`, `a\b`, `trailing/` are
//! legal keys on S3, GCS and Azure, and `Memory` stores them.
//!
//! # What a driver may add
//!
//! A driver refuses more only when its medium cannot hold or address the name, and its
//! `InvalidInput` error says so:
//!
//! - `Local` ([`local_relative_path`]): the local file system cannot hold a leading `/`,
//!   an empty segment (`a//b`, and a trailing `/`: S3 consoles' folder markers, which
//!   `Local` reports as absent instead), `.` or `..` segments, segments longer than 255
//!   bytes, and on Windows `\` and `:`. The message names "the local file system".
//! - `S3`: `.` and `..` segments, which HTTP clients rewrite before sending.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Longest object name, in bytes (S3's and GCS's limit).
pub const MAX_OBJECT_NAME: usize = 1024;

/// Longest path segment a file system holds (`NAME_MAX` on Linux and macOS).
const MAX_SEGMENT: usize = 255;

/// Checks a container name: 1-63 characters of ASCII letters, digits, `.`, `-`, `_`,
/// starting with a letter or digit, and not `.`-only segments. These are names every
/// provider and every file system accept.
pub fn validate_container(name: &str) -> Result<()> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    let ok_start = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    if name.len() > 63 || !ok_chars || !ok_start || name.contains("..") {
        return Err(Error::invalid(format!(
            "container name {name:?} must be 1-63 ASCII letters, digits, '.', '-' or '_', \
             starting with a letter or digit"
        )));
    }
    Ok(())
}

/// Checks an object name against the portable rule (see the [module docs](self)):
/// 1-1024 bytes, no control characters, not `.` or `..`.
pub fn validate_object(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("object name is empty"));
    }
    if name.len() > MAX_OBJECT_NAME {
        return Err(Error::invalid(format!(
            "object name is {} bytes, longer than {MAX_OBJECT_NAME}",
            name.len()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "object name {name:?} contains a control character"
        )));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid(format!(
            "object name {name:?} is not portable (GCS refuses it)"
        )));
    }
    Ok(())
}

/// Whether `name` is a folder marker: a portable name ending in `/`, as S3 consoles create
/// for "folders". The local file system cannot hold one as a file.
pub fn is_folder_marker(name: &str) -> bool {
    name.ends_with('/') && validate_object(name).is_ok()
}

/// Maps a portable object name to a relative path inside its container directory, for
/// the `Local` driver. Refuses, as `InvalidInput` saying the local file system cannot hold
/// it, what could resolve elsewhere or cannot be a file name: a leading `/`, empty, `.` or
/// `..` segments, segments over 255 bytes, and on Windows `\` and `:`. The result has only
/// normal components.
pub fn local_relative_path(name: &str) -> Result<PathBuf> {
    validate_object(name)?;
    let refuse = |why: &str| {
        Err(Error::invalid(format!(
            "the local file system cannot hold object name {name:?}: it {why}"
        )))
    };
    if cfg!(windows) && name.contains('\\') {
        return refuse("contains a backslash (a path separator here)");
    }
    if name.starts_with('/') {
        return refuse("starts with '/'");
    }
    let mut path = PathBuf::new();
    for segment in name.split('/') {
        match segment {
            "" => return refuse("has an empty path segment ('//' or a trailing '/')"),
            "." | ".." => return refuse("has a '.' or '..' segment"),
            s if s.len() > MAX_SEGMENT => return refuse("has a segment longer than 255 bytes"),
            s if cfg!(windows) && s.contains(':') => return refuse("has a ':'"),
            s => path.push(s),
        }
    }
    // Belt and braces: whatever the rules above, only plain components may come out.
    if !path
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return refuse("does not map to a plain relative path");
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names() {
        for ok in ["a", "my-bucket", "logs.2026", "A_b-9"] {
            validate_container(ok).unwrap();
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "-x",
            "a/b",
            "a\\b",
            "a..b",
            "with space",
            "é",
            &"x".repeat(64),
        ] {
            assert!(validate_container(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn non_portable_names_are_refused_everywhere() {
        for name in [
            "",
            ".",
            "..",
            "nul\0byte",
            "line\nbreak",
            "\u{7f}del",
            "tab\there",
            "\u{85}",
        ] {
            let e = validate_object(name).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{name:?}");
        }
        validate_object(&"x".repeat(MAX_OBJECT_NAME)).unwrap();
        assert!(validate_object(&"x".repeat(MAX_OBJECT_NAME + 1)).is_err());
    }

    #[test]
    fn portable_names_the_file_system_cannot_hold_are_refused_for_paths() {
        let hostile = [
            "../../etc/passwd",
            "a/../../b",
            "a/./b",
            "/etc/passwd",
            "//server/share",
            "a//b",
            "a/",
            "./a",
            "a/..",
            "a/b/../../..",
            &"x".repeat(256),
            &"y/".repeat(500),
        ];
        for name in hostile {
            validate_object(name).unwrap();
            let r = local_relative_path(name);
            let e = r.expect_err(name);
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(e.message().contains("local file system"), "{e}");
        }
        assert!(is_folder_marker("a/") && !is_folder_marker("a") && !is_folder_marker("a/\n/"));
    }

    #[test]
    fn backslashes_are_plain_characters_outside_windows() {
        let r = local_relative_path("..\\..\\outside.txt");
        if cfg!(windows) {
            assert!(r.is_err());
        } else {
            assert_eq!(r.unwrap().components().count(), 1);
        }
    }

    #[test]
    fn ordinary_names_map_to_nested_paths() {
        assert_eq!(
            local_relative_path("logs/2026/11/a.txt").unwrap(),
            PathBuf::from("logs/2026/11/a.txt")
        );
        assert_eq!(
            local_relative_path("..hidden-but-fine").unwrap(),
            PathBuf::from("..hidden-but-fine")
        );
        assert_eq!(
            local_relative_path("ünïcødé name.txt").unwrap(),
            PathBuf::from("ünïcødé name.txt")
        );
    }
}
