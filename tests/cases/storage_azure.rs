// The Azure Blob driver against Azurite: the conformance cases, then Azure's own. Included
// by `tests/storage.rs` once per mode, after `cases/storage.rs` (whose macros, fixtures and
// `Prefixed` it uses).

use mc::storage::{Azure, Entry};
use multicloud::storage::azure::AzureConfig;

use super::common::cloud_env::{AZURITE_ACCOUNT, AZURITE_KEY, azurite};

/// Small blocks so the block path runs in the conformance cases too: anything above
/// 2 MiB goes up in 1 MiB blocks, three at once.
fn azure_config() -> multicloud::storage::azure::AzureConfigBuilder {
    AzureConfig::builder()
        .endpoint(azurite())
        .account(AZURITE_ACCOUNT)
        .account_key(AZURITE_KEY)
        .single_put_threshold(2 << 20)
        .block_size(1 << 20)
        .block_concurrency(3)
}

fn azure_driver() -> Azure {
    Azure::new(azure_config().build().unwrap()).unwrap()
}

/// An account-key driver on Azurite, seen through a unique container prefix so tests
/// running in parallel on one server never meet.
fn azure_fixture() -> Prefixed<Azure> {
    Prefixed {
        inner: azure_driver(),
        prefix: s3env::unique_prefix(),
    }
}

// One shared case cannot hold as written: `names_follow_the_documented_rule` takes names
// with `\` as portable, and Azure stores `\` as `/` (so `a\..\b` would list as `a/../b`):
// the driver refuses them, and `.`/`..` segments as S3 does. `azure_names_round_trip_or_are_refused`
// below runs the same corpus with Azure's refusals.
conformance!(azure, (azure_fixture(), ());
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
    folder_markers_list_delete_and_download_as_directories,
    copy_presign_and_ensure_container,
    copy_between_drivers_streams_and_checks,
    delimiter_listings_show_directories_lazily,
);
transfer_cases!(transfer_azure, (azure_fixture(), ()));
scoped_cases!(scoped_azure, (mc::storage::Scoped::new(azure_fixture(), "p"), ()));

/// A raw PUT through a SAS URL, headers as given; the status and the body.
fn raw_put(url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.put(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.send(body).unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

/// The container name a `Prefixed` fixture gives `c`.
fn real(d: &Prefixed<Azure>, c: &str) -> String {
    format!("{}-{c}", d.prefix)
}

const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

#[maybe_async]
#[mode_test]
async fn azure_names_round_trip_or_are_refused() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let mut held = Vec::new();
    for (name, rule) in super::common::name_corpus() {
        let up = d.upload_bytes("c", &name, Bytes::from(name.clone()), &opts()).await;
        if name.contains('\\') {
            // Azure stores `\` as `/` (`a\..\b` would list as `a/../b`): refused.
            let e = up.expect_err(&name);
            assert!(e.message().contains("which Azure stores as '/'"), "{e}");
            continue;
        }
        match rule {
            Rule::NotPortable | Rule::DotSegment => {
                let e = up.expect_err(&name);
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name:?}: {e}");
                if rule == Rule::DotSegment {
                    assert!(e.message().contains("'.' or '..' segment"), "{e}");
                }
            }
            _ => {
                let o = up.unwrap_or_else(|e| panic!("{name:?} ({rule:?}) refused: {e}"));
                assert_eq!(o.size, name.len() as u64);
                let got = d.download_bytes("c", &name).await;
                assert_eq!(got.unwrap(), name.as_bytes(), "{name:?}");
                held.push(name);
            }
        }
    }
    let mut listed: Vec<String> = d.list_objects("c", "").await.unwrap().into_iter().map(|o| o.name).collect();
    listed.sort();
    held.sort();
    assert_eq!(listed, held, "the listing holds exactly the accepted names");
}

