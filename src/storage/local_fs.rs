//! Blocking file-system primitives of the `Local` driver, compiled once.
//!
//! Layout under the root: one directory per container holding the objects at their names
//! (`a/b.txt` is `<root>/<container>/a/b.txt`), and a reserved `.multicloud/` directory with
//! `meta/<container>/<md5 of name>.json` (content type, user metadata, hash) and `tmp/`
//! (uploads in progress, renamed into place when complete). Container names cannot start
//! with `.`, so the reserved directory never collides with a container.
//!
//! Safety: object names go through [`names::object_relative_path`], and every path
//! component below the root is checked with `symlink_metadata` before use, so a symbolic
//! link inside the root (pointing anywhere) is refused rather than followed. The async mode
//! runs these functions on tokio's blocking pool.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Container, Object, Page, UploadOptions, md5_hex, names};
use crate::error::{Error, ErrorKind, Result};

const RESERVED: &str = ".multicloud";

/// A storage root on the local file system. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LocalRoot {
    root: Arc<PathBuf>,
}

/// What is stored beside each object.
#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    name: String,
    size: u64,
    md5: String,
    content_type: Option<String>,
    metadata: BTreeMap<String, String>,
}

impl LocalRoot {
    /// Opens (and with `create`, creates) a root directory.
    pub fn open(root: &Path, create: bool) -> Result<Self> {
        if create {
            fs::create_dir_all(root).map_err(|e| io_context(e, "create root", root))?;
        }
        let root = fs::canonicalize(root).map_err(|e| io_context(e, "open root", root))?;
        if !root.is_dir() {
            return Err(Error::invalid(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        fs::create_dir_all(root.join(RESERVED).join("tmp"))?;
        fs::create_dir_all(root.join(RESERVED).join("meta"))?;
        Ok(LocalRoot {
            root: Arc::new(root),
        })
    }

    /// The root directory (canonical).
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// All containers: the real directories directly under the root, symlinks excluded.
    pub fn list_containers(&self) -> Result<Vec<Container>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&*self.root)? {
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
        Ok(container_from(name, &fs::symlink_metadata(dir)?))
    }

    /// Creates a container directory; `AlreadyExists` if it is there.
    pub fn create_container(&self, name: &str) -> Result<Container> {
        names::validate_container(name)?;
        let dir = self.root.join(name);
        match fs::create_dir(&dir) {
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
        let _ = fs::remove_dir_all(self.meta_dir(name));
        Ok(())
    }

    /// Up to `max` objects whose names start with `prefix`, after the name `token`, in
    /// bytewise name order. Names that are not UTF-8 or not valid object names are skipped.
    pub fn list_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        let dir = self.container_dir(container)?;
        // Only walk the deepest directory the prefix names.
        let start = match prefix.rfind('/') {
            Some(i) => &prefix[..=i],
            None => "",
        };
        let start_dir = match names::object_relative_path(start.trim_end_matches('/')) {
            Ok(rel) if !start.is_empty() => dir.join(rel),
            _ if start.is_empty() => dir.clone(),
            _ => {
                return Ok(Page {
                    items: vec![],
                    next_token: None,
                });
            }
        };
        if !start.is_empty() && !is_real_dir(&dir, start.trim_end_matches('/'))? {
            return Ok(Page {
                items: vec![],
                next_token: None,
            });
        }
        let mut found: Vec<(String, fs::Metadata)> = walk(&start_dir, start)?
            .into_iter()
            .filter(|(n, _)| n.starts_with(prefix) && token.is_none_or(|t| n.as_str() > t))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let max = max.max(1);
        let more = found.len() > max;
        found.truncate(max);
        let items = found
            .into_iter()
            .map(|(n, md)| self.object_from(container, &n, &md, false))
            .collect::<Result<Vec<_>>>()?;
        let next_token = if more {
            items.last().map(|o| o.name.clone())
        } else {
            None
        };
        Ok(Page { items, next_token })
    }

    /// An object's metadata (computes the MD5 when no fresh sidecar has it).
    pub fn head(&self, container: &str, name: &str) -> Result<Object> {
        let (_, md) = self.existing_file(container, name)?;
        self.object_from(container, name, &md, true)
    }

    /// The path of an existing object, checked to be a regular file reached without
    /// following any symlink, with its metadata.
    pub fn existing_object(&self, container: &str, name: &str) -> Result<(PathBuf, Object)> {
        let (path, md) = self.existing_file(container, name)?;
        let object = self.object_from(container, name, &md, false)?;
        Ok((path, object))
    }

    fn existing_file(&self, container: &str, name: &str) -> Result<(PathBuf, fs::Metadata)> {
        let dir = self.container_dir(container)?;
        let rel = names::object_relative_path(name)?;
        let md = check_components(&dir, &rel)?
            .filter(fs::Metadata::is_file)
            .ok_or_else(|| not_found_object(container, name))?;
        Ok((dir.join(rel), md))
    }

    /// Checks, before any data is read, that an upload of `name` can succeed: valid name
    /// and options, existing container.
    pub fn check_upload(&self, container: &str, name: &str, opts: &UploadOptions) -> Result<()> {
        names::object_relative_path(name)?;
        opts.validated()?;
        self.container_dir(container).map(drop)
    }

    /// A fresh temporary file path for an upload, on the same file system as the objects.
    pub fn temp_path(&self) -> PathBuf {
        self.root
            .join(RESERVED)
            .join("tmp")
            .join(format!("{:016x}.part", fastrand::u64(..)))
    }

    /// Moves a completely written temporary file into place as `name`, recording its
    /// metadata. The rename is atomic: readers see the old object or the new, never half.
    pub fn commit(
        &self,
        container: &str,
        name: &str,
        temp: &Path,
        size: u64,
        md5: String,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let result = self.commit_inner(container, name, temp, size, md5, opts);
        if result.is_err() {
            let _ = fs::remove_file(temp);
        }
        result
    }

    fn commit_inner(
        &self,
        container: &str,
        name: &str,
        temp: &Path,
        size: u64,
        md5: String,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let opts = opts.validated()?;
        let dir = self.container_dir(container)?;
        let rel = names::object_relative_path(name)?;
        self.prepare_parents(&dir, &rel, name)?;
        let target = dir.join(&rel);
        if let Ok(md) = fs::symlink_metadata(&target) {
            if md.is_dir() {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("object {name:?} would replace a directory of other objects"),
                ));
            }
        }
        let sidecar = Sidecar {
            name: name.to_owned(),
            size,
            md5,
            content_type: opts.content_type,
            metadata: opts.metadata,
        };
        let meta_dir = self.meta_dir(container);
        fs::create_dir_all(&meta_dir)?;
        let meta_tmp = self.temp_path();
        fs::write(
            &meta_tmp,
            serde_json::to_vec(&sidecar).expect("sidecar serialises"),
        )?;
        fs::rename(&meta_tmp, meta_dir.join(meta_file_name(name)))?;
        fs::rename(temp, &target)?;
        let md = fs::symlink_metadata(&target)?;
        Ok(object_with(container, name, &md, Some(sidecar)))
    }

