//! Both sides of a recursive copy or a sync listed alike: items named relative to the
//! directory or prefix, with what is known of their content.

use crate::names;
use crate::target::Remote;
use multicloud::blocking::storage::StorageDriver;
use multicloud::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One file or object, named relative to where the listing started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its name relative to the listed directory or prefix, segments joined by `/`.
    pub rel: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its content's MD5 in lowercase hex, when known without reading it.
    pub md5: Option<String>,
    /// When it was last written.
    pub modified: Option<SystemTime>,
    /// Where it is.
    pub at: Place,
}

/// Where an item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A local file.
    File(PathBuf),
    /// An object in a store.
    Object {
        /// Its container.
        container: String,
        /// Its full name.
        name: String,
    },
}

/// A local entry left out of a listing, and why.
pub type Skipped = (PathBuf, &'static str);

/// Every file below `dir`, in name order: regular files, and symbolic links to regular
/// files (read through the link, as `aws s3` does). Links to directories (a loop in
/// waiting), dangling links, pipes and devices are returned apart, to be reported: a
/// pipe would block a read forever. So are files whose path is not UTF-8 (no object name
/// can carry it), with the reason.
pub fn local(dir: &Path) -> Result<(Vec<Item>, Vec<Skipped>)> {
    let (mut items, mut skipped) = (Vec::new(), Vec::new());
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| walk_error(dir, e))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let meta = std::fs::metadata(entry.path()).ok().filter(|m| m.is_file());
        let Some(meta) = meta else {
            skipped.push((entry.into_path(), "not a file nor a link to one"));
            continue;
        };
        let Ok(rel) = names::key_of(dir, entry.path()) else {
            skipped.push((entry.into_path(), "its name is not UTF-8"));
            continue;
        };
        items.push(Item {
            rel,
            size: meta.len(),
            md5: None,
            modified: meta.modified().ok(),
            at: Place::File(entry.path().to_path_buf()),
        });
    }
    Ok((items, skipped))
}

fn walk_error(dir: &Path, e: walkdir::Error) -> Error {
    let at = e.path().unwrap_or(dir).display().to_string();
    let io = e
        .into_io_error()
        .unwrap_or_else(|| std::io::Error::other("a loop of links"));
    local_error(io, Path::new(&at))
}

/// Every object under `prefix` (read as a directory), folder markers left out.
pub fn remote(remote: &Remote, container: &str, prefix: &str) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for object in remote.store.iterate_objects(container, prefix) {
        let object = object?;
        // A store that lists a name outside the prefix is not trusted with it: cut to the
        // prefix's length, q/y would pass for p/y (and `sync --delete` delete it).
        let Some(rel) = object.name.strip_prefix(prefix).map(str::to_owned) else {
            let name = &object.name;
            let why = format!("the store listed {name:?}, which is not under {prefix:?}");
            return Err(Error::new(ErrorKind::Parse, why));
        };
        if rel.is_empty() || (rel.ends_with('/') && object.size == 0) {
            continue;
        }
        items.push(Item {
            rel,
            size: object.size,
            md5: object.md5().map(str::to_ascii_lowercase),
            modified: object.last_modified,
            at: Place::Object {
                container: container.to_owned(),
                name: object.name,
            },
        });
    }
    Ok(items)
}

/// A local file's MD5 in lowercase hex, read in chunks.
pub fn file_md5(path: &Path) -> Result<String> {
    use md5::Digest;
    let mut file = std::fs::File::open(path).map_err(|e| local_error(e, path))?;
    let mut hasher = md5::Md5::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| local_error(e, path))?;
    Ok(hex::encode(hasher.finalize()))
}

/// A local I/O failure naming the path.
pub fn local_error(e: std::io::Error, path: &Path) -> Error {
    let message = format!("{}: {e}", path.display());
    Error::new(ErrorKind::Io, message).with_source(e)
}
