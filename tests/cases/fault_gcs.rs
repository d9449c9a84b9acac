// Faults the GCS driver must survive or report, against a small in-process GCS server
// (`tests/common/gcs_fake.rs`) that keeps resumable sessions as Google documents them (a status query answers
// 308 with what the session holds; fake-gcs-server instead finishes the upload) and
// breaks exchanges on request. Included once per mode by `tests/fault_injection.rs`.

use mc::storage::Gcs;
use multicloud::storage::gcs::GcsConfig;

use super::common::gcs_fake;

/// The driver under test against `fake`: 256 KiB chunks, short timeouts, fast retries.
fn gcs_faulty_driver(fake: &gcs_fake::Fake) -> Gcs {
    let retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        total_budget: Duration::from_secs(10),
    };
    let transport = TransportConfig::default()
        .request_timeout(Duration::from_secs(5))
        .stall_timeout(Duration::from_secs(2))
        .retry(retry);
    let config = GcsConfig::builder()
        .emulator_host(fake.addr.to_string())
        .chunk_size(gcs_fake::CHUNK)
        .build()
        .unwrap();
    Gcs::with_transport(config, transport).unwrap()
}

fn gcs_data(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    fastrand::Rng::with_seed(len as u64).fill(&mut out);
    out
}

/// A chunk that reached the server but whose answer was lost (a reset), and a chunk the
/// server kept only half of: each time the driver asks the session what it holds and
/// resumes from there, sending no acknowledged byte twice; the object holds the data.
#[maybe_async]
#[mode_test]
async fn gcs_fault_failed_chunks_resume_from_the_sessions_offset() {
    let fake = gcs_fake::Fake::start();
    fake.set(|f| {
        f.lose_answer_of_chunk = Some(2);
        f.keep_half_of_chunk = Some(4);
    });
    let d = gcs_faulty_driver(&fake);
    let data = gcs_data(5 * gcs_fake::CHUNK + 1000);
    let reader = std::io::Cursor::new(data.clone());
    let o = d
        .upload_reader("bkt", "big", reader, &UploadOptions::new())
        .await
        .unwrap();
    assert_eq!(o.size, data.len() as u64);
    assert!(
        fake.object("big").is_some_and(|b| b == data),
        "the stored bytes differ"
    );
    let log = fake.log();
    let status_queries = log.iter().filter(|l| l.contains("bytes */*")).count();
    assert_eq!(
        status_queries, 1,
        "one status query after the lost answer: {log:#?}"
    );
    let chunk = gcs_fake::CHUNK;
    let resent_from_half = format!("bytes {}-", 3 * chunk + chunk / 2);
    assert!(
        log.iter().any(|l| l.contains(&resent_from_half)),
        "{log:#?}"
    );
    let second = format!("bytes {chunk}-");
    assert_eq!(
        log.iter().filter(|l| l.contains(&second)).count(),
        1,
        "{log:#?}"
    );
    let got = d.download_bytes("bkt", "big").await.unwrap();
    assert!(got == data, "download differs");
}

