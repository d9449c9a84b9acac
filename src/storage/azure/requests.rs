//! Building Azure Blob requests, unauthorized: the shell adds the authorization last
//! ([`AzureRequests::sign_shared_key`], a SAS token or a bearer token), so every way of
//! authorizing sees the request exactly as it will be sent. Pure: clocks are arguments.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{AzureConfig, SasToken};
use crate::error::{Error, Result};
use crate::http::{Method, Request};
use crate::signing::azure_sas::{self, BlobPermissions, BlobSas, SasProtocol};
use crate::signing::azure_sharedkey::{self, AccountKey, Unsigned};
use crate::storage::{ByteRange, GetOptions, UploadOptions};

/// The service version every request asks for: the SAS signed version, so requests made
/// with our SAS and with Shared Key behave the same.
pub const VERSION: &str = azure_sas::SIGNED_VERSION;

/// The header naming a Copy Blob's source (its SAS, when there is one, rides in it).
pub const COPY_SOURCE: &str = "x-ms-copy-source";

/// Path characters sent as they are: unreserved ones and `/` (blob names are paths).
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Query values: unreserved characters only (`+` goes as `%2B`, never read as a space).
const QUERY: &AsciiSet = &PATH.add(b'/');

/// Builds every request the Azure driver sends.
#[derive(Debug, Clone)]
pub struct AzureRequests {
    cfg: AzureConfig,
}

impl AzureRequests {
    /// Requests for this configuration.
    pub fn new(cfg: AzureConfig) -> Self {
        AzureRequests { cfg }
    }

    /// The configuration.
    pub fn config(&self) -> &AzureConfig {
        &self.cfg
    }

