//! The operations of a fault-injection run, drawn from the seed before the run starts (so a
//! seed replays the same sequence in both modes).

use bytes::Bytes;

/// Objects above this go through multipart upload (`upload_reader`).
pub const MULTIPART_THRESHOLD: usize = 1 << 20;
/// S3's smallest part size (every part but the last).
pub const PART_SIZE: usize = 5 << 20;
/// The keys a run uses: few, so writes, copies, deletes and listings interact.
pub const DIRS: [&str; 3] = ["a/", "b/", "c/"];
const PER_DIR: usize = 6;
/// How many destination files `download_object` writes in turn (so some overwrite).
pub const DESTS: usize = 5;

/// Content named by its seed and length: the same pair always makes the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data {
    pub seed: u64,
    pub len: usize,
}

impl Data {
    pub fn bytes(&self) -> Bytes {
        let mut out = vec![0u8; self.len];
        fastrand::Rng::with_seed(self.seed).fill(&mut out);
        Bytes::from(out)
    }

    /// Whether `bytes` is this content.
    pub fn is(&self, bytes: &[u8]) -> bool {
        bytes.len() == self.len && self.bytes()[..] == *bytes
    }
}

/// One operation of the run.
#[derive(Debug, Clone)]
pub enum Op {
    /// `upload_bytes`, below the multipart threshold.
    Put { key: String, data: Data },
    /// `upload_reader` (multipart when over the threshold).
    PutReader { key: String, data: Data },
    /// `download_bytes`.
    Get { key: String },
    /// `download_range`; `pick` chooses the range against the size when it runs.
    Range { key: String, pick: u64 },
    /// `list_objects`.
    List { prefix: String },
    /// `iterate_objects`, drained.
    Iterate { prefix: String },
    /// `list_objects_page` followed by hand with small pages.
    Pages { prefix: String, max: usize },
    /// `S3::copy_object` within the bucket.
    Copy { src: String, dst: String },
    /// `delete_many` (one DeleteObjects batch).
    DeleteMany { keys: Vec<String> },
    /// `download_object` to destination file number `dest`.
    DownloadTo { key: String, dest: usize },
}

impl Op {
    /// The kind, for counts.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Put { .. } => "upload_bytes",
            Op::PutReader { data, .. } if data.len > MULTIPART_THRESHOLD => "upload_multipart",
            Op::PutReader { .. } => "upload_reader",
            Op::Get { .. } => "download_bytes",
            Op::Range { .. } => "download_range",
            Op::List { .. } => "list_objects",
            Op::Iterate { .. } => "iterate_objects",
            Op::Pages { .. } => "list_pages",
            Op::Copy { .. } => "copy_object",
            Op::DeleteMany { .. } => "delete_many",
            Op::DownloadTo { .. } => "download_object",
        }
    }

    /// A one-line description (kind and keys).
    pub fn describe(&self) -> String {
        let detail = match self {
            Op::Put { key, data } | Op::PutReader { key, data } => {
                format!("{key} ({} bytes)", data.len)
            }
            Op::Get { key } | Op::Range { key, .. } | Op::DownloadTo { key, .. } => key.clone(),
            Op::List { prefix } | Op::Iterate { prefix } => format!("prefix {prefix:?}"),
            Op::Pages { prefix, max } => format!("prefix {prefix:?}, pages of {max}"),
            Op::Copy { src, dst } => format!("{src} -> {dst}"),
            Op::DeleteMany { keys } => keys.join(","),
        };
        format!("{} {detail}", self.kind())
    }
}

/// `n` operations drawn from `seed`.
pub fn plan(seed: u64, n: usize) -> Vec<Op> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|i| draw(&mut rng, seed ^ ((i as u64) << 20)))
        .collect()
}

fn draw(rng: &mut fastrand::Rng, data_seed: u64) -> Op {
    let key = random_key(rng);
    let prefix = ["", DIRS[0], DIRS[1], DIRS[2]][rng.usize(..4)].to_owned();
    match rng.u32(..100) {
        0..21 => Op::Put {
            key,
            data: Data {
                seed: data_seed,
                len: small_len(rng),
            },
        },
        21..27 => Op::PutReader {
            key,
            data: Data {
                seed: data_seed,
                len: small_len(rng),
            },
        },
        27..30 => {
            let len = rng.usize(MULTIPART_THRESHOLD + 1..=2 * PART_SIZE + (1 << 20));
            Op::PutReader {
                key,
                data: Data {
                    seed: data_seed,
                    len,
                },
            }
        }
        30..44 => Op::Get { key },
        44..56 => Op::Range {
            key,
            pick: rng.u64(..),
        },
        56..63 => Op::List { prefix },
        63..68 => Op::Iterate { prefix },
        68..74 => Op::Pages {
            prefix,
            max: rng.usize(1..=4),
        },
        74..83 => {
            // Copying onto itself needs other options in S3: always another key.
            let dst = std::iter::repeat_with(|| random_key(rng))
                .find(|k| *k != key)
                .unwrap();
            Op::Copy { src: key, dst }
        }
        83..90 => Op::DeleteMany {
            keys: (0..rng.usize(1..=4)).map(|_| random_key(rng)).collect(),
        },
        _ => Op::DownloadTo {
            key,
            dest: rng.usize(..DESTS),
        },
    }
}

/// Every key a run may use.
pub fn all_keys() -> Vec<String> {
    DIRS.iter()
        .flat_map(|d| (0..PER_DIR).map(move |n| format!("{d}{n}")))
        .collect()
}

fn random_key(rng: &mut fastrand::Rng) -> String {
    format!("{}{}", DIRS[rng.usize(..DIRS.len())], rng.usize(..PER_DIR))
}

/// Mostly a few KiB; sometimes empty; sometimes near the threshold.
fn small_len(rng: &mut fastrand::Rng) -> usize {
    match rng.u32(..20) {
        0 => 0,
        1 => rng.usize(256 << 10..=MULTIPART_THRESHOLD),
        _ => rng.usize(1..=64 << 10),
    }
}

/// The range `pick` selects on an object of `len` bytes: `(start, None)` is `start..`.
pub fn range_for(pick: u64, len: u64) -> (u64, Option<u64>) {
    if len == 0 {
        return (0, Some(1));
    }
    let start = pick % len;
    if pick >> 63 == 1 {
        return (start, None);
    }
    let span = (pick >> 32) % (len - start) + 1;
    (start, Some(start + span))
}
