// Transport cases. Included once per mode by `tests/transport.rs`, inside a module that
// provides `mc`, `maybe_async` and `mode_test`.

use std::io::Write;
use std::time::Duration;

use mc::http::{HttpClient, Method, Request, TransportConfig};
use multicloud::ErrorKind;
use multicloud::retry::RetryPolicy;

use super::common::fake_http::{FakeServer, hang, respond};

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        total_budget: Duration::from_secs(10),
    }
}

fn client(config: TransportConfig) -> HttpClient {
    HttpClient::new(config.retry(fast_retries())).unwrap()
}

#[maybe_async]
#[mode_test]
async fn transient_errors_are_retried_until_success() {
    let server = FakeServer::start(|n, s| {
        if n < 2 {
            respond(s, 503, "Retry-After: 0\r\n", b"busy");
        } else {
            respond(s, 200, "", b"ok");
        }
    });
    let resp = client(TransportConfig::default())
        .send(&Request::new(Method::Get, server.url("/x")))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(&resp.body[..], b"ok");
    assert_eq!(server.hits(), 3);
}

#[maybe_async]
#[mode_test]
async fn retries_stop_at_max_attempts_and_return_the_last_answer() {
    let server = FakeServer::start(|_, s| respond(s, 500, "", b"broken"));
    let resp = client(TransportConfig::default())
        .send(&Request::new(Method::Put, server.url("/x")).body("data"))
        .await
        .unwrap();
    assert_eq!(resp.status, 500);
    assert_eq!(server.hits(), 4);
}

#[maybe_async]
#[mode_test]
async fn post_is_not_retried_on_server_error_but_is_on_429() {
    let server = FakeServer::start(|_, s| respond(s, 500, "", b""));
    let resp = client(TransportConfig::default())
        .send(&Request::new(Method::Post, server.url("/x")))
        .await
        .unwrap();
    assert_eq!(resp.status, 500);
    assert_eq!(server.hits(), 1);

    let server = FakeServer::start(|n, s| {
        let status = if n == 0 { 429 } else { 201 };
        respond(s, status, "", b"");
    });
    let resp = client(TransportConfig::default())
        .send(&Request::new(Method::Post, server.url("/x")))
        .await
        .unwrap();
    assert_eq!(resp.status, 201);
    assert_eq!(server.hits(), 2);
}

#[maybe_async]
#[mode_test]
async fn client_errors_are_returned_at_once() {
    let server = FakeServer::start(|_, s| respond(s, 404, "x-amz-request-id: R\r\n", b"<Error/>"));
    let resp = client(TransportConfig::default())
        .send(&Request::new(Method::Get, server.url("/missing")))
        .await
        .unwrap();
    assert_eq!(resp.status, 404);
    assert_eq!(resp.header("X-Amz-Request-Id"), Some("R"));
    assert_eq!(server.hits(), 1);
}

#[maybe_async]
#[mode_test]
async fn a_truncated_body_is_an_error_then_retried() {
    let server = FakeServer::start(|n, s| {
        if n == 0 {
            // Promise 100 bytes, send 10, close: a reset mid-body.
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        } else {
            respond(s, 200, "", &[7u8; 100]);
        }
    });
    let resp = client(TransportConfig::default())
        .send(&Request::new(Method::Get, server.url("/x")))
        .await
        .unwrap();
    assert_eq!(resp.body.len(), 100);
    assert_eq!(server.hits(), 2);

    let server = FakeServer::start(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    });
    let e = client(TransportConfig::default())
        .send(&Request::new(Method::Get, server.url("/x")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(server.hits(), 4);
}

#[maybe_async]
#[mode_test]
async fn refused_connections_are_transport_errors_without_secrets() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let url = format!("http://{addr}/b/k?X-Amz-Signature=topsecretsig");
    let e = client(TransportConfig::default())
        .send(&Request::new(Method::Get, url).header("authorization", "topsecretauth"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("/b/k"), "{shown}");
    assert!(!shown.contains("topsecret"), "{shown}");
}

#[maybe_async]
#[mode_test]
async fn a_stalled_transfer_times_out() {
    let server = FakeServer::start(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
        let _ = s.flush();
        hang();
    });
    let config = TransportConfig::default()
        .stall_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_secs(600));
    let client = HttpClient::new(config.retry(RetryPolicy::never())).unwrap();
    let started = std::time::Instant::now();
    let e = client
        .send(&Request::new(Method::Get, server.url("/x")).transfer())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[maybe_async]
