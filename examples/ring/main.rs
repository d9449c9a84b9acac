//! Objects around the ring memory -> local -> S3 -> Azure -> GCS -> memory, each hop
//! copying them in parallel, then every byte, content type and metadata entry checked:
//! once in blocking mode and once in async mode, from one source (`ring_steps.rs`).
//!
//! It runs on the local emulators (s3s, Azurite, fake-gcs-server), which
//! `scripts/emulators` installs and starts:
//!
//! ```text
//! scripts/emulators run -- cargo run --all-features --example ring
//! ```

mod blocking {
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    include!("ring_steps.rs");
}

mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;

    include!("ring_steps.rs");
}

fn tag(mode: &str) -> String {
    format!("ring-{mode}-{}", std::process::id())
}

#[tokio::main]
async fn main() -> multicloud::Result<()> {
    let dir = tempfile::tempdir().expect("temporary directory");

    println!("blocking mode:");
    let stops = blocking::stops(&dir.path().join("blocking"), &tag("b"))?;
    let parcels = blocking::parcels();
    // Blocking calls belong on a blocking thread, not on the runtime's workers.
    let log = tokio::task::block_in_place(|| blocking::send_around(&stops, &parcels, 4))?;
    log.iter().for_each(|line| println!("  {line}"));

    println!("async mode:");
    let stops = asynchronous::stops(&dir.path().join("async"), &tag("a"))?;
    let parcels = asynchronous::parcels();
    let log = asynchronous::send_around(&stops, &parcels, 4).await?;
    log.iter().for_each(|line| println!("  {line}"));

    println!("every object came back whole, with its content type and metadata");
    Ok(())
}
