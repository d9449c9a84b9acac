// Parallel ranged downloads to a path: conformance cases run by every driver in both modes.
// Included by `tests/storage.rs` once per mode, after `cases/storage.rs`,
// `cases/storage_transfer.rs` and the Azure and GCS cases (whose fixtures it uses).

/// 16 ranges of [`RANGE`]: small, so the cases stay fast on every emulator.
const RANGED: usize = 1 << 20;
const RANGE: u64 = 64 << 10;

macro_rules! ranged_cases {
    ($module:ident, $fixture:expr) => {
        conformance!($module, $fixture;
            ranged_download_is_byte_identical_with_rising_progress,
            ranged_download_cancelled_midway_leaves_no_file,
            object_replaced_mid_ranged_download_is_precondition_failed,
            ranged_download_checks_the_whole_file,
        );
    };
}

ranged_cases!(ranged_local, local_fixture());
ranged_cases!(ranged_memory, (Memory::new(), ()));
ranged_cases!(ranged_s3_moto, (s3_fixture(&s3env::moto()), ()));
ranged_cases!(ranged_s3_s3s, (s3_fixture(&s3env::s3s()), ()));
ranged_cases!(ranged_azure, (azure_fixture(), ()));
ranged_cases!(ranged_gcs, (gcs_fixture(), ()));

fn in_ranges() -> DownloadOptions {
    DownloadOptions::new().range_size(RANGE).range_concurrency(4)
}

#[maybe_async]
async fn ranged_download_is_byte_identical_with_rising_progress<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    let data = content(21, RANGED);
    d.upload_bytes("c", "r", data.clone().into(), &opts()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let dest = dir.path().join("r");
    let got = d.download_object("c", "r", &dest, in_ranges().progress(rec.observer())).await;
    assert_eq!(got.unwrap().size, RANGED as u64);
    assert!(std::fs::read(&dest).unwrap() == data, "byte-identical");
    let seen = rec.reports();
    assert!(seen.len() >= 16, "reported per chunk of each range: {}", seen.len());
    assert!(seen.windows(2).all(|w| w[0].bytes < w[1].bytes), "progress only rises");
    let last = seen.last().map(|s| (s.bytes, s.total));
    assert_eq!(last, Some((RANGED as u64, Some(RANGED as u64))));
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["r"], "no temporary file left");

    // One stream (range_concurrency 1), and a range size of 0 refused before anything.
    let serial = in_ranges().range_concurrency(1).overwrite(true);
    d.download_object("c", "r", &dest, serial).await.unwrap();
    assert!(std::fs::read(&dest).unwrap() == data, "byte-identical in one stream");
    let zero = in_ranges().range_size(0).overwrite(true);
    let r = d.download_object("c", "r", &dest, zero).await;
    assert_eq!(kind_of(r), ErrorKind::InvalidInput);
    assert!(std::fs::read(&dest).unwrap() == data, "dest untouched");
}

#[maybe_async]
async fn ranged_download_cancelled_midway_leaves_no_file<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    d.upload_bytes("c", "r", content(22, RANGED).into(), &opts()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = CancelToken::new();
    let button = token.clone();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = written.clone();
    let mid = in_ranges().cancel(&token).progress(move |p: &mc::storage::Progress<'_>| {
        seen.store(p.bytes, Ordering::SeqCst);
        if p.bytes >= 3 * RANGE {
            button.cancel();
        }
    });
    let r = d.download_object("c", "r", &dir.path().join("r"), mid).await;
    assert_eq!(kind_of(r), ErrorKind::Cancelled);
    let at = written.load(Ordering::SeqCst);
    assert!(at >= 3 * RANGE && at < RANGED as u64, "stopped after {at} bytes");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "no partial file");
}

#[maybe_async]
async fn object_replaced_mid_ranged_download_is_precondition_failed<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    d.upload_bytes("c", "r", content(23, RANGED).into(), &opts()).await.unwrap();
    let replacing = Meddling { inner: d.clone(), done: Default::default(), wrong_crc: false, stall: None };
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("r");
    std::fs::write(&dest, b"before").unwrap();
    let r = replacing.download_object("c", "r", &dest, in_ranges().overwrite(true)).await;
    assert!(replacing.done.load(Ordering::SeqCst), "the object was replaced mid-way");
    assert_eq!(kind_of(r), ErrorKind::PreconditionFailed, "never a mix of two versions");
    assert_eq!(std::fs::read(&dest).unwrap(), b"before", "dest untouched");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["r"], "no temporary file left");
}

