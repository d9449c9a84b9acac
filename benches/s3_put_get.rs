//! N × 4 KiB PUT then GET against a local S3 server, at several concurrencies, in both
//! modes, next to a raw HTTP baseline (the same signed requests sent straight through
//! reqwest / ureq with no driver around them). Prints ops/s and client CPU µs per op
//! (getrusage: the server is another process) and the ratio to the baseline.
//!
//! ```text
//! scripts/emulators run -- cargo bench --bench s3_put_get -- [N] [CONCURRENCY...]
//! ```
//! It uses `MULTICLOUD_TEST_S3S` (our s3s-fs server, TCP_NODELAY on) started by
//! `scripts/emulators`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use multicloud::storage::s3::{S3Config, S3Requests};
use multicloud::storage::{ByteRange, UploadOptions};

const KEY: &str = "multicloud-test-key";
const SECRET: &str = "multicloud-test-secret";

fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the struct we pass and nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

struct Measure {
    ops_per_s: f64,
    cpu_us_per_op: f64,
}

fn measure(n: usize, f: impl FnOnce()) -> Measure {
    let (c0, t0) = (cpu_time(), Instant::now());
    f();
    let (wall, cpu) = (t0.elapsed(), cpu_time() - c0);
    Measure {
        ops_per_s: n as f64 / wall.as_secs_f64(),
        cpu_us_per_op: cpu.as_secs_f64() * 1e6 / n as f64,
    }
}

