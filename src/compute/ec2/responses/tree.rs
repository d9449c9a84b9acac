//! EC2 answers as a small element tree, read with quick-xml's event reader (the style of
//! the storage listing parsers). EC2 nests deeply (reservations, instances, network
//! interfaces, tags) and the parsers pick a few fields at each level, which reads best
//! over a tree. Names are local (any namespace or prefix is dropped, so moto's
//! `xmlns` without the trailing slash reads as AWS's); leaf text is kept as sent.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Nesting deeper than this is refused: no EC2 answer comes near, a hostile one could.
const MAX_DEPTH: usize = 32;

/// One element: its local name, its text (leaves only), its children.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child of this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the child `name`, when it is a leaf with text.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .filter(|c| c.children.is_empty() && !c.text.is_empty())
            .map(|c| c.text.as_str())
    }

    /// The `<item>`s of the child list `set` (none when it is absent).
    pub fn items<'a>(&'a self, set: &str) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(set)
            .into_iter()
            .flat_map(|s| s.children.iter().filter(|c| c.name == "item"))
    }

    /// The leaves with text, as (name, text): what goes into `extra`.
    pub fn leaves(&self) -> impl Iterator<Item = (&str, &str)> {
        self.children
            .iter()
            .filter(|c| c.children.is_empty() && !c.text.is_empty())
            .map(|c| (c.name.as_str(), c.text.as_str()))
    }
}

/// The tree of `body`; `root` names the expected root for the error of a document cut
/// short. `Err` says what is wrong (never quoting the body).
pub(crate) fn parse(body: &[u8], root: &str) -> Result<Element, String> {
    let mut reader = Reader::from_reader(body);
    let mut open: Vec<Element> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => open.push(opened(&e, open.len())?),
            Event::Empty(e) => {
                let leaf = opened(&e, open.len())?;
                if let Some(done) = close(&mut open, leaf) {
                    return ended(&mut reader, done);
                }
            }
            Event::Text(t) => append(&mut open, t.unescape().map_err(|e| e.to_string())?)?,
            Event::CData(c) => append(&mut open, String::from_utf8_lossy(&c))?,
            Event::End(_) => {
                let last = open.pop().ok_or("an element closes that never opened")?;
                if let Some(done) = close(&mut open, last) {
                    return ended(&mut reader, done);
                }
            }
            Event::Eof => return Err(format!("the document ends before </{root}>")),
            _ => {}
        }
    }
}

/// A new element, unless it nests too deep.
fn opened(e: &BytesStart<'_>, depth: usize) -> Result<Element, String> {
    if depth >= MAX_DEPTH {
        return Err(format!("the answer nests deeper than {MAX_DEPTH} elements"));
    }
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    Ok(Element {
        name,
        ..Element::default()
    })
}

/// Hangs a closed element on its parent; returns it when it was the root.
fn close(open: &mut [Element], done: Element) -> Option<Element> {
    match open.last_mut() {
        Some(parent) => {
            parent.children.push(done);
            None
        }
        None => Some(done),
    }
}

/// Text goes to the open element; outside the root only whitespace may stand.
fn append(open: &mut [Element], text: std::borrow::Cow<'_, str>) -> Result<(), String> {
    match open.last_mut() {
        Some(e) => e.text.push_str(&text),
        None if text.trim().is_empty() => {}
        None => return Err("text outside the root element".to_owned()),
    }
    Ok(())
}

/// After the root: only whitespace, comments and processing instructions.
fn ended(reader: &mut Reader<&[u8]>, root: Element) -> Result<Element, String> {
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Eof => return Ok(root),
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            Event::Comment(_) | Event::PI(_) => {}
            _ => return Err("something follows the root element".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_local_names_and_exact_leaf_text() {
        let t = parse(
            b"<?xml version=\"1.0\"?>\n<a:R xmlns:a=\"x\"><s><item><k> v </k></item><item/></s>\
              <e>&amp;&lt;</e></a:R>",
            "R",
        )
        .unwrap();
        assert_eq!(t.name, "R");
        assert_eq!(t.items("s").count(), 2);
        assert_eq!(t.items("s").next().unwrap().text_of("k"), Some(" v "));
        assert_eq!(t.text_of("e"), Some("&<"));
        assert_eq!(t.text_of("s"), None);
        assert_eq!(t.items("missing").count(), 0);
    }

    #[test]
    fn broken_documents_are_errors_not_panics() {
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        for bad in [
            "",
            "<R><a></R>",
            "<R><a>",
            "<R></R><R></R>",
            "</R>",
            "text",
            deep.as_str(),
            "<R>\u{0}</R><",
        ] {
            assert!(parse(bad.as_bytes(), "R").is_err(), "{bad:?}");
        }
        assert!(parse(b"<R/>", "R").is_ok());
    }
}
