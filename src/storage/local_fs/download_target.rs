//! Writes downloads safely: a temporary sibling of the destination, then a rename. Every
//! failure here is about a local path, so it is `Io` naming that path (`AlreadyExists`
//! aside, which is what `overwrite: false` promises); `NotFound` stays for remote objects.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::io_at;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{ContentDigest, DownloadOptions};

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
    Ok(parent.join(temp_name(file, fastrand::u32(..))))
}

/// The temporary file's name: `.{name}.{salt}.multicloud-part`, the name cut (on a
/// character boundary) so the whole stays within the 255 bytes file systems allow: a
/// destination whose own name fits must never fail for its temporary file's.
fn temp_name(file: &std::ffi::OsStr, salt: u32) -> String {
    const MAX: usize = 255;
    const SUFFIX: &str = ".multicloud-part";
    let name = file.to_string_lossy();
    let room = MAX - (1 + 1 + 8 + SUFFIX.len());
    let mut cut = name.len().min(room);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".{}.{salt:08x}{SUFFIX}", &name[..cut])
}

/// Creates the temporary file a download writes into.
pub fn create(temp: &Path) -> Result<fs::File> {
    fs::File::create(temp).map_err(|e| io_at(e, "write", temp))
}

/// Writes all of `buf` at `offset` of `file` (the temporary file at `temp`), without
/// moving a shared cursor, so ranges can be written from several threads at once.
pub fn write_at(file: &fs::File, buf: &[u8], offset: u64, temp: &Path) -> Result<()> {
    write_all_at(file, buf, offset).map_err(|e| io_at(e, "write", temp))
}

#[cfg(unix)]
fn write_all_at(file: &fs::File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &fs::File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(file, buf, offset) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads the finished temporary file through `digest`: its length and digest, for
/// [`verify_download`](crate::storage::verify_download) once ranges written out of order
/// are all in. Without a digest to compute only the length is read (from the metadata).
pub fn digest_file(temp: &Path, mut digest: ContentDigest) -> Result<(u64, ContentDigest)> {
    let at = |e| io_at(e, "read back", temp);
    let mut file = fs::File::open(temp).map_err(at)?;
    if matches!(digest, ContentDigest::None) {
        return Ok((file.metadata().map_err(at)?.len(), digest));
    }
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = io::Read::read(&mut file, &mut buf).map_err(at)?;
        if n == 0 {
            return Ok((size, digest));
        }
        digest.update(&buf[..n]);
        size += n as u64;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_fit_where_their_destination_fits() {
        let short = temp_name(std::ffi::OsStr::new("a.txt"), 0xab);
        assert_eq!(short, ".a.txt.000000ab.multicloud-part");
        for name in ["x".repeat(255), "é".repeat(127), "x".repeat(240)] {
            let temp = temp_name(std::ffi::OsStr::new(&name), u32::MAX);
            assert!(temp.len() <= 255, "{} bytes", temp.len());
            assert!(temp.ends_with("ffffffff.multicloud-part"), "{temp}");
        }
    }
}