fn config(endpoint: &str) -> S3Config {
    S3Config::builder()
        .endpoint(endpoint)
        .credentials(multicloud::Credentials::new(KEY, SECRET))
        .build()
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrencies: Vec<usize> = if args.len() > 1 {
        args[1..].iter().filter_map(|a| a.parse().ok()).collect()
    } else {
        vec![1, 16]
    };
    let endpoint = std::env::var("MULTICLOUD_TEST_S3S")
        .expect("MULTICLOUD_TEST_S3S: run under scripts/emulators run -- cargo bench ...");
    let body = Bytes::from(vec![b'x'; 4096]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    // Set up one bucket.
    let b = multicloud::blocking::storage::S3::new(config(&endpoint)).unwrap();
    let bucket = format!("bench-{}", std::process::id());
    {
        use multicloud::blocking::storage::StorageDriver;
        b.create_container(&bucket).unwrap();
    }

    println!("{n} × 4 KiB objects, server {endpoint}");
    println!(
        "| client | conc | PUT ops/s | PUT CPU µs/op | GET ops/s | GET CPU µs/op | PUT CPU vs raw | GET CPU vs raw |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for &conc in &concurrencies {
        let keys: Vec<String> = (0..n).map(|i| format!("c{conc}/k{i:06}")).collect();
        let reqs = Arc::new(S3Requests::new(config(&endpoint)));

        // Raw async: reqwest + the same signed requests.
        let raw_async = {
            let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
            let client = reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .build()
                .unwrap();
            let put = measure(n, || {
                rt.block_on(multicloud::asynchronous::run_bounded(
                    keys.clone(),
                    conc,
                    |k| {
                        let (client, reqs, body, bucket) = (&client, &reqs, body.clone(), &bucket);
                        async move {
                            let r = reqs.put_object(
                                bucket,
                                &k,
                                body,
                                &UploadOptions::new(),
                                SystemTime::now(),
                            );
                            let mut rb = client.put(&r.url).body(r.body.clone());
                            for (h, v) in &r.headers {
                                rb = rb.header(h, v);
                            }
                            let resp = rb.send().await.unwrap();
                            assert!(resp.status().is_success());
                            resp.bytes().await.unwrap();
                        }
                    },
                ));
            });
            let get = measure(n, || {
                rt.block_on(multicloud::asynchronous::run_bounded(
                    keys.clone(),
                    conc,
                    |k| {
                        let (client, reqs, bucket) = (&client, &reqs, &bucket);
                        async move {
                            let r = reqs.get_object(bucket, &k, ByteRange::ALL, SystemTime::now());
                            let mut rb = client.get(&r.url);
                            for (h, v) in &r.headers {
                                rb = rb.header(h, v);
                            }
                            let resp = rb.send().await.unwrap();
                            assert!(resp.status().is_success());
                            assert_eq!(resp.bytes().await.unwrap().len(), 4096);
                        }
                    },
                ));
            });
            (put, get)
        };
        report("raw reqwest (async baseline)", conc, &raw_async, &raw_async);

        // Raw blocking: ureq + the same signed requests.
        let raw_blocking = {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let put = measure(n, || {
                multicloud::blocking::run_bounded(keys.clone(), conc, |k| {
                    let r = reqs.put_object(
                        &bucket,
                        &k,
                        body.clone(),
                        &UploadOptions::new(),
                        SystemTime::now(),
                    );
                    let mut rb = agent.put(&r.url);
                    for (h, v) in &r.headers {
                        rb = rb.header(h, v);
                    }
                    let resp = rb.send(&r.body[..]).unwrap();
                    assert!(resp.status().is_success());
                    resp.into_body().read_to_vec().unwrap();
                });
            });
            let get = measure(n, || {
                multicloud::blocking::run_bounded(keys.clone(), conc, |k| {
                    let r = reqs.get_object(&bucket, &k, ByteRange::ALL, SystemTime::now());
                    let mut rb = agent.get(&r.url);
                    for (h, v) in &r.headers {
                        rb = rb.header(h, v);
                    }
                    let resp = rb.call().unwrap();
                    assert!(resp.status().is_success());
                    assert_eq!(resp.into_body().read_to_vec().unwrap().len(), 4096);
                });
            });
            (put, get)
        };
        report(
            "raw ureq (blocking baseline)",
            conc,
            &raw_blocking,
            &raw_blocking,
        );

        // multicloud, async mode.
        {
            use multicloud::asynchronous::storage::{S3, StorageDriver};
            let s3 = S3::new(config(&endpoint)).unwrap();
            let put = measure(n, || {
                rt.block_on(multicloud::asynchronous::run_bounded(
                    keys.clone(),
                    conc,
                    |k| {
                        let (s3, body, bucket) = (&s3, body.clone(), &bucket);
                        async move {
                            s3.upload_bytes(bucket, &k, body, &UploadOptions::new())
                                .await
                                .unwrap();
                        }
                    },
                ));
            });
            let get = measure(n, || {
                rt.block_on(multicloud::asynchronous::run_bounded(
                    keys.clone(),
                    conc,
                    |k| {
                        let (s3, bucket) = (&s3, &bucket);
                        async move {
                            let (_, mut r) = s3.open_object(bucket, &k).await.unwrap();
                            let mut v = Vec::with_capacity(4096);
                            tokio::io::AsyncReadExt::read_to_end(&mut r, &mut v)
                                .await
                                .unwrap();
                            assert_eq!(v.len(), 4096);
                        }
                    },
                ));
            });
            report("multicloud async", conc, &(put, get), &raw_async);
        }

        // multicloud, blocking mode.
        {
            use multicloud::blocking::storage::{S3, StorageDriver};
            let s3 = S3::new(config(&endpoint)).unwrap();
            let put = measure(n, || {
                multicloud::blocking::run_bounded(keys.clone(), conc, |k| {
                    s3.upload_bytes(&bucket, &k, body.clone(), &UploadOptions::new())
                        .unwrap();
                });
            });
            let get = measure(n, || {
                multicloud::blocking::run_bounded(keys.clone(), conc, |k| {
                    let (_, mut r) = s3.open_object(&bucket, &k).unwrap();
                    let mut v = Vec::with_capacity(4096);
                    std::io::Read::read_to_end(&mut r, &mut v).unwrap();
                    assert_eq!(v.len(), 4096);
                });
            });
            report("multicloud blocking", conc, &(put, get), &raw_blocking);
        }
    }
}

fn report(name: &str, conc: usize, ours: &(Measure, Measure), raw: &(Measure, Measure)) {
    println!(
        "| {name} | {conc} | {:.0} | {:.1} | {:.0} | {:.1} | {:.2}× | {:.2}× |",
        ours.0.ops_per_s,
        ours.0.cpu_us_per_op,
        ours.1.ops_per_s,
        ours.1.cpu_us_per_op,
        ours.0.cpu_us_per_op / raw.0.cpu_us_per_op,
        ours.1.cpu_us_per_op / raw.1.cpu_us_per_op,
    );
}