    /// `{endpoint}/{container}/{blob}?{query}`, names and values percent-encoded.
    fn url(&self, container: Option<&str>, blob: Option<&str>, query: &[(&str, &str)]) -> String {
        let mut url = self.cfg.endpoint.as_str().trim_end_matches('/').to_owned();
        for part in [container, blob].into_iter().flatten() {
            url.push('/');
            url.extend(utf8_percent_encode(part, PATH));
        }
        if container.is_none() {
            url.push('/');
        }
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.extend(utf8_percent_encode(v, QUERY));
        }
        url
    }

    fn request(&self, method: Method, url: String) -> Request {
        Request::new(method, url).header("x-ms-version", VERSION)
    }

    /// List Containers, one page.
    pub fn list_containers(&self, marker: Option<&str>) -> Request {
        let mut q = vec![("comp", "list")];
        q.extend(marker.map(|m| ("marker", m)));
        self.request(Method::Get, self.url(None, None, &q))
    }

    /// Get Container Properties (HEAD).
    pub fn container_properties(&self, container: &str) -> Request {
        let url = self.url(Some(container), None, &[("restype", "container")]);
        self.request(Method::Head, url)
    }

    /// Create Container.
    pub fn create_container(&self, container: &str) -> Request {
        let url = self.url(Some(container), None, &[("restype", "container")]);
        with_empty_length(self.request(Method::Put, url))
    }

    /// Delete Container.
    pub fn delete_container(&self, container: &str) -> Request {
        let url = self.url(Some(container), None, &[("restype", "container")]);
        self.request(Method::Delete, url)
    }

    /// List Blobs, one page of at most `max` (Azure caps it at 5000).
    pub fn list_blobs(&self, container: &str, page: ListPage<'_>) -> Request {
        let max = page.max.clamp(1, 5000).to_string();
        let mut q = vec![("restype", "container"), ("comp", "list")];
        q.extend(page.delimiter.map(|d| ("delimiter", d)));
        q.extend(page.marker.map(|m| ("marker", m)));
        q.push(("maxresults", &max));
        q.extend((!page.prefix.is_empty()).then_some(("prefix", page.prefix)));
        self.request(Method::Get, self.url(Some(container), None, &q))
    }

    /// Get Blob Properties (HEAD).
    pub fn blob_properties(&self, container: &str, blob: &str) -> Request {
        self.request(Method::Head, self.url(Some(container), Some(blob), &[]))
    }

    /// Get Blob, whole or a range (`x-ms-range`), with the read conditions as headers.
    pub fn get_blob(&self, container: &str, blob: &str, opts: &GetOptions) -> Request {
        let mut req = self.request(Method::Get, self.url(Some(container), Some(blob), &[]));
        for (name, value) in opts.conditions.headers() {
            req = req.header(name, value);
        }
        match opts.range {
            ByteRange {
                start: 0,
                end: None,
            } => {}
            ByteRange { start, end: None } => {
                req = req.header("x-ms-range", format!("bytes={start}-"))
            }
            ByteRange {
                start,
                end: Some(end),
            } => {
                let last = end.saturating_sub(1);
                req = req.header("x-ms-range", format!("bytes={start}-{last}"));
            }
        }
        req.transfer()
    }

    /// Put Blob (a block blob) with `Content-MD5`, which the service checks, the stored
    /// content type, metadata and the write condition.
    pub fn put_blob(
        &self,
        container: &str,
        blob: &str,
        body: Bytes,
        opts: &UploadOptions,
    ) -> Request {
        let md5 = STANDARD.encode(md5_of(&body));
        let req = self
            .request(Method::Put, self.url(Some(container), Some(blob), &[]))
            .header("x-ms-blob-type", "BlockBlob")
            .header("content-md5", md5);
        with_empty_length(with_properties(req, opts).body(body).transfer())
    }

    /// Put Block, with `Content-MD5`.
    pub fn put_block(&self, container: &str, blob: &str, id: &str, body: Bytes) -> Request {
        let q = [("comp", "block"), ("blockid", id)];
        let md5 = STANDARD.encode(md5_of(&body));
        self.request(Method::Put, self.url(Some(container), Some(blob), &q))
            .header("content-md5", md5)
            .header("content-type", "application/octet-stream")
            .body(body)
            .transfer()
    }

    /// Put Block List committing `ids` in order, stating the whole content's MD5
    /// (`x-ms-blob-content-md5`), content type, metadata and the write condition.
    pub fn put_block_list(
        &self,
        container: &str,
        blob: &str,
        ids: &[String],
        md5: [u8; 16],
        opts: &UploadOptions,
    ) -> Request {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        for id in ids {
            // Block ids are base64: nothing in them needs escaping.
            xml.push_str("<Latest>");
            xml.push_str(id);
            xml.push_str("</Latest>");
        }
        xml.push_str("</BlockList>");
        let body = Bytes::from(xml);
        let url = self.url(Some(container), Some(blob), &[("comp", "blocklist")]);
        let req = self
            .request(Method::Put, url)
            .header("content-md5", STANDARD.encode(md5_of(&body)))
            .header("x-ms-blob-content-md5", STANDARD.encode(md5));
        with_properties(req, opts)
            .header("content-type", "application/xml")
            .body(body)
    }

    /// Delete Blob.
    pub fn delete_blob(&self, container: &str, blob: &str) -> Request {
        self.request(Method::Delete, self.url(Some(container), Some(blob), &[]))
    }

    /// One Delete Blob of a batch: no `x-ms-version` (the batch's applies to it).
    pub fn batch_delete_part(&self, container: &str, blob: &str) -> Request {
        let url = self.url(Some(container), Some(blob), &[]);
        Request::new(Method::Delete, url).header("content-length", "0")
    }

    /// Blob Batch on `container`: the (authorized) `parts` as one `multipart/mixed` POST.
    /// Deleting is idempotent, so the batch may be retried like any delete.
    pub fn batch(&self, container: &str, parts: &[Request], boundary: &str) -> Request {
        let mut body = String::new();
        for (i, part) in parts.iter().enumerate() {
            let target = part.url.find("://").and_then(|s| {
                let rest = &part.url[s + 3..];
                rest.find('/').map(|p| &rest[p..])
            });
            body.push_str(&format!(
                "--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {i}\r\n\r\n{} {} HTTP/1.1\r\n",
                part.method.as_str(),
                target.unwrap_or("/")
            ));
            for (k, v) in &part.headers {
                body.push_str(&format!("{k}: {v}\r\n"));
            }
            body.push_str("\r\n");
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let q = [("restype", "container"), ("comp", "batch")];
        let mut req = self
            .request(Method::Post, self.url(Some(container), None, &q))
            .header(
                "content-type",
                format!("multipart/mixed; boundary={boundary}"),
            )
            .body(body);
        req.idempotent = true;
        req
    }

    /// Copy Blob from `src_container/src_blob` of the same account (the source's content
    /// type and metadata come along).
    pub fn copy_blob(&self, src: (&str, &str), container: &str, blob: &str) -> Request {
        let source = self.url(Some(src.0), Some(src.1), &[]);
        let req = self.request(Method::Put, self.url(Some(container), Some(blob), &[]));
        with_empty_length(req.header(COPY_SOURCE, source))
    }

    /// A service SAS URL for one blob, valid from a few minutes before `now` (clock skew)
    /// for `expires`, over the endpoint's scheme.
    pub fn presign(
        &self,
        key: &AccountKey,
        target: (&str, &str),
        permissions: BlobPermissions,
        now: SystemTime,
        expires: Duration,
    ) -> Result<String> {
        let (container, blob) = target;
        let start = now.checked_sub(Duration::from_secs(300)).unwrap_or(now);
        let expiry = now
            .checked_add(expires)
            .ok_or_else(|| Error::invalid("presigned URL expiry is too far away"))?;
        let protocol = match self.cfg.endpoint.scheme() {
            "https" => SasProtocol::Https,
            _ => SasProtocol::HttpsAndHttp,
        };
        let sas = BlobSas::new(container, blob, permissions, start, expiry).protocol(protocol);
        let signed = azure_sas::sign_blob(&self.cfg.account, key, &sas)?;
        Ok(format!(
            "{}?{}",
            self.url(Some(container), Some(blob), &[]),
            signed.query
        ))
    }

    /// Adds `x-ms-date` and the Shared Key `Authorization` of exactly the request as it
    /// will be sent.
    pub fn sign_shared_key(
        &self,
        key: &AccountKey,
        mut req: Request,
        now: SystemTime,
    ) -> Result<Request> {
        req.headers
            .push(("x-ms-date".to_owned(), azure_sharedkey::x_ms_date(now)));
        let unsigned = Unsigned {
            method: req.method.as_str(),
            url: &req.url,
            headers: &req.headers,
            content_length: req.body.len() as u64,
        };
        let signed = azure_sharedkey::sign(&self.cfg.account, key, &unsigned)?;
        Ok(req.header("authorization", signed.authorization))
    }
}