#[maybe_async]
#[mode_test]
async fn azure_container_names_follow_azures_rule() {
    let d = azure_driver();
    for bad in ["ab", "Upper", "a--b", "-ab", "ab-", "under_score", "dot.ted"] {
        let e = d.create_container(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(e.message().contains("lowercase letters, digits and single hyphens"), "{e}");
    }
}

#[maybe_async]
#[mode_test]
async fn azure_lists_several_pages_with_markers() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let items: Vec<(String, UploadSource)> =
        (0..25).map(|i| (format!("p/{i:02}"), UploadSource::from(vec![b'x'; i]))).collect();
    let done = d.upload_many("c", items, &opts(), 8).await;
    assert!(done.iter().all(|r| r.is_ok()), "{done:?}");
    let (mut token, mut pages, mut names) = (None::<String>, 0, Vec::new());
    loop {
        let page = d.list_objects_page("c", "p/", token.as_deref(), 10).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 10);
        names.extend(page.items.into_iter().map(|o| (o.name, o.size, o.hash)));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 25);
    for (i, (name, size, hash)) in names.iter().enumerate() {
        assert_eq!((name.as_str(), *size), (format!("p/{i:02}").as_str(), i as u64));
        assert_eq!(hash.as_deref(), Some(md5(&vec![b'x'; i]).as_str()), "listings carry the MD5");
    }
    // Delimited pages: prefixes and objects interleaved, tokens opaque.
    for sub in ["d/a/1", "d/a/2", "d/b/1", "d/c", "d/e/1"] {
        d.upload_bytes("c", sub, Bytes::new(), &opts()).await.unwrap();
    }
    let first = d.list_entries_page("c", "d/", "/", None, 2).await.unwrap();
    assert_eq!(first.items, [Entry::Prefix("d/a/".into()), Entry::Prefix("d/b/".into())]);
    let token = first.next_token.expect("more entries");
    let rest = d.list_entries_page("c", "d/", "/", Some(&token), 10).await.unwrap();
    let keys: Vec<&str> = rest.items.iter().map(|e| e.key()).collect();
    assert_eq!(keys, ["d/c", "d/e/"]);
    assert!(rest.next_token.is_none());
    let all = d.list_entries("c", "d/", "/").await.unwrap();
    assert_eq!(all.len(), 4);
}

#[maybe_async]
#[mode_test]
async fn azure_block_uploads_are_checked_end_to_end() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    // 5.5 MiB through 1 MiB blocks: six blocks, three at once.
    let data = content(7, 5 * (1 << 20) + (1 << 19));
    let reader = std::io::Cursor::new(data.clone());
    let o = UploadOptions::new().content_type("application/x-test").metadata("kind", "blocks");
    let put = d.upload_reader("c", "big.bin", reader, &o).await.unwrap();
    assert_eq!(put.size, data.len() as u64);
    assert_eq!(put.hash.as_deref(), Some(md5(&data).as_str()));
    let head = d.get_object("c", "big.bin").await.unwrap();
    assert_eq!(head.hash, put.hash, "Put Block List stated the whole MD5");
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(head.metadata.get("kind").map(String::as_str), Some("blocks"));
    let got = d.download_bytes("c", "big.bin").await.unwrap();
    assert_eq!(got, data, "downloaded and MD5-checked");
    // A range across a block boundary, and the end.
    let mid = d.download_range("c", "big.bin", (1 << 20) - 3..(1 << 20) + 5).await.unwrap();
    assert_eq!(mid, data[(1 << 20) - 3..(1 << 20) + 5]);
    let (meta, _) = d.open_object_range("c", "big.bin", ((data.len() - 10) as u64..).into()).await.unwrap();
    assert_eq!(meta.hash, put.hash, "a ranged read states the whole blob's MD5");
    assert_eq!(meta.size, data.len() as u64);
    // A reader that breaks after three blocks commits nothing: the old blob stays.
    let broken = FailingReader::new(&data[..3 << 20]);
    let e = d.upload_reader("c", "big.bin", broken, &opts()).await.unwrap_err();
    assert_ne!(e.kind(), ErrorKind::NotFound, "{e}");
    let kept = d.download_bytes("c", "big.bin").await.unwrap();
    assert_eq!(kept, data);
    let broken = FailingReader::new(&data[..3 << 20]);
    d.upload_reader("c", "never", broken, &opts()).await.unwrap_err();
    let absent = d.get_object("c", "never").await.unwrap_err();
    assert_eq!(absent.kind(), ErrorKind::NotFound);
    let listed = d.list_objects("c", "").await.unwrap();
    assert_eq!(listed.len(), 1, "uncommitted blocks are not blobs");
}

