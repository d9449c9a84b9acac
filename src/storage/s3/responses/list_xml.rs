//! A `ListBucketResult` page read with quick-xml's event reader. Listings are the one
//! answer with thousands of elements; the serde deserializer spent ~17 k instructions per
//! `<Contents>` (namespace resolution, trimming, a map per element), this reader a
//! fraction of that. Unknown elements are skipped at any depth; text is kept exactly as
//! sent (keys may start or end with spaces).

use quick_xml::events::BytesStart;

use crate::storage::xml_events::{self, Collector};

/// One page as sent.
#[derive(Debug, Default)]
pub(super) struct ListBucketResult {
    pub(super) contents: Vec<ContentsXml>,
    pub(super) common_prefixes: Vec<String>,
    pub(super) is_truncated: Option<bool>,
    pub(super) next_continuation_token: Option<String>,
    /// ListObjects v1 only.
    pub(super) next_marker: Option<String>,
}

/// One `<Contents>`.
#[derive(Debug, Default)]
pub(super) struct ContentsXml {
    pub(super) key: String,
    pub(super) last_modified: Option<String>,
    pub(super) etag: Option<String>,
    pub(super) size: Option<u64>,
}

/// The elements whose text is kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Key,
    LastModified,
    ETag,
    Size,
    Prefix,
    IsTruncated,
    NextToken,
    NextMarker,
}

/// Where the reader is: inside which child of the root, and which leaf collects text.
#[derive(Default)]
struct State {
    depth: usize,
    contents: Option<(ContentsXml, bool)>,
    prefix: Option<Option<String>>,
    leaf: Option<(Leaf, usize)>,
    text: String,
    root_closed: bool,
}

/// Parses a page whose root element was already checked; `Err` says what is wrong.
pub(super) fn parse(body: &[u8]) -> Result<ListBucketResult, String> {
    xml_events::read(
        body,
        State::default(),
        ListBucketResult::default(),
        "ListBucketResult",
    )
}

impl Collector for State {
    type Page = ListBucketResult;

    fn collecting(&self) -> bool {
        self.leaf.is_some_and(|(_, d)| d == self.depth)
    }

    fn text(&mut self) -> &mut String {
        &mut self.text
    }

    fn root_closed(&self) -> bool {
        self.root_closed
    }

    fn start(&mut self, e: &BytesStart<'_>) {
        self.depth += 1;
        let name = e.local_name();
        let leaf = match (self.depth, name.as_ref()) {
            (2, b"Contents") => {
                self.contents = Some((ContentsXml::default(), false));
                None
            }
            (2, b"CommonPrefixes") => {
                self.prefix = Some(None);
                None
            }
            (2, b"IsTruncated") => Some(Leaf::IsTruncated),
            (2, b"NextContinuationToken") => Some(Leaf::NextToken),
            (2, b"NextMarker") => Some(Leaf::NextMarker),
            (3, n) if self.contents.is_some() => content_leaf(n),
            (3, b"Prefix") if self.prefix.is_some() => Some(Leaf::Prefix),
            _ => None,
        };
        if let Some(leaf) = leaf {
            self.leaf = Some((leaf, self.depth));
            self.text.clear();
        }
    }

    fn end(&mut self, out: &mut ListBucketResult) -> Result<(), String> {
        if let Some((leaf, _)) = self.leaf.filter(|_| self.collecting()) {
            self.leaf = None;
            // The buffer stays (it is reused); each kept value is one exact allocation.
            let text = std::mem::take(&mut self.text);
            let kept = self.store(leaf, &text, out);
            self.text = text;
            kept?;
        } else if self.depth == 2 {
            self.close_child(out)?;
        }
        self.depth -= 1;
        self.root_closed |= self.depth == 0;
        Ok(())
    }
}

impl State {
    fn store(&mut self, leaf: Leaf, text: &str, out: &mut ListBucketResult) -> Result<(), String> {
        let owned = || Some(text.to_owned());
        match (leaf, &mut self.contents) {
            (Leaf::Key, Some((c, has_key))) => (c.key, *has_key) = (text.to_owned(), true),
            (Leaf::LastModified, Some((c, _))) => c.last_modified = owned(),
            (Leaf::ETag, Some((c, _))) => c.etag = owned(),
            (Leaf::Size, Some((c, _))) => c.size = Some(number(text, "Size")?),
            (Leaf::Prefix, _) => self.prefix = Some(owned()),
            (Leaf::IsTruncated, _) => out.is_truncated = Some(boolean(text)?),
            (Leaf::NextToken, _) => out.next_continuation_token = owned(),
            (Leaf::NextMarker, _) => out.next_marker = owned(),
            _ => {}
        }
        Ok(())
    }

    /// The end of a child of the root: a `<Contents>` or `<CommonPrefixes>` is complete.
    fn close_child(&mut self, out: &mut ListBucketResult) -> Result<(), String> {
        if let Some((c, has_key)) = self.contents.take() {
            if !has_key {
                return Err("a <Contents> without a <Key>".into());
            }
            out.contents.push(c);
        } else if let Some(prefix) = self.prefix.take() {
            out.common_prefixes
                .push(prefix.ok_or("a <CommonPrefixes> without a <Prefix>")?);
        }
        Ok(())
    }
}

fn content_leaf(name: &[u8]) -> Option<Leaf> {
    match name {
        b"Key" => Some(Leaf::Key),
        b"LastModified" => Some(Leaf::LastModified),
        b"ETag" => Some(Leaf::ETag),
        b"Size" => Some(Leaf::Size),
        _ => None,
    }
}

fn number(text: &str, what: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("<{what}> is not a size: {:.40?}", text))
}

fn boolean(text: &str) -> Result<bool, String> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(format!("<IsTruncated> is not a boolean: {other:.40?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_tokens_and_unknown_elements() {
        let page = parse(
            br#"<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
            <Name>b</Name><IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken>
            <Contents><Key> a&lt;b </Key><Owner><ID>x</ID><Key>not this</Key></Owner><Size>3</Size>
            <ETag>&quot;e&quot;</ETag><LastModified>2026-01-01T00:00:00Z</LastModified></Contents>
            <Contents><Key><![CDATA[c]]></Key></Contents>
            <CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>"#,
        )
        .unwrap();
        assert_eq!(page.is_truncated, Some(true));
        assert_eq!(page.next_continuation_token.as_deref(), Some("t&1"));
        let keys: Vec<&str> = page.contents.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, [" a<b ", "c"]);
        assert_eq!(page.contents[0].size, Some(3));
        assert_eq!(page.contents[0].etag.as_deref(), Some("\"e\""));
        assert_eq!(page.common_prefixes, ["p/"]);
    }

    #[test]
    fn broken_pages_say_what_is_wrong() {
        for (body, says) in [
            (
                "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
                "without a <Key>",
            ),
            ("<ListBucketResult><Contents><Key>a</Key>", "ends before"),
            (
                "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
                "boolean",
            ),
            (
                "<ListBucketResult><CommonPrefixes/></ListBucketResult>",
                "without a <Prefix>",
            ),
            (
                "<ListBucketResult><Contents><Key>a</Key></Size></ListBucketResult>",
                "",
            ),
        ] {
            let e = parse(body.as_bytes()).unwrap_err();
            assert!(e.contains(says), "{body}: {e}");
        }
    }
}
