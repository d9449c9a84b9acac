// Conditional requests, progress and cancellation: conformance cases run by every driver in
// both modes. Included by `tests/storage.rs` once per mode, after `cases/storage.rs`
// (whose imports, fixtures and `conformance!` macro it uses).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mc::storage::{CancelToken, GetOptions, ReadConditions, UploadItem};

use super::common::transfer::{CancellingReader, CancellingWriter, Recorder};

macro_rules! transfer_cases {
    ($module:ident, $fixture:expr) => {
        conformance!($module, $fixture;
            create_only_and_if_match_uploads,
            concurrent_create_only_uploads_let_one_win,
            conditional_reads_follow_etag_and_time,
            progress_counts_acknowledged_and_written_bytes,
            batch_progress_and_per_item_options,
            cancel_token_stops_uploads_and_downloads,
        );
    };
}

transfer_cases!(transfer_local, local_fixture());
transfer_cases!(transfer_memory, (Memory::new(), ()));
transfer_cases!(transfer_s3_moto, (s3_fixture(&s3env::moto()), ()));
// s3s-fs checks `If-None-Match: *` but not atomically: of six racing create-only uploads
// several win (seen: four). Real S3, moto, Local and Memory let exactly one win.
conformance!(transfer_s3_s3s, (s3_fixture(&s3env::s3s()), ());
    create_only_and_if_match_uploads,
    conditional_reads_follow_etag_and_time,
    progress_counts_acknowledged_and_written_bytes,
    batch_progress_and_per_item_options,
    cancel_token_stops_uploads_and_downloads,
);

// A prefix-scoped view runs the cases that do not depend on a driver's own name rules.
macro_rules! scoped_cases {
    ($module:ident, $fixture:expr) => {
        conformance!($module, $fixture;
            container_lifecycle,
            upload_bytes_round_trip_with_metadata,
            upload_reader_and_file_round_trip,
            listing_pages_lazily_with_prefix,
            listing_more_than_one_page,
            byte_ranges,
            download_to_path_is_atomic_and_respects_overwrite,
            delete_object_semantics,
            many_helpers_keep_order_and_report_each_failure,
            failed_upload_leaves_previous_object,
            copy_presign_and_ensure_container,
            delimiter_listings_show_directories_lazily,
            create_only_and_if_match_uploads,
            conditional_reads_follow_etag_and_time,
            batch_progress_and_per_item_options,
        );
    };
}

scoped_cases!(scoped_memory, (mc::storage::Scoped::new(Memory::new(), "users/ann"), ()));
scoped_cases!(scoped_local, {
    let (d, guard) = local_fixture();
    (mc::storage::Scoped::new(d, "deep/root/"), guard)
});
scoped_cases!(scoped_s3_moto, (mc::storage::Scoped::new(s3_fixture(&s3env::moto()), "p"), ()));

#[maybe_async]
#[mode_test]
async fn a_scoped_view_maps_names_both_ways_and_hides_its_own_marker() {
    let store = Memory::new();
    store.create_container("c").await.unwrap();
    let view = mc::storage::Scoped::new(store.clone(), "users/ann");
    assert_eq!(view.prefix(), "users/ann/");
    view.upload_bytes("c", "a/b.txt", Bytes::from_static(b"1"), &opts()).await.unwrap();
    let inner = store.get_object("c", "users/ann/a/b.txt").await;
    assert_eq!(inner.unwrap().size, 1, "stored under the prefix");
    let marker = store.upload_bytes("c", "users/ann/", Bytes::new(), &opts()).await;
    marker.unwrap();
    let elsewhere = store.upload_bytes("c", "users/bob/x", Bytes::new(), &opts()).await;
    elsewhere.unwrap();
    let names: Vec<String> = view.list_objects("c", "").await.unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(names, ["a/b.txt"], "the view's own marker and other users' keys are not shown");
    let entries = view.list_entries("c", "", "/").await.unwrap();
    assert_eq!(entries, [mc::storage::Entry::Prefix("a/".to_owned())]);
    let e = view.get_object("c", "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "an empty name is refused, not the marker");
    let missing = view.get_object("c", "x").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "bob's x is not ann's");
    let copied = view.copy_object("c", "a/b.txt", "c", "a/c.txt").await.unwrap();
    assert_eq!(copied.name, "a/c.txt");
    let gone = view.delete_many("c", vec!["a/b.txt".into(), "".into()], 2).await;
    assert!(gone[0].is_ok() && gone[1].as_ref().is_err_and(|e| e.kind() == ErrorKind::InvalidInput));
    let left = store.get_object("c", "users/ann/a/b.txt").await;
    assert_eq!(left.unwrap_err().kind(), ErrorKind::NotFound);
}

