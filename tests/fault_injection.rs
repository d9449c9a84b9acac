//! The fault-injection suite: mixed S3 operations through a proxy that breaks a share of
//! the exchanges, then everything verified on the server (`cases/fault_injection.rs`, run
//! in each enabled mode). The default is a short run; `scripts/fault-run` runs 1,000
//! operations per mode.

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    const MODE: &str = "blocking";

    fn drain<T>(listing: mc::storage::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect()
    }

    include!("cases/fault_injection.rs");
    include!("cases/fault_ranged.rs");
    include!("cases/fault_azure.rs");
    include!("cases/fault_gcs.rs");
    include!("cases/fault_ec2.rs");
    include!("cases/fault_ec2_soak.rs");
}

#[cfg(feature = "async")]
mod asynchronous {
    use futures_util::StreamExt;
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    const MODE: &str = "async";

    async fn drain<T>(listing: mc::storage::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect().await
    }

    include!("cases/fault_injection.rs");
    include!("cases/fault_ranged.rs");
    include!("cases/fault_azure.rs");
    include!("cases/fault_gcs.rs");
    include!("cases/fault_ec2.rs");
    include!("cases/fault_ec2_soak.rs");
}
