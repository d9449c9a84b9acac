use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::super::http::{HttpClient, TransportConfig};
use super::UploadReader;
use super::rt::{self, maybe_async};
use super::{ByteRange, Container, Object, ObjectReader, Page, StorageDriver, UploadOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Method, Request};
use crate::storage::s3::{S3Config, S3Requests, responses};
use crate::storage::{is_md5_hex, names};

/// Amazon S3 and S3-compatible stores (MinIO, Cloudflare R2, Ceph, DigitalOcean Spaces,
/// Wasabi...).
///
/// Each method builds a signed request in the pure core ([`S3Requests`]), sends it through
/// the mode's pooled [`HttpClient`] (retries, timeouts) and parses the answer in the core.
/// Uploads from readers above the multipart threshold go up in parts, several at once,
/// with memory bounded by `part_size × part_concurrency`; a failed or cancelled multipart
/// upload is aborted so no parts are left behind.
///
/// ```no_run
/// # #[cfg(feature = "blocking")] {
/// use multicloud::blocking::storage::{S3, StorageDriver};
/// use multicloud::storage::s3::S3Config;
/// let s3 = S3::new(S3Config::builder().region("eu-west-1").from_env()?.build()?)?;
/// for object in s3.iterate_objects("my-bucket", "logs/") {
///     println!("{}", object?.name);
/// }
/// # }
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct S3 {
    http: HttpClient,
    requests: Arc<S3Requests>,
}

impl S3 {
    /// A driver for this configuration with the default transport settings.
    pub fn new(config: S3Config) -> Result<Self> {
        Self::with_transport(config, TransportConfig::default())
    }

    /// A driver with custom transport settings (timeouts, retries).
    pub fn with_transport(config: S3Config, transport: TransportConfig) -> Result<Self> {
        Ok(S3 {
            http: HttpClient::new(transport)?,
            requests: Arc::new(S3Requests::new(config)),
        })
    }

