//! Blocking file-system primitives of the `Local` driver, compiled once.
//!
//! Layout under the root: one directory per container holding the objects at their names
//! (`a/b.txt` is `<root>/<container>/a/b.txt`), and a reserved `.multicloud/` directory with
//! `meta/<container>/<md5 of name>.json` (content type, user metadata, hash) and `tmp/`
//! (uploads in progress, renamed into place when complete). Container names cannot start
//! with `.`, so the reserved directory never collides with a container. The reserved
//! directories are created by the first write, never by opening a root.
//!
//! Safety: object names go through [`names::local_relative_path`], and every path
//! component below the root is opened relative to its parent's handle with `cap-std`,
//! refusing symbolic links (`open_dir_nofollow`, `O_NOFOLLOW`; the walk is in `nofollow`):
//! there is no window between a check and an open in which a swapped-in link could be
//! followed. The async mode runs these functions on tokio's blocking pool.

pub mod download_target;
mod nofollow;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use cap_fs_ext::DirExt;
use cap_std::fs::{Dir, Metadata, OpenOptions};
use serde::{Deserialize, Serialize};

use super::{Container, GetOptions, Object, Page, UploadOptions, WriteCondition, md5_hex, names};
use crate::error::{Error, ErrorKind, Result};
use nofollow::remove_dir_or_not_empty;
use nofollow::{chain, explain, install, open_nofollow, refuse_link_or_dir};
use nofollow::{remove_empty_tree, symlink_refused, walk};

const RESERVED: &str = ".multicloud";

/// Serialises commits (sidecar + rename) within the process: see `commit_inner`.
static COMMITS: Mutex<()> = Mutex::new(());

/// A storage root on the local file system. Cheap to clone; clones share the handle of a
/// root created after opening.
#[derive(Debug, Clone)]
pub struct LocalRoot {
    path: Arc<PathBuf>,
    /// Opened when the root exists (at opening, or once a read or write finds it).
    dir: Arc<OnceLock<Dir>>,
}

/// What is stored beside each object.
#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    name: String,
    size: u64,
    md5: String,
    content_type: Option<String>,
    metadata: BTreeMap<String, String>,
    /// The file's modification time (ns since the epoch) when it was stored: a sidecar
    /// whose file changed since (or was not yet moved in) is not believed. Absent in
    /// sidecars written before it existed, which are believed on name and size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modified_ns: Option<u128>,
}

/// A temporary file being written, inside the root's `.multicloud/tmp/`.
#[derive(Debug)]
pub struct TempUpload {
    /// Its path, for removal after a failure.
    pub path: PathBuf,
    name: OsString,
}

