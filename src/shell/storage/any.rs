use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

use super::rt::maybe_async;
use super::{
    Azure, Container, Entry, Gcs, GetOptions, Local, Memory, Object, ObjectReader, Page, S3,
    StorageDriver,
};
use super::{UploadOptions, UploadReader};
use crate::error::Result;
use crate::registry::{Location, Provider, StorageOptions};
use crate::storage::azure::AzureConfig;
use crate::storage::gcs::GcsConfig;
use crate::storage::s3::S3Config;

/// Any storage driver, chosen at run time (Libcloud's `get_driver`): an enum over the
/// drivers that implements [`StorageDriver`] by delegation, identically in both modes.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::storage::{AnyStorage, StorageDriver};
let (store, location) = AnyStorage::from_url("memory://")?;
assert_eq!(store.provider_name(), "memory");
assert_eq!(location.container, None);
store.create_container("c")?;
# Ok::<(), multicloud::Error>(())
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::storage::{AnyStorage, StorageDriver};
let (store, location) = AnyStorage::from_url("memory://")?;
assert_eq!(store.provider_name(), "memory");
assert_eq!(location.container, None);
store.create_container("c").await?;
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyStorage {
    /// A [`Local`] directory.
    Local(Local),
    /// An in-memory [`Memory`] store.
    Memory(Memory),
    /// Amazon S3 or an S3-compatible store ([`S3`]).
    S3(S3),
    /// Azure Blob Storage ([`Azure`]).
    Azure(Azure),
    /// Google Cloud Storage ([`Gcs`]).
    Gcs(Gcs),
}

impl AnyStorage {
    /// Builds the driver a URL names, and returns it with the container and prefix the URL
    /// points at: `file:///path/to/root[?container=c&prefix=p]`, `memory://[container[/prefix]]`,
    /// `s3://bucket[/prefix][?region=..&endpoint=..&profile=..&anonymous=true&path_style=true&list_v1=true&part_size=..&part_concurrency=..]`
    /// (what the options do not set comes from the environment and the shared AWS files,
    /// see [`S3Config`](crate::storage::s3::S3ConfigBuilder::from_env); finding no
    /// credentials is `InvalidInput` unless `anonymous=true` asks for unsigned requests).
    /// `az://container[/prefix][?account=..&endpoint=..&anonymous=true&emulator=true]`
    /// (the rest from `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_ACCOUNT`/`_KEY`/
    /// `_SAS_TOKEN` or Microsoft Entra's `AZURE_TENANT_ID`/`_CLIENT_ID`/`_CLIENT_SECRET`),
    /// `gs://bucket[/prefix][?project=..&endpoint=..&anonymous=true&emulator=true]` (the
    /// rest from `GOOGLE_APPLICATION_CREDENTIALS`, `STORAGE_EMULATOR_HOST`...). The
    /// options each scheme accepts are listed at
    /// [`StorageOptions`](crate::registry::StorageOptions).
    pub fn from_url(url: &str) -> Result<(Self, Location)> {
        Self::from_url_with(url, std::iter::empty::<(&str, &str)>())
    }

    /// [`from_url`](Self::from_url) with options given by the program, the same keys as
    /// the URL's query, applied over it: several regions or endpoints are then a run-time
    /// choice (`from_url_with("s3://logs", [("region", region)])`).
    pub fn from_url_with<K, V>(
        url: &str,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(Self, Location)>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let location = Location::parse_with(url, options)?;
        let driver = match location.provider {
            Provider::S3 => AnyStorage::S3(S3::new(s3_config(&location.options)?)?),
            Provider::Azure => AnyStorage::Azure(Azure::new(azure_config(&location.options)?)?),
            Provider::Gcs => AnyStorage::Gcs(Gcs::new(gcs_config(&location.options)?)?),
            provider => Self::new(provider, location.root.clone())?,
        };
        Ok((driver, location))
    }

