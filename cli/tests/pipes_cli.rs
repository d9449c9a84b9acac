//! `-` as a location: standard input uploaded, an object written to standard output.

mod support;

use std::io::Write;
use std::process::Stdio;
use support::{Emulator, Store, multicloud, pattern, run};

#[test]
fn standard_input_goes_up_and_an_object_comes_back_on_standard_output() {
    let store = Store::new(Emulator::Moto, "pipes");
    // Past one part, so the upload from a pipe (size unknown) is a multipart one.
    let data = pattern(20 << 20);
    let mut child = multicloud()
        .args(["cp", "-", &store.url("in/data.json")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(store.get("in/data.json"), data);
    let stat = run(&["stat", "--json", &store.url("in/data.json")]).ok();
    assert!(stat.stdout.contains("application/json"), "{stat:#?}");

    let down = multicloud()
        .args(["cp", &store.url("in/data.json"), "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(down.status.success(), "{:?}", down.status);
    assert!(
        down.stdout == data,
        "standard output differs from the object"
    );
}

#[test]
fn a_dash_takes_one_object_with_cp_only() {
    let store = Store::new(Emulator::Moto, "pipes");
    for args in [
        vec!["mv", "-", "URL"],
        vec!["cp", "-r", "-", "URL"],
        vec!["cp", "-", "-"],
        vec!["cp", "-", "URL/"],
    ] {
        let (url, dir) = (store.url("k"), store.url("k/"));
        let args: Vec<&str> = args
            .iter()
            .map(|a| match *a {
                "URL" => url.as_str(),
                "URL/" => dir.as_str(),
                a => a,
            })
            .collect();
        let failed = run(&args).expect(1);
        assert_eq!(failed.stderr.lines().count(), 1, "{failed:#?}");
    }
    assert!(store.names("").is_empty(), "nothing was written");
}
