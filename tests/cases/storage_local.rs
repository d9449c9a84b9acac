// Local-only cases: the file system must never be escaped. Included by `tests/storage.rs`
// once per mode, after `cases/storage.rs` (whose imports and helpers it uses).

// ---- Local-only: the file system must never be escaped. ----

#[maybe_async]
#[mode_test]
async fn local_refuses_hostile_names_and_never_writes_outside() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    let d = Local::new(&root).unwrap();
    d.create_container("c").await.unwrap();
    std::fs::write(outer.path().join("outside.txt"), b"keep").unwrap();
    let before_outer = tree(outer.path());
    for (name, _) in super::common::name_corpus() {
        let data = Bytes::from_static(b"evil");
        let _ = d.upload_bytes("c", &name, data, &opts()).await;
        let _ = d.upload_reader("c", &name, std::io::Cursor::new(vec![1]), &opts()).await;
        let _ = d.get_object("c", &name).await;
        let _ = d.download_bytes("c", &name).await;
    }
    // Whatever was accepted landed inside the root; nothing new appeared anywhere else.
    let outside_root: Vec<_> = tree(outer.path())
        .into_iter()
        .filter(|p| !p.starts_with("root"))
        .collect();
    let before: Vec<_> = before_outer.into_iter().filter(|p| !p.starts_with("root")).collect();
    assert_eq!(outside_root, before, "nothing new outside the root");
    assert_eq!(
        std::fs::read(outer.path().join("outside.txt")).unwrap(),
        b"keep"
    );
    for entry in tree(&root) {
        let top = entry.components().next().unwrap().as_os_str().to_owned();
        assert!(top == "c" || top == ".multicloud", "{entry:?}");
    }
    // The same names are only data to the memory driver, and never touch the disk.
    let m = Memory::new();
    m.create_container("c").await.unwrap();
    m.upload_bytes("c", "../../etc/passwd", Bytes::from_static(b"x"), &opts())
        .await
        .unwrap();
    let got_476 = m.download_bytes("c", "../../etc/passwd").await;
    assert_eq!(got_476.unwrap(), "x");
}

/// An upload over a name that is a symbolic link neither replaces the link nor writes
/// through it, like reads and deletes.
#[maybe_async]
#[mode_test]
async fn local_refuses_to_upload_over_a_symlink() {
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("target.txt");
    std::fs::write(&target, b"original").unwrap();
    let root = outer.path().join("root");
    let d = Local::new(&root).unwrap();
    d.create_container("c").await.unwrap();
    let link = root.join("c/link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let e = d
        .upload_bytes("c", "link", Bytes::from_static(b"new"), &opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let reader = std::io::Cursor::new(b"new".to_vec());
    let e = d.upload_reader("c", "link", reader, &opts()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"original");
    assert!(tree(&root.join(".multicloud/tmp")).is_empty(), "no temporary file left");
}

/// Links swapped in and out of a directory's place while uploads run are never followed:
/// every component is opened without following links, so no check-then-open window.
#[maybe_async]
#[mode_test]
async fn local_links_swapped_in_during_uploads_are_never_followed() {
    let outer = tempfile::tempdir().unwrap();
    let secret = outer.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    let root = outer.path().join("root");
    let d = Local::new(&root).unwrap();
    d.create_container("c").await.unwrap();
    let c = root.join("c");
    std::fs::create_dir(c.join("real")).unwrap();
    std::os::unix::fs::symlink(&secret, c.join("link")).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (c, stop) = (c.clone(), stop.clone());
        // `d` is a real directory, then gone, then a link to `secret`, then gone...
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let _ = std::fs::rename(c.join("real"), c.join("d"));
                let _ = std::fs::rename(c.join("d"), c.join("real"));
                let _ = std::fs::rename(c.join("link"), c.join("d"));
                let _ = std::fs::rename(c.join("d"), c.join("link"));
            }
        })
    };
    let mut stored = 0;
    for i in 0..1500 {
        let name = format!("d/x{i}");
        if d.upload_bytes("c", &name, Bytes::from_static(b"x"), &opts()).await.is_ok() {
            stored += 1;
        }
        let _ = d.download_bytes("c", &name).await;
    }
    stop.store(true, Ordering::SeqCst);
    flipper.join().unwrap();
    assert!(tree(&secret).is_empty(), "written through a link ({stored} stored)");
}

