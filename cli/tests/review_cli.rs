//! The command line against a careless user, a hostile server and an odd file system:
//! nothing is lost (a copy or move onto itself, `sync --delete` from an empty source, a
//! '#' that cut a URL short, Ctrl-C in a sync), a server's surprise is one line of error
//! and never a panic nor a deletion, and a reader that stops reading (`| head`) ends
//! every command quietly.
#![cfg(unix)]

mod support;

use support::{Emulator, Store, write};

#[test]
fn a_reader_that_stops_reading_ends_every_command_quietly() {
    let store = Store::new(Emulator::Moto, "pipe");
    for n in 0..3 {
        store.put(&format!("d/{n}.txt"), b"line\n");
    }
    store.put("big", &support::pattern(300_000));
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("new.txt"), b"new");
    let local = dir.path().to_str().unwrap();
    let (all, big, one) = (store.url(""), store.url("big"), store.url("d/0.txt"));
    let cases: [&[&str]; 9] = [
        &["ls", &all],
        &["ls", "--json", "--long", &all],
        &["ls", "-d", &all],
        &["cat", &big],
        &["stat", &one],
        &["presign", &one],
        &["sync", "--dry-run", local, &store.url("d")],
        &["completions", "bash"],
        &["--help"],
    ];
    for args in cases {
        let ended = support::run_into_closed_pipe(args);
        assert_eq!(ended.code, Some(0), "{args:?}: {ended:#?}");
        assert_eq!(ended.stderr, "", "{args:?}");
    }
}