/// A session claiming more bytes than were sent is not believed: `Parse`, and the
/// session is cancelled.
#[maybe_async]
#[mode_test]
async fn gcs_fault_a_session_claiming_unsent_bytes_is_refused() {
    let fake = gcs_fake::Fake::start();
    fake.set(|f| {
        f.lose_answer_of_chunk = Some(1);
        f.overclaim = true;
    });
    let d = gcs_faulty_driver(&fake);
    let reader = std::io::Cursor::new(gcs_data(3 * gcs_fake::CHUNK));
    let e = d
        .upload_reader("bkt", "x", reader, &UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    assert!(
        fake.log().iter().any(|l| l.starts_with("DELETE /upload/")),
        "session cancelled"
    );
    assert!(fake.object("x").is_none());
}

/// A store that keeps other bytes than those sent: `Integrity`, and that generation is
/// deleted so no reader gets it.
#[maybe_async]
#[mode_test]
async fn gcs_fault_corrupt_stored_objects_are_deleted() {
    let fake = gcs_fake::Fake::start();
    fake.set(|f| f.corrupt_final = true);
    let d = gcs_faulty_driver(&fake);
    let reader = std::io::Cursor::new(gcs_data(2 * gcs_fake::CHUNK + 5));
    let e = d
        .upload_reader("bkt", "c", reader, &UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(fake.object("c").is_none(), "the corrupt object was deleted");
    assert!(
        fake.log()
            .iter()
            .any(|l| l.contains("DELETE") && l.contains("ifGenerationMatch=1"))
    );
}

/// 503s and resets before the answer's head are retried; a body cut short is an error,
/// never a short `Ok`.
#[maybe_async]
#[mode_test]
async fn gcs_fault_503_and_resets_retried_truncation_detected() {
    let fake = gcs_fake::Fake::start();
    let data = gcs_data(100_000);
    fake.put("k", &data);
    fake.set(|f| {
        f.unavailable_metadata = 2;
        f.reset_media = 1;
    });
    let d = gcs_faulty_driver(&fake);
    let got = d.download_bytes("bkt", "k").await.unwrap();
    assert!(got == data, "download differs");
    let log = fake.log();
    assert_eq!(
        log.iter().filter(|l| l.contains("/o/k HTTP")).count(),
        3,
        "{log:#?}"
    );
    assert_eq!(
        log.iter().filter(|l| l.contains("alt=media")).count(),
        2,
        "{log:#?}"
    );

    fake.set(|f| f.truncate_media = true);
    let e = d.download_bytes("bkt", "k").await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Transport | ErrorKind::Integrity),
        "{e}"
    );
    let mut sink = Vec::new();
    let e = d
        .download_to_writer("bkt", "k", &mut sink)
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Transport | ErrorKind::Integrity),
        "{e}"
    );
    assert!(sink.len() < data.len());
}

/// The access token goes with every request to the endpoint, sessions included; a
/// session on another host is refused before anything (or any token) is sent to it.
#[maybe_async]
#[mode_test]
async fn gcs_fault_tokens_go_only_to_the_endpoint() {
    let fake = gcs_fake::Fake::start();
    let config = GcsConfig::builder()
        .emulator_host(fake.addr.to_string())
        .credentials(multicloud::gcp::Source::StaticToken("tok-123".into()))
        .chunk_size(gcs_fake::CHUNK)
        .build()
        .unwrap();
    let d = Gcs::new(config).unwrap();
    let data = gcs_data(gcs_fake::CHUNK + 10);
    let opts = UploadOptions::new();
    let put = d.upload_reader("bkt", "t", std::io::Cursor::new(data.clone()), &opts);
    put.await.unwrap();
    let log = fake.log();
    assert!(
        log.iter().all(|l| l.ends_with(" Bearer tok-123")),
        "{log:#?}"
    );
    fake.set(|f| f.foreign_session = true);
    let put = d.upload_reader("bkt", "u", std::io::Cursor::new(data), &opts);
    let e = put.await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    assert!(
        e.message().contains("not on the configured endpoint"),
        "{e}"
    );
}

/// Bucket listings follow every page; a page token handed out twice ends the listing
/// with `Parse`, never a partial or endless list.
#[maybe_async]
#[mode_test]
async fn gcs_fault_bucket_pages_are_followed_and_guarded() {
    let fake = gcs_fake::Fake::start();
    let d = gcs_faulty_driver(&fake);
    let names: Vec<String> = d
        .list_containers()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["bkt", "other"]);
    fake.set(|f| f.repeat_bucket_token = true);
    let e = d.list_containers().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

