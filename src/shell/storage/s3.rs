use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::super::aws::CredentialsProvider;
use super::super::http::{HttpClient, TransportConfig};
use super::UploadReader;
use super::rt::{self, maybe_async};
use super::{
    Container, Entry, GetOptions, Object, ObjectReader, Page, StorageDriver, UploadOptions,
};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{LengthCheck, Method, Request};
use crate::storage::s3::checksum::{self, BodyProof};
use crate::storage::s3::{S3Config, S3Requests, responses};
use crate::storage::{check_range_answer, is_md5_hex, names};

mod multipart;

use multipart::PartSource;

/// Amazon S3 and S3-compatible stores (MinIO, Cloudflare R2, Ceph, DigitalOcean Spaces,
/// Wasabi...).
///
/// Each method builds a signed request in the pure core ([`S3Requests`]), sends it through
/// the mode's pooled [`HttpClient`] (retries, timeouts) and parses the answer in the core.
/// Uploads from readers above the multipart threshold go up in parts, several at once,
/// with memory bounded by `part_size × part_concurrency`; a failed or cancelled multipart
/// upload is aborted so no parts are left behind.
///
#[doc = per_mode!(
    blocking: r#"
```
use multicloud::blocking::storage::{S3, StorageDriver};
use multicloud::storage::s3::S3Config;
# fn run() -> multicloud::Result<()> {
let s3 = S3::new(S3Config::builder().region("eu-west-1").from_env()?.build()?)?;
for object in s3.iterate_objects("my-bucket", "logs/") {
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
use multicloud::asynchronous::storage::{S3, StorageDriver};
use multicloud::storage::s3::S3Config;
# async fn run() -> multicloud::Result<()> {
let s3 = S3::new(S3Config::builder().region("eu-west-1").from_env()?.build()?)?;
let mut listing = s3.iterate_objects("my-bucket", "logs/");
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
pub struct S3 {
    http: HttpClient,
    requests: Arc<S3Requests>,
    /// Refreshes the credentials `requests` signs with (`None`: static or anonymous).
    credentials: Option<CredentialsProvider>,
}

impl S3 {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: S3Config) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: S3Config, transport: TransportConfig) -> Result<Self> {
        match config.credential_source.clone() {
            Some(source) => {
                let provider = CredentialsProvider::new(source)?;
                Self::with_credentials_provider(config, transport, provider)
            }
            None => Ok(S3 {
                http: HttpClient::new(transport)?.for_provider("s3"),
                requests: Arc::new(S3Requests::new(config)),
                credentials: None,
            }),
        }
    }

    /// A driver signing with what `provider` gives (refreshed before it expires), whatever
    /// credentials the configuration holds.
    pub fn with_credentials_provider(
        config: S3Config,
        transport: TransportConfig,
        provider: CredentialsProvider,
    ) -> Result<Self> {
        let cache = Some(provider.cache());
        Ok(S3 {
            http: HttpClient::new(transport)?.for_provider("s3"),
            requests: Arc::new(S3Requests::with_credentials(config, cache)),
            credentials: Some(provider),
        })
    }

    /// A driver sending through `http`, a client the caller built (in blocking mode
    /// `HttpClient::from_ureq_agent`, in async mode `HttpClient::from_reqwest_client`,
    /// which say what the library still controls), so TLS, proxies and pools are the
    /// caller's. Errors name `s3` as their provider. A configuration whose credentials
    /// come from a source (a role, instance metadata...) fetches them with the library's
    /// own short-timeout client (instance metadata must never go through a proxy).
    pub fn with_http_client(config: S3Config, http: HttpClient) -> Result<Self> {
        let http = http.for_provider("s3");
        let Some(source) = config.credential_source.clone() else {
            return Ok(S3 {
                http,
                requests: Arc::new(S3Requests::new(config)),
                credentials: None,
            });
        };
        let provider = CredentialsProvider::new(source)?;
        let cache = Some(provider.cache());
        Ok(S3 {
            http,
            requests: Arc::new(S3Requests::with_credentials(config, cache)),
            credentials: Some(provider),
        })
    }

    /// The request builder, once the credentials it signs with are fresh.
    #[maybe_async]
    async fn signer(&self) -> Result<&S3Requests> {
        if let Some(p) = &self.credentials {
            p.credentials().await?;
        }
        Ok(&self.requests)
    }

    /// A driver configured from the environment and the shared AWS files. Finding no
    /// credentials is an `InvalidInput` error naming where it looked; anonymous access is
    /// only ever asked for explicitly (`S3ConfigBuilder::anonymous`, `?anonymous=true`).
    pub fn from_env() -> Result<Self> {
        Self::new(S3Config::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &S3Config {
        self.requests.config()
    }

    /// Presigned URLs (1 s to 7 days, else `InvalidInput`) for the trait's `presign_get` / `presign_put`.
    /// `InvalidInput` for names no request may carry (see [`S3`]'s key rules).
    fn presign(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        expires: Duration,
    ) -> Result<String> {
        check_bucket(bucket)?;
        check_key(key)?;
        let secs = crate::storage::s3::requests::presign_validity(expires)?;
        let now = SystemTime::now();
        Ok(self.requests.presign(method, bucket, key, secs, now))
    }

    /// Sends a small request and checks its status.
    #[maybe_async]
    async fn call(&self, req: Request, context: &str) -> Result<crate::http::Response> {
        self.call_for(req, context, ErrorKind::Provider).await
    }

    /// [`call`](Self::call), naming what a bare 409 means for this operation.
    #[maybe_async]
    async fn call_for(
        &self,
        req: Request,
        context: &str,
        conflict: ErrorKind,
    ) -> Result<crate::http::Response> {
        let resp = self.http.send(&req).await?;
        responses::check_for(&resp, context, conflict)?;
        Ok(resp)
    }
}

/// Object names S3 accepts, minus `.` and `..` path segments: URL parsers (the async
/// client's among them) remove those before sending, so `../other-bucket/k` would reach
/// another bucket than the one signed for. Refused in both modes, plain and presigned.
fn check_key(key: &str) -> Result<()> {
    names::validate_object(key).map_err(|e| e.with_provider("s3"))?;
    // Literal dots only: a `%` in a key is sent encoded (`%252e`), which no parser rewrites.
    if key.split('/').any(|s| s == "." || s == "..") {
        return Err(Error::invalid(format!(
            "S3 key {key:?} has a '.' or '..' segment, which HTTP clients rewrite: it cannot \
             be addressed safely"
        ))
        .with_provider("s3"));
    }
    Ok(())
}

/// The hex MD5 of a PutObject's body: the one sent as `Content-MD5`, else computed now.
fn md5_hex(proof: &BodyProof, body: &[u8]) -> String {
    match proof {
        BodyProof::Md5(md5) => hex::encode(md5),
        BodyProof::Crc32c(_) => crate::storage::md5_hex(body),
    }
}

fn s3_error(e: Error) -> Error {
    e.with_provider("s3")
}

fn check_bucket(bucket: &str) -> Result<()> {
    names::validate_container(bucket).map_err(|e| e.with_provider("s3"))
}

#[maybe_async(AFIT)]
impl StorageDriver for S3 {
    fn provider_name(&self) -> &'static str {
        "s3"
    }

    fn presign_get(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.presign(Method::Get, container, name, expires)
    }

    fn presign_put(&self, container: &str, name: &str, expires: Duration) -> Result<String> {
        self.presign(Method::Put, container, name, expires)
    }

    /// Server side (CopyObject), up to S3's 5 GiB limit for one copy.
    async fn copy_object(
        &self,
        src_container: &str,
        src_name: &str,
        container: &str,
        name: &str,
    ) -> Result<Object> {
        let (src_bucket, src_key, bucket, key) = (src_container, src_name, container, name);
        check_bucket(bucket)?;
        check_bucket(src_bucket)?;
        check_key(key)?;
        names::validate_object(src_key).map_err(|e| e.with_provider("s3"))?;
        let req =
            self.signer()
                .await?
                .copy_object(src_bucket, src_key, bucket, key, SystemTime::now());
        // S3 pads a long copy's 200 with whitespace, then may send an <Error>: retried as
        // the 5xx it stands for.
        let resp = self
            .http
            .send_classified(&req, responses::effective_status)
            .await?;
        let context = format!("copying {src_key:?} to {key:?}");
        responses::result_etag(&resp, responses::COPY_RESULT, &context)?;
        self.get_object(bucket, key).await
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        let resp = self
            .http
            .send(&self.signer().await?.list_buckets(SystemTime::now()))
            .await?;
        responses::containers(&resp)
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        check_bucket(name)?;
        let req = self.signer().await?.head_bucket(name, SystemTime::now());
        self.call(req, &format!("bucket {name:?}")).await?;
        Ok(Container::new(name))
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        check_bucket(name)?;
        // us-east-1 (and some compatibles) answer 200 to re-creating one's own bucket:
        // look first, so "already exists" means the same on every store.
        let head = self
            .http
            .send(&self.signer().await?.head_bucket(name, SystemTime::now()))
            .await?;
        if head.is_success() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("bucket {name:?} already exists"),
            )
            .with_provider("s3")
            .with_status(409));
        }
        let req = self.signer().await?.create_bucket(name, SystemTime::now());
        let context = format!("creating bucket {name:?}");
        self.call_for(req, &context, ErrorKind::AlreadyExists)
            .await?;
        Ok(Container::new(name))
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        check_bucket(name)?;
        // Some S3-compatible servers delete non-empty buckets: check, so no store loses data.
        let page = self.list_objects_page(name, "", None, 1).await?;
        if !page.items.is_empty() {
            return Err(
                Error::new(ErrorKind::NotEmpty, format!("bucket {name:?} is not empty"))
                    .with_provider("s3")
                    .with_code("BucketNotEmpty"),
            );
        }
        let req = self.signer().await?.delete_bucket(name, SystemTime::now());
        let context = format!("deleting bucket {name:?}");
        self.call_for(req, &context, ErrorKind::NotEmpty).await?;
        Ok(())
    }

    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        check_bucket(container)?;
        let req =
            self.signer()
                .await?
                .list_objects(container, prefix, token, max, SystemTime::now());
        let resp = self
            .http
            .send_classified(&req, responses::effective_status)
            .await?;
        let page = match self.config().list_v1 {
            true => responses::object_page_v1(&resp, container, token),
            false => responses::object_page(&resp, container),
        };
        responses::objects_under(page?, prefix)
    }

    /// ListObjectsV2 (or v1, see `S3Config::list_v1`) with `delimiter`: the server groups
    /// the common prefixes.
    async fn list_entries_page(
        &self,
        container: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Entry>> {
        check_bucket(container)?;
        let req = self.signer().await?.list_entries(
            container,
            prefix,
            delimiter,
            token,
            max,
            SystemTime::now(),
        );
        let resp = self
            .http
            .send_classified(&req, responses::effective_status)
            .await?;
        if self.config().list_v1 {
            return responses::entry_page_v1(&resp, container, prefix, delimiter, token);
        }
        responses::entry_page(&resp, container, prefix, delimiter)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        check_bucket(container)?;
        check_key(name)?;
        let req = self
            .signer()
            .await?
            .head_object(container, name, SystemTime::now());
        let resp = self
            .call(req, &format!("object {name:?} in bucket {container:?}"))
            .await?;
        responses::object_from_headers(&resp, container, name)
    }

    async fn upload_bytes(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        check_bucket(container)?;
        check_key(name)?;
        let opts = opts.validated()?;
        if data.len() > self.requests.config().multipart_threshold {
            return self
                .upload_multipart(container, name, PartSource::whole(data), &opts)
                .await;
        }
        self.put_small(container, name, data, opts).await
    }

    async fn upload_reader<R: UploadReader>(
        &self,
        container: &str,
        name: &str,
        mut reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        check_bucket(container)?;
        check_key(name)?;
        let opts = opts.validated()?;
        let threshold = self.requests.config().multipart_threshold;
        // Read one byte past the threshold to know which path to take.
        // Most readers are small: start small and let the buffer grow.
        let head = rt::read_up_to(&mut reader, threshold + 1, 64 * 1024).await?;
        if head.len() <= threshold {
            return self.put_small(container, name, head.into(), opts).await;
        }
        let source = PartSource {
            head,
            rest: reader,
            total: None,
        };
        self.upload_multipart(container, name, source, &opts).await
    }

    async fn open_object_with(
        &self,
        container: &str,
        name: &str,
        opts: &GetOptions,
    ) -> Result<(Object, ObjectReader)> {
        check_bucket(container)?;
        check_key(name)?;
        let range = opts.range;
        if range.end.is_some_and(|e| e <= range.start) {
            // An empty range cannot be asked of S3: check it against the size instead.
            let object = self.get_object(container, name).await?;
            opts.conditions.check(&object).map_err(s3_error)?;
            range.resolve(object.size).map_err(s3_error)?;
            return Ok((object, rt::bytes_reader(Bytes::new())));
        }
        let req = self
            .signer()
            .await?
            .get_object(container, name, opts, SystemTime::now());
        let resp = self.http.send_streaming(&req).await?;
        if !(200..300).contains(&resp.status) {
            let limit = self.http.config().max_response_body;
            let full = resp.into_error_response(limit).await;
            let context = format!("reading {name:?} in bucket {container:?}");
            return Err(responses::error_from(&full, &context));
        }
        let length = resp
            .header("content-length")
            .and_then(|l| l.trim().parse().ok());
        let answer = check_range_answer(range, resp.status, resp.header("content-range"), length)
            .map_err(|e| {
            let what = format!("reading {name:?} in bucket {container:?}: {}", e.message());
            Error::new(e.kind(), what)
                .with_provider("s3")
                .with_status(resp.status)
        })?;
        let mut object = responses::object_from_header_list(&resp.headers, container, name)?;
        object.size = answer.total;
        // Some S3-compatible servers ignore read conditions: hold them to the answer.
        opts.conditions.check(&object).map_err(s3_error)?;
        let check = LengthCheck::new(answer.len, "s3", container, name);
        Ok((object, rt::exact_length(resp.body, check)))
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        check_bucket(container)?;
        check_key(name)?;
        let req = self
            .signer()
            .await?
            .delete_object(container, name, SystemTime::now());
        self.call(req, &format!("deleting {name:?}")).await?;
        Ok(())
    }

    /// Deletes in batches of 1000 keys per request (DeleteObjects), `concurrency` batches
    /// at once.
    async fn delete_many(
        &self,
        container: &str,
        names: Vec<String>,
        concurrency: usize,
    ) -> Vec<Result<()>> {
        let batches: Vec<Vec<String>> = names.chunks(1000).map(<[String]>::to_vec).collect();
        let (s3, bucket) = (self.clone(), Arc::new(container.to_owned()));
        let results = rt::spawn_bounded(batches, concurrency, move |batch| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                let outcome = s3.delete_batch(&bucket, &batch).await;
                (batch, outcome)
            }
        })
        .await;
        let mut out = Vec::with_capacity(names.len());
        for (batch, outcome) in results {
            match outcome {
                Ok(mut failures) => {
                    for key in batch {
                        match failures.iter().position(|(k, _)| *k == key) {
                            Some(i) => out.push(Err(failures.swap_remove(i).1)),
                            None => out.push(Ok(())),
                        }
                    }
                }
                Err(e) => out.extend(batch.iter().map(|_| Err(e.replicate()))),
            }
        }
        out
    }
}

impl S3 {
    /// One PutObject, with names and options already checked.
    #[maybe_async]
    async fn put_small(
        &self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: UploadOptions,
    ) -> Result<Object> {
        let size = data.len() as u64;
        let tracker = opts.tracker(name, Some(size));
        tracker.check()?;
        let (req, proof) =
            self.signer()
                .await?
                .put_object(container, name, data, &opts, SystemTime::now());
        let body = req.body.clone();
        let resp = match self.call(req, &format!("uploading {name:?}")).await {
            Ok(resp) => resp,
            Err(e) => {
                let e = responses::condition_error(e, opts.condition.as_ref());
                let landed = opts.condition.is_some().then(|| md5_hex(&proof, &body));
                let object = self
                    .landed_anyway(container, name, landed.as_deref(), e)
                    .await?;
                tracker.advance(size);
                return Ok(object);
            }
        };
        let etag = responses::etag(&resp);
        self.check_stored(container, name, &resp, &proof, &body)
            .await?;
        tracker.advance(size);
        let mut o = Object::new(container, name, size);
        o.hash = etag;
        o.content_type = Some(
            opts.content_type
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        );
        o.metadata = opts.metadata;
        // The store's clock, not ours: conditions compare against the store's times.
        o.last_modified = resp
            .header("date")
            .and_then(|d| httpdate::parse_http_date(d).ok());
        Ok(o)
    }

    /// Whether the store holds the bytes sent: the CRC32C it answered when it checked
    /// one, else its ETag against their MD5. A store that stored other bytes (corrupted on
    /// the way; not every S3-compatible server checks the payload's hash) has the object
    /// removed, so no reader gets them, and the upload is `Integrity`.
    #[maybe_async]
    async fn check_stored(
        &self,
        container: &str,
        name: &str,
        resp: &crate::http::Response,
        proof: &BodyProof,
        body: &[u8],
    ) -> Result<()> {
        if let BodyProof::Crc32c(sent) = proof {
            match checksum::crc32c_answer(resp, sent, name) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => {
                    let _ = self.delete_object(container, name).await;
                    let message = format!("{}; the corrupt object was deleted", e.message());
                    return Err(Error::new(ErrorKind::Integrity, message).with_provider("s3"));
                }
            }
        }
        if !self.requests.config().verify_etags {
            return Ok(());
        }
        let etag = responses::etag(resp);
        self.check_stored_md5(container, name, etag.as_deref(), &md5_hex(proof, body))
            .await
    }

    #[maybe_async]
    async fn check_stored_md5(
        &self,
        container: &str,
        name: &str,
        etag: Option<&str>,
        md5: &str,
    ) -> Result<()> {
        let verify = self.requests.config().verify_etags;
        let Some(etag) = etag.filter(|e| verify && is_md5_hex(e) && !e.eq_ignore_ascii_case(md5))
        else {
            return Ok(());
        };
        let _ = self.delete_object(container, name).await;
        Err(Error::new(
            ErrorKind::Integrity,
            format!("uploading {name:?}: the store's ETag {etag} is not the MD5 {md5} of the bytes sent; the corrupt object was deleted"),
        )
        .with_provider("s3"))
    }

    /// A conditional PUT refused with 412 may be a retry whose first attempt landed (its
    /// answer lost): when the object now holds exactly the bytes sent (`md5`), the upload
    /// did happen and is reported so; any other error stands.
    #[maybe_async]
    async fn landed_anyway(
        &self,
        container: &str,
        name: &str,
        md5: Option<&str>,
        error: Error,
    ) -> Result<Object> {
        let Some(md5) = md5.filter(|_| error.kind() == ErrorKind::PreconditionFailed) else {
            return Err(error);
        };
        self.holding(container, name, md5, error).await
    }

    /// The object, when the store now holds the version with `etag` (a write of ours
    /// whose answer was lost); `error` otherwise.
    #[maybe_async]
    async fn holding(&self, bucket: &str, key: &str, etag: &str, error: Error) -> Result<Object> {
        match self.get_object(bucket, key).await {
            Ok(o) if o.hash.as_deref() == Some(etag) => Ok(o),
            _ => Err(error),
        }
    }

    /// One DeleteObjects request; returns the keys that failed.
    #[maybe_async]
    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<(String, Error)>> {
        check_bucket(bucket)?;
        for k in keys {
            check_key(k)?;
        }
        let req = self
            .signer()
            .await?
            .delete_objects(bucket, keys, SystemTime::now());
        let resp = self
            .http
            .send_classified(&req, responses::effective_status)
            .await?;
        responses::delete_failures(&resp, bucket)
    }
}
