//! Listing phase: N keys in one bucket (`bench-list-N`, populated once with empty objects
//! through multicloud blocking `upload_many` at concurrency 32, skipped when it already
//! holds N keys), listed whole by each client in turn, in this process, the count checked
//! to be exactly N. Prints wall ms and CPU ms (getrusage diff; the server is another
//! process) per listing, median over interleaved rounds, and the CPU ratios to object_store
//! and to the raw floor (bare reqwest ListObjectsV2 pages, see `floor_list.rs`) taken
//! within each round.
//!
//! ```text
//! scripts/emulators run -- tools/bench-peers/target/release/bench-peers list [N] [ROUNDS]
//! ```
//! Defaults: 100,000 keys, 3 rounds.

use std::time::Instant;

use bytes::Bytes;
use multicloud::asynchronous::StreamExt;
use multicloud::storage::UploadOptions;

use crate::base::config;
use crate::common::{arg, cpu, endpoint, floor_signer, median, ratios, reqwest_client, runtime};
use crate::common::{fmt, object_store};
use crate::floor_list::count_keys;

/// A client: lists the bucket whole and returns how many keys it saw.
type Lister<'a> = Box<dyn Fn() -> usize + 'a>;

/// One listing: wall ms and CPU ms.
#[derive(Clone, Copy)]
struct Sample {
    wall_ms: f64,
    cpu_ms: f64,
}

/// The subcommand `list [N] [ROUNDS]`.
pub fn run() {
    let (n, rounds) = (arg(0, 100_000usize), arg(1, 3usize));
    let ep = endpoint();
    let bucket = format!("bench-list-{n}");
    populate(&ep, &bucket, n);
    let rt = runtime();
    let clients = listers(&ep, &bucket, &rt);
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); clients.len()];
    for round in 0..rounds {
        for (i, (name, list)) in clients.iter().enumerate() {
            eprintln!("round {}/{rounds}: {name}", round + 1);
            samples[i].push(measure(n, list));
        }
    }
    let names: Vec<&str> = clients.iter().map(|(name, _)| *name).collect();
    println!("{n} keys, {rounds} rounds interleaved, server {ep}\n");
    print_table(&names, &samples);
}

/// Lists once with `list`, checks the count, and measures it.
fn measure(n: usize, list: &Lister) -> Sample {
    let (c0, t0) = (cpu(), Instant::now());
    let seen = list();
    let (wall, cpu) = (t0.elapsed(), cpu() - c0);
    assert_eq!(seen, n, "listed {seen} keys, expected {n}");
    Sample {
        wall_ms: wall.as_secs_f64() * 1e3,
        cpu_ms: cpu.as_secs_f64() * 1e3,
    }
}

/// Makes `bucket` hold exactly the keys `k0000000`.. `k{n-1}`, unless it already does.
fn populate(ep: &str, bucket: &str, n: usize) {
    use multicloud::blocking::storage::{S3, StorageDriver};
    let s3 = S3::new(config(ep)).unwrap();
    s3.ensure_container(bucket).unwrap();
    let have = s3.iterate_objects(bucket, "").map(Result::unwrap).count();
    if have == n {
        eprintln!("{bucket} holds {n} keys already");
        return;
    }
    assert!(have < n, "{bucket} holds {have} keys, more than {n}");
    let t = Instant::now();
    let items: Vec<(String, Bytes)> = (0..n).map(|i| (format!("k{i:07}"), Bytes::new())).collect();
    let done = s3.upload_many(bucket, items, &UploadOptions::new(), 32);
    if let Some(e) = done.into_iter().find_map(Result::err) {
        panic!("populating {bucket}: {e}");
    }
    eprintln!(
        "populated {bucket} with {n} keys in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

/// The four clients, in table order (object_store third, the floor last).
fn listers<'a>(
    ep: &'a str,
    bucket: &'a str,
    rt: &'a tokio::runtime::Runtime,
) -> Vec<(&'static str, Lister<'a>)> {
    let ours_async = multicloud::asynchronous::storage::S3::new(config(ep)).unwrap();
    let ours_blocking = multicloud::blocking::storage::S3::new(config(ep)).unwrap();
    let store = object_store(ep, bucket);
    let (client, signer) = (reqwest_client(), floor_signer(ep));
    vec![
        (
            "multicloud async (iterate_objects)",
            Box::new(move || {
                use multicloud::asynchronous::storage::StorageDriver;
                rt.block_on(count(ours_async.iterate_objects(bucket, "")))
            }),
        ),
        (
            "multicloud blocking (iterate_objects)",
            Box::new(move || {
                use multicloud::blocking::storage::StorageDriver;
                ours_blocking
                    .iterate_objects(bucket, "")
                    .map(Result::unwrap)
                    .count()
            }),
        ),
        (
            "object_store 0.14 (list)",
            Box::new(move || {
                use object_store::ObjectStore;
                rt.block_on(count(store.list(None)))
            }),
        ),
        (
            "raw reqwest + floor signer (ListObjectsV2)",
            Box::new(move || rt.block_on(count_keys(&client, &signer, ep, bucket))),
        ),
    ]
}

/// Counts a listing stream's items, panicking at its first error.
async fn count<T, E: std::fmt::Debug>(
    mut s: impl multicloud::asynchronous::Stream<Item = Result<T, E>> + Unpin,
) -> usize {
    let mut n = 0;
    while let Some(item) = s.next().await {
        item.unwrap();
        n += 1;
    }
    n
}

fn print_table(names: &[&str], samples: &[Vec<Sample>]) {
    const OBJECT_STORE: usize = 2;
    const FLOOR: usize = 3;
    println!("Median round; ratios: median [min-max] of those taken within each round\n");
    println!("| client | wall ms | CPU ms | CPU vs object_store | CPU vs floor |");
    println!("|---|---|---|---|---|");
    let cpu_of = |v: &[Sample]| v.iter().map(|s| s.cpu_ms).collect::<Vec<f64>>();
    let (os, fl) = (cpu_of(&samples[OBJECT_STORE]), cpu_of(&samples[FLOOR]));
    for (name, v) in names.iter().zip(samples) {
        let wall: Vec<f64> = v.iter().map(|s| s.wall_ms).collect();
        let cpu = cpu_of(v);
        println!(
            "| {name} | {} | {} | {} | {} |",
            fmt(median(&wall), 0),
            fmt(median(&cpu), 0),
            ratios(&cpu, &os),
            ratios(&cpu, &fl),
        );
    }
}
