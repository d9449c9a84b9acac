//! `cp - URL` uploads standard input; `cp URL -` writes the object to standard output,
//! so the tool sits in pipelines (`tar c dir | multicloud cp - s3://b/dir.tar`).

use crate::args::CopyArgs;
use crate::exit::{Context, Done, Outcome, is_broken_pipe};
use crate::target::{Remote, Target, shown};
use crate::ui::Ui;
use multicloud::Error;
use multicloud::blocking::storage::{DownloadOptions, StorageDriver, UploadOptions};
use multicloud::storage::CancelToken;

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
    let mut opts = UploadOptions::new().progress(ui.observer()).cancel(cancel);
    opts.content_type = args.transfer.content_type.clone();
    if opts.content_type.is_none() {
        opts.content_type = mime_guess::from_path(name).first_raw().map(str::to_owned);
    }
    opts.metadata.extend(args.transfer.metadata.iter().cloned());
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
    let (container, name) = remote.object()?;
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let opts = DownloadOptions::new()
        .progress(ui.observer())
        .cancel(cancel);
    match remote
        .store
        .download_to_writer_with(container, name, out, opts)
    {
        Err(e) if is_broken_pipe(&e) => Ok(Done::All),
        other => other.map(|_| Done::All),
    }
}
