//! `objects.rewrite` answers and the loop that continues them: a token must change, the
//! bytes rewritten must grow, and the finished copy must be as large as the source said.
//! Pure.

use serde::Deserialize;

use super::responses::{ObjectJson, Stored, parse, parse_error, stored};
use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;

/// Calls in a row without a byte more rewritten before a copy gives up.
pub const MAX_STALLS: u32 = 10;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RewriteJson {
    done: bool,
    rewrite_token: Option<String>,
    total_bytes_rewritten: Option<String>,
    object_size: Option<String>,
    resource: Option<ObjectJson>,
}

/// Where a rewrite stands: finished with the new object, or to be continued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// Call again with `token`; `rewritten` bytes are copied so far (0 when unsaid).
    Continue {
        /// The token of the next call.
        token: String,
        /// `totalBytesRewritten`.
        rewritten: u64,
    },
    /// Done.
    Done(Stored),
}

/// A `storage#rewriteResponse` copying to `dst` (bucket, name). A finished copy's size
/// must be the `objectSize` stated (`Integrity` otherwise); more bytes rewritten than
/// that size is `Parse` (so a copy can progress only so many times).
pub fn rewrite(resp: &Response, dst: (&str, &str)) -> Result<Rewrite> {
    let context = format!("copying to {:?} in bucket {:?}", dst.1, dst.0);
    let doc: RewriteJson = parse(resp, "storage#rewriteResponse", &context)?;
    let number = |field: &str, v: Option<&str>| match v {
        None => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .map(Some)
            .map_err(|_| parse_error(format!("{context}: {field} {v:.32?} is not a number"))),
    };
    let rewritten = number("totalBytesRewritten", doc.total_bytes_rewritten.as_deref())?;
    let size = number("objectSize", doc.object_size.as_deref())?;
    if let (Some(r), Some(s)) = (rewritten, size) {
        if r > s {
            return Err(parse_error(format!(
                "{context}: {r} bytes rewritten of an object of {s}"
            )));
        }
    }
    if !doc.done {
        return match doc.rewrite_token.filter(|t| !t.is_empty()) {
            Some(token) => Ok(Rewrite::Continue {
                token,
                rewritten: rewritten.unwrap_or(0),
            }),
            None => Err(parse_error(format!(
                "{context}: not done and no rewrite token"
            ))),
        };
    }
    let resource = doc
        .resource
        .ok_or_else(|| parse_error(format!("{context}: done without the object")))?;
    let s = stored(resource, &context)?;
    if (s.object.container.as_str(), s.object.name.as_str()) != dst {
        return Err(parse_error(format!(
            "{context}: the answer describes another object"
        )));
    }
    match size {
        Some(size) if size != s.object.size => Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "{context}: the copy holds {} bytes, the source {size}",
                s.object.size
            ),
        )
        .with_provider("gcs")),
        _ => Ok(Rewrite::Done(s)),
    }
}

/// A copy in progress: the token to send next and how far it got. Only the last token
/// is kept; one handed back again is `Parse`; [`MAX_STALLS`] calls in a row without a
/// byte more rewritten are `Provider` (a server that never finishes ends the copy).
#[derive(Debug, Default)]
pub struct RewriteLoop {
    token: Option<String>,
    rewritten: u64,
    stalls: u32,
}

impl RewriteLoop {
    /// The token of the next call (`None`: the first).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Takes an answer: the copied object when done, `None` to call again.
    pub fn advance(&mut self, answer: Rewrite, context: &str) -> Result<Option<Stored>> {
        let (token, rewritten) = match answer {
            Rewrite::Done(s) => return Ok(Some(s)),
            Rewrite::Continue { token, rewritten } => (token, rewritten),
        };
        if self.token.as_deref() == Some(token.as_str()) {
            return Err(parse_error(format!(
                "{context}: the rewrite token did not change (the copy would never end)"
            )));
        }
        self.stalls = if rewritten > self.rewritten {
            0
        } else {
            self.stalls + 1
        };
        if self.stalls >= MAX_STALLS {
            return Err(Error::new(
                ErrorKind::Provider,
                format!(
                    "{context}: {MAX_STALLS} rewrite calls in a row copied nothing more \
                     ({} bytes so far)",
                    self.rewritten
                ),
            )
            .with_provider("gcs"));
        }
        self.rewritten = self.rewritten.max(rewritten);
        self.token = Some(token);
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::header_map;

    fn resp(body: &str) -> Response {
        Response {
            status: 200,
            headers: header_map([]),
            body: body.to_owned().into(),
        }
    }

    const OBJ: &str = r#"{"kind":"storage#object","name":"a/b","bucket":"bk","size":"5"}"#;

    fn more(token: &str, rewritten: u64) -> String {
        format!(
            r#"{{"kind":"storage#rewriteResponse","done":false,"rewriteToken":"{token}",
            "totalBytesRewritten":"{rewritten}","objectSize":"100"}}"#
        )
    }

    #[test]
    fn rewrites_end_or_move_on() {
        let r = rewrite(&resp(&more("t1", 7)), ("bk", "a/b")).unwrap();
        let t1 = Rewrite::Continue {
            token: "t1".into(),
            rewritten: 7,
        };
        assert_eq!(r, t1);
        let done = |size: &str| {
            format!(
                r#"{{"kind":"storage#rewriteResponse","done":true,"objectSize":"{size}","resource":{OBJ}}}"#
            )
        };
        let r = rewrite(&resp(&done("5")), ("bk", "a/b"));
        assert!(matches!(r, Ok(Rewrite::Done(_))));
        let e = rewrite(&resp(&done("6")), ("bk", "a/b")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
        let e = rewrite(&resp(&done("5")), ("bk", "other")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        // Progress is bounded by the size: more than it is a broken answer.
        let e = rewrite(&resp(&more("t2", 101)), ("bk", "a/b")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }

    #[test]
    fn a_repeated_token_ends_the_copy() {
        let mut l = RewriteLoop::default();
        let step = |t: &str, n| rewrite(&resp(&more(t, n)), ("bk", "a/b")).unwrap();
        assert_eq!(l.advance(step("t1", 10), "c").unwrap(), None);
        assert_eq!(l.token(), Some("t1"));
        let e = l.advance(step("t1", 20), "c").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }

    #[test]
    fn a_copy_that_never_progresses_ends() {
        let mut l = RewriteLoop::default();
        let step = |n: u32, done| rewrite(&resp(&more(&format!("t{n}"), done)), ("bk", "a/b"));
        // Progress resets the count: many calls are fine while bytes move.
        for n in 0..50 {
            assert_eq!(
                l.advance(step(n, u64::from(n) + 1).unwrap(), "c").unwrap(),
                None
            );
        }
        for n in 50..50 + MAX_STALLS - 1 {
            assert_eq!(l.advance(step(n, 50).unwrap(), "c").unwrap(), None);
        }
        let e = l.advance(step(99, 50).unwrap(), "c").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
    }
}