#[maybe_async]
#[mode_test]
async fn azure_metadata_round_trips_and_bad_names_are_refused_before_sending() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let o = UploadOptions::new().metadata("Owner", "ana").metadata("build_2", "x y");
    d.upload_bytes("c", "m", Bytes::from_static(b"m"), &o).await.unwrap();
    let head = d.get_object("c", "m").await.unwrap();
    let expected: BTreeMap<String, String> =
        [("owner", "ana"), ("build_2", "x y")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    assert_eq!(head.metadata, expected);
    for bad in ["run-id", "2fast"] {
        let o = UploadOptions::new().metadata(bad, "1");
        let e = d.upload_bytes("c", "m2", Bytes::from_static(b"m"), &o).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(e.message().contains("C# identifiers"), "{e}");
    }
    let none = d.get_object("c", "m2").await.unwrap_err();
    assert_eq!(none.kind(), ErrorKind::NotFound, "nothing was sent");
}

#[maybe_async]
#[mode_test]
async fn azure_conditional_requests() {
    use mc::storage::{GetOptions, ReadConditions};
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let first = d.upload_bytes("c", "k", Bytes::from_static(b"one"), &opts().create_only()).await.unwrap();
    let again = d.upload_bytes("c", "k", Bytes::from_static(b"two"), &opts().create_only()).await;
    let e = again.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    assert_eq!(e.code(), Some("BlobAlreadyExists"), "Azure refused it, not a look-ahead");
    let md5_etag = first.hash.clone().unwrap();
    let unchanged = GetOptions::new().conditions(ReadConditions::new().if_none_match(&md5_etag));
    let r = d.download_bytes_with("c", "k", &unchanged).await;
    assert_eq!(r.unwrap_err().kind(), ErrorKind::NotModified);
    let since = GetOptions::new().conditions(ReadConditions::new().if_modified_since(first.last_modified.unwrap()));
    let r = d.download_bytes_with("c", "k", &since).await;
    let e = r.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotModified, Some(304)), "sent and answered by Azure");
    let replaced = d.upload_bytes("c", "k", Bytes::from_static(b"two"), &opts().if_match(&md5_etag)).await.unwrap();
    let stale = d.upload_bytes("c", "k", Bytes::from_static(b"three"), &opts().if_match(&md5_etag)).await;
    assert_eq!(stale.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    let current = GetOptions::new().conditions(ReadConditions::new().if_match(replaced.hash.unwrap()));
    let got = d.download_bytes_with("c", "k", &current).await;
    assert_eq!(got.unwrap(), "two");
}

