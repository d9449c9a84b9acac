//! The fuzz target bodies, written once: the cargo-fuzz binaries (`fuzz/fuzz_targets/`)
//! call them on libFuzzer's inputs, and `tests/fuzz_props.rs` calls them on stable with
//! proptest's. Each `run` takes raw bytes (so seeds and crash files are plain files, see
//! each module for its layout) and panics only when a property breaks: a parser panicked,
//! an error has the wrong kind, or an output is larger than its input explains.

pub mod aws_profile;
pub mod range_answer;
pub mod s3_error;
pub mod s3_headers;
pub mod s3_xml;
pub mod sigv4;
pub mod storage_url;

use multicloud::{Error, ErrorKind};

/// How much larger than its input an output may be: parsers copy, unescape and quote
/// (`{:?}` turns one control byte into up to 10 characters), never more.
pub const GROWTH: usize = 12;
/// Fixed text a message may add (context, templates).
pub const SLACK: usize = 1024;

/// Panics unless `out` bytes are explained by `input` bytes.
pub fn assert_bounded(what: &str, out: usize, input: usize) {
    assert!(
        out <= input * GROWTH + SLACK,
        "{what}: {out} bytes out of {input} bytes in"
    );
}

/// Panics unless `err` is of `kind`, with a message explained by the input.
pub fn assert_error(err: &Error, kinds: &[ErrorKind], input: usize) {
    assert!(kinds.contains(&err.kind()), "unexpected kind: {err:?}");
    assert_bounded("error message", err.message().len(), input);
    assert!(!err.message().is_empty(), "empty message: {err:?}");
}

/// Splits `data` at its first `sep`: `(data, [])` when there is none.
pub fn split(data: &[u8], sep: u8) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == sep) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// `data` cut into `N` fields at `sep` (the last takes the rest; missing ones are empty).
pub fn fields<const N: usize>(mut data: &[u8], sep: u8) -> [&[u8]; N] {
    let mut out = [&[][..]; N];
    for (i, slot) in out.iter_mut().enumerate() {
        if i + 1 == N {
            *slot = data;
        } else {
            (*slot, data) = split(data, sep);
        }
    }
    out
}

/// `data` as text, invalid UTF-8 replaced (parsers of text inputs take `&str`).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
