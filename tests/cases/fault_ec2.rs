// Faults the EC2 driver must survive or report, against an in-process server that answers
// as EC2 does (`<{Action}Response>` documents, `<Response><Errors>` error bodies with a
// `<RequestID>`) and misbehaves on request: throttling under either status, resets, bodies
// cut short, foreign roots, stalls, endless answers, repeating page tokens. Every error is
// checked for the credentials' secrets. Included once per mode by
// `tests/fault_injection.rs`, after the other fault cases (whose imports are in scope, so
// this file imports only names of its own).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use mc::compute::{ComputeDriver, CreateNode, Ec2};
use multicloud::compute::ec2::Ec2Config;

use super::common::fake_http::{FakeServer, hang, reset as ec2_reset, respond};

const EC2_SECRET: &str = "EC2-SECRET-KEY-NEVER-SHOWN";
const EC2_TOKEN: &str = "EC2-SESSION-TOKEN-NEVER-SHOWN";
const EC2_NODE: &str = "i-0123456789abcdef0";
const EC2_REQUEST_ID: &str = "59dbff89-35bd-4eac-99ed-be587EXAMPLE";

/// An in-process EC2 endpoint. `answer(k, action, stream)` answers the `k`-th request
/// (0-based) of that action; every form body is kept, in arrival order.
struct Ec2Fake {
    server: FakeServer,
    forms: Arc<Mutex<Vec<String>>>,
}

type Ec2Answer = dyn Fn(usize, &str, &mut TcpStream) + Send + Sync;

impl Ec2Fake {
    fn start(answer: impl Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let forms = Arc::new(Mutex::new(Vec::<String>::new()));
        let (log, answer): (_, Box<Ec2Answer>) = (forms.clone(), Box::new(answer));
        let server = FakeServer::start_with_body(move |_, _, body, stream| {
            let form = String::from_utf8_lossy(body).into_owned();
            let action = ec2_param(&form, "Action").unwrap_or_default();
            let k = {
                let mut forms = log.lock().unwrap();
                forms.push(form);
                forms
                    .iter()
                    .filter(|f| ec2_param(f, "Action").as_deref() == Some(&action))
                    .count()
                    - 1
            };
            answer(k, &action, stream);
        });
        Ec2Fake { server, forms }
    }

    /// The forms received of `action`.
    fn forms_of(&self, action: &str) -> Vec<String> {
        let forms = self.forms.lock().unwrap();
        forms
            .iter()
            .filter(|f| ec2_param(f, "Action").as_deref() == Some(action))
            .cloned()
            .collect()
    }

    fn hits(&self) -> usize {
        self.server.hits()
    }

    /// A driver for this endpoint, with credentials whose secrets no error may show.
    fn driver(&self, transport: TransportConfig) -> Ec2 {
        let credentials =
            Credentials::new("AKIDFAULTEC2", EC2_SECRET).with_session_token(EC2_TOKEN);
        let config = Ec2Config::builder()
            .region("eu-west-1")
            .endpoint(format!("http://{}", self.server.addr))
            .credentials(credentials)
            .build()
            .unwrap();
        Ec2::with_transport(config, transport).unwrap()
    }
}

/// The decoded value of `name` in a form body.
fn ec2_param(form: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(form.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Short limits; `attempts` in all, retried fast.
fn ec2_transport(attempts: u32) -> TransportConfig {
    let retry = RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        total_budget: Duration::from_secs(10),
    };
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(2))
        .stall_timeout(Duration::from_secs(1))
        .retry(retry)
}

/// The error, after checking that it shows neither secret.
fn ec2_err<T: std::fmt::Debug>(r: multicloud::Result<T>) -> Error {
    let e = r.unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains(EC2_SECRET) && !shown.contains(EC2_TOKEN),
        "a secret shows: {shown}"
    );
    e
}

fn ec2_send(stream: &mut TcpStream, status: u16, body: &str) {
    respond(
        stream,
        status,
        "Content-Type: text/xml;charset=UTF-8\r\n",
        body.as_bytes(),
    );
}

/// An EC2 error body, as EC2 sends it.
fn ec2_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
         <Message>{message}</Message></Error></Errors><RequestID>{EC2_REQUEST_ID}</RequestID></Response>"
    )
}

