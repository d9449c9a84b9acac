// Fault injection: many mixed S3 operations through a proxy that breaks a share of the
// exchanges (tests/common/fault_proxy.rs), then every object checked on the server with a
// second driver that does not go through the proxy. Included once per mode by
// `tests/fault_injection.rs`, inside a module that provides `mc`, `maybe_async`,
// `mode_test`, `MODE` and `drain`.
//
// MULTICLOUD_FAULT_OPS (default 150), MULTICLOUD_FAULT_SEED (printed; random when unset),
// MULTICLOUD_FAULT_RATE (default 0.15). The full run is `scripts/fault-run`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mc::http::TransportConfig;
use mc::storage::{S3, StorageDriver, UploadOptions};
use multicloud::retry::RetryPolicy;
use multicloud::storage::s3::S3Config;
use multicloud::{Credentials, Error, ErrorKind};

use super::common::fault_model::{
    Category, Model, RunSettings, State, Tally, Violation, Watchdog, is_unexplained, kind_problem,
    slice,
};
use super::common::fault_plan::{self, DESTS, Data, Op};
use super::common::fault_proxy::{FaultProxy, Timing};
use super::common::s3env;

/// The driver's stall timeout: low, so stalls cost little.
const STALL_TIMEOUT: Duration = Duration::from_millis(400);
/// Small calls' whole-call limit (async small calls have no stall timer, only this).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Stalls outlast both limits; trickles stay under them (25 pieces, 40 ms apart).
const TIMING: Timing = Timing {
    stall: Duration::from_secs(3),
    trickle_gap: Duration::from_millis(40),
    trickle_pieces: 25,
};
/// No single operation may take longer (the watchdog ends the process if one does).
const OP_LIMIT: Duration = Duration::from_secs(120);

fn s3_config(endpoint: &str) -> S3Config {
    S3Config::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new(s3env::S3S_KEY, s3env::S3S_SECRET))
        .multipart_threshold(fault_plan::MULTIPART_THRESHOLD)
        .part_size(fault_plan::PART_SIZE)
        .part_concurrency(2)
        .build()
        .unwrap()
}

/// The driver under test: short timeouts, fast retries.
fn faulty_driver(endpoint: &str) -> S3 {
    let retry = RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(100),
        total_budget: Duration::from_secs(20),
    };
    let transport = TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(REQUEST_TIMEOUT)
        .stall_timeout(STALL_TIMEOUT)
        .retry(retry);
    S3::with_transport(s3_config(endpoint), transport).unwrap()
}

/// The state of one run.
struct Run {
    s3: S3,
    bucket: String,
    proxy: FaultProxy,
    model: Model,
    tally: Tally,
    dir: PathBuf,
    /// What each destination file holds on disk (`None`: absent).
    dests: Vec<Option<Vec<u8>>>,
    /// The last operation that wrote each key, for reports.
    last_write: HashMap<String, (usize, String)>,
    op: usize,
    what: String,
}

impl Run {
    fn violate(&mut self, category: Category, detail: String) {
        let faults = self.proxy.faults_of(self.op);
        let (op, what) = (self.op, self.what.clone());
        self.tally.violate(Violation { op, what, category, detail, faults });
    }

    /// Counts an error; a kind no fault explains (or `NotFound` for a key that must
    /// exist, when `must_exist`) is a violation.
    fn error(&mut self, e: &Error, must_exist: bool) {
        self.tally.err(kind_of(&self.what), e);
        let not_found = e.kind() == ErrorKind::NotFound;
        if is_unexplained(e.kind()) || (not_found && must_exist) {
            self.violate(Category::WrongError, format!("{:?}: {e}", e.kind()));
        } else if let Some(why) = kind_problem(e, &self.bucket) {
            self.violate(Category::WrongKind, format!("{:?} ({why}): {e}", e.kind()));
        }
    }

    fn ok(&mut self) {
        self.tally.ok(kind_of(&self.what));
    }

    fn wrote(&mut self, key: &str) {
        self.last_write.insert(key.to_owned(), (self.op, self.what.clone()));
    }

