//! The same program as `same_code_async.rs`, in blocking mode: compare the two files line
//! by line; only `.await`, the `main` wrapper and `Iterator` vs `Stream` differ.
//!
//! ```text
//! cargo run --example same_code_blocking --features blocking
//! ```

use multicloud::blocking::run_bounded;
use multicloud::blocking::storage::{Local, Memory, StorageDriver, UploadOptions};

fn main() -> multicloud::Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let local = Local::new(dir.path().join("first"))?;
    let memory = Memory::new();

    // The same calls work on any driver...
    let summary = tour(&local)?;
    println!("local:  {summary}");
    let summary = tour(&memory)?;
    println!("memory: {summary}");

    // ...and on many drivers at once (threads here, futures in async mode).
    let drivers = vec![local.clone(), Local::new(dir.path().join("second"))?];
    let counts = run_bounded(drivers, 2, |d| d.list_containers().map(|c| c.len()));
    println!("containers per store: {counts:?}");
    Ok(())
}

fn tour<D: StorageDriver>(store: &D) -> multicloud::Result<String> {
    store.create_container("tour")?;
    let opts = UploadOptions::new().content_type("text/plain");
    store.upload_bytes("tour", "greeting.txt", "hello, world".into(), &opts)?;
    store.upload_bytes("tour", "notes/a.txt", "a".into(), &opts)?;
    let part = store.download_range("tour", "greeting.txt", 7..12)?;
    let names: Vec<String> = store
        .iterate_objects("tour", "")
        .map(|o| o.map(|o| o.name))
        .collect::<multicloud::Result<_>>()?;
    Ok(format!(
        "{names:?}, bytes 7..12 = {:?}",
        String::from_utf8_lossy(&part)
    ))
}
