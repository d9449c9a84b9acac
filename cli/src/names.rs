//! Naming rules between stores and directories: where a copy goes, and refusing object
//! names that would escape the destination directory. Pure.

use multicloud::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// The key an item named `rel` (relative to the source) gets under `dst_key`.
pub fn join_key(dst_key: &str, rel: &str) -> String {
    if dst_key.is_empty() || dst_key.ends_with('/') {
        format!("{dst_key}{rel}")
    } else {
        format!("{dst_key}/{rel}")
    }
}

/// The key a single copied item gets: `dst_key` itself, or the source's base name under it
/// when `dst_key` is empty or ends with `/` (copy *into*).
pub fn single_key(dst_key: &str, base: &str) -> String {
    if dst_key.is_empty() || dst_key.ends_with('/') {
        format!("{dst_key}{base}")
    } else {
        dst_key.to_owned()
    }
}

/// The last segment of an object name (`a/b/c.txt` → `c.txt`).
pub fn base_name(key: &str) -> &str {
    key.trim_end_matches('/').rsplit('/').next().unwrap_or(key)
}

/// A prefix as a recursive copy reads it: a directory, so `photos` lists `photos/...`
/// and not `photos2/...`.
pub fn as_directory(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    }
}

/// Where the object named `rel` (relative to the listed prefix) is written under `dir`.
/// Names that would leave `dir` (`..`, absolute, empty segments) or that no file can carry
/// are `InvalidInput`: a store's object names are not trusted with the local disk.
pub fn local_path(dir: &Path, rel: &str) -> Result<PathBuf> {
    let trimmed = rel.strip_suffix('/').unwrap_or(rel);
    let bad = |why: &str| Err(Error::invalid(format!("object name {rel:?} {why}")));
    if trimmed.is_empty() {
        return bad("is empty below the prefix");
    }
    if trimmed.contains('\0') || (cfg!(windows) && trimmed.contains('\\')) {
        return bad("cannot be a file name");
    }
    let mut path = dir.to_path_buf();
    for segment in trimmed.split('/') {
        match Path::new(segment)
            .components()
            .collect::<Vec<_>>()
            .as_slice()
        {
            [Component::Normal(part)] if segment != "." => path.push(part),
            _ => return bad("would leave the destination directory or has an empty segment"),
        }
    }
    Ok(path)
}

/// The object name of a file found at `path` below `root` (segments joined by `/`);
/// `InvalidInput` when a segment is not UTF-8.
pub fn key_of(root: &Path, path: &Path) -> Result<String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut segments = Vec::new();
    for c in rel.components() {
        let part = c.as_os_str().to_str().ok_or_else(|| {
            Error::invalid(format!("{} has a name that is not UTF-8", path.display()))
        })?;
        segments.push(part);
    }
    Ok(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_join_like_directories() {
        assert_eq!(join_key("", "a/b"), "a/b");
        assert_eq!(join_key("p", "a"), "p/a");
        assert_eq!(join_key("p/", "a"), "p/a");
        assert_eq!(single_key("", "f.txt"), "f.txt");
        assert_eq!(single_key("dir/", "f.txt"), "dir/f.txt");
        assert_eq!(single_key("exact.txt", "f.txt"), "exact.txt");
        assert_eq!(base_name("a/b/c.txt"), "c.txt");
        assert_eq!(as_directory("photos"), "photos/");
        assert_eq!(as_directory(""), "");
    }

    #[test]
    fn hostile_names_never_leave_the_directory() {
        let dir = Path::new("/d");
        assert_eq!(local_path(dir, "a/b.txt").unwrap(), Path::new("/d/a/b.txt"));
        assert_eq!(local_path(dir, "folder/").unwrap(), Path::new("/d/folder"));
        for hostile in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            ".",
            "",
            "a/./b",
            "x\0y",
        ] {
            let err = local_path(dir, hostile).err();
            assert!(err.is_some(), "{hostile:?} was accepted");
        }
    }

    #[test]
    fn file_names_become_slash_keys() {
        let key = key_of(Path::new("/r"), Path::new("/r/a/b.txt")).unwrap();
        assert_eq!(key, "a/b.txt");
    }
}
