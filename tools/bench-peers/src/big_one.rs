//! The child process of `bench-peers big`: one client uploads one big generated object
//! (nothing held whole) and downloads it streamed into a sink that checks every byte, so
//! that the process's peak RSS and CPU time are that client's own. Prints one line:
//!
//! ```text
//! result up_mibs=.. up_cpu_s=.. up_rss_mib=.. down_mibs=.. down_cpu_s=.. down_rss_mib=.. maxrss_mib=..
//! ```
//! (`*_rss_mib` is `VmHWM` during each half, the peak reset in between; `maxrss_mib` is
//! getrusage's `ru_maxrss` read before each reset, so the whole process's: see
//! [`peak_rss_mib`](crate::common::peak_rss_mib) for why they can differ.)
//! Run by the parent as `bench-peers big-one CLIENT MIB BUCKET` (see `big.rs`); the floor
//! only downloads, the object seeded as [`SEED_KEY`] by `big-one seed MIB BUCKET` (also a
//! child, so that the parent stays small).

use std::io::Read;
use std::time::Instant;

use bytes::Bytes;
use multicloud::asynchronous::StreamExt;
use multicloud::storage::UploadOptions;

use crate::base::config;
use crate::common::{arg, endpoint, floor_signer, object_store, peak_rss_mib, reqwest_client};
use crate::common::{reset_peak_rss, runtime, rusage};
use crate::pattern::{Checker, Generator};

/// The object the floor downloads (uploaded once per run by `big-one seed`).
pub const SEED_KEY: &str = "big/seed.bin";

/// The read buffer of the clients that hand out a reader (the same for both modes).
const READ_BUF: usize = 256 << 10;

/// What each half took: MiB/s, CPU seconds and peak RSS.
struct Half {
    mibs: f64,
    cpu_s: f64,
    rss_mib: f64,
    maxrss_mib: f64,
}

/// Runs `f`, which moves `len` bytes, and measures it; the peak RSS is that since the
/// previous half (or the start).
fn half(len: u64, f: impl FnOnce()) -> Half {
    let (c0, t0) = (rusage().0, Instant::now());
    f();
    let (wall, cpu) = (t0.elapsed(), rusage().0 - c0);
    let (rss_mib, maxrss_mib) = (peak_rss_mib(), rusage().1);
    // The reset lowers ru_maxrss as well: it was read first.
    reset_peak_rss();
    Half {
        mibs: (len as f64 / (1 << 20) as f64) / wall.as_secs_f64(),
        cpu_s: cpu.as_secs_f64(),
        rss_mib,
        maxrss_mib,
    }
}

/// The hidden subcommand `big-one CLIENT MIB BUCKET`.
pub fn run() {
    let client: String = arg(0, String::new());
    let len = arg(1, 256u64) << 20;
    let bucket: String = arg(2, String::new());
    let ep = endpoint();
    if client == "seed" {
        return seed(&ep, &bucket, len);
    }
    let (up, down) = match client.as_str() {
        "multicloud-async" => multicloud_async(&ep, &bucket, len),
        "multicloud-blocking" => multicloud_blocking(&ep, &bucket, len),
        "object_store" => object_store_client(&ep, &bucket, len),
        "floor" => (None, floor(&ep, &bucket, len)),
        other => panic!("unknown client {other:?}"),
    };
    let nan = Half {
        mibs: f64::NAN,
        cpu_s: f64::NAN,
        rss_mib: f64::NAN,
        maxrss_mib: f64::NAN,
    };
    let up = up.unwrap_or(nan);
    println!(
        "result up_mibs={:.2} up_cpu_s={:.3} up_rss_mib={:.1} down_mibs={:.2} down_cpu_s={:.3} down_rss_mib={:.1} maxrss_mib={:.1}",
        up.mibs,
        up.cpu_s,
        up.rss_mib,
        down.mibs,
        down.cpu_s,
        down.rss_mib,
        up.maxrss_mib.max(down.maxrss_mib),
    );
}

