// Credentials provider cases. Included once per mode by `tests/aws_credentials.rs`, inside
// a module that provides `mc`, `maybe_async` and `mode_test`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use mc::aws::CredentialsProvider;
use mc::storage::{S3, StorageDriver};
use multicloud::aws::{Container, Source};
use multicloud::storage::s3::S3Config;
use multicloud::ErrorKind;

use super::common::fake_http::{FakeServer, respond};
use super::common::s3env;

/// A fake environment holding `pairs` and nothing else.
fn env(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let map: HashMap<String, OsString> =
        pairs.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
    move |name| map.get(name).cloned()
}

/// Shared files in a temporary directory, and the variables pointing at them.
fn shared_files(creds: &str, config: &str) -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let (c, k) = (dir.path().join("credentials"), dir.path().join("config"));
    std::fs::write(&c, creds).unwrap();
    std::fs::write(&k, config).unwrap();
    let vars = vec![
        ("AWS_SHARED_CREDENTIALS_FILE", c.display().to_string()),
        ("AWS_CONFIG_FILE", k.display().to_string()),
    ];
    (dir, vars)
}

/// An S3 round trip (create, upload, read back) with the driver the variables configure.
#[maybe_async]
async fn s3_round_trip(vars: &[(&str, String)], hidden: &str) {
    let cfg = S3Config::builder().from_env_with(env(vars)).unwrap().build().unwrap();
    assert!(cfg.credentials.is_none(), "temporary credentials come from the provider");
    assert!(cfg.credential_source.is_some());
    let s3 = S3::new(cfg).unwrap();
    let b = s3env::unique_prefix();
    s3.create_container(&b).await.unwrap();
    let data = Bytes::from_static(b"signed with temporary credentials");
    let put = s3.upload_bytes(&b, "k", data.clone(), &Default::default()).await;
    put.unwrap();
    let back = s3.download_bytes(&b, "k").await.unwrap();
    assert_eq!(back, data);
    let shown = format!("{s3:?} {:?}", s3.config());
    assert!(!shown.contains(hidden), "{shown}");
}

#[maybe_async]
#[mode_test]
async fn moto_assume_role_through_a_profile_then_s3_works() {
    let (_dir, mut vars) = shared_files(
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/test\nsource_profile = base\n",
    );
    vars.push(("AWS_PROFILE", "role".into()));
    vars.push(("AWS_ENDPOINT_URL", s3env::moto()));
    let p = CredentialsProvider::from_env_with(env(&vars), &Default::default()).unwrap();
    assert!(matches!(p.source(), Source::AssumeRole(_)), "{:?}", p.source());
    let c = p.credentials().await.unwrap();
    assert!(c.key_id.starts_with("ASIA"), "{}", c.key_id);
    assert!(c.session_token.is_some());
    s3_round_trip(&vars, "base-secret").await;
}

#[maybe_async]
#[mode_test]
async fn moto_web_identity_through_a_token_file_then_s3_works() {
    let (dir, mut vars) = shared_files("", "");
    let token = dir.path().join("token");
    std::fs::write(&token, "eyJ.web-identity-token.sig\n").unwrap();
    vars.push(("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()));
    vars.push(("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web".into()));
    vars.push(("AWS_ROLE_SESSION_NAME", "ci".into()));
    vars.push(("AWS_ENDPOINT_URL", s3env::moto()));
    let p = CredentialsProvider::from_env_with(env(&vars), &Default::default()).unwrap();
    assert!(matches!(p.source(), Source::WebIdentity(_)));
    let c = p.credentials().await.unwrap();
    assert!(c.key_id.starts_with("ASIA"), "{}", c.key_id);
    s3_round_trip(&vars, "web-identity-token").await;
    // A missing token file is a configuration error naming it, not a panic.
    std::fs::remove_file(&token).unwrap();
    let p = CredentialsProvider::from_env_with(env(&vars), &Default::default()).unwrap();
    let e = p.credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("token"), "{e}");
}

/// `2030-01-01T00:00:00Z` plus `secs`.
fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000 + secs)
}

/// A fake IMDS: the token PUT must carry the TTL header, every GET the token (401
/// otherwise); it counts the credential fetches, expires them an hour after the clock's
/// start, and answers 500 to fetches numbered in `fail_from..`.
struct FakeImds {
    server: FakeServer,
    fetches: Arc<AtomicUsize>,
}

