// The cross-provider proof: objects around memory -> local -> S3 (s3s) -> Azure (Azurite)
// -> GCS (fake-gcs-server) -> memory, in parallel, checked at the end. The ring itself is
// `examples/ring/ring_steps.rs`, included as `ring` by tests/storage.rs, so the example
// and this test run the same code.

#[maybe_async]
#[mode_test]
async fn objects_go_around_every_provider_and_come_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("ring-{}", s3env::unique_prefix());
    let stops = ring::stops(dir.path(), &tag).unwrap();
    let parcels = ring::parcels();
    let log = ring::send_around(&stops, &parcels, 4).await.unwrap();
    assert_eq!(log.len(), 5, "{log:?}");
    // Every stop on the way still holds every object (copies, not moves).
    for stop in &stops {
        let listed = stop.store.list_objects(&stop.container, "ring/").await;
        assert_eq!(listed.unwrap().len(), parcels.len(), "at {}", stop.name);
    }
}

#[maybe_async]
#[mode_test]
async fn a_ring_that_loses_a_byte_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("ring-{}", s3env::unique_prefix());
    let stops = ring::stops(dir.path(), &tag).unwrap();
    let mut parcels = ring::parcels();
    parcels.truncate(3);
    let log = ring::send_around(&stops, &parcels, 2).await;
    assert_eq!(log.unwrap().len(), 5);
    // Tamper with one object at the last stop: the check at arrival must see it.
    let last = &stops[stops.len() - 1];
    let mut changed = parcels[2].data.to_vec();
    changed[0] ^= 1;
    let opts = parcels[2].metadata.iter().fold(
        UploadOptions::new().content_type(&parcels[2].content_type),
        |o, (k, v)| o.metadata(k, v),
    );
    last.store
        .upload_bytes(&last.container, &parcels[2].name, changed.into(), &opts)
        .await
        .unwrap();
    let e = ring::check_all(last, &parcels).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("content"), "{e}");
}

#[maybe_async]
#[mode_test]
async fn az_and_gs_urls_choose_the_azure_and_gcs_drivers() {
    let azurite = super::common::cloud_env::azurite();
    let gcs = super::common::cloud_env::gcs();
    let tag = format!("url-{}", s3env::unique_prefix());
    let urls = [
        format!("az://{tag}-az/in/here?emulator=true&endpoint={azurite}"),
        format!("gs://{tag}-gs/in/here?emulator=true&endpoint={gcs}"),
    ];
    for (url, provider) in urls
        .iter()
        .zip([multicloud::Provider::Azure, multicloud::Provider::Gcs])
    {
        let (store, at) = AnyStorage::from_url(url).unwrap();
        assert_eq!(store.provider(), provider);
        let container = at.container.unwrap();
        assert_eq!(at.prefix, "in/here");
        store.create_container(&container).await.unwrap();
        let name = format!("{}/x.txt", at.prefix);
        store
            .upload_bytes(&container, &name, Bytes::from_static(b"hello"), &opts())
            .await
            .unwrap();
        let listed = store.list_objects(&container, &at.prefix).await.unwrap();
        assert_eq!(listed.len(), 1, "{url}");
        store.delete_object(&container, &name).await.unwrap();
        store.delete_container(&container).await.unwrap();
    }
    for bad in [
        "az://c?region=x",
        "gs://b?account=x",
        "gs://b?emulator=true",
        "az://c?sas_token=SECRET",
    ] {
        let e = AnyStorage::from_url(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }
}
