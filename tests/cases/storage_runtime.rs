// Choosing a driver at run time, bounded parallelism and lazy listings. Included by
// `tests/storage.rs` once per mode, after `cases/storage.rs` (whose imports it uses).

#[maybe_async]
#[mode_test]
async fn any_storage_from_url_delegates() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}?container=box", dir.path().display());
    let (d, loc) = AnyStorage::from_url(&url).unwrap();
    assert_eq!(d.provider_name(), "local");
    assert_eq!(loc.container.as_deref(), Some("box"));
    d.create_container("box").await.unwrap();
    d.upload_bytes("box", "x", Bytes::from_static(b"1"), &opts())
        .await
        .unwrap();
    assert!(dir.path().join("box/x").is_file());

    let (m, _) = AnyStorage::from_url("memory://").unwrap();
    assert_eq!(m.provider(), multicloud::Provider::Memory);
    m.create_container("c").await.unwrap();
    let got_571 = m.list_containers().await;
    assert_eq!(got_571.unwrap().len(), 1);

    let (s3, loc) = AnyStorage::from_url("s3://bucket/some/prefix?anonymous=true").unwrap();
    assert_eq!(s3.provider(), multicloud::Provider::S3);
    assert_eq!((loc.container.as_deref(), loc.prefix.as_str()), (Some("bucket"), "some/prefix"));
    let (gs, _) = AnyStorage::from_url("gs://bucket/p?anonymous=true").unwrap();
    assert_eq!(gs.provider(), multicloud::Provider::Gcs);
    let (az, loc) = AnyStorage::from_url("az://box/p?anonymous=true&account=acct").unwrap();
    assert_eq!(az.provider(), multicloud::Provider::Azure);
    assert_eq!(loc.container.as_deref(), Some("box"));
    let e = AnyStorage::from_url("gopher://x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[maybe_async]
#[mode_test]
async fn run_bounded_holds_the_limit_exactly() {
    let limit = 4;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    // Each wave of `limit` tasks meets at the barrier: it can only open if `limit` tasks
    // run at once, and the peak counter shows no more ever did.
    let barrier = Barrier::new(limit);
    let results = mc::run_bounded((0..16).collect::<Vec<usize>>(), limit, |i| {
        let (in_flight, peak, barrier) = (&in_flight, &peak, &barrier);
        async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            barrier.wait().await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            i * 10
        }
    })
    .await;
    assert_eq!(peak.load(Ordering::SeqCst), limit);
    assert_eq!(results, (0..16).map(|i| i * 10).collect::<Vec<_>>());
}

/// A driver that counts page fetches, to prove listings are lazy.
#[derive(Clone)]
struct CountingPages {
    inner: Memory,
    pages: Arc<AtomicUsize>,
}

#[maybe_async(AFIT)]
impl StorageDriver for CountingPages {
    fn provider_name(&self) -> &'static str {
        "counting"
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
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> multicloud::Result<mc::storage::Page<mc::storage::Object>> {
        self.pages.fetch_add(1, Ordering::SeqCst);
        self.inner
            .list_objects_page(container, prefix, token, max)
            .await
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
        self.inner.open_object_with(c, n, get).await
    }
    async fn delete_object(&self, c: &str, n: &str) -> multicloud::Result<()> {
        self.inner.delete_object(c, n).await
    }
}

#[maybe_async]
#[mode_test]
async fn listings_fetch_pages_only_when_consumed() {
    let d = CountingPages {
        inner: Memory::new(),
        pages: Arc::new(AtomicUsize::new(0)),
    };
    d.create_container("c").await.unwrap();
    let items: Vec<(String, UploadSource)> = (0..2500)
        .map(|i| (format!("{i:05}"), UploadSource::from(vec![])))
        .collect();
    d.upload_many("c", items, &opts(), 4).await;

    let listing = d.iterate_objects("c", "");
    assert_eq!(d.pages.load(Ordering::SeqCst), 0, "nothing fetched before use");
    let first: Vec<_> = take_n(listing, 1).await;
    assert_eq!(first.len(), 1);
    assert_eq!(d.pages.load(Ordering::SeqCst), 1, "one page for the first item");

    d.pages.store(0, Ordering::SeqCst);
    let some = take_n(d.iterate_objects("c", ""), 1001).await;
    assert_eq!(some.len(), 1001);
    assert_eq!(d.pages.load(Ordering::SeqCst), 2, "the second page only when needed");

    d.pages.store(0, Ordering::SeqCst);
    let all = drain(d.iterate_objects("c", "")).await;
    assert_eq!(all.len(), 2500);
    assert_eq!(d.pages.load(Ordering::SeqCst), 3);
}

/// Maps container `c` to `<prefix>-c` on the inner driver and back, so a shared server looks
/// empty to each test. Names are checked unprefixed first, as a driver would.
#[derive(Clone)]
struct Prefixed<D> {
    inner: D,
    prefix: String,
}

impl<D> Prefixed<D> {
    fn wrap(&self, c: &str) -> multicloud::Result<String> {
        multicloud::storage::names::validate_container(c)?;
        Ok(format!("{}-{c}", self.prefix))
    }