    /// A driver configured from the environment and the shared AWS files.
    pub fn from_env() -> Result<Self> {
        Self::new(S3Config::builder().from_env()?.build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &S3Config {
        self.requests.config()
    }

    /// A presigned URL that lets anyone `GET` the object for `expires` (at most 7 days),
    /// with any HTTP client.
    pub fn presign_get(&self, bucket: &str, key: &str, expires: Duration) -> String {
        self.requests.presign(
            Method::Get,
            bucket,
            key,
            expires.as_secs(),
            SystemTime::now(),
        )
    }

    /// A presigned URL that lets anyone `PUT` the object for `expires` (at most 7 days).
    pub fn presign_put(&self, bucket: &str, key: &str, expires: Duration) -> String {
        self.requests.presign(
            Method::Put,
            bucket,
            key,
            expires.as_secs(),
            SystemTime::now(),
        )
    }

    /// Copies an object server side.
    #[maybe_async]
    pub async fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        bucket: &str,
        key: &str,
    ) -> Result<Object> {
        check_key(key)?;
        check_key(src_key)?;
        let req = self
            .requests
            .copy_object(src_bucket, src_key, bucket, key, SystemTime::now());
        let resp = self.http.send(&req).await?;
        responses::result_etag(&resp, &format!("copying {src_key:?} to {key:?}"))?;
        self.get_object(bucket, key).await
    }

    /// Multipart uploads in progress in `bucket` under `prefix`: `(key, upload id)`.
    #[maybe_async]
    pub async fn list_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<(String, String)>> {
        let req = self
            .requests
            .list_multipart_uploads(bucket, prefix, SystemTime::now());
        let resp = self.http.send(&req).await?;
        responses::multipart_uploads(&resp, bucket)
    }

    /// Sends a small request and checks its status.
    #[maybe_async]
    async fn call(&self, req: Request, context: &str) -> Result<crate::http::Response> {
        let resp = self.http.send(&req).await?;
        responses::check(&resp, context)?;
        Ok(resp)
    }

    /// Uploads `head` (already read) followed by the rest of `reader` in parts.
    #[maybe_async]
    async fn upload_multipart<R: UploadReader>(
        &self,
        bucket: &str,
        key: &str,
        head: Vec<u8>,
        reader: R,
        opts: &UploadOptions,
    ) -> Result<Object> {
        let now = SystemTime::now();
        let resp = self
            .http
            .send(&self.requests.create_multipart(bucket, key, opts, now))
            .await?;
        let upload_id = responses::upload_id(&resp, key)?;
        let guard = AbortOnDrop {
            http: self.http.clone(),
            request: Some(self.requests.abort_multipart(bucket, key, &upload_id, now)),
        };
        match self.send_parts(bucket, key, &upload_id, head, reader).await {
            Ok(object) => {
                guard.disarm();
                Ok(object)
            }
            Err(e) => {
                // Abort now (and wait for it) so no parts are left behind.
                let abort =
                    self.requests
                        .abort_multipart(bucket, key, &upload_id, SystemTime::now());
                guard.disarm();
                let _ = self.http.send(&abort).await;
                Err(e)
            }
        }
    }

    #[maybe_async]
    async fn send_parts<R: UploadReader>(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        head: Vec<u8>,
        reader: R,
    ) -> Result<Object> {
        use super::rt::ReadExt;
        let cfg = self.requests.config();
        let source = std::io::Cursor::new(head).chain(reader);
        let part_md5s: std::sync::Mutex<Vec<(u32, [u8; 16])>> = std::sync::Mutex::new(Vec::new());
        let etags = rt::upload_parts(source, cfg.part_size, cfg.part_concurrency, |n, bytes| {
            let part_md5s = &part_md5s;
            async move {
                let (req, md5) =
                    self.requests
                        .upload_part(bucket, key, upload_id, n, bytes, SystemTime::now());
                let resp = self.http.send(&req).await?;
                responses::check(&resp, &format!("uploading part {n} of {key:?}"))?;
                let etag = responses::etag(&resp).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Parse,
                        format!("S3 sent no ETag for part {n} of {key:?}"),
                    )
                    .with_provider("s3")
                })?;
                if cfg.verify_etags && is_md5_hex(&etag) && etag != hex::encode(md5) {
                    return Err(Error::new(
                        ErrorKind::Integrity,
                        format!(
                            "part {n} of {key:?}: the store's ETag {etag} is not the MD5 we sent"
                        ),
                    )
                    .with_provider("s3"));
                }
                part_md5s
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((n, md5));
                Ok(etag)
            }
        })
        .await?;
        let req =
            self.requests
                .complete_multipart(bucket, key, upload_id, &etags, SystemTime::now());
        let resp = self.http.send(&req).await?;
        let final_etag =
            responses::result_etag(&resp, &format!("completing the upload of {key:?}"))?;
        let mut md5s = part_md5s
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        md5s.sort_unstable_by_key(|(n, _)| *n);
        let expected = multipart_etag(&md5s);
        if let Some(etag) = &final_etag {
            if cfg.verify_etags && etag.contains('-') && *etag != expected {
                return Err(Error::new(
                    ErrorKind::Integrity,
                    format!(
                        "{key:?}: final ETag {etag} does not match the parts sent ({expected})"
                    ),
                )
                .with_provider("s3"));
            }
        }
        self.get_object(bucket, key).await
    }
}

/// Aborts a multipart upload when dropped armed: on a panic, or when an async upload is
/// cancelled (its future dropped), the abort is sent in the background.
struct AbortOnDrop {
    http: HttpClient,
    request: Option<Request>,
}

impl AbortOnDrop {
    fn disarm(mut self) {
        self.request = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(req) = self.request.take() {
            rt::send_detached(self.http.clone(), req);
        }
    }
}

/// S3's multipart ETag: the MD5 of the parts' MD5s, a dash, the part count.
fn multipart_etag(md5s: &[(u32, [u8; 16])]) -> String {
    use md5::Digest;
    let mut h = md5::Md5::new();
    for (_, m) in md5s {
        h.update(m);
    }
    format!("{}-{}", hex::encode(h.finalize()), md5s.len())
}

fn check_key(key: &str) -> Result<()> {
    names::validate_object(key).map_err(|e| e.with_provider("s3"))
}

