//! The HTTP transport against an in-process fault-injecting server, written once
//! (`cases/transport.rs`) and run in each enabled mode.

mod common;

#[cfg(feature = "blocking")]
mod blocking {
    use core::prelude::v1::test as mode_test;
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    /// A caller's own agent, built as ureq builds it by default (redirects followed,
    /// statuses as errors) but with its own user agent, handed to the library.
    fn handed_in(config: mc::http::TransportConfig, user_agent: &str) -> mc::http::HttpClient {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .user_agent(user_agent)
            .build()
            .into();
        mc::http::HttpClient::from_ureq_agent(agent, config)
    }

    include!("cases/transport.rs");
    include!("cases/tokens.rs");
}

#[cfg(feature = "async")]
mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;
    use tokio::test as mode_test;

    /// A caller's own client, built as reqwest builds it by default (redirects followed)
    /// but with its own user agent, handed to the library.
    fn handed_in(config: mc::http::TransportConfig, user_agent: &str) -> mc::http::HttpClient {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(user_agent)
            .build()
            .unwrap();
        mc::http::HttpClient::from_reqwest_client(client, config)
    }

    include!("cases/transport.rs");
    include!("cases/tokens.rs");
}
