// The GCS driver against fake-gcs-server: the conformance cases, then GCS's own. Included
// by `tests/storage.rs` once per mode, after `cases/storage.rs` and
// `cases/storage_transfer.rs` (whose macros, fixtures and `Prefixed` it uses).

use mc::storage::Gcs;
use multicloud::storage::gcs::GcsConfig;

/// Resumable chunks of 256 KiB (the smallest Google allows) so the chunked path runs in
/// the conformance cases too: anything above 256 KiB goes up in chunks.
const GCS_CHUNK: usize = 256 << 10;

fn gcs_config() -> multicloud::storage::gcs::GcsConfigBuilder {
    GcsConfig::builder()
        .emulator_host(super::common::cloud_env::gcs())
        .chunk_size(GCS_CHUNK)
}

fn gcs_driver() -> Gcs {
    Gcs::new(gcs_config().build().unwrap()).unwrap()
}

/// An anonymous driver on fake-gcs-server, seen through a unique bucket prefix so tests
/// running in parallel on one server never meet.
fn gcs_fixture() -> Prefixed<Gcs> {
    Prefixed {
        inner: gcs_driver(),
        prefix: s3env::unique_prefix(),
    }
}

// Every case (GCS refuses `.`/`..` segments with its own message, in the shared table of
// refusals; `gcs_names_follow_the_documented_rule` below checks more).
conformance!(gcs, (gcs_fixture(), ());
    container_lifecycle,
    non_empty_container_is_not_empty,
    upload_bytes_round_trip_with_metadata,
    upload_reader_and_file_round_trip,
    listing_pages_lazily_with_prefix,
    listing_more_than_one_page,
    byte_ranges,
    download_to_path_is_atomic_and_respects_overwrite,
    delete_object_semantics,
    many_helpers_keep_order_and_report_each_failure,
    failed_upload_leaves_previous_object,
    missing_container_is_not_found_everywhere,
    driver_is_send_and_spawnable,
    names_follow_the_documented_rule,
    folder_markers_list_delete_and_download_as_directories,
    copy_presign_and_ensure_container,
    copy_between_drivers_streams_and_checks,
    delimiter_listings_show_directories_lazily,
);
transfer_cases!(transfer_gcs, (gcs_fixture(), ()));
scoped_cases!(scoped_gcs, (mc::storage::Scoped::new(gcs_fixture(), "p"), ()));

/// A fresh bucket of its own on fake-gcs-server: the driver and the bucket's name.
#[maybe_async]
async fn gcs_bucket() -> (Gcs, String) {
    let d = gcs_driver();
    let bucket = format!("{}-g", s3env::unique_prefix());
    d.create_container(&bucket).await.unwrap();
    (d, bucket)
}

/// The portable rule, and GCS's own on top: `.`/`..` segments are refused (with GCS's
/// reason), everything else in the corpus round-trips.
#[maybe_async]
#[mode_test]
async fn gcs_names_follow_the_documented_rule() {
    use super::common::Rule;
    let (d, b) = gcs_bucket().await;
    let mut held = Vec::new();
    for (name, rule) in super::common::name_corpus() {
        let up = d
            .upload_bytes(&b, &name, Bytes::from(name.clone()), &opts())
            .await;
        let why = match rule {
            Rule::NotPortable => "object name",
            Rule::DotSegment => "`.`/`..` segment",
            _ => {
                let o = up.unwrap_or_else(|e| panic!("{name:?} ({rule:?}) refused: {e}"));
                assert_eq!(o.size, name.len() as u64);
                let got = d.download_bytes(&b, &name).await.unwrap();
                assert_eq!(got, name.as_bytes(), "{name:?}");
                held.push(name);
                continue;
            }
        };
        let e = up.expect_err(&name);
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name:?}: {e}");
        assert!(e.message().contains(why), "{name:?}: {e} lacks {why:?}");
        let got = d.get_object(&b, &name).await;
        assert_eq!(got.unwrap_err().kind(), ErrorKind::InvalidInput, "{name:?}");
    }
    let mut listed: Vec<String> = d
        .list_objects(&b, "")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    listed.sort();
    held.sort();
    assert_eq!(listed, held);
}

