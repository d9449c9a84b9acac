//! Delimited listings built from flat ones: the grouping behind the provided
//! `list_entries_page` (Local, Memory), pure and I/O-free.

use super::{Entry, Object, Page, common_prefix};
use crate::error::{Error, ErrorKind, Result};

/// Groups flat listing pages into [`Entry`]s: objects directly under the prefix, and each
/// common prefix once. Resumes after a token that is the last entry's key, as its own
/// [`finish`](Self::finish) hands out (an object name, or a prefix whose names are then
/// skipped).
#[derive(Debug)]
pub struct EntryGrouper<'a> {
    prefix: &'a str,
    delimiter: &'a str,
    after: Option<String>,
    reported: Option<String>,
    entries: Vec<Entry>,
    done: bool,
}

impl<'a> EntryGrouper<'a> {
    /// A grouping of the names under `prefix`, resuming after `token`.
    pub fn new(prefix: &'a str, delimiter: &'a str, token: Option<&str>) -> Self {
        let reported = token
            .filter(|t| common_prefix(t, prefix, delimiter) == Some(*t))
            .map(str::to_owned);
        EntryGrouper {
            prefix,
            delimiter,
            after: token.map(str::to_owned),
            reported,
            entries: Vec::new(),
            done: false,
        }
    }

    /// Whether another flat page is needed to fill `max` entries (and know if more follow).
    pub fn wants_more(&self, max: usize) -> bool {
        !self.done && self.entries.len() <= max
    }

    /// The token to pass to the next flat page.
    pub fn resume_token(&self) -> Option<String> {
        self.after.clone()
    }

    /// Takes one flat page. A token that does not move forward is `Parse` (it would loop).
    pub fn take(&mut self, page: Result<Page<Object>>) -> Result<()> {
        let page = page?;
        for o in page.items {
            self.add(o);
        }
        match page.next_token {
            None => self.done = true,
            Some(t) if self.after.as_ref().is_some_and(|a| *a >= t) => {
                return Err(Error::new(
                    ErrorKind::Parse,
                    format!("listing token {t:?} does not move past {:?}", self.after),
                ));
            }
            Some(t) => self.after = Some(t),
        }
        Ok(())
    }

    fn add(&mut self, o: Object) {
        match common_prefix(&o.name, self.prefix, self.delimiter) {
            None => self.entries.push(Entry::Object(o)),
            Some(p) if self.reported.as_deref() == Some(p) => {}
            Some(p) => {
                self.reported = Some(p.to_owned());
                self.entries.push(Entry::Prefix(p.to_owned()));
            }
        }
    }

    /// At most `max` entries, and the token for the rest when there is more.
    pub fn finish(mut self, max: usize) -> Page<Entry> {
        let max = max.max(1);
        let more = self.entries.len() > max;
        self.entries.truncate(max);
        let next_token = more
            .then(|| self.entries.last().map(|e| e.key().to_owned()))
            .flatten();
        Page {
            items: self.entries,
            next_token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(names: &[&str], after: Option<&str>, max: usize) -> Page<Object> {
        let mut rest: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| after.is_none_or(|a| *n > a))
            .collect();
        let more = rest.len() > max;
        rest.truncate(max);
        Page {
            next_token: more.then(|| rest.last().unwrap().to_string()),
            items: rest.iter().map(|n| Object::new("c", *n, 0)).collect(),
        }
    }

    fn list_all(names: &[&str], prefix: &str, max: usize, flat_max: usize) -> Vec<String> {
        let mut token: Option<String> = None;
        let mut out = Vec::new();
        loop {
            let mut g = EntryGrouper::new(prefix, "/", token.as_deref());
            while g.wants_more(max) {
                let after = g.resume_token();
                let page = flat(names, after.as_deref(), flat_max);
                let page = Page {
                    items: page
                        .items
                        .into_iter()
                        .filter(|o| o.name.starts_with(prefix))
                        .collect(),
                    ..page
                };
                g.take(Ok(page)).unwrap();
            }
            let page = g.finish(max);
            out.extend(page.items.iter().map(|e| match e {
                Entry::Object(o) => o.name.clone(),
                Entry::Prefix(p) => format!("[{p}]"),
            }));
            match page.next_token {
                Some(t) => token = Some(t),
                None => return out,
            }
        }
    }

    #[test]
    fn groups_each_prefix_once_across_every_page_size() {
        let names = ["a", "b/1", "b/2", "b/c/3", "c/", "d", "e/x", "e/y", "f"];
        let expected = ["a", "[b/]", "[c/]", "d", "[e/]", "f"];
        for max in 1..8 {
            for flat_max in 1..10 {
                assert_eq!(
                    list_all(&names, "", max, flat_max),
                    expected,
                    "{max} {flat_max}"
                );
            }
        }
        assert_eq!(list_all(&names, "b/", 1, 1), ["b/1", "b/2", "[b/c/]"]);
    }

    #[test]
    fn a_token_that_does_not_advance_is_an_error() {
        let mut g = EntryGrouper::new("", "/", Some("m"));
        let page = Page {
            items: vec![],
            next_token: Some("m".to_owned()),
        };
        assert_eq!(g.take(Ok(page)).unwrap_err().kind(), ErrorKind::Parse);
    }
}
