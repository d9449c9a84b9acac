//! The benchmark of `benches/s3_put_get.rs` with two peers added to the same run:
//! object_store (Apache Arrow) and rust-s3. Ratios are to the raw reqwest baseline.
//!
//! ```text
//! scripts/emulators run -- cargo run --release --manifest-path tools/bench-peers/Cargo.toml -- [N] [CONCURRENCY...]
//! ```
//!
//! Two more phases compare multicloud with object_store and a raw floor:
//! `bench-peers big [MIB] [ROUNDS]` (one big object up and down, each client in a process
//! of its own: MiB/s, CPU, peak RSS; see `big.rs`) and `bench-peers list [N] [ROUNDS]`
//! (N keys listed whole; see `listing.rs`).

#[path = "../../../benches/s3_put_get.rs"]
mod base;
mod big;
mod big_one;
mod common;
mod floor_list;
mod listing;
mod pattern;

use base::{Client, Env, measure};

const KEY: &str = "multicloud-test-key";
const SECRET: &str = "multicloud-test-secret";

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("big") => big::run(),
        // Hidden: one client of the `big` phase, in the child process `big` starts.
        Some("big-one") => big_one::run(),
        Some("list") => listing::run(),
        _ => base::run(&peers),
    }
}

fn peers(env: &Env) -> Vec<(&'static str, Client<'_>)> {
    vec![
        ("object_store 0.14", object_store_client(env)),
        ("rust-s3 0.38", rust_s3_client(env)),
    ]
}

fn object_store_client(env: &Env) -> Client<'_> {
    use object_store::aws::AmazonS3Builder;
    use object_store::path::Path;
    use object_store::{ObjectStoreExt, PutPayload};
    let store = std::sync::Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(&env.endpoint)
            .with_bucket_name(&env.bucket)
            .with_access_key_id(KEY)
            .with_secret_access_key(SECRET)
            .with_region("us-east-1")
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .build()
            .unwrap(),
    );
    Box::new(move |keys, conc| {
        let put = measure(keys.len(), || {
            env.rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let (store, body) = (&store, env.body.clone());
                    async move {
                        store
                            .put(&Path::from(format!("os/{k}")), PutPayload::from(body))
                            .await
                            .unwrap();
                    }
                },
            ));
        });
        let get = measure(keys.len(), || {
            env.rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let store = &store;
                    async move {
                        let b = store
                            .get(&Path::from(format!("os/{k}")))
                            .await
                            .unwrap()
                            .bytes()
                            .await
                            .unwrap();
                        assert_eq!(b.len(), 4096);
                    }
                },
            ));
        });
        (put, get)
    })
}

fn rust_s3_client(env: &Env) -> Client<'_> {
    let region = s3::Region::Custom {
        region: "us-east-1".to_owned(),
        endpoint: env.endpoint.clone(),
    };
    let creds = s3::creds::Credentials::new(Some(KEY), Some(SECRET), None, None, None).unwrap();
    let bucket = s3::Bucket::new(&env.bucket, region, creds)
        .unwrap()
        .with_path_style();
    Box::new(move |keys, conc| {
        let put = measure(keys.len(), || {
            env.rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let (bucket, body) = (&bucket, env.body.clone());
                    async move {
                        bucket.put_object(format!("rs/{k}"), &body).await.unwrap();
                    }
                },
            ));
        });
        let get = measure(keys.len(), || {
            env.rt.block_on(multicloud::asynchronous::run_bounded(
                keys.to_vec(),
                conc,
                |k| {
                    let bucket = &bucket;
                    async move {
                        let r = bucket.get_object(format!("rs/{k}")).await.unwrap();
                        assert_eq!(r.bytes().len(), 4096);
                    }
                },
            ));
        });
        (put, get)
    })
}
