//! Runs copies: file to store, store to file, store to store (server side when both ends
//! are one store), file to file; a bounded number at once, each reported as it ends.

use crate::args::TransferArgs;
use crate::exit::{Done, Tally};
use crate::format;
use crate::listing::{Item, Place, local_error};
use crate::target::{Remote, Target};
use crate::ui::Ui;
use multicloud::blocking::run_bounded;
use multicloud::blocking::storage::{AnyStorage, DownloadOptions, StorageDriver, UploadOptions};
use multicloud::storage::{CancelToken, Object, verify_copy};
use multicloud::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where one copy goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// A local file.
    File(PathBuf),
    /// An object.
    Object {
        /// Its container.
        container: String,
        /// Its name.
        name: String,
    },
    /// No file: the object's name would leave the destination directory or cannot be a
    /// file name. Copying it fails; the other items are still copied.
    Refused {
        /// The destination directory.
        dir: PathBuf,
        /// Why, naming the object.
        why: String,
    },
}

/// One copy to make.
#[derive(Debug, Clone)]
pub struct Job {
    /// What to copy.
    pub item: Item,
    /// Where to.
    pub to: Dest,
}

/// What every copy of one command shares.
pub struct Copier<'a> {
    /// The source's store, when it is not local.
    pub src: Option<&'a Remote>,
    /// The destination's store, when it is not local.
    pub dst: Option<&'a Remote>,
    /// The transfer flags.
    pub args: &'a TransferArgs,
    /// The display.
    pub ui: &'a Ui,
    /// Ctrl-C's token.
    pub cancel: &'a CancelToken,
    /// `mv`: delete each source once copied.
    pub move_source: bool,
}

impl<'a> Copier<'a> {
    /// A copier from `src` to `dst` (a copy, not a move).
    pub fn new(
        (src, dst): (&'a Target, &'a Target),
        args: &'a TransferArgs,
        ui: &'a Ui,
        cancel: &'a CancelToken,
    ) -> Self {
        Copier {
            src: src.as_remote(),
            dst: dst.as_remote(),
            args,
            ui,
            cancel,
            move_source: false,
        }
    }

    /// Runs every job, at most `--concurrency` at once; failures are reported as they come.
    pub fn run(&self, jobs: Vec<Job>) -> Done {
        let total = jobs.iter().map(|j| j.item.size).sum();
        self.ui.start(jobs.len(), Some(total));
        let _guard = crate::cancel::Transferring::start();
        let tally = Mutex::new(Tally::default());
        run_bounded(jobs, self.args.concurrency.into(), |job| {
            let result = self.cancel.check("copy").and_then(|()| self.one(&job));
            self.settle(&job, &result);
            let mut tally = tally
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            tally.record(|| self.describe(&job), &result);
        });
        self.ui
            .finish(match (self.cancel.is_cancelled(), self.move_source) {
                (true, _) => "interrupted after finishing",
                (false, true) => "moved",
                (false, false) => "copied",
            });
        tally
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .done()
    }

    fn settle(&self, job: &Job, result: &Result<u64>) {
        if let Ok(size) = result {
            let key = progress_key(job);
            // Server-side copies report no progress: their bytes count when they end.
            self.ui.reached(&key, *size);
            self.ui.item_done(&key, || {
                format!("{} ({})", self.describe(job), format::size(*size, false))
            });
        }
    }

    fn one(&self, job: &Job) -> Result<u64> {
        if self.onto_itself(job) {
            return Err(Error::invalid(
                "the source is its own destination (nothing to copy, and a move would delete it)",
            ));
        }
        let size = match (&job.item.at, &job.to) {
            (_, Dest::Refused { why, .. }) => Err(Error::invalid(why.clone())),
            (Place::File(path), Dest::Object { container, name }) => {
                self.upload(path, container, name)
            }
            (Place::Object { container, name }, Dest::File(path)) => {
                self.download(container, name, path)
            }
            (
                Place::Object {
                    container: c,
                    name: n,
                },
                Dest::Object { container, name },
            ) => self.between((c, n), (container, name)),
            (Place::File(from), Dest::File(to)) => copy_file(from, to),
        }?;
        if self.move_source {
            self.remove_source(&job.item.at)?;
        }
        Ok(size)
    }

    /// Whether a job would write its own source: a local copy would truncate the file,
    /// a store may accept the copy, and a move would then delete the only copy.
    fn onto_itself(&self, job: &Job) -> bool {
        match (&job.item.at, &job.to, self.src, self.dst) {
            (Place::File(from), Dest::File(to), _, _) => same_file(from, to),
            (
                Place::Object {
                    container: c,
                    name: n,
                },
                Dest::Object { container, name },
                Some(s),
                Some(d),
            ) => c == container && n == name && s.may_share_names(d),
            _ => false,
        }
    }

    fn upload(&self, path: &Path, container: &str, name: &str) -> Result<u64> {
        let store = &self.remote(self.dst)?.store;
        let opts = upload_options(self.args, self.ui, self.cancel, Guess::Name(path));
        Ok(store.upload_file(container, name, path, &opts)?.size)
    }