/// A PUT without a body states `Content-Length: 0`: Azure refuses a PUT without a
/// length, and the async transport sends none for an empty body.
fn with_empty_length(req: Request) -> Request {
    let stated = req
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
    match req.method == Method::Put && req.body.is_empty() && !stated {
        true => req.header("content-length", "0"),
        false => req,
    }
}

/// Adds `x-ms-date` and `Authorization: Bearer` (a Microsoft Entra token); Azure wants
/// the request's time with every authorized request.
pub fn with_bearer(req: Request, token: &str, now: SystemTime) -> Request {
    req.header("x-ms-date", azure_sharedkey::x_ms_date(now))
        .header("authorization", format!("Bearer {token}"))
}

/// Appends a SAS token to a URL's query (and to a copy's source, which the service
/// reads with the same rights).
pub fn with_sas(mut req: Request, token: &SasToken) -> Request {
    append_query(&mut req.url, token.query());
    if let Some((_, source)) = req.headers.iter_mut().find(|(k, _)| k == COPY_SOURCE) {
        append_query(source, token.query());
    }
    req
}

fn append_query(url: &mut String, query: &str) {
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(query);
}

/// One List Blobs page's parameters.
#[derive(Debug, Clone, Copy)]
pub struct ListPage<'a> {
    /// Names start with this.
    pub prefix: &'a str,
    /// Group names at this delimiter (`BlobPrefix`), if any.
    pub delimiter: Option<&'a str>,
    /// The previous page's `NextMarker`.
    pub marker: Option<&'a str>,
    /// At most this many entries.
    pub max: usize,
}

/// Content type, metadata and the write condition of an upload.
fn with_properties(mut req: Request, opts: &UploadOptions) -> Request {
    let content_type = opts
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    req = req.header("x-ms-blob-content-type", content_type);
    for (k, v) in &opts.metadata {
        req = req.header(format!("x-ms-meta-{k}"), v);
    }
    if let Some(c) = &opts.condition {
        let (name, value) = c.header();
        req = req.header(name, value);
    }
    req
}

/// A block id: the same length for every block of a blob (Azure requires it), unique to
/// this upload (`nonce`) so blocks of another upload of the same name never mix in.
pub fn block_id(nonce: u64, n: u32) -> String {
    STANDARD.encode(format!("{nonce:016x}-{n:06}"))
}

