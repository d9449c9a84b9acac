//! The command line against a careless user, a hostile server and an odd file system:
//! nothing is lost (a copy or move onto itself, `sync --delete` from an empty source, a
//! '#' that cut a URL short, Ctrl-C in a sync), a server's surprise is one line of error
//! and never a panic nor a deletion, and a reader that stops reading (`| head`) ends
//! every command quietly.
#![cfg(unix)]

mod support;

use std::sync::{Arc, Mutex};
use support::fake_http::{FakeServer, respond};
use support::{Emulator, Store, run, write};

/// Asserts a refusal: exit 1, one line on standard error holding `why`, nothing on stdout.
#[track_caller]
fn refused(run: support::Run, why: &str) {
    let run = run.expect(1);
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert!(run.stderr.contains(why), "{run:#?}");
    assert!(run.stdout.is_empty(), "{run:#?}");
}

#[test]
fn a_copy_or_move_onto_itself_keeps_the_object_on_every_provider() {
    for emulator in [Emulator::Gcs, Emulator::Azurite, Emulator::Moto] {
        let store = Store::new(emulator, "self");
        store.put("a.txt", b"precious");
        store.put("p/b.txt", b"kept too");
        let one = store.url("a.txt");
        for args in [["cp", &one, &one], ["mv", &one, &one]] {
            let failed = run(&args);
            assert_ne!(failed.code, Some(0), "{emulator:?} {args:?}: {failed:#?}");
            assert!(
                failed.stderr.contains("its own destination"),
                "{emulator:?} {args:?}: {failed:#?}"
            );
            assert_eq!(
                store.names(""),
                ["a.txt", "p/b.txt"],
                "{emulator:?} {args:?}"
            );
            assert_eq!(store.get("a.txt"), b"precious", "{emulator:?} {args:?}");
            assert_eq!(store.get("p/b.txt"), b"kept too", "{emulator:?} {args:?}");
        }
    }
}

#[test]
fn a_local_file_copied_or_moved_onto_itself_keeps_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.txt");
    write(&file, b"precious");
    let (link, hard) = (dir.path().join("link.txt"), dir.path().join("hard.txt"));
    std::os::unix::fs::symlink(&file, &link).unwrap();
    std::fs::hard_link(&file, &hard).unwrap();
    let same = dir.path().join("./f.txt");
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let f = path(&file);
    for args in [
        vec!["cp", &f, &f],
        vec!["cp", &f, &path(&same)],
        vec!["cp", &f, &path(&link)],
        vec!["cp", &f, &path(&hard)],
        vec!["mv", &f, &f],
        vec!["mv", &f, &path(&link)],
    ] {
        let failed = run(&args);
        assert_ne!(failed.code, Some(0), "{args:?}: {failed:#?}");
        assert!(failed.stderr.contains("its own destination"), "{failed:#?}");
        assert_eq!(std::fs::read(&file).unwrap(), b"precious", "{args:?}");
    }
}

#[test]
fn a_tree_is_never_copied_moved_or_synced_into_itself_or_its_parent() {
    let store = Store::new(Emulator::Moto, "nested");
    for name in ["other", "p/a", "p/x"] {
        store.put(name, name.as_bytes());
    }
    let (all, p, inside) = (store.url(""), store.url("p"), store.url("p/sub"));
    let dir = tempfile::tempdir().unwrap();
    let (parent, tree) = (dir.path(), dir.path().join("p"));
    write(&tree.join("a"), b"a");
    write(&parent.join("other"), b"other");
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let (parent, t) = (path(parent), path(&tree));
    let sub = path(&tree.join("sub"));
    let dot = format!("{t}/./");
    // sync --delete into the parent deleted the source itself (p/a, p/x).
    for args in [
        vec!["sync", "--delete", &p, &all],
        vec!["sync", &all, &p],
        vec!["sync", &p, &p],
        vec!["cp", "-r", &p, &p],
        vec!["cp", "-r", &p, &inside],
        vec!["mv", "-r", &p, &inside],
        vec!["mv", "-r", &p, &p],
        vec!["sync", "--delete", &t, &parent],
        vec!["sync", &t, &dot],
        vec!["cp", "-r", &t, &sub],
        vec!["mv", "-r", &t, &t],
    ] {
        refused(run(&args), "overlap");
        assert_eq!(store.names(""), ["other", "p/a", "p/x"], "{args:?}");
        let files: Vec<String> = support::tree(dir.path())
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(files, ["other", "p/a"], "{args:?}");
    }
    // A neighbour whose name starts alike is no overlap.
    run(&["cp", "-r", &p, &store.url("p2")]).ok();
    assert_eq!(store.names("p2/"), ["p2/a", "p2/x"]);
}

