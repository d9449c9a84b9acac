//! A loopback HTTPS server (rustls over a std `TcpListener`, one thread per connection)
//! with the certificate in `tests/data/tls` (made by its `make.sh`): every request gets
//! `200 secure`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The private CA that signed the server's certificate.
pub const CA_PEM: &[u8] = include_bytes!("../data/tls/ca.pem");
const SERVER_PEM: &[u8] = include_bytes!("../data/tls/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("../data/tls/server.key");

pub struct TlsServer {
    pub addr: SocketAddr,
    answered: Arc<AtomicUsize>,
}

impl TlsServer {
    pub fn start() -> Self {
        let config = Arc::new(server_config());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let answered = Arc::new(AtomicUsize::new(0));
        let count = answered.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, count) = (config.clone(), count.clone());
                std::thread::spawn(move || serve(config, stream, &count));
            }
        });
        TlsServer { addr, answered }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// Requests answered (handshakes that failed are not counted).
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }
}

fn server_config() -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = vec![CertificateDer::from_pem_slice(SERVER_PEM).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).unwrap();
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap()
}

/// Answers requests on one connection until it closes or the handshake fails.
fn serve(config: Arc<rustls::ServerConfig>, tcp: std::net::TcpStream, count: &AtomicUsize) {
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut reader = BufReader::new(rustls::StreamOwned::new(conn, tcp));
    loop {
        let mut line = String::new();
        let mut blank = false;
        while !blank {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => blank = line == "\r\n",
            }
        }
        count.fetch_add(1, Ordering::SeqCst);
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
        if reader
            .get_mut()
            .write_all(answer)
            .and_then(|()| reader.get_mut().flush())
            .is_err()
        {
            return;
        }
    }
}
