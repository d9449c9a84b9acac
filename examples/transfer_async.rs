//! Async mode: a big upload on a spawned task with a progress bar, and a second one
//! cancelled half way with a `CancelToken` — while the caller goes on working. The same
//! program in blocking mode is `transfer_blocking.rs`.
//!
//! ```text
//! cargo run --example transfer_async
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use multicloud::ErrorKind;
use multicloud::asynchronous::storage::{
    CancelToken, Local, Progress, StorageDriver, UploadOptions,
};
use tokio::io::AsyncReadExt;

const SIZE: u64 = 32 << 20;

#[tokio::main]
async fn main() -> multicloud::Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Local::new(dir.path())?;
    store.create_container("media").await?;

    // 1. In the background, with progress: the observer runs on the uploading task.
    let done = Arc::new(AtomicU64::new(0));
    let bar = done.clone();
    let opts = UploadOptions::new().progress(move |p: &Progress<'_>| {
        let before = bar.swap(p.bytes, Ordering::Relaxed);
        if before * 4 / SIZE != p.bytes * 4 / SIZE {
            println!("  {}: {:>3}%", p.name, p.bytes * 100 / SIZE);
        }
    });
    let task = tokio::spawn({
        let store = store.clone();
        async move {
            let source = tokio::io::repeat(7).take(SIZE);
            store
                .upload_reader("media", "film.bin", source, &opts)
                .await
        }
    });
    let listed = store.list_containers().await?.len(); // the caller keeps working meanwhile
    let film = task.await.expect("task")?;
    println!(
        "uploaded {} ({} bytes) while listing {listed} container",
        film.name, film.size
    );
    assert_eq!(done.load(Ordering::Relaxed), SIZE);

    // 2. Cancelled half way: the token is cancelled from the observer here, as a
    //    "cancel" button elsewhere would (dropping the future works too in this mode).
    let cancel = CancelToken::new();
    let button = cancel.clone();
    let opts = UploadOptions::new()
        .progress(move |p: &Progress<'_>| {
            if p.bytes >= SIZE / 2 {
                button.cancel();
            }
        })
        .cancel(&cancel);
    let source = tokio::io::repeat(1).take(SIZE);
    let err = store
        .upload_reader("media", "half.bin", source, &opts)
        .await
        .expect_err("cancelled");
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let left = store.get_object("media", "half.bin").await.map(|_| ());
    assert_eq!(left.unwrap_err().kind(), ErrorKind::NotFound);
    println!("second upload: {err} (nothing stored)");
    Ok(())
}
