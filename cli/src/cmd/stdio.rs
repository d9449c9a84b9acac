//! `cp - URL` uploads standard input; `cp URL -` writes the object to standard output,
//! so the tool sits in pipelines (`tar c dir | multicloud cp - s3://b/dir.tar`).

use crate::args::CopyArgs;
use crate::copy::{Guess, upload_options};
use crate::exit::{Context, Done, Outcome, is_broken_pipe};
use crate::target::{Remote, Target, shown};
use crate::ui::Ui;
use multicloud::Error;
use multicloud::blocking::storage::{DownloadOptions, StorageDriver};
use multicloud::storage::CancelToken;
use std::path::Path;

/// The outcome when SRC or DST is `-`, or `None` when neither is.
pub fn piped(args: &CopyArgs, ui: &Ui, cancel: &CancelToken, move_source: bool) -> Option<Outcome> {
    let (from_stdin, to_stdout) = (args.src == "-", args.dst == "-");
    if !from_stdin && !to_stdout {
        return None;
    }
    let what = || format!("copy {} to {}", shown(&args.src), shown(&args.dst));
    if move_source || args.recursive || (from_stdin && to_stdout) {
        let why = "`-` (standard input or output) takes one object, with cp and no -r";
        return Some(Err(Error::invalid(why)).doing(what));
    }
    let other = if from_stdin { &args.dst } else { &args.src };
    let remote = match Target::remote_with(other, &args.transfer.store_options()) {
        Ok(r) => r,
        Err(e) => return Some(Err(e).doing(what)),
    };
    let _guard = crate::cancel::Transferring::start();
    Some(match from_stdin {
        true => upload_stdin(&remote, args, ui, cancel).doing(what),
        false => download_stdout(&remote, ui, cancel).doing(what),
    })
}

fn upload_stdin(
    remote: &Remote,
    args: &CopyArgs,
    ui: &Ui,
    cancel: &CancelToken,
) -> multicloud::Result<Done> {
    let (container, name) = remote.object()?;
    let opts = upload_options(&args.transfer, ui, cancel, Guess::Name(Path::new(name)));
    ui.start(1, None);
    let object = remote
        .store
        .upload_reader(container, name, std::io::stdin(), &opts)?;
    ui.item_done(name, || {
        format!("copy - to {} ({} B)", remote.shown, object.size)
    });
    ui.finish("copied");
    Ok(Done::All)
}

fn download_stdout(remote: &Remote, ui: &Ui, cancel: &CancelToken) -> multicloud::Result<Done> {
    let opts = DownloadOptions::new()
        .progress(ui.observer())
        .cancel(cancel);
    to_stdout(remote, opts)
}

/// Writes the object a URL names to standard output, checked against its size and hash;
/// a reader that stops reading (`| head`) ends it quietly.
pub fn to_stdout(remote: &Remote, opts: DownloadOptions) -> multicloud::Result<Done> {
    let (container, name) = remote.object()?;
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    match remote
        .store
        .download_to_writer_with(container, name, out, opts)
    {
        Err(e) if is_broken_pipe(&e) => Ok(Done::All),
        other => other.map(|_| Done::All),
    }
}
