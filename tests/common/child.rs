//! Runs one test of the current test binary again, alone, in a child process whose
//! environment the test chooses: setting variables inside a multi-threaded test process is
//! unsound, and a global logger would see every other test's traffic.

use std::ffi::OsString;
use std::process::Command;

/// The variable naming the role a child plays.
const ROLE: &str = "MULTICLOUD_TEST_CHILD_ROLE";

/// The role this process was started for, if it is such a child.
pub fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// Runs test `test` (its path in the binary, `blocking::name`) in a child playing `role`,
/// with an empty environment plus `vars`; panics with the child's output unless exactly
/// that one test ran and passed.
pub fn run(test: &str, role: &str, vars: &[(&str, OsString)]) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(ROLE, role)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("the test binary starts again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {role:?} of {test} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The test path (`blocking::name`) of test `name` in the module `module_path!()` gave.
pub fn test_path(module_path: &str, name: &str) -> String {
    let module = module_path.split_once("::").map_or("", |(_, m)| m);
    format!("{module}::{name}")
}
