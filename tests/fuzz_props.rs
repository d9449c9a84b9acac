//! The fuzz targets (`fuzz/targets/`, see docs/fuzzing.md) as property tests on stable:
//! every parser of untrusted input gets generated inputs shaped like its format (XML
//! documents from the S3 vocabulary, header lists, INI files, URLs, requests to sign),
//! mutated and cut, and must not panic, must fail with the right error kind, must return
//! nothing larger than its input explains, and must not allocate more than a fixed
//! multiple of its input. The seeds and saved crash inputs under `fuzz/` run too.

#[path = "../fuzz/targets/mod.rs"]
mod targets;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;

use targets::{aws_profile, range_answer, s3_error, s3_headers, s3_xml, sigv4, storage_url};

// ---- memory: peak bytes live on this thread while a target runs ------------------------

/// The system allocator, counting this thread's live and peak bytes.
struct Metered;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

fn shrank(bytes: usize) {
    // Memory freed by another thread than the one that took it can go below zero here.
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: every call forwards to `System` with the same arguments; counting never
// allocates (const thread-locals without destructors).
unsafe impl GlobalAlloc for Metered {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static METERED: Metered = Metered;

/// Allowed peak: this many bytes per input byte, plus [`FIXED`].
const PER_BYTE: usize = 64;
/// Allowed peak whatever the input (formatting, error boxes, HashMaps' first tables).
const FIXED: usize = 256 << 10;

/// Runs `f` on `data`, failing when it panics or its peak memory is out of bounds.
fn metered(data: &[u8], fixed: usize, f: impl FnOnce(&[u8])) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    f(data);
    let peak = PEAK.with(Cell::get) - start;
    let allowed = data.len() * PER_BYTE + fixed;
    assert!(
        peak <= allowed,
        "peak {peak} bytes for a {} byte input",
        data.len()
    );
}

/// `AnyStorage::from_url` of the mode built (blocking first when both are).
fn from_url(url: &str) -> multicloud::Result<multicloud::Location> {
    #[cfg(not(feature = "blocking"))]
    use multicloud::asynchronous::storage::AnyStorage;
    #[cfg(feature = "blocking")]
    use multicloud::blocking::storage::AnyStorage;
    AnyStorage::from_url(url).map(|(_, location)| location)
}

/// The targets by name, as `fuzz/seeds/` and `fuzz/regressions/` name their folders.
fn target(name: &str) -> fn(&[u8]) {
    match name {
        "s3_xml" => s3_xml::run,
        "s3_error" => s3_error::run,
        "s3_headers" => s3_headers::run,
        "range_answer" => range_answer::run,
        "aws_profile" => aws_profile::run,
        "storage_url" => |d| storage_url::run(d, from_url),
        "sigv4" => sigv4::run,
        other => panic!("no target {other}"),
    }
}

/// A client and its TLS roots are built for `s3:` URLs: a fixed cost, not input-driven.
const CLIENT: usize = 4 << 20;

// ---- generated inputs ----------------------------------------------------------------

/// Element names of every S3 answer parsed.
const XML_NAMES: &[&str] = &[
    "ListAllMyBucketsResult",
    "Buckets",
    "Bucket",
    "Name",
    "CreationDate",
    "ListBucketResult",
    "Contents",
    "Key",
    "LastModified",
    "ETag",
    "Size",
    "IsTruncated",
    "NextContinuationToken",
    "InitiateMultipartUploadResult",
    "UploadId",
    "CompleteMultipartUploadResult",
    "CopyObjectResult",
    "DeleteResult",
    "Error",
    "Code",
    "Message",
    "RequestId",
    "ListMultipartUploadsResult",
    "Upload",
    "Initiated",
    "NextKeyMarker",
    "NextUploadIdMarker",
    "s3:Key",
    "x",
];

/// Texts worth putting in elements.
const XML_TEXTS: &[&str] = &[
    "",
    "a",
    "key/with spaces",
    "0",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "true",
    "false",
    "TRUE",
    "2026-01-02T03:04:05.000Z",
    "2026-13-45T99:99:99Z",
    "\"0123456789abcdef0123456789abcdef\"",
    "NoSuchKey",
    "SlowDown",
    "InternalError",
    "AccessDenied",
    "&amp;&lt;&#x41;&#65;",
    "&bogus;",
    "&#0;",
    "&#x110000;",
    "<![CDATA[x<y]]>",
    "<!-- c -->",
    "é\u{1F600}",
    "\u{0}",
];

/// The fields each root of [`s3_xml::ROOTS`] has, in the same order, then `<Error>`'s.
const FIELDS: [&[&str]; 8] = [
    &["Buckets", "Owner"],
    &[
        "Contents",
        "IsTruncated",
        "NextContinuationToken",
        "KeyCount",
    ],
    &["UploadId", "Bucket", "Key"],
    &["ETag", "Location", "Bucket", "Key"],
    &["ETag", "LastModified"],
    &["Error", "Deleted"],
    &[
        "Upload",
        "IsTruncated",
        "NextKeyMarker",
        "NextUploadIdMarker",
    ],
    &["Code", "Message", "RequestId", "Resource"],
];

/// An element named from `names` holding text, or empty.
fn xml_leaf(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let leaf = (select(names), select(XML_TEXTS)).prop_map(|(n, t)| format!("<{n}>{t}</{n}>"));
    let empty = select(names).prop_map(|n| format!("<{n}/>"));
    prop_oneof![3 => leaf, 1 => empty]
}

/// An XML element tree rendered to text.
fn xml_element() -> impl Strategy<Value = String> {
    xml_leaf(XML_NAMES).prop_recursive(3, 32, 5, |inner| {
        (select(XML_NAMES), prop::collection::vec(inner, 0..5))
            .prop_map(|(n, kids)| format!("<{n}>{}</{n}>", kids.concat()))
    })
}

/// A document: a prolog or padding, `root` or another root from the vocabulary, then maybe
/// cut short or with random bytes spliced in.
fn xml_body(root: &'static str, fields: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let prolog = select(
        &[
            "",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "\n\n          ",
            "<!-- padding -->",
            "<!DOCTYPE x [<!ENTITY e \"boom\">]>",
            "junk",
        ][..],
    );
    let name = prop_oneof![Just(root), select(XML_NAMES)];
    let kid = prop_oneof![3 => xml_leaf(fields), 1 => xml_leaf(XML_NAMES), 1 => xml_element()];
    let root = (name, prop::collection::vec(kid, 0..6), any::<bool>()).prop_map(|(n, kids, ns)| {
        let attr = if ns {
            " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
        } else {
            ""
        };
        format!("<{n}{attr}>{}</{n}>", kids.concat())
    });
    (prolog, root, mutation()).prop_map(|(p, r, m)| m.apply(format!("{p}{r}").into_bytes()))
}

