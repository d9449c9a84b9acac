// The ring, written once: objects go memory -> local -> S3 -> Azure -> GCS -> memory, each
// hop copying every object in parallel, and the last stop is checked byte for byte, with
// content type and metadata. Included by `examples/ring/main.rs` and by the storage tests
// inside a module that provides `mc` (the mode module) and `maybe_async`.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use mc::storage::{AnyStorage, Azure, Gcs, Local, Memory, S3, StorageDriver, UploadOptions};
use multicloud::storage::{azure::AzureConfig, gcs::GcsConfig, s3::S3Config};
use multicloud::{Credentials, Error, ErrorKind, Result};

/// One stop of the ring: a store and the container objects are copied into.
pub struct Stop {
    /// What the stop is, for the log.
    pub name: &'static str,
    /// The store.
    pub store: AnyStorage,
    /// The container at this stop.
    pub container: String,
}

/// An object sent around the ring.
pub struct Parcel {
    pub name: String,
    pub data: Bytes,
    pub content_type: String,
    pub metadata: BTreeMap<String, String>,
}

/// Objects of sizes that take every upload path: empty, tiny, one buffer, and larger than
/// the S3, Azure and GCS single-request thresholds set in [`stops`].
pub fn parcels() -> Vec<Parcel> {
    let sizes = [0usize, 1, 1000, 64 * 1024 + 3, 1 << 20, (6 << 20) + 17];
    let types = [
        "application/octet-stream",
        "text/plain",
        "text/csv",
        "image/png",
    ];
    sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            let seed = i as u64 + 1;
            let data: Vec<u8> = (0..size as u64)
                .map(|n| (n.wrapping_mul(2_654_435_761).wrapping_add(seed * 97) >> 7) as u8)
                .collect();
            let metadata = [("origin", "memory".to_owned()), ("index", i.to_string())];
            Parcel {
                name: format!("ring/{i}-{size}.bin"),
                data: data.into(),
                content_type: types[i % types.len()].to_owned(),
                metadata: metadata
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            }
        })
        .collect()
}

/// The ring on the local emulators (`scripts/emulators` exports where they are): a
/// container named `{tag}-<stop>` at each stop, Local under `dir`. Small part, block and
/// chunk sizes make the 6 MiB object take each cloud's large-object path.
pub fn stops(dir: &Path, tag: &str) -> Result<Vec<Stop>> {
    let env = |var: &str| {
        std::env::var(var).map_err(|_| {
            Error::invalid(format!(
                "{var} is not set: start the emulators with scripts/emulators run -- ..."
            ))
        })
    };
    let s3 = S3Config::builder()
        .endpoint(env("MULTICLOUD_TEST_S3S")?)
        .region("us-east-1")
        .credentials(Credentials::new(
            "multicloud-test-key",
            "multicloud-test-secret",
        ))
        .part_size(5 << 20)
        .multipart_threshold(5 << 20)
        .build()?;
    let azure = AzureConfig::builder()
        .emulator()
        .endpoint(env("MULTICLOUD_TEST_AZURITE")?)
        .single_put_threshold(1 << 20)
        .block_size(2 << 20)
        .build()?;
    let gcs = GcsConfig::builder()
        .emulator_host(env("MULTICLOUD_TEST_GCS")?)
        .chunk_size(2 << 20)
        .build()?;
    let stop = |name, store: AnyStorage| Stop {
        name,
        store,
        container: format!("{tag}-{name}"),
    };
    Ok(vec![
        stop("memory", Memory::new().into()),
        stop("local", Local::new(dir)?.into()),
        stop("s3", S3::new(s3)?.into()),
        stop("azure", Azure::new(azure)?.into()),
        stop("gcs", Gcs::new(gcs)?.into()),
        stop("back", Memory::new().into()),
    ])
}

/// Loads `parcels` into the first stop, copies them hop by hop (`concurrency` objects at
/// once per hop, streamed between stores), then checks the last stop holds every byte,
/// content type and metadata entry. Returns one line per hop.
#[maybe_async]
pub async fn send_around(
    stops: &[Stop],
    parcels: &[Parcel],
    concurrency: usize,
) -> Result<Vec<String>> {
    for stop in stops {
        stop.store.ensure_container(&stop.container).await?;
    }
    let first = &stops[0];
    for p in parcels {
        let opts = p.metadata.iter().fold(
            UploadOptions::new().content_type(&p.content_type),
            |o, (k, v)| o.metadata(k, v),
        );
        first
            .store
            .upload_bytes(&first.container, &p.name, p.data.clone(), &opts)
            .await?;
    }
    let mut log = Vec::new();
    for hop in stops.windows(2) {
        log.push(copy_hop(&hop[0], &hop[1], parcels, concurrency).await?);
    }
    check_all(&stops[stops.len() - 1], parcels).await?;
    Ok(log)
}

/// Checks that `stop` holds every parcel: same bytes, content type and metadata.
#[maybe_async]
pub async fn check_all(stop: &Stop, parcels: &[Parcel]) -> Result<()> {
    for p in parcels {
        check_arrived(stop, p).await?;
    }
    Ok(())
}

/// Copies every parcel from one stop to the next, `concurrency` at once.
#[maybe_async]
async fn copy_hop(
    from: &Stop,
    to: &Stop,
    parcels: &[Parcel],
    concurrency: usize,
) -> Result<String> {
    let started = std::time::Instant::now();
    let names: Vec<&str> = parcels.iter().map(|p| p.name.as_str()).collect();
    let results = mc::run_bounded(names, concurrency, |name| async move {
        mc::storage::copy_between(
            &from.store,
            &from.container,
            name,
            &to.store,
            &to.container,
            name,
        )
        .await
    })
    .await;
    let mut bytes = 0;
    for copied in results {
        bytes += copied?.size;
    }
    Ok(format!(
        "{:>6} -> {:<6} {} objects, {} bytes in {:?}",
        from.name,
        to.name,
        parcels.len(),
        bytes,
        started.elapsed()
    ))
}

/// The parcel at the last stop: same bytes, content type and metadata, or `Integrity`.
#[maybe_async]
async fn check_arrived(last: &Stop, p: &Parcel) -> Result<()> {
    let object = last.store.get_object(&last.container, &p.name).await?;
    let data = last.store.download_bytes(&last.container, &p.name).await?;
    let mismatch = |what: &str| {
        Err(Error::new(
            ErrorKind::Integrity,
            format!("{} came back around the ring with another {what}", p.name),
        ))
    };
    if data != p.data {
        return mismatch("content");
    }
    if object.content_type.as_deref() != Some(p.content_type.as_str()) {
        return mismatch("content type");
    }
    if object.metadata != p.metadata {
        return mismatch("metadata");
    }
    Ok(())
}
