//! Object listings (ListObjectsV2 and ListObjects v1): one page of objects, or of objects
//! and common prefixes, with the guards every page goes through (root element, a token
//! when truncated, entries the server did not split).

use super::list_xml::{self, ContentsXml, ListBucketResult};
use super::{PROVIDER, check_doc, parse_iso8601, unquote};
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use crate::storage::{Entry, Object, Page, common_prefix};

/// A listing answer: its root checked, then read.
fn page_xml(resp: &Response, context: &str) -> Result<ListBucketResult> {
    check_doc(resp, "ListBucketResult", context)?;
    list_xml::parse(&resp.body).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!("{context}: S3 sent an unparseable listing: {e}"),
        )
        .with_provider(PROVIDER)
        .with_status(resp.status)
    })
}

/// Which listing call answered: ListObjectsV2 (continuation tokens) or ListObjects v1
/// (markers).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect<'a> {
    V2,
    /// v1, after this marker (the token the page was asked with).
    V1(Option<&'a str>),
}

impl ListBucketResult {
    /// The token of the next page as the dialect spells it. For v1 it is the marker to
    /// send and the greatest entry seen so far (see [`v1_marker`]). v1 servers send
    /// `NextMarker` only with a delimiter (and moto sends an opaque one); without it the
    /// marker is the greatest key or common prefix seen. A page that moves past nothing
    /// gives the token it was asked with, which the pager refuses as a repeat.
    fn next_token(&self, dialect: Dialect<'_>) -> Option<String> {
        let Dialect::V1(asked) = dialect else {
            return self.next_continuation_token.clone();
        };
        let seen_before = asked.map(|t| v1_marker(t).1);
        let last_key = self.contents.iter().map(|c| c.key.as_str()).max();
        let last_prefix = self.common_prefixes.iter().map(String::as_str).max();
        let after = last_key.max(last_prefix).max(seen_before)?;
        let marker = self.next_marker.as_deref().filter(|m| !m.is_empty());
        Some(match marker {
            Some(m) if m != after => format!("{m}\0{after}"),
            _ => after.to_owned(),
        })
    }

    /// v1: S3 lists strictly after the marker, but some servers (moto) repeat common
    /// prefixes from before it. Entries not after the greatest one seen were on an
    /// earlier page: dropped, before the next token is chosen.
    fn drop_seen(&mut self, dialect: Dialect<'_>) {
        if let Dialect::V1(Some(token)) = dialect {
            let seen = v1_marker(token).1;
            self.contents.retain(|c| c.key.as_str() > seen);
            self.common_prefixes.retain(|p| p.as_str() > seen);
        }
    }
}

/// A ListObjects v1 token: the marker to send, and the greatest entry listed so far,
/// joined by NUL when they differ (no listed key holds a NUL: XML cannot carry one).
pub fn v1_marker(token: &str) -> (&str, &str) {
    token.split_once('\0').unwrap_or((token, token))
}

/// One ListObjectsV2 page with a delimiter: objects and common prefixes, merged in key
/// order. A common prefix outside the prefix asked for, or not ending in the delimiter,
/// is `Parse` (the server did not honour the request).
pub fn entry_page(
    resp: &Response,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
) -> Result<Page<Entry>> {
    entry_page_of(resp, bucket, prefix, delimiter, Dialect::V2)
}

/// [`entry_page`] for a ListObjects v1 answer to a request after `marker` (the next
/// marker as the token; entries listed on earlier pages dropped).
pub fn entry_page_v1(
    resp: &Response,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    marker: Option<&str>,
) -> Result<Page<Entry>> {
    entry_page_of(resp, bucket, prefix, delimiter, Dialect::V1(marker))
}

