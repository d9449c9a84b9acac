//! `--part-size` and `--part-concurrency` reach the driver that uploads.

mod support;

use support::{Emulator, Store, pattern, run, write};

#[test]
fn part_flags_shape_multipart_uploads() {
    let store = Store::new(Emulator::Moto, "parts");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    write(&file, &pattern(20 << 20));
    let file = file.to_str().unwrap();
    let etag = |key: &str| {
        let listed = run(&["ls", "--json", &store.url(key)]).ok();
        let line: serde_json::Value = serde_json::from_str(listed.stdout.trim()).unwrap();
        line["hash"].as_str().unwrap().to_owned()
    };
    run(&["cp", file, &store.url("default.bin")]).ok();
    assert!(
        etag("default.bin").ends_with("-3"),
        "8 MiB parts by default"
    );
    let flags = ["--part-size", "5MiB", "--part-concurrency", "2"];
    run(&[&["cp", file, &store.url("five.bin")][..], &flags].concat()).ok();
    assert!(etag("five.bin").ends_with("-4"), "5 MiB parts asked for");
    assert_eq!(store.get("five.bin"), pattern(20 << 20));

    // Downloads fetch ranges of the same size, several at once: 4 GETs of 5 MiB.
    let back = dir.path().join("back.bin");
    let back_str = back.to_str().unwrap();
    let five = store.url("five.bin");
    let args = [&["-v", "cp", five.as_str(), back_str][..], &flags].concat();
    let down = run(&args).ok();
    let gets = down
        .stderr
        .lines()
        .filter(|l| l.contains("method=\"GET\""))
        .count();
    assert_eq!(gets, 4, "{down:#?}");
    assert!(std::fs::read(&back).unwrap() == pattern(20 << 20));

    let refused = run(&["cp", "--part-size", "1MiB", file, &store.url("x")]).expect(1);
    assert!(
        refused.stderr.contains("minimum"),
        "S3's 5 MiB floor: {refused:#?}"
    );
    let usage = run(&["cp", "--part-size", "8MB", file, &store.url("x")]).expect(2);
    assert!(usage.stderr.contains("unit"), "{usage:#?}");
}
