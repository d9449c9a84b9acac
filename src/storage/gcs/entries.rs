//! Delimiter listings with tokens of our own: the last key a page returned, resumed with
//! `startOffset`. Google's page tokens would do on Google, but fake-gcs-server repeats
//! every common prefix on each page and drops them after the first `pageToken`; with
//! our own tokens every server answer is filtered to what lies after the resume point,
//! and a page may be cut anywhere (its token is where it was cut). Pure.

use crate::error::{Error, ErrorKind, Result};
use crate::storage::{Entry, Page};

/// Where a delimiter listing resumes: after an object, or after everything under a
/// common prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// From the start.
    Start,
    /// After this object name.
    Object(String),
    /// After every name under this prefix.
    Prefix(String),
}

impl Resume {
    /// The token a caller passed (`o:` or `p:` and the key); anything else is
    /// `InvalidInput`.
    ///
    /// ```
    /// use multicloud::storage::gcs::entries::Resume;
    /// assert_eq!(Resume::parse(Some("p:a/"))?, Resume::Prefix("a/".into()));
    /// assert!(Resume::parse(Some("x")).is_err());
    /// # Ok::<(), multicloud::Error>(())
    /// ```
    pub fn parse(token: Option<&str>) -> Result<Self> {
        match token {
            None => Ok(Resume::Start),
            Some(t) => match t.split_at_checked(2) {
                Some(("o:", key)) => Ok(Resume::Object(key.to_owned())),
                Some(("p:", key)) => Ok(Resume::Prefix(key.to_owned())),
                _ => Err(Error::invalid(format!(
                    "{t:.64?} is not a token of a GCS delimiter listing"
                ))),
            },
        }
    }

    /// The token resuming after `entry`.
    pub fn token_after(entry: &Entry) -> String {
        match entry {
            Entry::Object(o) => format!("o:{}", o.name),
            Entry::Prefix(p) => format!("p:{p}"),
        }
    }

    /// The `startOffset` to ask for (inclusive: the object itself is filtered out; after
    /// a prefix, its successor, so nothing under it is listed again).
    pub fn start_offset(&self) -> Option<String> {
        match self {
            Resume::Start => None,
            Resume::Object(name) => Some(name.clone()),
            Resume::Prefix(p) => Some(successor(p)),
        }
    }

    /// Whether `key` lies after the resume point.
    pub fn keeps(&self, key: &str) -> bool {
        match self {
            Resume::Start => true,
            Resume::Object(name) => key > name.as_str(),
            Resume::Prefix(p) => key > p.as_str() && !key.starts_with(p.as_str()),
        }
    }
}

/// The smallest string after every string starting with `prefix`: its last character
/// incremented (dropped when it has no successor).
fn successor(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(c) = next {
            chars.push(c);
            return chars.into_iter().collect();
        }
    }
    String::new()
}

/// One server answer to a delimiter listing, parsed: entries in key order, the name of
/// the last object among them, whether the server has more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Objects and common prefixes, sorted by key.
    pub entries: Vec<Entry>,
    /// The greatest object name of the answer (prefixes excluded).
    pub last_object: Option<String>,
    /// The server gave a page token.
    pub more: bool,
}

/// Keeps what lies after `resume`, at most `max` entries. When the server has more, only
/// entries up to its last object are sure to be complete (a server may send prefixes
/// from beyond its page), so the page ends there; the token is the last entry kept. An
/// answer with more to come but nothing after the resume point cannot make progress:
/// `Parse`.
pub fn select(answer: Answer, resume: &Resume, max: usize) -> Result<Page<Entry>> {
    let Answer {
        entries,
        last_object,
        more,
    } = answer;
    let bound = last_object.as_deref().filter(|_| more);
    let mut kept: Vec<Entry> = entries
        .into_iter()
        .filter(|e| resume.keeps(e.key()) && bound.is_none_or(|b| e.key() <= b))
        .collect();
    if kept.is_empty() && more {
        return Err(Error::new(
            ErrorKind::Parse,
            "GCS delimiter listing: the server has more but lists nothing after the token",
        )
        .with_provider("gcs"));
    }
    let cut = kept.len() > max.max(1);
    kept.truncate(max.max(1));
    let next_token = match kept.last() {
        Some(last) if cut || more => Some(Resume::token_after(last)),
        _ => None,
    };
    Ok(Page {
        items: kept,
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Object;

    fn o(name: &str) -> Entry {
        Entry::Object(Object::new("b", name, 1))
    }

    fn p(prefix: &str) -> Entry {
        Entry::Prefix(prefix.to_owned())
    }

    fn page(page: Page<Entry>) -> (Vec<String>, Option<String>) {
        let keys = page.items.iter().map(|e| e.key().to_owned()).collect();
        (keys, page.next_token)
    }

    #[test]
    fn prefixes_from_beyond_the_page_wait_for_their_turn() {
        // fake-gcs-server: 3 objects (the page), every prefix from the offset on.
        let answer = Answer {
            entries: vec![o("a"), p("b/"), o("c"), o("e"), p("x/")],
            last_object: Some("e".into()),
            more: true,
        };
        let (keys, next) = page(select(answer.clone(), &Resume::Start, 10).unwrap());
        assert_eq!(keys, ["a", "b/", "c", "e"]);
        assert_eq!(next.as_deref(), Some("o:e"));
        let (keys, next) = page(select(answer, &Resume::Start, 2).unwrap());
        assert_eq!(keys, ["a", "b/"]);
        assert_eq!(
            Resume::parse(next.as_deref())
                .unwrap()
                .start_offset()
                .unwrap(),
            "b0"
        );
    }

    #[test]
    fn repeated_entries_are_dropped() {
        let resume = Resume::Prefix("b/".into());
        let answer = Answer {
            entries: vec![o("a"), p("b/"), o("b/x"), o("c")],
            last_object: Some("c".into()),
            more: false,
        };
        let (keys, next) = page(select(answer, &resume, 10).unwrap());
        assert_eq!((keys, next), (vec!["c".to_owned()], None));
    }

    #[test]
    fn a_server_that_ignores_the_offset_is_refused() {
        let resume = Resume::Prefix("b/".into());
        let answer = Answer {
            entries: vec![o("a"), p("b/"), o("b/x")],
            last_object: Some("b/x".into()),
            more: true,
        };
        let e = select(answer, &resume, 5).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
    }

    #[test]
    fn successors_skip_whole_prefixes() {
        assert_eq!(successor("a/"), "a0");
        assert_eq!(successor("x--"), "x-.");
        assert_eq!(successor("\u{10FFFF}"), "");
    }
}
