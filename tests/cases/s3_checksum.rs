// S3 upload checksums (`UploadChecksum::Crc32c`): the store checks the CRC32C and answers
// its own; where it answers none, the ETag is checked against the body's MD5 instead.
// Included once per mode by `tests/s3.rs`, after `cases/s3.rs` and `cases/s3_trust.rs`
// (whose imports and helpers it uses).

fn crc_driver(endpoint: &str, retry: multicloud::retry::RetryPolicy) -> S3 {
    crc_driver_signing(endpoint, retry, true)
}

fn crc_driver_signing(endpoint: &str, retry: multicloud::retry::RetryPolicy, sign: bool) -> S3 {
    let cfg = S3Config::builder()
        .endpoint(endpoint)
        .sign_payload(sign)
        .credentials(Credentials::new(s3env::S3S_KEY, s3env::S3S_SECRET))
        .upload_checksum(multicloud::storage::s3::UploadChecksum::Crc32c)
        .build()
        .unwrap();
    S3::with_transport(cfg, TransportConfig::default().retry(retry)).unwrap()
}

#[maybe_async]
#[mode_test]
async fn crc32c_uploads_round_trip_on_stores_that_check_them_and_on_stores_that_ignore_them() {
    // s3s checks the CRC32C and answers it; moto ignores it (the MD5 fallback runs).
    for endpoint in [s3env::s3s(), s3env::moto()] {
        let s3 = crc_driver(&endpoint, fast_retries());
        let b = bucket();
        s3.create_container(&b).await.unwrap();
        let data = content(21, 10_000);
        let o = s3.upload_bytes(&b, "k", data.clone().into(), &UploadOptions::new()).await.unwrap();
        assert_eq!(o.md5(), Some(multicloud::storage::md5_hex(&data).as_str()), "{endpoint}");
        let back = s3.download_bytes(&b, "k").await.unwrap();
        assert!(back[..] == data[..], "{endpoint}: stored intact");
    }
}

#[maybe_async]
#[mode_test]
async fn a_crc32c_upload_corrupted_on_the_wire_is_refused_by_the_store() {
    use super::common::corrupting_proxy::{CorruptingProxy, Flip};
    let direct = driver(&s3env::s3s());
    let b = bucket();
    direct.create_container(&b).await.unwrap();
    let data = content(22, 4096);
    let up = CorruptingProxy::start(&s3env::s3s(), Flip::Requests);
    // Payload unsigned, so the CRC32C is all the store can check the body against.
    let never = multicloud::retry::RetryPolicy::never();
    let sent = crc_driver_signing(&up.url(), never, false).upload_bytes(&b, "k", data.clone().into(), &UploadOptions::new()).await;
    assert_eq!(up.flipped(), 1, "one byte of the upload was flipped on the wire");
    let e = sent.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Integrity, Some("BadDigest")), "{e}");
    // s3s-fs 0.14 writes the object before it compares checksums (Content-MD5 too), so
    // the refused bytes are stored anyway: a flaw of that server (features.md), not
    // checked here. AWS stores nothing on BadDigest.
}

#[maybe_async]
async fn upload_to(server: &FakeServer, body: &Bytes) -> multicloud::Result<multicloud::storage::Object> {
    let s3 = crc_driver(&server.url(""), fast_retries());
    s3.upload_bytes("b", "k", body.clone(), &UploadOptions::new()).await
}

/// A fake store answering PUTs with `put_headers`, counting DELETEs.
fn crc_fake(put_headers: &'static str) -> (FakeServer, Arc<Mutex<u32>>) {
    let deletes = Arc::new(Mutex::new(0));
    let seen = deletes.clone();
    let server = FakeServer::start_with_request(move |_, line, s| {
        if line.starts_with("DELETE ") {
            *seen.lock().unwrap() += 1;
            respond(s, 204, "", b"");
        } else {
            respond(s, 200, put_headers, b"");
        }
    });
    (server, deletes)
}

#[maybe_async]
#[mode_test]
async fn a_crc32c_answer_decides_and_without_one_the_etag_must_be_the_bodys_md5() {
    let body = Bytes::from_static(b"data");
    let md5 = multicloud::storage::md5_hex(&body);
    let crc = multicloud::storage::s3::checksum::crc32c_base64(&body);
    // The store's own CRC32C, equal to the one sent: taken (whatever the ETag).
    let ok: &'static str = Box::leak(format!("x-amz-checksum-crc32c: {crc}\r\nETag: \"opaque\"\r\n").into_boxed_str());
    let (server, deletes) = crc_fake(ok);
    let o = upload_to(&server, &body).await;
    assert!(o.is_ok(), "{o:?}");
    assert_eq!(*deletes.lock().unwrap(), 0);
    // Another CRC32C: the store holds other bytes.
    let (server, deletes) = crc_fake("x-amz-checksum-crc32c: AAAAAA==\r\nETag: \"opaque\"\r\n");
    let e = upload_to(&server, &body).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("deleted"), "{e}");
    assert_eq!(*deletes.lock().unwrap(), 1, "the corrupt object was deleted");
    // No CRC32C (the store ignored it): the ETag must be the body's MD5.
    let right: &'static str = Box::leak(format!("ETag: \"{md5}\"\r\n").into_boxed_str());
    let (server, deletes) = crc_fake(right);
    let o = upload_to(&server, &body).await;
    assert!(o.is_ok(), "{o:?}");
    assert_eq!(*deletes.lock().unwrap(), 0);
    let (server, deletes) = crc_fake("ETag: \"00112233445566778899aabbccddeeff\"\r\n");
    let e = upload_to(&server, &body).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert_eq!(*deletes.lock().unwrap(), 1, "the corrupt object was deleted");
}

#[maybe_async]
#[mode_test]
async fn a_stored_crc32c_checks_whole_downloads() {
    use super::common::corrupting_proxy::{CorruptingProxy, Flip};
    let s3 = crc_driver(&s3env::s3s(), fast_retries());
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    let data = content(23, 4096);
    s3.upload_bytes(&b, "k", data.clone().into(), &UploadOptions::new()).await.unwrap();
    let o = s3.get_object(&b, "k").await.unwrap();
    assert_eq!(o.crc32c, Some(crc32c::crc32c(&data)), "s3s states the CRC32C it checked");
    let back = s3.download_bytes(&b, "k").await.unwrap();
    assert!(back[..] == data[..]);

    let down = CorruptingProxy::start(&s3env::s3s(), Flip::Responses);
    let never = multicloud::retry::RetryPolicy::never();
    let e = crc_driver(&down.url(), never).download_bytes(&b, "k").await.unwrap_err();
    assert_eq!(down.flipped(), 1, "one byte of the download was flipped on the wire");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("CRC32C"), "checked by its CRC32C: {e}");
}

#[maybe_async]
#[mode_test]
async fn listed_keys_keep_their_leading_and_trailing_spaces() {
    for endpoint in [s3env::s3s(), s3env::moto()] {
        let s3 = driver(&endpoint);
        let b = bucket();
        s3.create_container(&b).await.unwrap();
        for k in [" lead", "trail ", "a & b"] {
            s3.upload_bytes(&b, k, Bytes::from_static(b"x"), &UploadOptions::new()).await.unwrap();
        }
        let listed = s3.list_objects(&b, "").await.unwrap();
        let names: Vec<&str> = listed.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, [" lead", "a & b", "trail "], "{endpoint}");
    }
}
