use std::io::Write;
use std::path::Path;

use bytes::Bytes;

use super::UploadReader;
use super::rt::{self, maybe_async};
use super::streams::{TempFile, copy_hashing_with};
use super::{Container, GetOptions, Object, ObjectReader, Page, StorageDriver, UploadOptions};
use crate::error::{Error, Result};
use crate::storage::Tracker;
use crate::storage::local_fs::{LocalRoot, TempUpload};
use crate::storage::md5_hex;

/// Object storage in a local directory: one sub-directory per container, objects at their
/// names (`a/b.txt` is the file `<root>/<container>/a/b.txt`), metadata beside them under
/// `<root>/.multicloud/` (created by the first write: opening a root writes nothing).
///
/// Writes go to a temporary file that is renamed into place when complete, so a crash
/// never leaves a half-written object under its real name.
///
/// Names: the portable rule of [`names`](crate::storage::names) applies, and on top of it
/// only what a file system cannot hold is refused, as `InvalidInput` saying "the local
/// file system cannot hold" the name: a leading `/`, empty, `.` or `..` segments,
/// segments over 255 bytes (and on Windows `\` and `:`). Folder markers (names ending in
/// `/`) cannot be stored; reading one is `NotFound` and deleting one succeeds, as for any
/// missing object.
///
/// Symbolic links inside the root are never followed nor replaced: every path component
/// is opened relative to its parent without following links (`cap-std`), so reading,
/// writing or deleting through a link is `InvalidInput`, with no check-then-open race. An
/// upload never replaces a link at its own name either (on Linux even one planted while
/// the upload runs: the file is moved in by an atomic exchange, see `docs/design.md`).
///
/// In async mode the file-system calls run on tokio's blocking pool (as `tokio::fs` does).
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::storage::{Local, StorageDriver};
let dir = tempfile::tempdir().unwrap();
let store = Local::new(dir.path())?;
store.create_container("photos")?;
assert_eq!(store.list_containers()?.len(), 1);
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::storage::{Local, StorageDriver};
let dir = tempfile::tempdir().unwrap();
let store = Local::new(dir.path())?;
store.create_container("photos").await?;
assert_eq!(store.list_containers().await?.len(), 1);
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct Local {
    root: LocalRoot,
}

impl Local {
    /// A store rooted at `root`. Opening writes nothing: a missing `root` is an empty
    /// store, created (with its parents) by the first `create_container`. A `root` that
    /// exists but is not a directory is `InvalidInput`.
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = LocalRoot::open(root.as_ref()).map_err(|e| e.with_provider("local"))?;
        Ok(Local { root })
    }

    /// The root directory: canonical if it existed when opened, else absolute.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Runs blocking file-system work on a clone of the root.
    #[maybe_async]
    async fn with_root<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(LocalRoot) -> Result<T> + Send + 'static,
    {
        let root = self.root.clone();
        rt::unblock(move || f(root))
            .await
            .map_err(|e| e.with_provider("local"))
    }

    /// Streams `reader` into a new temporary file; returns it, its size and MD5.
    #[maybe_async]
    async fn write_temp<R: UploadReader>(
        &self,
        mut reader: R,
        tracker: &Tracker<'_>,
    ) -> Result<(TempUpload, u64, String)> {
        let (file, temp) = self.with_root(|r| r.create_temp()).await?;
        let guard = TempFile(temp.path.clone());
        let mut file = mode_file(file);
        let (size, md5) = copy_hashing_with(&mut reader, &mut file, Error::from, tracker).await?;
        file.sync_all().await?;
        guard.disarm();
        Ok((temp, size, md5))
    }
}

/// The mode's file type from a std file: tokio's in async mode, the same file in blocking.
#[allow(clippy::useless_conversion)] // a conversion in async mode only
fn mode_file(file: std::fs::File) -> rt::File {
    rt::File::from(file)
}

fn owned(s: &str) -> String {
    s.to_owned()
}

#[maybe_async(AFIT)]
impl StorageDriver for Local {
    fn provider_name(&self) -> &'static str {
        "local"
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        self.with_root(|r| r.list_containers()).await
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        let name = owned(name);
        self.with_root(move |r| r.container(&name)).await
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        let name = owned(name);
        self.with_root(move |r| r.create_container(&name)).await
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        let name = owned(name);
        self.with_root(move |r| r.delete_container(&name)).await
    }

    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        let (c, p, t) = (owned(container), owned(prefix), token.map(owned));
        self.with_root(move |r| r.list_page(&c, &p, t.as_deref(), max))
            .await
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        let (c, n) = (owned(container), owned(name));
        self.with_root(move |r| r.head(&c, &n)).await
    }

    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let (c, n, o) = (owned(container), owned(name), opts.clone());
        opts.tracker(name, None).check()?;
        self.with_root(move |r| {
            r.check_upload(&c, &n, &o)?;
            let (mut file, temp) = r.create_temp()?;
            let guard = TempFile(temp.path.clone());
            file.write_all(&data)?;
            drop(file);
            guard.disarm();
            let size = data.len() as u64;
            let object = r.commit(&c, &n, &temp, size, md5_hex(&data), &o)?;
            o.tracker(&n, Some(size)).advance(size);
            Ok(object)
        })
        .await
    }

    async fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let (c, n, o) = (owned(container), owned(name), opts.clone());
        // Refuse bad names and missing containers before consuming the reader.
        {
            let (c, n, o) = (c.clone(), n.clone(), o.clone());
            self.with_root(move |r| r.check_upload(&c, &n, &o)).await?;
        }
        let (temp, size, md5) = self
            .write_temp(reader, &o.tracker(name, None))
            .await
            .map_err(|e| e.with_provider("local"))?;
        self.with_root(move |r| r.commit(&c, &n, &temp, size, md5, &o))
            .await
    }

    async fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(Object, ObjectReader)> {
        let (c, n, o) = (owned(container), owned(name), opts.clone());
        let (file, object, (offset, len)) =
            self.with_root(move |r| r.open_range(&c, &n, &o)).await?;
        let mut file = mode_file(file);
        if offset > 0 {
            rt::seek_to(&mut file, offset).await?;
        }
        Ok((object, rt::file_reader(file, len)))
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        let (c, n) = (owned(container), owned(name));
        self.with_root(move |r| r.delete(&c, &n)).await
    }
}
