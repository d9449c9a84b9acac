//! What the compute and DNS tests of the CLI share: the built binary run in a clean
//! environment, moto accounts of their own, tables read back by column, and the
//! DigitalOcean fake the library's tests use, served from this process.
//!
//! moto keeps one EC2 and one Route53 state per account, and maps the keys its STS
//! `AssumeRole` hands out to the role's account: a test that passes such keys to the child
//! sees only its own nodes and zones.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use multicloud::aws::{AssumeRole, Source};
use multicloud::blocking::aws::CredentialsProvider;
use multicloud::credentials::Credentials;

/// The library's own DigitalOcean fake (no emulator exists), compiled into this test:
/// it serves on 127.0.0.1 from a thread of the test process.
#[path = "../../../tests/common"]
mod library_common {
    pub mod digitalocean_fake;
    pub mod fake_http;
}

pub use library_common::digitalocean_fake::DoFake;

/// moto's endpoint; a missing variable fails the test, saying how to set it.
pub fn moto() -> String {
    std::env::var("MULTICLOUD_TEST_MOTO").unwrap_or_else(|_| {
        panic!(
            "MULTICLOUD_TEST_MOTO is not set: these tests need moto (scripts/emulators starts \
             it and prints the variables to export)"
        )
    })
}

/// A moto account no other test (or test process) uses, and the temporary keys of a role
/// in it, fetched through the library's STS provider.
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    /// The role's temporary keys (with a session token).
    pub credentials: Credentials,
}

impl Account {
    /// A fresh account.
    pub fn fresh() -> Account {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()));
        let process = u64::from(std::process::id()) % 100_000;
        // Above the library tests' range (2xx...), so both may share one moto.
        let id = format!(
            "{:012}",
            300_000_000_000 + process * 1_000_000 + n * 100 + nanos % 100
        );
        let role = AssumeRole {
            role_arn: format!("arn:aws:iam::{id}:role/multicloud-cli-test"),
            session_name: "multicloud-cli-test".into(),
            external_id: None,
            source: Credentials::new("AKIDMULTICLOUDCLITEST", "moto-does-not-check"),
            sts_endpoint: moto(),
            region: "us-east-1".into(),
        };
        let provider = CredentialsProvider::new(Source::AssumeRole(role)).expect("an STS provider");
        let credentials = (*provider.credentials().expect("keys from moto's STS")).clone();
        Account { id, credentials }
    }

    /// The environment that hands these keys to the child, as the AWS chain reads them.
    pub fn env(&self) -> Vec<(String, String)> {
        let c = &self.credentials;
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID".to_owned(), c.key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY".to_owned(),
                c.secret.expose().to_owned(),
            ),
        ];
        if let Some(token) = &c.session_token {
            env.push(("AWS_SESSION_TOKEN".to_owned(), token.expose().to_owned()));
        }
        env
    }
}

/// How a run of the binary ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 when a signal ended it).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts exit code `code`, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "exit code; the run was {self:#?}");
        self
    }

    /// The lines of standard error.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

/// Runs `multicloud args...` in `dir` with only PATH, HOME (= `dir`, so no shared AWS
/// files of the machine are read) and `env` set.
pub fn multicloud(dir: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_multicloud"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .current_dir(dir)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the multicloud binary");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The rows of a table the CLI printed, each as column name -> cell. Columns start where
/// the header's names start (cells are padded to the widest, so a cell may hold spaces).
pub fn table(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header = lines.next().expect("a table has a header");
    let starts = column_starts(header);
    let cell = |line: &str, i: usize| {
        let end = starts.get(i + 1).map_or(line.len(), |&e| e.min(line.len()));
        line.get(starts[i].min(end)..end)
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let names: Vec<String> = (0..starts.len()).map(|i| cell(header, i)).collect();
    lines
        .map(|line| {
            let cells = names.iter().enumerate();
            cells.map(|(i, n)| (n.clone(), cell(line, i))).collect()
        })
        .collect()
}

/// Where each column name of a header starts: after the line's start or two spaces.
fn column_starts(header: &str) -> Vec<usize> {
    let b = header.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] != b' ' && (i == 0 || (i >= 2 && &b[i - 2..i] == b"  ")))
        .collect()
}

/// A port on 127.0.0.1 nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}