/// A create-only upload whose answer was lost is not repeated (a repeat would hear 412):
/// the object is looked at, and holding exactly the bytes sent, the upload succeeded;
/// when it did not land, the error stands. A deletion whose answer was lost is retried
/// and its 404 is success.
#[maybe_async]
#[mode_test]
async fn gcs_fault_lost_answers_of_writes_and_deletes() {
    let fake = gcs_fake::Fake::start();
    let d = gcs_faulty_driver(&fake);
    let once = UploadOptions::new().create_only();
    fake.set(|f| f.lose_multipart = Some(true));
    let o = d
        .upload_bytes("bkt", "m", Bytes::from_static(b"landed"), &once)
        .await;
    assert_eq!(o.unwrap().size, 6);
    assert_eq!(fake.object("m").as_deref(), Some(&b"landed"[..]));
    fake.set(|f| f.lose_multipart = Some(false));
    let e = d
        .upload_bytes("bkt", "n", Bytes::from_static(b"lost"), &once)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(fake.object("n").is_none());
    let again = d
        .upload_bytes("bkt", "m", Bytes::from_static(b"other"), &once)
        .await;
    assert_eq!(again.unwrap_err().kind(), ErrorKind::PreconditionFailed);

    fake.set(|f| f.lose_answer_of_delete = true);
    d.delete_object("bkt", "m").await.unwrap();
    assert!(fake.object("m").is_none());
    let deletes = fake
        .log()
        .iter()
        .filter(|l| l.starts_with("DELETE /storage/v1/b/bkt/o/m "))
        .count();
    assert_eq!(deletes, 2, "retried once");
}

/// An upload whose answer has no generation, and whose bytes are not those sent: the
/// object is not deleted (an unconditional deletion could remove another writer's good
/// object), and the `Integrity` error says it was left in place; the same for a multipart
/// upload. A finished resumable upload with the generation is still deleted (the case
/// above).
#[maybe_async]
#[mode_test]
async fn gcs_fault_corrupt_uploads_without_a_generation_are_left_in_place() {
    let fake = gcs_fake::Fake::start();
    fake.set(|f| {
        f.corrupt_final = true;
        f.omit_generation = true;
    });
    let d = gcs_faulty_driver(&fake);
    let reader = std::io::Cursor::new(gcs_data(2 * gcs_fake::CHUNK + 5));
    let e = d
        .upload_reader("bkt", "c", reader, &UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.message().contains("generation is unknown"), "{e}");
    assert!(fake.object("c").is_some(), "nothing was deleted");
    let log = fake.log();
    assert!(
        !log.iter().any(|l| l.starts_with("DELETE /storage/")),
        "{log:#?}"
    );
}

/// An upload answer stating neither MD5 nor CRC32C proves nothing about the bytes:
/// `Integrity` ("stated no hash"), nothing deleted, for multipart and resumable uploads;
/// a create-only upload whose answer was lost is not taken as landed on its size alone.
#[maybe_async]
#[mode_test]
async fn gcs_fault_upload_answers_without_a_hash_are_refused() {
    let fake = gcs_fake::Fake::start();
    fake.set(|f| f.omit_hashes = true);
    let d = gcs_faulty_driver(&fake);
    let small = Bytes::from_static(b"small");
    let e = d
        .upload_bytes("bkt", "s", small.clone(), &UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.message().contains("stated no hash"), "{e}");
    assert!(fake.object("s").is_some(), "nothing was deleted");
    let reader = std::io::Cursor::new(gcs_data(gcs_fake::CHUNK + 5));
    let e = d
        .upload_reader("bkt", "r", reader, &UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.message().contains("stated no hash"), "{e}");
    assert!(fake.object("r").is_some(), "nothing was deleted");
    fake.set(|f| f.lose_multipart = Some(true));
    let once = UploadOptions::new().create_only();
    let e = d.upload_bytes("bkt", "l", small, &once).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    let log = fake.log();
    assert!(
        !log.iter().any(|l| l.starts_with("DELETE /storage/")),
        "{log:#?}"
    );
}