fn ec2_throttled() -> String {
    ec2_error("RequestLimitExceeded", "Request limit exceeded.")
}

/// A successful `action` answer around `inner`.
fn ec2_doc(action: &str, inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response \
         xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{EC2_REQUEST_ID}</requestId>\
         {inner}</{action}Response>"
    )
}

fn ec2_instance(id: &str) -> String {
    format!(
        "<item><instanceId>{id}</instanceId><imageId>ami-12c6146b</imageId>\
         <instanceState><code>16</code><name>running</name></instanceState>\
         <instanceType>t2.micro</instanceType><privateIpAddress>10.0.0.7</privateIpAddress>\
         <tagSet><item><key>Name</key><value>web</value></item></tagSet></item>"
    )
}

/// A DescribeInstances page holding `ids`, and `token` for the next.
fn ec2_instances(ids: &[&str], token: Option<&str>) -> String {
    let items: String = ids.iter().copied().map(ec2_instance).collect();
    let next = token
        .map(|t| format!("<nextToken>{t}</nextToken>"))
        .unwrap_or_default();
    let reservation = format!(
        "<item><reservationId>r-1</reservationId><ownerId>123456789012</ownerId>\
         <instancesSet>{items}</instancesSet></item>"
    );
    ec2_doc(
        "DescribeInstances",
        &format!("<reservationSet>{reservation}</reservationSet>{next}"),
    )
}

fn ec2_run_answer() -> String {
    let inner = format!(
        "<reservationId>r-1</reservationId><ownerId>123456789012</ownerId>\
         <instancesSet>{}</instancesSet>",
        ec2_instance(EC2_NODE)
    );
    ec2_doc("RunInstances", &inner)
}

fn ec2_key_answer(name: &str) -> String {
    let inner = format!(
        "<keyPairId>key-0123456789abcdef0</keyPairId><keyName>{name}</keyName>\
         <keyFingerprint>1f:51:ae</keyFingerprint><keyMaterial>-----BEGIN RSA PRIVATE KEY-----\
         </keyMaterial>"
    );
    ec2_doc("CreateKeyPair", &inner)
}

/// `RequestLimitExceeded` is throttling whatever status carries it (AWS sends 503, many
/// proxies and older endpoints 400): retried with backoff, even for a call that is not
/// idempotent (nothing was done), and `RateLimited` once the attempts are spent.
#[maybe_async]
#[mode_test]
async fn ec2_fault_throttling_is_retried_under_either_status_then_rate_limited() {
    let fake = Ec2Fake::start(|k, action, s| match (action, k) {
        (_, 0) => ec2_send(s, 503, &ec2_throttled()),
        (_, 1) => ec2_send(s, 400, &ec2_throttled()),
        ("CreateKeyPair", _) => ec2_send(s, 200, &ec2_key_answer("deploy")),
        _ => ec2_send(s, 200, &ec2_instances(&[EC2_NODE], None)),
    });
    let d = fake.driver(ec2_transport(4));
    let nodes = d.list_nodes().await.unwrap();
    assert_eq!(
        nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        [EC2_NODE]
    );
    assert_eq!(
        fake.forms_of("DescribeInstances").len(),
        3,
        "two throttled, then through"
    );
    let key = d.create_key_pair("deploy").await.unwrap();
    assert_eq!(key.name, "deploy");
    assert_eq!(
        fake.forms_of("CreateKeyPair").len(),
        3,
        "a throttled create did nothing: retried"
    );

    let always =
        Ec2Fake::start(|k, _, s| ec2_send(s, if k % 2 == 0 { 400 } else { 503 }, &ec2_throttled()));
    let d = always.driver(ec2_transport(4));
    let e = ec2_err(d.get_node(EC2_NODE).await);
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::RateLimited, Some("RequestLimitExceeded")),
        "{e}"
    );
    assert_eq!(e.request_id(), Some(EC2_REQUEST_ID));
    assert_eq!(
        always.hits(),
        4,
        "every attempt the policy allows, and no more"
    );
    let e = ec2_err(d.create_key_pair("deploy").await);
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert_eq!(always.hits(), 8);
}

