//! The compute conformance suite: written once (`cases/compute.rs`), compiled once per
//! enabled mode, run against every built-in compute driver: in memory, EC2 on moto (an
//! account of its own per test).

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    fn drain<T>(listing: mc::compute::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect()
    }

    fn spawn_and_join<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::spawn(f).join().expect("thread panicked")
    }

    include!("cases/compute.rs");
    include!("cases/compute_ec2.rs");

    /// DigitalOcean's own behaviour, against the fake.
    mod do_specific {
        use super::*;
        include!("cases/compute_digitalocean.rs");
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    use futures_util::StreamExt;
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    async fn drain<T>(listing: mc::compute::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect().await
    }

    async fn spawn_and_join<T, F, Fut>(f: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        tokio::spawn(f()).await.expect("task panicked")
    }

    include!("cases/compute.rs");
    include!("cases/compute_ec2.rs");

    /// DigitalOcean's own behaviour, against the fake.
    mod do_specific {
        use super::*;
        include!("cases/compute_digitalocean.rs");
    }
}

/// The compute examples' steps (`examples/compute/compute_steps.rs`, compiled per mode by
/// `examples/compute/modes.rs`) on moto and the DigitalOcean fake.
#[cfg(all(feature = "blocking", feature = "async"))]
mod examples {
    include!("../examples/compute/modes.rs");
    include!("cases/compute_examples.rs");
}