/// A parser (by index) and a body, mostly a document with the parser's root.
fn s3_answer() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (0..s3_xml::ROOTS.len()).prop_flat_map(|i| {
        let body = prop_oneof![8 => xml_body(s3_xml::ROOTS[i], FIELDS[i]), 1 => noise()];
        (Just(i as u8), body)
    })
}

/// A damage done to a generated input.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    Cut(usize),
    Splice(usize, Vec<u8>),
}

impl Mutation {
    fn apply(self, mut data: Vec<u8>) -> Vec<u8> {
        match self {
            Mutation::None => {}
            Mutation::Cut(at) => data.truncate(at % (data.len() + 1)),
            Mutation::Splice(at, bytes) => {
                let at = at % (data.len() + 1);
                data.splice(at..at, bytes);
            }
        }
        data
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => Just(Mutation::None),
        1 => any::<usize>().prop_map(Mutation::Cut),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Mutation::Splice(at, b)),
    ]
}

/// Raw bytes, for the targets' own layouts to make sense of.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..512)
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    let words = select(
        &[
            "0",
            "123",
            " 42 ",
            "+7",
            "-1",
            "18446744073709551616",
            "bytes 0-9/100",
            "bytes 0-9/*",
            "bytes */100",
            "/",
            "\"etag\"",
            "\"",
            "text/plain",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "yesterday",
            "v\u{e9}",
        ][..],
    );
    prop_oneof![
        4 => words.prop_map(|w| w.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..16),
    ]
}

fn header_lines() -> impl Strategy<Value = Vec<u8>> {
    let names = select(
        &[
            "content-length",
            "content-range",
            "etag",
            "content-type",
            "last-modified",
            "x-amz-meta-a",
            "x-amz-meta-",
            "x-amz-meta-long-name",
            "x-amz-request-id",
            "X-Amz-Meta-B",
            "bad name",
        ][..],
    );
    prop::collection::vec((names, header_value()), 0..8).prop_map(|pairs| {
        let refs: Vec<(&str, &[u8])> = pairs.iter().map(|(k, v)| (*k, &v[..])).collect();
        s3_headers::input(&refs)
    })
}

/// A number near a small object's bounds, or anywhere up to `u64::MAX`.
fn range_number() -> impl Strategy<Value = u64> {
    prop_oneof![8 => 0u64..40, 1 => any::<u64>(), 1 => Just(u64::MAX)]
}

