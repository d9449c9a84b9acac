//! What the server must hold, and the tally of a fault-injection run (mode independent;
//! the operations themselves are in `tests/cases/fault_injection.rs`).
//!
//! Each key maps to the set of states it may be in: a write that returned `Ok` leaves one
//! state (the new bytes), a write that returned `Err` adds the new state to the old ones
//! (it may or may not have happened), and an `Ok` read narrows the set to what it saw.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::mpsc;
use std::time::Duration;

use multicloud::{Error, ErrorKind};

pub use super::fault_plan::Data;

/// One state of a key: absent (`None`) or these bytes (named by how to make them, so the
/// model holds no large buffers).
pub type State = Option<Data>;

/// The states each key may be in.
#[derive(Default)]
pub struct Model {
    keys: BTreeMap<String, Vec<State>>,
}

impl Model {
    /// Every key the run may have touched.
    pub fn keys(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    /// The states `key` may be in (absent if never written).
    pub fn states(&self, key: &str) -> Vec<State> {
        self.keys.get(key).cloned().unwrap_or_else(|| vec![None])
    }

    /// `key` is now certainly in `state`.
    pub fn set(&mut self, key: &str, state: State) {
        self.keys.insert(key.to_owned(), vec![state]);
    }

    /// `key` may also be in `state` now (a write whose outcome is unknown).
    pub fn widen(&mut self, key: &str, state: State) {
        let mut states = self.states(key);
        if !states.contains(&state) {
            states.push(state);
        }
        self.keys.insert(key.to_owned(), states);
    }

    /// `key` may now be in any of `states` (a copy of a source in several states).
    pub fn widen_all(&mut self, key: &str, states: &[State]) {
        for s in states {
            self.widen(key, *s);
        }
    }

    /// Whether `key` is certainly present.
    pub fn must_exist(&self, key: &str) -> bool {
        !self.states(key).contains(&None)
    }

    /// Whether `key` is certainly absent.
    pub fn must_be_absent(&self, key: &str) -> bool {
        self.states(key).iter().all(Option::is_none)
    }

    /// Whether `bytes` is one of the states of `key`.
    pub fn allows(&self, key: &str, bytes: &[u8]) -> bool {
        self.states(key).iter().flatten().any(|d| d.is(bytes))
    }

    /// What is wrong with an `Ok` listing of `prefix` (names and sizes), if anything.
    pub fn listing_problem(&self, prefix: &str, listed: &[(String, u64)]) -> Option<String> {
        let mut problems = Vec::new();
        let mut names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            problems.push("a name is listed twice".to_owned());
        }
        for (name, size) in listed {
            let sizes: Vec<u64> = self
                .states(name)
                .iter()
                .flatten()
                .map(|d| d.len as u64)
                .collect();
            if !name.starts_with(prefix) {
                problems.push(format!("{name:?} does not start with the prefix"));
            } else if sizes.is_empty() {
                problems.push(format!("{name:?} is listed but must be absent"));
            } else if !sizes.contains(size) {
                problems.push(format!(
                    "{name:?} is listed with size {size}, expected one of {sizes:?}"
                ));
            }
        }
        for key in self.keys.keys().filter(|k| k.starts_with(prefix)) {
            if self.must_exist(key) && !names.contains(&key.as_str()) {
                problems.push(format!("{key:?} must exist but is not listed"));
            }
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}

/// The bytes a range selects, or `None` when the range does not fit.
pub fn slice(bytes: &[u8], start: u64, end: Option<u64>) -> Option<&[u8]> {
    let len = bytes.len() as u64;
    let end = end.unwrap_or(len);
    (start < end && end <= len).then(|| &bytes[start as usize..end as usize])
}

/// What a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// An `Ok` write whose object is not on the server.
    Lost,
    /// Bytes (read or on the server) that no write put there.
    Corrupted,
    /// An `Ok` answer that is not the truth (listing, range, size, a deleted object back).
    OkButWrong,
    /// An error no injected fault can explain (`NotFound` for an object that exists...).
    WrongError,
    /// An error of another kind than the documented transport failure → kind table gives
    /// for the faults injected (the proxy never corrupts bytes or sends a body longer than
    /// announced, so `Integrity`, `Parse` and `Io` have no cause), or one naming neither
    /// the provider nor the bucket.
    WrongKind,
    /// A multipart upload neither completed nor aborted.
    LeftoverUpload,
    /// A file left behind (or changed) by a failed `download_object`.
    PartialFile,
}

/// One violation, with everything needed to replay it.
#[derive(Debug, Clone)]
pub struct Violation {
    pub op: usize,
    pub what: String,
    pub category: Category,
    pub detail: String,
    pub faults: Vec<String>,
}

/// Counts of a run and its violations.
pub struct Tally {
    pub mode: &'static str,
    pub seed: u64,
    /// Per operation kind: (Ok, Err).
    pub ops: BTreeMap<&'static str, (u64, u64)>,
    /// Per (operation kind, error kind): count and the first message seen.
    pub errors: BTreeMap<(&'static str, String), (u64, String)>,
    pub violations: Vec<Violation>,
    pub leftover_uploads: usize,
    pub partial_files: usize,
}

impl Tally {
    pub fn new(mode: &'static str, seed: u64) -> Self {
        Tally {
            mode,
            seed,
            ops: BTreeMap::new(),
            errors: BTreeMap::new(),
            violations: Vec::new(),
            leftover_uploads: 0,
            partial_files: 0,
        }
    }

