//! N × 4 KiB PUT then GET against a local S3 server, at several concurrencies, in both
//! modes, next to a raw HTTP baseline (the same signed requests sent straight through
//! reqwest / ureq, no driver around them). Prints ops/s and client CPU µs per op
//! (getrusage: the server is another process) and the ratio to the baseline.
//!
//! ```text
//! scripts/emulators run -- cargo bench --all-features --bench s3_put_get -- [N] [CONCURRENCY...]
//! ```
//! It uses `MULTICLOUD_TEST_S3S` (our s3s-fs server, TCP_NODELAY on). Each client runs
//! `ROUNDS` times (env, default 3), interleaved with the others; the table shows each
//! client's median round, since client and server share the machine.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use multicloud::storage::s3::{S3Config, S3Requests};
use multicloud::storage::{GetOptions, UploadOptions};

const KEY: &str = "multicloud-test-key";
const SECRET: &str = "multicloud-test-secret";

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

#[derive(Clone, Copy)]
pub struct Measure {
    pub ops_per_s: f64,
    pub cpu_us_per_op: f64,
}

pub fn measure(n: usize, f: impl FnOnce()) -> Measure {
    let (c0, t0) = (cpu_time(), Instant::now());
    f();
    let (wall, cpu) = (t0.elapsed(), cpu_time() - c0);
    Measure {
        ops_per_s: n as f64 / wall.as_secs_f64(),
        cpu_us_per_op: cpu.as_secs_f64() * 1e6 / n as f64,
    }
}

fn median(mut v: Vec<Measure>) -> Measure {
    v.sort_by(|a, b| a.cpu_us_per_op.total_cmp(&b.cpu_us_per_op));
    v[v.len() / 2]
}

pub fn config(endpoint: &str) -> S3Config {
    S3Config::builder()
        .endpoint(endpoint)
        .credentials(multicloud::Credentials::new(KEY, SECRET))
        .build()
        .unwrap()
}

/// What every client does: PUT then GET each key, `conc` at a time.
pub type Client<'a> = Box<dyn Fn(&[String], usize) -> (Measure, Measure) + 'a>;

/// What extra clients (the peers, in `tools/bench-peers`) get to build themselves.
pub struct Env {
    /// The S3 endpoint.
    pub endpoint: String,
    /// The bucket (already created).
    pub bucket: String,
    /// The 4 KiB body.
    pub body: Bytes,
    /// The tokio runtime every async client uses.
    pub rt: tokio::runtime::Runtime,
}

/// Extra clients to compare: name and client; their ratios are to the async baseline.
pub type Extra = dyn for<'a> Fn(&'a Env) -> Vec<(&'static str, Client<'a>)>;

#[allow(dead_code)]
fn main() {
    run(&|_| Vec::new());
}

