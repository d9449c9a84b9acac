//! Upload and download many objects in parallel against any S3 endpoint, with the same
//! code in blocking mode (threads) and async mode (futures), then compare.
//!
//! Configured like the AWS tools: `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_PROFILE`... plus `S3_BUCKET` (default
//! `multicloud-example`, created if missing). Try it locally with moto:
//!
//! ```text
//! python3 -m venv /tmp/moto && /tmp/moto/bin/pip install 'moto[server]==5.2.5'
//! /tmp/moto/bin/moto_server -H 127.0.0.1 -p 5000 &
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!     cargo run --release --all-features --example s3_parallel -- 200
//! ```

use std::time::Instant;

const CONCURRENCY: usize = 16;

/// `(name, bytes)` pairs: `upload_many` takes them as items in both modes.
fn objects(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let body = format!("object {i} ").repeat(400).into_bytes();
            (format!("parallel/{i:05}"), body)
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200);
    let bucket = std::env::var("S3_BUCKET").unwrap_or_else(|_| "multicloud-example".to_owned());

    let started = Instant::now();
    blocking_run(&bucket, n)?;
    println!(
        "blocking: {n} up + {n} down + delete in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    runtime.block_on(async_run(&bucket, n))?;
    println!(
        "async:    {n} up + {n} down + delete in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// The two functions below are the same code; only `.await` differs.

fn blocking_run(bucket: &str, n: usize) -> multicloud::Result<()> {
    use multicloud::blocking::storage::{S3, StorageDriver, UploadOptions};
    let s3 = S3::from_env()?;
    match s3.create_container(bucket) {
        Err(e) if e.kind() != multicloud::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let up = s3.upload_many(bucket, objects(n), &UploadOptions::new(), CONCURRENCY);
    let failed = up.iter().filter(|r| r.is_err()).count();
    let dir = tempfile::tempdir().map_err(multicloud::Error::from)?;
    let targets = (0..n)
        .map(|i| (format!("parallel/{i:05}"), dir.path().join(i.to_string())))
        .collect();
    let down = s3.download_many(bucket, targets, true, CONCURRENCY);
    let failed = failed + down.iter().filter(|r| r.is_err()).count();
    let names = (0..n).map(|i| format!("parallel/{i:05}")).collect();
    let deleted = s3.delete_many(bucket, names, CONCURRENCY);
    let failed = failed + deleted.iter().filter(|r| r.is_err()).count();
    println!("blocking: {failed} failures");
    Ok(())
}

async fn async_run(bucket: &str, n: usize) -> multicloud::Result<()> {
    use multicloud::asynchronous::storage::{S3, StorageDriver, UploadOptions};
    let s3 = S3::from_env()?;
    match s3.create_container(bucket).await {
        Err(e) if e.kind() != multicloud::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let up = s3
        .upload_many(bucket, objects(n), &UploadOptions::new(), CONCURRENCY)
        .await;
    let failed = up.iter().filter(|r| r.is_err()).count();
    let dir = tempfile::tempdir().map_err(multicloud::Error::from)?;
    let targets = (0..n)
        .map(|i| (format!("parallel/{i:05}"), dir.path().join(i.to_string())))
        .collect();
    let down = s3.download_many(bucket, targets, true, CONCURRENCY).await;
    let failed = failed + down.iter().filter(|r| r.is_err()).count();
    let names = (0..n).map(|i| format!("parallel/{i:05}")).collect();
    let deleted = s3.delete_many(bucket, names, CONCURRENCY).await;
    let failed = failed + deleted.iter().filter(|r| r.is_err()).count();
    println!("async:    {failed} failures");
    Ok(())
}