const IMDS_SECRET: &str = "imds-very-secret-key";

fn fake_imds(fail_from: usize, hold_until: usize) -> FakeImds {
    let fetches = Arc::new(AtomicUsize::new(0));
    let seen = fetches.clone();
    let server = FakeServer::start_with_head(move |_, head, s| {
        let lower = head.to_ascii_lowercase();
        let line = head.lines().next().unwrap_or("").to_owned();
        if line.starts_with("PUT /latest/api/token ") {
            match lower.contains("x-aws-ec2-metadata-token-ttl-seconds: 21600") {
                true => respond(s, 200, "", b"imds-session-token"),
                false => respond(s, 400, "", b""),
            }
            return;
        }
        if !lower.contains("x-aws-ec2-metadata-token: imds-session-token") {
            return respond(s, 401, "", b"");
        }
        if line.starts_with("GET /latest/meta-data/iam/security-credentials/ ") {
            return respond(s, 200, "", b"test-role");
        }
        if !line.starts_with("GET /latest/meta-data/iam/security-credentials/test-role ") {
            return respond(s, 404, "", b"");
        }
        let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
        // Hold the first answer until `hold_until` fetches arrived (bounded): concurrent
        // fetches, if the provider let them happen, would all be counted.
        let deadline = std::time::Instant::now() + Duration::from_millis(500);
        while seen.load(Ordering::SeqCst) < hold_until && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        if n >= fail_from {
            return respond(s, 500, "", b"");
        }
        let body = format!(
            r#"{{"Code":"Success","LastUpdated":"2030-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS{n}","SecretAccessKey":"{IMDS_SECRET}","Token":"imds-very-secret-token","Expiration":"2030-01-01T01:00:00Z"}}"#
        );
        respond(s, 200, "", body.as_bytes())
    });
    FakeImds { server, fetches }
}

fn imds_provider(imds: &FakeImds) -> (CredentialsProvider, Arc<AtomicU64>) {
    let source = Source::InstanceMetadata {
        endpoint: imds.server.url(""),
        allow_v1: false,
    };
    let clock = Arc::new(AtomicU64::new(0));
    let c = clock.clone();
    // No transport retries, so the fake counts one fetch per refresh.
    let transport = mc::http::TransportConfig::default().retry(multicloud::retry::RetryPolicy::never());
    let p = CredentialsProvider::with_transport(source, transport)
        .unwrap()
        .with_clock(Arc::new(move || at(c.load(Ordering::SeqCst))));
    (p, clock)
}