#[mode_test]
async fn a_slow_but_moving_transfer_never_times_out_but_a_small_call_does() {
    let trickle = |_: usize, s: &mut std::net::TcpStream| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\n");
        for _ in 0..12 {
            let _ = s.write_all(b"x");
            let _ = s.flush();
            // Shapes the traffic (one byte per 100 ms); nothing waits on it.
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let server = FakeServer::start(trickle);
    let config = TransportConfig::default()
        .stall_timeout(Duration::from_millis(800))
        .request_timeout(Duration::from_millis(500));
    let client = HttpClient::new(config.retry(RetryPolicy::never())).unwrap();
    let resp = client
        .send(&Request::new(Method::Get, server.url("/big")).transfer())
        .await
        .unwrap();
    assert_eq!(&resp.body[..], b"xxxxxxxxxxxx");

    // The same trickle as a small call hits the whole-request timeout.
    let e = client
        .send(&Request::new(Method::Get, server.url("/small")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[maybe_async]
#[mode_test]
async fn spans_name_the_request_but_never_its_secrets() {
    let server = FakeServer::start(|n, s| {
        let status = if n == 0 { 503 } else { 200 };
        respond(s, status, "Retry-After: 0\r\n", b"ok");
    });
    let recorder = super::common::recorder::Recorder::default();
    // A thread-local default: the test's own thread runs the request in both modes.
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let url = server.url("/bucket/key.txt?X-Amz-Signature=topsecretsig&X-Amz-Credential=AKID");
    let resp = client(TransportConfig::default())
        .send(&Request::new(Method::Get, url).header("authorization", "topsecretauth"))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    let seen = recorder.seen.lock().unwrap().join("\n");
    assert!(seen.contains("path=/bucket/key.txt"), "{seen}");
    assert!(seen.contains("method=GET"), "{seen}");
    assert!(seen.contains("attempt=2"), "the retry is visible: {seen}");
    assert!(seen.contains("status=200"), "{seen}");
    assert!(!seen.contains("topsecret"), "{seen}");
}

#[maybe_async]
#[mode_test]
async fn a_handed_in_client_is_used_but_the_library_keeps_redirects_statuses_and_timeouts() {
    let server = FakeServer::start_with_head(|_, head, s| {
        let line = head.lines().next().unwrap_or("");
        let ours = head.to_ascii_lowercase().contains("user-agent: caller-agent/1");
        if !ours {
            respond(s, 400, "", b"not the caller's client");
        } else if line.starts_with("GET /moved ") {
            respond(s, 302, "Location: /elsewhere\r\n", b"");
        } else if line.starts_with("GET /elsewhere ") {
            respond(s, 200, "", b"followed");
        } else if line.starts_with("GET /missing ") {
            respond(s, 404, "", b"no");
        } else if line.starts_with("GET /hang ") {
            hang();
        } else {
            respond(s, 200, "", b"ok");
        }
    });
    let config = TransportConfig::default()
        .retry(RetryPolicy::never())
        .request_timeout(Duration::from_millis(400))
        .stall_timeout(Duration::from_millis(400));
    let http = handed_in(config, "caller-agent/1");
    let ok = http.send(&Request::new(Method::Get, server.url("/x"))).await.unwrap();
    assert_eq!((ok.status, &ok.body[..]), (200, &b"ok"[..]), "the caller's client sent it");
    // A status is an answer, never an error, whatever the caller's client would do.
    let missing = http.send(&Request::new(Method::Get, server.url("/missing"))).await.unwrap();
    assert_eq!(missing.status, 404);
    // A redirect is never followed silently: the 302 comes back (blocking: the library
    // turns ureq's redirects off per request), or the answer from elsewhere is refused
    // (async: reqwest redirects per client).
    let moved = http.send(&Request::new(Method::Get, server.url("/moved"))).await;
    match moved {
        Ok(r) => assert_eq!(r.status, 302, "{:?}", r.body),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Transport, "{e}"),
    }
    // The library's whole-call limit applies to the caller's client.
    let started = std::time::Instant::now();
    let e = http.send(&Request::new(Method::Get, server.url("/hang"))).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A driver sends through it too.
    let cfg = multicloud::storage::s3::S3Config::builder()
        .endpoint(server.url(""))
        .anonymous()
        .build()
        .unwrap();
    let s3 = mc::storage::S3::with_http_client(cfg, http.clone()).unwrap();
    use mc::storage::StorageDriver;
    s3.get_container("bucket").await.unwrap();
}

#[maybe_async]
#[mode_test]
async fn a_private_ca_is_refused_by_default_and_trusted_once_its_root_is_added() {
    use super::common::tls_server::{CA_PEM, TlsServer};
    let server = TlsServer::start();
    let req = Request::new(Method::Get, server.url("/x"));
    let plain = client(TransportConfig::default());
    let e = plain.send(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    let shown = e.to_string().to_ascii_lowercase();
    assert!(shown.contains("certificate"), "the message says why: {e}");
    assert_eq!(server.answered(), 0);

    let trusting = TransportConfig::default().add_root_certificates_pem(CA_PEM).unwrap();
    assert_eq!(trusting.extra_roots.len(), 1);
    let resp = client(trusting).send(&req).await.unwrap();
    assert_eq!((resp.status, &resp.body[..]), (200, &b"secure"[..]));
    assert_eq!(server.answered(), 1);

    // PEM that holds no usable certificate is InvalidInput, when added or when built.
    let e = TransportConfig::default().add_root_certificates_pem(b"nothing").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let junk = b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";
    let config = TransportConfig::default().add_root_certificates_pem(junk).unwrap();
    let e = HttpClient::new(config).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

#[maybe_async]
#[mode_test]
async fn requests_go_through_the_proxy_the_core_chooses() {
    use super::common::proxy_server::ProxyServer;
    use super::common::tls_server::{CA_PEM, TlsServer};
    let proxy = ProxyServer::start();
    let plain = FakeServer::start(|_, s| respond(s, 200, "", b"plain"));
    let secure = TlsServer::start();
    let proxy_url = format!("http://user:s3cret@{}", proxy.addr);
    let through = |no_proxy: &str| {
        let config = TransportConfig::default().add_root_certificates_pem(CA_PEM).unwrap();
        config.proxy(&proxy_url, no_proxy).unwrap()
    };
    let config = through("");
    assert!(!format!("{config:?}").contains("s3cret"), "{config:?}");
    let http = client(config);

    // Plain HTTP goes through the proxy with its credentials: forwarded in absolute form
    // (async: reqwest) or tunnelled with CONNECT (blocking: ureq tunnels everything).
    let resp = http.send(&Request::new(Method::Get, plain.url("/x?q=1"))).await.unwrap();
    assert_eq!((resp.status, &resp.body[..]), (200, &b"plain"[..]));
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let forwarded = format!("GET {} HTTP/1.1", plain.url("/x?q=1"));
    let tunnelled = format!("CONNECT {} HTTP/1.1", plain.addr);
    assert!(seen[0].0 == forwarded || seen[0].0 == tunnelled, "{seen:?}");
    assert_eq!(seen[0].1, "Basic dXNlcjpzM2NyZXQ=", "user:s3cret");
    // HTTPS goes through a CONNECT tunnel (the server's certificate still checked).
    let resp = http.send(&Request::new(Method::Get, secure.url("/y"))).await.unwrap();
    assert_eq!(&resp.body[..], b"secure");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[1].0.starts_with(&format!("CONNECT {} ", secure.addr)), "{seen:?}");

    // NO_PROXY forms and "no proxy" bypass it.
    for config in [through("127.0.0.1"), through(&format!("localhost,{}", plain.addr)), through("*")] {
        let resp = client(config).send(&Request::new(Method::Get, plain.url("/z"))).await.unwrap();
        assert_eq!(&resp.body[..], b"plain");
    }
    let direct = client(through("").without_proxy());
    direct.send(&Request::new(Method::Get, plain.url("/d"))).await.unwrap();
    assert_eq!(proxy.seen().len(), 2, "{:?}", proxy.seen());

    // A proxy that refuses: Transport, without the password.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = TransportConfig::default()
        .proxy(&format!("http://user:s3cret@{closed}"), "")
        .unwrap()
        .retry(RetryPolicy::never());
    let e = HttpClient::new(config).unwrap().send(&Request::new(Method::Get, plain.url("/"))).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!format!("{e} {e:?}").contains("s3cret"), "{e:?}");
}

/// The child of the environment case: one request to a server of its own, through
/// whatever the variables say; `MULTICLOUD_EXPECT=invalid` expects the client to refuse.
#[maybe_async]
async fn env_proxy_child() {
    if std::env::var("MULTICLOUD_EXPECT").as_deref() == Ok("invalid") {
        let e = HttpClient::new(TransportConfig::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("HTTP_PROXY") && !e.to_string().contains("s3cret"), "{e}");
        return;
    }
    let target = FakeServer::start(|_, s| respond(s, 200, "", b"ok"));
    let http = client(TransportConfig::default());
    let resp = http.send(&Request::new(Method::Get, target.url("/env"))).await.unwrap();
    assert_eq!(&resp.body[..], b"ok");
}

#[maybe_async]
#[mode_test]
async fn proxy_variables_are_honoured_the_same_in_both_modes() {
    use super::common::child;
    use super::common::proxy_server::ProxyServer;
    if child::role().as_deref() == Some("env-proxy") {
        return env_proxy_child().await;
    }
    let me = child::test_path(module_path!(), "proxy_variables_are_honoured_the_same_in_both_modes");
    let proxy = ProxyServer::start();
    let url = format!("http://127.0.0.1:{}", proxy.addr.port());
    let var = |k: &'static str, v: &str| (k, std::ffi::OsString::from(v));
    child::run(&me, "env-proxy", &[var("http_proxy", &url)]);
    assert_eq!(proxy.seen().len(), 1, "http_proxy used: {:?}", proxy.seen());
    child::run(&me, "env-proxy", &[var("ALL_PROXY", &url)]);
    assert_eq!(proxy.seen().len(), 2, "ALL_PROXY used: {:?}", proxy.seen());
    for no_proxy in ["127.0.0.1", "127.0.0.0/8", "*"] {
        child::run(&me, "env-proxy", &[var("HTTP_PROXY", &url), var("NO_PROXY", no_proxy)]);
    }
    child::run(&me, "env-proxy", &[var("HTTPS_PROXY", &url)]);
    assert_eq!(proxy.seen().len(), 2, "bypassed: {:?}", proxy.seen());
    let bad = [var("HTTP_PROXY", "http://u:s3cret@"), var("MULTICLOUD_EXPECT", "invalid")];
    child::run(&me, "env-proxy", &bad);
}