fn entry_page_of(
    resp: &Response,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    dialect: Dialect<'_>,
) -> Result<Page<Entry>> {
    let context = format!("listing bucket {bucket:?}");
    let mut parsed = page_xml(resp, &context)?;
    parsed.drop_seen(dialect);
    let next_token = parsed.next_token(dialect);
    let mut prefixes = Vec::with_capacity(parsed.common_prefixes.len());
    for p in &parsed.common_prefixes {
        if common_prefix(p, prefix, delimiter) != Some(p.as_str()) {
            return Err(Error::new(
                ErrorKind::Parse,
                format!(
                    "{context}: common prefix {p:?} is not one of {prefix:?} split at {delimiter:?}",
                ),
            )
            .with_provider(PROVIDER));
        }
        prefixes.push(Entry::Prefix(p.clone()));
    }
    let objects = Page {
        items: parsed.contents,
        next_token,
    };
    let flat = flat_page(objects, parsed.is_truncated, bucket)?;
    if let Some(o) = flat.items.iter().find(|o| {
        !o.name.starts_with(prefix) || common_prefix(&o.name, prefix, delimiter).is_some()
    }) {
        return Err(Error::new(
            ErrorKind::Parse,
            format!(
                "{context}: object {:?} is not directly under {prefix:?} split at {delimiter:?}",
                o.name
            ),
        )
        .with_provider(PROVIDER));
    }
    let mut items: Vec<Entry> = flat.items.into_iter().map(Entry::Object).collect();
    items.extend(prefixes);
    items.sort_by(|a, b| a.key().cmp(b.key()));
    Ok(Page {
        items,
        next_token: flat.next_token,
    })
}

/// One ListObjectsV2 page.
pub fn object_page(resp: &Response, bucket: &str) -> Result<Page<Object>> {
    object_page_of(resp, bucket, Dialect::V2)
}

/// [`object_page`] for a ListObjects v1 answer to a request after `marker` (the next
/// marker as the token; objects listed on earlier pages dropped).
pub fn object_page_v1(resp: &Response, bucket: &str, marker: Option<&str>) -> Result<Page<Object>> {
    object_page_of(resp, bucket, Dialect::V1(marker))
}

fn object_page_of(resp: &Response, bucket: &str, dialect: Dialect<'_>) -> Result<Page<Object>> {
    let context = format!("listing bucket {bucket:?}");
    let mut parsed = page_xml(resp, &context)?;
    parsed.drop_seen(dialect);
    let next_token = parsed.next_token(dialect);
    let objects = Page {
        items: parsed.contents,
        next_token,
    };
    flat_page(objects, parsed.is_truncated, bucket)
}

/// A flat page checked against the prefix it was asked for: a key outside it is `Parse`
/// (the server did not honour the request; a caller syncing with deletions must not act
/// on it).
pub fn objects_under(page: Page<Object>, prefix: &str) -> Result<Page<Object>> {
    match page.items.iter().find(|o| !o.name.starts_with(prefix)) {
        None => Ok(page),
        Some(o) => Err(Error::new(
            ErrorKind::Parse,
            format!(
                "listing bucket {:?}: S3 listed {:.200?}, outside the prefix {prefix:?}",
                o.container, o.name
            ),
        )
        .with_provider(PROVIDER)),
    }
}

/// Objects from a listing's `<Contents>`, and the continuation token when truncated (a
/// truncated listing without one is `Parse`).
fn flat_page(
    page: Page<ContentsXml>,
    is_truncated: Option<bool>,
    bucket: &str,
) -> Result<Page<Object>> {
    let items = page
        .items
        .into_iter()
        .map(|c| {
            let mut o = Object::new(bucket, c.key, c.size.unwrap_or(0));
            o.hash = c.etag.map(|e| unquote(&e));
            o.last_modified = c.last_modified.as_deref().and_then(parse_iso8601);
            o
        })
        .collect();
    let next_token = match is_truncated {
        Some(true) => page.next_token.filter(|t| !t.is_empty()),
        _ => None,
    };
    if is_truncated == Some(true) && next_token.is_none() {
        return Err(Error::new(
            ErrorKind::Parse,
            "S3 said the listing is truncated but sent no continuation token or marker",
        )
        .with_provider(PROVIDER));
    }
    Ok(Page { items, next_token })
}
