//! The storage commands driven as a user would, through the built binary, on the local
//! emulators (moto for S3, fake-gcs-server, Azurite); the library sets up and checks state.

mod support;

use multicloud::ErrorKind;
use multicloud::blocking::storage::StorageDriver;
use serde_json::Value;
use support::{Emulator, Store, assert_same_tree, run, sample_tree, write};

/// The sample tree's objects, relative to where it was copied.
const SAMPLE: [&str; 6] = [
    "a/b/c/deep.bin",
    "a/page.html",
    "data.json",
    "empty",
    "readme.txt",
    "sub dir/caf\u{e9} \u{fc}n\u{ef}c\u{f8}de \u{2603}.txt",
];

fn prefixed(prefix: &str, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{prefix}{n}")).collect()
}

/// `stat --json` of a URL, parsed.
fn stat_json(url: &str) -> Value {
    let run = run(&["stat", "--json", url]).ok();
    serde_json::from_str(run.stdout.trim()).expect("stat --json prints one JSON object")
}

/// Lines of `--progress=plain` output that report a finished copy.
fn copies(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("copy ")).collect()
}

fn round_trip(emulator: Emulator) {
    let store = Store::new(emulator, "tree");
    let dir = tempfile::tempdir().unwrap();
    let (src, back) = (dir.path().join("src"), dir.path().join("back"));
    sample_tree(&src);
    run(&["cp", "-r", src.to_str().unwrap(), &store.url("tree")]).ok();
    assert_eq!(store.names(""), prefixed("tree/", &SAMPLE));
    run(&["cp", "-r", &store.url("tree"), back.to_str().unwrap()]).ok();
    assert_same_tree(&src, &back);
    // Content types are guessed from the extensions on upload.
    let types = [
        ("tree/data.json", "application/json"),
        ("tree/a/page.html", "text/html"),
        ("tree/readme.txt", "text/plain"),
    ];
    for (name, expected) in types {
        let stat = stat_json(&store.url(name));
        assert_eq!(stat["content_type"], expected, "{name}: {stat}");
        assert_eq!(stat["name"], name);
    }
    // A name with spaces and non-ASCII letters is reachable by URL too.
    let odd = format!("tree/{}", SAMPLE[5]);
    assert_eq!(stat_json(&store.url(&odd))["size"], 7);
}

#[test]
fn a_tree_goes_up_and_back_byte_identical_on_s3() {
    round_trip(Emulator::Moto);
}

#[test]
fn a_tree_goes_up_and_back_byte_identical_on_gcs() {
    round_trip(Emulator::Gcs);
}

#[test]
fn a_tree_goes_up_and_back_byte_identical_on_azure() {
    round_trip(Emulator::Azurite);
}

#[test]
fn sync_copies_only_what_changed_and_deletes_extras_when_asked() {
    let store = Store::new(Emulator::Moto, "sync");
    let dir = tempfile::tempdir().unwrap();
    sample_tree(dir.path());
    let (local, url) = (dir.path().to_str().unwrap(), store.url("p"));
    let sync = |extra: &[&str]| {
        let mut args = vec!["--progress=plain", "sync"];
        args.extend_from_slice(extra);
        args.extend([local, url.as_str()]);
        run(&args).ok()
    };
    let first = sync(&[]);
    assert_eq!(copies(&first.stderr).len(), SAMPLE.len(), "{first:#?}");
    assert_eq!(store.names(""), prefixed("p/", &SAMPLE));

    let times = store.times("");
    let second = sync(&[]);
    assert!(copies(&second.stderr).is_empty(), "{second:#?}");
    assert!(second.stderr.contains("up to date"), "{second:#?}");
    assert_eq!(store.times(""), times, "the second sync rewrote objects");

    // Same size, other bytes: only the hashes tell them apart.
    write(
        &dir.path().join("readme.txt"),
        b"HELLO from the CLI tests\n",
    );
    write(&dir.path().join("a/new.txt"), b"new");
    let plan = run(&["sync", "--dry-run", local, &url]).ok();
    let mut planned = plan.lines();
    planned.sort();
    assert_eq!(
        planned,
        ["copy a/new.txt (new)", "copy readme.txt (content differs)"]
    );
    assert!(plan.stderr.is_empty(), "{plan:#?}");
    assert_eq!(store.get("p/readme.txt"), b"hello from the CLI tests\n");
    assert_eq!(store.names("p/a/"), ["p/a/b/c/deep.bin", "p/a/page.html"]);

    let third = sync(&[]);
    let mut copied = copies(&third.stderr);
    copied.sort();
    assert_eq!(copied.len(), 2, "{third:#?}");
    assert!(copied[0].contains("a/new.txt") && copied[1].contains("readme.txt"));
    assert_eq!(store.get("p/readme.txt"), b"HELLO from the CLI tests\n");
    assert_eq!(store.get("p/a/new.txt"), b"new");

    // An extra object stays without --delete, is planned with --dry-run, goes with --delete.
    store.put("p/extra.txt", b"extra");
    assert!(copies(&sync(&[]).stderr).is_empty());
    assert!(store.names("p/").contains(&"p/extra.txt".to_owned()));
    let plan = run(&["sync", "--delete", "--dry-run", local, &url]).ok();
    assert_eq!(plan.lines(), ["delete extra.txt"]);
    assert!(store.names("p/").contains(&"p/extra.txt".to_owned()));
    sync(&["--delete"]);
    let mut expected = prefixed("p/", &SAMPLE);
    expected.push("p/a/new.txt".into());
    expected.sort();
    assert_eq!(store.names(""), expected);
}