#[maybe_async]
#[mode_test]
async fn azure_copy_keeps_properties_server_side() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    d.create_container("other").await.unwrap();
    let o = UploadOptions::new().content_type("text/csv").metadata("owner", "ana");
    let src = d.upload_bytes("c", "src.csv", Bytes::from_static(b"a,b\n1,2\n"), &o).await.unwrap();
    let copy = d.copy_object("c", "src.csv", "other", "dst.csv").await.unwrap();
    assert_eq!((copy.size, copy.hash.clone()), (src.size, src.hash.clone()));
    assert_eq!(copy.content_type.as_deref(), Some("text/csv"));
    assert_eq!(copy.metadata.get("owner").map(String::as_str), Some("ana"));
    let got = d.download_bytes("other", "dst.csv").await.unwrap();
    assert_eq!(got, "a,b\n1,2\n");
    let e = d.copy_object("c", "missing", "other", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = d.copy_object("c", "src.csv", "nocontainer", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let ensured = d.ensure_container("c").await.unwrap();
    assert_eq!(ensured.name, "c");
}

#[maybe_async]
#[mode_test]
async fn azure_presigned_urls_work_with_any_client_and_refuse_tampering() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let c = real(&d, "c");
    let put = d.inner.presign_put(&c, "up load+.txt", MINUTE).unwrap();
    let (status, body) = raw_put(&put, &[("x-ms-blob-type", "BlockBlob")], b"via sas");
    assert_eq!(status, 201, "{body}");
    let get = d.inner.presign_get(&c, "up load+.txt", MINUTE).unwrap();
    assert_eq!(raw_get(&get), (200, b"via sas".to_vec()));
    let got = d.download_bytes("c", "up load+.txt").await.unwrap();
    assert_eq!(got, "via sas");
    // A GET URL does not write; a URL for one blob does not read another.
    let (status, _) = raw_put(&get, &[("x-ms-blob-type", "BlockBlob")], b"x");
    assert_eq!(status, 403);
    let other = get.replace("up%20load%2B.txt", "other.txt");
    assert_eq!(raw_get(&other).0, 403);
    // A changed signature or permission is refused.
    let tampered = get.replace("sp=r", "sp=rw");
    assert_eq!(raw_get(&tampered).0, 403);
    let sig_at = get.find("sig=").unwrap() + 4;
    let mut forged = get.clone();
    forged.replace_range(sig_at..sig_at + 1, if &get[sig_at..sig_at + 1] == "A" { "B" } else { "A" });
    assert_eq!(raw_get(&forged).0, 403);
    // Expired an hour ago (signed for a clock an hour and a minute behind).
    let requests = multicloud::storage::azure::requests::AzureRequests::new(azure_config().build().unwrap());
    let key = multicloud::signing::azure_sharedkey::AccountKey::from_base64(AZURITE_KEY).unwrap();
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3660);
    let target = (c.as_str(), "up load+.txt");
    let perms = multicloud::signing::azure_sas::BlobPermissions::READ;
    let expired = requests.presign(&key, target, perms, past, MINUTE).unwrap();
    assert_eq!(raw_get(&expired).0, 403);
}

/// A raw GET: the status and the body.
fn raw_get(url: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent.get(url).call().unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_vec().unwrap_or_default())
}

#[maybe_async]
#[mode_test]
async fn azure_missing_things_and_wrong_credentials() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let e = d.get_object("c", "nope").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, Some("BlobNotFound")));
    let e = d.download_bytes("c", "nope").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, Some("BlobNotFound")));
    d.delete_object("c", "nope").await.unwrap();
    let e = d.delete_object("gone", "x").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, Some("ContainerNotFound")));
    let e = d.get_container("gone").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = d.create_container("c").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::AlreadyExists, Some("ContainerAlreadyExists")));
    // Someone else's key: every call is refused as unauthorized.
    let wrong = azure_config().account_key("d3Jvbmcga2V5IGZvciB0ZXN0aW5nIG9ubHk=").build().unwrap();
    let wrong = Prefixed { inner: Azure::new(wrong).unwrap(), prefix: d.prefix.clone() };
    let e = wrong.get_object("c", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    let e = wrong.list_objects("c", "").await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Unauthorized, Some("AuthorizationFailure")), "{e}");
    let e = wrong.upload_bytes("c", "x", Bytes::from_static(b"x"), &opts()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(!format!("{e:?}").contains("d3Jvbmcga2V5"), "no key in errors");
}

