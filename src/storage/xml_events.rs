//! The event loop the listing parsers share (S3's `ListBucketResult`, Azure's
//! `EnumerationResults`): quick-xml's reader drives a [`Collector`] that tracks where it
//! is and which leaf's text it keeps. Text is kept exactly as sent; entities are unescaped
//! only where there are some.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// What a listing parser does with the events.
pub(crate) trait Collector {
    /// The page being filled.
    type Page;
    /// An element opens (also for empty elements, before `end`).
    fn start(&mut self, e: &BytesStart<'_>);
    /// An element closes; a value that cannot be taken is `Err` saying why.
    fn end(&mut self, page: &mut Self::Page) -> Result<(), String>;
    /// Whether the current element's text is kept.
    fn collecting(&self) -> bool;
    /// Where kept text goes.
    fn text(&mut self) -> &mut String;
    /// Whether the root element has closed (a document cut short has not).
    fn root_closed(&self) -> bool;
}

/// Reads `body` into `page` through `collector`; `root` names the root element for the
/// error of a document that ends early. `Err` says what is wrong.
pub(crate) fn read<C: Collector>(
    body: &[u8],
    mut collector: C,
    mut page: C::Page,
    root: &str,
) -> Result<C::Page, String> {
    let mut reader = Reader::from_reader(body);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => collector.start(&e),
            Event::Empty(e) => {
                collector.start(&e);
                collector.end(&mut page)?;
            }
            Event::Text(t) if collector.collecting() => match t.contains(&b'&') {
                // Most text holds no entity: no unescaping pass.
                false => collector
                    .text()
                    .push_str(std::str::from_utf8(&t).map_err(|e| e.to_string())?),
                true => collector
                    .text()
                    .push_str(&t.unescape().map_err(|e| e.to_string())?),
            },
            Event::CData(c) if collector.collecting() => collector
                .text()
                .push_str(std::str::from_utf8(&c).map_err(|e| e.to_string())?),
            Event::End(_) => collector.end(&mut page)?,
            Event::Eof if collector.root_closed() => return Ok(page),
            Event::Eof => return Err(format!("the document ends before </{root}>")),
            _ => {}
        }
    }
}
