//! What the big-object and listing phases share: the server, the clients' set-up
//! (object_store, the floor's reqwest client and signer), getrusage figures, medians and
//! within-round ratios.

use std::sync::Arc;
use std::time::Duration;

use crate::base::floor;

pub const KEY: &str = "multicloud-test-key";
pub const SECRET: &str = "multicloud-test-secret";

/// The s3s server `scripts/emulators` started.
pub fn endpoint() -> String {
    std::env::var("MULTICLOUD_TEST_S3S")
        .expect("MULTICLOUD_TEST_S3S: run under `scripts/emulators run -- ...`")
}

/// The tokio runtime every async client uses (as in `benches/s3_put_get.rs`).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The `n`th positional argument after the subcommand, or `default`.
pub fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n + 2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// object_store's S3 client for `bucket`, configured as in `main.rs`.
pub fn object_store(endpoint: &str, bucket: &str) -> object_store::aws::AmazonS3 {
    object_store::aws::AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(bucket)
        .with_access_key_id(KEY)
        .with_secret_access_key(SECRET)
        .with_region("us-east-1")
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build()
        .unwrap()
}

/// The floor's signer (`benches/s3_put_get.rs`, `mod floor`) for `endpoint`.
pub fn floor_signer(endpoint: &str) -> floor::Signer {
    floor::Signer {
        key: KEY.into(),
        secret: SECRET.into(),
        region: "us-east-1".into(),
        host: endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .into(),
    }
}

/// A bare reqwest client, built as the floor's in `benches/s3_put_get.rs`.
pub fn reqwest_client() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap()
}

/// This process's getrusage: user + system CPU time, and peak RSS in MiB.
pub fn rusage() -> (Duration, f64) {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    // Linux reports ru_maxrss in KiB.
    (tv(u.ru_utime) + tv(u.ru_stime), u.ru_maxrss as f64 / 1024.0)
}

/// This process's peak RSS in MiB: `VmHWM` of `/proc/self/status`, the high-water mark of
/// this program's own memory. (`ru_maxrss` is carried over `execve` from the memory the
/// process had before it, which for a child started with `posix_spawn`/`vfork` is the
/// parent's: it reports the parent's peak when that is higher.) Falls back to
/// `ru_maxrss` without `/proc`.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    hwm.map_or_else(|| rusage().1, |kib| kib / 1024.0)
}

/// Resets the peak [`peak_rss_mib`] reads to the current RSS (`clear_refs` 5, Linux 4.0+),
/// so that the next half's peak is its own. Memory freed but kept by glibc's allocator
/// (it stops returning 8 MiB blocks to the system once one was freed) is handed back first
/// with `malloc_trim`, or it would count in the next half's peak.
pub fn reset_peak_rss() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own.
    unsafe {
        libc::malloc_trim(0);
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time of this process so far.
pub fn cpu() -> Duration {
    rusage().0
}

/// The median of `v` (NaN when empty).
pub fn median(v: &[f64]) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The ratios `a[i] / b[i]` taken round by round: "median× [min-max]" (`-` without any).
pub fn ratios(a: &[f64], b: &[f64]) -> String {
    let mut r: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x / y)
        .filter(|r| r.is_finite())
        .collect();
    if r.is_empty() {
        return "-".into();
    }
    r.sort_by(f64::total_cmp);
    if r.len() == 1 {
        return format!("{:.2}×", r[0]);
    }
    format!("{:.2}× [{:.2}-{:.2}]", r[r.len() / 2], r[0], r[r.len() - 1])
}

/// `x` with `digits` decimals, or `-` for a missing figure.
pub fn fmt(x: f64, digits: usize) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{x:.digits$}")
    }
}
