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
}
