//! The DNS conformance suite: written once (`cases/dns.rs`), compiled once per enabled
//! mode, run against every built-in DNS driver.

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    fn drain<T>(listing: mc::dns::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect()
    }

    include!("cases/dns.rs");

    /// Route53's own behaviour, on moto and a fake.
    mod route53_specific {
        use super::*;
        include!("cases/dns_route53.rs");
    }

    /// DigitalOcean DNS's own behaviour, against the fake.
    mod do_specific {
        use super::*;
        include!("cases/dns_digitalocean.rs");
    }
    include!("cases/dns_cloudflare.rs");
}

#[cfg(feature = "async")]
mod asynchronous {
    use futures_util::StreamExt;
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    async fn drain<T>(listing: mc::dns::Listing<'_, T>) -> Vec<multicloud::Result<T>> {
        listing.collect().await
    }

    include!("cases/dns.rs");

    /// Route53's own behaviour, on moto and a fake.
    mod route53_specific {
        use super::*;
        include!("cases/dns_route53.rs");
    }

    /// DigitalOcean DNS's own behaviour, against the fake.
    mod do_specific {
        use super::*;
        include!("cases/dns_digitalocean.rs");
    }
    include!("cases/dns_cloudflare.rs");
}