/// A reset before the answer: DescribeInstances is retried; RunInstances is retried with
/// the same ClientToken (EC2 answers the repeat with the instance the first launched);
/// CreateKeyPair is not retried (a repeat could not return the private key made by the
/// first): one attempt, a `Transport` error.
#[maybe_async]
#[mode_test]
async fn ec2_fault_resets_retry_idempotent_calls_with_the_same_client_token() {
    let fake = Ec2Fake::start(|k, action, s| match (action, k) {
        (_, 0) | ("CreateKeyPair", _) => ec2_reset(s),
        ("RunInstances", _) => ec2_send(s, 200, &ec2_run_answer()),
        _ => ec2_send(s, 200, &ec2_instances(&[EC2_NODE], None)),
    });
    let d = fake.driver(ec2_transport(4));
    let node = d.get_node(EC2_NODE).await.unwrap();
    assert_eq!((node.id.as_str(), node.name.as_str()), (EC2_NODE, "web"));
    assert_eq!(fake.forms_of("DescribeInstances").len(), 2);

    let created = d
        .create_node(&CreateNode::new("web", "t2.micro", "ami-12c6146b"))
        .await
        .unwrap();
    assert_eq!(created.id, EC2_NODE);
    let again = d
        .create_node(&CreateNode::new("web", "t2.micro", "ami-12c6146b"))
        .await
        .unwrap();
    assert_eq!(again.id, EC2_NODE);
    let tokens: Vec<String> = fake
        .forms_of("RunInstances")
        .iter()
        .map(|f| ec2_param(f, "ClientToken").expect("every RunInstances has a ClientToken"))
        .collect();
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    assert_eq!(tokens[0], tokens[1], "the retry is the same call");
    assert_ne!(tokens[1], tokens[2], "another node is another call");
    assert!(
        tokens.iter().all(|t| !t.is_empty() && t.len() <= 64),
        "{tokens:?}"
    );

    let e = ec2_err(d.create_key_pair("deploy").await);
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(fake.forms_of("CreateKeyPair").len(), 1, "never repeated");
}

/// An answer cut short is never taken for data: a body shorter than its `Content-Length`
/// is `Transport` (idempotent calls retried first, CreateKeyPair not), a complete body
/// whose XML stops part way is `Parse` wherever it stops. Never `Ok`, never a panic.
#[maybe_async]
#[mode_test]
async fn ec2_fault_truncated_xml_is_a_typed_error() {
    let short = |s: &mut TcpStream, doc: &str| {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            doc.len()
        );
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(&doc.as_bytes()[..doc.len() / 2]);
        let _ = s.flush();
        let _ = s.shutdown(std::net::Shutdown::Write);
    };
    let fake = Ec2Fake::start(move |_, action, s| match action {
        "CreateKeyPair" => short(s, &ec2_key_answer("deploy")),
        _ => short(s, &ec2_instances(&[EC2_NODE], None)),
    });
    let d = fake.driver(ec2_transport(3));
    let e = ec2_err(d.list_nodes().await);
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(
        fake.forms_of("DescribeInstances").len(),
        3,
        "retried, then reported"
    );
    let e = ec2_err(d.create_key_pair("deploy").await);
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(fake.forms_of("CreateKeyPair").len(), 1);

    // Complete bodies (right Content-Length) that stop part way through the document.
    let doc = ec2_instances(&[EC2_NODE, "i-0fedcba9876543210"], Some("next"));
    let cuts: Vec<usize> = (0..doc.len()).step_by(23).chain([doc.len() - 1]).collect();
    let served = doc.clone();
    let cut_at = Arc::new(AtomicUsize::new(0));
    let at = cut_at.clone();
    let fake = Ec2Fake::start(move |_, _, s| {
        let cut = at.load(AtomicOrdering::SeqCst);
        ec2_send(s, 200, &served[..cut]);
    });
    let d = fake.driver(ec2_transport(1));
    for cut in cuts {
        cut_at.store(cut, AtomicOrdering::SeqCst);
        let e = ec2_err(d.list_nodes_page(None, 5).await);
        assert_eq!(e.kind(), ErrorKind::Parse, "cut at {cut}: {e}");
    }
    cut_at.store(doc.len(), AtomicOrdering::SeqCst);
    let whole = d.list_nodes_page(None, 5).await.unwrap();
    assert_eq!(
        (whole.items.len(), whole.next_token.as_deref()),
        (2, Some("next"))
    );
}