#[test]
fn a_hash_in_a_store_url_is_refused_rather_than_cutting_the_url_short() {
    let store = Store::new(Emulator::Moto, "hash");
    store.put("dir/a", b"under dir/");
    store.put("dir#1/b", b"under dir#1/");
    let by_env = |args: &[&str]| -> support::Run {
        support::multicloud()
            .env("AWS_ENDPOINT_URL", support::moto())
            .env("AWS_REGION", "us-east-1")
            .args(args)
            .output()
            .expect("the binary runs")
            .into()
    };
    // Everything after '#' is a URL fragment: this deleted dir/, not dir#1/.
    let hashed = format!("s3://{}/dir#1", store.container);
    refused(by_env(&["rm", "-r", &hashed]), "%23");
    refused(
        by_env(&["cp", "/dev/null", &format!("{hashed}/new")]),
        "%23",
    );
    assert_eq!(store.names(""), ["dir#1/b", "dir/a"]);
    // With the options after the '#', they were dropped: a request to AWS itself.
    let lost = run(&["cat", &store.url("dir#1/b")]);
    assert!(!lost.stderr.contains("amazonaws"), "{lost:#?}");
    refused(lost, "%23");
    // The escaped form names the object.
    let cat = run(&["cat", &store.url("dir%231/b")]).ok();
    assert_eq!(cat.stdout, "under dir#1/");
}

/// A fake S3 endpoint whose every listing holds `keys` (each 1 byte, the MD5 of "a"),
/// whatever prefix was asked for; other requests are refused. Request lines are kept.
fn lying_s3(keys: &[&str]) -> (FakeServer, Arc<Mutex<Vec<String>>>) {
    let contents: String = keys
        .iter()
        .map(|k| {
            format!(
                "<Contents><Key>{k}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>\
                 <ETag>\"0cc175b9c0f1b6a831c399e269772661\"</ETag><Size>1</Size></Contents>"
            )
        })
        .collect();
    let listing = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>\
         <KeyCount>{}</KeyCount><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>",
        keys.len()
    );
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let server = FakeServer::start_with_request(move |_, line, stream| {
        seen.lock().unwrap().push(line.to_owned());
        let xml = "Content-Type: application/xml\r\n";
        if line.starts_with("GET ") && line.contains("list-type=2") {
            respond(stream, 200, xml, listing.as_bytes());
        } else {
            let denied = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
            respond(stream, 403, xml, denied.as_bytes());
        }
    });
    (server, requests)
}

#[test]
fn a_listing_outside_the_prefix_is_an_error_never_a_panic_nor_a_deletion() {
    let work = tempfile::tempdir().unwrap();
    let url =
        |server: &FakeServer| format!("s3://b/p?endpoint={}&region=us-east-1", server.url(""));
    // Shorter than the prefix, and cut inside a UTF-8 character by its length.
    for key in ["p", "x\u{e9}/y"] {
        let (server, _) = lying_s3(&[key]);
        let out = work.path().join("out");
        refused(
            run(&["cp", "-r", &url(&server), out.to_str().unwrap()]),
            // The S3 driver refuses such a page itself now; the CLI's own check
            // (listing::remote) stays for drivers that do not.
            "outside the prefix",
        );
        assert!(!out.exists());
    }
    // Names outside p/ that look like p/'s once cut: sync --delete deleted q/y.
    let (server, requests) = lying_s3(&["q/x", "q/y"]);
    let src = work.path().join("src");
    write(&src.join("x"), b"a");
    let sync = run(&["sync", "--delete", src.to_str().unwrap(), &url(&server)]);
    refused(sync, "outside the prefix");
    let requests = requests.lock().unwrap();
    assert!(
        requests.iter().all(|r| r.starts_with("GET ")),
        "more than listings: {requests:?}"
    );
}