    /// Deletes an object (a missing one is fine) and the directories it leaves empty.
    pub fn delete(&self, container: &str, name: &str) -> Result<()> {
        let dir = self.container_dir(container)?;
        let rel = names::object_relative_path(name)?;
        match check_components(&dir, &rel)? {
            None => return Ok(()),
            Some(md) if !md.is_file() => return Ok(()),
            Some(_) => {}
        }
        match fs::remove_file(dir.join(&rel)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        let _ = fs::remove_file(self.meta_dir(container).join(meta_file_name(name)));
        // Prune now-empty parents, stopping at the container (remove_dir fails on non-empty).
        let mut parent = rel.parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            if fs::remove_dir(dir.join(p)).is_err() {
                break;
            }
            parent = p.parent();
        }
        Ok(())
    }

    fn container_dir(&self, name: &str) -> Result<PathBuf> {
        names::validate_container(name)?;
        let dir = self.root.join(name);
        match fs::symlink_metadata(&dir) {
            Ok(md) if md.is_dir() => Ok(dir),
            Ok(_) => Err(Error::invalid(format!(
                "container {name:?} is not a plain directory (a symlink?)"
            ))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::not_found(format!(
                "container {name:?} does not exist"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    fn meta_dir(&self, container: &str) -> PathBuf {
        self.root.join(RESERVED).join("meta").join(container)
    }

    /// Creates the parent directories of `rel` one by one, refusing symlinks and files.
    fn prepare_parents(&self, dir: &Path, rel: &Path, name: &str) -> Result<()> {
        let mut current = dir.to_path_buf();
        let parents: Vec<_> = rel
            .parent()
            .map(|p| p.components().collect())
            .unwrap_or_default();
        for c in parents {
            current.push(c);
            match fs::symlink_metadata(&current) {
                Ok(md) if md.is_dir() => {}
                Ok(md) if md.file_type().is_symlink() => {
                    return Err(symlink_refused(name));
                }
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("object {name:?} is below another object's name"),
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&current) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e.into()),
                },
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn object_from(
        &self,
        container: &str,
        name: &str,
        md: &fs::Metadata,
        compute_hash: bool,
    ) -> Result<Object> {
        let sidecar = fs::read(self.meta_dir(container).join(meta_file_name(name)))
            .ok()
            .and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok())
            // A sidecar for another name (hash collision) or another size (file replaced
            // by hand) is stale: ignore it.
            .filter(|s| s.name == name && s.size == md.len());
        let mut object = object_with(container, name, md, sidecar);
        if object.hash.is_none() && compute_hash {
            let path = self
                .container_dir(container)?
                .join(names::object_relative_path(name)?);
            object.hash = Some(md5_file(&path)?);
        }
        Ok(object)
    }
}

fn object_with(container: &str, name: &str, md: &fs::Metadata, sidecar: Option<Sidecar>) -> Object {
    let mut o = Object::new(container, name, md.len());
    o.last_modified = md.modified().ok();
    match sidecar {
        Some(s) => {
            o.hash = Some(s.md5);
            o.content_type = Some(
                s.content_type
                    .unwrap_or_else(|| "application/octet-stream".to_owned()),
            );
            o.metadata = s.metadata;
        }
        None => o.content_type = Some("application/octet-stream".to_owned()),
    }
    o
}

fn container_from(name: &str, md: &fs::Metadata) -> Container {
    Container {
        name: name.to_owned(),
        created: md.created().or_else(|_| md.modified()).ok(),
    }
}

/// Checks each component of `rel` below `dir` without following symlinks. `Ok(None)` if
/// some component is missing; `InvalidInput` if one is a symlink.
fn check_components(dir: &Path, rel: &Path) -> Result<Option<fs::Metadata>> {
    let mut current = dir.to_path_buf();
    let mut last = None;
    for c in rel.components() {
        current.push(c);
        match fs::symlink_metadata(&current) {
            Ok(md) if md.file_type().is_symlink() => {
                return Err(symlink_refused(&rel.to_string_lossy()));
            }
            Ok(md) => last = Some(md),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(last)
}

fn is_real_dir(dir: &Path, rel: &str) -> Result<bool> {
    let rel = names::object_relative_path(rel)?;
    Ok(check_components(dir, &rel)?.is_some_and(|md| md.is_dir()))
}

/// All regular files below `dir`, as object names prefixed by `prefix`, never following
/// symlinks.
fn walk(dir: &Path, prefix: &str) -> Result<Vec<(String, fs::Metadata)>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), prefix.to_owned())];
    while let Some((d, p)) = stack.pop() {
        let entries = match fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let Some(file) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let name = format!("{p}{file}");
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else if ft.is_file() && names::object_relative_path(&name).is_ok() {
                out.push((name, entry.metadata()?));
            }
        }
    }
    Ok(out)
}

fn remove_empty_tree(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_empty_tree(&entry.path())?;
        }
    }
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        // Something we do not list (a symlink, a socket, a non-UTF-8 name) keeps it alive.
        Err(_) => Err(Error::new(
            ErrorKind::NotEmpty,
            format!("{} holds entries that are not objects", dir.display()),
        )),
    }
}

