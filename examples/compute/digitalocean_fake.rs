//! A stand-in for DigitalOcean's API on 127.0.0.1, so the compute examples run without an
//! account: the in-process fake the tests use (`tests/common/digitalocean_fake`), whose
//! answers are shaped as DigitalOcean's API reference documents. It prints its URL, accepts
//! the bearer token `example-token`, and serves until its standard input closes.
//!
//! ```text
//! scripts/compute-examples     # starts it, with moto, and runs the compute examples
//! ```

#[path = "../../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

/// The token the fake accepts (give it as `DIGITALOCEAN_TOKEN`).
const TOKEN: &str = "example-token";

fn main() {
    let fake = common::digitalocean_fake::DoFake::start(TOKEN);
    println!("{}", fake.url());
    // Serve until whoever started us closes our input.
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}
