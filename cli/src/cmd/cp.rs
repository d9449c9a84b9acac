//! `cp` and `mv`: what to copy where, then the copier does it.

use crate::args::CopyArgs;
use crate::copy::{Copier, Dest, Job};
use crate::exit::{Context, Done, Outcome};
use crate::listing::{self, Item, Place, local_error};
use crate::names;
use crate::target::{Target, shown};
use crate::ui::Ui;
use multicloud::blocking::storage::StorageDriver;
use multicloud::storage::CancelToken;
use multicloud::{Error, Result};
use std::path::{Path, PathBuf};

/// Runs `cp` (or `mv` when `move_source`).
pub fn run(args: &CopyArgs, ui: &Ui, cancel: &CancelToken, move_source: bool) -> Outcome {
    if let Some(outcome) = super::stdio::piped(args, ui, cancel, move_source) {
        return outcome;
    }
    let options = args.transfer.store_options();
    let src = Target::parse_with(&args.src, &options).doing(|| shown(&args.src))?;
    let dst = Target::parse_with(&args.dst, &options).doing(|| shown(&args.dst))?;
    let what = || format!("{} {} to {}", verb(move_source), src.shown(), dst.shown());
    if args.recursive && crate::target::nested(&src, &dst) {
        return Err(overlap()).doing(what);
    }
    let jobs = plan(&src, &dst, args.recursive, ui).doing(what)?;
    if jobs.is_empty() {
        ui.warn(&format!("nothing to copy under {}", src.shown()));
        return Ok(Done::All);
    }
    let mut copier = Copier::new((&src, &dst), &args.transfer, ui, cancel);
    copier.move_source = move_source;
    Ok(copier.run(jobs))
}

/// Why a tree is not copied, moved or synced into itself (nor out of its own parent).
pub fn overlap() -> Error {
    Error::invalid(
        "the source and the destination overlap (one is inside the other): the copy would \
         read what it writes; choose a destination outside the source",
    )
}

fn verb(move_source: bool) -> &'static str {
    if move_source { "move" } else { "copy" }
}

fn plan(src: &Target, dst: &Target, recursive: bool, ui: &Ui) -> Result<Vec<Job>> {
    if recursive {
        let items = list_tree(src, ui)?;
        return items.into_iter().map(|i| tree_job(i, dst)).collect();
    }
    let item = single_item(src)?;
    Ok(vec![single_job(item, dst)?])
}

/// Everything under a directory or prefix, named relative to it; local entries that are
/// not files are reported as skipped.
pub fn list_tree(t: &Target, ui: &Ui) -> Result<Vec<Item>> {
    match t {
        Target::Local(dir) if dir.is_dir() => {
            let (items, skipped) = listing::local(dir)?;
            for (path, why) in skipped {
                ui.warn(&format!("skipped {}: {why}", path.display()));
            }
            Ok(items)
        }
        Target::Local(dir) => Err(Error::invalid(format!(
            "{} is not a directory (copy a single file without -r)",
            dir.display()
        ))),
        Target::Remote(r) => {
            let prefix = names::as_directory(&r.key);
            listing::remote(r, r.container()?, &prefix)
        }
    }
}

/// Where the item named `item.rel` goes under a destination directory or prefix.
pub fn tree_dest(rel: &str, dst: &Target) -> Result<Dest> {
    Ok(match dst {
        // A name no file can carry fails its item alone, not the whole command.
        Target::Local(dir) => match names::local_path(dir, rel) {
            Ok(path) => Dest::File(path),
            Err(e) => Dest::Refused {
                dir: dir.clone(),
                why: e.message().to_owned(),
            },
        },
        Target::Remote(r) => Dest::Object {
            container: r.container()?.to_owned(),
            name: names::join_key(&r.key, rel),
        },
    })
}

fn tree_job(item: Item, dst: &Target) -> Result<Job> {
    let to = tree_dest(&item.rel, dst)?;
    Ok(Job { item, to })
}

fn single_item(src: &Target) -> Result<Item> {
    match src {
        Target::Local(path) => local_file(path),
        Target::Remote(r) => {
            let (container, name) = r.object()?;
            let object = r.store.get_object(container, name)?;
            Ok(Item {
                rel: names::base_name(name).to_owned(),
                size: object.size,
                md5: None,
                modified: object.last_modified,
                at: Place::Object {
                    container: container.to_owned(),
                    name: object.name,
                },
            })
        }
    }
}

fn local_file(path: &Path) -> Result<Item> {
    let meta = std::fs::metadata(path).map_err(|e| local_error(e, path))?;
    if meta.is_dir() {
        let shown = path.display();
        return Err(Error::invalid(format!(
            "{shown} is a directory (use -r to copy a tree)"
        )));
    }
    let base = path.file_name().and_then(|n| n.to_str());
    let base =
        base.ok_or_else(|| Error::invalid(format!("{} has no UTF-8 file name", path.display())))?;
    Ok(Item {
        rel: base.to_owned(),
        size: meta.len(),
        md5: None,
        modified: meta.modified().ok(),
        at: Place::File(path.to_path_buf()),
    })
}

fn single_job(item: Item, dst: &Target) -> Result<Job> {
    let to = match dst {
        Target::Local(path) => Dest::File(local_dest(path, &item.rel)?),
        Target::Remote(r) => Dest::Object {
            container: r.container()?.to_owned(),
            name: names::single_key(&r.key, &item.rel),
        },
    };
    Ok(Job { item, to })
}

/// A single download goes to `path`, or into it when it is a directory (or ends in `/`).
fn local_dest(path: &Path, base: &str) -> Result<PathBuf> {
    let into = path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/');
    if into {
        names::local_path(path, base)
    } else {
        Ok(path.to_path_buf())
    }
}