#[test]
fn sync_from_a_store_to_a_directory_twice_copies_once() {
    let store = Store::new(Emulator::Moto, "syncdown");
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
    sample_tree(&src);
    run(&["cp", "-r", src.to_str().unwrap(), &store.url("p")]).ok();
    let down = || {
        run(&[
            "--progress=plain",
            "sync",
            &store.url("p"),
            dst.to_str().unwrap(),
        ])
        .ok()
    };
    let first = down();
    assert_eq!(copies(&first.stderr).len(), SAMPLE.len(), "{first:#?}");
    assert_same_tree(&src, &dst);
    let modified = |rel: &str| {
        std::fs::metadata(dst.join(rel))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = SAMPLE.map(modified);
    let second = down();
    assert!(copies(&second.stderr).is_empty(), "{second:#?}");
    assert!(second.stderr.contains("up to date"), "{second:#?}");
    assert_eq!(
        SAMPLE.map(modified),
        before,
        "the second sync rewrote files"
    );
}

#[test]
fn cp_between_providers_streams_and_checks_the_content() {
    let (s3, gcs, azure) = (
        Store::new(Emulator::Moto, "x-s3"),
        Store::new(Emulator::Gcs, "x-gcs"),
        Store::new(Emulator::Azurite, "x-az"),
    );
    let dir = tempfile::tempdir().unwrap();
    sample_tree(dir.path());
    run(&["cp", "-r", dir.path().to_str().unwrap(), &s3.url("t")]).ok();
    run(&["cp", "-r", &s3.url("t"), &gcs.url("copied")]).ok();
    assert_eq!(gcs.names(""), prefixed("copied/", &SAMPLE));
    for rel in SAMPLE {
        let local = std::fs::read(dir.path().join(rel)).unwrap();
        assert!(gcs.get(&format!("copied/{rel}")) == local, "{rel} differs");
    }
    // The source's content type goes with a streamed copy.
    assert_eq!(
        stat_json(&gcs.url("copied/data.json"))["content_type"],
        "application/json"
    );

    let data = support::pattern(1 << 20);
    azure.put("blob.bin", &data);
    run(&["cp", &azure.url("blob.bin"), &s3.url("from-azure.bin")]).ok();
    assert!(
        s3.get("from-azure.bin") == data,
        "the streamed copy differs"
    );
}

#[test]
fn a_copy_within_one_store_is_server_side_and_keeps_type_and_metadata() {
    let store = Store::new(Emulator::Moto, "same");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.json");
    write(&file, br#"{"x": 1}"#);
    let (src, dst) = (store.url("doc.json"), store.url("copy/doc.json"));
    let up = ["cp", "--metadata", "owner=alice", "--metadata", "k=v=w"];
    run(&[&up[..], &[file.to_str().unwrap(), src.as_str()]].concat()).ok();
    let copied = run(&["-v", "cp", &src, &dst]).ok();
    // Server side: the source is never read through this process.
    let read = copied
        .stderr
        .lines()
        .any(|l| l.contains("\"GET\"") && l.contains("/doc.json\""));
    assert!(!read, "the copy went through the client: {copied:#?}");
    assert!(copied.stderr.contains("\"PUT\""), "{copied:#?}");
    let stat = stat_json(&dst);
    assert_eq!(stat["content_type"], "application/json", "{stat}");
    assert_eq!(stat["metadata"]["owner"], "alice", "{stat}");
    assert_eq!(stat["metadata"]["k"], "v=w", "{stat}");
    assert_eq!(store.get("copy/doc.json"), br#"{"x": 1}"#);
}

#[test]
fn ls_lists_flat_by_level_long_and_as_json() {
    let store = Store::new(Emulator::Moto, "ls");
    for (name, data) in [
        ("a.txt", &b"aa"[..]),
        ("dir/b.txt", b"bbb"),
        ("dir/sub/c.txt", b"c"),
    ] {
        store.put(name, data);
    }
    let flat = run(&["ls", &store.url("")]).ok();
    let names: Vec<&str> = flat.lines().iter().map(|l| last_word(l)).collect();
    assert_eq!(names, ["a.txt", "dir/b.txt", "dir/sub/c.txt"]);

    let level = run(&["ls", "-d", &store.url("")]).ok();
    assert_eq!(level.lines().len(), 2, "{level:#?}");
    assert!(level.lines()[0].ends_with("  a.txt"), "{level:#?}");
    assert!(level.lines()[1].contains("DIR") && level.lines()[1].ends_with("dir/"));

    let long = run(&["ls", "--long", &store.url("dir/")]).ok();
    assert_eq!(long.lines().len(), 2, "{long:#?}");
    let md5_of_bbb = "08f8e0260c64418510cefb2b06eee5cd";
    assert!(long.lines()[0].starts_with("obj "), "{long:#?}");
    assert!(long.lines()[0].contains(md5_of_bbb), "{long:#?}");

    let json = run(&["ls", "--json", &store.url("")]).ok();
    let objects: Vec<Value> = json
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let seen: Vec<(&str, u64)> = objects
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["size"].as_u64().unwrap()))
        .collect();
    assert_eq!(seen, [("a.txt", 2), ("dir/b.txt", 3), ("dir/sub/c.txt", 1)]);
    assert!(objects.iter().all(|o| o["type"] == "object"));
    assert_eq!(objects[1]["md5"], md5_of_bbb);

    let level = run(&["ls", "-d", "--json", &store.url("dir/")]).ok();
    let entries: Vec<Value> = level
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        entries[1],
        serde_json::json!({"type": "prefix", "name": "dir/sub/"})
    );

    // `s3://` with the endpoint lists buckets, ours among them.
    let buckets = run(&[
        "ls",
        &format!("s3://?endpoint={}&region=us-east-1", support::moto()),
    ])
    .ok();
    assert!(
        buckets.lines().contains(&store.container.as_str()),
        "{buckets:#?}"
    );
}