#[maybe_async]
async fn ranged_download_checks_the_whole_file<D: StorageDriver>(d: &D) {
    d.create_container("c").await.unwrap();
    d.upload_bytes("c", "r", content(25, RANGED).into(), &opts()).await.unwrap();
    let lying = Meddling { inner: d.clone(), done: Default::default(), wrong_crc: true, stall: None };
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("r");
    std::fs::write(&dest, b"before").unwrap();
    let r = lying.download_object("c", "r", &dest, in_ranges().overwrite(true)).await;
    assert_eq!(kind_of(r), ErrorKind::Integrity, "the file's CRC32C is not the one stated");
    assert_eq!(std::fs::read(&dest).unwrap(), b"before", "dest untouched");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["r"], "no temporary file left");
}

/// Either replaces the object (same size, other bytes) just before the first read of a
/// range after the first, as a writer racing a download does, or (`wrong_crc`) states a
/// wrong CRC32C in every answer, as a server whose bytes went bad would, or (`stall`)
/// answers every range after the first with that reader.
#[derive(Clone)]
struct Meddling<D> {
    inner: D,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    wrong_crc: bool,
    stall: Option<fn() -> mc::storage::ObjectReader>,
}

#[maybe_async(AFIT)]
impl<D: StorageDriver> StorageDriver for Meddling<D> {
    fn provider_name(&self) -> &'static str {
        self.inner.provider_name()
    }
    async fn list_containers(&self) -> multicloud::Result<Vec<mc::storage::Container>> {
        self.inner.list_containers().await
    }
    async fn get_container(&self, name: &str) -> multicloud::Result<mc::storage::Container> {
        self.inner.get_container(name).await
    }
    async fn create_container(&self, name: &str) -> multicloud::Result<mc::storage::Container> {
        self.inner.create_container(name).await
    }
    async fn delete_container(&self, name: &str) -> multicloud::Result<()> {
        self.inner.delete_container(name).await
    }
    async fn list_objects_page(
        &self,
        c: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> multicloud::Result<mc::storage::Page<mc::storage::Object>> {
        self.inner.list_objects_page(c, prefix, token, max).await
    }
    async fn get_object(&self, c: &str, n: &str) -> multicloud::Result<mc::storage::Object> {
        self.inner.get_object(c, n).await
    }
    async fn upload_bytes(
        &self,
        c: &str,
        n: &str,
        data: Bytes,
        o: &UploadOptions,
    ) -> multicloud::Result<mc::storage::Object> {
        self.inner.upload_bytes(c, n, data, o).await
    }
    async fn upload_reader<R: mc::storage::UploadReader>(
        &self,
        c: &str,
        n: &str,
        reader: R,
        o: &UploadOptions,
    ) -> multicloud::Result<mc::storage::Object> {
        self.inner.upload_reader(c, n, reader, o).await
    }
    async fn open_object_with(
        &self,
        c: &str,
        n: &str,
        get: &mc::storage::GetOptions,
    ) -> multicloud::Result<(mc::storage::Object, mc::storage::ObjectReader)> {
        if let Some(stalled) = self.stall.filter(|_| get.range.start > 0) {
            return Ok((self.inner.get_object(c, n).await?, stalled()));
        }
        if self.wrong_crc {
            let (mut o, r) = self.inner.open_object_with(c, n, get).await?;
            o.crc32c = Some(o.crc32c.map_or(1, |crc| crc ^ 1));
            return Ok((o, r));
        }
        if get.range.start > 0 && !self.done.swap(true, Ordering::SeqCst) {
            let other = content(24, RANGED);
            self.inner.upload_bytes(c, n, other.into(), &UploadOptions::new()).await?;
        }
        self.inner.open_object_with(c, n, get).await
    }
    async fn delete_object(&self, c: &str, n: &str) -> multicloud::Result<()> {
        self.inner.delete_object(c, n).await
    }
    fn presign_get(&self, c: &str, n: &str, t: std::time::Duration) -> multicloud::Result<String> {
        self.inner.presign_get(c, n, t)
    }
    fn presign_put(&self, c: &str, n: &str, t: std::time::Duration) -> multicloud::Result<String> {
        self.inner.presign_put(c, n, t)
    }
}
