//! SigV4 against the public AWS test suites (copied under `tests/data/` with their
//! licenses): the classic suite (34 cases, header signing), aws-c-auth's suite (38 cases,
//! header and query signing) and the S3 documentation's presigned URL example.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use multicloud::Credentials;
use multicloud::signing::sigv4::{self, Options, Scope, Unsigned};

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

struct ParsedRequest {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses the suites' raw HTTP request files (continuation lines start with spaces).
fn parse_request(text: &str) -> ParsedRequest {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut lines = head.lines();
    let first = lines.next().unwrap();
    let (method, rest) = first.split_once(' ').unwrap();
    let target = rest.rsplit_once(" HTTP/").unwrap().0;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_owned(), v.to_owned()));
        }
    }
    ParsedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn at_2015_08_30() -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160)
}

fn case_dirs(root: &Path, marker: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if marker(&p) {
                    out.push(p.clone());
                }
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn classic_suite_all_34_cases() {
    let root = data("sigv4/aws-sig-v4-test-suite");
    let dirs = case_dirs(&root, &|p: &Path| {
        let name = p.file_name().unwrap().to_str().unwrap();
        p.join(format!("{name}.req")).exists()
    });
    assert_eq!(dirs.len(), 34);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let file = |ext: &str| read(&dir.join(format!("{name}.{ext}")));
        let mut req = parse_request(&file("req"));
        // We add x-amz-date ourselves from the injected clock.
        req.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("x-amz-date"));
        let mut creds = Credentials::new(KEY_ID, SECRET);
        if name == "get-vanilla-with-session-token" {
            // The suite's README: the signer must add and sign this token.
            creds = creds.with_session_token(
                "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            );
        }
        let scope = Scope {
            credentials: &creds,
            region: "us-east-1",
            service: "service",
            key_cache: None,
        };
        let payload = sigv4::payload_sha256(&req.body);
        let unsigned = Unsigned {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
            payload_hash: &payload,
        };
        let opts = Options {
            normalize_path: true,
            sign_session_token: true,
            content_sha256_header: false,
        };
        let signed = sigv4::sign_headers(scope, &unsigned, at_2015_08_30(), opts);
        assert_eq!(
            signed.canonical_request,
            file("creq"),
            "{name}: canonical request"
        );
        assert_eq!(signed.string_to_sign, file("sts"), "{name}: string to sign");
        assert_eq!(
            signed.authorization(),
            Some(file("authz").as_str()),
            "{name}: authorization"
        );
    }
}

#[derive(serde::Deserialize)]
struct Context {
    credentials: ContextCredentials,
    expiration_in_seconds: u64,
    normalize: bool,
    region: String,
    service: String,
    sign_body: bool,
    timestamp: String,
    #[serde(default)]
    omit_session_token: bool,
}

#[derive(serde::Deserialize)]
struct ContextCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
}

fn aws_c_auth_cases() -> Vec<PathBuf> {
    let dirs = case_dirs(&data("sigv4/aws-c-auth-v4"), &|p: &Path| {
        p.join("context.json").exists()
    });
    assert_eq!(dirs.len(), 38);
    dirs
}

struct CCase {
    name: String,
    ctx: Context,
    creds: Credentials,
    req: ParsedRequest,
    now: SystemTime,
    payload: String,
}

fn load(dir: &Path) -> CCase {
    let ctx: Context = serde_json::from_str(&read(&dir.join("context.json"))).unwrap();
    let mut creds = Credentials::new(
        &ctx.credentials.access_key_id,
        &*ctx.credentials.secret_access_key,
    );
    if let Some(t) = &ctx.credentials.token {
        creds = creds.with_session_token(t.as_str());
    }
    let req = parse_request(&read(&dir.join("request.txt")));
    let ts = time::OffsetDateTime::parse(
        &ctx.timestamp,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let payload = sigv4::payload_sha256(&req.body);
    CCase {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        ctx,
        creds,
        req,
        now: ts.into(),
        payload,
    }
}

impl CCase {
    fn scope(&self) -> Scope<'_> {
        Scope {
            credentials: &self.creds,
            region: &self.ctx.region,
            service: &self.ctx.service,
            key_cache: None,
        }
    }

    fn unsigned(&self) -> Unsigned<'_> {
        Unsigned {
            method: &self.req.method,
            path: &self.req.path,
            query: &self.req.query,
            headers: &self.req.headers,
            payload_hash: &self.payload,
        }
    }
}