/// A rewrite that never finishes (new tokens, no byte more copied) ends with `Provider`
/// after `MAX_STALLS` calls, never looping forever; a finished one copies.
#[maybe_async]
#[mode_test]
async fn gcs_fault_rewrites_that_never_progress_end() {
    let fake = gcs_fake::Fake::start();
    fake.put("src", b"copied bytes");
    let d = gcs_faulty_driver(&fake);
    let o = d.copy_object("bkt", "src", "bkt", "dst").await.unwrap();
    assert_eq!(o.size, 12);
    assert_eq!(fake.object("dst").as_deref(), Some(&b"copied bytes"[..]));
    fake.set(|f| f.rewrite_stuck = true);
    let e = d
        .copy_object("bkt", "src", "bkt", "stuck")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
    let calls = fake
        .log()
        .iter()
        .filter(|l| l.contains("/rewriteTo/b/bkt/o/stuck"))
        .count();
    assert_eq!(
        calls,
        multicloud::storage::gcs::rewrite::MAX_STALLS as usize
    );
}

/// A token endpoint answering `token-N` (N from 0) for an hour; from the `fail_from`-th
/// request on (0-based) it refuses.
fn gcs_token_endpoint(fail_from: Option<usize>) -> crate::common::fake_http::FakeServer {
    use crate::common::fake_http::{FakeServer, respond};
    FakeServer::start_with_body(move |n, _, _, s| {
        if fail_from.is_some_and(|f| n >= f) {
            respond(s, 400, "", br#"{"error":"invalid_grant"}"#);
            return;
        }
        let answer =
            format!(r#"{{"access_token":"token-{n}","expires_in":3600,"token_type":"Bearer"}}"#);
        respond(
            s,
            200,
            "Content-Type: application/json\r\n",
            answer.as_bytes(),
        );
    })
}

/// `authorized_user` credentials whose tokens come from `tokens`.
fn gcs_fetched_credentials(
    tokens: &crate::common::fake_http::FakeServer,
) -> multicloud::gcp::Source {
    let user = format!(
        r#"{{"type": "authorized_user", "client_id": "cid", "client_secret": "cs",
            "refresh_token": "rt", "token_uri": "{}"}}"#,
        tokens.url("/token")
    );
    multicloud::gcp::Source::from_json(user.as_bytes()).unwrap()
}

/// A fetched token the service refuses (401) is forgotten and the request sent once more
/// with a new one, for metadata and media requests alike; a service that refuses every
/// token hears each request twice, never more (`Unauthorized`); a fixed token is never
/// retried.
#[maybe_async]
#[mode_test]
async fn gcs_fault_a_refused_token_is_replaced_once() {
    let fake = gcs_fake::Fake::start();
    fake.put("k", b"kept");
    let tokens = gcs_token_endpoint(None);
    let config = GcsConfig::builder()
        .emulator_host(fake.addr.to_string())
        .credentials(gcs_fetched_credentials(&tokens))
        .build()
        .unwrap();
    let d = Gcs::new(config).unwrap();
    fake.set(|f| f.refused_token = Some("token-0".into()));
    let o = d.get_object("bkt", "k").await.unwrap();
    assert_eq!(o.size, 4);
    assert_eq!(tokens.hits(), 2, "a new token after the refusal");
    fake.set(|f| {
        f.refused_token = Some("token-1".into());
        f.refuse_only_media = true;
    });
    let got = d.download_bytes("bkt", "k").await.unwrap();
    assert_eq!(&got[..], b"kept");
    assert_eq!(tokens.hits(), 3, "a new token for the refused read");
    let log = fake.log();
    let media: Vec<_> = log.iter().filter(|l| l.contains("alt=media")).collect();
    assert_eq!(media.len(), 2, "{log:#?}");
    assert!(media[1].ends_with("Bearer token-2"), "{log:#?}");

    fake.set(|f| f.refuse_all_tokens = true);
    let before = fake.log().len();
    let e = d.get_object("bkt", "k").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(fake.log().len() - before, 2, "sent twice, no more");

    let fixed = GcsConfig::builder()
        .emulator_host(fake.addr.to_string())
        .credentials(multicloud::gcp::Source::StaticToken("fixed".into()))
        .build()
        .unwrap();
    let d = Gcs::new(fixed).unwrap();
    let before = fake.log().len();
    let e = d.get_object("bkt", "k").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(fake.log().len() - before, 1, "a fixed token is not retried");
}

