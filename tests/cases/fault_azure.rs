// Fault injection for the Azure driver: a scripted loopback proxy between the driver and
// Azurite breaks chosen exchanges (503 ServerBusy, a connection closed before the answer
// with or without forwarding, a body cut short), then everything is checked on the server
// with a driver that does not go through the proxy. Included by `tests/fault_injection.rs`
// once per mode, after `cases/fault_injection.rs` (whose imports are in scope, so this
// file imports only names of its own).

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use mc::storage::Azure;
use multicloud::storage::azure::AzureConfig;

use super::common::cloud_env::{AZURITE_ACCOUNT, AZURITE_KEY, azurite};

/// What the proxy does to one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AzAction {
    Forward,
    /// Not forwarded: `503 ServerBusy` as Azure sends it.
    Busy,
    /// Not forwarded: the connection is reset before any answer.
    ResetBeforeHead,
    /// Forwarded, then the connection is reset before the answer (it is lost).
    LostAnswer,
    /// Forwarded; the head announces the whole body, half is sent, then the close.
    Truncated,
}

/// The script: `(method, target) -> action`, asked once per request in arrival order.
type AzScript = dyn Fn(&str, &str) -> AzAction + Send + Sync;

/// A scripted proxy: one request per connection (answers say `Connection: close`).
struct AzProxy {
    addr: std::net::SocketAddr,
    seen: Arc<std::sync::Mutex<Vec<(String, AzAction)>>>,
}

impl AzProxy {
    fn start(script: impl Fn(&str, &str) -> AzAction + Send + Sync + 'static) -> Self {
        let upstream = azurite();
        let upstream = upstream.trim_start_matches("http://").split('/').next().unwrap().to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (log, script): (_, Arc<AzScript>) = (seen.clone(), Arc::new(script));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, script, upstream) = (log.clone(), script.clone(), upstream.clone());
                std::thread::spawn(move || az_serve(client, &upstream, &*script, &log));
            }
        });
        AzProxy { addr, seen }
    }

    /// The endpoint to give the driver (the account is the first path segment).
    fn endpoint(&self) -> String {
        format!("http://{}/{AZURITE_ACCOUNT}", self.addr)
    }

    /// How many requests matched `pred`, and how many of those got `action`.
    fn count(&self, pred: impl Fn(&str) -> bool, action: Option<AzAction>) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|(r, a)| pred(r) && action.is_none_or(|x| x == *a)).count()
    }
}

fn az_serve(client: TcpStream, upstream: &str, script: &AzScript, log: &std::sync::Mutex<Vec<(String, AzAction)>>) {
    let _ = client.set_read_timeout(Some(std::time::Duration::from_secs(30)));
    let mut reader = std::io::BufReader::new(client.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request_line = head.lines().next().unwrap_or("").to_owned();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let action = script(method, target);
    log.lock().unwrap().push((format!("{method} {target}"), action));
    let mut client = client;
    match action {
        AzAction::ResetBeforeHead => return super::common::fake_http::reset(&client),
        AzAction::Busy => {
            let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>";
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\nx-ms-error-code: ServerBusy\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
            let _ = client.write_all(answer.as_bytes());
        }
        AzAction::Forward | AzAction::LostAnswer | AzAction::Truncated => {
            let Some(answer) = az_forward(upstream, &head, &body) else { return };
            match action {
                AzAction::Forward => {
                    let _ = client.write_all(&answer);
                }
                AzAction::Truncated => {
                    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(answer.len(), |p| p + 4);
                    let cut = split + (answer.len() - split) / 2;
                    let _ = client.write_all(&answer[..cut]);
                }
                _ => return super::common::fake_http::reset(&client),
            }
        }
    }
    let _ = client.flush();
    let _ = client.shutdown(std::net::Shutdown::Both);
}

/// Sends the request to Azurite on a fresh connection (`Connection: close`) and returns
/// the whole raw answer.
fn az_forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut conn = TcpStream::connect(upstream).ok()?;
    let kept: Vec<&str> = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    let out = format!("{}\r\nConnection: close\r\n\r\n", kept.join("\r\n"));
    conn.write_all(out.as_bytes()).ok()?;
    conn.write_all(body).ok()?;
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// A driver through `proxy`, retrying fast; and one straight to Azurite for checking.
fn az_drivers(proxy: &AzProxy, retry: RetryPolicy) -> (Azure, Azure) {
    let config = |endpoint: String| {
        AzureConfig::builder()
            .endpoint(endpoint)
            .account(AZURITE_ACCOUNT)
            .account_key(AZURITE_KEY)
            .single_put_threshold(1 << 20)
            .block_size(256 << 10)
            .block_concurrency(2)
            .build()
            .unwrap()
    };
    let transport = TransportConfig::default()
        .request_timeout(Duration::from_secs(5))
        .stall_timeout(Duration::from_secs(2))
        .retry(retry);
    let faulty = Azure::with_transport(config(proxy.endpoint()), transport).unwrap();
    (faulty, Azure::new(config(azurite())).unwrap())
}

fn az_fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        total_budget: Duration::from_secs(20),
    }
}

/// A fresh container on Azurite for one test.
#[maybe_async]
async fn az_container(direct: &Azure) -> String {
    let name = format!("{}-fault", s3env::unique_prefix());
    direct.create_container(&name).await.unwrap();
    name
}

