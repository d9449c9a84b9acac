//! ListObjects v1 answers: the next marker, and the guards v2 pages already have.

use super::*;
use crate::error::ErrorKind;

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
    let page = object_page_v1(&resp(body), "bk").unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_token.as_deref(), Some("b"));
    // NextMarker wins when sent; a finished page has no token whatever it holds.
    let body = body.replace("</ListBucketResult>", "<NextMarker>m</NextMarker></ListBucketResult>");
    assert_eq!(object_page_v1(&resp(&body), "bk").unwrap().next_token.as_deref(), Some("m"));
    let done = body.replace("true", "false");
    assert_eq!(object_page_v1(&resp(&done), "bk").unwrap().next_token, None);
}

#[test]
fn a_truncated_delimited_page_continues_after_its_greatest_entry() {
    let body = "<ListBucketResult><IsTruncated>true</IsTruncated>\
        <Contents><Key>p/a</Key></Contents>\
        <CommonPrefixes><Prefix>p/z/</Prefix></CommonPrefixes></ListBucketResult>";
    let page = entry_page_v1(&resp(body), "bk", "p/", "/").unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_token.as_deref(), Some("p/z/"));
    let with = body.replace("<IsTruncated>", "<NextMarker>p/m/</NextMarker><IsTruncated>");
    let page = entry_page_v1(&resp(&with), "bk", "p/", "/").unwrap();
    assert_eq!(page.next_token.as_deref(), Some("p/m/"));
}

#[test]
fn v1_pages_keep_the_v2_guards() {
    // Truncated and empty: nothing to continue after.
    let empty = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    let e = object_page_v1(&resp(empty), "bk").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    // Another root, and an entry the server did not split.
    let other = "<ListAllMyBucketsResult></ListAllMyBucketsResult>";
    assert_eq!(object_page_v1(&resp(other), "bk").unwrap_err().kind(), ErrorKind::Parse);
    let unsplit = "<ListBucketResult><IsTruncated>false</IsTruncated>\
        <Contents><Key>p/a/b</Key></Contents></ListBucketResult>";
    let e = entry_page_v1(&resp(unsplit), "bk", "p/", "/").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    // A v2 page ignores markers: truncated without a continuation token stays Parse.
    let v1_only = "<ListBucketResult><IsTruncated>true</IsTruncated><NextMarker>m</NextMarker>\
        <Contents><Key>a</Key></Contents></ListBucketResult>";
    assert_eq!(object_page(&resp(v1_only), "bk").unwrap_err().kind(), ErrorKind::Parse);
}
