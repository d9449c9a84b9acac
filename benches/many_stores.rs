//! Use case 1: list many stores at once. N stores (one S3 driver and bucket each, on our
//! s3s server), each holding K objects; each store's full listing is timed alone, then all
//! of them at once through the helper a user calls (`run_bounded`), in both modes. The
//! figure: the concurrent wall time over the slowest single listing (1.00 means "costs the
//! slowest store, not the sum").
//!
//! ```text
//! scripts/emulators run -- cargo bench --all-features --bench many_stores -- [N] [K]
//! cargo bench --all-features --bench many_stores -- [N] [K] [LATENCY_MS]
//! ```
//!
//! With a latency, each store is an in-process fake of its own that answers every
//! ListObjectsV2 page after that delay (stores far away, whose servers do not share this
//! machine's cores), so what is left is the client's own cost of doing them at once. With
//! the two cores shared with one local s3s, the server's CPU is what is measured.

use std::time::{Duration, Instant};

use multicloud::storage::UploadOptions;
use multicloud::storage::s3::S3Config;

fn config(endpoint: &str) -> S3Config {
    S3Config::builder()
        .endpoint(endpoint)
        .credentials(multicloud::Credentials::new(
            "multicloud-test-key",
            "multicloud-test-secret",
        ))
        .build()
        .unwrap()
}

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

/// Wall time and this process's CPU time of `f`.
fn timed_cpu<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let c = cpu_time();
    let (r, wall) = timed(f);
    (r, wall, cpu_time() - c)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (stores, keys) = (
        args.first().copied().unwrap_or(8),
        args.get(1).copied().unwrap_or(2000),
    );
    let buckets: Vec<String> = (0..stores)
        .map(|i| format!("many-{}-{i}", std::process::id()))
        .collect();
    let endpoints: Vec<String> = match args.get(2) {
        Some(&ms) => {
            let latency = Duration::from_millis(ms as u64);
            println!(
                "{stores} stores × {keys} objects, full listings, fakes answering each page after {ms} ms\n"
            );
            (0..stores).map(|_| fake_store(keys, latency)).collect()
        }
        None => {
            let endpoint = std::env::var("MULTICLOUD_TEST_S3S").expect(
                "MULTICLOUD_TEST_S3S: run under `scripts/emulators run -- cargo bench ...`",
            );
            populate(&endpoint, &buckets, keys);
            println!("{stores} stores × {keys} objects, full listings, server {endpoint}\n");
            vec![endpoint; stores]
        }
    };
    println!(
        "| mode | slowest alone | sum alone | all at once | at once / slowest | client CPU at once |"
    );
    println!("|---|---|---|---|---|---|");
    blocking_round(&endpoints, &buckets, keys);
    async_round(&endpoints, &buckets, keys);
}

/// A store that lists `keys` objects, 1,000 a page, each page after `latency`; returns
/// its endpoint.
fn fake_store(keys: usize, latency: Duration) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Built before any listing starts: a far-away store's CPU is not this machine's.
    let pages: std::sync::Arc<Vec<String>> = std::sync::Arc::new(
        (0..keys.max(1))
            .step_by(1000)
            .map(|from| page(from, keys))
            .collect(),
    );
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let pages = pages.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 << 10];
                let mut head = Vec::new();
                loop {
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    head.clear();
                    let from = text
                        .split(['?', '&', ' '])
                        .find_map(|p| p.strip_prefix("continuation-token="))
                        .and_then(|t| t.parse::<usize>().ok())
                        .unwrap_or(0);
                    std::thread::sleep(latency);
                    let Some(body) = pages.get(from / 1000) else {
                        return;
                    };
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if conn
                        .write_all(resp.as_bytes())
                        .and_then(|_| conn.write_all(body.as_bytes()))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// One ListObjectsV2 page from key `from`.
fn page(from: usize, keys: usize) -> String {
    let to = (from + 1000).min(keys);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix></Prefix>",
    );
    xml.push_str(&format!(
        "<KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys>",
        to - from
    ));
    if to < keys {
        xml.push_str(&format!(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>{to}</NextContinuationToken>"
        ));
    } else {
        xml.push_str("<IsTruncated>false</IsTruncated>");
    }
    for k in from..to {
        xml.push_str(&format!("<Contents><Key>k{k:06}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"));
    }
    xml.push_str("</ListBucketResult>");
    xml
}

fn populate(endpoint: &str, buckets: &[String], keys: usize) {
    use multicloud::blocking::storage::{S3, StorageDriver};
    let s3 = S3::new(config(endpoint)).unwrap();
    for b in buckets {
        s3.create_container(b).unwrap();
        let items: Vec<(String, Vec<u8>)> =
            (0..keys).map(|k| (format!("k{k:06}"), vec![1])).collect();
        let done = s3.upload_many(b, items, &UploadOptions::new(), 16);
        assert!(done.iter().all(Result::is_ok));
    }
}

fn report(mode: &str, alone: &[Duration], (together, cpu): (Duration, Duration)) {
    let slowest = alone.iter().max().copied().unwrap_or_default();
    let sum: Duration = alone.iter().sum();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "| {mode} | {:.1} ms | {:.1} ms | {:.1} ms | {:.2}× | {:.1} ms |",
        ms(slowest),
        ms(sum),
        ms(together),
        together.as_secs_f64() / slowest.as_secs_f64(),
        ms(cpu),
    );
}

fn blocking_round(endpoints: &[String], buckets: &[String], keys: usize) {
    use multicloud::blocking::storage::{S3, StorageDriver};
    let drivers: Vec<(S3, &String)> = endpoints
        .iter()
        .zip(buckets)
        .map(|(e, b)| (S3::new(config(e)).unwrap(), b))
        .collect();
    let alone: Vec<Duration> = drivers
        .iter()
        .map(|(d, b)| {
            let (n, t) = timed(|| d.list_objects(b, "").unwrap().len());
            assert_eq!(n, keys);
            t
        })
        .collect();
    let (counts, together, cpu) = timed_cpu(|| {
        multicloud::blocking::run_bounded(drivers.clone(), drivers.len(), |(d, b)| {
            d.list_objects(b, "").unwrap().len()
        })
    });
    assert!(counts.iter().all(|&n| n == keys));
    report("blocking", &alone, (together, cpu));
}

fn async_round(endpoints: &[String], buckets: &[String], keys: usize) {
    use multicloud::asynchronous::storage::{S3, StorageDriver};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let drivers: Vec<(S3, String)> = endpoints
        .iter()
        .zip(buckets)
        .map(|(e, b)| (S3::new(config(e)).unwrap(), b.clone()))
        .collect();
    let alone: Vec<Duration> = drivers
        .iter()
        .map(|(d, b)| {
            let (n, t) = timed(|| rt.block_on(d.list_objects(b, "")).unwrap().len());
            assert_eq!(n, keys);
            t
        })
        .collect();
    let (counts, together, cpu) = timed_cpu(|| {
        rt.block_on(multicloud::asynchronous::run_bounded(
            drivers.clone(),
            drivers.len(),
            |(d, b)| async move { d.list_objects(&b, "").await.unwrap().len() },
        ))
    });
    assert!(counts.iter().all(|&n| n == keys));
    report("async", &alone, (together, cpu));
}
