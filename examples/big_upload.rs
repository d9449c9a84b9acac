//! Uploads a big object from a generator (nothing held whole) through one provider's
//! large-object path in blocking mode, checks the stored MD5, and deletes it: S3 multipart,
//! Azure Put Block, GCS resumable. Run it under `/usr/bin/time -v` to read the peak RSS
//! (docs/benchmarks.md has the figures):
//!
//! ```text
//! scripts/emulators run -- /usr/bin/time -v \
//!     cargo run --release --all-features --example big_upload -- azure 256
//! ```
//!
//! The provider is `s3` (s3s), `azure` (Azurite) or `gcs` (fake-gcs-server), each with its
//! default part, block or chunk size and concurrency; the size is in MiB (256 by default).

use std::io::Read;

use md5::Digest;
use multicloud::Credentials;
use multicloud::blocking::storage::{AnyStorage, Azure, Gcs, S3, StorageDriver, UploadOptions};
use multicloud::storage::{azure::AzureConfig, gcs::GcsConfig, s3::S3Config};

/// Pseudo-random bytes, hashed as they are produced, never stored.
struct Generator {
    left: u64,
    state: u64,
    md5: md5::Md5,
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for b in &mut buf[..n] {
            self.state = self
                .state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            *b = (self.state >> 56) as u8;
        }
        self.md5.update(&buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }
}

fn env(var: &str) -> multicloud::Result<String> {
    std::env::var(var).map_err(|_| {
        multicloud::Error::invalid(format!("{var} is not set: run under scripts/emulators"))
    })
}

fn store(provider: &str) -> multicloud::Result<AnyStorage> {
    Ok(match provider {
        "s3" => S3::new(
            S3Config::builder()
                .endpoint(env("MULTICLOUD_TEST_S3S")?)
                .region("us-east-1")
                .credentials(Credentials::new(
                    "multicloud-test-key",
                    "multicloud-test-secret",
                ))
                .build()?,
        )?
        .into(),
        "azure" => Azure::new(
            AzureConfig::builder()
                .emulator()
                .endpoint(env("MULTICLOUD_TEST_AZURITE")?)
                .build()?,
        )?
        .into(),
        "gcs" => Gcs::new(
            GcsConfig::builder()
                .emulator_host(env("MULTICLOUD_TEST_GCS")?)
                .build()?,
        )?
        .into(),
        other => {
            return Err(multicloud::Error::invalid(format!(
                "unknown provider {other:?}: s3, azure or gcs"
            )));
        }
    })
}

fn main() -> multicloud::Result<()> {
    let mut args = std::env::args().skip(1);
    let provider = args.next().unwrap_or_else(|| "azure".into());
    let mib: u64 = match args.next() {
        Some(a) => a
            .parse()
            .map_err(|_| multicloud::Error::invalid("the size is a whole number of MiB"))?,
        None => 256,
    };
    let store = store(&provider)?;
    let container = format!("big-upload-{}", std::process::id());
    store.create_container(&container)?;
    let mut source = Generator {
        left: mib << 20,
        state: 42,
        md5: md5::Md5::new(),
    };
    let started = std::time::Instant::now();
    let uploaded = store.upload_reader(&container, "big.bin", &mut source, &UploadOptions::new());
    let secs = started.elapsed().as_secs_f64();
    let expected = hex::encode(source.md5.finalize());
    let stored = uploaded.and_then(|_| store.get_object(&container, "big.bin"));
    let _ = store.delete_object(&container, "big.bin");
    let _ = store.delete_container(&container);
    let stored = stored?;
    // S3 multipart ETags are not the content's MD5: only plain MD5s are compared.
    let stated = stored
        .hash
        .as_deref()
        .filter(|h| multicloud::storage::is_md5_hex(h));
    let md5_ok = stated.is_none_or(|h| h == expected);
    println!(
        "{provider}: {} MiB in {secs:.1} s ({:.0} MiB/s), stored MD5 {}",
        stored.size >> 20,
        mib as f64 / secs,
        match stated {
            Some(_) if md5_ok => "matches",
            Some(_) => "DIFFERS",
            None => "not stated",
        }
    );
    match md5_ok && stored.size == mib << 20 {
        true => Ok(()),
        false => Err(multicloud::Error::new(
            multicloud::ErrorKind::Integrity,
            "the stored object's MD5 is not the MD5 of the bytes sent",
        )),
    }
}
