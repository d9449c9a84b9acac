use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;

// The I/O extension traits are needed for async calls only; blocking resolves them
// through the `Read`/`Write` supertraits.
use super::UploadReader;
#[allow(unused_imports)]
use super::rt::{self, ReadExt, maybe_async};
use super::streams::copy_hashing_with;
use super::{Container, GetOptions, Object, ObjectReader, Page, StorageDriver, UploadOptions};
use crate::error::{Error, Result};
use crate::storage::Tracker;
use crate::storage::memory_store::MemoryStore;

/// An in-memory store: thread-safe, shared by all clones, gone when the last clone drops.
/// Made for tests and examples; it behaves like the other drivers (same errors, same
/// listing order) and accepts exactly the portable names of
/// [`names`](crate::storage::names): some of them (`a/../b`, `a//b`, `dir/`) a file system,
/// and so `Local`, cannot hold.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::storage::{Memory, StorageDriver, UploadOptions};
let store = Memory::new();
store.create_container("c")?;
store.upload_bytes("c", "hello.txt", "hi".into(), &UploadOptions::new())?;
assert_eq!(store.download_bytes("c", "hello.txt")?, "hi");
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::storage::{Memory, StorageDriver, UploadOptions};
let store = Memory::new();
store.create_container("c").await?;
store.upload_bytes("c", "hello.txt", "hi".into(), &UploadOptions::new()).await?;
assert_eq!(store.download_bytes("c", "hello.txt").await?, "hi");
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone, Default)]
pub struct Memory {
    store: Arc<RwLock<MemoryStore>>,
}

impl Memory {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read<T>(&self, f: impl FnOnce(&MemoryStore) -> Result<T>) -> Result<T> {
        // A panic while holding the lock cannot leave the map half-updated (each operation
        // is one insert or remove), so a poisoned lock is still consistent.
        let guard = self.store.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard).map_err(|e| e.with_provider("memory"))
    }

    fn write<T>(&self, f: impl FnOnce(&mut MemoryStore) -> Result<T>) -> Result<T> {
        let mut guard = self.store.write().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard).map_err(|e| e.with_provider("memory"))
    }
}

#[maybe_async(AFIT)]
impl StorageDriver for Memory {
    fn provider_name(&self) -> &'static str {
        "memory"
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        self.read(|s| Ok(s.list_containers()))
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        self.read(|s| s.container(name))
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        self.write(|s| s.create_container(name))
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        self.write(|s| s.delete_container(name))
    }

    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        self.read(|s| s.list_page(container, prefix, token, max))
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        self.read(|s| s.head(container, name))
    }

    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let size = data.len() as u64;
        opts.tracker(name, None).check()?;
        let object = self.write(|s| s.put(container, name, data, opts))?;
        opts.tracker(name, Some(size)).advance(size);
        Ok(object)
    }

    async fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        mut reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        // Fail before reading a possibly huge body into memory.
        self.read(|s| s.container(container))?;
        let mut buf = Vec::new();
        // Stored all at once: only the cancel token is heard while reading.
        let reading = Tracker::new(name, None, None, opts.cancel.as_ref());
        copy_hashing_with(&mut reader, &mut buf, Error::from, &reading).await?;
        let size = buf.len() as u64;
        let object = self.write(|s| s.put(container, name, buf.into(), opts))?;
        opts.tracker(name, Some(size)).advance(size);
        Ok(object)
    }

    async fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(Object, ObjectReader)> {
        let (object, data) = self.read(|s| s.get(container, name, opts))?;
        Ok((object, rt::bytes_reader(data)))
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        self.write(|s| s.delete(container, name))
    }

    /// Shares the source's bytes (no copy of the content).
    async fn copy_object(
        &self,
        src_container: &str,
        src_name: &str,
        dst_container: &str,
        dst_name: &str,
    ) -> Result<Object> {
        self.write(|s| s.copy(src_container, src_name, dst_container, dst_name))
    }
}
