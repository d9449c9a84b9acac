//! Conditional requests: the preconditions of uploads (create-only, `If-Match`) and of
//! reads (`If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`), and
//! their evaluation against an object's metadata.
//!
//! Every driver evaluates them the same way: Local and Memory with [`ReadConditions::check`]
//! and [`WriteCondition::check`] under their own lock, S3 by sending the headers and then
//! checking the answer with the same functions, so a server that ignores a condition
//! cannot turn it into a silent `Ok`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Object;
use crate::error::{Error, ErrorKind, Result};

/// A precondition on an upload, checked atomically with the write: when it fails,
/// nothing is written and the upload is [`ErrorKind::PreconditionFailed`].
///
/// Atomic means: by the store itself on S3; under one lock on Memory; on Local, among
/// the users of the directory in this process (commits take turns), not against other
/// processes writing the same directory. An upload refused although the name already
/// holds exactly its bytes is reported as done: that is what a retried request whose
/// first attempt landed looks like (its answer lost), and the outcome is the same.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteCondition {
    /// Create only: fail if an object of that name exists (`If-None-Match: *`).
    IfNotExists,
    /// Replace only the version with this ETag (`If-Match`); fail if the object changed
    /// or is missing. Quotes around the ETag are optional.
    IfMatch(String),
}

impl WriteCondition {
    /// Checks the condition against what the name holds now (`None`: nothing).
    pub fn check(&self, name: &str, existing: Option<&Object>) -> Result<()> {
        match (self, existing) {
            (WriteCondition::IfNotExists, Some(_)) => Err(failed(name, "it already exists")),
            (WriteCondition::IfMatch(_), None) => Err(failed(name, "it does not exist")),
            (WriteCondition::IfMatch(etag), Some(o)) if !etag_matches(etag, o, Strong) => {
                Err(failed(name, "its ETag is not the one given (it changed)"))
            }
            _ => Ok(()),
        }
    }

    /// The HTTP header that states the condition.
    pub fn header(&self) -> (&'static str, String) {
        match self {
            WriteCondition::IfNotExists => ("if-none-match", "*".to_owned()),
            WriteCondition::IfMatch(etag) => ("if-match", quoted(etag)),
        }
    }
}

/// Preconditions on a read, as HTTP defines them (RFC 9110 §13): `if_match` and
/// `if_unmodified_since` failing is [`ErrorKind::PreconditionFailed`]; `if_none_match`
/// matching or `if_modified_since` not passed is [`ErrorKind::NotModified`]. ETags may be
/// given with or without quotes; `"*"` matches any existing object. Times are compared
/// at whole seconds, as HTTP dates carry them.
///
/// ```
/// use multicloud::storage::ReadConditions;
/// let etag = "5d41402abc4b2a76b9719d911017c592";
/// let only_if_changed = ReadConditions::new().if_none_match(etag);
/// assert_eq!(only_if_changed.if_none_match.as_deref(), Some(etag));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadConditions {
    /// Read only if the object's ETag is this one.
    pub if_match: Option<String>,
    /// Read only if the object's ETag is not this one (else `NotModified`).
    pub if_none_match: Option<String>,
    /// Read only if the object changed after this time (else `NotModified`).
    pub if_modified_since: Option<SystemTime>,
    /// Read only if the object did not change after this time.
    pub if_unmodified_since: Option<SystemTime>,
}