impl LocalRoot {
    /// Opens a root directory. Writes nothing: a missing root is an empty store until the
    /// first write ([`create_container`](Self::create_container)) creates it.
    pub fn open(root: &Path) -> Result<Self> {
        let dir = Arc::new(OnceLock::new());
        let path = match std::fs::canonicalize(root) {
            Ok(path) => path,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let path = std::path::absolute(root).map_err(|e| io_at(e, "open", root))?;
                return Ok(LocalRoot {
                    path: Arc::new(path),
                    dir,
                });
            }
            Err(e) => return Err(io_at(e, "open", root)),
        };
        if !path.is_dir() {
            return Err(Error::invalid(format!(
                "{} is not a directory",
                path.display()
            )));
        }
        let root = LocalRoot {
            path: Arc::new(path),
            dir,
        };
        root.root_dir(false)?;
        Ok(root)
    }

    /// The root's handle; `None` while the root does not exist and `create` is off.
    fn root_dir(&self, create: bool) -> Result<Option<&Dir>> {
        if let Some(dir) = self.dir.get() {
            return Ok(Some(dir));
        }
        let path = self.path.as_path();
        if create {
            std::fs::create_dir_all(path).map_err(|e| io_at(e, "create", path))?;
        }
        match Dir::open_ambient_dir(path, cap_std::ambient_authority()) {
            // Another clone may have won the race: either handle names the same directory.
            Ok(dir) => Ok(Some(self.dir.get_or_init(|| dir))),
            Err(e) if e.kind() == io::ErrorKind::NotFound && !create => Ok(None),
            Err(e) => Err(io_at(e, "open", path)),
        }
    }

    /// The root directory: canonical if it existed when opened, else absolute.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// All containers: the real directories directly under the root, symlinks excluded.
    pub fn list_containers(&self) -> Result<Vec<Container>> {
        let mut out = Vec::new();
        let Some(root) = self.root_dir(false)? else {
            return Ok(out);
        };
        for entry in root.entries()? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if names::validate_container(&name).is_err() || !entry.file_type()?.is_dir() {
                continue;
            }
            out.push(container_from(&name, &entry.metadata()?));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One container.
    pub fn container(&self, name: &str) -> Result<Container> {
        let dir = self.container_dir(name)?;
        Ok(container_from(name, &dir.dir_metadata()?))
    }

    /// Creates a container directory; `AlreadyExists` if it is there.
    pub fn create_container(&self, name: &str) -> Result<Container> {
        names::validate_container(name)?;
        let root = self.root_dir(true)?.expect("created");
        match root.create_dir(name) {
            Ok(()) => self.container(name),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("container {name:?} already exists"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a container that holds no object; `NotEmpty` otherwise.
    pub fn delete_container(&self, name: &str) -> Result<()> {
        let dir = self.container_dir(name)?;
        if !walk(&dir, "")?.is_empty() {
            return Err(Error::new(
                ErrorKind::NotEmpty,
                format!("container {name:?} is not empty"),
            ));
        }
        // Only empty directories remain (objects were checked above): remove them bottom-up.
        remove_empty_tree(&dir)?;
        let root = self.root_dir(false)?.expect("holds the container");
        remove_dir_or_not_empty(root, OsStr::new(name))?;
        if let Some(meta) = self.internal(&["meta"], false)? {
            let _ = meta.remove_dir_all(name);
        }
        Ok(())
    }

    /// Up to `max` objects whose names start with `prefix`, after the name `token`, in
    /// bytewise name order. Names that are not UTF-8 or that the file system could not
    /// have been given by this driver are skipped.
    pub fn list_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        let dir = self.container_dir(container)?;
        // Only walk the deepest directory the prefix names.
        let start = prefix.rfind('/').map_or("", |i| &prefix[..=i]);
        let start_dir = match start.strip_suffix('/') {
            None => Some(dir),
            Some(rel) => match names::local_relative_path(rel) {
                Ok(rel) => chain(dir, rel.iter(), false, prefix)?.and_then(|mut c| c.pop()),
                Err(_) => None,
            },
        };
        let Some(start_dir) = start_dir else {
            return Ok(Page {
                items: vec![],
                next_token: None,
            });
        };
        let mut found: Vec<(String, Metadata)> = walk(&start_dir, start)?
            .into_iter()
            .filter(|(n, _)| n.starts_with(prefix) && token.is_none_or(|t| n.as_str() > t))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let max = max.max(1);
        let more = found.len() > max;
        found.truncate(max);
        let items = found
            .into_iter()
            .map(|(n, md)| {
                Ok(object_with(
                    container,
                    &n,
                    &md,
                    self.sidecar(container, &n, &md)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let next_token = more
            .then(|| items.last().map(|o: &Object| o.name.clone()))
            .flatten();
        Ok(Page { items, next_token })
    }

    /// An object's metadata (computes the MD5 when no fresh sidecar has it).
    pub fn head(&self, container: &str, name: &str) -> Result<Object> {
        let (file, object) = self.open_object(container, name)?;
        self.with_hash(&file, object)
    }

    /// The object with its MD5, computed from `file` when no sidecar recorded it.
    fn with_hash(&self, file: &std::fs::File, object: Object) -> Result<Object> {
        match object.hash {
            Some(_) => Ok(object),
            None => Ok(Object {
                hash: Some(md5_reader(file)?),
                ..object
            }),
        }
    }

    /// What `name` holds now, for a write condition: `None` when nothing. Hashed only
    /// when the condition needs the ETag (not for create-only).
    fn current(&self, container: &str, name: &str, hashed: bool) -> Result<Option<Object>> {
        let found = match hashed {
            true => self.head(container, name),
            false => self.open_object(container, name).map(|(_, o)| o),
        };
        match found {
            Ok(o) => Ok(Some(o)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens an existing object for reading, every component reached without following a
    /// link, if the read's preconditions hold (checked on the file opened, so on the bytes
    /// that will be read); returns the file, the object and the range resolved on its
    /// size (offset, length).
    pub fn open_range(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(std::fs::File, Object, (u64, u64))> {
        let (file, object) = self.open_object(container, name)?;
        if !opts.conditions.is_empty() {
            let hashed = self.with_hash(&file, object.clone())?;
            opts.conditions.check(&hashed)?;
            // Hashing may have read the file: start again from its beginning.
            (&file).seek(io::SeekFrom::Start(0))?;
        }
        let span = opts.range.resolve(object.size)?;
        Ok((file, object, span))
    }

    fn open_object(&self, container: &str, name: &str) -> Result<(std::fs::File, Object)> {
        let (mut dirs, file_name) = self
            .parent_of(container, name, false)?
            .ok_or_else(|| not_found_object(container, name))?;
        let parent = dirs.pop().expect("a chain holds the container at least");
        // Looked at first so a FIFO or device is never opened (a read could block).
        match parent.symlink_metadata(&file_name) {
            Ok(md) if md.is_symlink() => return Err(symlink_refused(name)),
            Ok(md) if md.is_file() => {}
            _ => return Err(not_found_object(container, name)),
        }
        // Opened without following a link, so a file swapped for one since is refused.
        let file = match open_nofollow(&parent, &file_name, OpenOptions::new().read(true)) {
            Ok(Some(f)) => f,
            Ok(None) => return Err(not_found_object(container, name)),
            Err(e) => {
                explain(&parent, &file_name, e, name, false)?;
                return Err(not_found_object(container, name));
            }
        };
        let md = file.metadata()?;
        let sidecar = self.sidecar(container, name, &md)?;
        Ok((file.into_std(), object_with(container, name, &md, sidecar)))
    }

    /// Checks, before any data is read, that an upload of `name` can succeed: valid name
    /// and options, existing container.
    pub fn check_upload(&self, container: &str, name: &str, opts: &UploadOptions) -> Result<()> {
        names::local_relative_path(name)?;
        opts.validated()?;
        self.container_dir(container).map(drop)
    }

    /// A new, empty temporary file for an upload, on the same file system as the objects
    /// (creating `.multicloud/tmp/` on first use).
    pub fn create_temp(&self) -> Result<(std::fs::File, TempUpload)> {
        let tmp = self.tmp_dir()?;
        let name = OsString::from(format!("{:016x}.part", fastrand::u64(..)));
        let file = tmp.open_with(&name, OpenOptions::new().write(true).create_new(true))?;
        let path = self.path.join(RESERVED).join("tmp").join(&name);
        Ok((file.into_std(), TempUpload { path, name }))
    }

    /// Moves a completely written temporary file into place as `name`, recording its
    /// metadata. The rename is atomic: readers see the old object or the new, never half.
    /// The temporary file is removed on failure.
    pub fn commit(
        &self,
        container: &str,
        name: &str,
        temp: &TempUpload,
        size: u64,
        md5: String,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let result = self.commit_inner(container, name, temp, size, md5, opts);
        if result.is_err() {
            let _ = self.tmp_dir().map(|t| t.remove_file(&temp.name));
        }
        result
    }

    fn commit_inner(
        &self,
        container: &str,
        name: &str,
        temp: &TempUpload,
        size: u64,
        md5: String,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let opts = opts.validated()?;
        // Commits in this process take turns, so a write condition holds from its check
        // until the file is in place.
        let _turn = COMMITS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(condition) = &opts.condition {
            let hashed = matches!(condition, WriteCondition::IfMatch(_));
            condition.check(name, self.current(container, name, hashed)?.as_ref())?;
        }
        let (mut dirs, file_name) = self
            .parent_of(container, name, true)?
            .ok_or_else(|| not_found_object(container, name))?;
        let parent = dirs.pop().expect("a chain holds the container at least");
        refuse_link_or_dir(&parent, &file_name, name)?;
        let tmp = self.tmp_dir()?;
        // The file's own metadata: whatever the name holds a moment after the move.
        let md = tmp.symlink_metadata(&temp.name)?;
        let sidecar = Sidecar {
            name: name.to_owned(),
            size,
            md5,
            content_type: opts.content_type,
            metadata: opts.metadata,
            modified_ns: modified_ns(&md),
        };
        self.write_sidecar(container, &sidecar)?;
        if let Err(e) = install(&tmp, &temp.name, &parent, &file_name, name) {
            // The sidecar describes a file that did not land.
            if let Some(meta) = self.internal(&["meta", container], false)? {
                let _ = meta.remove_file(meta_file_name(name));
            }
            return Err(e);
        }
        Ok(object_with(container, name, &md, Some(sidecar)))
    }

    /// Deletes an object (a missing one is fine) and the directories it leaves empty.
    /// A folder marker (`name/`), which the file system cannot hold, is always missing.
    pub fn delete(&self, container: &str, name: &str) -> Result<()> {
        if names::is_folder_marker(name) {
            return self.container_dir(container).map(drop);
        }
        // Not between a conditional commit's check and its rename.
        let _turn = COMMITS.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((mut dirs, file_name)) = self.parent_of(container, name, false)? else {
            return Ok(());
        };
        let parent = dirs.last().expect("a chain holds the container at least");
        match parent.symlink_metadata(&file_name) {
            Ok(md) if md.is_symlink() => return Err(symlink_refused(name)),
            Ok(md) if !md.is_file() => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        match parent.remove_file(&file_name) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(meta) = self.internal(&["meta", container], false)? {
            let _ = meta.remove_file(meta_file_name(name));
        }
        // Prune now-empty parents, stopping at the container (remove_dir fails on non-empty).
        // `dirs[i]` holds `parents[i]`; the deepest goes first.
        let rel = names::local_relative_path(name)?;
        let parents: Vec<&OsStr> = rel.parent().into_iter().flat_map(Path::iter).collect();
        for i in (0..parents.len()).rev() {
            dirs.pop();
            if dirs[i].remove_dir(parents[i]).is_err() {
                break;
            }
        }
        Ok(())
    }

    fn container_dir(&self, name: &str) -> Result<Dir> {
        names::validate_container(name)?;
        let part = OsStr::new(name);
        let missing = || Error::not_found(format!("container {name:?} does not exist"));
        let root = self.root_dir(false)?.ok_or_else(missing)?;
        match root.open_dir_nofollow(part) {
            Ok(d) => Ok(d),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(missing()),
            Err(_) if root.symlink_metadata(part).is_ok() => Err(Error::invalid(format!(
                "container {name:?} is not a plain directory (a symlink?)"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The directories from the container down to the parent of `name` (each opened
    /// without following links, created when `create`), and the file name; `None` if a
    /// directory is missing. A folder marker is always missing (the file system cannot
    /// hold one).
    fn parent_of(
        &self,
        container: &str,
        name: &str,
        create: bool,
    ) -> Result<Option<(Vec<Dir>, OsString)>> {
        let cdir = self.container_dir(container)?;
        if names::is_folder_marker(name) && !create {
            return Ok(None);
        }
        let rel = names::local_relative_path(name)?;
        let file = rel.file_name().expect("a checked name has a file name");
        let parents = rel.parent().into_iter().flat_map(Path::iter);
        Ok(chain(cdir, parents, create, name)?.map(|c| (c, file.to_owned())))
    }

    /// `.multicloud/<parts>`, created when `create` (so opening a root writes nothing).
    fn internal(&self, parts: &[&str], create: bool) -> Result<Option<Dir>> {
        let parts = std::iter::once(RESERVED).chain(parts.iter().copied());
        let Some(root) = self.root_dir(create)? else {
            return Ok(None);
        };
        let root = root.try_clone()?;
        Ok(chain(root, parts.map(OsStr::new), create, RESERVED)?.and_then(|mut c| c.pop()))
    }

    fn tmp_dir(&self) -> Result<Dir> {
        Ok(self.internal(&["tmp"], true)?.expect("created"))
    }

    fn write_sidecar(&self, container: &str, sidecar: &Sidecar) -> Result<()> {
        let meta = self.internal(&["meta", container], true)?.expect("created");
        let (mut file, temp) = self.create_temp()?;
        let written = file.write_all(&serde_json::to_vec(sidecar).expect("sidecar serialises"));
        let moved = written.and_then(|()| {
            self.tmp_dir().map_err(io::Error::from)?.rename(
                &temp.name,
                &meta,
                meta_file_name(&sidecar.name),
            )
        });
        if moved.is_err() {
            let _ = self.tmp_dir().map(|t| t.remove_file(&temp.name));
        }
        Ok(moved?)
    }

    /// The sidecar of `name`, if there is a fresh one: a sidecar for another name (hash
    /// collision) or another size (file replaced by hand) is stale and ignored.
    fn sidecar(&self, container: &str, name: &str, md: &Metadata) -> Result<Option<Sidecar>> {
        let Some(meta) = self.internal(&["meta", container], false)? else {
            return Ok(None);
        };
        let Ok(Some(mut file)) = open_nofollow(
            &meta,
            OsStr::new(&meta_file_name(name)),
            OpenOptions::new().read(true),
        ) else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(serde_json::from_slice::<Sidecar>(&bytes)
            .ok()
            .filter(|s| s.describes(name, md)))
    }
}

impl Sidecar {
    /// Whether this sidecar describes the file `md` is of (an old file of the same size
    /// under a new sidecar, mid-commit or after a crash, is not described by it).
    fn describes(&self, name: &str, md: &Metadata) -> bool {
        let same_time = self.modified_ns.is_none() || self.modified_ns == modified_ns(md);
        self.name == name && self.size == md.len() && same_time
    }
}

fn modified_ns(md: &Metadata) -> Option<u128> {
    let t = modified(md)?;
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_nanos())
}

fn object_with(container: &str, name: &str, md: &Metadata, sidecar: Option<Sidecar>) -> Object {
    let mut o = Object::new(container, name, md.len());
    o.last_modified = modified(md);
    o.content_type = Some("application/octet-stream".to_owned());
    if let Some(s) = sidecar {
        o.hash = Some(s.md5);
        o.content_type = s.content_type.or(o.content_type);
        o.metadata = s.metadata;
    }
    o
}

fn modified(md: &Metadata) -> Option<SystemTime> {
    md.modified().ok().map(|t| t.into_std())
}

fn container_from(name: &str, md: &Metadata) -> Container {
    let created = md.created().ok().map(|t| t.into_std());
    Container {
        name: name.to_owned(),
        created: created.or_else(|| modified(md)),
    }
}

/// The sidecar file name of an object: the MD5 of its name, so any name of up to 1024
/// bytes maps to one short, flat, collision-checked file.
fn meta_file_name(name: &str) -> String {
    format!("{}.json", md5_hex(name.as_bytes()))
}

fn md5_reader(mut file: impl Read) -> Result<String> {
    use md5::Digest;
    let mut hasher = md5::Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

fn not_found_object(container: &str, name: &str) -> Error {
    Error::not_found(format!("object {name:?} in container {container:?}"))
}

/// A local I/O failure, whatever its kind, as `Io` naming the path (`NotFound` and the
/// like are kept for the objects and containers of a store).
pub fn io_at(e: io::Error, what: &str, path: &Path) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
    .with_source(e)
}