/// Answers that are not the call's: another action's root, an HTML page, an error
/// document under 200, and EC2's own error codes: each a typed error naming its code
/// and request id; an unknown code with a 5xx is `Provider` and retried.
#[maybe_async]
#[mode_test]
async fn ec2_fault_foreign_answers_and_error_codes_are_typed() {
    let answer: Arc<Mutex<(u16, String)>> = Arc::new(Mutex::new((200, String::new())));
    let current = answer.clone();
    let fake = Ec2Fake::start(move |_, _, s| {
        let (status, body) = current.lock().unwrap().clone();
        ec2_send(s, status, &body);
    });
    let d = fake.driver(ec2_transport(3));
    let html = "<!DOCTYPE html><html><body><h1>Gateway</h1></body></html>".to_owned();
    let cases: [(u16, String, ErrorKind, Option<&str>, usize); 9] = [
        (200, ec2_run_answer(), ErrorKind::Parse, None, 1),
        (200, html.clone(), ErrorKind::Parse, None, 1),
        (200, String::new(), ErrorKind::Parse, None, 1),
        (
            200,
            ec2_error("UnauthorizedOperation", "You are not authorized."),
            ErrorKind::PermissionDenied,
            Some("UnauthorizedOperation"),
            1,
        ),
        (
            401,
            ec2_error(
                "AuthFailure",
                "AWS was not able to validate the provided access credentials",
            ),
            ErrorKind::Unauthorized,
            Some("AuthFailure"),
            1,
        ),
        (
            403,
            ec2_error("UnauthorizedOperation", "You are not authorized."),
            ErrorKind::PermissionDenied,
            Some("UnauthorizedOperation"),
            1,
        ),
        (
            400,
            ec2_error(
                "InvalidInstanceID.NotFound",
                "The instance ID does not exist",
            ),
            ErrorKind::NotFound,
            Some("InvalidInstanceID.NotFound"),
            1,
        ),
        (
            500,
            ec2_error("SomethingNobodyDocumented", "Boom."),
            ErrorKind::Provider,
            Some("SomethingNobodyDocumented"),
            3,
        ),
        (502, html, ErrorKind::Provider, None, 3),
    ];
    for (status, body, kind, code, attempts) in cases {
        *answer.lock().unwrap() = (status, body.clone());
        let before = fake.hits();
        let e = ec2_err(d.get_node(EC2_NODE).await);
        let what = format!("{status} {body:.60}: {e}");
        assert_eq!((e.kind(), e.code()), (kind, code), "{what}");
        assert_eq!(fake.hits() - before, attempts, "attempts for {what}");
        if code.is_some() {
            assert_eq!(e.request_id(), Some(EC2_REQUEST_ID), "{what}");
            assert_eq!(e.status(), Some(status), "{what}");
        }
        assert!(
            !e.to_string().contains("Gateway"),
            "the body is not quoted: {e}"
        );
    }
}

/// A server that takes the request and never answers: `Timeout` once the whole-call
/// limit passes, each attempt bounded by it.
#[maybe_async]
#[mode_test]
async fn ec2_fault_a_stall_times_out_within_the_limit() {
    let fake = Ec2Fake::start(|_, _, _| hang());
    let limit = Duration::from_millis(400);
    let d = fake.driver(ec2_transport(2).request_timeout(limit).stall_timeout(limit));
    let started = Instant::now();
    let e = ec2_err(d.get_node(EC2_NODE).await);
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(fake.hits(), 2, "an idempotent call is tried again");
    assert!(
        took >= limit && took < Duration::from_secs(3),
        "took {took:?}"
    );
}

