//! S3-specific behaviour against real servers (moto; our s3s-fs server, which verifies
//! signatures), written once (`cases/s3.rs`) and run in each enabled mode. The generic
//! storage behaviour of S3 is covered by the conformance suite in `tests/storage.rs`.

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    include!("cases/s3.rs");
    include!("cases/s3_trust.rs");
    include!("cases/s3_checksum.rs");
    include!("cases/s3_config.rs");
    include!("cases/s3_options.rs");
}

#[cfg(feature = "async")]
mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    include!("cases/s3.rs");
    include!("cases/s3_trust.rs");
    include!("cases/s3_checksum.rs");
    include!("cases/s3_config.rs");
    include!("cases/s3_options.rs");

    /// Async only: dropping an upload's future (cancellation) must still abort the
    /// multipart upload. Blocking calls cannot be cancelled from outside.
    #[tokio::test]
    async fn a_cancelled_multipart_upload_is_aborted_in_the_background() {
        use std::pin::Pin;
        use std::task::{Context, Poll};

        /// Yields `head` bytes, then tells the test and never yields again.
        struct StallsAfter {
            head: std::io::Cursor<Vec<u8>>,
            reached: Option<tokio::sync::oneshot::Sender<()>>,
        }
        impl tokio::io::AsyncRead for StallsAfter {
            fn poll_read(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<std::io::Result<()>> {
                let before = buf.filled().len();
                let poll = Pin::new(&mut self.head).poll_read(cx, buf);
                if buf.filled().len() > before {
                    return poll;
                }
                if let Some(tx) = self.reached.take() {
                    let _ = tx.send(());
                }
                Poll::Pending
            }
        }

        let s3 = driver(&s3env::moto());
        let b = bucket();
        s3.create_container(&b).await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Part size 5 MiB: 6 MiB means the upload was created and part 1 read before the
        // reader stalls.
        let reader = StallsAfter {
            head: std::io::Cursor::new(content(5, 6 << 20)),
            reached: Some(tx),
        };
        let task = {
            let (s3, b) = (s3.clone(), b.clone());
            tokio::spawn(async move {
                s3.upload_reader(&b, "cancelled.bin", reader, &UploadOptions::new())
                    .await
            })
        };
        rx.await.expect("the reader was drained");
        let started = s3.list_multipart_uploads(&b, "").await.unwrap();
        assert_eq!(started.len(), 1, "{started:?}");
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        // The abort runs on a background task: wait for the server to show it, bounded.
        let gone = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if s3.list_multipart_uploads(&b, "").await.unwrap().is_empty() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(gone.is_ok(), "the cancelled upload was not aborted");
    }

    /// Async only: an upload cancelled just before its runtime shuts down must still be
    /// aborted (the abort runs on a thread of its own, not on the dying runtime), and the
    /// abort is signed when sent. Repeated, since the race it covers is timing dependent.
    #[test]
    fn an_upload_cancelled_as_its_runtime_shuts_down_is_still_aborted() {
        let check = tokio::runtime::Runtime::new().unwrap();
        let s3 = driver(&s3env::moto());
        let b = bucket();
        check.block_on(s3.create_container(&b)).unwrap();
        for round in 0..12 {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let reader = StallsAfterHead::new(content(round, 6 << 20), tx);
            let (s3c, bc) = (s3.clone(), b.clone());
            runtime.spawn(async move {
                let _ = s3c
                    .upload_reader(&bc, "cancelled.bin", reader, &UploadOptions::new())
                    .await;
            });
            rx.recv_timeout(Duration::from_secs(30))
                .expect("the upload started");
            // Part 1 is read: wait (bounded) until the upload shows on the server.
            let started = check.block_on(wait_for_uploads(&s3, &b, |n| n == 1));
            assert!(started, "round {round}: the upload never started");
            // Cancel by shutting the runtime down under the upload.
            runtime.shutdown_background();
            let gone = check.block_on(wait_for_uploads(&s3, &b, |n| n == 0));
            assert!(
                gone,
                "round {round}: the cancelled upload was never aborted"
            );
        }
    }

    /// Polls the server (bounded to 15 s) until the count of uploads in progress passes.
    async fn wait_for_uploads(s3: &mc::storage::S3, b: &str, ok: fn(usize) -> bool) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if ok(s3.list_multipart_uploads(b, "").await.unwrap().len()) {
                return true;
            }
            tokio::task::yield_now().await;
        }
        false
    }

    /// Yields its data, then tells the test and never yields again.
    struct StallsAfterHead {
        head: std::io::Cursor<Vec<u8>>,
        reached: Option<std::sync::mpsc::Sender<()>>,
    }

    impl StallsAfterHead {
        fn new(data: Vec<u8>, reached: std::sync::mpsc::Sender<()>) -> Self {
            StallsAfterHead {
                head: std::io::Cursor::new(data),
                reached: Some(reached),
            }
        }
    }

    impl tokio::io::AsyncRead for StallsAfterHead {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let before = buf.filled().len();
            let poll = std::pin::Pin::new(&mut self.head).poll_read(cx, buf);
            if buf.filled().len() > before {
                return poll;
            }
            if let Some(tx) = self.reached.take() {
                let _ = tx.send(());
            }
            std::task::Poll::Pending
        }
    }

    /// Async only: the abort of a cancelled upload is signed when it is sent, not with the
    /// upload's start time (S3 refuses requests signed 15 minutes earlier).
    #[tokio::test]
    async fn a_cancelled_upload_is_aborted_with_a_fresh_signature() {
        use super::common::fake_http::{FakeServer, hang, respond};
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
        let server = FakeServer::start_with_head(move |_, head, s| {
            let line = head.lines().next().unwrap_or("").to_owned();
            let date = head
                .lines()
                .find_map(|l| l.strip_prefix("x-amz-date: "))
                .unwrap_or("")
                .to_owned();
            let _ = tx.send((line.clone(), date));
            if line.starts_with("POST /b/big?uploads") {
                respond(s, 200, "", b"<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>");
            } else if line.starts_with("PUT ") {
                hang();
            } else {
                respond(s, 204, "", b"");
            }
        });
        let cfg = S3Config::builder()
            .endpoint(server.url(""))
            .credentials(multicloud::Credentials::new("AK", "SK"))
            .part_size(5 << 20)
            .build()
            .unwrap();
        let s3 = S3::new(cfg).unwrap();
        let task = tokio::spawn(async move {
            let data = std::io::Cursor::new(content(9, 6 << 20));
            s3.upload_reader("b", "big", data, &UploadOptions::new())
                .await
        });
        let (line, started) = rx.recv().await.unwrap();
        assert!(line.starts_with("POST /b/big?uploads"), "{line}");
        // Let the clock pass a second (x-amz-date counts seconds), then cancel.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        task.abort();
        let abort = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let (line, date) = rx.recv().await.unwrap();
                if line.starts_with("DELETE /b/big?uploadId=U1") {
                    return date;
                }
            }
        })
        .await
        .expect("the cancelled upload was aborted");
        assert!(
            abort > started,
            "abort signed at {abort}, upload started at {started}"
        );
    }
}
