//! An `EnumerationResults` page (List Blobs, List Containers) read with quick-xml's event
//! reader: `<Blob>`, `<BlobPrefix>` and `<Container>` entries with their name and the
//! properties the storage model keeps, and `<NextMarker>`. Unknown elements are skipped
//! at any depth; text is kept exactly as sent (names may start or end with spaces).

use quick_xml::events::BytesStart;

use crate::storage::xml_events::{self, Collector};

/// One page as sent.
#[derive(Debug, Default)]
pub(super) struct Enumeration {
    pub(super) entries: Vec<EntryXml>,
    pub(super) next_marker: Option<String>,
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum EntryKind {
    #[default]
    Blob,
    Prefix,
    Container,
}

/// One `<Blob>`, `<BlobPrefix>` or `<Container>`.
#[derive(Debug, Default)]
pub(super) struct EntryXml {
    pub(super) kind: EntryKind,
    pub(super) name: Option<String>,
    pub(super) size: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) content_md5: Option<String>,
    pub(super) last_modified: Option<String>,
    pub(super) etag: Option<String>,
}

/// The leaves whose text is kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Name,
    Size,
    ContentType,
    ContentMd5,
    LastModified,
    Etag,
    NextMarker,
}

#[derive(Default)]
struct State {
    depth: usize,
    entry: Option<EntryXml>,
    in_properties: bool,
    leaf: Option<(Leaf, usize)>,
    text: String,
    root_closed: bool,
    /// The `<Name>` being read says `Encoded="true"`: Azure percent-encoded it (the name
    /// holds characters XML cannot carry), so its text is not the name.
    encoded: bool,
}

/// Parses a page whose root element was already checked; `Err` says what is wrong.
pub(super) fn parse(body: &[u8]) -> Result<Enumeration, String> {
    xml_events::read(
        body,
        State::default(),
        Enumeration::default(),
        "EnumerationResults",
    )
}

impl Collector for State {
    type Page = Enumeration;

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
            (2, b"NextMarker") => Some(Leaf::NextMarker),
            (3, kind @ (b"Blob" | b"BlobPrefix" | b"Container")) => {
                let kind = match kind {
                    b"Blob" => EntryKind::Blob,
                    b"BlobPrefix" => EntryKind::Prefix,
                    _ => EntryKind::Container,
                };
                self.entry = Some(EntryXml {
                    kind,
                    ..EntryXml::default()
                });
                None
            }
            (4, b"Name") if self.entry.is_some() => {
                self.encoded = is_encoded(e);
                Some(Leaf::Name)
            }
            (4, b"Properties") if self.entry.is_some() => {
                self.in_properties = true;
                None
            }
            (5, n) if self.in_properties => property_leaf(n),
            _ => None,
        };
        if let Some(leaf) = leaf {
            self.leaf = Some((leaf, self.depth));
            self.text.clear();
        }
    }

    fn end(&mut self, out: &mut Enumeration) -> Result<(), String> {
        if let Some((leaf, _)) = self.leaf.filter(|_| self.collecting()) {
            self.leaf = None;
            let text = std::mem::take(&mut self.text);
            let stored = self.store(leaf, &text, out);
            self.text = text;
            stored?;
        } else if self.depth == 4 {
            self.in_properties = false;
        } else if self.depth == 3 {
            if let Some(entry) = self.entry.take() {
                if entry.name.as_deref().is_none_or(str::is_empty) {
                    return Err("an entry without a <Name> (or an empty one)".into());
                }
                out.entries.push(entry);
            }
        }
        self.depth -= 1;
        self.root_closed |= self.depth == 0;
        Ok(())
    }
}

