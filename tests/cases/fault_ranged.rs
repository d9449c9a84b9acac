// Ranged downloads to a path through the fault proxy: every download either leaves the
// object's exact bytes or fails with a typed error and the destination as it was, never a
// short or mixed file. Included once per mode by `tests/fault_injection.rs`, after
// `cases/fault_injection.rs` (whose driver settings and imports it uses).

#[maybe_async]
#[mode_test]
async fn ranged_downloads_through_faults_are_whole_or_fail_typed() {
    let seed = RunSettings::from_env().seed;
    eprintln!("ranged download faults [{MODE}]: seed {seed} (MULTICLOUD_FAULT_SEED={seed} replays it)");
    let proxy = FaultProxy::start(&s3env::moto(), seed, 0.3, TIMING);
    let direct = S3::new(s3_config(&s3env::moto())).unwrap();
    let bucket = s3env::unique_prefix();
    direct.create_container(&bucket).await.unwrap();
    let data = super::common::content(seed, 1 << 20);
    direct.upload_bytes(&bucket, "big", data.clone().into(), &UploadOptions::new()).await.unwrap();
    let s3 = faulty_driver(&proxy.url());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("big");
    let (mut whole, mut failed) = (0, 0);
    for i in 0..8 {
        proxy.set_op(i);
        std::fs::write(&dest, b"before").unwrap();
        let opts = mc::storage::DownloadOptions::new().overwrite(true).range_size(64 << 10);
        let result = s3.download_object(&bucket, "big", &dest, opts).await;
        let on_disk = std::fs::read(&dest).unwrap();
        match result {
            Ok(o) => {
                assert_eq!(o.size, data.len() as u64);
                assert!(on_disk == data, "download {i}: Ok but the file differs ({} bytes)", on_disk.len());
                whole += 1;
            }
            Err(e) => {
                let typed = matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::Provider);
                assert!(typed, "download {i}: {:?} is not what a broken exchange gives: {e}", e.kind());
                assert_eq!(on_disk, b"before", "download {i} failed: the destination is untouched");
                failed += 1;
            }
        }
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 1, "download {i}: no temporary file left");
    }
    let faults = proxy.injected();
    assert!(!faults.is_empty(), "faults were injected");
    let cut = faults.iter().filter(|f| { use super::common::fault_proxy::Fault::*; matches!(f.fault, ResetMidBody | Truncated | StallMidBody) }).count();
    eprintln!("ranged download faults [{MODE}]: {whole} whole, {failed} failed typed; {} faults, {cut} mid-body", faults.len());
}