#[maybe_async]
#[mode_test]
async fn imds_v2_token_role_and_credentials() {
    let imds = fake_imds(usize::MAX, 0);
    let (p, _) = imds_provider(&imds);
    let c = p.credentials().await.unwrap();
    assert_eq!(c.key_id, "ASIAIMDS1");
    assert_eq!(c.secret.expose(), IMDS_SECRET);
    assert_eq!(c.session_token.as_ref().unwrap().expose(), "imds-very-secret-token");
    // Token PUT, role listing, credentials.
    assert_eq!(imds.server.hits(), 3);
    // Chosen by the chain only when opted in or hinted at.
    let hint = [("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url(""))];
    let chained = CredentialsProvider::from_env_with(env(&hint), &Default::default()).unwrap();
    let c = chained.credentials().await.unwrap();
    assert_eq!(c.key_id, "ASIAIMDS2");
}

#[maybe_async]
#[mode_test]
async fn cached_credentials_refresh_five_minutes_early_and_survive_a_failed_refresh() {
    // Fetch 1 succeeds, fetch 2 (the early refresh) fails, fetch 3 too.
    let imds = fake_imds(2, 0);
    let (p, clock) = imds_provider(&imds);
    let first = p.credentials().await.unwrap();
    assert_eq!(first.key_id, "ASIAIMDS1");
    clock.store(30 * 60, Ordering::SeqCst);
    let cached = p.credentials().await.unwrap();
    assert_eq!((cached.key_id.as_str(), imds.fetches.load(Ordering::SeqCst)), ("ASIAIMDS1", 1));
    // 4 minutes before expiry: a refresh is due; it fails, the old ones are still valid.
    clock.store(56 * 60, Ordering::SeqCst);
    let kept = p.credentials().await.unwrap();
    assert_eq!((kept.key_id.as_str(), imds.fetches.load(Ordering::SeqCst)), ("ASIAIMDS1", 2));
    // Expired: the failed refresh is the caller's error.
    clock.store(60 * 60, Ordering::SeqCst);
    let e = p.credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
    assert_eq!(imds.fetches.load(Ordering::SeqCst), 3);
    assert!(!format!("{e} {e:?}").contains("very-secret"), "{e}");
}

#[maybe_async]
#[mode_test]
async fn an_early_refresh_that_succeeds_replaces_the_credentials() {
    let imds = fake_imds(usize::MAX, 0);
    let (p, clock) = imds_provider(&imds);
    let first = p.credentials().await.unwrap();
    assert_eq!(first.key_id, "ASIAIMDS1");
    clock.store(55 * 60, Ordering::SeqCst);
    let second = p.credentials().await.unwrap();
    assert_eq!(second.key_id, "ASIAIMDS2");
}

#[maybe_async]
#[mode_test]
async fn many_concurrent_callers_share_one_fetch() {
    const CALLERS: usize = 8;
    let imds = fake_imds(usize::MAX, CALLERS);
    let (p, _) = imds_provider(&imds);
    let p = &p;
    let results = mc::run_bounded((0..CALLERS).collect(), CALLERS, |_| async move {
        p.credentials().await.map(|c| c.key_id.clone())
    })
    .await;
    assert_eq!(results.len(), CALLERS);
    for r in results {
        assert_eq!(r.unwrap(), "ASIAIMDS1");
    }
    assert_eq!(imds.fetches.load(Ordering::SeqCst), 1);
}

#[maybe_async]
#[mode_test]
async fn container_credentials_send_the_authorization_token() {
    let server = FakeServer::start_with_head(|_, head, s| {
        if !head.to_ascii_lowercase().contains("authorization: ecs-very-secret-auth") {
            return respond(s, 401, "", b"");
        }
        let body = br#"{"AccessKeyId":"ASIAECS","SecretAccessKey":"ecs-very-secret-key","Token":"ecs-very-secret-tok","Expiration":"2099-01-01T00:00:00Z","RoleArn":"arn:r"}"#;
        respond(s, 200, "", body)
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth");
    std::fs::write(&file, "ecs-very-secret-auth\n").unwrap();
    let vars = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url("/v2/credentials")),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file.display().to_string()),
    ];
    let p = CredentialsProvider::from_env_with(env(&vars), &Default::default()).unwrap();
    let c = p.credentials().await.unwrap();
    assert_eq!(c.key_id, "ASIAECS");
    let wrong = Source::Container(Container {
        url: server.url("/v2/credentials"),
        token: Some("not-it".into()),
        token_file: None,
    });
    let e = CredentialsProvider::new(wrong).unwrap().credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    let shown = format!("{e} {e:?} {p:?} {c:?} {c}");
    assert!(!shown.contains("very-secret"), "{shown}");
}

#[maybe_async]
#[mode_test]
async fn credential_process_output_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("creds.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"proc-very-secret\", \"SessionToken\": \"proc-very-secret-tok\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
    )
    .unwrap();
    let config = format!(
        "[default]\ncredential_process = sh {}\n[profile broken]\ncredential_process = sh -c 'exit 3'\n",
        script.display()
    );
    let (_files, mut vars) = shared_files("", &config);
    let p = CredentialsProvider::from_env_with(env(&vars), &Default::default()).unwrap();
    let c = p.credentials().await.unwrap();
    assert_eq!((c.key_id.as_str(), c.secret.expose()), ("AKPROC", "proc-very-secret"));
    vars.push(("AWS_PROFILE", "broken".into()));
    let p = CredentialsProvider::from_env_with(env(&vars), &Default::default()).unwrap();
    let e = p.credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.to_string().contains("\"broken\""), "{e}");
}

#[test]
fn nothing_configured_fails_fast_without_asking_instance_metadata() {
    let (_dir, vars) = shared_files("", "");
    let started = std::time::Instant::now();
    let e = S3Config::builder().from_env_with(env(&vars)).unwrap().build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("no S3 credentials"), "{e}");
    let e = CredentialsProvider::from_env_with(env(&vars), &Default::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(started.elapsed() < Duration::from_secs(1));
    let opted = S3Config::builder().instance_metadata(true).build().unwrap();
    assert!(matches!(opted.credential_source, Some(Source::InstanceMetadata { .. })));
}