/// An answer far larger than `max_response_body` (announced, or endless without a
/// length) is refused as `Provider`, not retried, and the driver reads no more than the
/// cap: the server cannot push more than the cap and the socket buffers.
#[maybe_async]
#[mode_test]
async fn ec2_fault_an_oversized_answer_is_refused_with_bounded_memory() {
    const CAP: usize = 64 << 10;
    let written = Arc::new(AtomicUsize::new(0));
    let count = written.clone();
    let fake = Ec2Fake::start(move |k, _, s| {
        let length = match k {
            0 => "Content-Length: 1073741824\r\n",
            _ => "",
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n{length}Connection: close\r\n\r\n"
        );
        let mut sent = s
            .write_all(head.as_bytes())
            .and_then(|()| s.write_all(b"<DescribeInstancesResponse>"));
        let spaces = vec![b' '; 64 << 10];
        while sent.is_ok() && count.load(AtomicOrdering::SeqCst) < 1 << 30 {
            sent = s.write_all(&spaces);
            count.fetch_add(spaces.len(), AtomicOrdering::SeqCst);
        }
    });
    let d = fake.driver(ec2_transport(3).max_response_body(CAP));
    for attempt in 1..=2 {
        let started = Instant::now();
        let e = ec2_err(d.list_nodes().await);
        assert_eq!(e.kind(), ErrorKind::Provider, "{e}");
        assert!(e.to_string().contains("max_response_body"), "{e}");
        assert_eq!(fake.hits(), attempt, "never retried");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    let pushed = written.load(AtomicOrdering::SeqCst);
    assert!(
        pushed < 64 << 20,
        "the server pushed {pushed} bytes into the driver"
    );
}

/// A listing whose `nextToken` comes back again ends with the pager's `Parse`, never
/// loops; so does one that serves empty pages with fresh tokens forever.
#[maybe_async]
#[mode_test]
async fn ec2_fault_a_repeating_next_token_ends_the_listing() {
    let fake = Ec2Fake::start(|k, action, s| match action {
        "DescribeVolumes" => {
            let inner = format!("<volumeSet/><nextToken>empty-{k}</nextToken>");
            ec2_send(s, 200, &ec2_doc("DescribeVolumes", &inner));
        }
        _ => ec2_send(s, 200, &ec2_instances(&[EC2_NODE], Some("same-token"))),
    });
    let d = fake.driver(ec2_transport(1));
    let e = ec2_err(d.list_nodes().await);
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    assert!(fake.forms_of("DescribeInstances").len() <= 3);
    let lazily = drain(d.iterate_nodes()).await;
    assert!(lazily.len() <= 3, "{} items", lazily.len());
    let last = lazily.into_iter().last().expect("something listed");
    assert_eq!(ec2_err(last).kind(), ErrorKind::Parse);
    let tokens: Vec<Option<String>> = fake
        .forms_of("DescribeInstances")
        .iter()
        .map(|f| ec2_param(f, "NextToken"))
        .collect();
    assert!(
        tokens
            .iter()
            .filter(|t| t.is_some())
            .all(|t| t.as_deref() == Some("same-token")),
        "{tokens:?}"
    );

    let e = ec2_err(d.list_volumes().await);
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    let pages = fake.forms_of("DescribeVolumes").len();
    assert!((2..=200).contains(&pages), "{pages} empty pages asked for");
}

/// The secret key never leaves the process (only its signature does), the session token
/// only in its header; neither shows in the driver's `Debug` or in any error above (each
/// test checks its errors through `ec2_err`).
#[maybe_async]
#[mode_test]
async fn ec2_fault_secrets_never_show() {
    let sent = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = sent.clone();
    let server = FakeServer::start_with_body(move |n, head, body, s| {
        log.lock()
            .unwrap()
            .push(format!("{head}\n\n{}", String::from_utf8_lossy(body)));
        match n {
            0 => ec2_reset(s),
            _ => ec2_send(
                s,
                401,
                &ec2_error(
                    "AuthFailure",
                    "AWS was not able to validate the provided access credentials",
                ),
            ),
        }
    });
    let fake = Ec2Fake {
        server,
        forms: Arc::default(),
    };
    let d = fake.driver(ec2_transport(2));
    let shown = format!("{d:?}");
    assert!(
        !shown.contains(EC2_SECRET) && !shown.contains(EC2_TOKEN),
        "{shown}"
    );
    let e = ec2_err(d.get_node(EC2_NODE).await);
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    let e = ec2_err(
        d.check_create_node(&CreateNode::new("x", "t2.micro", "ami-12c6146b"))
            .await,
    );
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 3);
    for request in sent.iter() {
        assert!(!request.contains(EC2_SECRET), "{request}");
        let token_lines = request
            .lines()
            .filter(|l| l.contains(EC2_TOKEN))
            .collect::<Vec<_>>();
        assert_eq!(token_lines.len(), 1, "{request}");
        let header = token_lines[0].to_ascii_lowercase();
        assert!(header.starts_with("x-amz-security-token:"), "{request}");
    }
}
