//! Checking an HTTP answer to a (ranged) GET against what was asked, so a server that
//! ignores `Range`, answers another offset or announces another length never yields
//! wrong bytes. Pure; every HTTP storage driver runs its answers through it.

use super::ByteRange;
use crate::error::{Error, ErrorKind, Result};

/// What a GET answer carries once checked: where its bytes sit in the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeAnswer {
    /// Offset of the first byte of the body in the object.
    pub start: u64,
    /// Bytes the body must hold, exactly.
    pub len: u64,
    /// The object's whole size.
    pub total: u64,
}

/// Checks the status, `Content-Range` and `Content-Length` of a successful GET answer
/// against the `asked` range. A whole-object GET must be a 200 with a length; a ranged one
/// a 206 whose `Content-Range` starts where asked and ends where asked (or at the object's
/// end), unless a 200 carries exactly the bytes asked (a range from 0 covering the object).
/// A range starting at or past the end of the object the answer describes is
/// [`ErrorKind::InvalidInput`] (what S3's 416 says too, for servers that send the whole
/// object instead); anything else is [`ErrorKind::Integrity`].
pub fn check_range_answer(
    asked: ByteRange,
    status: u16,
    content_range: Option<&str>,
    content_length: Option<u64>,
) -> Result<RangeAnswer> {
    let answer = match (status, content_range) {
        (206, Some(cr)) => parse_content_range(cr)?,
        (200, _) => RangeAnswer {
            start: 0,
            len: content_length.ok_or_else(|| mismatch("the answer has no Content-Length"))?,
            total: content_length.unwrap_or(0),
        },
        (206, None) => return Err(mismatch("a 206 answer has no Content-Range")),
        (s, _) => return Err(mismatch(format!("unexpected status {s} to a GET"))),
    };
    if content_length.is_some_and(|l| l != answer.len) {
        return Err(mismatch(format!(
            "Content-Length {} disagrees with the range's {} bytes",
            content_length.unwrap_or(0),
            answer.len
        )));
    }
    covers(asked, answer)?;
    Ok(answer)
}

/// Whether the answer is exactly the asked range (after clamping to the object's size).
fn covers(asked: ByteRange, answer: RangeAnswer) -> Result<()> {
    let (start, len) = asked.resolve(answer.total)?;
    if (answer.start, answer.len) != (start, len) {
        return Err(mismatch(format!(
            "asked for bytes {start}..{} of {}, got bytes {}..{}",
            start + len,
            answer.total,
            answer.start,
            answer.start + answer.len
        )));
    }
    Ok(())
}

/// `bytes first-last/total` (total may not be `*`: we need it for the object's size).
fn parse_content_range(value: &str) -> Result<RangeAnswer> {
    let bad = || mismatch(format!("malformed Content-Range {value:.80?}"));
    let rest = value.trim().strip_prefix("bytes ").ok_or_else(bad)?;
    let (span, total) = rest.split_once('/').ok_or_else(bad)?;
    let (first, last) = span.split_once('-').ok_or_else(bad)?;
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let (first, last, total) = (num(first)?, num(last)?, num(total)?);
    if last < first || last >= total {
        return Err(bad());
    }
    Ok(RangeAnswer {
        start: first,
        len: last - first + 1,
        total,
    })
}

fn mismatch(why: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::Integrity,
        format!(
            "the server's answer does not match the range asked: {}",
            why.into()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(asked: ByteRange, status: u16, cr: Option<&str>, len: u64) -> Result<RangeAnswer> {
        check_range_answer(asked, status, cr, Some(len))
    }

    #[test]
    fn honoured_ranges_pass() {
        let a = check((2..5).into(), 206, Some("bytes 2-4/10"), 3).unwrap();
        assert_eq!((a.start, a.len, a.total), (2, 3, 10));
        // An end past the object is clamped by the server.
        let a = check((8..50).into(), 206, Some("bytes 8-9/10"), 2).unwrap();
        assert_eq!(a.len, 2);
        let a = check(ByteRange::ALL, 200, None, 10).unwrap();
        assert_eq!((a.len, a.total), (10, 10));
        // A 200 is fine when it is exactly the range: from 0 over the whole object.
        assert!(check((0..50).into(), 200, None, 10).is_ok());
        assert!(check((0..).into(), 200, None, 10).is_ok());
    }

    #[test]
    fn ignored_wrong_or_inconsistent_ranges_are_integrity_errors() {
        let cases: [(ByteRange, u16, Option<&str>, u64); 9] = [
            ((2..5).into(), 200, None, 10),                // Range ignored
            ((2..5).into(), 206, Some("bytes 3-5/10"), 3), // wrong offset
            ((2..5).into(), 206, Some("bytes 2-6/10"), 5), // too long
            ((2..5).into(), 206, Some("bytes 2-4/10"), 4), // length disagrees
            ((2..5).into(), 206, None, 3),                 // no Content-Range
            ((2..5).into(), 206, Some("bytes 2-4/*"), 3),  // no total
            ((2..5).into(), 206, Some("bytes 4-2/10"), 3), // backwards
            ((2..5).into(), 206, Some("items 2-4/10"), 3), // not bytes
            ((2..5).into(), 204, None, 0),                 // odd status
        ];
        for (asked, status, cr, len) in cases {
            let e = check(asked, status, cr, len).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Integrity, "{status} {cr:?}: {e}");
        }
        let e = check_range_answer(ByteRange::ALL, 200, None, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity);
    }
}
