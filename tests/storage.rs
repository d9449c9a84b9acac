//! The storage conformance suite: written once (`cases/storage.rs`), compiled once per
//! enabled mode, run against every built-in driver.

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    #[allow(unused_imports)]
    use std::io::{Read as ReadExt, Write as WriteExt};

    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;
    use std::sync::Barrier;

    fn drain<T>(listing: mc::storage::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect()
    }

    fn take_n<T>(listing: mc::storage::Listing<'_, T>, n: usize) -> Vec<multicloud::Result<T>> {
        listing.take(n).collect()
    }

    fn spawn_and_join<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::spawn(f).join().expect("thread panicked")
    }

    include!("cases/storage.rs");
    include!("cases/storage_local.rs");
    include!("cases/storage_runtime.rs");
    include!("cases/storage_transfer.rs");
    include!("cases/storage_azure.rs");
    include!("cases/storage_gcs.rs");
    include!("cases/storage_ring.rs");
    include!("cases/storage_cloud_auth.rs");
    include!("cases/storage_ranged.rs");

    mod ring {
        use super::{maybe_async, mc};
        include!("../examples/ring/ring_steps.rs");
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    #[allow(unused_imports)]
    use tokio::io::{AsyncReadExt as ReadExt, AsyncWriteExt as WriteExt};

    use futures_util::StreamExt;
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::sync::Barrier;
    use tokio::test as mode_test;

    async fn drain<T>(listing: mc::storage::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect().await
    }

    async fn take_n<T>(
        listing: mc::storage::Listing<'_, T>,
        n: usize,
    ) -> Vec<multicloud::Result<T>> {
        listing.take(n).collect().await
    }

    async fn spawn_and_join<T, F, Fut>(f: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        tokio::spawn(f()).await.expect("task panicked")
    }

    include!("cases/storage.rs");
    include!("cases/storage_local.rs");
    include!("cases/storage_runtime.rs");
    include!("cases/storage_transfer.rs");
    include!("cases/storage_azure.rs");
    include!("cases/storage_gcs.rs");
    include!("cases/storage_ring.rs");
    include!("cases/storage_cloud_auth.rs");
    include!("cases/storage_ranged.rs");
    include!("cases/storage_ranged_async.rs");

    mod ring {
        use super::{maybe_async, mc};
        include!("../examples/ring/ring_steps.rs");
    }
}