/// Runs the baselines, multicloud in both modes, and `extra` clients, round-robin.
pub fn run(extra: &Extra) {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrencies: Vec<usize> = match args.get(1..) {
        Some(rest) if !rest.is_empty() => rest.iter().filter_map(|a| a.parse().ok()).collect(),
        _ => vec![1, 16],
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let endpoint = std::env::var("MULTICLOUD_TEST_S3S")
        .expect("MULTICLOUD_TEST_S3S: run under `scripts/emulators run -- cargo bench ...`");
    let env = Env {
        endpoint: endpoint.clone(),
        bucket: format!("bench-{}", std::process::id()),
        body: Bytes::from(vec![b'x'; 4096]),
        rt: tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let (body, rt, bucket) = (&env.body, &env.rt, &env.bucket);
    {
        use multicloud::blocking::storage::StorageDriver;
        let b = multicloud::blocking::storage::S3::new(config(&endpoint)).unwrap();
        b.create_container(bucket).unwrap();
    }
    let reqs = Arc::new(S3Requests::new(config(&endpoint)));
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let reqwest_client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let async_s3 = multicloud::asynchronous::storage::S3::new(config(&endpoint)).unwrap();
    let blocking_s3 = multicloud::blocking::storage::S3::new(config(&endpoint)).unwrap();

    let raw_async: Client = Box::new(|keys, conc| {
        let put = measure(keys.len(), || {
            rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let (client, reqs, body, bucket) =
                        (&reqwest_client, &reqs, body.clone(), &bucket);
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
        let get = measure(keys.len(), || {
            rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let (client, reqs, bucket) = (&reqwest_client, &reqs, &bucket);
                    async move {
                        let r = reqs.get_object(bucket, &k, &GetOptions::new(), SystemTime::now());
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
    });

    let raw_blocking: Client = Box::new(|keys, conc| {
        let put = measure(keys.len(), || {
            multicloud::blocking::run_bounded(keys.to_vec(), conc, |k| {
                let r = reqs.put_object(
                    bucket,
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
        let get = measure(keys.len(), || {
            multicloud::blocking::run_bounded(keys.to_vec(), conc, |k| {
                let r = reqs.get_object(bucket, &k, &GetOptions::new(), SystemTime::now());
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
    });

    let ours_async: Client = Box::new(|keys, conc| {
        use multicloud::asynchronous::storage::StorageDriver;
        let put = measure(keys.len(), || {
            rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let (s3, body, bucket) = (&async_s3, body.clone(), &bucket);
                    async move {
                        s3.upload_bytes(bucket, &k, body, &UploadOptions::new())
                            .await
                            .unwrap();
                    }
                },
            ));
        });
        let get = measure(keys.len(), || {
            rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let (s3, bucket) = (&async_s3, &bucket);
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
        (put, get)
    });

    let ours_blocking: Client = Box::new(|keys, conc| {
        use multicloud::blocking::storage::StorageDriver;
        let put = measure(keys.len(), || {
            multicloud::blocking::run_bounded(keys.to_vec(), conc, |k| {
                blocking_s3
                    .upload_bytes(bucket, &k, body.clone(), &UploadOptions::new())
                    .unwrap();
            });
        });
        let get = measure(keys.len(), || {
            multicloud::blocking::run_bounded(keys.to_vec(), conc, |k| {
                let (_, mut r) = blocking_s3.open_object(bucket, &k).unwrap();
                let mut v = Vec::with_capacity(4096);
                std::io::Read::read_to_end(&mut r, &mut v).unwrap();
                assert_eq!(v.len(), 4096);
            });
        });
        (put, get)
    });

    let extras = extra(&env);
    let mut clients: Vec<(&str, &Client, usize)> = vec![
        ("raw reqwest (async baseline)", &raw_async, 0),
        ("raw ureq (blocking baseline)", &raw_blocking, 1),
        ("multicloud async", &ours_async, 0),
        ("multicloud blocking", &ours_blocking, 1),
    ];
    clients.extend(extras.iter().map(|(name, c)| (*name, c, 0)));
    // ONLY=substring runs just the matching clients (for profiling one of them).
    let only = std::env::var("ONLY").unwrap_or_default();
    println!("{n} × 4 KiB objects, {rounds} rounds (median shown), server {endpoint}\n");
    println!(
        "| client | conc | PUT ops/s | PUT CPU µs/op | GET ops/s | GET CPU µs/op | PUT CPU vs its baseline | GET CPU vs its baseline |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for &conc in &concurrencies {
        let keys: Vec<String> = (0..n).map(|i| format!("c{conc}/k{i:06}")).collect();
        let mut puts: Vec<Vec<Measure>> = vec![Vec::new(); clients.len()];
        let mut gets: Vec<Vec<Measure>> = vec![Vec::new(); clients.len()];
        for _ in 0..rounds {
            for (i, (name, client, _)) in clients.iter().enumerate() {
                if !name.contains(only.as_str()) {
                    continue;
                }
                let (p, g) = client(&keys, conc);
                puts[i].push(p);
                gets[i].push(g);
            }
        }
        if !only.is_empty() {
            continue;
        }
        let put: Vec<Measure> = puts.into_iter().map(median).collect();
        let get: Vec<Measure> = gets.into_iter().map(median).collect();
        for (i, (name, _, baseline)) in clients.iter().enumerate() {
            println!(
                "| {name} | {conc} | {:.0} | {:.1} | {:.0} | {:.1} | {:.2}× | {:.2}× |",
                put[i].ops_per_s,
                put[i].cpu_us_per_op,
                get[i].ops_per_s,
                get[i].cpu_us_per_op,
                put[i].cpu_us_per_op / put[*baseline].cpu_us_per_op,
                get[i].cpu_us_per_op / get[*baseline].cpu_us_per_op,
            );
        }
    }
}