    /// Builds a driver of `provider`; `root` is the directory of [`Provider::Local`]
    /// and ignored by the others; S3, Azure and GCS are configured from the environment
    /// and need credentials (see [`S3::from_env`], [`Azure::from_env`], [`Gcs::from_env`]).
    pub fn new(provider: Provider, root: Option<PathBuf>) -> Result<Self> {
        match provider {
            Provider::Memory => Ok(AnyStorage::Memory(Memory::new())),
            Provider::S3 => Ok(AnyStorage::S3(S3::from_env()?)),
            Provider::Azure => Ok(AnyStorage::Azure(Azure::from_env()?)),
            Provider::Gcs => Ok(AnyStorage::Gcs(Gcs::from_env()?)),
            Provider::Local => {
                let root = root.ok_or_else(|| {
                    crate::Error::invalid("the local driver needs a root directory")
                })?;
                Ok(AnyStorage::Local(Local::new(root)?))
            }
        }
    }

    /// The provider this driver talks to.
    pub fn provider(&self) -> Provider {
        match self {
            AnyStorage::Local(_) => Provider::Local,
            AnyStorage::Memory(_) => Provider::Memory,
            AnyStorage::S3(_) => Provider::S3,
            AnyStorage::Azure(_) => Provider::Azure,
            AnyStorage::Gcs(_) => Provider::Gcs,
        }
    }
}

/// The S3 configuration URL options ask for, the rest from the environment.
fn s3_config(o: &StorageOptions) -> Result<S3Config> {
    let mut b = S3Config::builder();
    if o.anonymous {
        b = b.anonymous();
    }
    if let Some(region) = &o.region {
        b = b.region(region);
    }
    if let Some(endpoint) = &o.endpoint {
        b = b.endpoint(endpoint);
    }
    if let Some(profile) = &o.profile {
        b = b.profile(profile);
    }
    if let Some(on) = o.path_style {
        b = b.path_style(on);
    }
    if let Some(on) = o.list_v1 {
        b = b.list_v1(on);
    }
    if let Some(bytes) = o.part_size {
        b = b.part_size(bytes);
    }
    if let Some(n) = o.part_concurrency {
        b = b.part_concurrency(n);
    }
    b.from_env()?.build()
}

impl From<Local> for AnyStorage {
    fn from(d: Local) -> Self {
        AnyStorage::Local(d)
    }
}

/// The Azure configuration URL options ask for, the rest from the environment.
fn azure_config(o: &StorageOptions) -> Result<AzureConfig> {
    let mut b = AzureConfig::builder();
    if o.emulator {
        b = b.emulator();
    }
    if o.anonymous {
        b = b.anonymous();
    }
    if let Some(account) = &o.account {
        b = b.account(account);
    }
    if let Some(endpoint) = &o.endpoint {
        b = b.endpoint(endpoint);
    }
    if let Some(bytes) = o.part_size {
        b = b.block_size(bytes);
    }
    if let Some(n) = o.part_concurrency {
        b = b.block_concurrency(n);
    }
    b.from_env()?.build()
}

/// The GCS configuration URL options ask for, the rest from the environment.
fn gcs_config(o: &StorageOptions) -> Result<GcsConfig> {
    let mut b = GcsConfig::builder();
    match (&o.endpoint, o.emulator) {
        (Some(endpoint), true) => b = b.emulator_host(endpoint),
        (Some(endpoint), false) => b = b.endpoint(endpoint),
        (None, true) => {
            return Err(crate::Error::invalid(
                "gs:// option \"emulator\" needs \"endpoint\" (where the emulator listens)",
            ));
        }
        (None, false) => {}
    }
    if o.anonymous {
        b = b.anonymous();
    }
    if let Some(project) = &o.project {
        b = b.project(project);
    }
    if let Some(bytes) = o.part_size {
        b = b.chunk_size(bytes);
    }
    b.from_env()?.build()
}

impl From<Azure> for AnyStorage {
    fn from(d: Azure) -> Self {
        AnyStorage::Azure(d)
    }
}