fn opts_of(ctx: &Context) -> Options {
    Options {
        normalize_path: ctx.normalize,
        sign_session_token: !ctx.omit_session_token,
        content_sha256_header: ctx.sign_body,
    }
}

#[test]
fn aws_c_auth_header_signing_all_38_cases() {
    for dir in aws_c_auth_cases() {
        let c = load(&dir);
        let signed = sigv4::sign_headers(c.scope(), &c.unsigned(), c.now, opts_of(&c.ctx));
        let name = &c.name;
        assert_eq!(
            signed.canonical_request,
            read(&dir.join("header-canonical-request.txt")),
            "{name}"
        );
        assert_eq!(
            signed.string_to_sign,
            read(&dir.join("header-string-to-sign.txt")),
            "{name}"
        );
        assert_eq!(
            signed.signature,
            read(&dir.join("header-signature.txt")).trim(),
            "{name}"
        );
        let expected_authz = read(&dir.join("header-signed-request.txt"))
            .lines()
            .find_map(|l| l.strip_prefix("Authorization:").map(str::to_owned))
            .unwrap();
        assert_eq!(
            signed.authorization(),
            Some(expected_authz.as_str()),
            "{name}"
        );
    }
}

#[test]
fn aws_c_auth_query_signing_all_38_cases() {
    for dir in aws_c_auth_cases() {
        let c = load(&dir);
        let signed = sigv4::sign_query(
            c.scope(),
            &c.unsigned(),
            c.now,
            c.ctx.expiration_in_seconds,
            opts_of(&c.ctx),
        );
        let name = &c.name;
        assert_eq!(
            signed.canonical_request,
            read(&dir.join("query-canonical-request.txt")),
            "{name}"
        );
        assert_eq!(
            signed.string_to_sign,
            read(&dir.join("query-string-to-sign.txt")),
            "{name}"
        );
        assert_eq!(
            signed.signature,
            read(&dir.join("query-signature.txt")).trim(),
            "{name}"
        );
        let signed_line = read(&dir.join("query-signed-request.txt"));
        assert!(
            signed_line.contains(&format!("X-Amz-Signature={}", signed.signature)),
            "{name}: signature in the signed request"
        );
    }
}

#[test]
fn s3_documentation_presigned_url() {
    let doc: serde_json::Value =
        serde_json::from_str(&read(&data("presign/s3-docs-presign-example.json"))).unwrap();
    let case = &doc["cases"][0];
    let (i, e) = (&case["inputs"], &case["expected"]);
    let s = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    let creds = Credentials::new(s(&i["access_key_id"]), s(&i["secret_access_key"]));
    let scope = Scope {
        credentials: &creds,
        region: "us-east-1",
        service: "s3",
        key_cache: None,
    };
    let headers = vec![("host".to_owned(), s(&i["host"]))];
    let path = format!("/{}", s(&i["key"]));
    let unsigned = Unsigned {
        method: "GET",
        path: &path,
        query: &[],
        headers: &headers,
        payload_hash: sigv4::UNSIGNED_PAYLOAD,
    };
    let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_369_353_600);
    let signed = sigv4::sign_query(scope, &unsigned, now, 86400, Options::S3);
    assert_eq!(signed.canonical_request, s(&e["canonical_request"]));
    assert_eq!(signed.string_to_sign, s(&e["string_to_sign"]));
    assert_eq!(signed.signature, s(&e["signature"]));
    let query: Vec<String> = signed
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
        .collect();
    let url = format!(
        "https://{}{}?{}",
        s(&i["host"]),
        sigv4::encode_path(&path),
        query.join("&")
    );
    assert_eq!(url, s(&e["url"]));
}
