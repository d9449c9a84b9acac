//! The pagination state machine both modes' listings run: which token to fetch next, and
//! when to stop.

use std::collections::HashSet;

use super::Page;
use crate::error::{Error, ErrorKind, Result};

/// Drives a paginated listing: ask [`Pager::next_token`] what to fetch, hand the page to
/// [`Pager::accept`], repeat until `next_token` returns `None`.
///
/// It trusts no token: a token seen on any earlier page (which would loop forever, or
/// silently skip or repeat items) ends the listing with an error, and so does a run of more
/// than [`MAX_EMPTY_PAGES`] empty pages in a row.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    state: State,
    seen: HashSet<String>,
    empty_run: usize,
}

/// Consecutive empty pages (with a continuation token) accepted before a listing is
/// declared stuck. Stores may return some (S3 does while skipping deleted keys), never
/// this many.
pub const MAX_EMPTY_PAGES: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum State {
    #[default]
    FetchFirst,
    FetchAfter(String),
    Finished,
}

impl Pager {
    /// A pager about to fetch the first page.
    pub fn new() -> Self {
        Self::default()
    }

    /// What to fetch next: `Some(None)` for the first page, `Some(Some(token))` for a
    /// later one, `None` when the listing is finished.
    pub fn next_token(&self) -> Option<Option<&str>> {
        match &self.state {
            State::FetchFirst => Some(None),
            State::FetchAfter(t) => Some(Some(t)),
            State::Finished => None,
        }
    }

    /// Takes the answer to the last fetch and returns the items to yield. An error ends the
    /// listing after it is yielded; so does a token seen before or a run of empty pages
    /// (the error comes after the page's items).
    pub fn accept<T>(&mut self, page: Result<Page<T>>) -> Vec<Result<T>> {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                self.state = State::Finished;
                return vec![Err(e)];
            }
        };
        self.empty_run = if page.items.is_empty() {
            self.empty_run + 1
        } else {
            0
        };
        let mut items: Vec<Result<T>> = page.items.into_iter().map(Ok).collect();
        self.state = match page.next_token {
            None => State::Finished,
            Some(next) => match self.refuse(&next) {
                Some(e) => {
                    items.push(Err(e));
                    State::Finished
                }
                None => State::FetchAfter(next),
            },
        };
        items
    }

    /// Takes a whole page for a caller that collects: its items, or the listing's error.
    pub fn accept_all<T>(&mut self, page: Result<Page<T>>, out: &mut Vec<T>) -> Result<()> {
        for item in self.accept(page) {
            out.push(item?);
        }
        Ok(())
    }

    /// Why the listing cannot go on to `next`, if it cannot; remembers `next` otherwise.
    fn refuse(&mut self, next: &str) -> Option<Error> {
        if self.empty_run > MAX_EMPTY_PAGES {
            return Some(stuck(format!(
                "the provider sent {} empty pages in a row",
                self.empty_run
            )));
        }
        if !self.seen.insert(next.to_owned()) {
            return Some(stuck(
                "the provider sent a continuation token it had sent before".to_owned(),
            ));
        }
        None
    }
}

fn stuck(why: String) -> Error {
    Error::new(
        ErrorKind::Parse,
        format!("{why}: the listing would never end or would skip items"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[u32], next: Option<&str>) -> Result<Page<u32>> {
        Ok(Page {
            items: items.to_vec(),
            next_token: next.map(str::to_owned),
        })
    }

    #[test]
    fn walks_pages_until_no_token() {
        let mut p = Pager::new();
        assert_eq!(p.next_token(), Some(None));
        assert_eq!(p.accept(page(&[1, 2], Some("t1"))).len(), 2);
        assert_eq!(p.next_token(), Some(Some("t1")));
        assert_eq!(p.accept(page(&[3], None)).len(), 1);
        assert_eq!(p.next_token(), None);
    }

    #[test]
    fn errors_and_stuck_tokens_end_the_listing() {
        let mut p = Pager::new();
        let out = p.accept::<u32>(Err(Error::not_found("c")));
        assert!(out[0].is_err());
        assert_eq!(p.next_token(), None);

        let mut p = Pager::new();
        p.accept(page(&[1], Some("t")));
        let out = p.accept(page(&[2], Some("t")));
        assert!(out[0].is_ok() && out[1].is_err());
        assert_eq!(p.next_token(), None);
    }

    #[test]
    fn alternating_tokens_are_caught() {
        let mut p = Pager::new();
        p.accept(page(&[1], Some("a")));
        p.accept(page(&[2], Some("b")));
        let out = p.accept(page(&[3], Some("a")));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::Parse);
        assert_eq!(p.next_token(), None);
    }

    #[test]
    fn runs_of_empty_pages_are_bounded() {
        let mut p = Pager::new();
        let mut n = 0;
        while p.next_token().is_some() {
            let out = p.accept(page(&[], Some(&format!("t{n}"))));
            n += 1;
            if let Some(Err(e)) = out.last() {
                assert_eq!(e.kind(), ErrorKind::Parse);
                break;
            }
        }
        assert_eq!(n, MAX_EMPTY_PAGES + 1);
        // A few empty pages between full ones are fine.
        let mut p = Pager::new();
        for i in 0..3 * MAX_EMPTY_PAGES {
            let items: &[u32] = if i % 50 == 0 { &[1] } else { &[] };
            assert!(
                p.accept(page(items, Some(&format!("t{i}"))))
                    .iter()
                    .all(Result::is_ok)
            );
        }
    }

    #[test]
    fn collecting_callers_get_the_error_not_a_partial_list() {
        let mut p = Pager::new();
        let mut out = Vec::new();
        p.accept_all(page(&[1], Some("a")), &mut out).unwrap();
        let e = p.accept_all(page(&[2], Some("a")), &mut out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
    }
}
