//! Walking a root's directories without ever following a link: each component is
//! opened relative to its parent's handle (`open_dir_nofollow`, `O_NOFOLLOW`), so a link
//! swapped in at any moment is refused, never followed.

use std::ffi::OsStr;
use std::io;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::{Dir, Metadata, OpenOptions};

use crate::error::{Error, ErrorKind, Result};
use crate::storage::names;

/// Opens `parts` one below the other from `start`, never following a link: the chain of
/// directories, `start` first. `None` if one is missing (or is a file) and `create` is off.
pub(super) fn chain<'a>(
    start: Dir,
    parts: impl IntoIterator<Item = &'a OsStr>,
    create: bool,
    name: &str,
) -> Result<Option<Vec<Dir>>> {
    let mut dirs = vec![start];
    for part in parts {
        let parent = dirs.last().expect("never empty");
        match subdir(parent, part, create, name)? {
            Some(d) => dirs.push(d),
            None => return Ok(None),
        }
    }
    Ok(Some(dirs))
}

/// One directory below `parent`, opened without following a link (created if `create`).
pub(super) fn subdir(parent: &Dir, part: &OsStr, create: bool, name: &str) -> Result<Option<Dir>> {
    match parent.open_dir_nofollow(part) {
        Ok(d) => return Ok(Some(d)),
        Err(e) if e.kind() == io::ErrorKind::NotFound && create => match parent.create_dir(part) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        },
        Err(e) => return explain(parent, part, e, name, create).map(|()| None),
    }
    Ok(Some(parent.open_dir_nofollow(part)?))
}

/// Why opening `part` failed: a link is refused; a file where a directory should be is
/// "no such object" when reading, `AlreadyExists` when writing; a missing entry is `Ok`.
pub(super) fn explain(
    parent: &Dir,
    part: &OsStr,
    e: io::Error,
    name: &str,
    create: bool,
) -> Result<()> {
    match parent.symlink_metadata(part) {
        Ok(md) if md.is_symlink() => Err(symlink_refused(name)),
        Ok(md) if md.is_dir() => Err(e.into()),
        Ok(_) if create => Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("object {name:?} is below another object's name"),
        )),
        Ok(_) => Ok(()),
        Err(m) if m.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(_) => Err(e.into()),
    }
}

/// Opens a file without following a link; `Ok(None)` if it is missing.
pub(super) fn open_nofollow(
    dir: &Dir,
    file: &OsStr,
    opts: &mut OpenOptions,
) -> io::Result<Option<cap_std::fs::File>> {
    match dir.open_with(file, opts.follow(FollowSymlinks::No)) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Refuses to write over a link or a directory (an upload replaces files only).
pub(super) fn refuse_link_or_dir(parent: &Dir, file: &OsStr, name: &str) -> Result<()> {
    match parent.symlink_metadata(file) {
        Ok(md) if md.is_symlink() => Err(symlink_refused(name)),
        Ok(md) if md.is_dir() => Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("object {name:?} would replace a directory of other objects"),
        )),
        _ => Ok(()),
    }
}

/// Moves the complete file `temp` of `tmp` to `file` in `parent`. A link or a directory
/// at `file` is refused (as [`refuse_link_or_dir`] says), even one planted after the
/// caller's check: on Linux the file is swapped in atomically (`RENAME_EXCHANGE`) and
/// what it displaced is looked at afterwards; a file is dropped, anything else is swapped
/// back. Elsewhere, or on file systems without the flag, a plain rename, which replaces a
/// link planted since the check but never writes through it.
pub(super) fn install(
    tmp: &Dir,
    temp: &OsStr,
    parent: &Dir,
    file: &OsStr,
    name: &str,
) -> Result<()> {
    #[cfg(target_os = "linux")]
    if let Some(done) = exchange::install(tmp, temp, parent, file, name) {
        return done;
    }
    refuse_link_or_dir(parent, file, name)?;
    Ok(tmp.rename(temp, parent, file)?)
}

#[cfg(target_os = "linux")]
mod exchange {
    use std::ffi::OsStr;
    use std::io;

    use cap_std::fs::Dir;
    use rustix::fs::{RenameFlags, renameat_with};
    use rustix::io::Errno;

    use super::refuse_link_or_dir;
    use crate::error::{Error, ErrorKind, Result};

