//! The AWS credentials provider in both modes: STS against moto (AssumeRole through a
//! profile, AssumeRoleWithWebIdentity through a token file) followed by S3 calls, fake
//! instance-metadata and container endpoints in process, `credential_process`, refresh
//! with an injected clock, one refresh for many callers, and no secret in any output.
//! Written once (`cases/aws_credentials.rs`), included per mode.

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    include!("cases/aws_credentials.rs");
}

#[cfg(feature = "async")]
mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    include!("cases/aws_credentials.rs");
}