/// An answer to a ranged GET: what an honest server sends for some object, then maybe one
/// field changed (status, offset, end, total, length, header's form), or fields at random.
fn range_answer() -> impl Strategy<Value = Vec<u8>> {
    let asked = (0u64..40, prop::option::of(0u64..48), 0u64..40);
    let honest = (asked, 0u8..8, range_number()).prop_map(|((start, end, size), change, n)| {
        let end = end.map(|e| e.max(start + 1));
        let stop = end.unwrap_or(size).min(size).max(start + 1);
        let (mut first, mut last, mut total) = (start, stop - 1, size);
        let (mut status, mut form) = (206u16, "bytes {f}-{l}/{t}");
        let mut length = Some(stop - start);
        match change {
            0 => status = [200, 204, 416, 0][n as usize % 4],
            1 => first = n,
            2 => last = n,
            3 => total = n,
            4 => length = Some(n).filter(|_| n % 5 != 0),
            5 => {
                form = [
                    "bytes {f}-{l}/*",
                    " bytes {f} - {l} / {t} ",
                    "bytes={f}-{l}/{t}",
                ][n as usize % 3]
            }
            _ => {}
        }
        let range = form
            .replace("{f}", &first.to_string())
            .replace("{l}", &last.to_string())
            .replace("{t}", &total.to_string());
        range_answer::input(start, end, status, length, &range)
    });
    let status = prop_oneof![4 => select(&[200u16, 206][..]), 1 => any::<u16>()];
    let header = prop_oneof![
        1 => Just(String::new()),
        3 => (range_number(), range_number(), range_number())
            .prop_map(|(f, l, t)| format!("bytes {f}-{l}/{t}")),
        1 => select(&["bytes */10", "bytes 1-2", "bytes -1-2/3", "bytes 0-0/1/2", "\u{e9}"][..])
            .prop_map(String::from),
    ];
    let random = (
        range_number(),
        prop::option::of(range_number()),
        status,
        prop::option::of(range_number()),
        header,
    )
        .prop_map(|(s, e, st, l, h)| range_answer::input(s, e, st, l, &h));
    prop_oneof![4 => honest, 2 => random, 1 => noise()]
}

fn ini_file() -> impl Strategy<Value = Vec<u8>> {
    let lines = select(
        &[
            "[default]",
            "[profile work]",
            "[work]",
            "[ profile   work ]",
            "[work",
            "[]",
            "[a]b]",
            "aws_access_key_id = AKID",
            "AWS_ACCESS_KEY_ID=AKID2",
            "aws_access_key_id =",
            "aws_secret_access_key = SECRET-MARKER-7f3a",
            "aws_session_token = SECRET-MARKER-7f3a",
            "region = eu-west-1",
            "region = eu west",
            "endpoint_url = http://127.0.0.1:9000",
            "endpoint_url = ftp://x",
            "endpoint_url = http://u:p@h",
            "role_arn = arn:aws:iam::1:role/x",
            "credential_process = /bin/true",
            "s3 =",
            "  max_concurrent_requests = 20",
            "# c",
            "; c",
            "",
            "\u{feff}[default]",
            "just words",
            "= v",
            "\r",
        ][..],
    );
    let file = prop::collection::vec(lines, 0..10).prop_map(|l| l.join("\n").into_bytes());
    (file, mutation()).prop_map(|(f, m)| m.apply(f))
}

fn profile() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => select(&["", "default", "work", "typo", "profile work", "SECRET-MARKER-7f3a"][..])
            .prop_map(|p| p.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..8),
    ]
}

fn url() -> impl Strategy<Value = Vec<u8>> {
    let scheme = select(&["s3", "S3", "memory", "file", "gs", "az", "ftp", "http", ""][..]);
    let sep = select(&["://", ":", ":/", ":///", " ://", "\t://"][..]);
    let host = select(
        &[
            "bucket",
            "",
            "localhost",
            "b%20c",
            "[::1]",
            "xn--",
            "a.b",
            "remote",
        ][..],
    );
    let path = select(
        &[
            "", "/", "/a/b", "/a%2Fb", "/%ff", "/%e9", "/../x", "/tmp/x y",
        ][..],
    );
    let query = select(
        &[
            "",
            "?anonymous=true",
            "?anonymous=false",
            "?anonymous=yes",
            "?container=c&prefix=p",
            "?evil=1",
            "?anonymous=true&anonymous=1",
            "#frag",
        ][..],
    );
    let built = (scheme, sep, host, path, query)
        .prop_map(|(s, sep, h, p, q)| format!("{s}{sep}{h}{p}{q}").into_bytes());
    (built, mutation()).prop_map(|(u, m)| m.apply(u))
}

fn sigv4_text() -> impl Strategy<Value = String> {
    let chars = select(
        &[
            'a',
            'Z',
            '0',
            '/',
            '.',
            '-',
            '_',
            '~',
            '%',
            '&',
            '=',
            ':',
            ';',
            ' ',
            '\t',
            '\r',
            '+',
            '*',
            '?',
            '#',
            '\u{e9}',
            '\u{1F600}',
            '\u{85}',
            '\u{3000}',
            '\u{0}',
        ][..],
    );
    prop::collection::vec(chars, 0..24).prop_map(|c| c.into_iter().collect())
}