#[maybe_async]
#[mode_test]
async fn azure_sas_token_credentials_work_within_their_grant() {
    use multicloud::signing::azure_sas::{BlobPermissions, BlobSas, SasProtocol, sign_blob};
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let c = real(&d, "c");
    let key = multicloud::signing::azure_sharedkey::AccountKey::from_base64(AZURITE_KEY).unwrap();
    let now = std::time::SystemTime::now();
    let all = BlobPermissions { read: true, add: true, create: true, write: true, delete: true };
    let sas = BlobSas::new(&c, "granted", all, now - MINUTE, now + 10 * MINUTE).protocol(SasProtocol::HttpsAndHttp);
    let token = sign_blob(AZURITE_ACCOUNT, &key, &sas).unwrap().query;
    let cfg = AzureConfig::builder().endpoint(azurite()).account(AZURITE_ACCOUNT).sas_token(token).build().unwrap();
    let s = Azure::new(cfg).unwrap();
    let put = s.upload_bytes(&c, "granted", Bytes::from_static(b"sas"), &opts()).await.unwrap();
    assert_eq!(put.hash.as_deref(), Some(md5(b"sas").as_str()));
    let got = s.download_bytes(&c, "granted").await.unwrap();
    assert_eq!(got, "sas");
    let head = s.get_object(&c, "granted").await.unwrap();
    assert_eq!(head.size, 3);
    let e = s.get_object(&c, "not-granted").await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::PermissionDenied), "{e}");
    let e = s.presign_get(&c, "granted", MINUTE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(!format!("{s:?}").contains("sig=") || format!("{s:?}").contains("sig=***"));
    s.delete_object(&c, "granted").await.unwrap();
    let e = d.get_object("c", "granted").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "deleted through the SAS");
}

#[maybe_async]
#[mode_test]
async fn azure_bearer_and_anonymous_requests_carry_exactly_their_authorization() {
    use super::common::fake_http::{FakeServer, respond};
    let heads = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = heads.clone();
    let server = FakeServer::start_with_head(move |_, head, s| {
        log.lock().unwrap().push(head.to_ascii_lowercase());
        let headers = "content-md5: kAFQmDzST7DWlj99KOF/cg==\r\netag: \"0x8D1\"\r\nx-ms-meta-a: 1\r\n";
        respond(s, 200, headers, b"");
    });
    let endpoint = server.url("");
    let bearer = AzureConfig::builder().account("acct").endpoint(&endpoint).bearer_token("tok-123").build().unwrap();
    let o = Azure::new(bearer).unwrap().get_object("cont", "k").await.unwrap();
    assert_eq!(o.hash.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
    assert_eq!(o.metadata.get("a").map(String::as_str), Some("1"));
    let anonymous = AzureConfig::builder().account("acct").endpoint(&endpoint).anonymous().build().unwrap();
    Azure::new(anonymous).unwrap().get_object("cont", "k").await.unwrap();
    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 2);
    assert!(heads[0].starts_with("head /cont/k "), "{}", heads[0]);
    assert!(heads[0].lines().any(|l| l.trim_end() == "authorization: bearer tok-123"), "{}", heads[0]);
    assert!(heads[0].contains("x-ms-date: ") && heads[0].contains("x-ms-version: 2022-11-02"));
    assert!(!heads[1].contains("authorization"), "{}", heads[1]);
    assert!(heads[1].contains("x-ms-version: 2022-11-02"));
}

#[maybe_async]
#[mode_test]
async fn azure_delete_many_goes_in_blob_batches() {
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    // 40 blobs in one batch, plus a missing name and one Azure cannot hold. (Azurite
    // takes ~100 ms per delete inside a batch, so the 256-per-request split is not run
    // here: 300 names cost ~30 s.)
    let items: Vec<(String, UploadSource)> =
        (0..40).map(|i| (format!("b/{i:03}"), UploadSource::from(vec![b'x'; 1]))).collect();
    let done = d.upload_many("c", items, &opts(), 8).await;
    assert!(done.iter().all(|r| r.is_ok()));
    d.upload_bytes("c", "keep", Bytes::from_static(b"k"), &opts()).await.unwrap();
    let mut names: Vec<String> = (0..40).map(|i| format!("b/{i:03}")).collect();
    names.insert(10, "never-there".into());
    names.insert(20, "a/../b".into());
    let results = d.delete_many("c", names, 2).await;
    assert_eq!(results.len(), 42);
    let bad = results[20].as_ref().unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput, "{bad}");
    assert!(results.iter().enumerate().all(|(i, r)| i == 20 || r.is_ok()), "{results:?}");
    let left: Vec<String> = d.list_objects("c", "").await.unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(left, ["keep"]);
    // A missing container fails every item as NotFound.
    let gone = d.delete_many("nope", vec!["x".into(), "y".into()], 2).await;
    assert!(gone.iter().all(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::NotFound)), "{gone:?}");
}