fn last_word(line: &str) -> &str {
    line.split("  ").last().unwrap_or(line).trim()
}

#[test]
fn cat_writes_the_exact_bytes_and_stat_describes_the_object() {
    let store = Store::new(Emulator::Moto, "cat");
    let data = support::pattern(200_000);
    store.put("bin/data", &data);
    let out = support::multicloud()
        .args(["cat", &store.url("bin/data")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout == data, "cat changed the bytes");
    let stat = run(&["stat", &store.url("bin/data")]).ok();
    assert!(
        stat.stdout.contains("name:           bin/data"),
        "{stat:#?}"
    );
    assert!(stat.stdout.contains("200000 (195.3 KiB)"), "{stat:#?}");
    let json = stat_json(&store.url("bin/data"));
    assert_eq!(json["size"], 200_000);
    let md5 = json["md5"].as_str().expect("moto states an MD5");
    assert_eq!(md5.len(), 32);
}

#[test]
fn rm_deletes_one_object_or_a_prefix_and_a_missing_one_is_exit_4() {
    let store = Store::new(Emulator::Moto, "rm");
    for name in ["one", "p/a", "p/b/c", "p2/kept"] {
        store.put(name, b"x");
    }
    run(&["rm", &store.url("one")]).ok();
    let missing = run(&["rm", &store.url("one")]).expect(4);
    assert!(missing.stderr.contains(&store.bare("one")), "{missing:#?}");
    // `-r p` is the directory p/: p2/ is another.
    run(&["rm", "-r", &store.url("p")]).ok();
    assert_eq!(store.names(""), ["p2/kept"]);
}

#[test]
fn mb_and_rb_make_and_remove_containers_on_every_provider() {
    for emulator in [Emulator::Moto, Emulator::Gcs, Emulator::Azurite] {
        let store = Store::unmade(emulator, "mb");
        let container = store.url("");
        run(&["mb", &container]).ok();
        store.driver.get_container(&store.container).unwrap();
        let again = run(&["mb", &container]).expect(1);
        assert!(again.stderr.contains(&store.container), "{again:#?}");
        store.put("left/behind", b"x");
        let refused = run(&["rb", &container]).expect(1);
        assert!(refused.stderr.contains("--force"), "{refused:#?}");
        assert_eq!(store.names(""), ["left/behind"]);
        run(&["rb", "--force", &container]).ok();
        let gone = store.driver.get_container(&store.container).unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound, "{emulator:?}: {gone}");
    }
}

