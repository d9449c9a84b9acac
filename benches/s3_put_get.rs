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
use std::time::{Duration, Instant};

use bytes::Bytes;
use multicloud::storage::UploadOptions;
use multicloud::storage::s3::S3Config;

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
        // s3s checks a PutObject's CRC32C (and answers its own), as AWS does: the setting
        // an AWS endpoint gets by default.
        .upload_checksum(multicloud::storage::s3::UploadChecksum::Crc32c)
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
    let signer = floor::Signer {
        key: KEY.into(),
        secret: SECRET.into(),
        region: "us-east-1".into(),
        host: endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .into(),
    };
    let signer = &signer;
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
                    let (client, body, bucket, endpoint) =
                        (&reqwest_client, body.clone(), &bucket, &endpoint);
                    async move {
                        let path = format!("/{bucket}/{k}");
                        let headers = signer.sign("PUT", &path, &body);
                        let mut rb = client.put(format!("{endpoint}{path}")).body(body);
                        for (h, v) in &headers {
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
                    let (client, bucket, endpoint) = (&reqwest_client, &bucket, &endpoint);
                    async move {
                        let path = format!("/{bucket}/{k}");
                        let mut rb = client.get(format!("{endpoint}{path}"));
                        for (h, v) in &signer.sign("GET", &path, b"") {
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
                let path = format!("/{bucket}/{k}");
                let mut rb = agent.put(format!("{endpoint}{path}"));
                for (h, v) in &signer.sign("PUT", &path, body) {
                    rb = rb.header(h, v);
                }
                let resp = rb.send(&body[..]).unwrap();
                assert!(resp.status().is_success());
                resp.into_body().read_to_vec().unwrap();
            });
        });
        let get = measure(keys.len(), || {
            multicloud::blocking::run_bounded(keys.to_vec(), conc, |k| {
                let path = format!("/{bucket}/{k}");
                let mut rb = agent.get(format!("{endpoint}{path}"));
                for (h, v) in &signer.sign("GET", &path, b"") {
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
        // PUTs through the helper a user calls for many uploads.
        let items: Vec<(String, Bytes)> = keys.iter().map(|k| (k.clone(), body.clone())).collect();
        let put = measure(keys.len(), || {
            let done =
                rt.block_on(async_s3.upload_many(bucket, items, &UploadOptions::new(), conc));
            assert!(done.iter().all(Result::is_ok));
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
        let items: Vec<(String, Bytes)> = keys.iter().map(|k| (k.clone(), body.clone())).collect();
        let put = measure(keys.len(), || {
            let done = blocking_s3.upload_many(bucket, items, &UploadOptions::new(), conc);
            assert!(done.iter().all(Result::is_ok));
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

    // The same driver on plain spawned tasks, as an async user may also write it.
    let ours_spawned: Client = Box::new(|keys, conc| {
        use multicloud::asynchronous::storage::StorageDriver;
        let limit = Arc::new(tokio::sync::Semaphore::new(conc));
        let spawn_all = |put: bool| {
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for k in keys {
                    let (s3, body, bucket, k) =
                        (async_s3.clone(), body.clone(), bucket.clone(), k.clone());
                    let permit = limit.clone().acquire_owned().await.unwrap();
                    tasks.spawn(async move {
                        if put {
                            s3.upload_bytes(&bucket, &k, body, &UploadOptions::new())
                                .await
                                .unwrap();
                        } else {
                            assert_eq!(s3.download_bytes(&bucket, &k).await.unwrap().len(), 4096);
                        }
                        drop(permit);
                    });
                }
                while let Some(r) = tasks.join_next().await {
                    r.unwrap();
                }
            })
        };
        let put = measure(keys.len(), || spawn_all(true));
        let get = measure(keys.len(), || spawn_all(false));
        (put, get)
    });

    let extras = extra(&env);
    let mut clients: Vec<(&str, &Client)> = vec![
        ("raw reqwest + own signer (the floor)", &raw_async),
        ("raw ureq + own signer", &raw_blocking),
        ("multicloud async", &ours_async),
        ("multicloud blocking", &ours_blocking),
        ("multicloud async, spawned tasks", &ours_spawned),
    ];
    clients.extend(extras.iter().map(|(name, c)| (*name, c)));
    // ONLY=name runs just that client (or, when no name is exactly that, the clients whose
    // names contain it) next to the floor, for profiling one of them.
    let only = std::env::var("ONLY").unwrap_or_default();
    let exact = clients.iter().any(|(name, _)| *name == only);
    println!("{n} × 4 KiB objects, {rounds} rounds interleaved, server {endpoint}");
    println!(
        "CPU per op: median round; vs floor: median [min-max] of the ratios taken within each round\n"
    );
    println!(
        "| client | conc | PUT ops/s | PUT CPU µs/op | PUT vs floor | GET ops/s | GET CPU µs/op | GET vs floor |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for &conc in &concurrencies {
        let keys: Vec<String> = (0..n).map(|i| format!("c{conc}/k{i:06}")).collect();
        let mut puts: Vec<Vec<Measure>> = vec![Vec::new(); clients.len()];
        let mut gets: Vec<Vec<Measure>> = vec![Vec::new(); clients.len()];
        for _ in 0..rounds {
            for (i, (name, client)) in clients.iter().enumerate() {
                let picked = if exact {
                    *name == only
                } else {
                    name.contains(only.as_str())
                };
                if i > 0 && !picked {
                    continue;
                }
                let (p, g) = client(&keys, conc);
                puts[i].push(p);
                gets[i].push(g);
            }
        }
        for (i, (name, _)) in clients.iter().enumerate() {
            if puts[i].is_empty() {
                continue;
            }
            let (put, get) = (median(puts[i].clone()), median(gets[i].clone()));
            println!(
                "| {name} | {conc} | {:.0} | {:.1} | {} | {:.0} | {:.1} | {} |",
                put.ops_per_s,
                put.cpu_us_per_op,
                ratios(&puts[i], &puts[0]),
                get.ops_per_s,
                get.cpu_us_per_op,
                ratios(&gets[i], &gets[0]),
            );
        }
    }
}

/// The CPU ratios of `ours` to `floor` taken round by round: "median× [min-max]".
fn ratios(ours: &[Measure], floor: &[Measure]) -> String {
    let mut r: Vec<f64> = ours
        .iter()
        .zip(floor)
        .map(|(o, f)| o.cpu_us_per_op / f.cpu_us_per_op)
        .collect();
    r.sort_by(f64::total_cmp);
    format!("{:.2}× [{:.2}-{:.2}]", r[r.len() / 2], r[0], r[r.len() - 1])
}

/// The floor: what a user without a library writes — a minimal SigV4 header signer of its
/// own (path-style, SHA-256 payload hash, the key derived per request), no retries, no
/// response checks beyond the status. It shares no code with multicloud's signer.
pub mod floor {
    use std::time::SystemTime;

    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    pub struct Signer {
        pub key: String,
        pub secret: String,
        pub region: String,
        pub host: String,
    }

    fn hmac(key: &[u8], data: &str) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        m.update(data.as_bytes());
        m.finalize().into_bytes().to_vec()
    }

    fn stamp(now: SystemTime) -> (String, String) {
        let t = time::OffsetDateTime::from(now);
        let day = format!("{:04}{:02}{:02}", t.year(), t.month() as u8, t.day());
        let full = format!("{day}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
        (day, full)
    }

    impl Signer {
        /// The headers to send with `method` on `path` (already URL-safe) and `body`.
        pub fn sign(&self, method: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
            let (day, date) = stamp(SystemTime::now());
            let payload = hex::encode(Sha256::digest(body));
            let canonical = format!(
                "{method}\n{path}\n\nhost:{}\nx-amz-content-sha256:{payload}\nx-amz-date:{date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload}",
                self.host
            );
            let scope = format!("{day}/{}/s3/aws4_request", self.region);
            let to_sign = format!(
                "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
                hex::encode(Sha256::digest(canonical.as_bytes()))
            );
            let k = hmac(format!("AWS4{}", self.secret).as_bytes(), &day);
            let k = hmac(&hmac(&hmac(&k, &self.region), "s3"), "aws4_request");
            let signature = hex::encode(hmac(&k, &to_sign));
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
                self.key
            );
            vec![
                ("x-amz-date".into(), date),
                ("x-amz-content-sha256".into(), payload),
                ("authorization".into(), auth),
            ]
        }
    }
}
