//! The main example: parallel upload of a few hundred generated objects, a lazy listing,
//! and a parallel download with verification, in async mode.
//!
//! ```text
//! cargo run --example quickstart                      # a local store in a temporary directory
//! cargo run --example quickstart -- memory://         # the in-memory store
//! cargo run --example quickstart -- file:///tmp/store # a local store you keep
//! ```

use std::path::PathBuf;
use std::time::Instant;

use futures_util::StreamExt;
use multicloud::asynchronous::storage::{AnyStorage, StorageDriver, UploadOptions, UploadSource};
use multicloud::storage::md5_hex;

const OBJECTS: usize = 300;
const CONCURRENCY: usize = 16;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("file://{}", scratch.path().join("store").display()));
    let (store, _) = AnyStorage::from_url(&url)?;
    println!("store: {url} ({} driver)", store.provider_name());

    let container = "quickstart";
    match store.create_container(container).await {
        Ok(_) => {}
        Err(e) if e.kind() == multicloud::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }

    // Generate objects of 4-64 KiB with deterministic content.
    let mut rng = fastrand::Rng::with_seed(7);
    let objects: Vec<(String, Vec<u8>)> = (0..OBJECTS)
        .map(|i| {
            let len = rng.usize(4 * 1024..=64 * 1024);
            let data: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            (format!("data/{:03}/{i:05}.bin", i % 10), data)
        })
        .collect();
    let total_bytes: usize = objects.iter().map(|(_, d)| d.len()).sum();

    let started = Instant::now();
    let uploads: Vec<(String, UploadSource)> = objects
        .iter()
        .map(|(name, data)| (name.clone(), UploadSource::from(data.clone())))
        .collect();
    let opts = UploadOptions::new().content_type("application/octet-stream");
    let results = store
        .upload_many(container, uploads, &opts, CONCURRENCY)
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    report("uploaded", OBJECTS - failed, total_bytes, started);
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(e.into());
    }

    let started = Instant::now();
    let mut listed = 0usize;
    let mut listed_bytes = 0u64;
    let mut listing = store.iterate_objects(container, "data/");
    while let Some(object) = listing.next().await {
        let object = object?;
        listed += 1;
        listed_bytes += object.size;
    }
    drop(listing);
    println!(
        "listed   {listed} objects ({:.1} MiB) in {:.1} ms",
        listed_bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64() * 1000.0
    );

    let started = Instant::now();
    let downloads_dir = scratch.path().join("downloads");
    std::fs::create_dir_all(&downloads_dir)?;
    let targets: Vec<(String, PathBuf)> = objects
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.clone(), downloads_dir.join(format!("{i}.bin"))))
        .collect();
    let results = store
        .download_many(container, targets, true, CONCURRENCY)
        .await;
    let mut verified = 0;
    for (i, result) in results.into_iter().enumerate() {
        let object = result?;
        let on_disk = std::fs::read(downloads_dir.join(format!("{i}.bin")))?;
        let expected = &objects[i].1;
        if on_disk != *expected || object.hash.as_deref() != Some(md5_hex(expected).as_str()) {
            return Err(format!("object {} does not match what was uploaded", object.name).into());
        }
        verified += 1;
    }
    report("downloaded and verified", verified, total_bytes, started);

    let started = Instant::now();
    let names: Vec<String> = objects.into_iter().map(|(n, _)| n).collect();
    let deleted = store.delete_many(container, names, CONCURRENCY).await;
    let deleted = deleted.iter().filter(|r| r.is_ok()).count();
    store.delete_container(container).await?;
    println!(
        "deleted  {deleted} objects and the container in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

fn report(what: &str, count: usize, bytes: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what} {count} objects ({:.1} MiB) in {:.1} ms: {:.0} objects/s, {:.1} MiB/s",
        bytes as f64 / 1048576.0,
        secs * 1000.0,
        count as f64 / secs,
        bytes as f64 / 1048576.0 / secs
    );
}