    /// An `Ok` read of `key` saw `bytes`: a violation unless some write put them there;
    /// otherwise the key is now known to hold them.
    fn saw(&mut self, key: &str, bytes: &[u8]) {
        let matching = self.model.states(key).into_iter().flatten().find(|d| d.is(bytes));
        match matching {
            Some(d) => self.model.set(key, Some(d)),
            None => {
                let states = describe(&self.model.states(key));
                let detail = format!("{key}: read {} bytes matching no version written ({states})", bytes.len());
                self.violate(Category::Corrupted, detail);
            }
        }
    }
}

fn kind_of(what: &str) -> &'static str {
    const KINDS: [&str; 11] = [
        "upload_bytes", "upload_multipart", "upload_reader", "download_bytes", "download_range",
        "list_objects", "iterate_objects", "list_pages", "copy_object", "delete_many",
        "download_object",
    ];
    KINDS.iter().find(|k| what.starts_with(*k)).copied().unwrap_or("other")
}

fn describe(states: &[State]) -> String {
    let shown: Vec<String> = states
        .iter()
        .map(|s| s.map_or("absent".to_owned(), |d| format!("{} bytes (seed {:#x})", d.len, d.seed)))
        .collect();
    shown.join(" or ")
}

#[maybe_async]
#[mode_test]
async fn faults_never_lose_corrupt_or_misreport_objects() {
    let settings = RunSettings::from_env();
    eprintln!(
        "fault_injection [{MODE}]: seed {} (MULTICLOUD_FAULT_SEED={} replays it), {} operations, {:.0}% of requests faulted",
        settings.seed, settings.seed, settings.ops, settings.rate * 100.0
    );
    let proxy = FaultProxy::start(&s3env::moto(), settings.seed, settings.rate, TIMING);
    let direct = S3::new(s3_config(&s3env::moto())).unwrap();
    let bucket = s3env::unique_prefix();
    direct.create_container(&bucket).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut run = Run {
        s3: faulty_driver(&proxy.url()),
        bucket,
        proxy,
        model: Model::default(),
        tally: Tally::new(MODE, settings.seed),
        dir: dir.path().to_path_buf(),
        dests: vec![None; DESTS],
        last_write: HashMap::new(),
        op: 0,
        what: String::new(),
    };
    populate(&mut run, &direct, settings.seed).await;
    let watchdog = Watchdog::start(OP_LIMIT);
    let started = Instant::now();
    for (i, op) in fault_plan::plan(settings.seed, settings.ops).into_iter().enumerate() {
        run.proxy.set_op(i);
        run.op = i;
        run.what = op.describe();
        watchdog.beat(format!("op {i} ({})", run.what));
        perform(&mut run, &op).await;
    }
    run.proxy.set_op(usize::MAX);
    let ops_took = started.elapsed();
    watchdog.beat("the verification on the server".to_owned());
    verify_server(&mut run, &direct).await;
    check_uploads(&mut run, &direct).await;
    check_dir(&mut run);
    finish(&run, ops_took);
}

/// Every key starts present (written without the proxy), so reads and copies find
/// something.
#[maybe_async]
async fn populate(run: &mut Run, direct: &S3, seed: u64) {
    for (n, key) in fault_plan::all_keys().into_iter().enumerate() {
        let data = Data { seed: seed ^ ((n as u64 + 1) << 40), len: 100 + n * 37 };
        let b = run.bucket.clone();
        direct.upload_bytes(&b, &key, data.bytes(), &UploadOptions::new()).await.unwrap();
        run.model.set(&key, Some(data));
    }
}

/// Prints the counts and fails on any violation.
fn finish(run: &Run, took: Duration) {
    let counts: std::collections::BTreeMap<String, usize> =
        run.proxy.counts().into_iter().map(|(f, n)| (format!("{f:?}"), n)).collect();
    let faulted = run.proxy.injected().len();
    eprintln!("{}  operations took {took:.1?}", run.tally.report(&counts, faulted));
    if run.proxy.upstream_failures() > 0 {
        eprintln!("  note: the emulator failed {} forwarded requests", run.proxy.upstream_failures());
    }
    let list: Vec<String> = run
        .tally
        .violations
        .iter()
        .map(|v| format!("  op {} ({}) {:?}: {} [faults: {:?}]", v.op, v.what, v.category, v.detail, v.faults))
        .collect();
    assert!(
        list.is_empty(),
        "fault_injection [{MODE}] seed {}: {} violation(s):\n{}",
        run.tally.seed,
        list.len(),
        list.join("\n")
    );
}

