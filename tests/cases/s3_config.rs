// S3 configured from the process environment, and what secrets reach logs and `Debug`.
// Each case runs again in a child process with an environment of its own (see
// `common::child`). Included once per mode by `tests/s3.rs`, after `cases/s3.rs` and
// `cases/s3_trust.rs` (whose imports it uses).

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use mc::storage::AnyStorage;

use super::common::child;

/// What a child with no credentials anywhere and a non-UTF-8 variable must see.
fn no_credentials_child() {
    let built = S3Config::builder().from_env().expect("no panic, no error yet").build();
    let e = built.expect_err("no credentials is an error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("no S3 credentials"), "{e}");
    let e = S3::from_env().expect_err("no credentials is an error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = AnyStorage::from_url("s3://bucket").expect_err("no credentials is an error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("anonymous"), "{e}");
    let (anon, location) = AnyStorage::from_url("s3://bucket/p?anonymous=true").unwrap();
    assert!(location.anonymous);
    let AnyStorage::S3(s3) = anon else {
        panic!("s3:// builds S3")
    };
    assert!(s3.config().credentials.is_none());
}

/// What a child whose shared files are broken (as `MULTICLOUD_EXPECT` says) must see: a
/// configuration error naming the file and the profile, however the driver is built.
fn broken_files_child() {
    let expect = std::env::var("MULTICLOUD_EXPECT").unwrap();
    let errors = [
        S3Config::builder().from_env().and_then(|b| b.build()).map(|_| ()),
        S3::from_env().map(|_| ()),
        AnyStorage::from_url("s3://bucket").map(|_| ()),
    ];
    for r in errors {
        let e = r.expect_err("broken configuration is an error");
        let shown = format!("{e} {e:?}");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{shown}");
        for needle in expect.split('|') {
            assert!(shown.contains(needle), "{needle:?} missing from {shown}");
        }
        assert!(!shown.contains("SECRET-VALUE"), "{shown}");
    }
}

/// The cases of broken shared files: credentials file, extra variables, what the error
/// must name (besides the file).
const BROKEN_FILES: &[(&[u8], &[(&str, &str)], &str)] = &[
    (
        b"[default]\naws_access_key_id = A\naws_secret_access_key = SECRET-VALUE\n",
        &[("AWS_PROFILE", "typo")],
        "\"typo\"",
    ),
    (b"[work]\naws_access_key_id = W\n", &[("AWS_PROFILE", "work")], "\"work\"|aws_secret_access_key"),
    (b"[default\naws_access_key_id = A\naws_secret_access_key = SECRET-VALUE\n", &[], "line 1"),
    (b"[default]\naws_access_key_id = A\naws_secret_access_key = x\xff\n", &[], "UTF-8"),
];

#[maybe_async]
#[mode_test]
async fn s3_from_the_environment_needs_credentials_or_asks_for_anonymous() {
    match child::role().as_deref() {
        Some("no-credentials") => return no_credentials_child(),
        Some("broken-files") => return broken_files_child(),
        _ => {}
    }
    let me = child::test_path(
        module_path!(),
        "s3_from_the_environment_needs_credentials_or_asks_for_anonymous",
    );
    let home = tempfile::tempdir().unwrap();
    // A variable that is not UTF-8 anywhere in the environment must not matter.
    let not_utf8 = OsString::from_vec(vec![b'x', 0xff, 0xfe]);
    let base = [("HOME", home.path().into()), ("MULTICLOUD_NOT_UTF8", not_utf8)];
    child::run(&me, "no-credentials", &base);
    for (i, (file, extra, expect)) in BROKEN_FILES.iter().enumerate() {
        let path = home.path().join(format!("credentials-{i}"));
        std::fs::write(&path, file).unwrap();
        let mut vars = base.to_vec();
        vars.push(("AWS_SHARED_CREDENTIALS_FILE", path.clone().into()));
        vars.extend(extra.iter().map(|(k, v)| (*k, OsString::from(v))));
        let expect = format!("{}|{expect}", path.display());
        vars.push(("MULTICLOUD_EXPECT", expect.into()));
        child::run(&me, "broken-files", &vars);
    }
}
