// S3 against servers that lie, stall or break: each case is an answer a real store (or a
// proxy in between) can give, scripted by an in-process fake. Included once per mode by
// `tests/s3.rs`, after `cases/s3.rs` (whose imports and helpers it uses).

use std::sync::{Arc, Mutex};

use super::common::fake_http::{FakeServer, reset, respond};

fn fast_retries() -> multicloud::retry::RetryPolicy {
    multicloud::retry::RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        total_budget: Duration::from_secs(5),
    }
}

/// A driver on a fake, with fast retries and the given stall timeout.
fn on_fake(server: &FakeServer, stall: Duration) -> S3 {
    let cfg = S3Config::builder()
        .endpoint(server.url(""))
        .credentials(Credentials::new("AK", "SK"))
        .part_size(5 << 20)
        .verify_etags(false)
        .build()
        .unwrap();
    let transport = TransportConfig::default()
        .retry(fast_retries())
        .stall_timeout(stall);
    S3::with_transport(cfg, transport).unwrap()
}

fn padded(xml: &str) -> Vec<u8> {
    // S3 keeps a long copy's connection alive with whitespace: far more than 256 bytes.
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}{xml}", " \n".repeat(3000)).into_bytes()
}

#[maybe_async]
#[mode_test]
async fn a_padded_error_in_a_200_fails_copy_and_is_retried_like_a_500() {
    let server = FakeServer::start_with_request(|_, _, s| {
        let body = padded("<Error><Code>InternalError</Code><Message>boom</Message><RequestId>R7</RequestId></Error>");
        respond(s, 200, "", &body);
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let e = s3.copy_object("b", "src", "b", "dst").await.unwrap_err();
    assert_eq!((e.kind(), e.code(), e.request_id()), (ErrorKind::Provider, Some("InternalError"), Some("R7")), "{e}");
    assert_eq!(server.hits(), 3, "retried like the 500 it stands for");
}

/// A fake multipart upload (id `U1`) whose completion is answered 200 with `completion`;
/// the flag tells whether the upload was then aborted.
fn completion_fake(completion: Vec<u8>) -> (FakeServer, Arc<Mutex<bool>>) {
    let aborted = Arc::new(Mutex::new(false));
    let seen = aborted.clone();
    let server = FakeServer::start_with_request(move |_, line, s| {
        if line.starts_with("POST /b/big?uploads") {
            respond(s, 200, "", b"<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>");
        } else if line.starts_with("PUT /b/big?partNumber") {
            respond(s, 200, "ETag: \"e\"\r\n", b"");
        } else if line.starts_with("POST /b/big?uploadId=U1") {
            respond(s, 200, "", &completion);
        } else if line.starts_with("DELETE /b/big?uploadId=U1") {
            *seen.lock().unwrap() = true;
            respond(s, 204, "", b"");
        } else {
            respond(s, 400, "", b"");
        }
    });
    (server, aborted)
}

#[maybe_async]
#[mode_test]
async fn a_complete_multipart_answered_with_an_error_body_fails_and_aborts() {
    let (server, aborted) =
        completion_fake(b"<Error><Code>InternalError</Code><Message>boom</Message></Error>".to_vec());
    let s3 = on_fake(&server, Duration::from_secs(5));
    let e = s3
        .upload_reader("b", "big", std::io::Cursor::new(content(1, 6 << 20)), &UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InternalError"), "{e}");
    assert!(*aborted.lock().unwrap(), "the upload was not aborted");
}

#[maybe_async]
#[mode_test]
async fn a_padded_error_completing_a_multipart_upload_fails_it_and_aborts() {
    let (server, aborted) =
        completion_fake(padded("<Error><Code>AccessDenied</Code><Message>no</Message></Error>"));
    let s3 = on_fake(&server, Duration::from_secs(5));
    let data = std::io::Cursor::new(content(2, 6 << 20));
    let e = s3.upload_reader("b", "big", data, &UploadOptions::new()).await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::PermissionDenied, Some("AccessDenied")), "{e}");
    assert!(*aborted.lock().unwrap(), "the upload was not aborted");
}

#[maybe_async]
#[mode_test]
async fn a_listing_answered_by_an_html_page_is_a_parse_error_not_an_empty_list() {
    let server = FakeServer::start(|_, s| {
        respond(s, 200, "Content-Type: text/html\r\n", b"<html><body>Sign in to the Wi-Fi</body></html>");
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let e = s3.list_objects("b", "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    assert!(e.to_string().contains("<html>"), "{e}");
    let e = s3.list_containers().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

#[maybe_async]
#[mode_test]
async fn a_batch_delete_answered_200_with_an_error_fails_every_key() {
    let server = FakeServer::start(|_, s| {
        respond(s, 200, "", b"<Error><Code>AccessDenied</Code><Message>no</Message><RequestId>R5</RequestId></Error>");
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let names: Vec<String> = (0..5).map(|i| format!("k{i}")).collect();
    let results = s3.delete_many("b", names, 2).await;
    assert_eq!(results.len(), 5);
    for r in results {
        let e = r.unwrap_err();
        assert_eq!(
            (e.kind(), e.code(), e.status(), e.request_id(), e.provider()),
            (ErrorKind::PermissionDenied, Some("AccessDenied"), Some(200), Some("R5"), Some("s3"))
        );
    }
}

/// A fake that answers every GET of `/b/k` with `head` (status line and headers, without
/// the blank line) and `body`, then does `after` (close, reset or stall).
fn object_server(head: &'static str, body: Vec<u8>, after: After) -> FakeServer {
    FakeServer::start(move |_, s| {
        use std::io::Write;
        let _ = s.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes());
        let _ = s.write_all(&body);
        let _ = s.flush();
        match after {
            After::Close => {}
            After::Reset => reset(s),
            After::Stall => super::common::fake_http::hang(),
        }
    })
}

#[derive(Clone, Copy)]
enum After {
    Close,
    Reset,
    Stall,
}

#[maybe_async]
#[mode_test]
async fn ranges_the_server_did_not_honour_never_yield_wrong_bytes() {
    let whole = b"0123456789".to_vec();
    // Range ignored: the whole object with a 200.
    let server = object_server("HTTP/1.1 200 OK\r\nContent-Length: 10", whole.clone(), After::Close);
    let e = on_fake(&server, Duration::from_secs(5)).download_range("b", "k", 2..5).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    // Another offset than asked.
    let server = object_server("HTTP/1.1 206 Partial\r\nContent-Length: 3\r\nContent-Range: bytes 3-5/10", b"345".to_vec(), After::Close);
    let e = on_fake(&server, Duration::from_secs(5)).download_range("b", "k", 2..5).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    // The right range: fine.
    let server = object_server("HTTP/1.1 206 Partial\r\nContent-Length: 3\r\nContent-Range: bytes 2-4/10", b"234".to_vec(), After::Close);
    let got = on_fake(&server, Duration::from_secs(5)).download_range("b", "k", 2..5).await.unwrap();
    assert_eq!(got, "234");
}

/// The same transport failure gives the same kind in both modes (the table in
/// docs/design.md): a body cut short by a close or a reset is `Transport`, a stall
/// `Timeout`, a body longer than announced `Integrity`; each error names the provider and
/// the object.
#[maybe_async]
#[mode_test]
async fn broken_downloads_fail_with_one_kind_per_failure_in_both_modes() {
    let head = "HTTP/1.1 206 Partial\r\nContent-Length: 10\r\nContent-Range: bytes 0-9/20";
    let cases = [
        (After::Close, ErrorKind::Transport),
        (After::Reset, ErrorKind::Transport),
        (After::Stall, ErrorKind::Timeout),
    ];
    for (after, kind) in cases {
        let server = object_server(head, b"01234".to_vec(), after);
        let s3 = on_fake(&server, Duration::from_millis(300));
        let e = s3.download_range("b", "k", 0..10).await.unwrap_err();
        assert_eq!((e.kind(), e.provider()), (kind, Some("s3")), "{e}");
        assert!(e.to_string().contains("\"k\""), "{e}");
        let whole = "HTTP/1.1 200 OK\r\nContent-Length: 10";
        let server = object_server(whole, b"01234".to_vec(), after);
        let s3 = on_fake(&server, Duration::from_millis(300));
        let e = s3.download_bytes("b", "k").await.unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
    }
}

/// Pages whose continuation tokens go A, B, A, B...: a listing that would never end.
fn looping_lister() -> FakeServer {
    FakeServer::start_with_request(|_, line, s| {
        let next = if line.contains("continuation-token=A") { "B" } else { "A" };
        let body = format!(
            "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>k{next}</Key><Size>1</Size></Contents><NextContinuationToken>{next}</NextContinuationToken></ListBucketResult>"
        );
        respond(s, 200, "", body.as_bytes());
    })
}

#[maybe_async]
#[mode_test]
async fn listings_with_repeating_tokens_end_in_an_error() {
    let server = looping_lister();
    let s3 = on_fake(&server, Duration::from_secs(5));
    let e = s3.list_objects("b", "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    assert_eq!(server.hits(), 3, "stopped at the first repeated token");
    let mut listing = s3.iterate_objects("b", "");
    let mut seen = Vec::new();
    let mut error = None;
    for _ in 0..10 {
        match next_item(&mut listing).await {
            Some(Ok(o)) => seen.push(o.name),
            Some(Err(e)) => error = Some(e),
            None => break,
        }
    }
    assert_eq!(seen, ["kA", "kB", "kA"]);
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::Parse));
}

#[maybe_async]
async fn next_item<T>(listing: &mut mc::storage::Listing<'_, T>) -> Option<multicloud::Result<T>> {
    #[allow(unused_imports)]
    use futures_util::StreamExt;
    listing.next().await
}

#[maybe_async]
#[mode_test]
async fn a_retried_completion_hearing_no_such_upload_checks_the_object() {
    let data = content(3, 6 << 20);
    let expected = {
        use md5::Digest;
        let parts: Vec<[u8; 16]> = data.chunks(5 << 20).map(|p| md5::Md5::digest(p).into()).collect();
        format!("{}-{}", hex::encode(md5::Md5::digest(parts.concat())), parts.len())
    };
    let etag = expected.clone();
    let server = FakeServer::start_with_request(move |n, line, s| {
        let _ = n;
        if line.starts_with("POST /b/big?uploads") {
            respond(s, 200, "", b"<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>");
        } else if line.starts_with("PUT /b/big?partNumber") {
            respond(s, 200, "ETag: \"e\"\r\n", b"");
        } else if line.starts_with("POST /b/big?uploadId=U1") {
            // The first completion worked but its answer was lost; the retry hears this.
            static FIRST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
            if FIRST.swap(false, std::sync::atomic::Ordering::SeqCst) {
                reset(s);
            } else {
                respond(s, 404, "", b"<Error><Code>NoSuchUpload</Code></Error>");
            }
        } else if line.starts_with("HEAD /b/big") {
            let h = format!("ETag: \"{etag}\"\r\n");
            let _ = std::io::Write::write_all(s, format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n{h}\r\n", 6 << 20).as_bytes());
        } else {
            respond(s, 400, "", b"");
        }
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let o = s3.upload_reader("b", "big", std::io::Cursor::new(data), &UploadOptions::new()).await.unwrap();
    assert_eq!(o.hash.as_deref(), Some(expected.as_str()));
}

#[maybe_async]
#[mode_test]
async fn a_slow_down_on_create_multipart_is_retried_and_a_bare_409_is_typed_by_operation() {
    let server = FakeServer::start_with_request(|n, line, s| {
        if line.starts_with("POST /b/big?uploads") && n == 0 {
            respond(s, 503, "", b"<Error><Code>SlowDown</Code></Error>");
        } else if line.starts_with("POST /b/big?uploads") {
            respond(s, 404, "", b"<Error><Code>NoSuchBucket</Code></Error>");
        } else if line.starts_with("HEAD /new") {
            respond(s, 404, "", b"");
        } else if line.starts_with("GET /full?list-type") {
            respond(s, 200, "", b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
        } else {
            respond(s, 409, "", b"");
        }
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let data = std::io::Cursor::new(content(4, 6 << 20));
    let e = s3.upload_reader("b", "big", data, &UploadOptions::new()).await.unwrap_err();
    assert_eq!(e.code(), Some("NoSuchBucket"), "the 503 was retried: {e}");
    let e = s3.create_container("new").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let e = s3.delete_container("full").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotEmpty, "{e}");
}

#[maybe_async]
#[mode_test]
async fn answers_over_the_body_cap_fail_clearly_without_buffering_or_retrying() {
    let server = FakeServer::start(|_, s| respond(s, 200, "", &vec![b' '; 2 << 20]));
    let cfg = S3Config::builder()
        .endpoint(server.url(""))
        .credentials(Credentials::new("AK", "SK"))
        .build()
        .unwrap();
    let transport = TransportConfig::default()
        .retry(fast_retries())
        .max_response_body(1 << 20);
    let s3 = S3::with_transport(cfg, transport).unwrap();
    let e = s3.list_objects("b", "").await.unwrap_err();
    assert!(e.to_string().contains("max_response_body"), "{e}");
    assert_eq!(server.hits(), 1, "not retried");
}

/// Keys that URL parsers, servers or our own encoding could get wrong. Dot segments must
/// be refused (an HTTP client would rewrite them); every other one must reach the server
/// exactly as encoded and signed.
const HOSTILE_KEYS: [&str; 36] = [
    "../other-bucket/key", "..", ".", "./k", "a/./b", "a/../b", "a/..", "a/.",
    "%2e%2e/x", "%2E", ".%2e/x", "a/%2e%2e", "a\\..\\b", "..\\k", "a b", "a+b", "a%b", "a?b=c",
    "a#frag", "a;b", "a&b", "~tilde", "ü/ñ/中文", "a//b", "/lead", "trail/", "...", "..k",
    "k..", ".hidden", "a/.../b", "e\u{301}", "%00", "a:b@c", "[x]", "'\"<>`|",
];

fn has_dot_segment(key: &str) -> bool {
    key.split('/').any(|s| s == "." || s == "..")
}

#[maybe_async]
#[mode_test]
async fn the_path_on_the_wire_is_the_path_signed_for_every_hostile_key() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = lines.clone();
    let server = FakeServer::start_with_request(move |_, line, s| {
        seen.lock().unwrap().push(line.to_owned());
        respond(s, 200, "ETag: \"e\"\r\nContent-Length: 0\r\n", b"");
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let plain = HttpClient::new(TransportConfig::default().retry(multicloud::retry::RetryPolicy::never())).unwrap();
    for key in HOSTILE_KEYS {
        lines.lock().unwrap().clear();
        let put = s3.upload_bytes("b", key, Bytes::from_static(b"x"), &UploadOptions::new()).await;
        let del = s3.delete_object("b", key).await;
        let url = s3.presign_get("b", key, Duration::from_secs(60));
        if has_dot_segment(key) {
            for e in [put.unwrap_err(), del.unwrap_err(), url.unwrap_err()] {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{key:?}: {e}");
            }
            assert!(lines.lock().unwrap().is_empty(), "{key:?} reached the server");
            continue;
        }
        put.unwrap();
        del.unwrap();
        let path = multicloud::signing::sigv4::encode_path(&format!("/b/{key}"));
        let url = url.unwrap();
        assert!(url.contains(&format!("{path}?")), "{key:?}: {url}");
        plain.send(&Request::new(Method::Get, url)).await.unwrap();
        let got = lines.lock().unwrap().clone();
        let expected = [format!("PUT {path} HTTP/1.1"), format!("DELETE {path} HTTP/1.1")];
        assert_eq!(got[..2], expected, "{key:?}");
        assert!(got[2].starts_with(&format!("GET {path}?")), "{key:?}: {}", got[2]);
    }
}

#[maybe_async]
#[mode_test]
async fn hostile_keys_round_trip_on_a_server_that_checks_signatures() {
    let s3 = driver(&s3env::s3s());
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    let mut stored = 0;
    for key in HOSTILE_KEYS.iter().filter(|k| !has_dot_segment(k)) {
        let body = Bytes::from(format!("body of {key}"));
        // s3s-fs keeps objects as files, so names a file system cannot hold may be
        // refused; a signature mismatch never may.
        match s3.upload_bytes(&b, key, body.clone(), &UploadOptions::new()).await {
            Ok(_) => {
                let got = s3.download_bytes(&b, key).await.unwrap();
                assert_eq!(got, body, "{key:?}");
                stored += 1;
            }
            Err(e) => assert_ne!(e.kind(), ErrorKind::Unauthorized, "{key:?}: {e}"),
        }
    }
    assert!(stored >= 20, "only {stored} hostile keys stored");
}

/// A server that reads request bodies and writes response bodies at about 8 MiB/s, in
/// 64 KiB steps: slow but steady, for the stall timeout.
fn throttled_server(object: Arc<Vec<u8>>) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let object = object.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut chunk = vec![0u8; 64 << 10];
                let mut left = len;
                while left > 0 {
                    let n = reader.read(&mut chunk[..left.min(64 << 10)]).unwrap();
                    left -= n;
                    std::thread::sleep(Duration::from_millis(8));
                }
                let body: &[u8] = if line.starts_with("GET") { &object } else { b"" };
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"e\"\r\nConnection: close\r\n\r\n", body.len());
                writer.write_all(head.as_bytes()).unwrap();
                for piece in body.chunks(64 << 10) {
                    if writer.write_all(piece).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(8));
                }
            });
        }
    });
    format!("http://{addr}")
}

/// The stall timeout means "nothing moved for N s" in both directions and both modes: a
/// 16 MiB upload and download at ~8 MiB/s take about 2 s each, far longer than the 1 s
/// stall timeout, and must succeed.
#[maybe_async]
#[mode_test]
async fn slow_but_steady_transfers_never_time_out() {
    let object = Arc::new(content(6, 16 << 20));
    let cfg = S3Config::builder()
        .endpoint(throttled_server(object.clone()))
        .credentials(Credentials::new("AK", "SK"))
        .multipart_threshold(64 << 20)
        .build()
        .unwrap();
    let transport = TransportConfig::default()
        .retry(multicloud::retry::RetryPolicy::never())
        .stall_timeout(Duration::from_secs(1));
    let s3 = S3::with_transport(cfg, transport).unwrap();
    let started = std::time::Instant::now();
    let data = Bytes::from(object.to_vec());
    s3.upload_bytes("b", "k", data, &UploadOptions::new()).await.unwrap();
    let got = s3.download_bytes("b", "k").await.unwrap();
    assert!(got == object[..], "downloaded bytes differ");
    assert!(started.elapsed() > Duration::from_secs(2), "not throttled: {:?}", started.elapsed());
}

#[maybe_async]
#[mode_test]
async fn uploads_left_behind_can_be_listed_and_aborted() {
    let s3 = driver(&s3env::moto());
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    // Start two uploads the way a crashed process would leave them.
    let requests = S3Requests::new(config(&s3env::moto(), s3env::S3S_SECRET));
    let http = plain_client();
    for key in ["left/1", "left/2"] {
        let req = requests.create_multipart(&b, key, &UploadOptions::new(), SystemTime::now());
        let resp = http.send(&req).await.unwrap();
        multicloud::storage::s3::responses::upload_id(&resp, key).unwrap();
    }
    let listed = s3.list_multipart_uploads(&b, "left/").await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|u| u.initiated.is_some()));
    // (moto dates every upload 2010-11-10, so the age cut-off is unit-tested in the core.)
    let first = &listed[0];
    s3.abort_multipart_upload(&b, &first.key, &first.upload_id).await.unwrap();
    // Aborting again is harmless: clean-up can be repeated.
    s3.abort_multipart_upload(&b, &first.key, &first.upload_id).await.unwrap();
    let aborted = s3.abort_incomplete_uploads(&b, "left/", Duration::ZERO).await.unwrap();
    assert_eq!(aborted, 1);
    let left = s3.list_multipart_uploads(&b, "").await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// CreateMultipartUpload is not idempotent: when its answer is lost, the driver asks the
/// store which uploads of that key exist and adopts the one it created (or, if none,
/// creates once more) instead of leaving an orphan behind.
#[maybe_async]
#[mode_test]
async fn a_lost_create_multipart_answer_adopts_the_upload_it_created() {
    let parts_to = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = parts_to.clone();
    let server = FakeServer::start_with_request(move |_, line, s| {
        if line.starts_with("POST /b/big?uploads") {
            reset(s); // created on the server, the answer lost
        } else if line.starts_with("GET /b?uploads") {
            respond(s, 200, "", b"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>big</Key><UploadId>U7</UploadId></Upload><Upload><Key>bigger</Key><UploadId>X</UploadId></Upload></ListMultipartUploadsResult>");
        } else if line.starts_with("PUT /b/big?partNumber") {
            seen.lock().unwrap().push(line.to_owned());
            respond(s, 200, "ETag: \"e\"\r\n", b"");
        } else if line.starts_with("POST /b/big?uploadId=U7") {
            respond(s, 200, "", b"<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>");
        } else if line.starts_with("HEAD /b/big") {
            respond(s, 200, "ETag: \"x-2\"\r\n", b"");
        } else {
            respond(s, 400, "", b"");
        }
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let data = std::io::Cursor::new(content(8, 6 << 20));
    s3.upload_reader("b", "big", data, &UploadOptions::new()).await.unwrap();
    let parts = parts_to.lock().unwrap().clone();
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(parts.iter().all(|l| l.contains("uploadId=U7")), "{parts:?}");
}

#[maybe_async]
#[mode_test]
async fn a_create_only_put_whose_answer_was_lost_is_not_reported_refused() {
    let body = b"lock held by worker 7".to_vec();
    let puts = Arc::new(Mutex::new(0));
    let (seen, stored) = (puts.clone(), multicloud::storage::md5_hex(&body));
    let server = FakeServer::start_with_request(move |_, line, s| {
        if line.starts_with("HEAD ") {
            let head = format!("ETag: \"{stored}\"\r\n");
            respond(s, 200, &head, b"");
            return;
        }
        let mut n = seen.lock().unwrap();
        *n += 1;
        match *n {
            // Stored, then the answer is lost: a 500, which the client retries.
            1 => respond(s, 500, "", b"<Error><Code>InternalError</Code></Error>"),
            _ => respond(s, 412, "", b"<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>"),
        }
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let opts = UploadOptions::new().create_only();
    let o = s3.upload_bytes("b", "lock", body.clone().into(), &opts).await.unwrap();
    assert_eq!(*puts.lock().unwrap(), 2, "the PUT was retried");
    assert_eq!(o.md5(), Some(multicloud::storage::md5_hex(&body).as_str()));

    // The same 412 while the name holds other bytes is a refusal.
    let other = b"lock held by worker 3".to_vec();
    let e = s3.upload_bytes("b", "lock", other.into(), &opts).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
}

#[maybe_async]
#[mode_test]
async fn a_put_whose_etag_is_another_md5_is_integrity_and_the_bad_object_removed() {
    let deleted = Arc::new(Mutex::new(false));
    let seen = deleted.clone();
    let server = FakeServer::start_with_request(move |_, line, s| {
        if line.starts_with("DELETE ") {
            *seen.lock().unwrap() = true;
            respond(s, 204, "", b"");
        } else {
            // The MD5 of other bytes: what a store that kept corrupted bytes answers.
            respond(s, 200, "ETag: \"00112233445566778899aabbccddeeff\"\r\n", b"");
        }
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let cfg = S3Config::builder()
        .endpoint(server.url(""))
        .credentials(Credentials::new("AK", "SK"))
        .build()
        .unwrap();
    let checking = S3::with_transport(cfg, TransportConfig::default().retry(fast_retries())).unwrap();
    let e = checking.upload_bytes("b", "k", Bytes::from_static(b"data"), &UploadOptions::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(*deleted.lock().unwrap(), "the corrupt object was deleted");
    // With ETag checks off (some gateways answer non-MD5 ETags), the answer is taken.
    let o = s3.upload_bytes("b", "k", Bytes::from_static(b"data"), &UploadOptions::new()).await;
    assert!(o.is_ok(), "{o:?}");
}