/// When a token cannot be had during a resumable upload (as it starts, right after its
/// session is created, or for a chunk), no session is left open: either none was started
/// or it was cancelled, with the last token had.
#[maybe_async]
#[mode_test]
async fn gcs_fault_a_token_failure_leaves_no_session_open() {
    for fail_from in 1..=3 {
        let fake = gcs_fake::Fake::start();
        let tokens = gcs_token_endpoint(Some(fail_from));
        let d = gcs_driver_refetching_tokens(&fake, &tokens);
        let reader = std::io::Cursor::new(gcs_data(2 * gcs_fake::CHUNK));
        let e = d
            .upload_reader("bkt", "t", reader, &UploadOptions::new())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        let log = fake.log();
        let started = log
            .iter()
            .filter(|l| l.starts_with("POST /upload/"))
            .count();
        let cancelled = log
            .iter()
            .filter(|l| l.starts_with("DELETE /upload/") && l.contains(" Bearer token-"))
            .count();
        assert_eq!(started, cancelled, "failing from {fail_from}: {log:#?}");
        assert!(fake.object("t").is_none());
    }
}

/// A driver whose every request fetches a new token from `tokens` (its clock moves two
/// hours on each time it is read, so every token has expired when next used).
fn gcs_driver_refetching_tokens(
    fake: &gcs_fake::Fake,
    tokens: &crate::common::fake_http::FakeServer,
) -> Gcs {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let tick = Arc::new(AtomicU64::new(1_700_000_000));
    let clock = Arc::new(move || {
        let at = tick.fetch_add(7200, Ordering::SeqCst);
        std::time::UNIX_EPOCH + Duration::from_secs(at)
    });
    let source = mc::tokens::TokenSource::Google {
        source: gcs_fetched_credentials(tokens),
        scope: "s".into(),
    };
    let provider = mc::tokens::TokenProvider::new(source)
        .unwrap()
        .with_clock(clock);
    let config = GcsConfig::builder()
        .emulator_host(fake.addr.to_string())
        .chunk_size(gcs_fake::CHUNK)
        .build()
        .unwrap();
    Gcs::with_token_provider(config, TransportConfig::default(), provider).unwrap()
}

/// Object-only roles may not read buckets: a 403 to `buckets.get` means the bucket
/// exists, so deleting a missing object succeeds and a create-only upload goes on.
/// Google's 404 messages say what is missing: then the bucket is not asked for, and a
/// missing bucket is `NotFound`.
#[maybe_async]
#[mode_test]
async fn gcs_fault_missing_objects_without_reading_the_bucket() {
    let fake = gcs_fake::Fake::start();
    fake.set(|f| f.forbid_bucket_get = true);
    let d = gcs_faulty_driver(&fake);
    d.delete_object("bkt", "none").await.unwrap();
    let once = UploadOptions::new().create_only();
    let reader = std::io::Cursor::new(gcs_data(gcs_fake::CHUNK + 5));
    d.upload_reader("bkt", "new", reader, &once).await.unwrap();
    assert!(fake.object("new").is_some());
    let asked = |log: &[String]| {
        log.iter()
            .filter(|l| l.starts_with("GET /storage/v1/b/bkt "))
            .count()
    };
    assert_eq!(asked(&fake.log()), 2, "asked, and 403 taken as there");

    fake.set(|f| {
        f.forbid_bucket_get = false;
        f.google_404s = true;
    });
    let before = asked(&fake.log());
    d.delete_object("bkt", "none").await.unwrap();
    let reader = std::io::Cursor::new(gcs_data(gcs_fake::CHUNK + 5));
    d.upload_reader("bkt", "new2", reader, &once).await.unwrap();
    let e = d.delete_object("gone", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains("bucket does not exist"), "{e}");
    assert_eq!(asked(&fake.log()), before, "Google's message was enough");
}