impl ReadConditions {
    /// No conditions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`if_match`](Self::if_match).
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Sets [`if_none_match`](Self::if_none_match).
    pub fn if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.if_none_match = Some(etag.into());
        self
    }

    /// Sets [`if_modified_since`](Self::if_modified_since).
    pub fn if_modified_since(mut self, time: SystemTime) -> Self {
        self.if_modified_since = Some(time);
        self
    }

    /// Sets [`if_unmodified_since`](Self::if_unmodified_since).
    pub fn if_unmodified_since(mut self, time: SystemTime) -> Self {
        self.if_unmodified_since = Some(time);
        self
    }

    /// True when no condition is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Evaluates the conditions on the object about to be read, in HTTP's order:
    /// `If-Match`, else `If-Unmodified-Since`; then `If-None-Match`, else
    /// `If-Modified-Since`. A time condition on an object without a modification time
    /// holds (there is nothing to compare).
    pub fn check(&self, object: &Object) -> Result<()> {
        let name = &object.name;
        match &self.if_match {
            Some(etag) if !etag_matches(etag, object, Strong) => {
                return Err(failed(name, "its ETag is not the one given"));
            }
            Some(_) => {}
            None if self
                .if_unmodified_since
                .is_some_and(|t| changed_after(object, t)) =>
            {
                return Err(failed(name, "it was modified after the time given"));
            }
            None => {}
        }
        match &self.if_none_match {
            Some(etag) if etag_matches(etag, object, Weak) => Err(not_modified(name, "its ETag")),
            Some(_) => Ok(()),
            None if self
                .if_modified_since
                .is_some_and(|t| unchanged_since(object, t)) =>
            {
                Err(not_modified(name, "its modification time"))
            }
            None => Ok(()),
        }
    }

    /// The HTTP headers that state the conditions.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(e) = &self.if_match {
            out.push(("if-match", quoted(e)));
        }
        if let Some(e) = &self.if_none_match {
            out.push(("if-none-match", quoted(e)));
        }
        if let Some(t) = self.if_modified_since {
            out.push(("if-modified-since", http_date(t)));
        }
        if let Some(t) = self.if_unmodified_since {
            out.push(("if-unmodified-since", http_date(t)));
        }
        out
    }
}

/// How ETags are compared (RFC 9110 §8.8.3.2): `If-Match` strongly (a weak ETag never
/// matches), `If-None-Match` weakly (the `W/` is ignored).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Strong,
    Weak,
}
use Comparison::{Strong, Weak};

/// Whether `etag` (quoted or not, `*` for any) names the object's current version.
fn etag_matches(etag: &str, object: &Object, how: Comparison) -> bool {
    let wanted = unquoted(etag);
    if wanted == "*" {
        return true;
    }
    let Some(have) = object.hash.as_deref() else {
        return false;
    };
    let weak = is_weak(etag) || is_weak(have);
    !(how == Strong && weak) && unquoted(have) == wanted
}

fn is_weak(etag: &str) -> bool {
    etag.trim().starts_with("W/")
}

/// Whether the object changed after `time`, at the whole seconds HTTP dates carry; one
/// without a modification time has nothing to compare and counts as unchanged.
fn changed_after(object: &Object, time: SystemTime) -> bool {
    object
        .last_modified
        .is_some_and(|m| whole_seconds(m) > whole_seconds(time))
}

/// Whether the object is known not to have changed after `time` (`false` without a
/// modification time: the read goes ahead, as HTTP says).
fn unchanged_since(object: &Object, time: SystemTime) -> bool {
    object
        .last_modified
        .is_some_and(|m| whole_seconds(m) <= whole_seconds(time))
}

/// An HTTP date, clamped to the years HTTP dates can carry (1970-9999) instead of
/// panicking as the formatter does outside them.
fn http_date(t: SystemTime) -> String {
    // 9999-12-31T23:59:59Z.
    let last = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    httpdate::fmt_http_date(t.clamp(UNIX_EPOCH, last))
}

fn whole_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

fn unquoted(etag: &str) -> &str {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.trim_matches('"')
}

fn quoted(etag: &str) -> String {
    match unquoted(etag) {
        "*" => "*".to_owned(),
        e => format!("\"{e}\""),
    }
}

fn failed(name: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::PreconditionFailed,
        format!("object {name:?}: precondition failed: {why}"),
    )
}

