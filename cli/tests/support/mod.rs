//! What the CLI tests share: the binary run in a clean environment, stores on the local
//! emulators (a fresh container each, emptied and removed when dropped), sample trees, and
//! a plain HTTP client for presigned URLs.
#![allow(dead_code)] // Each test file uses its own part of this module.

use multicloud::blocking::storage::{AnyStorage, S3, StorageDriver, UploadOptions};
use multicloud::storage::s3::S3Config;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The credentials moto is given (it checks no signature).
pub const MOTO_KEY: &str = "AKIACLITESTS";
pub const MOTO_SECRET: &str = "cli-test-secret";

/// An emulator's endpoint; a missing variable fails the test, naming what to do.
pub fn endpoint(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: the CLI tests need the local emulators (scripts/emulators starts \
             them and prints the variables to export; scripts/test does both)"
        )
    })
}

/// The binary, with an environment holding only what the tests give it: no settings or
/// credentials of the machine's user leak in.
pub fn multicloud() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_multicloud"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home())
        .env("AWS_ACCESS_KEY_ID", MOTO_KEY)
        .env("AWS_SECRET_ACCESS_KEY", MOTO_SECRET)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// An empty home directory for the children (no `~/.aws`, no gcloud files).
fn home() -> PathBuf {
    let home = std::env::temp_dir().join(format!("multicloud-cli-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("a home directory for the child");
    home
}

/// How a run of the binary ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, as text.
    pub stdout: String,
    /// Standard error, as text.
    pub stderr: String,
}

impl Run {
    /// Asserts the run exited with `code`, showing both streams when it did not.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "unexpected exit: {self:#?}");
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(self) -> Run {
        self.expect(0)
    }

    /// Standard output's lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs the binary with `args` (standard input empty) and waits for it.
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    multicloud()
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the multicloud binary runs")
        .into()
}

/// A name no other test (nor test process) uses, valid as an S3, GCS and Azure container.
pub fn unique(stem: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "cli-{stem}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos % 100_000
    )
}

/// Which emulator a store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emulator {
    /// moto (S3).
    Moto,
    /// fake-gcs-server.
    Gcs,
    /// Azurite.
    Azurite,
}

/// A fresh container on an emulator, reached by the CLI through URLs and by the test
/// through the library; emptied and removed when dropped.
pub struct Store {
    /// The driver, for setting up and checking state.
    pub driver: AnyStorage,
    /// The container.
    pub container: String,
    scheme: &'static str,
    query: String,
}

impl Store {
    /// A new container on `emulator`.
    pub fn new(emulator: Emulator, stem: &str) -> Store {
        let store = Store::unmade(emulator, stem);
        store
            .driver
            .create_container(&store.container)
            .expect("the test container is created");
        store
    }

    /// A store whose container is not made yet (for `mb`).
    pub fn unmade(emulator: Emulator, stem: &str) -> Store {
        let container = unique(stem);
        match emulator {
            Emulator::Moto => Store {
                driver: AnyStorage::S3(moto_s3(S3Config::builder())),
                container,
                scheme: "s3",
                query: format!("endpoint={}&region=us-east-1", moto()),
            },
            Emulator::Gcs => Store::emulated("gs", endpoint("MULTICLOUD_TEST_GCS"), container),
            Emulator::Azurite => {
                Store::emulated("az", endpoint("MULTICLOUD_TEST_AZURITE"), container)
            }
        }
    }

    fn emulated(scheme: &'static str, endpoint: String, container: String) -> Store {
        let query = format!("emulator=true&endpoint={endpoint}");
        let (driver, _) = AnyStorage::from_url(&format!("{scheme}://{container}?{query}"))
            .expect("a driver for the emulator");
        Store {
            driver,
            container,
            scheme,
            query,
        }
    }

    /// The URL the CLI is given for `key` (`""`: the container), options in its query.
    pub fn url(&self, key: &str) -> String {
        format!("{}?{}", self.bare(key), self.query)
    }

    /// The URL as the CLI shows it in messages: without its query.
    pub fn bare(&self, key: &str) -> String {
        format!("{}://{}/{key}", self.scheme, self.container)
    }

    /// Stores `data` as `name` through the library.
    pub fn put(&self, name: &str, data: &[u8]) {
        self.driver
            .upload_bytes(
                &self.container,
                name,
                data.to_vec().into(),
                &UploadOptions::new(),
            )
            .unwrap_or_else(|e| panic!("upload {name}: {e}"));
    }

    /// An object's content through the library.
    pub fn get(&self, name: &str) -> Vec<u8> {
        self.driver
            .download_bytes(&self.container, name)
            .unwrap_or_else(|e| panic!("download {name}: {e}"))
            .to_vec()
    }

    /// The names of the objects under `prefix`, in order.
    pub fn names(&self, prefix: &str) -> Vec<String> {
        self.driver
            .iterate_objects(&self.container, prefix)
            .map(|o| o.map(|o| o.name))
            .collect::<multicloud::Result<_>>()
            .expect("the container lists")
    }

    /// The objects under `prefix` with their last-modified times.
    pub fn times(&self, prefix: &str) -> Vec<(String, Option<std::time::SystemTime>)> {
        self.driver
            .iterate_objects(&self.container, prefix)
            .map(|o| o.map(|o| (o.name, o.last_modified)))
            .collect::<multicloud::Result<_>>()
            .expect("the container lists")
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Clean-up is best effort: a failure here must not hide the test's own result.
        let names = self
            .driver
            .iterate_objects(&self.container, "")
            .filter_map(|o| o.ok().map(|o| o.name))
            .collect::<Vec<_>>();
        let _ = self.driver.delete_many(&self.container, names, 8);
        let _ = self.driver.delete_container(&self.container);
    }
}

