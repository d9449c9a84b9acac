// Async mode only (included by `tests/storage.rs` after `cases/storage_ranged.rs`, whose
// fixtures it uses): dropping a ranged download's future, as a timeout or a `select!`
// does, stops every range and removes the temporary file.

/// A body that never delivers a byte (nor wakes its reader).
struct Stalled;

impl tokio::io::AsyncRead for Stalled {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Pending
    }
}

fn stalled() -> mc::storage::ObjectReader {
    Box::pin(Stalled)
}

#[tokio::test]
async fn dropping_a_ranged_download_removes_its_temporary_file() {
    let store = Memory::new();
    store.create_container("c").await.unwrap();
    store.upload_bytes("c", "r", content(26, RANGED).into(), &opts()).await.unwrap();
    // The first range arrives (from the first answer); the others never do.
    let d = Meddling { inner: store, done: Default::default(), wrong_crc: false, stall: Some(stalled) };
    let dir = tempfile::tempdir().unwrap();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = written.clone();
    let o = in_ranges().progress(move |p: &mc::storage::Progress<'_>| seen.store(p.bytes, Ordering::SeqCst));
    let dest = dir.path().join("r");
    let mut download = Box::pin(d.download_object("c", "r", &dest, o));
    while written.load(Ordering::SeqCst) < RANGE {
        tokio::select! {
            biased;
            r = &mut download => panic!("finished although three ranges never arrive: {r:?}"),
            () = tokio::task::yield_now() => {}
        }
    }
    let temp: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(temp.len(), 1, "the temporary file is there while the download runs");
    drop(download);
    assert_eq!(written.load(Ordering::SeqCst), RANGE, "the first range only");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "no temporary file, no destination: {left:?}");
}