fn not_modified(name: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::NotModified,
        format!("object {name:?} is not modified ({what} says so)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(hash: &str, modified_secs: u64) -> Object {
        let mut o = Object::new("c", "k", 5);
        o.hash = Some(hash.to_owned());
        o.last_modified = Some(UNIX_EPOCH + Duration::from_millis(modified_secs * 1000 + 700));
        o
    }

    fn kind(r: Result<()>) -> Option<ErrorKind> {
        r.err().map(|e| e.kind())
    }

    #[test]
    fn write_conditions_follow_existence_and_etag() {
        let o = object("abc", 10);
        assert_eq!(kind(WriteCondition::IfNotExists.check("k", None)), None);
        let exists = WriteCondition::IfNotExists.check("k", Some(&o));
        assert_eq!(kind(exists), Some(ErrorKind::PreconditionFailed));
        let right = WriteCondition::IfMatch("\"abc\"".into());
        assert_eq!(kind(right.check("k", Some(&o))), None);
        let missing = right.check("k", None);
        assert_eq!(kind(missing), Some(ErrorKind::PreconditionFailed));
        let wrong = WriteCondition::IfMatch("abd".into()).check("k", Some(&o));
        assert_eq!(kind(wrong), Some(ErrorKind::PreconditionFailed));
        assert_eq!(right.header(), ("if-match", "\"abc\"".to_owned()));
        assert_eq!(WriteCondition::IfNotExists.header().1, "*");
    }

    #[test]
    fn read_conditions_follow_http_precedence() {
        let o = object("abc", 100);
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        let c = ReadConditions::new;
        assert_eq!(kind(c().check(&o)), None);
        assert_eq!(kind(c().if_match("abc").check(&o)), None);
        let pf = Some(ErrorKind::PreconditionFailed);
        let nm = Some(ErrorKind::NotModified);
        assert_eq!(kind(c().if_match("W/\"zzz\"").check(&o)), pf);
        assert_eq!(kind(c().if_unmodified_since(at(99)).check(&o)), pf);
        // The same second is not "after", whatever the sub-second part.
        assert_eq!(kind(c().if_unmodified_since(at(100)).check(&o)), None);
        // If-Match wins over If-Unmodified-Since.
        let both = c().if_match("abc").if_unmodified_since(at(1));
        assert_eq!(kind(both.check(&o)), None);
        assert_eq!(kind(c().if_none_match("\"abc\"").check(&o)), nm);
        assert_eq!(kind(c().if_none_match("*").check(&o)), nm);
        assert_eq!(kind(c().if_none_match("other").check(&o)), None);
        assert_eq!(kind(c().if_modified_since(at(100)).check(&o)), nm);
        assert_eq!(kind(c().if_modified_since(at(99)).check(&o)), None);
        // If-None-Match wins over If-Modified-Since.
        let changed = c().if_none_match("other").if_modified_since(at(500));
        assert_eq!(kind(changed.check(&o)), None);
    }

    #[test]
    fn headers_are_quoted_once_and_dated_as_http() {
        let h = ReadConditions::new()
            .if_match("\"abc\"")
            .if_none_match("*")
            .if_modified_since(UNIX_EPOCH)
            .headers();
        assert_eq!(h[0], ("if-match", "\"abc\"".to_owned()));
        assert_eq!(h[1], ("if-none-match", "*".to_owned()));
        assert_eq!(h[2].1, "Thu, 01 Jan 1970 00:00:00 GMT");
        assert!(ReadConditions::new().is_empty());
    }

    #[test]
    fn weak_etags_never_satisfy_if_match_but_do_if_none_match() {
        let o = object("abc", 1);
        let c = ReadConditions::new;
        let weak = c().if_match("W/\"abc\"").check(&o);
        assert_eq!(kind(weak), Some(ErrorKind::PreconditionFailed));
        let weak = c().if_none_match("W/\"abc\"").check(&o);
        assert_eq!(kind(weak), Some(ErrorKind::NotModified));
        let write = WriteCondition::IfMatch("W/\"abc\"".into()).check("k", Some(&o));
        assert_eq!(kind(write), Some(ErrorKind::PreconditionFailed));
    }

    #[test]
    fn an_object_without_a_time_is_read() {
        let mut o = object("abc", 1);
        o.last_modified = None;
        let since = ReadConditions::new().if_modified_since(SystemTime::now());
        assert_eq!(kind(since.check(&o)), None);
        let until = ReadConditions::new().if_unmodified_since(UNIX_EPOCH);
        assert_eq!(kind(until.check(&o)), None);
    }

    #[test]
    fn dates_outside_http_years_are_clamped_not_panics() {
        let before = UNIX_EPOCH - Duration::from_secs(10);
        let after = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        let h = ReadConditions::new()
            .if_modified_since(before)
            .if_unmodified_since(after)
            .headers();
        assert_eq!(h[0].1, "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(h[1].1, "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn messages_name_the_object() {
        let e = WriteCondition::IfNotExists
            .check("a/b", Some(&object("x", 1)))
            .unwrap_err();
        assert!(e.to_string().contains("\"a/b\""), "{e}");
    }
}