impl State {
    fn store(&mut self, leaf: Leaf, text: &str, out: &mut Enumeration) -> Result<(), String> {
        let owned = || Some(text.to_owned());
        match (leaf, &mut self.entry) {
            (Leaf::NextMarker, _) => out.next_marker = owned().filter(|m| !m.is_empty()),
            (Leaf::Name, Some(e)) if self.encoded => e.name = Some(decoded_name(text)?),
            (Leaf::Name, Some(e)) => e.name = owned(),
            (Leaf::Size, Some(e)) => e.size = owned(),
            (Leaf::ContentType, Some(e)) => e.content_type = owned(),
            (Leaf::ContentMd5, Some(e)) => e.content_md5 = owned(),
            (Leaf::LastModified, Some(e)) => e.last_modified = owned(),
            (Leaf::Etag, Some(e)) => e.etag = owned(),
            _ => {}
        }
        Ok(())
    }
}

/// Whether a `<Name>` carries `Encoded="true"`.
fn is_encoded(e: &BytesStart<'_>) -> bool {
    e.try_get_attribute("Encoded")
        .ok()
        .flatten()
        .is_some_and(|a| a.value.as_ref() == b"true")
}

/// An encoded name's text, percent-decoded: taken as it stands it would name another
/// blob (one whose name really is `a%20b`), which a delete by listing would then hit.
fn decoded_name(text: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|n| n.into_owned())
        .map_err(|_| format!("an encoded <Name> {text:.80?} is not UTF-8 once decoded"))
}

fn property_leaf(name: &[u8]) -> Option<Leaf> {
    match name {
        b"Content-Length" => Some(Leaf::Size),
        b"Content-Type" => Some(Leaf::ContentType),
        b"Content-MD5" => Some(Leaf::ContentMd5),
        b"Last-Modified" => Some(Leaf::LastModified),
        b"Etag" => Some(Leaf::Etag),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_prefixes_and_markers() {
        let page = parse(
            br#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="x" ContainerName="c">
            <Prefix/><MaxResults>2</MaxResults><Blobs>
            <Blob><Name> a&amp;b </Name><Properties><Content-Length>3</Content-Length>
            <Content-Type>text/plain</Content-Type><Content-MD5>kAFQmDzST7DWlj99KOF/cg==</Content-MD5>
            <Etag>0x8D</Etag><Last-Modified>Sun, 06 Dec 2026 10:00:00 GMT</Last-Modified></Properties>
            <Metadata><Name>not this</Name></Metadata></Blob>
            <BlobPrefix><Name>p/</Name></BlobPrefix></Blobs><NextMarker>2!abc</NextMarker></EnumerationResults>"#,
        )
        .unwrap();
        assert_eq!(page.next_marker.as_deref(), Some("2!abc"));
        assert_eq!(page.entries.len(), 2);
        let blob = &page.entries[0];
        assert_eq!(blob.name.as_deref(), Some(" a&b "));
        assert_eq!(blob.size.as_deref(), Some("3"));
        assert_eq!(blob.etag.as_deref(), Some("0x8D"));
        assert_eq!(page.entries[1].kind, EntryKind::Prefix);
    }

    #[test]
    fn encoded_names_are_decoded() {
        let page = parse(
            br#"<EnumerationResults><Blobs><Blob><Name Encoded="true">a%20b%EF%BF%BF</Name></Blob>
            <Blob><Name Encoded="false">c%20d</Name></Blob><Blob><Name>e%20f</Name></Blob></Blobs></EnumerationResults>"#,
        )
        .unwrap();
        let names: Vec<_> = page
            .entries
            .iter()
            .map(|e| e.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["a b\u{ffff}", "c%20d", "e%20f"]);
        let e = parse(br#"<EnumerationResults><Blobs><Blob><Name Encoded="true">%FF</Name></Blob></Blobs></EnumerationResults>"#).unwrap_err();
        assert!(e.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn broken_pages_say_what_is_wrong() {
        for (body, says) in [
            (
                "<EnumerationResults><Blobs><Blob></Blob></Blobs></EnumerationResults>",
                "without a <Name>",
            ),
            (
                "<EnumerationResults><Blobs><Blob><Name></Name></Blob></Blobs></EnumerationResults>",
                "an empty one",
            ),
            (
                "<EnumerationResults><Blobs><Blob><Name>a</Name>",
                "ends before",
            ),
        ] {
            let e = parse(body.as_bytes()).unwrap_err();
            assert!(e.contains(says), "{body}: {e}");
        }
    }
}
