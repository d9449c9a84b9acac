//! The async transport: one pooled `reqwest::Client` with rustls on ring (no aws-lc-rs,
//! no native TLS).

use std::sync::Arc;

use super::rt::ObjectReader;
use crate::error::ErrorKind;
use crate::http::{Request, Response, SendFailure, TransportConfig, transport_error};

/// Response headers as pairs.
type Headers = crate::http::HeaderMap;

/// Status, headers and a body still to be read.
pub(crate) type Streaming = (u16, Headers, ObjectReader);

/// One attempt, no retries: the retry loop lives in the shared shell.
#[derive(Debug, Clone)]
pub(crate) struct RawClient {
    client: reqwest::Client,
    request_timeout: std::time::Duration,
}

impl RawClient {
    pub(crate) fn new(config: &TransportConfig) -> crate::Result<Self> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .connect_timeout(config.connect_timeout)
            // Per-read: a response body that stops moving fails; one that moves never does.
            .read_timeout(config.stall_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| {
                crate::Error::new(ErrorKind::Transport, "cannot build the HTTP client")
                    .with_source(e.without_url())
            })?;
        Ok(RawClient {
            client,
            request_timeout: config.request_timeout,
        })
    }

    pub(crate) async fn send_once(&self, req: &Request) -> Result<Response, SendFailure> {
        let mut resp = self.start(req).await?;
        let (status, headers) = status_and_headers(&mut resp);
        let body = resp.bytes().await.map_err(|e| classify(req, e))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Sends and returns as soon as the headers are in; the body streams from the reader.
    pub(crate) async fn send_streaming_once(
        &self,
        req: &Request,
    ) -> Result<Streaming, SendFailure> {
        use futures_util::TryStreamExt;
        let mut resp = self.start(req).await?;
        let (status, headers) = status_and_headers(&mut resp);
        let stream = resp.bytes_stream().map_err(|e| {
            let kind = if e.is_timeout() {
                std::io::ErrorKind::TimedOut
            } else {
                std::io::ErrorKind::Other
            };
            std::io::Error::new(kind, e.without_url())
        });
        let reader: ObjectReader = Box::pin(tokio_util::io::StreamReader::new(stream));
        Ok((status, headers, reader))
    }

    async fn start(&self, req: &Request) -> Result<reqwest::Response, SendFailure> {
        let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
            .expect("our methods are valid tokens");
        let mut builder = self.client.request(method, req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !req.body.is_empty() {
            builder = builder.body(req.body.clone());
        }
        if !req.transfer {
            builder = builder.timeout(self.request_timeout);
        }
        builder.send().await.map_err(|e| classify(req, e))
    }
}

/// Takes the headers over as they are (no copy), leaving the response its body.
fn status_and_headers(resp: &mut reqwest::Response) -> (u16, Headers) {
    (resp.status().as_u16(), std::mem::take(resp.headers_mut()))
}

fn tls_config() -> crate::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::Error::new(ErrorKind::Transport, format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn classify(req: &Request, e: reqwest::Error) -> SendFailure {
    // reqwest's Display would include the URL (and a presigned signature with it).
    let e = e.without_url();
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_builder() {
        ErrorKind::InvalidInput
    } else {
        ErrorKind::Transport
    };
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        error_chain(&e)
    };
    let connect = is_connect_error(&e);
    let err = transport_error(kind, req, what).with_source(e);
    if connect {
        SendFailure::connect(err)
    } else {
        SendFailure::interrupted(err)
    }
}

fn is_connect_error(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_builder()
}

/// The error and its causes, joined: reqwest's own text alone says only "error sending
/// request".
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
