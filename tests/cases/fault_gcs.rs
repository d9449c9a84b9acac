// Faults the GCS driver must survive or report, against a small in-process GCS server
// (below) that keeps resumable sessions as Google documents them (a status query answers
// 308 with what the session holds; fake-gcs-server instead finishes the upload) and
// breaks exchanges on request. Included once per mode by `tests/fault_injection.rs`.

use mc::storage::Gcs;
use multicloud::storage::gcs::GcsConfig;

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

/// A small GCS JSON API server: one bucket `bkt`, objects in memory, resumable sessions
/// with Google's documented semantics, and faults switched on by the tests.
mod gcs_fake {
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    use base64::Engine;
    use md5::Digest;

    pub const CHUNK: usize = 256 << 10;

    #[derive(Default)]
    pub struct Faults {
        /// The n-th chunk (1-based) is kept, then the connection reset before the answer.
        pub lose_answer_of_chunk: Option<usize>,
        /// The n-th chunk: only its first half is kept (308 says so).
        pub keep_half_of_chunk: Option<usize>,
        /// Status queries claim a byte more than the session holds.
        pub overclaim: bool,
        /// Finished uploads store one byte flipped.
        pub corrupt_final: bool,
        /// This many metadata GETs answer 503 first.
        pub unavailable_metadata: usize,
        /// This many media GETs are reset before the head.
        pub reset_media: usize,
        /// Media GETs send half the body and close.
        pub truncate_media: bool,
        /// The next multipart upload is stored (`true`) or not, then reset unanswered.
        pub lose_multipart: Option<bool>,
        /// The next object deletion happens, then the connection is reset unanswered.
        pub lose_answer_of_delete: bool,
        /// Resumable sessions are on another host.
        pub foreign_session: bool,
        /// The second page of the bucket listing hands back the first page's token.
        pub repeat_bucket_token: bool,
        /// Object resources leave out the generation.
        pub omit_generation: bool,
        /// Object resources leave out md5Hash and crc32c.
        pub omit_hashes: bool,
        /// `buckets.get` answers 403 (an object-only role).
        pub forbid_bucket_get: bool,
        /// 404s carry Google's messages (`No such object: bkt/n`; bucket `gone` is missing).
        pub google_404s: bool,
        /// Requests bearing this token are refused (401).
        pub refused_token: Option<String>,
        /// Only media GETs refuse `refused_token`.
        pub refuse_only_media: bool,
        /// Every request with a token is refused (401).
        pub refuse_all_tokens: bool,
        /// Rewrites never finish: a new token each time, no byte more rewritten.
        pub rewrite_stuck: bool,
    }

    #[derive(Default)]
    struct State {
        objects: HashMap<String, Vec<u8>>,
        sessions: HashMap<String, (String, Vec<u8>)>,
        chunks: usize,
        faults: Faults,
        log: Vec<String>,
    }

    pub struct Fake {
        pub addr: SocketAddr,
        state: Arc<Mutex<State>>,
    }

