//! Where Azurite and fake-gcs-server are: `scripts/test` starts them and exports these
//! variables (see `scripts/emulators`).

fn endpoint(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: these tests need the local emulators, which scripts/test \
             installs and starts (run scripts/test, or start them with scripts/emulators and \
             export the variables it prints)"
        )
    })
}

/// Azurite's blob endpoint, account included: `http://127.0.0.1:PORT/devstoreaccount1`.
pub fn azurite() -> String {
    endpoint("MULTICLOUD_TEST_AZURITE")
}

/// The account Azurite serves and its well-known key.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// fake-gcs-server's endpoint: `http://127.0.0.1:PORT`.
pub fn gcs() -> String {
    endpoint("MULTICLOUD_TEST_GCS")
}