/// The MD5 of `data`.
pub fn md5_of(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

/// The MD5 of a block upload's whole content, fed with blocks as they are sent. Blocks
/// may reach it out of order (they are sent in parallel); each is hashed once all before
/// it are, so the digest is the content's in order. A block waiting for an earlier one is
/// held by reference (`Bytes`), and only while that earlier block is itself in flight.
#[derive(Debug, Default)]
pub struct BlockDigest(std::sync::Mutex<DigestState>);

#[derive(Debug, Default)]
struct DigestState {
    hashed: u32,
    size: u64,
    waiting: std::collections::BTreeMap<u32, Bytes>,
    md5: md5::Md5,
}

impl BlockDigest {
    /// Adds block `n` (numbered from 1).
    pub fn add(&self, n: u32, block: &Bytes) {
        use md5::Digest;
        let mut st = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        st.waiting.insert(n, block.clone());
        loop {
            let wanted = st.hashed + 1;
            let Some(next) = st.waiting.remove(&wanted) else {
                break;
            };
            st.md5.update(&next);
            st.size += next.len() as u64;
            st.hashed += 1;
        }
    }

    /// The MD5 and size of everything added; `Err` naming the first missing block if
    /// there is a gap (which would be a bug in the sender).
    pub fn finish(self) -> Result<([u8; 16], u64)> {
        use md5::Digest;
        let st = self
            .0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = st.waiting.keys().next() {
            return Err(Error::new(
                crate::ErrorKind::Integrity,
                format!("block {} was never hashed (block {n} was)", st.hashed + 1),
            ));
        }
        Ok((st.md5.finalize().into(), st.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_digest_hashes_in_order_whatever_the_arrival() {
        let d = BlockDigest::default();
        for n in [2u32, 3, 1, 5, 4] {
            d.add(n, &Bytes::from(vec![n as u8; 10]));
        }
        let (md5, size) = d.finish().unwrap();
        let whole: Vec<u8> = (1..=5u8).flat_map(|n| vec![n; 10]).collect();
        assert_eq!((md5, size), (md5_of(&whole), 50));
        let gap = BlockDigest::default();
        gap.add(2, &Bytes::from_static(b"x"));
        assert!(gap.finish().is_err());
    }

    fn requests() -> AzureRequests {
        AzureRequests::new(AzureConfig::builder().emulator().build().unwrap())
    }

    #[test]
    fn names_and_values_are_encoded_for_the_path_and_query() {
        let r = requests();
        let req = r.blob_properties("c", "a b/+?#%.txt");
        assert_eq!(
            req.url,
            "http://127.0.0.1:10000/devstoreaccount1/c/a%20b/%2B%3F%23%25.txt"
        );
        let page = ListPage {
            prefix: "p+/",
            delimiter: Some("/"),
            marker: Some("m=1"),
            max: 9000,
        };
        let url = r.list_blobs("c", page).url;
        assert!(url.ends_with("?restype=container&comp=list&delimiter=%2F&marker=m%3D1&maxresults=5000&prefix=p%2B%2F"), "{url}");
    }

    #[test]
    fn shared_key_signs_the_request_as_sent() {
        let r = requests();
        let key = AccountKey::from_base64(crate::storage::azure::config::EMULATOR_KEY).unwrap();
        let req = r.put_blob(
            "c",
            "k",
            Bytes::from_static(b"abc"),
            &UploadOptions::new().create_only(),
        );
        let signed = r
            .sign_shared_key(&key, req, SystemTime::UNIX_EPOCH)
            .unwrap();
        let auth = signed
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap();
        assert!(auth.1.starts_with("SharedKey devstoreaccount1:"));
        assert!(
            signed
                .headers
                .iter()
                .any(|(k, v)| k == "if-none-match" && v == "*")
        );
    }

    #[test]
    fn a_batch_carries_each_part_as_sent() {
        let r = requests();
        let parts = [
            r.batch_delete_part("c", "a b"),
            r.batch_delete_part("c", "x"),
        ];
        let req = r.batch("c", &parts, "batch_1");
        assert!(req.idempotent, "deletes may be repeated");
        assert!(
            req.url
                .ends_with("/devstoreaccount1/c?restype=container&comp=batch")
        );
        let body = std::str::from_utf8(&req.body).unwrap();
        assert!(body.starts_with("--batch_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 0\r\n\r\nDELETE /devstoreaccount1/c/a%20b HTTP/1.1\r\ncontent-length: 0\r\n\r\n--batch_1\r\n"), "{body}");
        assert!(body.ends_with("Content-ID: 1\r\n\r\nDELETE /devstoreaccount1/c/x HTTP/1.1\r\ncontent-length: 0\r\n\r\n--batch_1--\r\n"), "{body}");
    }

    #[test]
    fn block_ids_have_one_length() {
        assert_eq!(block_id(1, 1).len(), block_id(u64::MAX, 999_999).len());
        assert_ne!(block_id(1, 2), block_id(2, 2));
    }

    #[test]
    fn a_sas_token_rides_on_the_url_and_the_copy_source() {
        let r = requests();
        let token = SasToken::new("sv=2022-11-02&sig=x").unwrap();
        let req = with_sas(r.copy_blob(("a", "b"), "c", "d"), &token);
        assert!(req.url.ends_with("/c/d?sv=2022-11-02&sig=x"));
        let source = &req
            .headers
            .iter()
            .find(|(k, _)| k == COPY_SOURCE)
            .unwrap()
            .1;
        assert!(source.ends_with("/a/b?sv=2022-11-02&sig=x"));
    }
}