impl From<Gcs> for AnyStorage {
    fn from(d: Gcs) -> Self {
        AnyStorage::Gcs(d)
    }
}

impl From<S3> for AnyStorage {
    fn from(d: S3) -> Self {
        AnyStorage::S3(d)
    }
}

impl From<Memory> for AnyStorage {
    fn from(d: Memory) -> Self {
        AnyStorage::Memory(d)
    }
}

// Delegation is spelled out per method: `maybe_async` cannot strip an `.await` inside a
// macro's arguments, so a delegating macro would break the blocking build.
#[maybe_async(AFIT)]
impl StorageDriver for AnyStorage {
    fn provider_name(&self) -> &'static str {
        match self {
            AnyStorage::Local(d) => d.provider_name(),
            AnyStorage::Memory(d) => d.provider_name(),
            AnyStorage::S3(d) => d.provider_name(),
            AnyStorage::Azure(d) => d.provider_name(),
            AnyStorage::Gcs(d) => d.provider_name(),
        }
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        match self {
            AnyStorage::Local(d) => d.list_containers().await,
            AnyStorage::Memory(d) => d.list_containers().await,
            AnyStorage::S3(d) => d.list_containers().await,
            AnyStorage::Azure(d) => d.list_containers().await,
            AnyStorage::Gcs(d) => d.list_containers().await,
        }
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        match self {
            AnyStorage::Local(d) => d.get_container(name).await,
            AnyStorage::Memory(d) => d.get_container(name).await,
            AnyStorage::S3(d) => d.get_container(name).await,
            AnyStorage::Azure(d) => d.get_container(name).await,
            AnyStorage::Gcs(d) => d.get_container(name).await,
        }
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        match self {
            AnyStorage::Local(d) => d.create_container(name).await,
            AnyStorage::Memory(d) => d.create_container(name).await,
            AnyStorage::S3(d) => d.create_container(name).await,
            AnyStorage::Azure(d) => d.create_container(name).await,
            AnyStorage::Gcs(d) => d.create_container(name).await,
        }
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        match self {
            AnyStorage::Local(d) => d.delete_container(name).await,
            AnyStorage::Memory(d) => d.delete_container(name).await,
            AnyStorage::S3(d) => d.delete_container(name).await,
            AnyStorage::Azure(d) => d.delete_container(name).await,
            AnyStorage::Gcs(d) => d.delete_container(name).await,
        }
    }

    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        match self {
            AnyStorage::Local(d) => d.list_objects_page(container, prefix, token, max).await,
            AnyStorage::Memory(d) => d.list_objects_page(container, prefix, token, max).await,
            AnyStorage::S3(d) => d.list_objects_page(container, prefix, token, max).await,
            AnyStorage::Azure(d) => d.list_objects_page(container, prefix, token, max).await,
            AnyStorage::Gcs(d) => d.list_objects_page(container, prefix, token, max).await,
        }
    }

    async fn list_entries_page(
        &self,
        container: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Entry>> {
        let (c, p, d) = (container, prefix, delimiter);
        match self {
            AnyStorage::Local(x) => x.list_entries_page(c, p, d, token, max).await,
            AnyStorage::Memory(x) => x.list_entries_page(c, p, d, token, max).await,
            AnyStorage::S3(x) => x.list_entries_page(c, p, d, token, max).await,
            AnyStorage::Azure(x) => x.list_entries_page(c, p, d, token, max).await,
            AnyStorage::Gcs(x) => x.list_entries_page(c, p, d, token, max).await,
        }
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        match self {
            AnyStorage::Local(d) => d.get_object(container, name).await,
            AnyStorage::Memory(d) => d.get_object(container, name).await,
            AnyStorage::S3(d) => d.get_object(container, name).await,
            AnyStorage::Azure(d) => d.get_object(container, name).await,
            AnyStorage::Gcs(d) => d.get_object(container, name).await,
        }
    }

    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        match self {
            AnyStorage::Local(d) => d.upload_bytes(container, name, data, opts).await,
            AnyStorage::Memory(d) => d.upload_bytes(container, name, data, opts).await,
            AnyStorage::S3(d) => d.upload_bytes(container, name, data, opts).await,
            AnyStorage::Azure(d) => d.upload_bytes(container, name, data, opts).await,
            AnyStorage::Gcs(d) => d.upload_bytes(container, name, data, opts).await,
        }
    }

    async fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        match self {
            AnyStorage::Local(d) => d.upload_reader(container, name, reader, opts).await,
            AnyStorage::Memory(d) => d.upload_reader(container, name, reader, opts).await,
            AnyStorage::S3(d) => d.upload_reader(container, name, reader, opts).await,
            AnyStorage::Azure(d) => d.upload_reader(container, name, reader, opts).await,
            AnyStorage::Gcs(d) => d.upload_reader(container, name, reader, opts).await,
        }
    }

    async fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(Object, ObjectReader)> {
        match self {
            AnyStorage::Local(d) => d.open_object_with(container, name, opts).await,
            AnyStorage::Memory(d) => d.open_object_with(container, name, opts).await,
            AnyStorage::S3(d) => d.open_object_with(container, name, opts).await,
            AnyStorage::Azure(d) => d.open_object_with(container, name, opts).await,
            AnyStorage::Gcs(d) => d.open_object_with(container, name, opts).await,
        }
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        match self {
            AnyStorage::Local(d) => d.delete_object(container, name).await,
            AnyStorage::Memory(d) => d.delete_object(container, name).await,
            AnyStorage::S3(d) => d.delete_object(container, name).await,
            AnyStorage::Azure(d) => d.delete_object(container, name).await,
            AnyStorage::Gcs(d) => d.delete_object(container, name).await,
        }
    }

    fn presign_get(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        match self {
            AnyStorage::Local(d) => d.presign_get(container, name, expires),
            AnyStorage::Memory(d) => d.presign_get(container, name, expires),
            AnyStorage::S3(d) => d.presign_get(container, name, expires),
            AnyStorage::Azure(d) => d.presign_get(container, name, expires),
            AnyStorage::Gcs(d) => d.presign_get(container, name, expires),
        }
    }

    fn presign_put(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        match self {
            AnyStorage::Local(d) => d.presign_put(container, name, expires),
            AnyStorage::Memory(d) => d.presign_put(container, name, expires),
            AnyStorage::S3(d) => d.presign_put(container, name, expires),
            AnyStorage::Azure(d) => d.presign_put(container, name, expires),
            AnyStorage::Gcs(d) => d.presign_put(container, name, expires),
        }
    }

    async fn copy_object(
        &self,
        src_container: &str,
        src_name: &str,
        dst_container: &str,
        dst_name: &str,
    ) -> Result<Object> {
        let (sc, sn, dc, dn) = (src_container, src_name, dst_container, dst_name);
        match self {
            AnyStorage::Local(d) => d.copy_object(sc, sn, dc, dn).await,
            AnyStorage::Memory(d) => d.copy_object(sc, sn, dc, dn).await,
            AnyStorage::S3(d) => d.copy_object(sc, sn, dc, dn).await,
            AnyStorage::Azure(d) => d.copy_object(sc, sn, dc, dn).await,
            AnyStorage::Gcs(d) => d.copy_object(sc, sn, dc, dn).await,
        }
    }

    async fn delete_many(
        &self,
        container: &str,
        names: Vec<String>,
        concurrency: usize,
    ) -> Vec<Result<()>> {
        // Delegated so S3 keeps its batched DeleteObjects.
        match self {
            AnyStorage::Local(d) => d.delete_many(container, names, concurrency).await,
            AnyStorage::Memory(d) => d.delete_many(container, names, concurrency).await,
            AnyStorage::S3(d) => d.delete_many(container, names, concurrency).await,
            AnyStorage::Azure(d) => d.delete_many(container, names, concurrency).await,
            AnyStorage::Gcs(d) => d.delete_many(container, names, concurrency).await,
        }
    }
}