/// The sidecar file name of an object: the MD5 of its name, so any name of up to 1024
/// bytes maps to one short, flat, collision-checked file.
fn meta_file_name(name: &str) -> String {
    format!("{}.json", md5_hex(name.as_bytes()))
}

fn md5_file(path: &Path) -> Result<String> {
    use md5::Digest;
    use std::io::Read;
    let mut file = fs::File::open(path)?;
    let mut hasher = md5::Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn not_found_object(container: &str, name: &str) -> Error {
    Error::not_found(format!("object {name:?} in container {container:?}"))
}

fn symlink_refused(name: &str) -> Error {
    Error::invalid(format!(
        "object {name:?} goes through a symbolic link; the local driver never follows links"
    ))
}

fn io_context(e: io::Error, what: &str, path: &Path) -> Error {
    let kind = Error::from(io::Error::from(e.kind())).kind();
    Error::new(kind, format!("cannot {what} {}: {e}", path.display())).with_source(e)
}

/// Writes downloads safely: a temporary sibling of the destination, then a rename.
pub mod download_target {
    use super::*;

    /// A temporary path beside `dest` (same directory, so the final rename is atomic).
    pub fn temp_beside(dest: &Path) -> Result<PathBuf> {
        let file = dest
            .file_name()
            .ok_or_else(|| Error::invalid(format!("{} has no file name", dest.display())))?;
        let parent = dest.parent().unwrap_or(Path::new("."));
        Ok(parent.join(format!(
            ".{}.{:08x}.multicloud-part",
            file.to_string_lossy(),
            fastrand::u32(..)
        )))
    }

    /// Fails early with `AlreadyExists` when `dest` exists and overwriting is off.
    pub fn check(dest: &Path, overwrite: bool) -> Result<()> {
        if !overwrite && fs::symlink_metadata(dest).is_ok() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{} exists and overwrite is off", dest.display()),
            ));
        }
        Ok(())
    }

    /// Moves the complete temporary file to `dest`. Without `overwrite`, a file that
    /// appeared at `dest` meanwhile is left alone (`AlreadyExists`). The temporary file is
    /// removed on any failure.
    pub fn persist(temp: &Path, dest: &Path, overwrite: bool) -> Result<()> {
        let result = if overwrite {
            fs::rename(temp, dest).map_err(Error::from)
        } else {
            // hard_link fails if dest exists, which makes "no overwrite" race-free.
            match fs::hard_link(temp, dest) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("{} exists and overwrite is off", dest.display()),
                )),
                Err(_) => check(dest, false).and_then(|()| Ok(fs::rename(temp, dest)?)),
            }
        };
        let _ = fs::remove_file(temp);
        result
    }

    /// Removes a temporary file after a failure (a missing one is fine).
    pub fn discard(temp: &Path) {
        let _ = fs::remove_file(temp);
    }
}
