//! The CLI as a person at a terminal meets it: Ctrl-C in the middle of big transfers
//! (SIGINT sent to the binary once it reports progress), and sessions recorded through a
//! pseudo-terminal (progress bars drawn on a terminal, nothing on a pipe, nothing but
//! errors with -q).

mod support;

use multicloud::ErrorKind;
use multicloud::blocking::storage::{AnyStorage, S3, StorageDriver};
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::Stdio;
use support::{Emulator, Store};

const BIG: u64 = 200 << 20;

fn s3(store: &Store) -> &S3 {
    match &store.driver {
        AnyStorage::S3(s3) => s3,
        _ => panic!("a moto store"),
    }
}

#[test]
fn ctrl_c_during_a_big_upload_leaves_no_object_and_no_multipart_upload() {
    let store = Store::new(Emulator::Moto, "sigint-up");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    std::fs::File::create(&file).unwrap().set_len(BIG).unwrap();
    let (code, stderr) = support::interrupted_at_first_progress(&[
        "cp",
        file.to_str().unwrap(),
        &store.url("big.bin"),
    ]);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let gone = store.driver.get_object(&store.container, "big.bin");
    assert_eq!(gone.unwrap_err().kind(), ErrorKind::NotFound);
    let uploads = s3(&store)
        .list_multipart_uploads(&store.container, "")
        .unwrap();
    assert!(uploads.is_empty(), "multipart uploads left: {uploads:?}");
    assert!(file.exists(), "the source was touched");
}

#[test]
fn ctrl_c_during_a_big_download_leaves_no_partial_file() {
    let store = Store::new(Emulator::Moto, "sigint-down");
    let size = 128 << 20;
    let fast = multicloud::storage::s3::S3Config::builder()
        .sign_payload(false)
        .multipart_threshold(size + 1);
    let data = vec![7u8; size];
    support::moto_s3(fast)
        .upload_bytes(
            &store.container,
            "big.bin",
            data.into(),
            &Default::default(),
        )
        .expect("the big object is stored");
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("downloads");
    std::fs::create_dir(&into).unwrap();
    let target = into.join("big.bin");
    let (code, stderr) = support::interrupted_at_first_progress(&[
        "cp",
        &store.url("big.bin"),
        target.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&into).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

/// What a session on a pseudo-terminal showed, and how it ended.
struct Session {
    code: Option<i32>,
    screen: String,
}

/// Runs the binary with a pseudo-terminal (120 columns) as its standard input, output and
/// error, recording everything it writes until it exits.
fn on_terminal(args: &[&str]) -> Session {
    let (master, slave) = open_pty();
    let mut command = support::multicloud();
    command
        .args(args)
        .env("TERM", "xterm-256color")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = command.spawn().expect("the binary starts");
    // The command holds copies of the terminal's end: the master reads to its end only
    // once every copy is closed.
    drop(command);
    let recorder = std::thread::spawn(move || record(master));
    let status = child.wait().expect("the binary ends");
    Session {
        code: status.code(),
        screen: recorder.join().expect("the recorder ends"),
    }
}

fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the integers given; name and termios
    // are optional (null) and the window size outlives the call.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened for us and are owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Reads the master side until the terminal is gone (EIO once the child's copies close).
fn record(master: OwnedFd) -> String {
    let mut master = std::fs::File::from(master);
    let (mut screen, mut buf) = (Vec::new(), [0u8; 4096]);
    loop {
        match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => screen.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&screen).into_owned()
}

/// A directory of three files of 4 MiB: long enough a transfer for bars to be drawn.
fn some_files(dir: &Path) -> String {
    let files = dir.join("files");
    for i in 0..3 {
        support::write(
            &files.join(format!("part{i}.bin")),
            &support::pattern(4 << 20),
        );
    }
    files.to_str().unwrap().to_owned()
}

#[test]
fn a_terminal_session_draws_progress_bars() {
    let store = Store::new(Emulator::Moto, "pty-bars");
    let dir = tempfile::tempdir().unwrap();
    let files = some_files(dir.path());
    let session = on_terminal(&["cp", "-r", &files, &store.url("up")]);
    assert_eq!(session.code, Some(0), "{}", session.screen);
    let screen = &session.screen;
    for drawn in [
        "total ",
        "ETA ",
        "MiB/s",
        "/3 files",
        "12.00 MiB",
        "\u{1b}[",
    ] {
        assert!(screen.contains(drawn), "no {drawn:?} drawn: {screen:?}");
    }
    assert!(screen.contains("copied 3 item(s)"), "{screen:?}");
    assert_eq!(store.names("up/").len(), 3);
}

#[test]
fn auto_progress_writes_nothing_when_stderr_is_a_pipe() {
    let store = Store::new(Emulator::Moto, "pipe-quiet");
    let dir = tempfile::tempdir().unwrap();
    let files = some_files(dir.path());
    let run = support::run(&["cp", "-r", &files, &store.url("up")]).ok();
    assert!(run.stderr.is_empty(), "{run:#?}");
    assert!(run.stdout.is_empty(), "{run:#?}");
    assert_eq!(store.names("up/").len(), 3);
}

#[test]
fn quiet_on_a_terminal_writes_nothing_but_errors() {
    let store = Store::new(Emulator::Moto, "pty-quiet");
    let dir = tempfile::tempdir().unwrap();
    let files = some_files(dir.path());
    let session = on_terminal(&["-q", "cp", "-r", &files, &store.url("up")]);
    assert_eq!(session.code, Some(0), "{}", session.screen);
    assert!(session.screen.is_empty(), "{:?}", session.screen);
    assert_eq!(store.names("up/").len(), 3);

    let missing = store.url("no/such.bin");
    let failed = on_terminal(&["-q", "cp", &missing, dir.path().to_str().unwrap()]);
    assert_eq!(failed.code, Some(4), "{}", failed.screen);
    let lines: Vec<&str> = failed.screen.lines().collect();
    assert_eq!(lines.len(), 1, "{:?}", failed.screen);
    assert!(lines[0].contains(&store.bare("no/such.bin")), "{lines:?}");
}

#[test]
fn listed_names_are_escaped_on_a_terminal_and_left_as_data_on_a_pipe() {
    use support::fake_http::{FakeServer, respond};
    // Only a hostile server can list such a name: the library refuses to write one.
    let body = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents>\
        <Key>p/a\u{1b}]0;pwned\u{7}b</Key><Size>1</Size></Contents></ListBucketResult>";
    let server = FakeServer::start_with_request(move |_, _, stream| {
        respond(
            stream,
            200,
            "Content-Type: application/xml\r\n",
            body.as_bytes(),
        );
    });
    let url = format!("s3://b/p?endpoint={}&region=us-east-1", server.url(""));
    let session = on_terminal(&["ls", &url]);
    assert_eq!(session.code, Some(0), "{}", session.screen);
    assert!(
        session.screen.contains("p/a\\u{1b}]0;pwned\\u{7}b"),
        "{}",
        session.screen
    );
    assert!(!session.screen.contains('\u{1b}'), "{:?}", session.screen);
    let piped = support::run(&["ls", &url]).ok();
    assert!(
        piped.stdout.contains("p/a\u{1b}]0;pwned\u{7}b"),
        "{piped:#?}"
    );
}