#[maybe_async]
#[mode_test]
async fn azure_copy_waits_while_pending_and_reports_a_failed_copy() {
    use super::common::fake_http::{FakeServer, respond};
    // Azurite copies at once; a server that reports the copy pending twice, then done.
    let server = FakeServer::start_with_request(|n, line, s| {
        let status = match n {
            0 => "pending",
            1 => "pending",
            _ => "success",
        };
        assert_eq!(line.starts_with("PUT "), n == 0, "{n}: {line}");
        let code = if n == 0 { 202 } else { 200 };
        respond(s, code, &format!("x-ms-copy-id: c1\r\nx-ms-copy-status: {status}\r\ncontent-md5: kAFQmDzST7DWlj99KOF/cg==\r\n"), b"");
    });
    let cfg = AzureConfig::builder().account("acct").endpoint(server.url("/acct")).anonymous().build().unwrap();
    let copied = Azure::new(cfg).unwrap().copy_object("src", "a", "dst", "b").await.unwrap();
    assert_eq!(copied.hash.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
    assert_eq!(server.hits(), 4, "copy, two polls, the copy's properties");
    let failing = FakeServer::start(|n, s| {
        let status = if n == 0 { "pending" } else { "failed\r\nx-ms-copy-status-description: 500 InternalError" };
        respond(s, if n == 0 { 202 } else { 200 }, &format!("x-ms-copy-id: c1\r\nx-ms-copy-status: {status}\r\n"), b"");
    });
    let cfg = AzureConfig::builder().account("acct").endpoint(failing.url("/acct")).anonymous().build().unwrap();
    let e = Azure::new(cfg).unwrap().copy_object("src", "a", "dst", "b").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider);
    assert!(e.message().contains("the copy failed: failed 500 InternalError"), "{e}");
    // While pending, another copy (or a write) replaces the destination: not ours to report.
    let replaced = FakeServer::start(|n, s| {
        let id = if n == 0 { "c1" } else { "c2" };
        let status = if n == 0 { "pending" } else { "success" };
        respond(s, if n == 0 { 202 } else { 200 }, &format!("x-ms-copy-id: {id}\r\nx-ms-copy-status: {status}\r\n"), b"");
    });
    let cfg = AzureConfig::builder().account("acct").endpoint(replaced.url("/acct")).anonymous().build().unwrap();
    let e = Azure::new(cfg).unwrap().copy_object("src", "a", "dst", "b").await.unwrap_err();
    assert!(e.message().contains("x-ms-copy-id changed"), "{e}");
}