/// Above the S3 fixture's 5 MiB part size: three parts.
const BIG: usize = 11 << 20;

fn kind_of<T: std::fmt::Debug>(r: multicloud::Result<T>) -> ErrorKind {
    r.expect_err("expected an error").kind()
}

#[maybe_async]
async fn create_only_and_if_match_uploads<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    let first = d
        .upload_bytes("c", "k", Bytes::from_static(b"one"), &opts().create_only())
        .await
        .unwrap();
    let again = d
        .upload_bytes("c", "k", Bytes::from_static(b"two"), &opts().create_only())
        .await;
    assert_eq!(kind_of(again), ErrorKind::PreconditionFailed);
    let big = d
        .upload_bytes("c", "k", content(1, BIG).into(), &opts().create_only())
        .await;
    assert_eq!(kind_of(big), ErrorKind::PreconditionFailed, "multipart create-only");
    let got = d.download_bytes("c", "k").await.unwrap();
    assert_eq!(got, "one", "a refused upload changes nothing");

    let etag = first.hash.clone().expect("an ETag");
    let stale = d
        .upload_bytes("c", "k", Bytes::from_static(b"x"), &opts().if_match("0123"))
        .await;
    assert_eq!(kind_of(stale), ErrorKind::PreconditionFailed);
    let quoted = format!("\"{etag}\"");
    let second = d
        .upload_bytes("c", "k", Bytes::from_static(b"two"), &opts().if_match(&quoted))
        .await
        .unwrap();
    assert_ne!(second.hash, first.hash);
    let replay = d
        .upload_bytes("c", "k", Bytes::from_static(b"three"), &opts().if_match(&etag))
        .await;
    assert_eq!(kind_of(replay), ErrorKind::PreconditionFailed, "the ETag moved on");
    let missing = d
        .upload_bytes("c", "none", Bytes::from_static(b"x"), &opts().if_match(&etag))
        .await;
    assert_eq!(kind_of(missing), ErrorKind::PreconditionFailed);
    let got = d.download_bytes("c", "k").await.unwrap();
    assert_eq!(got, "two");
    let reader = std::io::Cursor::new(b"new".to_vec());
    let made = d.upload_reader("c", "fresh", reader, &opts().create_only()).await;
    assert_eq!(made.unwrap().size, 3);
}

#[maybe_async]
async fn concurrent_create_only_uploads_let_one_win<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    // Six uploads of one name at once, through the bounded-parallel helper.
    let items: Vec<(&str, Vec<u8>)> = (0..6).map(|i| ("race", vec![i; 100])).collect();
    let results = d.upload_many("c", items, &opts().create_only(), 6).await;
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "exactly one create-only upload wins: {results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    }
    let stored = d.download_bytes("c", "race").await.unwrap();
    let winner = won[0].as_ref().unwrap();
    assert_eq!(Some(md5(&stored)), winner.hash.clone());
}