/// A link planted at an object's own name while uploads of that name run is refused like
/// one that was there before: never replaced, never written through. (Linux: the test
/// moves the link with renameat2, and only Linux has the atomic exchange the driver uses.)
#[cfg(target_os = "linux")]
#[maybe_async]
#[mode_test]
async fn local_links_planted_at_the_name_during_uploads_are_never_replaced() {
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("target.txt");
    std::fs::write(&target, b"original").unwrap();
    let root = outer.path().join("root");
    let d = Local::new(&root).unwrap();
    d.create_container("c").await.unwrap();
    let c = root.join("c");
    std::os::unix::fs::symlink(&target, c.join("stash")).unwrap();
    std::fs::write(c.join("obj"), b"old").unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (c, stop) = (c.clone(), stop.clone());
        // The link trades places with whatever the object's name holds, atomically
        // (RENAME_EXCHANGE), so the flipper itself never destroys anything.
        std::thread::spawn(move || {
            use std::os::unix::ffi::OsStrExt;
            let path = |n: &str| std::ffi::CString::new(c.join(n).as_os_str().as_bytes());
            let (stash, obj) = (path("stash").unwrap(), path("obj").unwrap());
            while !stop.load(Ordering::SeqCst) {
                // SAFETY: two valid C strings; the call only renames.
                unsafe {
                    libc::renameat2(
                        libc::AT_FDCWD,
                        stash.as_ptr(),
                        libc::AT_FDCWD,
                        obj.as_ptr(),
                        libc::RENAME_EXCHANGE,
                    );
                }
            }
        })
    };
    let mut refused = 0;
    for _ in 0..1500 {
        let up = d.upload_bytes("c", "obj", Bytes::from_static(b"new"), &opts()).await;
        refused += usize::from(up.is_err());
    }
    stop.store(true, Ordering::SeqCst);
    flipper.join().unwrap();
    let links: Vec<_> = ["stash", "obj"]
        .into_iter()
        .filter(|n| std::fs::symlink_metadata(c.join(n)).is_ok_and(|m| m.is_symlink()))
        .collect();
    assert_eq!(links.len(), 1, "the link was replaced ({refused} uploads refused)");
    assert_eq!(std::fs::read(&target).unwrap(), b"original");
}

/// Opening a root, through `Local::new` or `from_url`, writes nothing in it; the first
/// write creates the driver's own directories.
#[maybe_async]
#[mode_test]
async fn local_opening_a_root_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = Local::new(dir.path()).unwrap();
    let (any, _) = AnyStorage::from_url(&format!("file://{}", dir.path().display())).unwrap();
    let listed = d.list_containers().await;
    assert!(listed.unwrap().is_empty());
    let got = any.get_object("c", "x").await;
    assert_eq!(got.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
    d.create_container("c").await.unwrap();
    d.upload_bytes("c", "x", Bytes::from_static(b"1"), &opts())
        .await
        .unwrap();
    assert!(dir.path().join(".multicloud/meta").is_dir());
}

