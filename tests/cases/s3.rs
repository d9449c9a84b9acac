// S3 cases. Included once per mode by `tests/s3.rs`, inside a module that provides `mc`,
// `maybe_async` and `mode_test`.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use mc::http::{HttpClient, Method, Request, TransportConfig};
use mc::storage::{S3, StorageDriver, UploadOptions};
use multicloud::storage::s3::{S3Config, S3Requests};
use multicloud::{Credentials, ErrorKind};

use super::common::{FailingReader, content, s3env};

fn config(endpoint: &str, secret: &str) -> S3Config {
    S3Config::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new(s3env::S3S_KEY, secret))
        .part_size(5 << 20)
        .part_concurrency(3)
        .build()
        .unwrap()
}

fn driver(endpoint: &str) -> S3 {
    S3::new(config(endpoint, s3env::S3S_SECRET)).unwrap()
}

fn bucket() -> String {
    s3env::unique_prefix()
}

fn plain_client() -> HttpClient {
    HttpClient::new(TransportConfig::default().retry(multicloud::retry::RetryPolicy::never())).unwrap()
}

#[maybe_async]
#[mode_test]
async fn s3s_accepts_the_right_secret_and_rejects_a_wrong_one() {
    let good = driver(&s3env::s3s());
    let b = bucket();
    good.create_container(&b).await.unwrap();
    let listed = good.list_containers().await.unwrap();
    assert!(listed.iter().any(|c| c.name == b));

    let bad = S3::new(config(&s3env::s3s(), "not-the-secret")).unwrap();
    let e = bad.list_containers().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(e.status(), Some(403));
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("not-the-secret") && !shown.contains(s3env::S3S_SECRET), "{shown}");
    let e = bad.upload_bytes(&b, "k", Bytes::from_static(b"x"), &UploadOptions::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
}

#[maybe_async]
#[mode_test]
async fn presigned_urls_work_with_a_plain_client_and_fail_when_tampered_or_expired() {
    let s3 = driver(&s3env::s3s());
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    let http = plain_client();

    // PUT through a presigned URL, then GET it back the same way.
    let put_url = s3.presign_put(&b, "shared/file name.txt", Duration::from_secs(300)).unwrap();
    assert!(put_url.contains("X-Amz-Signature="));
    let resp = http
        .send(&Request::new(Method::Put, put_url.clone()).body("via presigned put"))
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let get_url = s3.presign_get(&b, "shared/file name.txt", Duration::from_secs(300)).unwrap();
    let resp = http.send(&Request::new(Method::Get, get_url.clone())).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(&resp.body[..], b"via presigned put");

    // Tampered: another key with the same signature.
    let tampered = get_url.replace("file%20name.txt", "other.txt");
    let resp = http.send(&Request::new(Method::Get, tampered)).await.unwrap();
    assert_eq!(resp.status, 403);
    // Tampered signature.
    let sig_at = get_url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut bad_sig = get_url.clone();
    let flipped = if &bad_sig[sig_at..sig_at + 1] == "0" { "1" } else { "0" };
    bad_sig.replace_range(sig_at..sig_at + 1, flipped);
    let resp = http.send(&Request::new(Method::Get, bad_sig)).await.unwrap();
    assert_eq!(resp.status, 403);

    // Expired: signed two hours ago for one minute (the clock is an input of the core).
    let reqs = S3Requests::new(config(&s3env::s3s(), s3env::S3S_SECRET));
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    let expired = reqs.presign(Method::Get, &b, "shared/file name.txt", 60, two_hours_ago);
    let resp = http.send(&Request::new(Method::Get, expired)).await.unwrap();
    assert_eq!(resp.status, 403);
}

#[maybe_async]
#[mode_test]
async fn multipart_upload_round_trip_with_parallel_parts() {
    for endpoint in [s3env::moto(), s3env::s3s()] {
        let s3 = driver(&endpoint);
        let b = bucket();
        s3.create_container(&b).await.unwrap();
        let data = content(9, 12 * 1024 * 1024 + 777);
        let opts = UploadOptions::new().content_type("application/x-test").metadata("kind", "big");
        let o = s3
            .upload_reader(&b, "big/object.bin", std::io::Cursor::new(data.clone()), &opts)
            .await
            .unwrap();
        assert_eq!(o.size, data.len() as u64);
        // 12 MiB in 5 MiB parts: three parts, and S3's multipart ETag says so.
        if let Some(h) = &o.hash {
            assert!(h.ends_with("-3"), "{endpoint}: {h}");
        }
        let head = s3.get_object(&b, "big/object.bin").await.unwrap();
        assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
        assert_eq!(head.metadata.get("kind").map(String::as_str), Some("big"));
        let back = s3.download_bytes(&b, "big/object.bin").await.unwrap();
        assert!(back[..] == data[..], "{endpoint}: content differs");
        let tail = s3.download_range(&b, "big/object.bin", (data.len() as u64 - 10)..).await.unwrap();
        assert_eq!(&tail[..], &data[data.len() - 10..]);
        // upload_bytes above the threshold goes multipart too.
        let o = s3
            .upload_bytes(&b, "big/bytes.bin", Bytes::from(data.clone()), &UploadOptions::new())
            .await
            .unwrap();
        assert_eq!(o.size, data.len() as u64);
    }
}

