//! A view of a store under one key prefix, with keys relative to it.

use std::time::Duration;

use bytes::Bytes;

use super::rt::maybe_async;
use super::{Container, Entry, GetOptions, Object, ObjectReader, Page, StorageDriver};
use super::{UploadOptions, UploadReader};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::names;

/// A store seen from inside one "folder": every object name is relative to `prefix`, so
/// code written for a whole container runs unchanged on a part of one (like OpenDAL's
/// `root`). Containers are the store's own.
///
/// The prefix ends in `/` (one is added when missing; `""` is the whole store). Names
/// that the inner driver lists outside the prefix are refused as `Parse`, never shown.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::storage::{Memory, Scoped, StorageDriver, UploadOptions};
let store = Memory::new();
store.create_container("c")?;
let photos = Scoped::new(store.clone(), "users/ann/photos");
photos.upload_bytes("c", "cat.jpg", b"...".to_vec().into(), &UploadOptions::new())?;
assert!(store.get_object("c", "users/ann/photos/cat.jpg").is_ok());
assert_eq!(photos.list_objects("c", "")?[0].name, "cat.jpg");
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::storage::{Memory, Scoped, StorageDriver, UploadOptions};
let store = Memory::new();
store.create_container("c").await?;
let photos = Scoped::new(store.clone(), "users/ann/photos");
photos.upload_bytes("c", "cat.jpg", b"...".to_vec().into(), &UploadOptions::new()).await?;
assert!(store.get_object("c", "users/ann/photos/cat.jpg").await.is_ok());
assert_eq!(photos.list_objects("c", "").await?[0].name, "cat.jpg");
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct Scoped<D> {
    inner: D,
    prefix: String,
}

impl<D: StorageDriver> Scoped<D> {
    /// The part of `inner` under `prefix`.
    pub fn new(inner: D, prefix: &str) -> Self {
        let mut prefix = prefix.to_owned();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Scoped { inner, prefix }
    }

    /// The prefix every name is relative to (ending in `/`, or empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The store seen through this view.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The inner name of `name`, which must itself follow the portable rule (so `""` is
    /// refused rather than turned into the prefix's folder marker).
    fn full(&self, name: &str) -> Result<String> {
        names::validate_object(name).map_err(|e| e.with_provider(self.inner.provider_name()))?;
        Ok(format!("{}{name}", self.prefix))
    }

    /// The inner form of a listing prefix (any string, `""` for all).
    fn full_prefix(&self, prefix: &str) -> String {
        format!("{}{prefix}", self.prefix)
    }

    fn relative(&self, name: String) -> Result<String> {
        match name.strip_prefix(&self.prefix) {
            Some(rest) => Ok(rest.to_owned()),
            None => Err(Error::new(
                ErrorKind::Parse,
                format!("{name:?} was listed, but is outside {:?}", self.prefix),
            )
            .with_provider(self.inner.provider_name())),
        }
    }

    fn object(&self, mut o: Object) -> Result<Object> {
        o.name = self.relative(o.name)?;
        Ok(o)
    }

    fn entry(&self, e: Entry) -> Result<Entry> {
        Ok(match e {
            Entry::Object(o) => Entry::Object(self.object(o)?),
            Entry::Prefix(p) => Entry::Prefix(self.relative(p)?),
        })
    }

    /// A page with names made relative; the prefix's own folder marker (which would be
    /// named `""`, and which no call through the view can address) is left out.
    fn page<T>(&self, page: Page<T>, f: impl Fn(&Self, T) -> Result<T>) -> Result<Page<T>>
    where
        T: Named,
    {
        let mut items = Vec::with_capacity(page.items.len());
        for item in page.items {
            let item = f(self, item)?;
            if !item.name().is_empty() {
                items.push(item);
            }
        }
        Ok(Page {
            items,
            next_token: page.next_token,
        })
    }
}

/// What a listing holds, by name.
trait Named {
    fn name(&self) -> &str;
}

impl Named for Object {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Entry {
    fn name(&self) -> &str {
        self.key()
    }
}

#[maybe_async(AFIT)]
impl<D: StorageDriver> StorageDriver for Scoped<D> {
    fn provider_name(&self) -> &'static str {
        self.inner.provider_name()
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        self.inner.list_containers().await
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        self.inner.get_container(name).await
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        self.inner.create_container(name).await
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        self.inner.delete_container(name).await
    }

    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        let full = self.full_prefix(prefix);
        let page = self
            .inner
            .list_objects_page(container, &full, token, max)
            .await?;
        self.page(page, Self::object)
    }

    async fn list_entries_page(
        &self,
        container: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Entry>> {
        let full = self.full_prefix(prefix);
        let page = self
            .inner
            .list_entries_page(container, &full, delimiter, token, max)
            .await?;
        self.page(page, Self::entry)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        let o = self.inner.get_object(container, &self.full(name)?).await?;
        self.object(o)
    }

    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let full = self.full(name)?;
        let o = self
            .inner
            .upload_bytes(container, &full, data, opts)
            .await?;
        self.object(o)
    }

    async fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let full = self.full(name)?;
        let o = self
            .inner
            .upload_reader(container, &full, reader, opts)
            .await?;
        self.object(o)
    }

    async fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(Object, ObjectReader)> {
        let full = self.full(name)?;
        let (o, reader) = self.inner.open_object_with(container, &full, opts).await?;
        Ok((self.object(o)?, reader))
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        self.inner.delete_object(container, &self.full(name)?).await
    }

    fn presign_get(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.inner
            .presign_get(container, &self.full(name)?, expires)
    }

    fn presign_put(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.inner
            .presign_put(container, &self.full(name)?, expires)
    }

    async fn copy_object(
        &self,
        src_container: &str,
        src_name: &str,
        dst_container: &str,
        dst_name: &str,
    ) -> Result<Object> {
        let (src, dst) = (self.full(src_name)?, self.full(dst_name)?);
        let o = self
            .inner
            .copy_object(src_container, &src, dst_container, &dst)
            .await?;
        self.object(o)
    }

    async fn delete_many(
        &self,
        container: &str,
        names: Vec<String>,
        concurrency: usize,
    ) -> Vec<Result<()>> {
        let full: Vec<Result<String>> = names.iter().map(|n| self.full(n)).collect();
        let valid = full
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        let mut done = self
            .inner
            .delete_many(container, valid, concurrency)
            .await
            .into_iter();
        let missing = || Err(Error::new(ErrorKind::Provider, "delete_many lost a result"));
        let merge = |r: Result<String>| r.and_then(|_| done.next().unwrap_or_else(missing));
        full.into_iter().map(merge).collect()
    }
}