#[test]
fn sync_delete_from_an_empty_or_missing_source_deletes_nothing() {
    let store = Store::new(Emulator::Moto, "emptysrc");
    store.put("backup/a", b"a");
    store.put("backup/b/c", b"c");
    let dir = tempfile::tempdir().unwrap();
    let (empty, missing) = (dir.path().join("empty"), dir.path().join("missing"));
    std::fs::create_dir(&empty).unwrap();
    let backup = store.url("backup");
    let (empty, missing) = (empty.to_str().unwrap(), missing.to_str().unwrap());
    for (args, why) in [
        (vec!["sync", "--delete", empty, &backup], "holds nothing"),
        (
            vec!["sync", "--delete", "--dry-run", empty, &backup],
            "holds nothing",
        ),
        (
            vec!["sync", "--delete", &store.url("bakcup"), &backup],
            "holds nothing",
        ),
        (
            vec!["sync", "--delete", missing, &backup],
            "not a directory",
        ),
    ] {
        refused(run(&args), why);
        assert_eq!(store.names(""), ["backup/a", "backup/b/c"], "{args:?}");
    }
    // Nothing to delete, nothing refused; without --delete an empty source is harmless.
    run(&["sync", "--delete", empty, &store.url("fresh")]).ok();
    run(&["sync", empty, &backup]).ok();
    assert_eq!(store.names(""), ["backup/a", "backup/b/c"]);
}

#[test]
fn ctrl_c_during_a_sync_stops_it_before_any_deletion() {
    let store = Store::new(Emulator::Moto, "sigint-sync");
    store.put("t/extra.txt", b"only at the destination");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    let args = [
        "sync",
        "--delete",
        dir.path().to_str().unwrap(),
        &store.url("t"),
    ];
    let (code, stderr) = support::interrupted_at_first_progress(&args);
    assert_eq!(code, Some(130), "{stderr}");
    assert_eq!(store.names(""), ["t/extra.txt"], "{stderr}");
}

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

#[test]
fn odd_object_names_go_up_and_back_and_are_reachable_escaped() {
    let store = Store::new(Emulator::Moto, "odd");
    let dir = tempfile::tempdir().unwrap();
    let (src, back) = (dir.path().join("src"), dir.path().join("back"));
    let names = [
        "100%.txt",
        "a%41.txt",
        "what?.txt",
        "h#1.txt",
        "sp ace.txt",
        "\u{65e5}\u{672c} \u{1f600}.txt",
        "+plus&amp;=.txt",
    ];
    for name in names {
        write(&src.join(name), name.as_bytes());
    }
    run(&["cp", "-r", src.to_str().unwrap(), &store.url("o/")]).ok();
    let mut expected: Vec<String> = names.iter().map(|n| format!("o/{n}")).collect();
    expected.sort();
    assert_eq!(store.names(""), expected);
    let listed = run(&["ls", &store.url("o/")]).ok();
    for name in names {
        assert!(
            listed.stdout.contains(name),
            "{name} not listed: {listed:#?}"
        );
    }
    // In a URL, '%', '?' and '#' are written escaped.
    for (escaped, name) in [
        ("100%25.txt", "100%.txt"),
        ("a%2541.txt", "a%41.txt"),
        ("what%3F.txt", "what?.txt"),
        ("h%231.txt", "h#1.txt"),
        ("sp ace.txt", "sp ace.txt"),
    ] {
        let cat = run(&["cat", &store.url(&format!("o/{escaped}"))]).ok();
        assert_eq!(cat.stdout, name);
    }
    run(&["cp", "-r", &store.url("o"), back.to_str().unwrap()]).ok();
    support::assert_same_tree(&src, &back);
}

#[test]
fn a_lone_copy_that_fails_ends_with_one_line_and_its_errors_exit_code() {
    let store = Store::new(Emulator::Moto, "lone");
    store.put("z", b"z");
    let gone = Store::unmade(Emulator::Moto, "gone");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.txt");
    write(&file, b"f");
    // Into a bucket that does not exist: not found.
    let failed = run(&["cp", file.to_str().unwrap(), &gone.url("x")]).expect(4);
    assert_eq!(failed.stderr.lines().count(), 1, "{failed:#?}");
    assert!(failed.stderr.contains(&gone.bare("x")), "{failed:#?}");
    // Onto a directory of the object's name: the download fails.
    let into = dir.path().join("d");
    std::fs::create_dir_all(into.join("z")).unwrap();
    let failed = run(&["cp", &store.url("z"), into.to_str().unwrap()]).expect(1);
    assert_eq!(failed.stderr.lines().count(), 1, "{failed:#?}");
    assert!(failed.stderr.contains(&store.bare("z")), "{failed:#?}");
    // A move onto itself.
    refused(
        run(&["mv", &store.url("z"), &store.url("z")]),
        "its own destination",
    );
}

