//! A sync down, then back up, then down again copies nothing, even for objects whose hash
//! is no MD5.

mod support;

use support::{Emulator, Store, pattern, run, write};

#[test]
fn a_sync_back_after_a_download_copies_nothing_even_without_md5s() {
    let store = Store::new(Emulator::Moto, "syncback");
    let up = tempfile::tempdir().unwrap();
    // 20 MiB goes up in parts: its ETag is no MD5, so only sizes and times can decide.
    write(&up.path().join("big.bin"), &pattern(20 << 20));
    write(&up.path().join("small.txt"), b"small");
    run(&["cp", "-r", up.path().to_str().unwrap(), &store.url("t")]).ok();
    let md5s = run(&["ls", "--json", &store.url("t/")]).ok();
    assert!(
        md5s.stdout.contains("\"md5\":null"),
        "one hash is no MD5: {md5s:#?}"
    );

    let down = tempfile::tempdir().unwrap();
    let local = down.path().join("copy");
    let local = local.to_str().unwrap();
    run(&["sync", &store.url("t"), local]).ok();
    let times = store.times("");
    let back = run(&["--progress=plain", "sync", local, &store.url("t")]).ok();
    assert!(back.stderr.contains("is up to date"), "{back:#?}");
    assert_eq!(store.times(""), times, "nothing was written again");
    // And down again: the listing's times (milliseconds) against the files' (seconds).
    let again = run(&["--progress=plain", "sync", &store.url("t"), local]).ok();
    assert!(again.stderr.contains("is up to date"), "{again:#?}");
}
