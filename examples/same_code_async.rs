//! The same program as `same_code_blocking.rs`, in async mode: compare the two files line
//! by line; only `.await`, the `main` wrapper and `Iterator` vs `Stream` differ.
//!
//! ```text
//! cargo run --example same_code_async
//! ```

use futures_util::{StreamExt, TryStreamExt};
use multicloud::asynchronous::run_bounded;
use multicloud::asynchronous::storage::{Local, Memory, StorageDriver, UploadOptions};

#[tokio::main]
async fn main() -> multicloud::Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let local = Local::new(dir.path().join("first"))?;
    let memory = Memory::new();

    // The same calls work on any driver...
    let summary = tour(&local).await?;
    println!("local:  {summary}");
    let summary = tour(&memory).await?;
    println!("memory: {summary}");

    // ...and on many drivers at once (futures here, threads in blocking mode).
    let drivers = vec![local.clone(), Local::new(dir.path().join("second"))?];
    let counts = run_bounded(drivers, 2, |d| async move {
        d.list_containers().await.map(|c| c.len())
    })
    .await;
    println!("containers per store: {counts:?}");
    Ok(())
}

async fn tour<D: StorageDriver>(store: &D) -> multicloud::Result<String> {
    store.create_container("tour").await?;
    let opts = UploadOptions::new().content_type("text/plain");
    store
        .upload_bytes("tour", "greeting.txt", "hello, world".into(), &opts)
        .await?;
    store
        .upload_bytes("tour", "notes/a.txt", "a".into(), &opts)
        .await?;
    let part = store.download_range("tour", "greeting.txt", 7..12).await?;
    let names: Vec<String> = store
        .iterate_objects("tour", "")
        .map(|o| o.map(|o| o.name))
        .try_collect()
        .await?;
    Ok(format!(
        "{names:?}, bytes 7..12 = {:?}",
        String::from_utf8_lossy(&part)
    ))
}