    impl Fake {
        pub fn start() -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let state = Arc::new(Mutex::new(State::default()));
            let shared = state.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let state = shared.clone();
                    std::thread::spawn(move || serve(stream, &state, addr));
                }
            });
            Fake { addr, state }
        }

        pub fn set(&self, f: impl FnOnce(&mut Faults)) {
            f(&mut self.state.lock().unwrap().faults);
        }

        pub fn put(&self, name: &str, data: &[u8]) {
            let mut s = self.state.lock().unwrap();
            s.objects.insert(name.to_owned(), data.to_vec());
        }

        pub fn object(&self, name: &str) -> Option<Vec<u8>> {
            self.state.lock().unwrap().objects.get(name).cloned()
        }

        /// Request lines, with the Content-Range of uploads.
        pub fn log(&self) -> Vec<String> {
            self.state.lock().unwrap().log.clone()
        }
    }

    struct Req {
        line: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Req {
        fn header(&self, name: &str) -> Option<&str> {
            let h = self
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name));
            h.map(|(_, v)| v.as_str())
        }
    }

    fn read(stream: &TcpStream) -> Option<Req> {
        let mut reader = BufReader::new(stream.try_clone().ok()?);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).ok()? == 0 {
                return None;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':')?;
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut req = Req {
            line: line.trim_end().to_owned(),
            headers,
            body: Vec::new(),
        };
        let len: usize = req
            .header("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        req.body = vec![0; len];
        reader.read_exact(&mut req.body).ok()?;
        Some(req)
    }

    fn respond(stream: &mut TcpStream, status: u16, headers: &str, body: &[u8]) {
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    }

    fn reset(stream: TcpStream) {
        super::super::common::fake_http::reset(&stream);
    }

    fn serve(mut stream: TcpStream, state: &Mutex<State>, addr: SocketAddr) {
        let Some(req) = read(&stream) else { return };
        let range = req.header("content-range").unwrap_or("").to_owned();
        let auth = req.header("authorization").unwrap_or("").to_owned();
        let line = format!("{} {range} {auth}", req.line);
        state.lock().unwrap().log.push(line);
        let mut parts = req.line.split(' ');
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if refused(&auth, query, state) {
            return respond(
                &mut stream,
                401,
                "",
                br#"{"error":{"code":401,"message":"Invalid Credentials"}}"#,
            );
        }
        let answer = match (method, path) {
            ("POST", p) if p.contains("/rewriteTo/") => rewrite(p, query, state),
            ("GET", "/storage/v1/b/bkt") if state.lock().unwrap().faults.forbid_bucket_get => {
                Answer::Status(403)
            }
            (_, p) if p.starts_with("/storage/v1/b/gone/") => not_found(
                state,
                r#"{"error":{"code":404,"message":"The specified bucket does not exist."}}"#.into(),
            ),
            ("POST", "/upload/storage/v1/b/bkt/o") if query.contains("uploadType=multipart") => {
                multipart(&req, query, state)
            }
            ("POST", "/upload/storage/v1/b/bkt/o") => start(&req, state, addr),
            ("PUT", "/upload/storage/v1/b/bkt/o") => chunk(&req, query, state),
            ("DELETE", "/upload/storage/v1/b/bkt/o") => Answer::Status(499),
            ("GET", "/storage/v1/b") => buckets(query, state),
            ("GET", "/storage/v1/b/bkt") => {
                Answer::Json(r#"{"kind":"storage#bucket","name":"bkt"}"#.into())
            }
            (m, p) if p.starts_with("/storage/v1/b/bkt/o/") => {
                let name = percent_encoding::percent_decode_str(&p[20..]).decode_utf8_lossy();
                object(m, &name, query, state)
            }
            _ => Answer::Status(400),
        };
        match answer {
            Answer::Status(s) => respond(&mut stream, s, "", b""),
            Answer::Json(j) => respond(
                &mut stream,
                200,
                "Content-Type: application/json\r\n",
                j.as_bytes(),
            ),
            Answer::Raw(s, h, b) => respond(&mut stream, s, &h, &b),
            Answer::Reset => reset(stream),
            Answer::Truncated(b) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\nX-Goog-Generation: 1\r\n\r\n",
                    b.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&b[..b.len() / 2]);
            }
        }
    }

    /// Whether the fault switches refuse a request bearing `auth`.
    fn refused(auth: &str, query: &str, state: &Mutex<State>) -> bool {
        let s = state.lock().unwrap();
        let f = &s.faults;
        let token = auth.strip_prefix("Bearer ");
        let named = token.is_some() && token == f.refused_token.as_deref();
        let media = query.contains("alt=media");
        (f.refuse_all_tokens && token.is_some()) || (named && (media || !f.refuse_only_media))
    }

    /// A 404 with Google's `message` when `google_404s` is on, an empty one otherwise.
    fn not_found(state: &Mutex<State>, google: String) -> Answer {
        match state.lock().unwrap().faults.google_404s {
            true => Answer::Raw(
                404,
                "Content-Type: application/json\r\n".into(),
                google.into(),
            ),
            false => Answer::Status(404),
        }
    }

    /// `objects.rewrite` within `bkt`: done at once, or (`rewrite_stuck`) never.
    fn rewrite(path: &str, query: &str, state: &Mutex<State>) -> Answer {
        let decode = |p: &str| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        };
        let (src, dst) = path["/storage/v1/b/bkt/o/".len()..]
            .split_once("/rewriteTo/b/bkt/o/")
            .unwrap();
        let (src, dst) = (decode(src), decode(dst));
        let mut s = state.lock().unwrap();
        let Some(data) = s.objects.get(&src).cloned() else {
            return Answer::Status(404);
        };
        if s.faults.rewrite_stuck {
            let n = query.matches("rewriteToken=").count() + s.log.len();
            return Answer::Json(format!(
                r#"{{"kind":"storage#rewriteResponse","done":false,"rewriteToken":"t{n}",
                "totalBytesRewritten":"0","objectSize":"{}"}}"#,
                data.len()
            ));
        }
        let json = resource(&s.faults, &dst, &data);
        s.objects.insert(dst, data.clone());
        Answer::Json(format!(
            r#"{{"kind":"storage#rewriteResponse","done":true,"objectSize":"{}","resource":{json}}}"#,
            data.len()
        ))
    }

    enum Answer {
        Status(u16),
        Json(String),
        Raw(u16, String, Vec<u8>),
        Reset,
        Truncated(Vec<u8>),
    }

    fn start(req: &Req, state: &Mutex<State>, addr: SocketAddr) -> Answer {
        let meta: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        let name = meta["name"].as_str().unwrap().to_owned();
        let mut s = state.lock().unwrap();
        let id = format!("s{}", s.sessions.len() + 1);
        s.sessions.insert(id.clone(), (name, Vec::new()));
        let host = match s.faults.foreign_session {
            true => "198.51.100.7:80".to_owned(),
            false => addr.to_string(),
        };
        let location = format!(
            "Location: http://{host}/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id={id}\r\n"
        );
        Answer::Raw(200, location, Vec::new())
    }

    /// A chunk or a status query: `bytes A-B/T` or `bytes */T` (`T` may be `*`).
    fn chunk(req: &Req, query: &str, state: &Mutex<State>) -> Answer {
        let id = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("upload_id="))
            .unwrap_or("");
        let spec = req
            .header("content-range")
            .unwrap_or("")
            .trim_start_matches("bytes ")
            .to_owned();
        let (span, total) = spec.split_once('/').unwrap_or(("", "*"));
        let total: Option<usize> = total.parse().ok();
        let mut s = state.lock().unwrap();
        let overclaim = s.faults.overclaim;
        let mut lose = false;
        if span != "*" {
            s.chunks += 1;
            let n = s.chunks;
            let start: usize = span.split('-').next().unwrap().parse().unwrap();
            let half = s.faults.keep_half_of_chunk == Some(n);
            lose = s.faults.lose_answer_of_chunk == Some(n);
            let Some((_, held)) = s.sessions.get_mut(id) else {
                return Answer::Status(404);
            };
            if start > held.len() {
                return Answer::Status(400);
            }
            let mut new = &req.body[held.len() - start..];
            if half {
                new = &new[..new.len() / 2];
            }
            held.extend_from_slice(new);
        }
        let Some((name, held)) = s.sessions.get(id).cloned() else {
            return Answer::Status(404);
        };
        if lose {
            return Answer::Reset;
        }
        if total == Some(held.len()) {
            s.sessions.remove(id);
            let mut stored = held;
            if s.faults.corrupt_final {
                stored[0] ^= 1;
            }
            let json = resource(&s.faults, &name, &stored);
            s.objects.insert(name, stored);
            return Answer::Json(json);
        }
        let claimed = held.len() + usize::from(overclaim && span == "*");
        match claimed {
            0 => Answer::Status(308),
            n => Answer::Raw(308, format!("Range: bytes=0-{}\r\n", n - 1), Vec::new()),
        }
    }

    fn object(method: &str, name: &str, query: &str, state: &Mutex<State>) -> Answer {
        let mut s = state.lock().unwrap();
        if method == "DELETE" {
            let lose = std::mem::take(&mut s.faults.lose_answer_of_delete);
            return match (s.objects.remove(name), lose) {
                (Some(_), true) => Answer::Reset,
                (Some(_), false) => Answer::Status(204),
                (None, _) => {
                    drop(s);
                    let google = format!(
                        r#"{{"error":{{"code":404,"message":"No such object: bkt/{name}"}}}}"#
                    );
                    not_found(state, google)
                }
            };
        }
        let Some(data) = s.objects.get(name).cloned() else {
            drop(s);
            let google =
                format!(r#"{{"error":{{"code":404,"message":"No such object: bkt/{name}"}}}}"#);
            return not_found(state, google);
        };
        if !query.contains("alt=media") {
            if s.faults.unavailable_metadata > 0 {
                s.faults.unavailable_metadata -= 1;
                return Answer::Status(503);
            }
            return Answer::Json(resource(&s.faults, name, &data));
        }
        if s.faults.reset_media > 0 {
            s.faults.reset_media -= 1;
            return Answer::Reset;
        }
        if s.faults.truncate_media {
            return Answer::Truncated(data);
        }
        Answer::Raw(200, "X-Goog-Generation: 1\r\n".into(), data)
    }

    /// A multipart upload: JSON metadata and bytes between boundaries; `ifGenerationMatch=0`
    /// is honoured.
    fn multipart(req: &Req, query: &str, state: &Mutex<State>) -> Answer {
        let ct = req.header("content-type").unwrap_or("");
        let boundary = format!("--{}", ct.split("boundary=").nth(1).unwrap_or("").trim());
        let body = &req.body;
        let find = |from: usize, pat: &[u8]| {
            body[from..]
                .windows(pat.len())
                .position(|w| w == pat)
                .map(|i| i + from)
        };
        let meta_at = find(0, b"\r\n\r\n").unwrap() + 4;
        let meta_end = find(meta_at, boundary.as_bytes()).unwrap() - 2;
        let meta: serde_json::Value = serde_json::from_slice(&body[meta_at..meta_end]).unwrap();
        let data_at = find(meta_end, b"\r\n\r\n").unwrap() + 4;
        let data_end = find(data_at, format!("\r\n{boundary}--").as_bytes()).unwrap();
        let name = meta["name"].as_str().unwrap().to_owned();
        let data = body[data_at..data_end].to_vec();
        let mut s = state.lock().unwrap();
        if query.contains("ifGenerationMatch=0") && s.objects.contains_key(&name) {
            return Answer::Status(412);
        }
        let lose = s.faults.lose_multipart.take();
        if lose != Some(false) {
            let json = resource(&s.faults, &name, &data);
            s.objects.insert(name, data);
            if lose.is_none() {
                return Answer::Json(json);
            }
        }
        Answer::Reset
    }

    /// Two pages of buckets (`bkt`, `other`); the second may repeat the first's token.
    fn buckets(query: &str, state: &Mutex<State>) -> Answer {
        let repeat = state.lock().unwrap().faults.repeat_bucket_token;
        let page = |name: &str, token: Option<&str>| {
            let mut doc = serde_json::json!({"kind": "storage#buckets", "items": [{"name": name}]});
            if let Some(t) = token {
                doc["nextPageToken"] = t.into();
            }
            Answer::Json(doc.to_string())
        };
        match query.contains("pageToken=t1") {
            false => page("other", Some("t1")),
            true => page("bkt", repeat.then_some("t1")),
        }
    }

    fn resource(faults: &Faults, name: &str, data: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let md5 = b64.encode(md5::Md5::digest(data));
        let crc = b64.encode(crc32c::crc32c(data).to_be_bytes());
        let mut doc = serde_json::json!({
            "kind": "storage#object", "bucket": "bkt", "name": name, "generation": "1",
            "size": data.len().to_string(), "md5Hash": md5, "crc32c": crc,
            "contentType": "application/octet-stream", "updated": "2026-12-06T10:00:00Z",
        });
        let fields = doc.as_object_mut().unwrap();
        if faults.omit_generation {
            fields.remove("generation");
        }
        if faults.omit_hashes {
            fields.remove("md5Hash");
            fields.remove("crc32c");
        }
        doc.to_string()
    }
}