fn check_bucket(bucket: &str) -> Result<()> {
    names::validate_container(bucket).map_err(|e| e.with_provider("s3"))
}

#[maybe_async(AFIT)]
impl StorageDriver for S3 {
    fn provider_name(&self) -> &'static str {
        "s3"
    }

    async fn list_containers(&self) -> Result<Vec<Container>> {
        let resp = self
            .http
            .send(&self.requests.list_buckets(SystemTime::now()))
            .await?;
        responses::containers(&resp)
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        check_bucket(name)?;
        let req = self.requests.head_bucket(name, SystemTime::now());
        self.call(req, &format!("bucket {name:?}")).await?;
        Ok(Container::new(name))
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        check_bucket(name)?;
        // us-east-1 (and some compatibles) answer 200 to re-creating one's own bucket:
        // look first, so "already exists" means the same on every store.
        let head = self
            .http
            .send(&self.requests.head_bucket(name, SystemTime::now()))
            .await?;
        if head.is_success() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("bucket {name:?} already exists"),
            )
            .with_provider("s3")
            .with_status(409));
        }
        let req = self.requests.create_bucket(name, SystemTime::now());
        self.call(req, &format!("creating bucket {name:?}")).await?;
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
        let req = self.requests.delete_bucket(name, SystemTime::now());
        self.call(req, &format!("deleting bucket {name:?}")).await?;
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
        let req = self
            .requests
            .list_objects(container, prefix, token, max, SystemTime::now());
        let resp = self.http.send(&req).await?;
        responses::object_page(&resp, container)
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        check_bucket(container)?;
        check_key(name)?;
        let req = self
            .requests
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
                .upload_multipart(
                    container,
                    name,
                    Vec::new(),
                    std::io::Cursor::new(data),
                    &opts,
                )
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
        self.upload_multipart(container, name, head, reader, &opts)
            .await
    }

    async fn open_object_range(
        &self,
        container: &str,
        name: &str,
        range: ByteRange,
    ) -> Result<(Object, ObjectReader)> {
        check_bucket(container)?;
        check_key(name)?;
        if range.end.is_some_and(|e| e <= range.start) {
            // An empty range cannot be asked of S3: check it against the size instead.
            let object = self.get_object(container, name).await?;
            range
                .resolve(object.size)
                .map_err(|e| e.with_provider("s3"))?;
            return Ok((object, rt::bytes_reader(Bytes::new())));
        }
        let req = self
            .requests
            .get_object(container, name, range, SystemTime::now());
        let resp = self.http.send_streaming(&req).await?;
        if !(200..300).contains(&resp.status) {
            let full = resp.into_response().await?;
            let context = format!("reading {name:?} in bucket {container:?}");
            return Err(responses::error_from(&full, &context));
        }
        let object = responses::object_from_header_list(&resp.headers, container, name)?;
        Ok((object, resp.body))
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        check_bucket(container)?;
        check_key(name)?;
        let req = self
            .requests
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
        let results = rt::run_bounded(batches, concurrency, |batch| async move {
            let outcome = self.delete_batch(container, &batch).await;
            (batch, outcome)
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
                Err(e) => {
                    for _ in &batch {
                        out.push(Err(Error::new(e.kind(), e.to_string()).with_provider("s3")));
                    }
                }
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
        let req = self
            .requests
            .put_object(container, name, data, &opts, SystemTime::now());
        let resp = self.call(req, &format!("uploading {name:?}")).await?;
        let mut o = Object::new(container, name, size);
        o.hash = responses::etag(&resp);
        o.content_type = Some(
            opts.content_type
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        );
        o.metadata = opts.metadata;
        o.last_modified = Some(SystemTime::now());
        Ok(o)
    }

    /// One DeleteObjects request; returns the keys that failed.
    #[maybe_async]
    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<(String, Error)>> {
        check_bucket(bucket)?;
        for k in keys {
            check_key(k)?;
        }
        let req = self
            .requests
            .delete_objects(bucket, keys, SystemTime::now());
        let resp = self.http.send(&req).await?;
        responses::delete_failures(&resp, bucket)
    }
}
