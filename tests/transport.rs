//! The HTTP transport against an in-process fault-injecting server, written once
//! (`cases/transport.rs`) and run in each enabled mode.

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    include!("cases/transport.rs");
}

#[cfg(feature = "async")]
mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    include!("cases/transport.rs");
}