#[test]
fn a_standard_error_nobody_reads_never_stops_a_transfer() {
    let store = Store::new(Emulator::Moto, "stderr");
    let dir = tempfile::tempdir().unwrap();
    support::sample_tree(dir.path());
    let local = dir.path().to_str().unwrap();
    // Plain progress writes a line per file: the first one used to panic (exit 101)
    // and stop the copy there.
    let up =
        support::run_with_closed_stderr(&["--progress=plain", "cp", "-r", local, &store.url("t")]);
    assert_eq!(up.code, Some(0), "{up:#?}");
    assert_eq!(support::tree(dir.path()).len(), store.names("t/").len());
    let missing = support::run_with_closed_stderr(&["-v", "cat", &store.url("missing")]);
    assert_eq!(missing.code, Some(4), "{missing:#?}");
}

#[test]
fn control_characters_from_a_server_or_a_file_name_never_reach_the_terminal() {
    // A server's message with a title-setting escape, a carriage return and a colour.
    let message = "no\u{1b}]0;pwned\u{7}\r\nFAKE LINE\u{1b}[31m red";
    let body = format!("<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>");
    let server = FakeServer::start_with_request(move |_, _, stream| {
        respond(
            stream,
            403,
            "Content-Type: application/xml\r\n",
            body.as_bytes(),
        );
    });
    let url = format!("s3://b/k?endpoint={}&region=us-east-1", server.url(""));
    for args in [["cat", url.as_str()], ["ls", url.as_str()]] {
        let failed = run(&args).expect(1);
        assert_eq!(failed.stderr.lines().count(), 1, "{failed:#?}");
        assert!(failed.stderr.contains("FAKE LINE"), "{failed:#?}");
        let control = failed.stderr.trim_end().chars().any(char::is_control);
        assert!(!control, "{failed:#?}");
    }
    // A file name with a line break and an escape, in plain progress and in its error.
    let store = Store::new(Emulator::Moto, "control");
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("fine.txt"), b"fine");
    write(&dir.path().join("two\nlines\u{1b}[2J.txt"), b"odd");
    let args = [
        "--progress=plain",
        "cp",
        "-r",
        dir.path().to_str().unwrap(),
        &store.url("t"),
    ];
    let copied = run(&args).expect(3);
    assert!(!copied.stderr.contains('\u{1b}'), "{copied:#?}");
    for line in copied.stderr.lines() {
        let known = ["multicloud: ", "progress: ", "copy ", "copied "];
        assert!(
            known.iter().any(|k| line.starts_with(k)),
            "{line:?} in {copied:#?}"
        );
    }
    assert_eq!(store.names(""), ["t/fine.txt"]);
}

#[test]
fn one_transfer_at_a_time_or_256_copy_the_same_tree() {
    let store = Store::new(Emulator::Moto, "conc");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    support::sample_tree(&src);
    for n in 0..40 {
        write(&src.join(format!("many/{n}.txt")), n.to_string().as_bytes());
    }
    for concurrency in ["1", "256"] {
        let (up, back) = (store.url(concurrency), dir.path().join(concurrency));
        let flag = format!("--concurrency={concurrency}");
        run(&["cp", "-r", &flag, src.to_str().unwrap(), &up]).ok();
        run(&["sync", &flag, &up, back.to_str().unwrap()]).ok();
        support::assert_same_tree(&src, &back);
        run(&["rm", "-r", &flag, &up]).ok();
        assert!(store.names(&format!("{concurrency}/")).is_empty());
    }
}

#[test]
fn an_object_whose_name_fills_the_file_name_limit_downloads() {
    let store = Store::new(Emulator::Moto, "longname");
    let name = "n".repeat(240);
    store.put(&name, b"long");
    let dir = tempfile::tempdir().unwrap();
    let dest = format!("{}/", dir.path().to_str().unwrap());
    run(&["cp", &store.url(&name), &dest]).ok();
    assert_eq!(std::fs::read(dir.path().join(&name)).unwrap(), b"long");
}
