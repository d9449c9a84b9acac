//! Uploads and downloads one large generated object through the S3 driver in bounded
//! memory: the upload reads from a generator (nothing is held whole), goes up in parallel
//! parts, and the download streams to a sink that checks every byte.
//!
//! ```text
//! AWS_ENDPOINT_URL=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//!     /usr/bin/time -v cargo run --release --all-features --example s3_big_object -- blocking 1024
//! ```
//! Arguments: mode (`blocking` or `async`), size in MiB (default 1024). Peak memory should
//! stay under part size × part concurrency (8 MiB × 4 by default) + 64 MiB.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// A deterministic byte stream: byte i is `(i * 31 + i / 4096) as u8`.
struct Generated {
    pos: u64,
    len: u64,
}

fn byte_at(i: u64) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 12)) as u8
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.len - self.pos) as usize;
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = byte_at(self.pos + k as u64);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl tokio::io::AsyncRead for Generated {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = this.read(buf.initialize_unfilled())?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// A sink that checks each byte against the generator.
struct Checker {
    pos: u64,
}

impl Write for Checker {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for (k, b) in buf.iter().enumerate() {
            if *b != byte_at(self.pos + k as u64) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("byte {} differs", self.pos + k as u64),
                ));
            }
        }
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncWrite for Checker {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().write(buf))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "blocking".to_owned());
    let mib: u64 = std::env::args()
        .nth(2)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1024);
    let len = mib << 20;
    let bucket = std::env::var("S3_BUCKET").unwrap_or_else(|_| "multicloud-big".to_owned());
    let started = Instant::now();
    match mode.as_str() {
        "blocking" => {
            use multicloud::blocking::storage::{S3, StorageDriver, UploadOptions};
            let s3 = S3::from_env()?;
            let _ = s3.create_container(&bucket);
            let o = s3.upload_reader(
                &bucket,
                "big.bin",
                Generated { pos: 0, len },
                &UploadOptions::new(),
            )?;
            println!(
                "uploaded {} MiB ({:?}) in {:.1} s",
                o.size >> 20,
                o.hash,
                started.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let mut sink = Checker { pos: 0 };
            s3.download_to_writer(&bucket, "big.bin", &mut sink)?;
            println!(
                "downloaded and checked {} MiB in {:.1} s",
                sink.pos >> 20,
                t.elapsed().as_secs_f64()
            );
            s3.delete_object(&bucket, "big.bin")?;
            assert_eq!(sink.pos, len);
        }
        "async" => {
            use multicloud::asynchronous::storage::{S3, StorageDriver, UploadOptions};
            tokio::runtime::Runtime::new()?.block_on(async {
                let s3 = S3::from_env()?;
                let _ = s3.create_container(&bucket).await;
                let o = s3
                    .upload_reader(
                        &bucket,
                        "big.bin",
                        Generated { pos: 0, len },
                        &UploadOptions::new(),
                    )
                    .await?;
                println!(
                    "uploaded {} MiB ({:?}) in {:.1} s",
                    o.size >> 20,
                    o.hash,
                    started.elapsed().as_secs_f64()
                );
                let t = Instant::now();
                let mut sink = Checker { pos: 0 };
                s3.download_to_writer(&bucket, "big.bin", &mut sink).await?;
                println!(
                    "downloaded and checked {} MiB in {:.1} s",
                    sink.pos >> 20,
                    t.elapsed().as_secs_f64()
                );
                s3.delete_object(&bucket, "big.bin").await?;
                assert_eq!(sink.pos, len);
                Ok::<_, multicloud::Error>(())
            })?;
        }
        other => return Err(format!("unknown mode {other:?}").into()),
    }
    Ok(())
}