/// A root that does not exist yet is not created by opening it (a mistyped `file://` URL
/// must not make directories): reads see an empty store, the first write creates it.
#[maybe_async]
#[mode_test]
async fn local_missing_root_is_created_by_the_first_write() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("not/yet");
    let d = Local::new(&root).unwrap();
    let (any, _) = AnyStorage::from_url(&format!("file://{}", root.display())).unwrap();
    let listed = d.list_containers().await;
    assert!(listed.unwrap().is_empty());
    let got = any.get_container("c").await;
    assert_eq!(got.unwrap_err().kind(), ErrorKind::NotFound);
    let got = d.get_object("c", "x").await;
    assert_eq!(got.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
    // A clone made before the root existed sees what the first write created.
    let clone = d.clone();
    any.create_container("c").await.unwrap();
    d.upload_bytes("c", "x", Bytes::from_static(b"1"), &opts())
        .await
        .unwrap();
    let got = clone.download_bytes("c", "x").await;
    assert_eq!(got.unwrap(), "1");
    assert!(root.join("c/x").is_file());
    // A root that is a file is refused when opened.
    std::fs::write(dir.path().join("file"), b"").unwrap();
    let e = Local::new(dir.path().join("file")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

#[maybe_async]
#[mode_test]
async fn local_never_follows_symlinks() {
    let outer = tempfile::tempdir().unwrap();
    let secret_dir = outer.path().join("secret");
    std::fs::create_dir(&secret_dir).unwrap();
    std::fs::write(secret_dir.join("key"), b"top secret").unwrap();
    let root = outer.path().join("root");
    let d = Local::new(&root).unwrap();
    d.create_container("c").await.unwrap();
    let c = root.join("c");
    std::os::unix::fs::symlink(&secret_dir, c.join("dirlink")).unwrap();
    std::os::unix::fs::symlink(secret_dir.join("key"), c.join("filelink")).unwrap();
    std::os::unix::fs::symlink(&secret_dir, root.join("linked-container")).unwrap();

    for name in ["dirlink/key", "filelink", "dirlink/new"] {
        let e = d.download_bytes("c", name).await.unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::NotFound),
            "{name}: {e}"
        );
        let got_500 = d.get_object("c", name).await;
        assert!(got_500.is_err());
        let got_501 = d.delete_object("c", name).await;
        assert!(got_501.is_err());
    }
    let e = d
        .upload_bytes("c", "dirlink/planted", Bytes::from_static(b"x"), &opts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let got_508 = d.list_objects("c", "").await;
    assert!(got_508.unwrap().is_empty());
    let e = d.list_objects("linked-container", "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let names: Vec<_> = d
        .list_containers()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["c"]);
    assert_eq!(
        tree(&secret_dir),
        [Path::new("key")],
        "nothing written through a link"
    );
    assert_eq!(
        std::fs::read(secret_dir.join("key")).unwrap(),
        b"top secret"
    );
}

#[maybe_async]
#[mode_test]
async fn local_persists_metadata_across_instances_and_cleans_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = Local::new(dir.path()).unwrap();
    d.create_container("c").await.unwrap();
    let o = UploadOptions::new()
        .content_type("image/png")
        .metadata("k", "v");
    d.upload_bytes("c", "p.png", Bytes::from_static(b"png"), &o)
        .await
        .unwrap();
    let _ = d
        .upload_reader("c", "broken", FailingReader::new(b"partial"), &opts())
        .await;
    let again = Local::new(dir.path()).unwrap();
    let head = again.get_object("c", "p.png").await.unwrap();
    assert_eq!(head.content_type.as_deref(), Some("image/png"));
    assert_eq!(head.metadata.get("k").map(String::as_str), Some("v"));
    assert!(
        tree(&dir.path().join(".multicloud/tmp")).is_empty(),
        "no temporary file left behind"
    );
    // A file placed by hand is an object too, hashed on demand.
    std::fs::write(dir.path().join("c/by-hand.txt"), b"hello").unwrap();
    let head = again.get_object("c", "by-hand.txt").await.unwrap();
    assert_eq!(head.hash.as_deref(), Some(md5(b"hello").as_str()));
}

#[maybe_async]
#[mode_test]
async fn local_cancelled_and_refused_uploads_leave_no_temporary_file_and_a_stale_sidecar_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let d = Local::new(&root).unwrap();
    d.create_container("c").await.unwrap();
    let token = multicloud::storage::CancelToken::new();
    let reader = super::common::transfer::CancellingReader::new(content(5, 1 << 20), 256 << 10, &token);
    let e = d.upload_reader("c", "k", reader, &opts().cancel(&token)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    d.upload_bytes("c", "k", Bytes::from_static(b"old!"), &opts()).await.unwrap();
    let refused = d.upload_bytes("c", "k", Bytes::from_static(b"new!"), &opts().create_only()).await;
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    assert!(tree(&root.join(".multicloud/tmp")).is_empty(), "no temporary file left");

    // The file is replaced behind the driver's back by one of the same size: the sidecar's
    // MD5 (of "old!") no longer describes it, so the ETag is the new bytes' and an
    // If-Match with the old ETag is refused.
    let old = d.get_object("c", "k").await.unwrap();
    std::fs::write(root.join("c/k"), b"new!").unwrap();
    let now = d.get_object("c", "k").await.unwrap();
    assert_eq!(now.md5(), Some(md5(b"new!").as_str()));
    let stale = opts().if_match(old.hash.unwrap());
    let e = d.upload_bytes("c", "k", Bytes::from_static(b"3rd!"), &stale).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
}