fn sigv4_request() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec(sigv4_text(), 9), any::<u64>()).prop_map(|(f, secs)| {
        let secs = secs.to_string();
        let all: [&str; 10] = [
            &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &secs,
        ];
        sigv4::input(&all)
    })
}

// ---- the properties ------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn s3_xml_answers((parser, body) in s3_answer(), status in prop_oneof![4 => Just(0u8), 1 => 0u8..16]) {
        metered(&s3_xml::input(parser, status, &body), FIXED, s3_xml::run);
    }

    #[test]
    fn s3_error_bodies(function in any::<u8>(), status in 0u8..16,
                       id in prop_oneof![Just(b"REQ-1".to_vec()), noise()],
                       body in prop_oneof![8 => xml_body("Error", FIELDS[7]), 1 => noise()]) {
        metered(&s3_error::input(function, status, &id, &body), FIXED, s3_error::run);
    }

    #[test]
    fn s3_object_headers(data in prop_oneof![8 => header_lines(), 1 => noise()]) {
        metered(&data, FIXED, s3_headers::run);
    }

    #[test]
    fn range_answers(data in range_answer()) {
        metered(&data, FIXED, range_answer::run);
    }

    #[test]
    fn sigv4_canonicalisation_and_signing(data in prop_oneof![8 => sigv4_request(), 1 => noise()]) {
        metered(&data, FIXED, sigv4::run);
    }
}

proptest! {
    // Each case writes two files, or builds a client: fewer cases.
    #![proptest_config(config(500))]

    #[test]
    fn aws_shared_files(credentials in ini_file(), config in ini_file(), profile in profile()) {
        let data = aws_profile::input(&credentials, &config, &profile);
        metered(&data, FIXED, aws_profile::run);
    }

    #[test]
    fn storage_urls(data in prop_oneof![8 => url(), 1 => noise()]) {
        metered(&data, CLIENT, target("storage_url"));
    }
}

/// The generated answers are not all refused: some of each parser's documents parse (else
/// the properties above would only ever see errors).
#[test]
fn generated_answers_reach_every_parser() {
    use multicloud::storage::s3::responses as r;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut parsed = [0usize; 7];
    for _ in 0..2000 {
        let (i, body) = s3_answer().new_tree(&mut runner).unwrap().current();
        let resp = s3_xml::response(200, &body);
        let ok = match i {
            0 => r::containers(&resp).is_ok(),
            1 => r::object_page(&resp, "b").is_ok(),
            2 => r::upload_id(&resp, "k").is_ok(),
            3 | 4 => r::result_etag(&resp, s3_xml::ROOTS[usize::from(i)], "c").is_ok(),
            5 => r::delete_failures(&resp, "b").is_ok(),
            _ => r::multipart_uploads(&resp, "b").is_ok(),
        };
        parsed[usize::from(i)] += usize::from(ok);
    }
    assert!(
        parsed.iter().all(|&n| n > 0),
        "documents parsed per parser: {parsed:?}"
    );
}

/// The generated range answers are both accepted and refused, so both branches of the
/// property are exercised.
#[test]
fn generated_range_answers_are_accepted_and_refused() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut outcomes = [0usize; 2];
    for _ in 0..2000 {
        let data = range_answer().new_tree(&mut runner).unwrap().current();
        let ok = range_answer::Answer::parse(&data).check().is_ok();
        outcomes[usize::from(ok)] += 1;
    }
    assert!(
        outcomes.iter().all(|&n| n > 200),
        "refused, accepted: {outcomes:?}"
    );
}

// ---- seeds and saved crashes -----------------------------------------------------------

/// Every file under `fuzz/<folder>/<target>/`.
fn saved(folder: &str) -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(folder);
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push((name.clone(), file.path()));
        }
    }
    out.sort();
    out
}

fn run_saved(folder: &str) -> usize {
    let files = saved(folder);
    for (name, path) in &files {
        let data = std::fs::read(path).unwrap();
        let fixed = if name == "storage_url" { CLIENT } else { FIXED };
        let outcome = std::panic::catch_unwind(|| metered(&data, fixed, target(name)));
        assert!(outcome.is_ok(), "{} fails", path.display());
    }
    files.len()
}

#[test]
fn every_seed_passes() {
    assert!(run_saved("seeds") >= 6, "the seeds are missing");
}

/// Inputs the fuzzer once failed a target with (named after the cause): each passes now.
#[test]
fn every_saved_crash_passes() {
    run_saved("regressions");
}