    fn unwrap_object(&self, mut o: mc::storage::Object) -> mc::storage::Object {
        if let Some(rest) = o.container.strip_prefix(&format!("{}-", self.prefix)) {
            o.container = rest.to_owned();
        }
        o
    }
}

#[maybe_async(AFIT)]
impl<D: StorageDriver> StorageDriver for Prefixed<D> {
    fn provider_name(&self) -> &'static str {
        self.inner.provider_name()
    }
    async fn list_containers(&self) -> multicloud::Result<Vec<mc::storage::Container>> {
        let own = format!("{}-", self.prefix);
        let all = self.inner.list_containers().await?;
        Ok(all
            .into_iter()
            .filter_map(|mut c| {
                let name = c.name.strip_prefix(&own)?.to_owned();
                c.name = name;
                Some(c)
            })
            .collect())
    }
    async fn get_container(&self, name: &str) -> multicloud::Result<mc::storage::Container> {
        let mut c = self.inner.get_container(&self.wrap(name)?).await?;
        c.name = name.to_owned();
        Ok(c)
    }
    async fn create_container(&self, name: &str) -> multicloud::Result<mc::storage::Container> {
        let mut c = self.inner.create_container(&self.wrap(name)?).await?;
        c.name = name.to_owned();
        Ok(c)
    }
    async fn delete_container(&self, name: &str) -> multicloud::Result<()> {
        self.inner.delete_container(&self.wrap(name)?).await
    }
    async fn list_objects_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> multicloud::Result<mc::storage::Page<mc::storage::Object>> {
        let mut page = self
            .inner
            .list_objects_page(&self.wrap(container)?, prefix, token, max)
            .await?;
        page.items = page.items.into_iter().map(|o| self.unwrap_object(o)).collect();
        Ok(page)
    }
    async fn list_entries_page(
        &self,
        c: &str,
        prefix: &str,
        delimiter: &str,
        token: Option<&str>,
        max: usize,
    ) -> multicloud::Result<mc::storage::Page<mc::storage::Entry>> {
        let mut page = self
            .inner
            .list_entries_page(&self.wrap(c)?, prefix, delimiter, token, max)
            .await?;
        for e in &mut page.items {
            if let mc::storage::Entry::Object(o) = e {
                *o = self.unwrap_object(o.clone());
            }
        }
        Ok(page)
    }
    async fn get_object(&self, c: &str, n: &str) -> multicloud::Result<mc::storage::Object> {
        let o = self.inner.get_object(&self.wrap(c)?, n).await?;
        Ok(self.unwrap_object(o))
    }
    async fn upload_bytes(
        &self,
        c: &str,
        n: &str,
        data: Bytes,
        o: &UploadOptions,
    ) -> multicloud::Result<mc::storage::Object> {
        let obj = self.inner.upload_bytes(&self.wrap(c)?, n, data, o).await?;
        Ok(self.unwrap_object(obj))
    }
    async fn upload_reader<R: mc::storage::UploadReader>(
        &self,
        c: &str,
        n: &str,
        reader: R,
        o: &UploadOptions,
    ) -> multicloud::Result<mc::storage::Object> {
        let obj = self.inner.upload_reader(&self.wrap(c)?, n, reader, o).await?;
        Ok(self.unwrap_object(obj))
    }
    async fn open_object_with(
        &self,
        c: &str,
        n: &str,
        get: &mc::storage::GetOptions,
    ) -> multicloud::Result<(mc::storage::Object, mc::storage::ObjectReader)> {
        let (o, r) = self.inner.open_object_with(&self.wrap(c)?, n, get).await?;
        Ok((self.unwrap_object(o), r))
    }
    async fn delete_object(&self, c: &str, n: &str) -> multicloud::Result<()> {
        self.inner.delete_object(&self.wrap(c)?, n).await
    }
    fn presign_get(&self, c: &str, n: &str, t: std::time::Duration) -> multicloud::Result<String> {
        self.inner.presign_get(&self.wrap(c)?, n, t)
    }
    fn presign_put(&self, c: &str, n: &str, t: std::time::Duration) -> multicloud::Result<String> {
        self.inner.presign_put(&self.wrap(c)?, n, t)
    }
    async fn copy_object(
        &self,
        sc: &str,
        sn: &str,
        dc: &str,
        dn: &str,
    ) -> multicloud::Result<mc::storage::Object> {
        let (sc, dc) = (self.wrap(sc)?, self.wrap(dc)?);
        let obj = self.inner.copy_object(&sc, sn, &dc, dn).await?;
        Ok(self.unwrap_object(obj))
    }
    async fn delete_many(
        &self,
        c: &str,
        names: Vec<String>,
        concurrency: usize,
    ) -> Vec<multicloud::Result<()>> {
        match self.wrap(c) {
            Ok(w) => self.inner.delete_many(&w, names, concurrency).await,
            Err(e) => names.iter().map(|_| Err(multicloud::Error::invalid(e.to_string()))).collect(),
        }
    }
}
