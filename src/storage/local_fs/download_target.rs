//! Writes downloads safely: a temporary sibling of the destination, then a rename. Every
//! failure here is about a local path, so it is `Io` naming that path (`AlreadyExists`
//! aside, which is what `overwrite: false` promises); `NotFound` stays for remote objects.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::io_at;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::DownloadOptions;

/// Prepares a download to `dest`: fails early with `AlreadyExists` when `dest` exists and
/// overwriting is off, creates missing parent directories when asked, and returns a
/// temporary path beside `dest` (same directory, so the final rename is atomic).
pub fn prepare(dest: &Path, opts: DownloadOptions) -> Result<PathBuf> {
    check(dest, opts.overwrite)?;
    let file = dest
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{} has no file name", dest.display())))?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if opts.create_dirs {
        fs::create_dir_all(parent).map_err(|e| io_at(e, "create directory", parent))?;
    } else if !parent.is_dir() {
        let e = io::Error::from(io::ErrorKind::NotFound);
        return Err(io_at(e, "write into directory", parent));
    }
    Ok(parent.join(format!(
        ".{}.{:08x}.multicloud-part",
        file.to_string_lossy(),
        fastrand::u32(..)
    )))
}

/// Creates the directory a folder marker (`name/`) stands for at `dest`.
pub fn create_dir(dest: &Path) -> Result<()> {
    fs::create_dir_all(dest).map_err(|e| io_at(e, "create directory", dest))
}

/// Fails early with `AlreadyExists` when `dest` exists and overwriting is off.
pub fn check(dest: &Path, overwrite: bool) -> Result<()> {
    if !overwrite && fs::symlink_metadata(dest).is_ok() {
        return Err(exists(dest));
    }
    Ok(())
}

/// Moves the complete temporary file to `dest`. Without `overwrite`, a file that
/// appeared at `dest` meanwhile is left alone (`AlreadyExists`). The temporary file is
/// removed on any failure.
pub fn persist(temp: &Path, dest: &Path, overwrite: bool) -> Result<()> {
    let rename = || fs::rename(temp, dest).map_err(|e| io_at(e, "rename into", dest));
    let result = if overwrite {
        rename()
    } else {
        // hard_link fails if dest exists, which makes "no overwrite" race-free.
        match fs::hard_link(temp, dest) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists(dest)),
            // No hard links here (some file systems): check, then rename.
            Err(_) => check(dest, false).and_then(|()| rename()),
        }
    };
    let _ = fs::remove_file(temp);
    result
}

/// Removes a temporary file after a failure (a missing one is fine).
pub fn discard(temp: &Path) {
    let _ = fs::remove_file(temp);
}

fn exists(dest: &Path) -> Error {
    Error::new(
        ErrorKind::AlreadyExists,
        format!("{} exists and overwrite is off", dest.display()),
    )
}