/// `n`-th (0-based) request matching `pred` gets `action`; the rest are forwarded.
fn az_nth(pred: impl Fn(&str, &str) -> bool + Send + Sync + 'static, first: usize, action: AzAction) -> impl Fn(&str, &str) -> AzAction + Send + Sync + 'static {
    let seen = std::sync::atomic::AtomicUsize::new(0);
    move |m: &str, t: &str| {
        if !pred(m, t) {
            return AzAction::Forward;
        }
        match seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < first {
            true => action,
            false => AzAction::Forward,
        }
    }
}

#[maybe_async]
#[mode_test]
async fn azure_server_busy_is_retried_and_reported_when_it_persists() {
    let is_put = |m: &str, t: &str| m == "PUT" && t.contains("/busy");
    let proxy = AzProxy::start(az_nth(is_put, 2, AzAction::Busy));
    let (faulty, direct) = az_drivers(&proxy, az_fast_retries());
    let c = az_container(&direct).await;
    let o = faulty.upload_bytes(&c, "busy", Bytes::from_static(b"made it"), &UploadOptions::new()).await.unwrap();
    assert_eq!(o.size, 7);
    assert_eq!(proxy.count(|r| r.starts_with("PUT") && r.contains("/busy"), None), 3, "two 503s, then through");
    let stored = direct.download_bytes(&c, "busy").await.unwrap();
    assert_eq!(stored, "made it");
    // Without retries the 503 is RateLimited, with Azure's code.
    let always = AzProxy::start(|m: &str, _: &str| if m == "GET" { AzAction::Busy } else { AzAction::Forward });
    let (once, _) = az_drivers(&always, RetryPolicy::never());
    let e = once.download_bytes(&c, "busy").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::RateLimited, Some("ServerBusy")), "{e}");
}

#[maybe_async]
#[mode_test]
async fn azure_lost_answers_and_closed_connections_leave_the_right_blobs() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    // Every kind of write loses its first answer (forwarded, then the connection closes)
    // or has its first attempt closed unsent: the retries must make exactly one result.
    let counts: [AtomicUsize; 4] = Default::default();
    let proxy = AzProxy::start(move |m: &str, t: &str| {
        let slot = match (m, t) {
            ("PUT", t) if t.contains("comp=blocklist") => 0,
            ("PUT", t) if t.contains("comp=block&") => 1,
            ("PUT", t) if t.contains("/small") => 2,
            ("DELETE", _) => 3,
            _ => return AzAction::Forward,
        };
        let n = counts[slot].fetch_add(1, SeqCst);
        match (slot, n) {
            (0, 0) | (2, 0) | (3, 0) => AzAction::LostAnswer,
            (1, 1) | (1, 4) => AzAction::ResetBeforeHead,
            _ => AzAction::Forward,
        }
    });
    let (faulty, direct) = az_drivers(&proxy, az_fast_retries());
    let c = az_container(&direct).await;
    let big = super::common::content(11, (1 << 20) + 300_000);
    let create_only = UploadOptions::new().create_only();
    let o = faulty.upload_bytes(&c, "big", Bytes::from(big.clone()), &create_only).await;
    let o = o.expect("a create-only block upload whose commit answer was lost is reported done");
    assert_eq!(o.hash.as_deref(), Some(multicloud::storage::md5_hex(&big).as_str()));
    let small = faulty.upload_bytes(&c, "small", Bytes::from_static(b"tiny"), &create_only).await;
    assert_eq!(small.expect("landed").size, 4);
    assert!(proxy.count(|r| r.contains("comp=block&"), Some(AzAction::ResetBeforeHead)) == 2);
    assert!(proxy.count(|r| r.contains("comp=blocklist"), None) >= 2, "the commit was retried");
    // On the server: exactly the bytes sent, with their MD5.
    let stored = direct.download_bytes(&c, "big").await.unwrap();
    assert_eq!(stored, big);
    let head = direct.get_object(&c, "big").await.unwrap();
    assert_eq!(head.hash, o.hash);
    let tiny = direct.download_bytes(&c, "small").await.unwrap();
    assert_eq!(tiny, "tiny");
    // A delete whose answer is lost is retried and still succeeds.
    faulty.delete_object(&c, "small").await.unwrap();
    let gone = direct.get_object(&c, "small").await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    let names: Vec<String> = direct.list_objects(&c, "").await.unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(names, ["big"]);
}

#[maybe_async]
#[mode_test]
async fn azure_truncated_bodies_are_never_taken_for_data() {
    let is_get = |m: &str, _: &str| m == "GET";
    let proxy = AzProxy::start(az_nth(is_get, usize::MAX, AzAction::Truncated));
    let (faulty, direct) = az_drivers(&proxy, az_fast_retries());
    let c = az_container(&direct).await;
    let data = super::common::content(3, 100_000);
    direct.upload_bytes(&c, "k", Bytes::from(data.clone()), &UploadOptions::new()).await.unwrap();
    let e = faulty.download_bytes(&c, "k").await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport | ErrorKind::Integrity), "{e}");
    let e = faulty.download_range(&c, "k", 10..60_000).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport | ErrorKind::Integrity), "{e}");
    // A listing cut short is an error, never a shorter list.
    let listed = faulty.list_objects(&c, "").await;
    assert!(listed.is_err(), "{listed:?}");
    // The server still holds the object whole.
    let stored = direct.download_bytes(&c, "k").await.unwrap();
    assert_eq!(stored, data);
}
