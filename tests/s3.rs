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
}

#[cfg(feature = "async")]
mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    include!("cases/s3.rs");

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
}
