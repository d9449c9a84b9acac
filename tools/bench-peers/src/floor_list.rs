//! The listing floor: bare reqwest ListObjectsV2 pages followed by continuation token,
//! keys counted as `<Key>` occurrences, nothing parsed beyond the token.
//!
//! The floor signer of `benches/s3_put_get.rs` signs no query string (its canonical
//! request has an empty query line), so the same minimal SigV4 is written here once more
//! with one: path style, fixed empty-payload hash, signing key derived per request.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::base::floor::Signer;

/// SHA-256 of an empty body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// A GET with a canonical (sorted, encoded) query, signed like the floor's requests.
trait SignQuery {
    fn sign_get(&self, path: &str, query: &str) -> Vec<(String, String)>;
}

impl SignQuery for Signer {
    fn sign_get(&self, path: &str, query: &str) -> Vec<(String, String)> {
        let t = time::OffsetDateTime::now_utc();
        let day = format!("{:04}{:02}{:02}", t.year(), t.month() as u8, t.day());
        let date = format!("{day}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
        let canonical = format!(
            "GET\n{path}\n{query}\nhost:{}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:{date}\n\nhost;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}",
            self.host
        );
        let scope = format!("{day}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let k = hmac(format!("AWS4{}", self.secret).as_bytes(), &day);
        let k = hmac(&hmac(&hmac(&k, &self.region), "s3"), "aws4_request");
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={}",
            self.key,
            hex::encode(hmac(&k, &to_sign))
        );
        vec![
            ("x-amz-date".into(), date),
            ("x-amz-content-sha256".into(), EMPTY_SHA256.into()),
            ("authorization".into(), auth),
        ]
    }
}

/// RFC 3986 encoding as SigV4 wants it (unreserved characters kept).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The ListObjectsV2 query, parameters in name order (the canonical order).
fn query(token: Option<&str>) -> String {
    match token {
        Some(t) => format!("continuation-token={}&list-type=2&max-keys=1000", encode(t)),
        None => "list-type=2&max-keys=1000".into(),
    }
}

/// The text of `<tag>` in `xml`, with XML's five entities undone.
fn element(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    let text = &xml[start..end];
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Counts every key of `bucket`, page by page.
pub async fn count_keys(
    client: &reqwest::Client,
    signer: &Signer,
    ep: &str,
    bucket: &str,
) -> usize {
    let path = format!("/{bucket}");
    let (mut token, mut n) = (None::<String>, 0);
    loop {
        let q = query(token.as_deref());
        let mut rb = client.get(format!("{ep}{path}?{q}"));
        for (h, v) in &signer.sign_get(&path, &q) {
            rb = rb.header(h, v);
        }
        let resp = rb.send().await.unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        let body = resp.bytes().await.unwrap();
        let xml = std::str::from_utf8(&body).unwrap();
        n += xml.matches("<Key>").count();
        if !xml.contains("<IsTruncated>true</IsTruncated>") {
            return n;
        }
        token = Some(element(xml, "NextContinuationToken").expect("a truncated page's token"));
    }
}
