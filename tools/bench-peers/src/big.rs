//! Big object phase: each client uploads MIB MiB from a generator (multipart, multicloud's
//! default part size and part concurrency for everyone) and downloads it streamed into a
//! checking sink, in a child process of its own (`big-one`, see `big_one.rs`) so that peak
//! RSS and CPU are the client's own. Prints MiB/s and CPU seconds per half and peak RSS
//! (the child's `VmHWM`, whole and per half, with getrusage's `ru_maxrss` next to it;
//! median over interleaved rounds), then the ratios taken within each round: upload vs
//! object_store, download vs the raw floor (bare reqwest + the floor signer), RSS vs the
//! bound part size × part concurrency + 16 MiB.
//!
//! ```text
//! scripts/emulators run -- tools/bench-peers/target/release/bench-peers big [MIB] [ROUNDS]
//! ```
//! Defaults: 256 MiB, 3 rounds.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use multicloud::blocking::storage::{S3, StorageDriver};

use crate::base::config;
use crate::common::{arg, endpoint, fmt, median, ratios};

/// The clients: the child's name for it and the table's.
const CLIENTS: [(&str, &str); 4] = [
    ("multicloud-async", "multicloud async"),
    ("multicloud-blocking", "multicloud blocking"),
    ("object_store", "object_store 0.14"),
    ("floor", "raw reqwest + floor signer (download only)"),
];
const OBJECT_STORE: usize = 2;
const FLOOR: usize = 3;

/// One child's figures (NaN where it has none, or failed).
#[derive(Clone, Copy)]
struct Sample {
    up_mibs: f64,
    up_cpu: f64,
    down_mibs: f64,
    down_cpu: f64,
    up_rss: f64,
    down_rss: f64,
    maxrss: f64,
}

impl Sample {
    const FAILED: Sample = Sample {
        up_mibs: f64::NAN,
        up_cpu: f64::NAN,
        down_mibs: f64::NAN,
        down_cpu: f64::NAN,
        up_rss: f64::NAN,
        down_rss: f64::NAN,
        maxrss: f64::NAN,
    };

    /// Parses the child's `result k=v ...` line.
    fn parse(stdout: &str) -> Option<Sample> {
        let line = stdout.lines().find_map(|l| l.strip_prefix("result "))?;
        let kv: HashMap<&str, f64> = line
            .split_whitespace()
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k, v.parse().unwrap_or(f64::NAN)))
            .collect();
        let get = |k: &str| kv.get(k).copied();
        Some(Sample {
            up_mibs: get("up_mibs")?,
            up_cpu: get("up_cpu_s")?,
            down_mibs: get("down_mibs")?,
            down_cpu: get("down_cpu_s")?,
            up_rss: get("up_rss_mib")?,
            down_rss: get("down_rss_mib")?,
            maxrss: get("maxrss_mib")?,
        })
    }

    /// The process's peak: the higher of the two halves' (NaN only if both are).
    fn rss(&self) -> f64 {
        self.up_rss.max(self.down_rss)
    }
}

/// The subcommand `big [MIB] [ROUNDS]`.
pub fn run() {
    let (mib, rounds) = (arg(0, 256u64), arg(1, 3usize));
    let ep = endpoint();
    let cfg = config(&ep);
    let bound = (cfg.part_size * cfg.part_concurrency) as f64 / (1 << 20) as f64 + 16.0;
    let bucket = format!("bench-big-{}", std::process::id());
    let s3 = S3::new(config(&ep)).unwrap();
    s3.create_container(&bucket).unwrap();
    seed(mib, &bucket);
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); CLIENTS.len()];
    for round in 0..rounds {
        for (i, (id, _)) in CLIENTS.iter().enumerate() {
            eprintln!("round {}/{rounds}: {id}", round + 1);
            samples[i].push(child(id, mib, &bucket));
        }
    }
    println!(
        "{mib} MiB object, {rounds} rounds interleaved, each client in a process of its own; \
         parts of {} MiB, {} in flight; server {ep}\n",
        cfg.part_size >> 20,
        cfg.part_concurrency
    );
    print_figures(&samples);
    print_ratios(&samples, bound);
    for o in s3.list_objects(&bucket, "").unwrap() {
        s3.delete_object(&bucket, &o.name).unwrap();
    }
    s3.delete_container(&bucket).unwrap();
}

/// Uploads the floor's object, in a child process (`big-one seed`) so that this one stays
/// small.
fn seed(mib: u64, bucket: &str) {
    let exe = std::env::current_exe().unwrap();
    let status = Command::new(exe)
        .args(["big-one", "seed", &mib.to_string(), bucket])
        .status()
        .unwrap();
    assert!(status.success(), "seeding {bucket}: {status}");
}

/// Runs `big-one id mib bucket` in a child process and parses its figures.
fn child(id: &str, mib: u64, bucket: &str) -> Sample {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["big-one", id, &mib.to_string(), bucket])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    match Sample::parse(&stdout) {
        Some(s) if out.status.success() => s,
        _ => {
            eprintln!("{id} failed ({}): {stdout}", out.status);
            Sample::FAILED
        }
    }
}

fn column(v: &[Sample], f: impl Fn(&Sample) -> f64) -> Vec<f64> {
    v.iter().map(f).collect()
}

fn print_figures(samples: &[Vec<Sample>]) {
    println!(
        "| client | upload MiB/s | upload CPU s | download MiB/s | download CPU s | peak RSS MiB | upload / download peak MiB | ru_maxrss MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ((_, name), v) in CLIENTS.iter().zip(samples) {
        let m = |f: fn(&Sample) -> f64, d| fmt(median(&column(v, f)), d);
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} / {} | {} |",
            m(|s| s.up_mibs, 1),
            m(|s| s.up_cpu, 2),
            m(|s| s.down_mibs, 1),
            m(|s| s.down_cpu, 2),
            m(Sample::rss, 1),
            m(|s| s.up_rss, 1),
            m(|s| s.down_rss, 1),
            m(|s| s.maxrss, 1),
        );
    }
    println!();
}

fn print_ratios(samples: &[Vec<Sample>], bound: f64) {
    println!(
        "Ratios: median [min-max] of those taken within each round; RSS vs bound {bound:.0} MiB (part size × part concurrency + 16 MiB)\n"
    );
    println!(
        "| client | upload MiB/s vs object_store | upload CPU vs object_store | download MiB/s vs floor | download CPU vs floor | peak RSS vs bound |"
    );
    println!("|---|---|---|---|---|---|");
    let (os, fl) = (&samples[OBJECT_STORE], &samples[FLOOR]);
    for ((_, name), v) in CLIENTS.iter().zip(samples) {
        let r = |f: fn(&Sample) -> f64, base: &[Sample]| ratios(&column(v, f), &column(base, f));
        let rss = median(&column(v, Sample::rss));
        println!(
            "| {name} | {} | {} | {} | {} | {}× ({} MiB){} |",
            r(|s| s.up_mibs, os),
            r(|s| s.up_cpu, os),
            r(|s| s.down_mibs, fl),
            r(|s| s.down_cpu, fl),
            fmt(rss / bound, 2),
            fmt(rss, 1),
            if rss > bound { " **over**" } else { "" },
        );
    }
}
