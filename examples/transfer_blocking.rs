//! Blocking mode: a big upload on a worker thread with a progress bar, and a second one
//! cancelled half way with a `CancelToken` — while the main thread goes on working.
//! The same program in async mode is `transfer_async.rs`.
//!
//! ```text
//! cargo run --no-default-features --features blocking --example transfer_blocking
//! ```

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use multicloud::ErrorKind;
use multicloud::blocking::storage::{CancelToken, Local, Progress, StorageDriver, UploadOptions};

const SIZE: u64 = 32 << 20;

fn main() -> multicloud::Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Local::new(dir.path())?;
    store.create_container("media")?;

    // 1. In the background, with progress: the observer runs on the worker thread.
    let done = Arc::new(AtomicU64::new(0));
    let bar = done.clone();
    let opts = UploadOptions::new().progress(move |p: &Progress<'_>| {
        let before = bar.swap(p.bytes, Ordering::Relaxed);
        if before * 4 / SIZE != p.bytes * 4 / SIZE {
            println!("  {}: {:>3}%", p.name, p.bytes * 100 / SIZE);
        }
    });
    let worker = {
        let store = store.clone();
        std::thread::spawn(move || {
            let source = std::io::repeat(7).take(SIZE);
            store.upload_reader("media", "film.bin", source, &opts)
        })
    };
    let listed = store.list_containers()?.len(); // the caller keeps working meanwhile
    let film = worker.join().expect("worker")?;
    println!(
        "uploaded {} ({} bytes) while listing {listed} container",
        film.name, film.size
    );
    assert_eq!(done.load(Ordering::Relaxed), SIZE);

    // 2. Cancelled half way: the token is cancelled from the observer here, as a
    //    "cancel" button on another thread would.
    let cancel = CancelToken::new();
    let button = cancel.clone();
    let opts = UploadOptions::new()
        .progress(move |p: &Progress<'_>| {
            if p.bytes >= SIZE / 2 {
                button.cancel();
            }
        })
        .cancel(&cancel);
    let source = std::io::repeat(1).take(SIZE);
    let err = store
        .upload_reader("media", "half.bin", source, &opts)
        .expect_err("cancelled");
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let left = store.get_object("media", "half.bin").map(|_| ());
    assert_eq!(left.unwrap_err().kind(), ErrorKind::NotFound);
    println!("second upload: {err} (nothing stored)");
    Ok(())
}
