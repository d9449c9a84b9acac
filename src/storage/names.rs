//! Name rules: which container and object names are accepted, and how an object name maps
//! to a relative file-system path that can never leave its container.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Longest object name, in bytes (S3's and GCS's limit).
pub const MAX_OBJECT_NAME: usize = 1024;

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

/// Checks an object name as every provider sees it: non-empty, at most 1024 bytes, no
/// control characters (NUL included).
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
    Ok(())
}

/// Maps an object name to a relative path inside its container directory, refusing
/// anything that could resolve elsewhere: absolute names, empty, `.` or `..` segments,
/// backslashes (a separator on Windows), drive prefixes, control characters, and segments
/// longer than a file name may be. The result has only normal components.
pub fn object_relative_path(name: &str) -> Result<PathBuf> {
    validate_object(name)?;
    let refuse = |why: &str| Err(Error::invalid(format!("object name {name:?} {why}")));
    if name.contains('\\') {
        return refuse("contains a backslash");
    }
    if name.starts_with('/') {
        return refuse("is absolute");
    }
    let mut path = PathBuf::new();
    for segment in name.split('/') {
        match segment {
            "" => return refuse("has an empty path segment"),
            "." | ".." => return refuse("has a '.' or '..' segment"),
            s if s.len() > 255 => return refuse("has a segment longer than 255 bytes"),
            s if s.contains(':') && cfg!(windows) => return refuse("has a ':'"),
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
    fn hostile_object_names_are_refused_for_paths() {
        let hostile = [
            "../../etc/passwd",
            "..",
            ".",
            "a/../../b",
            "a/./b",
            "/etc/passwd",
            "//server/share",
            "a//b",
            "a/",
            "..\\..\\windows",
            "a\\..\\..\\b",
            "nul\0byte",
            "line\nbreak",
            "",
            "./a",
            "a/..",
            "a/b/../../..",
            &"x".repeat(256),
            &"y/".repeat(600),
            "\u{7f}del",
            "tab\there",
        ];
        for name in hostile {
            let r = object_relative_path(name);
            assert!(r.is_err(), "{name:?} mapped to {r:?}");
            assert_eq!(r.unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn ordinary_names_map_to_nested_paths() {
        assert_eq!(
            object_relative_path("logs/2026/11/a.txt").unwrap(),
            PathBuf::from("logs/2026/11/a.txt")
        );
        assert_eq!(
            object_relative_path("..hidden-but-fine").unwrap(),
            PathBuf::from("..hidden-but-fine")
        );
        assert_eq!(
            object_relative_path("ünïcødé name.txt").unwrap(),
            PathBuf::from("ünïcødé name.txt")
        );
    }
}