/// `credential_process` output with the s3s key and `secret`, expiring at `at(3600)`.
fn s3s_process_output(secret: &str) -> String {
    format!(
        r#"{{"Version":1,"AccessKeyId":"{}","SecretAccessKey":"{secret}","SessionToken":"t","Expiration":"2030-01-01T01:00:00Z"}}"#,
        s3env::S3S_KEY
    )
}

/// s3s verifies signatures: S3 must sign with what the provider holds now. The same key id
/// with a new secret after a refresh must sign with the new secret (the derived signing key
/// is cached per secret, not per key id and day).
#[maybe_async]
#[mode_test]
async fn s3_signs_with_the_refreshed_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("creds.json");
    std::fs::write(&out, s3s_process_output("not-the-secret")).unwrap();
    let source = Source::Process {
        command: format!("cat {}", out.display()),
        profile: "test".into(),
        timeout: multicloud::aws::PROCESS_TIMEOUT,
    };
    let clock = Arc::new(AtomicU64::new(0));
    let c = clock.clone();
    let provider = CredentialsProvider::new(source)
        .unwrap()
        .with_clock(Arc::new(move || at(c.load(Ordering::SeqCst))));
    let cfg = S3Config::builder().endpoint(s3env::s3s()).anonymous().build().unwrap();
    let transport = mc::http::TransportConfig::default();
    let s3 = S3::with_credentials_provider(cfg, transport, provider).unwrap();
    let e = s3.list_containers().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    std::fs::write(&out, s3s_process_output(s3env::S3S_SECRET)).unwrap();
    // Still fresh: the cached (wrong) secret is kept, no refresh.
    clock.store(30 * 60, Ordering::SeqCst);
    let e = s3.list_containers().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    // Due for refresh: the new secret signs.
    clock.store(56 * 60, Ordering::SeqCst);
    let listed = s3.list_containers().await;
    listed.unwrap();
    let shown = format!("{s3:?}");
    assert!(!shown.contains(s3env::S3S_SECRET), "{shown}");
}

/// A metadata service that refuses tokens (IMDSv1 only): refused unless v1 is enabled, and
/// then asked without a token.
#[maybe_async]
#[mode_test]
async fn imds_v1_only_when_enabled() {
    let server = FakeServer::start_with_head(|_, head, s| {
        let line = head.lines().next().unwrap_or("");
        if line.starts_with("PUT ") || head.to_ascii_lowercase().contains("metadata-token:") {
            return respond(s, 403, "", b"");
        }
        if line.starts_with("GET /latest/meta-data/iam/security-credentials/ ") {
            return respond(s, 200, "", b"v1-role\n");
        }
        let body = br#"{"Code":"Success","AccessKeyId":"ASIAV1","SecretAccessKey":"v1-very-secret","Token":"t","Expiration":"2099-01-01T00:00:00Z"}"#;
        respond(s, 200, "", body)
    });
    let source = |allow_v1| Source::InstanceMetadata {
        endpoint: server.url(""),
        allow_v1,
    };
    let e = CredentialsProvider::new(source(false)).unwrap().credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.to_string().contains("IMDSv1"), "{e}");
    assert_eq!(server.hits(), 1, "nothing asked without a token");
    let c = CredentialsProvider::new(source(true)).unwrap().credentials().await.unwrap();
    assert_eq!(c.key_id, "ASIAV1");
}

#[test]
fn the_provider_is_send_sync_and_clone_sharing_its_cache() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<CredentialsProvider>();
    let p = CredentialsProvider::fixed(multicloud::Credentials::new("AKFIXED", "fixed-very-secret")).unwrap();
    let q = p.clone();
    assert!(matches!(q.source(), Source::Static(c) if c.key_id == "AKFIXED"));
    let shown = format!("{p:?}");
    assert!(shown.contains("AKFIXED") && !shown.contains("very-secret"), "{shown}");
}

#[maybe_async]
#[mode_test]
async fn a_credential_process_that_hangs_is_killed_after_its_timeout() {
    let source = Source::Process {
        command: "sleep 30".into(),
        profile: "slow".into(),
        timeout: Duration::from_millis(200),
    };
    let started = std::time::Instant::now();
    let e = CredentialsProvider::new(source).unwrap().credentials().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("\"slow\""), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}