#[test]
fn mv_leaves_nothing_at_the_source() {
    let store = Store::new(Emulator::Moto, "mv");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("moving.txt");
    write(&file, b"moving");
    run(&["mv", file.to_str().unwrap(), &store.url("up/")]).ok();
    assert!(!file.exists(), "the moved file is still there");
    run(&["mv", &store.url("up/moving.txt"), &store.url("there.txt")]).ok();
    assert_eq!(store.names(""), ["there.txt"]);
    assert_eq!(store.get("there.txt"), b"moving");

    let tree = dir.path().join("tree");
    sample_tree(&tree);
    run(&["mv", "-r", tree.to_str().unwrap(), &store.url("t")]).ok();
    assert!(
        support::tree(&tree).is_empty(),
        "files left in the moved tree"
    );
    assert_eq!(store.names("t/"), prefixed("t/", &SAMPLE));
    let back = dir.path().join("back");
    run(&["mv", "-r", &store.url("t"), back.to_str().unwrap()]).ok();
    assert!(store.names("t/").is_empty());
    assert_eq!(support::tree(&back).len(), SAMPLE.len());
}

#[test]
fn presigned_urls_work_for_a_plain_http_client() {
    let store = Store::new(Emulator::Moto, "presign");
    store.put("shared.txt", b"for anyone");
    let get = run(&["presign", "--expires", "5m", &store.url("shared.txt")]).ok();
    let url = get.stdout.trim();
    assert!(
        url.starts_with("http://") && url.contains("X-Amz-Expires=300"),
        "{url}"
    );
    let answer = support::http("GET", url, b"", &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body, b"for anyone");

    let put = run(&["presign", "--put", &store.url("dropped.txt")]).ok();
    let answer = support::http("PUT", put.stdout.trim(), b"dropped off", &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(store.get("dropped.txt"), b"dropped off");
}

#[test]
fn presigned_urls_work_on_azurite_whose_signatures_are_checked() {
    let store = Store::new(Emulator::Azurite, "presign");
    store.put("shared.txt", b"for anyone");
    let get = run(&["presign", &store.url("shared.txt")]).ok();
    let answer = support::http("GET", get.stdout.trim(), b"", &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body, b"for anyone");
    // A tampered URL is refused: the signature is really checked.
    let tampered = get.stdout.trim().replace("shared.txt", "other.txt");
    assert_eq!(support::http("GET", &tampered, b"", &[]).status, 403);

    let put = run(&["presign", "--put", &store.url("dropped.txt")]).ok();
    let blob = [("x-ms-blob-type", "BlockBlob")];
    let answer = support::http("PUT", put.stdout.trim(), b"dropped off", &blob);
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(store.get("dropped.txt"), b"dropped off");
}

#[test]
fn a_missing_object_is_exit_4_with_one_line_naming_the_url() {
    let store = Store::new(Emulator::Moto, "missing");
    let dir = tempfile::tempdir().unwrap();
    let url = store.url("no/such.txt");
    let into = dir.path().join("x");
    for args in [
        vec!["cat", url.as_str()],
        vec!["stat", url.as_str()],
        vec!["cp", url.as_str(), into.to_str().unwrap()],
    ] {
        let failed = run(&args).expect(4);
        assert_eq!(failed.stderr.lines().count(), 1, "{failed:#?}");
        assert!(
            failed.stderr.contains(&store.bare("no/such.txt")),
            "{failed:#?}"
        );
        assert!(failed.stderr.contains("not found"), "{failed:#?}");
        assert!(failed.stdout.is_empty());
    }
    assert!(!into.exists());
}

#[test]
fn bad_urls_are_exit_1_naming_the_problem_never_a_secret() {
    let moto = support::moto();
    let cases = [
        ("ftp://bucket/key".to_owned(), "ftp"),
        (format!("s3://b/k?endpoint={moto}&regoin=x"), "regoin"),
        (
            format!("s3://b/k?endpoint={moto}&secret_access_key=HUNTER2SECRET"),
            "secret_access_key",
        ),
        ("s3://b/k?anonymous=HUNTER2SECRET".to_owned(), "anonymous"),
        ("gs://b/k?emulator=maybe".to_owned(), "emulator"),
    ];
    for (url, named) in &cases {
        for args in [vec!["ls", url.as_str()], vec!["cp", url.as_str(), "/tmp/x"]] {
            let failed = run(&args).expect(1);
            assert!(failed.stderr.contains(named), "{failed:#?}");
            assert!(
                !failed.stderr.contains("HUNTER2"),
                "a secret shown: {failed:#?}"
            );
            assert_eq!(failed.stderr.lines().count(), 1, "{failed:#?}");
        }
    }
}

#[test]
fn hostile_object_names_never_write_outside_the_destination() {
    // Not on Azurite: the library will not address such a name, and Azurite checks the
    // signature of any request that would make one.
    for emulator in [Emulator::Moto, Emulator::Gcs] {
        hostile_names(emulator);
    }
}

fn hostile_names(emulator: Emulator) {
    let store = Store::new(emulator, "hostile");
    let hostile = "p/../escape";
    for name in ["p/ok.txt", "p/sub/fine.txt"] {
        store.put(name, b"x");
    }
    unsigned("PUT", emulator, &store.container, b"x");
    // The store must hold the name as given, or this test proves nothing.
    assert!(
        store.names("p/").contains(&hostile.to_owned()),
        "{emulator:?}"
    );
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("dest");
    let failed = run(&["cp", "-r", &store.url("p"), dest.to_str().unwrap()]).expect(3);
    assert!(failed.stderr.contains("../escape"), "{failed:#?}");
    assert!(failed.stderr.contains("1 item(s) failed"), "{failed:#?}");
    let everything = support::tree(work.path());
    let names: Vec<&str> = everything.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["dest/ok.txt", "dest/sub/fine.txt"], "{emulator:?}");
    unsigned("DELETE", emulator, &store.container, b"");
}