#[maybe_async]
async fn conditional_reads_follow_etag_and_time<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    let o = d
        .upload_bytes("c", "k", Bytes::from_static(b"0123456789"), &opts())
        .await
        .unwrap();
    let etag = o.hash.clone().unwrap();
    let (past, future) = (UNIX_EPOCH + Duration::from_secs(1_000_000_000), far_future());
    let get = |c: ReadConditions| GetOptions::new().conditions(c);
    let when = ReadConditions::new;

    let ok = d.download_bytes_with("c", "k", &get(when().if_match(&etag))).await;
    assert_eq!(ok.unwrap(), "0123456789");
    let r = d.download_bytes_with("c", "k", &get(when().if_match("feed"))).await;
    assert_eq!(kind_of(r), ErrorKind::PreconditionFailed);
    let r = d.download_bytes_with("c", "k", &get(when().if_none_match(&etag))).await;
    assert_eq!(kind_of(r), ErrorKind::NotModified);
    let changed = d.download_bytes_with("c", "k", &get(when().if_none_match("feed"))).await;
    assert_eq!(changed.unwrap().len(), 10);
    let r = d.download_bytes_with("c", "k", &get(when().if_modified_since(future))).await;
    assert_eq!(kind_of(r), ErrorKind::NotModified);
    let r = d.download_bytes_with("c", "k", &get(when().if_modified_since(past))).await;
    assert_eq!(r.unwrap().len(), 10);
    let r = d.download_bytes_with("c", "k", &get(when().if_unmodified_since(past))).await;
    assert_eq!(kind_of(r), ErrorKind::PreconditionFailed);
    let ranged = get(when().if_match(&etag)).range(2..5);
    let part = d.download_bytes_with("c", "k", &ranged).await;
    assert_eq!(part.unwrap(), "234");
    let ranged = get(when().if_none_match(&etag)).range(2..5);
    let r = d.download_bytes_with("c", "k", &ranged).await;
    assert_eq!(kind_of(r), ErrorKind::NotModified);

    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("k.txt");
    let unchanged = DownloadOptions::new().conditions(when().if_none_match(&etag));
    let r = d.download_object("c", "k", &dest, unchanged).await;
    assert_eq!(kind_of(r), ErrorKind::NotModified);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
    let r = d.download_to_writer_with("c", "k", Vec::new(), when_changed(&etag)).await;
    assert_eq!(kind_of(r), ErrorKind::NotModified);
}

fn far_future() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

fn when_changed(etag: &str) -> DownloadOptions {
    DownloadOptions::new().conditions(ReadConditions::new().if_none_match(etag))
}

#[maybe_async]
async fn progress_counts_acknowledged_and_written_bytes<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    let seen = Recorder::default();
    let up = opts().progress(seen.observer());
    d.upload_bytes("c", "big", content(2, BIG).into(), &up).await.unwrap();
    let reports = seen.reports();
    let counts: Vec<u64> = reports.iter().map(|s| s.bytes).collect();
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "rising: {counts:?}");
    assert_eq!(counts.last(), Some(&(BIG as u64)), "{counts:?}");
    assert!(reports.iter().all(|s| s.name == "big" && s.batch.is_none()));

    let seen = Recorder::default();
    let down = DownloadOptions::new().progress(seen.observer());
    let mut sink = Vec::new();
    let o = d.download_to_writer_with("c", "big", &mut sink, down).await.unwrap();
    assert_eq!(sink.len(), BIG);
    let reports = seen.reports();
    assert!(reports.len() > 1, "reported per chunk");
    assert!(reports.iter().all(|s| s.total == Some(o.size)));
    assert_eq!(reports.last().map(|s| s.bytes), Some(BIG as u64));
}

