//! What a local tree holds besides regular files: links and pipes, as `cp -r` and `sync`
//! read them (Unix only: the tree is made with symlink and mkfifo).
#![cfg(unix)]

mod support;

use std::os::unix::fs::symlink;
use support::{Emulator, Store, run, write};

#[test]
fn links_to_files_are_copied_and_other_entries_skipped_with_a_warning() {
    let store = Store::new(Emulator::Moto, "links");
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("plain.txt"), b"plain");
    write(&elsewhere.path().join("target.txt"), b"through a link");
    symlink(elsewhere.path().join("target.txt"), root.join("linked.txt")).unwrap();
    symlink(elsewhere.path(), root.join("linked-dir")).unwrap();
    symlink(root.join("missing"), root.join("dangling")).unwrap();
    let fifo = std::ffi::CString::new(root.join("pipe").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

    // No object name can carry a name that is not UTF-8.
    use std::os::unix::ffi::OsStrExt;
    let latin1 = root.join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    write(&latin1, b"latin-1 name");

    // A pipe read as a file would block this forever; it must be skipped.
    let up = run(&["cp", "-r", root.to_str().unwrap(), &store.url("t")]).ok();
    assert_eq!(store.names(""), ["t/linked.txt", "t/plain.txt"]);
    assert_eq!(store.get("t/linked.txt"), b"through a link");
    assert!(up.stderr.contains("not UTF-8"), "{up:#?}");
    for skipped in ["linked-dir", "dangling", "pipe", "caf"] {
        let warned = up
            .stderr
            .lines()
            .any(|l| l.contains("skipped") && l.contains(skipped));
        assert!(warned, "no warning about {skipped}: {up:#?}");
    }

    let quiet = run(&["-q", "sync", root.to_str().unwrap(), &store.url("t")]).ok();
    assert_eq!(quiet.stderr, "", "-q leaves warnings out");
}
