//! Where the S3 emulators are: `scripts/test` starts them and exports these variables.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The access key and secret `scripts/test` gives s3s (the server that checks signatures).
pub const S3S_KEY: &str = "multicloud-test-key";
pub const S3S_SECRET: &str = "multicloud-test-secret";

fn endpoint(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: the S3 tests need the local emulators, which scripts/test \
             installs and starts (run scripts/test, or start them with scripts/emulators and \
             export the variables it prints)"
        )
    })
}

/// moto's endpoint (S3 without signature checks).
pub fn moto() -> String {
    endpoint("MULTICLOUD_TEST_MOTO")
}

/// Our s3s-fs server's endpoint (verifies SigV4).
pub fn s3s() -> String {
    endpoint("MULTICLOUD_TEST_S3S")
}

/// A prefix no other test (or test process) uses, for bucket names.
pub fn unique_prefix() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "t{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        fastrand::u32(..) % 100_000
    )
}