#[maybe_async]
async fn perform(run: &mut Run, op: &Op) {
    match op {
        Op::Put { key, data } => put(run, key, *data, false).await,
        Op::PutReader { key, data } => put(run, key, *data, true).await,
        Op::Get { key } => get(run, key).await,
        Op::Range { key, pick } => range(run, key, *pick).await,
        Op::List { prefix } => {
            let b = run.bucket.clone();
            let listed = run.s3.list_objects(&b, prefix).await;
            let listed = listed.map(|objs| objs.into_iter().map(|o| (o.name, o.size)).collect());
            check_listing(run, prefix, listed);
        }
        Op::Iterate { prefix } => {
            let b = run.bucket.clone();
            let items = drain(run.s3.iterate_objects(&b, prefix)).await;
            let listed: Result<Vec<(String, u64)>, Error> =
                items.into_iter().map(|r| r.map(|o| (o.name, o.size))).collect();
            check_listing(run, prefix, listed);
        }
        Op::Pages { prefix, max } => {
            let listed = pages(run, prefix, *max).await;
            check_listing(run, prefix, listed);
        }
        Op::Copy { src, dst } => copy(run, src, dst).await,
        Op::DeleteMany { keys } => delete_many(run, keys).await,
        Op::DownloadTo { key, dest } => download_to(run, key, *dest).await,
    }
}

#[maybe_async]
async fn put(run: &mut Run, key: &str, data: Data, reader: bool) {
    let bytes = data.bytes();
    let (b, opts) = (run.bucket.clone(), UploadOptions::new());
    let result = if reader {
        let source = std::io::Cursor::new(bytes);
        run.s3.upload_reader(&b, key, source, &opts).await
    } else {
        run.s3.upload_bytes(&b, key, bytes, &opts).await
    };
    run.wrote(key);
    match result {
        Ok(o) => {
            run.ok();
            if o.size != data.len as u64 {
                run.violate(Category::OkButWrong, format!("{key}: Ok with size {}, wrote {}", o.size, data.len));
            }
            run.model.set(key, Some(data));
        }
        Err(e) => {
            run.error(&e, false);
            run.model.widen(key, Some(data));
        }
    }
}

#[maybe_async]
async fn get(run: &mut Run, key: &str) {
    let b = run.bucket.clone();
    match run.s3.download_bytes(&b, key).await {
        Ok(bytes) => {
            run.ok();
            run.saw(key, &bytes);
        }
        Err(e) => read_failed(run, key, &e),
    }
}

/// A failed read: `NotFound` is the server's word (the key is absent now), unless the key
/// must exist.
fn read_failed(run: &mut Run, key: &str, e: &Error) {
    let must_exist = run.model.must_exist(key);
    run.error(e, must_exist);
    if e.kind() == ErrorKind::NotFound && !must_exist {
        run.model.set(key, None);
    }
}

#[maybe_async]
async fn range(run: &mut Run, key: &str, pick: u64) {
    let states = run.model.states(key);
    let candidates: Vec<Data> = states.iter().flatten().copied().collect();
    let len = candidates.iter().map(|d| d.len).find(|&l| l > 0).unwrap_or(0);
    let (start, end) = fault_plan::range_for(pick, len as u64);
    run.what = format!("{} range {start}..{}", run.what, end.map_or(String::new(), |e| e.to_string()));
    let b = run.bucket.clone();
    let result = match end {
        Some(end) => run.s3.download_range(&b, key, start..end).await,
        None => run.s3.download_range(&b, key, start..).await,
    };
    let fits_all = candidates.iter().all(|d| end.unwrap_or(1) <= d.len as u64 && start < d.len as u64);
    match result {
        Ok(bytes) => {
            run.ok();
            let right = candidates.iter().any(|d| slice(&d.bytes(), start, end) == Some(&bytes[..]));
            if !right {
                let detail = format!(
                    "{key}: Ok range {start}..{end:?} gave {} bytes matching no version's range ({})",
                    bytes.len(),
                    describe(&states)
                );
                run.violate(Category::OkButWrong, detail);
            }
        }
        // A range past the end of some version may be refused; otherwise as any read.
        Err(e) if !fits_all && e.kind() == ErrorKind::InvalidInput => {
            run.tally.err(kind_of(&run.what), &e);
        }
        Err(e) => read_failed(run, key, &e),
    }
}