/// Pages of `objects.list` follow `nextPageToken` to the end, each page at most the size
/// asked, every name once.
#[maybe_async]
#[mode_test]
async fn gcs_listing_follows_page_tokens() {
    let (d, b) = gcs_bucket().await;
    let items: Vec<(String, Vec<u8>)> = (0..25).map(|i| (format!("p/{i:02}"), vec![i])).collect();
    for r in d.upload_many(&b, items, &opts(), 8).await {
        r.unwrap();
    }
    let (mut token, mut names, mut pages) = (None::<String>, Vec::new(), 0);
    loop {
        let page = d
            .list_objects_page(&b, "p/", token.as_deref(), 4)
            .await
            .unwrap();
        assert!(page.items.len() <= 4);
        names.extend(page.items.into_iter().map(|o| o.name));
        pages += 1;
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert!(pages >= 7, "{pages} pages");
    let expected: Vec<String> = (0..25).map(|i| format!("p/{i:02}")).collect();
    assert_eq!(names, expected);
    let entries = d.list_entries(&b, "", "/").await.unwrap();
    assert_eq!(entry_keys(entries.into_iter().map(Ok).collect()), ["[p/]"]);
}

/// A reader over three chunks goes up as a resumable upload (progress per chunk) and
/// comes back byte for byte, whole and by ranges across chunk boundaries; a size that is
/// an exact multiple of the chunk is finished by an empty request; `upload_bytes` above
/// a chunk takes the same path.
#[maybe_async]
#[mode_test]
async fn gcs_resumable_uploads_cross_chunks() {
    let (d, b) = gcs_bucket().await;
    let data = content(11, 2 * GCS_CHUNK + 12_345);
    let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = reports.clone();
    let o = opts()
        .content_type("application/x-test")
        .metadata("k", "v")
        .progress(move |p: &mc::storage::Progress<'_>| seen.lock().unwrap().push(p.bytes));
    let reader = std::io::Cursor::new(data.clone());
    let put = d.upload_reader(&b, "big", reader, &o).await.unwrap();
    assert_eq!(put.size, data.len() as u64);
    assert_eq!(put.md5(), Some(md5(&data).as_str()));
    assert_eq!(put.crc32c, Some(crc32c_of(&data)));
    let steps = reports.lock().unwrap().clone();
    let chunk = GCS_CHUNK as u64;
    assert_eq!(
        steps,
        [chunk, 2 * chunk, data.len() as u64],
        "one report per chunk"
    );
    let got = d.download_bytes(&b, "big").await.unwrap();
    assert!(got == data, "content differs");
    let head = d.get_object(&b, "big").await.unwrap();
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(head.metadata.get("k").map(String::as_str), Some("v"));
    let at = GCS_CHUNK as u64 - 3;
    let across = d.download_range(&b, "big", at..at + 10).await.unwrap();
    assert_eq!(&across[..], &data[at as usize..at as usize + 10]);
    let tail = d
        .download_range(&b, "big", 2 * chunk + 12_000..)
        .await
        .unwrap();
    assert_eq!(&tail[..], &data[2 * GCS_CHUNK + 12_000..]);

    let exact = content(12, 2 * GCS_CHUNK);
    let put = d
        .upload_reader(&b, "exact", std::io::Cursor::new(exact.clone()), &opts())
        .await;
    assert_eq!(put.unwrap().size, exact.len() as u64);
    let got = d.download_bytes(&b, "exact").await.unwrap();
    assert!(got == exact, "content differs");
    let bytes = content(13, 3 * GCS_CHUNK + 1);
    let put = d
        .upload_bytes(&b, "bytes", bytes.clone().into(), &opts())
        .await
        .unwrap();
    assert_eq!(put.md5(), Some(md5(&bytes).as_str()));
    let got = d.download_bytes(&b, "bytes").await.unwrap();
    assert!(got == bytes, "content differs");
}

fn crc32c_of(data: &[u8]) -> u32 {
    // CRC32C (Castagnoli), bitwise: the test's own reference, not the library's.
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Write conditions as the JSON API says them: create-only twice (one request and the
/// resumable path), `if_match` with the MD5 ETag (pinned to the generation it names) and
/// with a generation number; read conditions checked on the metadata the bytes belong to.
#[maybe_async]
#[mode_test]
async fn gcs_preconditions_map_to_generations() {
    let (d, b) = gcs_bucket().await;
    let first = d
        .upload_bytes(&b, "k", Bytes::from_static(b"one"), &opts().create_only())
        .await;
    let etag = first.unwrap().hash.unwrap();
    let again = d
        .upload_bytes(&b, "k", Bytes::from_static(b"two"), &opts().create_only())
        .await;
    assert_eq!(again.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    let big = content(14, GCS_CHUNK + 1);
    let resumable = d
        .upload_reader(&b, "k", std::io::Cursor::new(big), &opts().create_only())
        .await;
    assert_eq!(resumable.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    let generation = d
        .upload_bytes(&b, "k", Bytes::from_static(b"x"), &opts().if_match("1"))
        .await;
    assert_eq!(
        generation.unwrap_err().kind(),
        ErrorKind::PreconditionFailed,
        "generation 1"
    );
    let matched = d
        .upload_bytes(&b, "k", Bytes::from_static(b"two"), &opts().if_match(&etag))
        .await
        .unwrap();
    assert_eq!(matched.md5(), Some(md5(b"two").as_str()));
    let stale = d
        .upload_bytes(&b, "k", Bytes::from_static(b"3"), &opts().if_match(&etag))
        .await;
    assert_eq!(stale.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    let got = d.download_bytes(&b, "k").await.unwrap();
    assert_eq!(got, "two");
    let unchanged = GetOptions::new().conditions(ReadConditions::new().if_none_match(md5(b"two")));
    let r = d.download_bytes_with(&b, "k", &unchanged).await;
    assert_eq!(r.unwrap_err().kind(), ErrorKind::NotModified);
}

/// Missing buckets and objects: `NotFound` everywhere, but deleting a missing object in
/// an existing bucket succeeds (fake-gcs-server's 404s do not say which is missing: the
/// driver asks for the bucket).
#[maybe_async]
#[mode_test]
async fn gcs_missing_buckets_and_objects() {
    let (d, b) = gcs_bucket().await;
    let nope = format!("{b}-missing");
    let kind = |r: multicloud::Result<()>| r.unwrap_err().kind();
    let got = d.get_object(&b, "none").await.map(drop);
    assert_eq!(kind(got), ErrorKind::NotFound);
    d.delete_object(&b, "none").await.unwrap();
    let gone = d.delete_object(&nope, "none").await;
    assert_eq!(kind(gone), ErrorKind::NotFound);
    let bucket = d.get_container(&nope).await.map(drop);
    assert_eq!(kind(bucket), ErrorKind::NotFound);
    let big = std::io::Cursor::new(content(15, GCS_CHUNK * 2));
    let resumable = d.upload_reader(&nope, "x", big, &opts()).await.map(drop);
    assert_eq!(kind(resumable), ErrorKind::NotFound);
    let copy = d.copy_object(&b, "none", &b, "dst").await.map(drop);
    assert_eq!(kind(copy), ErrorKind::NotFound);
    let deleted = d.delete_container(&nope).await;
    assert_eq!(kind(deleted), ErrorKind::NotFound);
}

/// `objects.rewrite` copies server side, keeping content type and metadata, chunked
/// objects included; the copy's MD5 and CRC32C are the source's.
#[maybe_async]
#[mode_test]
async fn gcs_copy_by_rewrite_keeps_type_and_metadata() {
    let (d, b) = gcs_bucket().await;
    let data = content(16, GCS_CHUNK * 3 + 7);
    let o = opts().content_type("image/png").metadata("owner", "ann");
    let src = d
        .upload_bytes(&b, "src", data.clone().into(), &o)
        .await
        .unwrap();
    let copy = d.copy_object(&b, "src", &b, "dir/copy").await.unwrap();
    assert_eq!(
        (copy.size, copy.crc32c, copy.hash.clone()),
        (src.size, src.crc32c, src.hash)
    );
    let stat = d.get_object(&b, "dir/copy").await.unwrap();
    assert_eq!(stat.content_type.as_deref(), Some("image/png"));
    assert_eq!(stat.metadata.get("owner").map(String::as_str), Some("ann"));
    let got = d.download_bytes(&b, "dir/copy").await.unwrap();
    assert!(got == data, "content differs");
}

/// V4 signed URLs with a service-account key (the conformance suite's dummy key), used
/// by a plain HTTP client. fake-gcs-server does not check signatures, so this proves the
/// URL's target (emulator endpoint, path-style bucket and object) and its signed shape,
/// not that Google would accept the signature (the public vectors prove that). Other
/// credentials cannot sign: `Unsupported`.
#[maybe_async]
#[mode_test]
async fn gcs_presigned_urls_point_at_the_emulator() {
    let (d, b) = gcs_bucket().await;
    d.upload_bytes(&b, "dir/a b.txt", Bytes::from_static(b"signed"), &opts())
        .await
        .unwrap();
    let key = include_bytes!("../data/gcs-v4/test_service_account.not-a-test.json");
    let source = multicloud::gcp::Source::from_json(key).unwrap();
    let signer = Gcs::new(gcs_config().credentials(source).build().unwrap()).unwrap();
    let ttl = std::time::Duration::from_secs(600);
    let url = signer.presign_get(&b, "dir/a b.txt", ttl).unwrap();
    let endpoint = super::common::cloud_env::gcs();
    assert!(
        url.starts_with(&format!("{endpoint}/{b}/dir/a%20b.txt?")),
        "{url}"
    );
    for part in [
        "X-Goog-Algorithm=GOOG4-RSA-SHA256",
        "X-Goog-Expires=600",
        "X-Goog-Signature=",
    ] {
        assert!(url.contains(part), "{url} lacks {part}");
    }
    let body = spawn_and_join(move || async move { plain_get(&url) }).await;
    assert_eq!(body, b"signed");
    let put = signer.presign_put(&b, "up.txt", ttl).unwrap();
    assert!(put.starts_with(&format!("{endpoint}/{b}/up.txt?")), "{put}");
    assert!(put.contains("X-Goog-Signature="), "{put}");
    let e = gcs_driver().presign_get(&b, "x", ttl).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
}

/// A GET with ureq, outside any runtime.
fn plain_get(url: &str) -> Vec<u8> {
    let mut resp = ureq::get(url).call().unwrap();
    resp.body_mut().read_to_vec().unwrap()
}
