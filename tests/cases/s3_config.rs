// S3 configured from the process environment, and what secrets reach logs and `Debug`.
// Each case runs again in a child process with an environment of its own (see
// `common::child`). Included once per mode by `tests/s3.rs`, after `cases/s3.rs` and
// `cases/s3_trust.rs` (whose imports it uses).

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use mc::storage::AnyStorage;

use super::common::child;

/// What a child with no credentials anywhere and a non-UTF-8 variable must see.
fn no_credentials_child() {
    let built = S3Config::builder().from_env().expect("no panic, no error yet").build();
    let e = built.expect_err("no credentials is an error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("no S3 credentials"), "{e}");
    let e = S3::from_env().expect_err("no credentials is an error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = AnyStorage::from_url("s3://bucket").expect_err("no credentials is an error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("anonymous"), "{e}");
    let (anon, location) = AnyStorage::from_url("s3://bucket/p?anonymous=true").unwrap();
    assert!(location.anonymous);
    let AnyStorage::S3(s3) = anon else {
        panic!("s3:// builds S3")
    };
    assert!(s3.config().credentials.is_none());
}

/// What a child whose shared files are broken (as `MULTICLOUD_EXPECT` says) must see: a
/// configuration error naming the file and the profile, however the driver is built.
fn broken_files_child() {
    let expect = std::env::var("MULTICLOUD_EXPECT").unwrap();
    let errors = [
        S3Config::builder().from_env().and_then(|b| b.build()).map(|_| ()),
        S3::from_env().map(|_| ()),
        AnyStorage::from_url("s3://bucket").map(|_| ()),
    ];
    for r in errors {
        let e = r.expect_err("broken configuration is an error");
        let shown = format!("{e} {e:?}");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{shown}");
        for needle in expect.split('|') {
            assert!(shown.contains(needle), "{needle:?} missing from {shown}");
        }
        assert!(!shown.contains("SECRET-VALUE"), "{shown}");
    }
}

/// A broken shared credentials file: its bytes, extra variables, and what the error must
/// name besides the file (`|`-separated).
type BrokenFile = (&'static [u8], &'static [(&'static str, &'static str)], &'static str);

const BROKEN_FILES: &[BrokenFile] = &[
    (
        b"[default]\naws_access_key_id = A\naws_secret_access_key = SECRET-VALUE\n",
        &[("AWS_PROFILE", "typo")],
        "\"typo\"",
    ),
    (b"[work]\naws_access_key_id = W\n", &[("AWS_PROFILE", "work")], "\"work\"|aws_secret_access_key"),
    (b"[default\naws_access_key_id = A\naws_secret_access_key = SECRET-VALUE\n", &[], "line 1"),
    (b"[default]\naws_access_key_id = A\naws_secret_access_key = x\xff\n", &[], "UTF-8"),
];

#[maybe_async]
#[mode_test]
async fn s3_from_the_environment_needs_credentials_or_asks_for_anonymous() {
    match child::role().as_deref() {
        Some("no-credentials") => return no_credentials_child(),
        Some("broken-files") => return broken_files_child(),
        _ => {}
    }
    let me = child::test_path(
        module_path!(),
        "s3_from_the_environment_needs_credentials_or_asks_for_anonymous",
    );
    let home = tempfile::tempdir().unwrap();
    // A variable that is not UTF-8 anywhere in the environment must not matter.
    let not_utf8 = OsString::from_vec(vec![b'x', 0xff, 0xfe]);
    let base = [("HOME", home.path().into()), ("MULTICLOUD_NOT_UTF8", not_utf8)];
    child::run(&me, "no-credentials", &base);
    for (i, (file, extra, expect)) in BROKEN_FILES.iter().enumerate() {
        let path = home.path().join(format!("credentials-{i}"));
        std::fs::write(&path, file).unwrap();
        let mut vars = base.to_vec();
        vars.push(("AWS_SHARED_CREDENTIALS_FILE", path.clone().into()));
        vars.extend(extra.iter().map(|(k, v)| (*k, OsString::from(v))));
        let expect = format!("{}|{expect}", path.display());
        vars.push(("MULTICLOUD_EXPECT", expect.into()));
        child::run(&me, "broken-files", &vars);
    }
}

/// A `log` logger keeping every record (target and message) in memory.
struct KeepLogs(std::sync::Mutex<Vec<String>>);

impl log::Log for KeepLogs {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}", record.target(), record.args());
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static KEPT_LOGS: KeepLogs = KeepLogs(std::sync::Mutex::new(Vec::new()));

const LOG_SECRET: &str = "SecretKey+9f8e7d6c5b4a3f2e1d0c";
const LOG_TOKEN: &str = "SessionToken/0a1b2c3d4e5f6a7b8c9d+IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJH==";

/// Whether any 8 characters in a row of `secret` appear in `text` (a log line may hold a
/// secret cut into pieces, as hex dumps of 16 bytes a row do).
fn shows_part_of(text: &str, secret: &str) -> bool {
    let b = secret.as_bytes();
    b.windows(8).any(|w| text.contains(std::str::from_utf8(w).unwrap()))
}

/// The child: every `log` record and tracing field at TRACE, during signed requests with a
/// session token against a loopback server, plus the `Debug` of the driver and the error.
#[maybe_async]
async fn secrets_stay_out_of_logs_child() {
    log::set_logger(&KEPT_LOGS).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let recorder = super::common::recorder::Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();
    let heads = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = heads.clone();
    let server = FakeServer::start_with_head(move |_, head, s| {
        seen.lock().unwrap().push(head.to_owned());
        match head.split(' ').next() {
            Some("PUT") => respond(s, 200, "ETag: \"x\"\r\n", b""),
            _ => respond(s, 403, "", b"<Error><Code>AccessDenied</Code></Error>"),
        }
    });
    let creds = Credentials::new("AKIDLOGCHECK", LOG_SECRET).with_session_token(LOG_TOKEN);
    let cfg = S3Config::builder()
        .endpoint(server.url(""))
        .credentials(creds)
        .verify_etags(false)
        .build()
        .unwrap();
    let transport = TransportConfig::default().retry(multicloud::retry::RetryPolicy::never());
    let s3 = S3::with_transport(cfg, transport).unwrap();
    let put = s3.upload_bytes("b", "k", Bytes::from_static(b"hello"), &UploadOptions::new()).await;
    put.unwrap();
    let e = s3.get_object("b", "k").await.unwrap_err();
    let mut shown = recorder.seen.lock().unwrap().clone();
    let logs = KEPT_LOGS.0.lock().unwrap().clone();
    assert!(!shown.is_empty() && !logs.is_empty(), "nothing captured");
    shown.push(format!("{s3:?} {e:?} {e}"));
    // ureq-proto dumps every byte it writes at TRACE, request heads included: documented
    // (crate docs, README) as the one place secrets can reach a log, and filtered here.
    shown.extend(logs.into_iter().filter(|l| !l.starts_with("ureq_proto")));
    let heads = heads.lock().unwrap().join("\n");
    let signature = heads.split("Signature=").nth(1).expect("signed requests").get(..64);
    assert!(heads.contains(LOG_TOKEN), "the token went on the wire: {heads}");
    for secret in [LOG_SECRET, LOG_TOKEN, signature.unwrap()] {
        for line in &shown {
            assert!(!shows_part_of(line, secret), "part of {secret:?} in {line}");
        }
    }
}

#[maybe_async]
#[mode_test]
async fn no_secret_reaches_logs_or_debug_output_at_trace() {
    if child::role().as_deref() == Some("logs") {
        return secrets_stay_out_of_logs_child().await;
    }
    let me = child::test_path(module_path!(), "no_secret_reaches_logs_or_debug_output_at_trace");
    child::run(&me, "logs", &[]);
}