    fn download(&self, container: &str, name: &str, path: &Path) -> Result<u64> {
        let store = &self.remote(self.src)?.store;
        let mut opts = DownloadOptions::new()
            .overwrite(true)
            .progress(self.ui.observer())
            .cancel(self.cancel);
        // One knob for both directions: parts of a file up, ranges of an object down.
        if let Some(bytes) = self.args.part_size {
            opts = opts.range_size(bytes);
        }
        if let Some(n) = self.args.part_concurrency {
            opts = opts.range_concurrency(n.into());
        }
        let object = store.download_object(container, name, path, opts)?;
        if let Some(time) = object.last_modified {
            stamp(path, time)?;
        }
        Ok(object.size)
    }

    fn between(&self, (sc, sn): (&str, &str), (dc, dn): (&str, &str)) -> Result<u64> {
        let (src, dst) = (self.remote(self.src)?, self.remote(self.dst)?);
        let plain = self.args.content_type.is_none() && self.args.metadata.is_empty();
        if src.same_store(dst) && plain {
            return Ok(src.store.copy_object(sc, sn, dc, dn)?.size);
        }
        Ok(
            streamed(&src.store, (sc, sn), &dst.store, (dc, dn), |source| {
                upload_options(self.args, self.ui, self.cancel, Guess::Source(source))
            })?
            .size,
        )
    }

    fn remove_source(&self, at: &Place) -> Result<()> {
        match at {
            Place::File(path) => std::fs::remove_file(path).map_err(|e| local_error(e, path)),
            Place::Object { container, name } => {
                self.remote(self.src)?.store.delete_object(container, name)
            }
        }
    }

    fn remote<'r>(&self, side: Option<&'r Remote>) -> Result<&'r Remote> {
        side.ok_or_else(|| Error::invalid("internal: a store side without a store"))
    }

    /// `copy ./a to s3://b/a`, as messages name a job.
    pub fn describe(&self, job: &Job) -> String {
        let from = match &job.item.at {
            Place::File(p) => p.display().to_string(),
            Place::Object { container, name } => self.url(self.src, container, name),
        };
        let to = match &job.to {
            Dest::File(p) | Dest::Refused { dir: p, .. } => p.display().to_string(),
            Dest::Object { container, name } => self.url(self.dst, container, name),
        };
        let verb = if self.move_source { "move" } else { "copy" };
        format!("{verb} {from} to {to}")
    }

    fn url(&self, side: Option<&Remote>, container: &str, name: &str) -> String {
        side.map_or_else(
            || format!("{container}/{name}"),
            |r| r.url_of(container, name),
        )
    }
}

/// Where an upload's content type and metadata come from when the flags do not say.
pub enum Guess<'a> {
    /// The extension of this name or path.
    Name(&'a Path),
    /// The object copied (its type, and its metadata under the flags').
    Source(&'a Object),
}

/// Options for an upload: progress, Ctrl-C's token, and the flags' content type and
/// metadata over what `guess` gives.
pub fn upload_options(
    args: &TransferArgs,
    ui: &Ui,
    cancel: &CancelToken,
    guess: Guess<'_>,
) -> UploadOptions {
    let mut opts = UploadOptions::new().progress(ui.observer()).cancel(cancel);
    let (guessed, metadata) = match guess {
        Guess::Name(path) => (
            mime_guess::from_path(path).first_raw().map(str::to_owned),
            None,
        ),
        Guess::Source(o) => (o.content_type.clone(), Some(o.metadata.clone())),
    };
    opts.content_type = args.content_type.clone().or(guessed);
    opts.metadata = metadata.unwrap_or_default();
    opts.metadata.extend(args.metadata.iter().cloned());
    opts
}

/// The name progress reports carry for a job: the object's name on the store side.
fn progress_key(job: &Job) -> String {
    match (&job.item.at, &job.to) {
        (_, Dest::Object { name, .. }) => name.clone(),
        (Place::Object { name, .. }, _) => name.clone(),
        (Place::File(p), _) => p.display().to_string(),
    }
}

/// Copies between two stores through this process, in bounded memory; the copy must match
/// the source's size (and MD5 where both state one).
fn streamed(
    src: &AnyStorage,
    (sc, sn): (&str, &str),
    dst: &AnyStorage,
    (dc, dn): (&str, &str),
    options: impl FnOnce(&Object) -> UploadOptions,
) -> Result<Object> {
    let (source, reader) = src.open_object(sc, sn)?;
    let copied = dst.upload_reader(dc, dn, reader, &options(&source))?;
    verify_copy(&source, &copied)?;
    Ok(copied)
}

/// Whether two paths reach one file (through links, `./` or, on Unix, hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Gives a downloaded file the object's last-modified time (as `aws s3` does), so a sync
/// back the other way sees nothing newer when no MD5 can decide.
fn stamp(path: &Path, time: std::time::SystemTime) -> Result<()> {
    if path.is_dir() {
        return Ok(()); // A folder marker became a directory.
    }
    let file = std::fs::File::options().write(true).open(path);
    file.and_then(|f| f.set_modified(time))
        .map_err(|e| local_error(e, path))
}

fn copy_file(from: &Path, to: &Path) -> Result<u64> {
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| local_error(e, parent))?;
    }
    std::fs::copy(from, to).map_err(|e| local_error(e, to))
}
