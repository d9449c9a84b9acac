//! A local S3 server for tests and benchmarks: the `s3s-fs` file-system backend behind
//! `s3s`, with SigV4 verification, virtual-host support and `TCP_NODELAY` set on every
//! accepted socket (the stock `s3s-fs` binary leaves Nagle on, which stalls kept-alive
//! GETs by 13-19 ms and makes benchmarks measure the kernel instead of clients).
//!
//! Usage: s3-test-server --port P --access-key AK --secret-key SK [--domain D]... ROOT
//! Prints "listening on 127.0.0.1:P" once ready.

use std::path::PathBuf;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::host::MultiDomain;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

struct Args {
    port: u16,
    access_key: String,
    secret_key: String,
    domains: Vec<String>,
    root: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut port, mut ak, mut sk, mut domains, mut root) = (None, None, None, Vec::new(), None);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--port" => port = Some(value()?.parse().map_err(|e| format!("--port: {e}"))?),
            "--access-key" => ak = Some(value()?),
            "--secret-key" => sk = Some(value()?),
            "--domain" => domains.push(value()?),
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => root = Some(PathBuf::from(other)),
        }
    }
    Ok(Args {
        port: port.ok_or("--port is required")?,
        access_key: ak.ok_or("--access-key is required")?,
        secret_key: sk.ok_or("--secret-key is required")?,
        domains,
        root: root.ok_or("the root directory is required")?,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args().map_err(|e| format!("{e}\nusage: s3-test-server --port P --access-key AK --secret-key SK [--domain D]... ROOT"))?;
    std::fs::create_dir_all(&args.root)?;
    let mut builder = S3ServiceBuilder::new(
        s3s_fs::FileSystem::new(&args.root).map_err(|e| format!("cannot serve {}: {e:?}", args.root.display()))?,
    );
    builder.set_auth(SimpleAuth::from_single(args.access_key, args.secret_key));
    if !args.domains.is_empty() {
        builder.set_host(MultiDomain::new(&args.domains)?);
    }
    let service = builder.build();

    let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("listening on {}", listener.local_addr()?);
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(_) => continue,
        };
        // The reason this binary exists.
        let _ = socket.set_nodelay(true);
        let conn = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