    pub fn ok(&mut self, kind: &'static str) {
        self.ops.entry(kind).or_default().0 += 1;
    }

    pub fn err(&mut self, kind: &'static str, e: &Error) {
        self.ops.entry(kind).or_default().1 += 1;
        let entry = self
            .errors
            .entry((kind, format!("{:?}", e.kind())))
            .or_insert_with(|| (0, e.to_string()));
        entry.0 += 1;
    }

    pub fn violate(&mut self, v: Violation) {
        eprintln!(
            "fault_injection [{} seed {}] VIOLATION {:?} at op {} ({}): {}; faults during the op: {:?}",
            self.mode, self.seed, v.category, v.op, v.what, v.detail, v.faults
        );
        match v.category {
            Category::LeftoverUpload => self.leftover_uploads += 1,
            Category::PartialFile => self.partial_files += 1,
            _ => {}
        }
        self.violations.push(v);
    }

    pub fn count(&self, category: Category) -> usize {
        self.violations
            .iter()
            .filter(|v| v.category == category)
            .count()
    }

    /// The report printed at the end of a run.
    pub fn report(&self, faults: &BTreeMap<String, usize>, requests_faulted: usize) -> String {
        let mut out = String::new();
        let total: u64 = self.ops.values().map(|(o, e)| o + e).sum();
        let _ = writeln!(
            out,
            "fault_injection [{}] seed {} — {total} operations",
            self.mode, self.seed
        );
        for (kind, (ok, err)) in &self.ops {
            let _ = writeln!(out, "  {kind:<16} ok {ok:>5}  err {err:>4}");
        }
        let _ = writeln!(out, "  errors by kind (first message):");
        for ((op, kind), (n, first)) in &self.errors {
            let _ = writeln!(out, "    {op:<16} {kind:<12} {n:>4}  {first}");
        }
        let _ = writeln!(out, "  faults injected: {requests_faulted}");
        for (fault, n) in faults {
            let _ = writeln!(out, "    {fault:<20} {n:>5}");
        }
        let _ = writeln!(
            out,
            "  lost {}  corrupted {}  ok-but-wrong {}  wrong-error {}  wrong-kind {}  leftover uploads {}  partial files {}",
            self.count(Category::Lost),
            self.count(Category::Corrupted),
            self.count(Category::OkButWrong),
            self.count(Category::WrongError),
            self.count(Category::WrongKind),
            self.leftover_uploads,
            self.partial_files,
        );
        out
    }
}

/// Error kinds no injected fault can cause: seeing one is a violation.
pub fn is_unexplained(kind: ErrorKind) -> bool {
    use ErrorKind::*;
    matches!(
        kind,
        AlreadyExists | NotEmpty | Unauthorized | PermissionDenied | InvalidInput | Unsupported
    )
}

/// Why an error's kind or wording contradicts the documented table, if it does. An error
/// must name its provider, or at least the bucket (a transport error names the URL).
pub fn kind_problem(e: &Error, bucket: &str) -> Option<&'static str> {
    use ErrorKind::*;
    if matches!(e.kind(), Integrity | Parse | Io) {
        return Some("no injected fault corrupts bytes, lengthens a body or touches local files");
    }
    if e.provider() != Some("s3") && !e.to_string().contains(bucket) {
        return Some("the error names neither its provider nor the bucket");
    }
    None
}

/// Settings of a run, from the environment.
pub struct RunSettings {
    pub seed: u64,
    pub ops: usize,
    pub rate: f64,
}

impl RunSettings {
    /// `MULTICLOUD_FAULT_SEED` (random when unset), `MULTICLOUD_FAULT_OPS` (default 150),
    /// `MULTICLOUD_FAULT_RATE` (share of requests faulted, default 0.15).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let seed = var("MULTICLOUD_FAULT_SEED").map_or_else(
            || fastrand::u64(..),
            |v| v.trim().parse().expect("MULTICLOUD_FAULT_SEED is a number"),
        );
        let ops = var("MULTICLOUD_FAULT_OPS").map_or(150, |v| {
            v.trim().parse().expect("MULTICLOUD_FAULT_OPS is a number")
        });
        let rate = var("MULTICLOUD_FAULT_RATE").map_or(0.15, |v| {
            v.trim().parse().expect("MULTICLOUD_FAULT_RATE is a number")
        });
        RunSettings { seed, ops, rate }
    }
}

/// Ends the process if one operation runs longer than `limit`: a run can fail, never hang.
pub struct Watchdog {
    tx: mpsc::Sender<String>,
}

impl Watchdog {
    pub fn start(limit: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut current = String::from("the start");
            loop {
                match rx.recv_timeout(limit) {
                    Ok(what) => current = what,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        eprintln!(
                            "fault_injection: HANG: {current} did not finish within {limit:?}"
                        );
                        std::process::exit(101);
                    }
                }
            }
        });
        Watchdog { tx }
    }

    /// Marks the start of the next step.
    pub fn beat(&self, what: String) {
        let _ = self.tx.send(what);
    }
}