#[maybe_async]
#[mode_test]
async fn a_failed_multipart_upload_is_aborted_leaving_no_parts() {
    let s3 = driver(&s3env::moto());
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    // 11 MiB arrive (two parts go up), then the source breaks.
    let e = s3
        .upload_reader(&b, "broken.bin", FailingReader::new(&content(3, 11 << 20)), &UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    let uploads = s3.list_multipart_uploads(&b, "").await.unwrap();
    assert!(uploads.is_empty(), "left behind: {uploads:?}");
    let e = s3.get_object(&b, "broken.bin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[maybe_async]
#[mode_test]
async fn a_cancelled_multipart_upload_is_aborted_with_the_parts_it_sent() {
    let s3 = driver(&s3env::moto());
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    let token = multicloud::storage::CancelToken::new();
    // Cancelled once 7 MiB are read: the first 5 MiB part may already be up.
    let reader = super::common::transfer::CancellingReader::new(content(4, 16 << 20), 7 << 20, &token);
    let opts = UploadOptions::new().cancel(&token);
    let e = s3.upload_reader(&b, "cancelled.bin", reader, &opts).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    let uploads = s3.list_multipart_uploads(&b, "").await.unwrap();
    assert!(uploads.is_empty(), "left behind: {uploads:?}");
    let e = s3.get_object(&b, "cancelled.bin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[maybe_async]
#[mode_test]
async fn copy_and_batch_delete_on_moto() {
    let s3 = driver(&s3env::moto());
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    s3.upload_bytes(&b, "src.txt", Bytes::from_static(b"copy me"), &UploadOptions::new().content_type("text/plain"))
        .await
        .unwrap();
    let copied = s3.copy_object(&b, "src.txt", &b, "dst/copy.txt").await.unwrap();
    assert_eq!(copied.size, 7);
    let got = s3.download_bytes(&b, "dst/copy.txt").await.unwrap();
    assert_eq!(got, "copy me");
    let e = s3.copy_object(&b, "missing", &b, "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

    // 2,345 keys: three DeleteObjects batches (1000 + 1000 + 345).
    let items: Vec<(String, mc::storage::UploadSource)> = (0..2345)
        .map(|i| (format!("many/{i:05}"), mc::storage::UploadSource::from(vec![1u8])))
        .collect();
    let put = s3.upload_many(&b, items, &UploadOptions::new(), 16).await;
    assert!(put.iter().all(|r| r.is_ok()));
    let names: Vec<String> = (0..2345).map(|i| format!("many/{i:05}")).collect();
    let deleted = s3.delete_many(&b, names, 2).await;
    assert_eq!(deleted.len(), 2345);
    assert!(deleted.iter().all(|r| r.is_ok()));
    let left = s3.list_objects(&b, "many/").await.unwrap();
    assert!(left.is_empty(), "{} left", left.len());
}

#[maybe_async]
#[mode_test]
async fn bucket_and_key_errors_are_typed() {
    let s3 = driver(&s3env::moto());
    let e = s3.get_container("no-such-bucket-here").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = s3.list_objects("no-such-bucket-here", "").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, Some("NoSuchBucket")));
    assert!(e.request_id().is_some() || e.status() == Some(404));
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    let e = s3.download_bytes(&b, "missing").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, Some("NoSuchKey")));
    let e = s3.create_container(&b).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
}

#[maybe_async]
#[mode_test]
async fn drivers_print_no_secret_even_after_signing() {
    let creds = Credentials::new("AKID-VISIBLE", "very-secret-key").with_session_token("very-secret-token");
    let cfg = S3Config::builder()
        .endpoint(s3env::moto())
        .credentials(creds)
        .build()
        .unwrap();
    let s3 = S3::new(cfg).unwrap();
    // Sign something so every cache is filled.
    let _ = s3.list_containers().await;
    let _ = s3.presign_get("b", "k", Duration::from_secs(60)).unwrap();
    let shown = format!("{s3:?} {:?}", s3.config());
    assert!(shown.contains("AKID-VISIBLE"), "{shown}");
    assert!(!shown.contains("very-secret"), "{shown}");
    let key = multicloud::signing::sigv4::signing_key(
        "very-secret-key",
        &multicloud::signing::sigv4::amz_date(SystemTime::now())[..8],
        "us-east-1",
        "s3",
    );
    // Neither as a derived `Debug` prints it ([1, 2, ...]) nor as hex.
    let as_list = format!("{key:?}");
    assert!(!shown.contains(&as_list[1..as_list.len() - 1]), "{shown}");
    assert!(!shown.contains(&hex::encode(key)), "{shown}");
}

#[maybe_async]
#[mode_test]
async fn malformed_truncated_and_failing_answers_are_typed_errors() {
    use super::common::fake_http::{FakeServer, respond};
    let server = FakeServer::start_with_request(|n, line, s| {
        if line.contains("list-type=2") {
            respond(s, 200, "", b"<ListBucketResult><Contents><Key>a</Key><Si");
        } else if line.starts_with("GET /b/slow-down") {
            // Throttled twice, then fine: retried with backoff.
            if n < 2 {
                respond(s, 503, "", b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>");
            } else {
                respond(s, 200, "Content-Type: text/plain\r\n", b"ok");
            }
        } else if line.starts_with("GET /b/throttled") {
            respond(s, 503, "x-amz-request-id: REQ9\r\n", b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>");
        } else if line.starts_with("PUT /b/copy") {
            // S3 may answer CopyObject with 200 and an error body.
            respond(s, 200, "", b"<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>");
        } else {
            respond(s, 200, "", b"not xml at all");
        }
    });
    let s3 = on_fake(&server, Duration::from_secs(5));
    let e = s3.list_objects("b", "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let e = s3.list_containers().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");

    let got = s3.download_bytes("b", "slow-down").await.unwrap();
    assert_eq!(got, "ok");

    let e = s3.download_bytes("b", "throttled").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert_eq!((e.code(), e.status(), e.request_id()), (Some("SlowDown"), Some(503), Some("REQ9")));

    let e = s3.copy_object("b", "src", "b", "copy").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Provider, Some("InternalError")), "{e}");
}

#[maybe_async]
#[mode_test]
async fn corrupted_bodies_are_caught_in_both_directions() {
    use super::common::corrupting_proxy::{CorruptingProxy, Flip};
    // s3s verifies the payload's signed SHA-256 (and Content-MD5) as S3 does.
    let direct = driver(&s3env::s3s());
    let b = bucket();
    direct.create_container(&b).await.unwrap();
    let data = content(11, 4096);

    // Without retries: a retry on the same connection goes through unharmed (the proxy
    // flips one body per connection), which would hide what the first answer was.
    let once = |url: &str| {
        let transport = TransportConfig::default().retry(multicloud::retry::RetryPolicy::never());
        S3::with_transport(config(url, s3env::S3S_SECRET), transport).unwrap()
    };
    let up = CorruptingProxy::start(&s3env::s3s(), Flip::Requests);
    let sent = once(&up.url())
        .upload_bytes(&b, "k", data.clone().into(), &UploadOptions::new())
        .await;
    assert_eq!(up.flipped(), 1, "one byte of the upload was flipped on the wire");
    // s3s refuses the body (its hash does not match the signed one) with a 500.
    let e = sent.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Integrity | ErrorKind::Provider), "{e}");
    let stored = direct.get_object(&b, "k").await;
    assert_eq!(stored.unwrap_err().kind(), ErrorKind::NotFound, "nothing stored");
    // With retries (the default), the retry goes through unharmed and the bytes stored
    // are the bytes sent.
    let healed = CorruptingProxy::start(&s3env::s3s(), Flip::Requests);
    let o = driver(&healed.url())
        .upload_bytes(&b, "k2", data.clone().into(), &UploadOptions::new())
        .await
        .unwrap();
    assert_eq!(healed.flipped(), 1);
    assert_eq!(o.md5(), Some(multicloud::storage::md5_hex(&data).as_str()));
    let back = direct.download_bytes(&b, "k2").await.unwrap();
    assert!(back[..] == data[..], "stored intact");

    direct.upload_bytes(&b, "k", data.clone().into(), &UploadOptions::new()).await.unwrap();
    let down = CorruptingProxy::start(&s3env::s3s(), Flip::Responses);
    let e = once(&down.url()).download_bytes(&b, "k").await.unwrap_err();
    assert_eq!(down.flipped(), 1, "one byte of the download was flipped on the wire");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
}