/// Writes or deletes `p/../escape` with a bare request, as a hostile writer could: the
/// library will not address such a name, and moto and fake-gcs-server check no signature
/// (moto wants an Authorization header to delete, any will do).
fn unsigned(method: &str, emulator: Emulator, container: &str, body: &[u8]) {
    let any = "AWS4-HMAC-SHA256 Credential=AKIACLITESTS/20260101/us-east-1/s3/aws4_request, \
               SignedHeaders=host, Signature=00";
    let (method, url, headers) = match (emulator, method) {
        (Emulator::Moto, _) => {
            let url = format!("{}/{container}/p/%2E%2E/escape", support::moto());
            (method, url, vec![("Authorization", any)])
        }
        (Emulator::Gcs, "PUT") => {
            let query = "uploadType=media&name=p%2F..%2Fescape";
            let url = format!("{}/upload/storage/v1/b/{container}/o?{query}", gcs());
            ("POST", url, vec![])
        }
        (Emulator::Gcs, _) => {
            let url = format!("{}/storage/v1/b/{container}/o/p%2F..%2Fescape", gcs());
            (method, url, vec![])
        }
        (Emulator::Azurite, _) => unreachable!("Azurite checks signatures"),
    };
    let status = support::http(method, &url, body, &headers).status;
    assert!((200..300).contains(&status), "{method} {url}: {status}");
}

fn gcs() -> String {
    support::endpoint("MULTICLOUD_TEST_GCS")
}

#[test]
fn help_and_completions_name_the_commands_and_exit_codes() {
    let help = run(&["--help"]).ok();
    for word in ["cp", "sync", "presign", "Exit codes", "130", "not found"] {
        assert!(help.stdout.contains(word), "--help lacks {word}: {help:#?}");
    }
    let cp = run(&["cp", "--help"]).ok();
    for word in ["--recursive", "--metadata", "--content-type", "--progress"] {
        assert!(cp.stdout.contains(word), "cp --help lacks {word}: {cp:#?}");
    }
    let bash = run(&["completions", "bash"]).ok();
    for word in ["complete", "multicloud", "sync", "presign", "--recursive"] {
        assert!(
            bash.stdout.contains(word),
            "the bash completions lack {word}"
        );
    }
    let wrong = run(&["cp", "--no-such-flag", "a", "b"]).expect(2);
    assert!(wrong.stderr.contains("--no-such-flag"), "{wrong:#?}");
}

#[test]
fn an_upload_with_content_type_and_metadata_flags_keeps_them() {
    let store = Store::new(Emulator::Gcs, "flags");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.bin");
    write(&file, b"report");
    let args = [
        "cp",
        "--content-type",
        "text/csv",
        "--metadata",
        "team=storage",
        file.to_str().unwrap(),
        &store.url("report.csv"),
    ];
    run(&args).ok();
    let stat = stat_json(&store.url("report.csv"));
    assert_eq!(stat["content_type"], "text/csv", "{stat}");
    assert_eq!(stat["metadata"]["team"], "storage", "{stat}");
    let object = store
        .driver
        .get_object(&store.container, "report.csv")
        .unwrap();
    assert_eq!(object.content_type.as_deref(), Some("text/csv"));
}