#[maybe_async]
#[mode_test]
async fn azure_a_refused_entra_token_is_replaced_once() {
    use super::common::fake_http::{FakeServer, respond};
    use multicloud::entra::ClientSecretCredential;
    // Entra hands out entra-N; the blob endpoint refuses entra-0 (revoked before its
    // stated expiry) and takes any other.
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = heads.clone();
    let server = FakeServer::start_with_body(move |n, head, _, s| {
        let head = head.to_ascii_lowercase();
        log.lock().unwrap().push(head.lines().next().unwrap_or("").to_owned());
        if head.starts_with("post /tenant-7/oauth2/v2.0/token ") {
            let answer = format!(r#"{{"token_type":"Bearer","expires_in":3599,"access_token":"entra-{n}"}}"#);
            return respond(s, 200, "Content-Type: application/json\r\n", answer.as_bytes());
        }
        if head.lines().any(|l| l.trim_end() == "authorization: bearer entra-0") {
            let xml = "<?xml version=\"1.0\"?><Error><Code>InvalidAuthenticationInfo</Code><Message>Lifetime validation failed.</Message></Error>";
            return respond(s, 401, "x-ms-error-code: InvalidAuthenticationInfo\r\n", xml.as_bytes());
        }
        respond(s, 200, "content-md5: kAFQmDzST7DWlj99KOF/cg==\r\netag: \"0x8D1\"\r\n", b"abc");
    });
    let app = ClientSecretCredential::new("tenant-7", "app-7", "app-secret").unwrap().with_authority(&server.url("")).unwrap();
    let cfg = AzureConfig::builder().account("acct").endpoint(server.url("/acct")).client_secret(app).build().unwrap();
    let azure = Azure::new(cfg).unwrap();
    let got = azure.download_bytes("cont", "k").await.unwrap();
    assert_eq!(got, "abc");
    let o = azure.get_object("cont", "k").await.unwrap();
    assert_eq!(o.hash.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
    let heads = heads.lock().unwrap().clone();
    let kinds: Vec<&str> = heads.iter().map(|h| h.split(' ').next().unwrap_or("")).collect();
    assert_eq!(kinds, ["post", "get", "post", "get", "head"], "the refused token is fetched anew once, then reused: {heads:?}");
}

#[maybe_async]
#[mode_test]
async fn azure_metadata_values_azure_would_change_are_refused_before_sending() {
    // Azure drops spaces at the ends (" lead" came back "lead"); a run of spaces was
    // signed collapsed and refused as unauthorized, which reads as wrong credentials.
    let d = azure_fixture();
    d.create_container("c").await.unwrap();
    let by_metadata = ["a  b", " lead", "trail "].map(|v| UploadOptions::new().metadata("m", v));
    for o in by_metadata.iter().chain([&UploadOptions::new().content_type(" text/plain")]) {
        let e = d.upload_bytes("c", "k", Bytes::from_static(b"x"), o).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{o:?}: {e}");
        assert!(e.message().contains("would not store as given"), "{e}");
    }
    let none = d.get_object("c", "k").await.unwrap_err();
    assert_eq!(none.kind(), ErrorKind::NotFound, "nothing was sent");
}

#[maybe_async]
#[mode_test]
async fn azure_batch_answers_are_read_strictly_and_name_each_blob() {
    use super::common::fake_http::{FakeServer, respond};
    let part = |id: usize, status: &str| format!("--bx\r\nContent-Type: application/http\r\nContent-ID: {id}\r\n\r\nHTTP/1.1 {status}\r\nx-ms-error-code: AuthorizationPermissionMismatch\r\n\r\n");
    // First batch: part 1 refused. Second: part 0 refused, then said to be deleted.
    let answers = [
        format!("{}{}--bx--\r\n", part(0, "202 Accepted"), part(1, "403 Forbidden")),
        format!("{}{}{}--bx--\r\n", part(0, "403 Forbidden"), part(0, "202 Accepted"), part(1, "202 Accepted")),
    ];
    let server = FakeServer::start(move |n, s| {
        let body = answers[n.min(1)].clone();
        respond(s, 202, "Content-Type: multipart/mixed; boundary=bx\r\n", body.as_bytes());
    });
    let cfg = AzureConfig::builder().account("acct").endpoint(server.url("/acct")).anonymous().build().unwrap();
    let azure = Azure::new(cfg).unwrap();
    let out = azure.delete_many("cont", vec!["a".into(), "b/c".into()], 1).await;
    assert!(out[0].is_ok(), "{out:?}");
    let e = out[1].as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert!(e.message().contains("\"b/c\""), "the blob is named: {e}");
    let out = azure.delete_many("cont", vec!["a".into(), "b".into()], 1).await;
    assert!(out.iter().all(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::Parse)), "{out:?}");
}