/// moto's endpoint.
pub fn moto() -> String {
    endpoint("MULTICLOUD_TEST_MOTO")
}

/// An S3 driver on moto, from a builder the caller may have tuned.
pub fn moto_s3(builder: multicloud::storage::s3::S3ConfigBuilder) -> S3 {
    let config = builder
        .endpoint(moto())
        .region("us-east-1")
        .credentials(multicloud::Credentials::new(MOTO_KEY, MOTO_SECRET))
        .build()
        .expect("an S3 configuration for moto");
    S3::new(config).expect("an S3 driver for moto")
}

/// The sample tree: nested directories, an empty file, a name with spaces and non-ASCII
/// letters, a JSON file, and a file of a few hundred KiB.
pub fn sample_tree(root: &Path) {
    let files: [(&str, Vec<u8>); 6] = [
        ("readme.txt", b"hello from the CLI tests\n".to_vec()),
        ("data.json", br#"{"answer": 42}"#.to_vec()),
        ("empty", Vec::new()),
        (
            "sub dir/caf\u{e9} \u{fc}n\u{ef}c\u{f8}de \u{2603}.txt",
            b"unicode".to_vec(),
        ),
        ("a/b/c/deep.bin", pattern(300 * 1024)),
        ("a/page.html", b"<p>hi</p>".to_vec()),
    ];
    for (rel, data) in files {
        write(&root.join(rel), &data);
    }
}

/// Writes a file, making its directories.
pub fn write(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("directories");
    std::fs::write(path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// `n` bytes that differ from offset to offset (a shifted copy would not compare equal).
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + i / 251) as u8).collect()
}

/// Every file below `root`: relative path (with `/`) and content, in order.
pub fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    collect(root, root, &mut files);
    files.sort();
    files
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path.strip_prefix(root).expect("below the root");
            let rel = rel.to_str().expect("UTF-8 names").replace('\\', "/");
            files.push((rel, std::fs::read(&path).expect("a readable file")));
        }
    }
}

/// Asserts two directories hold the same files with the same bytes.
#[track_caller]
pub fn assert_same_tree(expected: &Path, actual: &Path) {
    let (a, b) = (tree(expected), tree(actual));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the trees hold different files");
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs ({} vs {} bytes)", x.len(), y.len());
    }
}

/// An HTTP answer: status and body.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body (the answer must not be chunked: emulators send a length).
    pub body: Vec<u8>,
}

/// Sends one HTTP/1.1 request to a plain `http://` URL, as any client would, and reads the
/// answer until the server closes the connection.
pub fn http(method: &str, url: &str, body: &[u8], headers: &[(&str, &str)]) -> Answer {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).expect("the emulator accepts");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let length = body.len();
    head.push_str(&format!(
        "Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ));
    stream.write_all(head.as_bytes()).expect("request sent");
    stream.write_all(body).expect("body sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("answer read");
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP head");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let body = &raw[split + 4..];
    let body = match head.contains("transfer-encoding: chunked") {
        true => unchunk(body),
        false => body.to_vec(),
    };
    Answer { status, body }
}

/// The content of a chunked body (sizes in hex, each chunk followed by CRLF).
fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size");
        let size = String::from_utf8_lossy(&raw[..line_end]);
        let size = size.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).expect("a hexadecimal chunk size");
        if size == 0 {
            return body;
        }
        let start = line_end + 2;
        body.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
}

/// The library's in-process HTTP server for fault injection (a hostile or odd store).
#[path = "../../../tests/common/fake_http.rs"]
pub mod fake_http;

/// The writing end of a pipe whose reader is already gone, as behind `| head` once head
/// has stopped reading: every write to it fails with a broken pipe.
#[cfg(unix)]
fn closed_pipe() -> std::process::Stdio {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    // SAFETY: pipe writes two new descriptors into an array of two.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "a pipe");
    // SAFETY: both descriptors were just created and are owned by nothing else.
    let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(reader);
    writer.into()
}

/// Runs the binary with its standard output a closed pipe; standard error is captured.
#[cfg(unix)]
pub fn run_into_closed_pipe<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    multicloud()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(closed_pipe())
        .output()
        .expect("the multicloud binary runs")
        .into()
}

/// Runs the binary with its standard error a closed pipe (`2>&1 | head`); standard output
/// is captured, and only the exit code tells how it went.
#[cfg(unix)]
pub fn run_with_closed_stderr<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    multicloud()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(closed_pipe())
        .output()
        .expect("the multicloud binary runs")
        .into()
}

/// Runs the binary with `--progress=plain`, sends it SIGINT (Ctrl-C) as soon as it reports
/// progress, and returns its exit code and everything it wrote on standard error.
#[cfg(unix)]
pub fn interrupted_at_first_progress(args: &[&str]) -> (Option<i32>, String) {
    use std::io::BufRead;
    let mut child = multicloud()
        .arg("--progress=plain")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("a stderr pipe"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = stderr.read_line(&mut line).expect("stderr reads");
        seen.push_str(&line);
        if line.starts_with("progress:") {
            break;
        }
        assert!(
            read > 0,
            "the binary ended without reporting progress: {seen}"
        );
    }
    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: kill has no memory effects; the pid is our own child's, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0, "SIGINT sent");
    stderr.read_to_string(&mut seen).expect("stderr reads");
    let status = child.wait().expect("the binary ends");
    (status.code(), seen)
}
