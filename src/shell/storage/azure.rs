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
use crate::entra;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{LengthCheck, Request, Response};
use crate::signing::azure_sas::BlobPermissions;
use crate::storage::azure::requests::{self, AzureRequests, ListPage};
use crate::storage::azure::{AzureConfig, AzureCredentials, BearerSource, responses};
use crate::storage::{ReadConditions, check_range_answer, is_md5_hex, names};

mod batch;
mod uploads;

/// Azure Blob Storage (block blobs), and the Azurite emulator.
///
/// Each method builds a request in the pure core ([`AzureRequests`]), authorizes it (Shared
/// Key, a SAS token, a bearer token, or nothing), sends it through the mode's pooled
/// [`HttpClient`] (retries, timeouts) and parses the answer in the core.
///
/// - Objects' [`hash`](Object::hash) is the content's MD5 (hex) where Azure keeps one
///   (every upload through this driver states it), else Azure's ETag; downloads are
///   checked against the MD5. Conditions given with an MD5 are resolved against the
///   blob's current version (writes send the ETag that version has; reads check the
///   answer), so ETags from listings and uploads work alike.
/// - Uploads above [`AzureConfig::single_put_threshold`] go up as blocks, several at once,
///   with memory bounded by `block_size × block_concurrency`, then one Put Block List
///   states the whole content's MD5. Until that list is committed nothing is visible; on
///   failure or cancellation nothing is committed (Azure drops uncommitted blocks after a
///   week, or at the next upload of the name).
/// - Metadata names must be C# identifiers on Azure (letters, digits, `_`, not starting
///   with a digit): others are refused before sending (`InvalidInput`), never renamed.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::storage::{Azure, StorageDriver};
use multicloud::storage::azure::AzureConfig;
# fn run() -> multicloud::Result<()> {
let azure = Azure::new(AzureConfig::builder().from_env()?.build()?)?;
for object in azure.iterate_objects("my-container", "logs/") {
    println!("{}", object?.name);
}
# Ok(())
# }
```
"#,
    async: r#"
```
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> multicloud::Result<()> {
use multicloud::asynchronous::TryStreamExt;
use multicloud::asynchronous::storage::{Azure, StorageDriver};
use multicloud::storage::azure::AzureConfig;
# async fn run() -> multicloud::Result<()> {
let azure = Azure::new(AzureConfig::builder().from_env()?.build()?)?;
let mut listing = azure.iterate_objects("my-container", "logs/");
while let Some(object) = listing.try_next().await? {
    println!("{}", object.name);
}
# Ok(())
# }
# Ok(())
# }
```
"#,
)]
#[derive(Debug, Clone)]
pub struct Azure {
    http: HttpClient,
    requests: Arc<AzureRequests>,
    /// Microsoft Entra tokens, cached and refreshed (client-secret credentials only).
    tokens: Option<TokenProvider>,
}

impl Azure {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: AzureConfig) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: AzureConfig, transport: TransportConfig) -> Result<Self> {
        let tokens = match &config.credentials {
            AzureCredentials::Bearer(BearerSource::ClientSecret(app)) => {
                Some(TokenProvider::new(TokenSource::Entra {
                    credential: app.clone(),
                    scope: entra::STORAGE_SCOPE.to_owned(),
                })?)
            }
            _ => None,
        };
        Ok(Azure {
            http: HttpClient::new(transport)?.for_provider(PROVIDER),
            requests: Arc::new(AzureRequests::new(config)),
            tokens,
        })
    }

    /// A driver configured from `AZURE_STORAGE_CONNECTION_STRING` or `AZURE_STORAGE_ACCOUNT`
    /// with `AZURE_STORAGE_KEY` / `AZURE_STORAGE_SAS_TOKEN`; finding no credentials is
    /// `InvalidInput` naming where it looked.
    pub fn from_env() -> Result<Self> {
        Self::new(AzureConfig::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &AzureConfig {
        self.requests.config()
    }

    /// Authorizes a request as it will be sent: every way of authorizing is here.
    #[maybe_async]
    async fn authorize(&self, req: Request) -> Result<Request> {
        match &self.config().credentials {
            AzureCredentials::AccountKey(key) => {
                self.requests.sign_shared_key(key, req, SystemTime::now())
            }
            AzureCredentials::Sas(token) => Ok(requests::with_sas(req, token)),
            AzureCredentials::Bearer(BearerSource::Static(token)) => Ok(requests::with_bearer(
                req,
                token.expose(),
                SystemTime::now(),
            )),
            AzureCredentials::Bearer(BearerSource::ClientSecret(_)) => {
                let token = self.entra_token().await?;
                Ok(requests::with_bearer(
                    req,
                    token.expose(),
                    SystemTime::now(),
                ))
            }
            AzureCredentials::Anonymous => Ok(req),
        }
    }

    /// A fresh Microsoft Entra token from the provider built with the driver.
    #[maybe_async]
    async fn entra_token(&self) -> Result<Secret> {
        let token = match &self.tokens {
            Some(tokens) => tokens.access_token().await?,
            None => None,
        };
        token.ok_or_else(|| {
            Error::invalid("no Microsoft Entra token source").with_provider(PROVIDER)
        })
    }

    /// Authorizes and sends a small request; the answer whatever its status.
    #[maybe_async]
    async fn send(&self, req: Request) -> Result<Response> {
        let signed = self.authorize(req.clone()).await?;
        let resp = self.http.send(&signed).await?;
        if !self.token_refused(resp.status) {
            return Ok(resp);
        }
        // Refused before anything ran: safe to repeat, once, with a fresh token.
        let signed = self.authorize(req).await?;
        self.http.send(&signed).await
    }

    /// A 401 to a cached Entra token (revoked, or expired early): it is forgotten, so
    /// the next request fetches another instead of failing until the cache's expiry.
    fn token_refused(&self, status: u16) -> bool {
        match (&self.tokens, status) {
            (Some(tokens), 401) => {
                tokens.invalidate();
                true
            }
            _ => false,
        }
    }

    /// [`send`](Self::send), then a non-2xx is the error it carries.
    #[maybe_async]
    async fn call(&self, req: Request, context: &str) -> Result<Response> {
        let resp = self.send(req).await?;
        responses::check(&resp, context)?;
        Ok(resp)
    }

    /// [`send`](Self::send) with the body streaming.
    #[maybe_async]
    async fn send_streaming(&self, req: Request) -> Result<StreamingResponse> {
        let signed = self.authorize(req.clone()).await?;
        let resp = self.http.send_streaming(&signed).await?;
        if !self.token_refused(resp.status) {
            return Ok(resp);
        }
        let signed = self.authorize(req).await?;
        self.http.send_streaming(&signed).await
    }

    /// Presigned URLs: a service SAS signed with the account key.
    fn presign(
        &self,
        container: &str,
        name: &str,
        perms: BlobPermissions,
        expires: Duration,
    ) -> Result<String> {
        check_container(container)?;
        check_blob(name)?;
        let AzureCredentials::AccountKey(key) = &self.config().credentials else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "presigned URLs are signed with the account key; this Azure driver has a \
                 SAS token, a bearer token or no credentials (a user delegation SAS is not \
                 supported)",
            )
            .with_provider(PROVIDER));
        };
        if expires.is_zero() {
            return Err(
                Error::invalid("a presigned URL must be valid for some time")
                    .with_provider(PROVIDER),
            );
        }
        let now = SystemTime::now();
        self.requests
            .presign(key, (container, name), perms, now, expires)
            .map_err(azure_error)
    }

    /// The blob's metadata and its Azure ETag; `None` when there is no such blob (a
    /// missing container stays an error).
    #[maybe_async]
    async fn current(
        &self,
        container: &str,
        name: &str,
    ) -> Result<Option<(Object, Option<String>)>> {
        let req = self.requests.blob_properties(container, name);
        let resp = self.send(req).await?;
        if resp.status == 404 && resp.header("x-ms-error-code") != Some("ContainerNotFound") {
            return Ok(None);
        }
        responses::check(&resp, &blob_context(container, name))?;
        let object = responses::object_from_headers(&resp.headers, container, name)?;
        Ok(Some((object, responses::etag(&resp.headers))))
    }

    /// One List Blobs page.
    #[maybe_async]
    async fn list_blobs(&self, container: &str, page: ListPage<'_>) -> Result<Response> {
        check_container(container)?;
        self.send(self.requests.list_blobs(container, page)).await
    }
}

pub(super) const PROVIDER: &str = "azure";

fn azure_error(e: Error) -> Error {
    e.with_provider(PROVIDER)
}

fn blob_context(container: &str, name: &str) -> String {
    format!("blob {name:?} in container {container:?}")
}

/// Azure's container rule: 3-63 lowercase letters, digits and single hyphens, starting
/// and ending with a letter or digit (`$root` is the account's root container).
fn check_container(name: &str) -> Result<()> {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let ok = (3..=63).contains(&name.len())
        && name.bytes().all(|b| alnum(b) || b == b'-')
        && name.bytes().next().is_some_and(alnum)
        && name.bytes().last().is_some_and(alnum)
        && !name.contains("--");
    if ok || name == "$root" {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "Azure container name {name:?} must be 3-63 lowercase letters, digits and single \
         hyphens, starting and ending with a letter or digit"
    ))
    .with_provider(PROVIDER))
}

/// The portable rule, minus `.` and `..` path segments (HTTP clients rewrite them before
/// sending, so the request would reach another blob than the one named) and `\` (Azure
/// turns it into `/`, so the blob would be listed under another name).
fn check_blob(name: &str) -> Result<()> {
    names::validate_object(name).map_err(azure_error)?;
    if name.contains('\\') {
        return Err(Error::invalid(format!(
            "Azure blob name {name:?} holds '\\', which Azure stores as '/': it would be \
             listed under another name"
        ))
        .with_provider(PROVIDER));
    }
    if name.split('/').any(|s| s == "." || s == "..") {
        return Err(Error::invalid(format!(
            "Azure blob name {name:?} has a '.' or '..' segment, which HTTP clients rewrite: \
             it cannot be addressed safely"
        ))
        .with_provider(PROVIDER));
    }
    Ok(())
}

/// The read conditions to send: time conditions, and ETag conditions unless they name an
/// MD5 (our `hash`, not Azure's ETag; those are checked on the answer only). A time
/// condition is dropped with its ETag partner, which HTTP says it yields to.
fn wire_conditions(c: &ReadConditions) -> ReadConditions {
    let sendable = |e: &Option<String>| {
        e.as_deref()
            .is_none_or(|e| !is_md5_hex(e.trim_matches('"')))
    };
    let mut wire = ReadConditions::new();
    if sendable(&c.if_match) {
        wire.if_match = c.if_match.clone();
        wire.if_unmodified_since = c.if_unmodified_since;
    }
    if sendable(&c.if_none_match) {
        wire.if_none_match = c.if_none_match.clone();
        wire.if_modified_since = c.if_modified_since;
    }
    wire
}

#[maybe_async(AFIT)]
impl StorageDriver for Azure {
    fn provider_name(&self) -> &'static str {
        PROVIDER
    }

    fn presign_get(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.presign(container, name, BlobPermissions::READ, expires)
    }

    fn presign_put(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.presign(container, name, BlobPermissions::WRITE, expires)
    }

    /// Server side (Copy Blob), waiting while Azure reports the copy pending.
    async fn copy_object(
        &self,
        src_container: &str,
        src_name: &str,
        container: &str,
        name: &str,
    ) -> Result<Object> {
        check_container(src_container)?;
        check_blob(src_name)?;
        check_container(container)?;
        check_blob(name)?;
        self.copy_blob((src_container, src_name), container, name)
            .await
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        rt::collect_pages(move |marker: Option<String>| async move {
            let req = self.requests.list_containers(marker.as_deref());
            let resp = self.send(req).await?;
            responses::container_page(&resp)
        })
        .await
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        check_container(name)?;
        let req = self.requests.container_properties(name);
        self.call(req, &format!("container {name:?}")).await?;
        Ok(Container::new(name))
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        check_container(name)?;
        let req = self.requests.create_container(name);
        self.call(req, &format!("creating container {name:?}"))
            .await?;
        Ok(Container::new(name))
    }

    /// Azure deletes non-empty containers with everything in them: emptiness is checked
    /// first, so `NotEmpty` means the same as on every store.
    async fn delete_container(&self, name: &str) -> Result<()> {
        check_container(name)?;
        let page = self.list_objects_page(name, "", None, 1).await?;
        if !page.items.is_empty() {
            return Err(Error::new(
                ErrorKind::NotEmpty,
                format!("container {name:?} is not empty"),
            )
            .with_provider(PROVIDER));
        }
        let req = self.requests.delete_container(name);
        self.call(req, &format!("deleting container {name:?}"))
            .await?;
        Ok(())
    }

    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        let page = ListPage {
            prefix,
            delimiter: None,
            marker: token,
            max,
        };
        let resp = self.list_blobs(container, page).await?;
        responses::object_page(&resp, container, prefix)
    }

    /// List Blobs with `delimiter`: the service groups the prefixes.
    async fn list_entries_page(
        &self,
        container: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Entry>> {
        let page = ListPage {
            prefix,
            delimiter: (!delimiter.is_empty()).then_some(delimiter),
            marker: token,
            max,
        };
        let resp = self.list_blobs(container, page).await?;
        responses::entry_page(&resp, container, prefix, delimiter)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        check_container(container)?;
        check_blob(name)?;
        let req = self.requests.blob_properties(container, name);
        let resp = self.call(req, &blob_context(container, name)).await?;
        responses::object_from_headers(&resp.headers, container, name)
    }

    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        check_container(container)?;
        check_blob(name)?;
        let opts = uploads::validated(opts)?;
        if data.len() > self.config().single_put_threshold {
            let total = Some(data.len() as u64);
            let nothing_more = std::io::Cursor::new(Bytes::new());
            return self
                .upload_blocks(container, name, (data, nothing_more, total), &opts)
                .await;
        }
        self.put_small(container, name, data, &opts).await
    }

    async fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        mut reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        check_container(container)?;
        check_blob(name)?;
        let opts = uploads::validated(opts)?;
        let threshold = self.config().single_put_threshold;
        // One byte past the threshold says which way to go.
        let head = rt::read_up_to(&mut reader, threshold + 1, 64 * 1024).await?;
        if head.len() <= threshold {
            return self.put_small(container, name, head.into(), &opts).await;
        }
        self.upload_blocks(container, name, (head.into(), reader, None), &opts)
            .await
    }

    async fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(Object, ObjectReader)> {
        check_container(container)?;
        check_blob(name)?;
        let range = opts.range;
        if range.end.is_some_and(|e| e <= range.start) {
            // An empty range cannot be asked of Azure: check it against the size instead.
            let object = self.get_object(container, name).await?;
            opts.conditions.check(&object).map_err(azure_error)?;
            range.resolve(object.size).map_err(azure_error)?;
            return Ok((object, rt::bytes_reader(Bytes::new())));
        }
        let wire = GetOptions::new()
            .range(range)
            .conditions(wire_conditions(&opts.conditions));
        let req = self.requests.get_blob(container, name, &wire);
        let resp = self.send_streaming(req).await?;
        let context = format!("reading {}", blob_context(container, name));
        if !(200..300).contains(&resp.status) {
            let full = resp
                .into_error_response(self.http.config().max_response_body)
                .await;
            return Err(responses::error_from(&full, &context));
        }
        let length = resp
            .header("content-length")
            .and_then(|l| l.trim().parse().ok());
        let content_range = resp.header("content-range");
        let answer =
            check_range_answer(range, resp.status, content_range, length).map_err(|e| {
                // Azurite answers a range starting at the end with `bytes 10-9/10`, not 416:
                // a range the stated size cannot hold is the caller's, as Azure's 416 says.
                let beyond =
                    responses::range_total(content_range).and_then(|t| range.resolve(t).err());
                let e = beyond.unwrap_or(e);
                Error::new(e.kind(), format!("{context}: {}", e.message()))
                    .with_provider(PROVIDER)
                    .with_status(resp.status)
            })?;
        let mut object = responses::object_from_headers(&resp.headers, container, name)?;
        object.size = answer.total;
        // Conditions not sent (MD5s) and any the server ignored are held to the answer.
        opts.conditions.check(&object).map_err(azure_error)?;
        let check = LengthCheck::new(answer.len, PROVIDER, container, name);
        Ok((object, rt::exact_length(resp.body, check)))
    }

    /// Blob Batch: up to 256 deletes per request, `concurrency` requests at once; a name
    /// Azure cannot hold fails alone, a missing blob counts as deleted.
    async fn delete_many(
        &self,
        container: &str,
        names: Vec<String>,
        concurrency: usize,
    ) -> Vec<Result<()>> {
        self.delete_batched(container, names, concurrency).await
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        check_container(container)?;
        check_blob(name)?;
        let req = self.requests.delete_blob(container, name);
        let resp = self.send(req).await?;
        match responses::check(
            &resp,
            &format!("deleting {}", blob_context(container, name)),
        ) {
            // Deleting a missing blob succeeds, so retries and delete_many are idempotent.
            Err(e) if e.code() == Some("BlobNotFound") => Ok(()),
            other => other,
        }
    }
}
