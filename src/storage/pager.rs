//! The pagination state machine both modes' listings run: which token to fetch next, and
//! when to stop.

use super::Page;
use crate::error::{Error, ErrorKind, Result};

/// Drives a paginated listing: ask [`Pager::next_token`] what to fetch, hand the page to
/// [`Pager::accept`], repeat until `next_token` returns `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    FetchFirst,
    FetchAfter(String),
    Finished,
}

impl Default for Pager {
    fn default() -> Self {
        Pager {
            state: State::FetchFirst,
        }
    }
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
    /// listing after it is yielded; so does a provider that hands back the token it was
    /// given (which would otherwise loop forever).
    pub fn accept<T>(&mut self, page: Result<Page<T>>) -> Vec<Result<T>> {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                self.state = State::Finished;
                return vec![Err(e)];
            }
        };
        let mut items: Vec<Result<T>> = page.items.into_iter().map(Ok).collect();
        self.state = match (page.next_token, &self.state) {
            (Some(next), State::FetchAfter(prev)) if &next == prev => {
                items.push(Err(Error::new(
                    ErrorKind::Parse,
                    "the provider returned the same continuation token twice",
                )));
                State::Finished
            }
            (Some(next), _) => State::FetchAfter(next),
            (None, _) => State::Finished,
        };
        items
    }
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
}