    /// Rounds before giving up on a name that keeps changing under us.
    const ROUNDS: usize = 64;

    /// [`super::install`] through renameat2; `None` when the file system lacks the flags.
    pub(super) fn install(
        tmp: &Dir,
        temp: &OsStr,
        parent: &Dir,
        file: &OsStr,
        name: &str,
    ) -> Option<Result<()>> {
        for _ in 0..ROUNDS {
            match renameat_with(tmp, temp, parent, file, RenameFlags::NOREPLACE) {
                Ok(()) => return Some(Ok(())),
                Err(Errno::EXIST) => {}
                Err(Errno::INVAL | Errno::NOSYS) => return None,
                Err(e) => return Some(Err(io::Error::from(e).into())),
            }
            match renameat_with(tmp, temp, parent, file, RenameFlags::EXCHANGE) {
                Ok(()) => return Some(keep_or_swap_back(tmp, temp, parent, file, name)),
                // Removed since: place it again.
                Err(Errno::NOENT) => {}
                Err(Errno::INVAL | Errno::NOSYS) => return None,
                Err(e) => return Some(Err(io::Error::from(e).into())),
            }
        }
        Some(Err(changing(name)))
    }

    /// `temp` now holds what `file` held: a file is dropped (the upload replaced it);
    /// a link or directory goes back to `file`, and the upload is refused.
    fn keep_or_swap_back(
        tmp: &Dir,
        temp: &OsStr,
        parent: &Dir,
        file: &OsStr,
        name: &str,
    ) -> Result<()> {
        let refusal = match refuse_link_or_dir(tmp, temp, name) {
            Ok(()) => {
                let _ = tmp.remove_file(temp);
                return Ok(());
            }
            Err(e) => e,
        };
        for _ in 0..ROUNDS {
            match renameat_with(parent, file, tmp, temp, RenameFlags::EXCHANGE) {
                Ok(()) => return Err(refusal),
                Err(Errno::NOENT) => {}
                Err(e) => return Err(io::Error::from(e).into()),
            }
            // Our file was moved away meanwhile: put the link back where it was.
            match renameat_with(tmp, temp, parent, file, RenameFlags::NOREPLACE) {
                Ok(()) => return Err(refusal),
                Err(Errno::EXIST) => {}
                Err(e) => return Err(io::Error::from(e).into()),
            }
        }
        Err(changing(name))
    }

    fn changing(name: &str) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("object {name:?} kept changing on the local file system while stored"),
        )
    }
}

/// All regular files below `dir`, as object names prefixed by `prefix`, never following
/// symlinks.
pub(super) fn walk(dir: &Dir, prefix: &str) -> Result<Vec<(String, Metadata)>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.try_clone()?, prefix.to_owned())];
    while let Some((d, p)) = stack.pop() {
        for entry in d.entries()? {
            let entry = entry?;
            let Some(file) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let name = format!("{p}{file}");
            let ft = entry.file_type()?;
            if ft.is_dir() {
                // Replaced by a link since the listing: skipped, not followed.
                if let Ok(sub) = d.open_dir_nofollow(&file) {
                    stack.push((sub, format!("{name}/")));
                }
            } else if ft.is_file() && names::local_relative_path(&name).is_ok() {
                out.push((name, entry.metadata()?));
            }
        }
    }
    Ok(out)
}

pub(super) fn remove_empty_tree(dir: &Dir) -> Result<()> {
    for entry in dir.entries()? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            let name = entry.file_name();
            if let Ok(sub) = dir.open_dir_nofollow(&name) {
                remove_empty_tree(&sub)?;
            }
            remove_dir_or_not_empty(dir, &name)?;
        }
    }
    Ok(())
}

pub(super) fn remove_dir_or_not_empty(parent: &Dir, name: &OsStr) -> Result<()> {
    // Something we do not list (a symlink, a socket, a non-UTF-8 name) keeps it alive.
    parent.remove_dir(name).map_err(|_| {
        Error::new(
            ErrorKind::NotEmpty,
            format!("{name:?} holds entries that are not objects"),
        )
    })
}

pub(super) fn symlink_refused(name: &str) -> Error {
    Error::invalid(format!(
        "object {name:?} goes through a symbolic link; the local driver never follows links"
    ))
}
