// S3 options: ListObjects v1 against both servers, storage URL options, an endpoint with a
// base path. Included once per mode by `tests/s3.rs`, after `cases/s3.rs` (whose imports
// and helpers it uses).

use multicloud::storage::Entry;

/// The keys every v1 listing case stores.
const V1_KEYS: &[&str] = &["a/1", "a/2", "b", "c/x", "c/y/z", "d", "e"];

fn v1_driver(endpoint: &str) -> S3 {
    let cfg = S3Config::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new(s3env::S3S_KEY, s3env::S3S_SECRET))
        .list_v1(true)
        .build()
        .unwrap();
    S3::new(cfg).unwrap()
}

/// Every page of a flat listing, two keys a page, and how many pages it took.
#[maybe_async]
async fn flat_pages(s3: &S3, b: &str, prefix: &str) -> (Vec<String>, usize) {
    let (mut keys, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let page = s3.list_objects_page(b, prefix, token.as_deref(), 2).await.unwrap();
        pages += 1;
        keys.extend(page.items.into_iter().map(|o| o.name));
        token = page.next_token;
        if token.is_none() || pages > 20 {
            return (keys, pages);
        }
    }
}

/// Every page of a delimited listing, two entries a page.
#[maybe_async]
async fn entry_pages(s3: &S3, b: &str, prefix: &str) -> (Vec<String>, usize) {
    let (mut keys, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let page = s3.list_entries_page(b, prefix, "/", token.as_deref(), 2).await.unwrap();
        pages += 1;
        for e in page.items {
            keys.push(match e {
                Entry::Object(o) => o.name,
                Entry::Prefix(p) => p,
            });
        }
        token = page.next_token;
        if token.is_none() || pages > 20 {
            return (keys, pages);
        }
    }
}

#[maybe_async]
async fn list_v1_pages_flat_and_delimited_on(endpoint: &str) {
    let s3 = v1_driver(endpoint);
    assert!(s3.config().list_v1);
    let b = bucket();
    s3.create_container(&b).await.unwrap();
    for k in V1_KEYS {
        s3.upload_bytes(&b, k, Bytes::from_static(b"v1"), &UploadOptions::new()).await.unwrap();
    }
    let (flat, pages) = flat_pages(&s3, &b, "").await;
    assert_eq!(flat, V1_KEYS, "{endpoint}");
    assert_eq!(pages, 4, "{endpoint}: two keys a page");
    let (under_c, _) = flat_pages(&s3, &b, "c/").await;
    assert_eq!(under_c, ["c/x", "c/y/z"]);
    let (top, pages) = entry_pages(&s3, &b, "").await;
    assert_eq!(top, ["a/", "b", "c/", "d", "e"], "{endpoint}");
    assert!(pages >= 2, "{endpoint}: {pages} pages");
    let (in_c, _) = entry_pages(&s3, &b, "c/").await;
    assert_eq!(in_c, ["c/x", "c/y/"], "{endpoint}");
    let all = s3.list_objects(&b, "").await.unwrap();
    assert_eq!(all.len(), V1_KEYS.len());
}

#[maybe_async]
#[mode_test]
async fn list_v1_pages_flat_and_delimited_listings_on_moto() {
    list_v1_pages_flat_and_delimited_on(&s3env::moto()).await;
}

#[maybe_async]
#[mode_test]
async fn list_v1_pages_flat_and_delimited_listings_on_s3s() {
    list_v1_pages_flat_and_delimited_on(&s3env::s3s()).await;
}

#[maybe_async]
#[mode_test]
async fn url_options_configure_s3_at_run_time() {
    use mc::storage::AnyStorage;
    let moto = s3env::moto();
    let b = bucket();
    let url = format!("s3://{b}/logs?region=eu-west-3&path_style=true");
    let options = [("endpoint", moto.as_str()), ("anonymous", "true"), ("list_v1", "true")];
    let (store, location) = AnyStorage::from_url_with(&url, options).unwrap();
    assert_eq!((location.container.as_deref(), location.prefix.as_str()), (Some(&*b), "logs"));
    let AnyStorage::S3(s3) = &store else { panic!("s3:// builds S3") };
    let cfg = s3.config();
    assert_eq!(cfg.region, "eu-west-3");
    assert!(cfg.path_style && cfg.list_v1 && cfg.credentials.is_none());
    assert!(cfg.endpoint.as_str().starts_with(&moto), "{}", cfg.endpoint);
    // The driver works: moto takes unsigned requests.
    store.create_container(&b).await.unwrap();
    store.upload_bytes(&b, "logs/1", Bytes::from_static(b"x"), &UploadOptions::new()).await.unwrap();
    let listed = store.list_objects(&b, "logs/").await.unwrap();
    assert_eq!(listed.len(), 1);
    // Unknown or secret options are InvalidInput naming the key, never the value.
    for bad in [("regoin", "x"), ("secret_access_key", "HUNTER2")] {
        let e = AnyStorage::from_url_with("s3://b", [bad]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let shown = format!("{e} {e:?}");
        assert!(shown.contains(bad.0) && !shown.contains("HUNTER2"), "{shown}");
    }
    let e = AnyStorage::from_url_with("memory://", [("region", "x")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // Part settings reach each driver's configuration; the drivers' limits still apply.
    let url = "s3://b?anonymous=true&part_size=16777216&part_concurrency=10";
    let (AnyStorage::S3(s3), _) = AnyStorage::from_url(url).unwrap() else { panic!("s3") };
    assert_eq!((s3.config().part_size, s3.config().part_concurrency), (16 << 20, 10));
    let url = "az://c?emulator=true&part_size=1048576&part_concurrency=3";
    let (AnyStorage::Azure(az), _) = AnyStorage::from_url(url).unwrap() else { panic!("az") };
    assert_eq!((az.config().block_size, az.config().block_concurrency), (1 << 20, 3));
    let url = format!("gs://b?emulator=true&endpoint={moto}&part_size=524288");
    let (AnyStorage::Gcs(gcs), _) = AnyStorage::from_url(&url).unwrap() else { panic!("gs") };
    assert_eq!(gcs.config().chunk_size, 512 << 10);
    let e = AnyStorage::from_url("s3://b?anonymous=true&part_size=1024").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "below S3's 5 MiB minimum: {e}");
}

#[maybe_async]
#[mode_test]
async fn an_endpoint_base_path_reaches_the_server_in_every_request() {
    use super::common::fake_http::{FakeServer, respond};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let server = FakeServer::start_with_head(move |_, head, s| {
        let line = head.lines().next().unwrap_or("").to_owned();
        log.lock().unwrap().push(line.clone());
        if line.starts_with("GET /base/api/b?") {
            respond(s, 200, "", b"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>");
        } else if line.starts_with("HEAD /base/api/b ") || line.starts_with("DELETE /base/api/b/k ") {
            respond(s, 204, "", b"");
        } else {
            respond(s, 404, "", b"<Error><Code>NoSuchKey</Code></Error>");
        }
    });
    let cfg = S3Config::builder()
        .endpoint(server.url("/base/api/"))
        .credentials(Credentials::new("AK", "SK"))
        .build()
        .unwrap();
    let s3 = S3::new(cfg).unwrap();
    s3.get_container("b").await.unwrap();
    let listed = s3.list_objects("b", "").await.unwrap();
    assert_eq!(listed.len(), 1);
    s3.delete_object("b", "k").await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.iter().all(|l| l.split(' ').nth(1).unwrap().starts_with("/base/api/b")), "{seen:?}");
}
