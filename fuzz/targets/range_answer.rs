//! The check of a (ranged) GET answer: `storage::check_range_answer`.
//!
//! Input: five NUL-separated text fields `start`, `end`, `status`, `content-length`,
//! `content-range` (numbers in decimal; an empty or unparsable `end` or `content-length`
//! is absent, as is an empty `content-range`).
//! Properties: an accepted answer places its bytes exactly where asked (the asked range
//! resolved against the size the answer announces), with the length `Content-Length`
//! says; a refusal is `Integrity`, or `InvalidInput` only when the range starts at or past
//! the end of the object as the answer describes it (what S3's 416 means too; drivers
//! never ask an empty or backwards range); and an honest server's answer to the same
//! range, for an object of `content-length` bytes, is accepted.

use multicloud::ErrorKind;
use multicloud::storage::{ByteRange, RangeAnswer, check_range_answer};

use super::{assert_error, fields, text};

/// An input for [`run`].
pub fn input(
    start: u64,
    end: Option<u64>,
    status: u16,
    length: Option<u64>,
    content_range: &str,
) -> Vec<u8> {
    let num = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let status = status.to_string();
    let all = [
        &num(Some(start)),
        &num(end),
        &status,
        &num(length),
        content_range,
    ];
    all.join("\0").into_bytes()
}

/// The answer `data` describes: the range asked, then status, length and range header.
pub struct Answer {
    /// The range asked.
    pub asked: ByteRange,
    /// The status.
    pub status: u16,
    /// `Content-Length`, if any.
    pub length: Option<u64>,
    /// `Content-Range`, if any.
    pub content_range: Option<String>,
}

impl Answer {
    /// Reads `data` (see the module).
    pub fn parse(data: &[u8]) -> Self {
        let [start, end, status, length, range] = fields::<5>(data, 0);
        let num = |f: &[u8]| text(f).trim().parse::<u64>().ok();
        let content_range = Some(text(range)).filter(|r| !r.is_empty());
        Answer {
            asked: ByteRange {
                start: num(start).unwrap_or(0),
                end: num(end),
            },
            status: text(status).trim().parse().unwrap_or(0),
            length: num(length),
            content_range,
        }
    }

    /// What the check says of it.
    pub fn check(&self) -> multicloud::Result<RangeAnswer> {
        let range = self.content_range.as_deref();
        check_range_answer(self.asked, self.status, range, self.length)
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let answer = Answer::parse(data);
    // Drivers never send an empty or backwards range (they answer it without a request).
    let valid = answer.asked.end.is_none_or(|e| e > answer.asked.start);
    match answer.check() {
        Ok(a) => accepted(&answer, a),
        Err(e) if e.kind() == ErrorKind::InvalidInput && valid => {
            let size = announced(&answer);
            assert!(size.is_some_and(|s| answer.asked.start >= s), "{e:?}");
            assert_error(&e, &[ErrorKind::InvalidInput], data.len());
        }
        Err(e) => assert_error(
            &e,
            &[ErrorKind::Integrity, ErrorKind::InvalidInput],
            data.len(),
        ),
    }
    if let (true, Some(size)) = (valid, answer.length) {
        honest(answer.asked, size);
    }
}

/// An accepted answer holds exactly the bytes asked, and says how many.
fn accepted(answer: &Answer, a: RangeAnswer) {
    let expected = answer.asked.resolve(a.total);
    assert_eq!(expected.ok(), Some((a.start, a.len)), "{a:?}");
    assert!(a.start.checked_add(a.len).is_some_and(|end| end <= a.total));
    assert!(answer.length.is_none_or(|l| l == a.len), "{a:?}");
    match answer.status {
        200 => assert_eq!((a.start, Some(a.len)), (0, answer.length), "{a:?}"),
        206 => {
            let range = answer.content_range.as_deref().unwrap_or_default();
            let total = a.total.to_string();
            assert!(range.trim_end().ends_with(&total), "{range:?} for {a:?}");
        }
        other => panic!("status {other} accepted: {a:?}"),
    }
}

/// The object's size as the answer gives it (`Content-Length` of a 200, the total of a
/// 206's `Content-Range`).
fn announced(answer: &Answer) -> Option<u64> {
    match answer.status {
        200 => answer.length,
        _ => {
            let range = answer.content_range.as_deref()?;
            range.rsplit_once('/')?.1.trim().parse().ok()
        }
    }
}

/// What a server honouring `asked` on an object of `size` bytes answers is accepted.
fn honest(asked: ByteRange, size: u64) {
    let Ok((start, len)) = asked.resolve(size) else {
        return; // the server answers 416
    };
    let (status, range, length) = if asked == ByteRange::ALL {
        (200, None, size)
    } else if len == 0 {
        return; // nothing to send: 416 too
    } else {
        let last = start + len - 1;
        (206, Some(format!("bytes {start}-{last}/{size}")), len)
    };
    let got = check_range_answer(asked, status, range.as_deref(), Some(length));
    let want = RangeAnswer {
        start,
        len,
        total: size,
    };
    assert_eq!(got.ok(), Some(want), "{asked:?} of {size} bytes refused");
}
