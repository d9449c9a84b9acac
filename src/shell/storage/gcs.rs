use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::super::http::{HttpClient, StreamingResponse, TransportConfig};
use super::super::tokens::{TokenProvider, TokenSource};
use super::UploadReader;
use super::rt::{self, maybe_async};
use super::{
    Container, Entry, GetOptions, Object, ObjectReader, Page, StorageDriver, UploadOptions,
};
use crate::credentials::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::gcp::Source;
use crate::http::{LengthCheck, Request, Response};
use crate::storage::gcs::entries::{self, Resume};
use crate::storage::gcs::requests::{GcsRequests, ListPage, authorized};
use crate::storage::gcs::responses::{self, Missing, Stored};
use crate::storage::gcs::rewrite::{self, RewriteLoop};
use crate::storage::gcs::{GcsConfig, check_bucket_name, check_object_name};
use crate::storage::{ByteRange, check_range_answer, names};

mod resumable;
use resumable::Chunks;
mod writes;

const PROVIDER: &str = "gcs";

/// Google Cloud Storage through its JSON API (and emulators such as fake-gcs-server).
///
/// Each method builds its request in the pure core ([`GcsRequests`]), sends it through the
/// mode's pooled [`HttpClient`] and parses the answer in the core. Uploads up to
/// [`GcsConfig::chunk_size`] go in one multipart request carrying the body's MD5 and
/// CRC32C; larger ones as a resumable upload, one chunk in memory at a time, resumed from
/// what the session says it holds after a failed chunk. Reads fetch the metadata, then
/// the bytes of exactly that generation, so size and hashes always describe the bytes.
///
/// Object ETags ([`Object::hash`]) are the hex MD5. A write condition
/// [`if_match`](UploadOptions::if_match) takes that MD5 (checked against the object, whose
/// generation the write is then pinned to with `ifGenerationMatch`, so a change in between
/// fails it) or a generation number (sent as it is); `create_only` is
/// `ifGenerationMatch=0`.
///
#[doc = per_mode!(
    blocking: r#"
```no_run
use multicloud::blocking::storage::{Gcs, StorageDriver};
use multicloud::storage::gcs::GcsConfig;
# fn run() -> multicloud::Result<()> {
let gcs = Gcs::new(GcsConfig::builder().emulator_host("127.0.0.1:4443").build()?)?;
for object in gcs.iterate_objects("my-bucket", "logs/") {
    println!("{}", object?.name);
}
# Ok(())
# }
```
"#,
    async: r#"