#[maybe_async]
async fn batch_progress_and_per_item_options<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.html");
    std::fs::write(&file, b"<p>hi</p>").unwrap();
    let own = opts().content_type("text/x-mine").metadata("who", "me");
    let items = vec![
        UploadItem::new("data.json", b"{}".to_vec()),
        UploadItem::new("site/index", file.clone()),
        UploadItem::new("plain", b"12345".to_vec()).options(own),
    ];
    let seen = Recorder::default();
    let call = opts().metadata("batch", "yes").progress(seen.observer());
    let results = d.upload_many("c", items, &call, 2).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let stat = |n: &'static str| async move { d.get_object("c", n).await.unwrap() };
    let json = stat("data.json").await;
    assert_eq!(json.content_type.as_deref(), Some("application/json"));
    assert_eq!(json.metadata.get("batch").map(String::as_str), Some("yes"));
    let html = stat("site/index").await;
    assert_eq!(html.content_type.as_deref(), Some("text/html"), "from the file's name");
    let plain = stat("plain").await;
    assert_eq!(plain.content_type.as_deref(), Some("text/x-mine"));
    assert_eq!(plain.metadata.get("who").map(String::as_str), Some("me"));
    assert!(!plain.metadata.contains_key("batch"), "its own options replace the call's");

    let last = seen.reports().last().cloned().unwrap();
    let (bytes, total, done, items) = last.batch.expect("batch figures");
    assert_eq!((bytes, done, items), (2 + 9 + 5, 3, 3));
    assert_eq!(total, None, "a file's size is not known in advance");
    // With every size known in advance, the batch has a total.
    let seen = Recorder::default();
    let sized = vec![("s/1", vec![1u8; 3]), ("s/2", vec![2u8; 4])];
    let done = d.upload_many("c", sized, &opts().progress(seen.observer()), 2).await;
    assert!(done.iter().all(Result::is_ok));
    let batches: Vec<_> = seen.reports().iter().filter_map(|r| r.batch).collect();
    assert!(batches.iter().all(|b| b.1 == Some(7)), "{batches:?}");
    assert!(batches.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].2 <= w[1].2), "{batches:?}");
    assert_eq!(batches.last().map(|b| (b.0, b.2)), Some((7, 2)));

    let seen = Recorder::default();
    let down = DownloadOptions::new().overwrite(true).progress(seen.observer());
    let targets = vec![("plain".to_owned(), dir.path().join("p")), ("data.json".into(), dir.path().join("j"))];
    let results = d.download_many("c", targets, down, 2).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let last = seen.reports().last().cloned().unwrap();
    assert_eq!(last.batch.map(|b| (b.0, b.2, b.3)), Some((7, 2, 2)));
}

#[maybe_async]
async fn cancel_token_stops_uploads_and_downloads<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    let token = CancelToken::new();
    let reader = CancellingReader::new(content(3, BIG), 6 << 20, &token);
    let r = d.upload_reader("c", "big", reader, &opts().cancel(&token)).await;
    assert_eq!(kind_of(r), ErrorKind::Cancelled);
    let r = d.get_object("c", "big").await;
    assert_eq!(kind_of(r), ErrorKind::NotFound, "nothing stored");
    let r = d.upload_bytes("c", "small", Bytes::from_static(b"x"), &opts().cancel(&token)).await;
    assert_eq!(kind_of(r), ErrorKind::Cancelled, "a cancelled token stops at once");
    let items = vec![("a".to_owned(), b"1".to_vec()), ("b".to_owned(), b"2".to_vec())];
    let all = d.upload_many("c", items, &opts().cancel(&token), 2).await;
    assert!(all.iter().all(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::Cancelled)));
    let left = d.list_objects("c", "").await;
    assert!(left.unwrap().is_empty());

    d.upload_bytes("c", "big", content(3, BIG).into(), &opts()).await.unwrap();
    let token = CancelToken::new();
    let mut writer = CancellingWriter::new(&token);
    let stop = DownloadOptions::new().cancel(&token);
    let r = d.download_to_writer_with("c", "big", &mut writer, stop.clone()).await;
    assert_eq!(kind_of(r), ErrorKind::Cancelled);
    assert!(writer.written.len() < BIG, "stopped part way");
    let dir = tempfile::tempdir().unwrap();
    let r = d.download_object("c", "big", &dir.path().join("big"), stop).await;
    assert_eq!(kind_of(r), ErrorKind::Cancelled);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "no partial file");

    // Cancelled mid-way, from the observer, once the first chunk is on disk.
    let token = CancelToken::new();
    let button = token.clone();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = written.clone();
    let mid = DownloadOptions::new().cancel(&token).progress(move |p: &mc::storage::Progress<'_>| {
        seen.store(p.bytes, Ordering::SeqCst);
        button.cancel();
    });
    let r = d.download_object("c", "big", &dir.path().join("big"), mid).await;
    assert_eq!(kind_of(r), ErrorKind::Cancelled);
    let at = written.load(Ordering::SeqCst);
    assert!(at > 0 && at < BIG as u64, "stopped after {at} bytes");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "no partial file");
}