/// Uploads the object the floor downloads (with multicloud blocking; not measured).
fn seed(ep: &str, bucket: &str, len: u64) {
    use multicloud::blocking::storage::{S3, StorageDriver};
    let s3 = S3::new(config(ep)).unwrap();
    let o = s3
        .upload_reader(bucket, SEED_KEY, Generator::new(len), &UploadOptions::new())
        .unwrap();
    assert_eq!(o.size, len);
}

fn key(client: &str) -> String {
    format!("big/{client}.bin")
}

fn multicloud_async(ep: &str, bucket: &str, len: u64) -> (Option<Half>, Half) {
    use multicloud::asynchronous::storage::{S3, StorageDriver};
    use tokio::io::AsyncReadExt;
    let (rt, s3, key) = (runtime(), S3::new(config(ep)).unwrap(), key("ma"));
    let up = half(len, || {
        let o = rt
            .block_on(s3.upload_reader(bucket, &key, Generator::new(len), &UploadOptions::new()))
            .unwrap();
        assert_eq!(o.size, len);
    });
    let down = half(len, || {
        rt.block_on(async {
            let (_, mut r) = s3.open_object(bucket, &key).await.unwrap();
            let (mut sink, mut buf) = (Checker::default(), vec![0; READ_BUF]);
            loop {
                match r.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => sink.check(&buf[..n]),
                }
            }
            assert_eq!(sink.pos, len);
        })
    });
    (Some(up), down)
}

fn multicloud_blocking(ep: &str, bucket: &str, len: u64) -> (Option<Half>, Half) {
    use multicloud::blocking::storage::{S3, StorageDriver};
    let (s3, key) = (S3::new(config(ep)).unwrap(), key("mb"));
    let up = half(len, || {
        let o = s3
            .upload_reader(bucket, &key, Generator::new(len), &UploadOptions::new())
            .unwrap();
        assert_eq!(o.size, len);
    });
    let down = half(len, || {
        let (_, mut r) = s3.open_object(bucket, &key).unwrap();
        let (mut sink, mut buf) = (Checker::default(), vec![0; READ_BUF]);
        loop {
            match r.read(&mut buf).unwrap() {
                0 => break,
                n => sink.check(&buf[..n]),
            }
        }
        assert_eq!(sink.pos, len);
    });
    (Some(up), down)
}

fn object_store_client(ep: &str, bucket: &str, len: u64) -> (Option<Half>, Half) {
    use object_store::path::Path;
    use object_store::{ObjectStoreExt, WriteMultipart};
    let cfg = config(ep);
    let (rt, store, path) = (runtime(), object_store(ep, bucket), Path::from(key("os")));
    let up = half(len, || {
        rt.block_on(async {
            let upload = store.put_multipart(&path).await.unwrap();
            let mut w = WriteMultipart::new_with_chunk_size(upload, cfg.part_size);
            let mut generator = Generator::new(len);
            loop {
                let mut chunk = vec![0; 1 << 20];
                let n = generator.read(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                chunk.truncate(n);
                w.wait_for_capacity(cfg.part_concurrency).await.unwrap();
                w.put(Bytes::from(chunk));
            }
            w.finish().await.unwrap();
        })
    });
    let down = half(len, || {
        rt.block_on(async {
            let mut s = store.get(&path).await.unwrap().into_stream();
            let mut sink = Checker::default();
            while let Some(b) = s.next().await {
                sink.check(&b.unwrap());
            }
            assert_eq!(sink.pos, len);
        })
    });
    (Some(up), down)
}

fn floor(ep: &str, bucket: &str, len: u64) -> Half {
    let (rt, client, signer) = (runtime(), reqwest_client(), floor_signer(ep));
    half(len, || {
        rt.block_on(async {
            let path = format!("/{bucket}/{SEED_KEY}");
            let mut rb = client.get(format!("{ep}{path}"));
            for (h, v) in &signer.sign("GET", &path, b"") {
                rb = rb.header(h, v);
            }
            let mut resp = rb.send().await.unwrap();
            assert!(resp.status().is_success(), "{}", resp.status());
            let mut sink = Checker::default();
            while let Some(c) = resp.chunk().await.unwrap() {
                sink.check(&c);
            }
            assert_eq!(sink.pos, len);
        })
    })
}