```no_run
# async fn run() -> multicloud::Result<()> {
use multicloud::asynchronous::TryStreamExt;
use multicloud::asynchronous::storage::{Gcs, StorageDriver};
use multicloud::storage::gcs::GcsConfig;
let gcs = Gcs::new(GcsConfig::builder().emulator_host("127.0.0.1:4443").build()?)?;
let mut listing = gcs.iterate_objects("my-bucket", "logs/");
while let Some(object) = listing.try_next().await? {
    println!("{}", object.name);
}
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct Gcs {
    http: HttpClient,
    requests: Arc<GcsRequests>,
    /// Access tokens from the configured credentials, cached and refreshed.
    tokens: TokenProvider,
}

impl Gcs {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: GcsConfig) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: GcsConfig, transport: TransportConfig) -> Result<Self> {
        let tokens = TokenProvider::new(TokenSource::Google {
            source: config.credentials.clone(),
            scope: config.scope.clone(),
        })?;
        Self::with_token_provider(config, transport, tokens)
    }

    /// A driver whose access tokens come from `tokens` (shared with other drivers, or
    /// with a test clock), whatever credentials the configuration holds.
    pub fn with_token_provider(
        config: GcsConfig,
        transport: TransportConfig,
        tokens: TokenProvider,
    ) -> Result<Self> {
        Ok(Gcs {
            http: HttpClient::new(transport)?.for_provider(PROVIDER),
            requests: Arc::new(GcsRequests::new(config)),
            tokens,
        })
    }

    /// A driver configured from the environment (`STORAGE_EMULATOR_HOST`,
    /// `GOOGLE_APPLICATION_CREDENTIALS`, ...; see
    /// [`GcsConfigBuilder::from_env_with`](crate::storage::gcs::GcsConfigBuilder::from_env_with)).
    pub fn from_env() -> Result<Self> {
        Self::new(GcsConfig::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &GcsConfig {
        self.requests.config()
    }

    /// The access token requests carry (`None`: anonymous): fixed, or from the token
    /// provider (service account, `authorized_user`, metadata server), refreshed before it
    /// expires. The one place credentials are turned into a header.
    #[maybe_async]
    async fn bearer(&self) -> Result<Option<Secret>> {
        self.tokens.access_token().await
    }

    /// Whether the tokens are fetched (and may be refused before they expire), not fixed.
    fn fetches_tokens(&self) -> bool {
        match self.tokens.source() {
            TokenSource::Google { source, .. } => {
                !matches!(source, Source::StaticToken(_) | Source::Anonymous)
            }
            _ => true,
        }
    }

    /// Sends `req` with the access token; the answer whatever its status. A fetched
    /// token the service refuses (401, revoked for instance) is forgotten and the request
    /// sent once more with a new one.
    #[maybe_async]
    async fn send(&self, req: Request) -> Result<Response> {
        let first = authorized(req.clone(), self.bearer().await?.as_ref());
        let resp = self.http.send(&first).await?;
        if resp.status != 401 || !self.fetches_tokens() {
            return Ok(resp);
        }
        self.tokens.invalidate();
        let again = authorized(req, self.bearer().await?.as_ref());
        self.http.send(&again).await
    }

    /// [`send`](Self::send) for an answer read as it arrives.
    #[maybe_async]
    async fn send_streaming(&self, req: Request) -> Result<StreamingResponse> {
        let first = authorized(req.clone(), self.bearer().await?.as_ref());
        let resp = self.http.send_streaming(&first).await?;
        if resp.status != 401 || !self.fetches_tokens() {
            return Ok(resp);
        }
        drop(resp);
        self.tokens.invalidate();
        let again = authorized(req, self.bearer().await?.as_ref());
        self.http.send_streaming(&again).await
    }

    /// After a 404 to a request for `name`: `Ok` when only the object is missing, the
    /// bucket's `NotFound` otherwise. Google's message says which; when it does not, the
    /// bucket is asked for, and a 403 to that (object-only roles may not read buckets)
    /// means it exists.
    #[maybe_async]
    async fn only_object_missing(&self, resp: &Response, bucket: &str, name: &str) -> Result<()> {
        match responses::missing(resp, bucket, name) {
            Missing::Object => Ok(()),
            Missing::Bucket => Err(responses::error_from(
                resp,
                &format!("bucket {bucket:?} (looking for {name:?})"),
            )),
            Missing::Unsure => match self.get_container(bucket).await {
                Err(e) if e.kind() == ErrorKind::PermissionDenied => Ok(()),
                other => other.map(drop),
            },
        }
    }

    /// An object's metadata and generation.
    #[maybe_async]
    async fn stored(&self, bucket: &str, name: &str) -> Result<Stored> {
        let resp = self.send(self.requests.get_object(bucket, name)).await?;
        responses::object(&resp, bucket, name)
    }

    /// A signed URL for `method` (see [`crate::signing::gcs_v4`]); a service-account key
    /// is needed to sign.
    fn presign(&self, method: &str, bucket: &str, name: &str, expires: Duration) -> Result<String> {
        use crate::signing::gcs_v4::{Endpoint, UrlStyle, UrlToSign, sign_url};
        check_bucket(bucket)?;
        check_name(name)?;
        let Source::ServiceAccount(key) = &self.config().credentials else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "GCS signed URLs need a service-account key; the configured \
                     credentials ({}) cannot sign",
                    self.config().credentials.name()
                ),
            )
            .with_provider(PROVIDER));
        };
        let endpoint = Endpoint::from_url(&self.config().endpoint)?;
        let req = UrlToSign {
            method,
            bucket,
            object: Some(name),
            endpoint: &endpoint,
            style: &UrlStyle::Path,
            headers: &[],
            query: &[],
            expires_secs: expires.as_secs(),
        };
        Ok(sign_url(&req, key, SystemTime::now())?.url)
    }

    /// One page of `objects.list`.
    #[maybe_async]
    async fn list_page(&self, bucket: &str, prefix: &str, page: ListPage<'_>) -> Result<Response> {
        check_bucket(bucket)?;
        self.send(self.requests.list_objects(bucket, prefix, page))
            .await
    }

    /// Opens the bytes of `stored`'s generation (or a range of them); `None` when that
    /// generation is gone (replaced between the metadata and the read).
    #[maybe_async]
    async fn open_generation(
        &self,
        stored: &Stored,
        range: ByteRange,
    ) -> Result<Option<ObjectReader>> {
        let (bucket, name) = (&stored.object.container, &stored.object.name);
        let req = self
            .requests
            .read_object(bucket, name, stored.generation, range);
        let resp = self.send_streaming(req).await?;
        let context = format!("reading {name:?} in bucket {bucket:?}");
        if !(200..300).contains(&resp.status) {
            let limit = self.http.config().max_response_body;
            let full = resp.into_error_response(limit).await;
            return match full.status {
                404 | 412 => Ok(None),
                _ => Err(responses::error_from(&full, &context)),
            };
        }
        // A server that ignores the pin must at least say which generation it sent.
        let sent = resp.header("x-goog-generation").map(str::trim);
        let pinned = stored.generation > 0;
        if pinned && sent.is_some_and(|g| g != stored.generation.to_string()) {
            return Ok(None);
        }
        let length = resp
            .header("content-length")
            .and_then(|l| l.trim().parse().ok());
        let answer = check_range_answer(range, resp.status, resp.header("content-range"), length)
            .map_err(|e| e_context(e, &context).with_status(resp.status))?;
        if answer.total != stored.object.size {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "{context}: the answer says {} bytes, the metadata {}",
                    answer.total, stored.object.size
                ),
            )
            .with_provider(PROVIDER));
        }
        check_goog_hash(&resp, &stored.object, &context)?;
        let check = LengthCheck::new(answer.len, PROVIDER, bucket, name);
        Ok(Some(rt::exact_length(resp.body, check)))
    }
}

/// The hashes an `x-goog-hash` header states must be the metadata's.
fn check_goog_hash(resp: &StreamingResponse, object: &Object, context: &str) -> Result<()> {
    let Some(value) = resp.header("x-goog-hash") else {
        return Ok(());
    };
    let (md5, crc) = responses::goog_hash(value, context)?;
    let md5_differs = matches!((md5.as_deref(), object.md5()), (Some(a), Some(b)) if a != b);
    let crc_differs = matches!((crc, object.crc32c), (Some(a), Some(b)) if a != b);
    if md5_differs || crc_differs {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!("{context}: x-goog-hash {value:.80} disagrees with the metadata"),
        )
        .with_provider(PROVIDER));
    }
    Ok(())
}

fn e_context(e: Error, context: &str) -> Error {
    if e.message().starts_with(context) {
        return e;
    }
    let mut out =
        Error::new(e.kind(), format!("{context}: {}", e.message())).with_provider(PROVIDER);
    if let Some(s) = e.status() {
        out = out.with_status(s);
    }
    out
}

fn check_bucket(bucket: &str) -> Result<()> {
    names::validate_container(bucket)
        .and_then(|()| check_bucket_name(bucket))
        .map_err(|e| e.with_provider(PROVIDER))
}

/// The portable rule first (its messages say "object name"), then Google's own.
fn check_name(name: &str) -> Result<()> {
    names::validate_object(name)
        .and_then(|()| check_object_name(name))
        .map_err(|e| e.with_provider(PROVIDER))
}

#[maybe_async(AFIT)]
impl StorageDriver for Gcs {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }

    fn presign_get(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.presign("GET", container, name, expires)
    }

    fn presign_put(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.presign("PUT", container, name, expires)
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        if self.config().project.is_none() && !self.config().emulator {
            return Err(Error::invalid(
                "listing GCS buckets needs a project (GcsConfigBuilder::project or \
                 GOOGLE_CLOUD_PROJECT)",
            )
            .with_provider(PROVIDER));
        }
        let mut all = rt::collect_pages(move |token: Option<String>| async move {
            let resp = self
                .send(self.requests.list_buckets(token.as_deref()))
                .await?;
            responses::bucket_page(&resp)
        })
        .await?;
        // Google lists by name; fake-gcs-server in creation order.
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        check_bucket(name)?;
        let resp = self.send(self.requests.get_bucket(name)).await?;
        responses::bucket(&resp, name)
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        check_bucket(name)?;
        if self.config().project.is_none() && !self.config().emulator {
            return Err(Error::invalid(
                "creating a GCS bucket needs a project (GcsConfigBuilder::project or \
                 GOOGLE_CLOUD_PROJECT)",
            )
            .with_provider(PROVIDER));
        }
        let resp = self.send(self.requests.create_bucket(name)).await?;
        responses::bucket(&resp, name)
            .map_err(|e| e_context(e, &format!("creating bucket {name:?}")))
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        check_bucket(name)?;
        let page = self.list_objects_page(name, "", None, 1).await?;
        if !page.items.is_empty() {
            return Err(not_empty(name));
        }
        let resp = self.send(self.requests.delete_bucket(name)).await?;
        let context = format!("deleting bucket {name:?}");
        match responses::check(&resp, &context) {
            // Google says 409, fake-gcs-server 412, for a bucket that is not empty.
            Err(e) if matches!(e.status(), Some(409 | 412)) => Err(not_empty(name)),
            other => other,
        }
    }

    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        let page = ListPage {
            token,
            max,
            ..ListPage::default()
        };
        let resp = self.list_page(container, prefix, page).await?;
        responses::object_page(&resp, container, prefix)
    }

    /// `objects.list` with `delimiter`: the server groups the common prefixes. The tokens
    /// are the driver's own (the last key listed, resumed with `startOffset`; see
    /// [`entries`](crate::storage::gcs::entries)).
    async fn list_entries_page(
        &self,
        container: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Entry>> {
        let resume = Resume::parse(token).map_err(|e| e.with_provider(PROVIDER))?;
        let start = resume.start_offset();
        let page = ListPage {
            delimiter: Some(delimiter),
            start_offset: start.as_deref(),
            max,
            ..ListPage::default()
        };
        let resp = self.list_page(container, prefix, page).await?;
        let answer = responses::entry_answer(&resp, container, prefix, delimiter)?;
        entries::select(answer, &resume, max)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        check_bucket(container)?;
        check_name(name)?;
        Ok(self.stored(container, name).await?.object)
    }

    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        check_bucket(container)?;
        check_name(name)?;
        let opts = opts.validated()?;
        if data.len() > self.config().chunk_size {
            let total = Some(data.len() as u64);
            let chunks = Chunks::<&[u8]>::Whole(data);
            return self
                .upload_resumable(container, name, chunks, total, &opts)
                .await;
        }
        self.put_multipart(container, name, data, &opts).await
    }

    async fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        mut reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        check_bucket(container)?;
        check_name(name)?;
        let opts = opts.validated()?;
        let chunk = self.config().chunk_size;
        // One byte past a chunk tells which way it goes; most readers are small.
        let head = rt::read_up_to(&mut reader, chunk + 1, 64 * 1024).await?;
        if head.len() <= chunk {
            return self
                .put_multipart(container, name, head.into(), &opts)
                .await;
        }
        let chunks = Chunks::Reader { head, rest: reader };
        self.upload_resumable(container, name, chunks, None, &opts)
            .await
    }

    /// The metadata, then the bytes of exactly that generation (`ifGenerationMatch`),
    /// so the size and hashes checked are those of the bytes read. When the object is
    /// replaced in between, both are fetched again (three tries).
    async fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(Object, ObjectReader)> {
        check_bucket(container)?;
        check_name(name)?;
        let range = opts.range;
        for _ in 0..3 {
            let stored = self.stored(container, name).await?;
            opts.conditions
                .check(&stored.object)
                .map_err(|e| e.with_provider(PROVIDER))?;
            range
                .resolve(stored.object.size)
                .map_err(|e| e.with_provider(PROVIDER))?;
            if range.end.is_some_and(|e| e <= range.start) {
                return Ok((stored.object, rt::bytes_reader(Bytes::new())));
            }
            if let Some(reader) = self.open_generation(&stored, range).await? {
                return Ok((stored.object, reader));
            }
        }
        Err(Error::new(
            ErrorKind::Provider,
            format!("reading {name:?} in bucket {container:?}: it changed during each of 3 reads"),
        )
        .with_provider(PROVIDER))
    }

    /// A missing object is deleted already; a missing bucket is `NotFound` (see
    /// `only_object_missing`).
    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        check_bucket(container)?;
        check_name(name)?;
        let resp = self
            .send(self.requests.delete_object(container, name, None))
            .await?;
        if resp.status == 404 {
            return self.only_object_missing(&resp, container, name).await;
        }
        responses::check(&resp, &format!("deleting {name:?} in bucket {container:?}"))
    }

    /// Server side (`objects.rewrite`, continued until done); the copy keeps the
    /// source's content type and metadata.
    async fn copy_object(
        &self,
        src_container: &str,
        src_name: &str,
        container: &str,
        name: &str,
    ) -> Result<Object> {
        check_bucket(src_container)?;
        check_bucket(container)?;
        check_name(src_name)?;
        check_name(name)?;
        let (src, dst) = ((src_container, src_name), (container, name));
        let context = format!("copying {src_name:?} to {name:?} in bucket {container:?}");
        let mut progress = RewriteLoop::default();
        loop {
            let req = self.requests.rewrite(src, dst, progress.token(), None);
            let resp = self.send(req).await?;
            if let Some(done) = progress.advance(rewrite::rewrite(&resp, dst)?, &context)? {
                return Ok(done.object);
            }
        }
    }
}

fn not_empty(bucket: &str) -> Error {
    Error::new(
        ErrorKind::NotEmpty,
        format!("bucket {bucket:?} is not empty"),
    )
    .with_provider(PROVIDER)
    .with_status(409)
}