/// Every page of `prefix` by hand, `max` at a time; a listing that does not end within
/// a bound is a violation (reported by the caller as a wrong listing).
#[maybe_async]
async fn pages(run: &mut Run, prefix: &str, max: usize) -> Result<Vec<(String, u64)>, Error> {
    let b = run.bucket.clone();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..200 {
        let page = run.s3.list_objects_page(&b, prefix, token.as_deref(), max).await?;
        if page.items.len() > max {
            let detail = format!("a page of {} items when {max} were asked", page.items.len());
            run.violate(Category::OkButWrong, detail);
        }
        out.extend(page.items.into_iter().map(|o| (o.name, o.size)));
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
    run.violate(Category::OkButWrong, "the listing did not end after 200 pages".to_owned());
    Ok(out)
}

fn check_listing(run: &mut Run, prefix: &str, listed: Result<Vec<(String, u64)>, Error>) {
    match listed {
        Ok(listed) => {
            run.ok();
            if let Some(problem) = run.model.listing_problem(prefix, &listed) {
                run.violate(Category::OkButWrong, format!("listing {prefix:?}: {problem}"));
            }
        }
        // The bucket exists: NotFound would be a lie.
        Err(e) => run.error(&e, true),
    }
}

#[maybe_async]
async fn copy(run: &mut Run, src: &str, dst: &str) {
    let sources: Vec<State> = run.model.states(src).into_iter().filter(Option::is_some).collect();
    let b = run.bucket.clone();
    let result = run.s3.copy_object(&b, src, &b, dst).await;
    run.wrote(dst);
    match result {
        Ok(o) => {
            run.ok();
            if sources.is_empty() {
                run.violate(Category::OkButWrong, format!("copy Ok from {src}, which must be absent"));
                return;
            }
            if !sources.iter().flatten().any(|d| d.len as u64 == o.size) {
                let detail = format!("copy Ok with size {}, source is {}", o.size, describe(&sources));
                run.violate(Category::OkButWrong, detail);
            }
            set_states(&mut run.model, dst, &sources);
        }
        Err(e) => {
            let must_exist = run.model.must_exist(src);
            run.error(&e, must_exist);
            run.model.widen_all(dst, &sources);
        }
    }
}

fn set_states(model: &mut Model, key: &str, states: &[State]) {
    if let Some((first, rest)) = states.split_first() {
        model.set(key, *first);
        model.widen_all(key, rest);
    }
}

#[maybe_async]
async fn delete_many(run: &mut Run, keys: &[String]) {
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    let b = run.bucket.clone();
    let results = run.s3.delete_many(&b, keys.clone(), 2).await;
    if results.len() != keys.len() {
        let detail = format!("{} results for {} keys", results.len(), keys.len());
        run.violate(Category::OkButWrong, detail);
    }
    let mut first_error = None;
    for (key, result) in keys.iter().zip(results) {
        run.wrote(key);
        match result {
            Ok(()) => run.model.set(key, None),
            Err(e) => {
                run.model.widen(key, None);
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => run.ok(),
        Some(e) => run.error(&e, false),
    }
}

#[maybe_async]
async fn download_to(run: &mut Run, key: &str, dest: usize) {
    let path = dest_path(&run.dir, dest);
    let b = run.bucket.clone();
    let result = run.s3.download_object(&b, key, &path, true).await;
    let on_disk = std::fs::read(&path).ok();
    match result {
        Ok(_) => {
            run.ok();
            match &on_disk {
                Some(bytes) => run.saw(key, bytes),
                None => run.violate(Category::Lost, format!("{key}: download Ok but {path:?} is missing")),
            }
        }
        Err(e) => {
            read_failed(run, key, &e);
            if on_disk != run.dests[dest] {
                let detail = format!("{path:?} changed although the download of {key} failed");
                run.violate(Category::PartialFile, detail);
            }
        }
    }
    run.dests[dest] = on_disk;
    check_dir(run);
}

fn dest_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("dest{n}.bin"))
}

/// Any file in the download directory other than the destinations is a partial file left
/// behind (reported once: it is removed).
fn check_dir(run: &mut Run) {
    let known: Vec<PathBuf> = (0..DESTS).map(|n| dest_path(&run.dir, n)).collect();
    for entry in std::fs::read_dir(&run.dir).unwrap() {
        let path = entry.unwrap().path();
        if !known.contains(&path) {
            run.violate(Category::PartialFile, format!("{path:?} left behind"));
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Every key the run touched, read back without the proxy.
#[maybe_async]
async fn verify_server(run: &mut Run, direct: &S3) {
    let b = run.bucket.clone();
    for key in run.model.keys() {
        let (op, what) = run.last_write.get(&key).cloned().unwrap_or((usize::MAX, String::new()));
        (run.op, run.what) = (op, format!("verify {key} (last written by {what})"));
        let stored = match direct.download_bytes(&b, &key).await {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => panic!("verifying {key} without the proxy failed: {e}"),
        };
        judge(run, &key, stored);
    }
    run.what = "verify the listing".to_owned();
    let listed = direct.list_objects(&b, "").await.expect("listing without the proxy");
    let listed: Vec<(String, u64)> = listed.into_iter().map(|o| (o.name, o.size)).collect();
    if let Some(problem) = run.model.listing_problem("", &listed) {
        run.violate(Category::OkButWrong, format!("the final listing: {problem}"));
    }
}

fn judge(run: &mut Run, key: &str, stored: Option<Bytes>) {
    let states = describe(&run.model.states(key));
    match stored {
        None if run.model.must_exist(key) => {
            run.violate(Category::Lost, format!("{key} is not on the server; expected {states}"));
        }
        None => {}
        Some(bytes) if run.model.allows(key, &bytes) => {}
        Some(_) if run.model.must_be_absent(key) => {
            run.violate(Category::OkButWrong, format!("{key} is on the server but was deleted"));
        }
        Some(bytes) => {
            let detail = format!("{key} holds {} bytes matching no version ({states})", bytes.len());
            run.violate(Category::Corrupted, detail);
        }
    }
}

/// The faults injected into POSTs (create, complete) on `key`, with their operations.
fn post_faults(proxy: &FaultProxy, key: &str) -> Vec<String> {
    let path = format!("/{key}?");
    proxy
        .injected()
        .into_iter()
        .filter(|i| i.request.starts_with("POST ") && i.request.contains(&path))
        .map(|i| format!("op {}: {:?} on {}", i.op, i.fault, i.request))
        .collect()
}

/// Every multipart upload must end completed or aborted. Aborts started in the background
/// may lag: poll, bounded.
#[maybe_async]
async fn check_uploads(run: &mut Run, direct: &S3) {
    let b = run.bucket.clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut left = direct.list_multipart_uploads(&b, "").await.expect("listing uploads");
    while !left.is_empty() && Instant::now() < deadline {
        left = direct.list_multipart_uploads(&b, "").await.expect("listing uploads");
    }
    for upload in left {
        // Reported against the last operation that wrote the key, with its faults.
        let last = run.last_write.get(&upload.key).cloned();
        let (op, what) = last.unwrap_or((usize::MAX, String::new()));
        (run.op, run.what) = (op, format!("uploads left (last written by {what})"));
        let detail = format!(
            "upload {} of {} neither completed nor aborted; faults on its POSTs: {:?}",
            upload.upload_id,
            upload.key,
            post_faults(&run.proxy, &upload.key)
        );
        run.violate(Category::LeftoverUpload, detail);
        let _ = direct.abort_multipart_upload(&b, &upload.key, &upload.upload_id).await;
    }
}
