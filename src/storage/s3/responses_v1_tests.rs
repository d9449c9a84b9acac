//! ListObjects v1 answers: the next marker, and the guards v2 pages already have.

use super::*;
use crate::error::ErrorKind;
use crate::storage::Entry;

fn resp(body: &str) -> Response {
    Response {
        status: 200,
        headers: crate::http::header_map([("x-amz-request-id", "ID")]),
        body: body.to_owned().into(),
    }
}

#[test]
fn a_truncated_flat_page_continues_after_its_last_key() {
    let body = "<ListBucketResult><IsTruncated>true</IsTruncated>\
        <Contents><Key>a</Key><Size>1</Size></Contents>\
        <Contents><Key>b</Key><Size>2</Size></Contents></ListBucketResult>";
    let page = object_page_v1(&resp(body), "bk", None).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_token.as_deref(), Some("b"));
    // NextMarker wins when sent; a finished page has no token whatever it holds.
    let body = body.replace(
        "</ListBucketResult>",
        "<NextMarker>m</NextMarker></ListBucketResult>",
    );
    let token = object_page_v1(&resp(&body), "bk", None).unwrap().next_token;
    assert_eq!(token.as_deref(), Some("m\0b"));
    assert_eq!(v1_marker("m\0b"), ("m", "b"));
    assert_eq!(v1_marker("b"), ("b", "b"));
    let done = body.replace("true", "false");
    assert_eq!(
        object_page_v1(&resp(&done), "bk", None).unwrap().next_token,
        None
    );
}

#[test]
fn a_truncated_delimited_page_continues_after_its_greatest_entry() {
    let body = "<ListBucketResult><IsTruncated>true</IsTruncated>\
        <Contents><Key>p/a</Key></Contents>\
        <CommonPrefixes><Prefix>p/z/</Prefix></CommonPrefixes></ListBucketResult>";
    let page = entry_page_v1(&resp(body), "bk", "p/", "/", None).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_token.as_deref(), Some("p/z/"));
    let with = body.replace(
        "<IsTruncated>",
        "<NextMarker>p/m/</NextMarker><IsTruncated>",
    );
    let page = entry_page_v1(&resp(&with), "bk", "p/", "/", None).unwrap();
    assert_eq!(page.next_token.as_deref(), Some("p/m/\0p/z/"));
}

#[test]
fn v1_pages_keep_the_v2_guards() {
    // Truncated and empty: nothing to continue after.
    let empty = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    let e = object_page_v1(&resp(empty), "bk", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    // Another root, and an entry the server did not split.
    let other = "<ListAllMyBucketsResult></ListAllMyBucketsResult>";
    assert_eq!(
        object_page_v1(&resp(other), "bk", None).unwrap_err().kind(),
        ErrorKind::Parse
    );
    let unsplit = "<ListBucketResult><IsTruncated>false</IsTruncated>\
        <Contents><Key>p/a/b</Key></Contents></ListBucketResult>";
    let e = entry_page_v1(&resp(unsplit), "bk", "p/", "/", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    // A v2 page ignores markers: truncated without a continuation token stays Parse.
    let v1_only = "<ListBucketResult><IsTruncated>true</IsTruncated><NextMarker>m</NextMarker>\
        <Contents><Key>a</Key></Contents></ListBucketResult>";
    assert_eq!(
        object_page(&resp(v1_only), "bk").unwrap_err().kind(),
        ErrorKind::Parse
    );
}

#[test]
fn entries_repeated_from_before_the_marker_are_dropped_and_a_stuck_page_repeats_its_token() {
    // moto repeats common prefixes before the marker on later v1 pages (its markers are
    // opaque: what was seen travels in the token).
    let body = "<ListBucketResult><IsTruncated>false</IsTruncated>\
        <Contents><Key>e</Key></Contents>\
        <CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>\
        <CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes></ListBucketResult>";
    let page = entry_page_v1(&resp(body), "bk", "", "/", Some("OPAQUE\0d")).unwrap();
    let keys: Vec<&str> = page.items.iter().map(Entry::key).collect();
    assert_eq!(keys, ["e"]);
    // Truncated, nothing new and no NextMarker: the token asked with comes back, which
    // the pager refuses as a repeat (never a loop).
    let stuck = body
        .replace("false", "true")
        .replace("<Key>e</Key>", "<Key>b</Key>");
    let page = entry_page_v1(&resp(&stuck), "bk", "", "/", Some("d")).unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.next_token.as_deref(), Some("d"));
    let flat = "<ListBucketResult><IsTruncated>false</IsTruncated>\
        <Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents></ListBucketResult>";
    let page = object_page_v1(&resp(flat), "bk", Some("a")).unwrap();
    assert_eq!(page.items.len(), 1);
}
