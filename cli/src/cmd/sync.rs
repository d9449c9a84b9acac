//! `sync`: list both sides, copy what differs, delete extras when asked.

use crate::args::SyncArgs;
use crate::cmd::cp::{list_tree, tree_dest};
use crate::copy::{Copier, Job};
use crate::exit::{Context, Done, Outcome, Tally, output_error};
use crate::listing::{Item, Place, file_md5, local_error};
use crate::sync_plan::{self, Step};
use crate::target::{Target, shown};
use crate::ui::Ui;
use multicloud::blocking::storage::StorageDriver;
use multicloud::storage::CancelToken;
use multicloud::{Error, Result};
use std::io::Write;

/// Runs `sync`.
pub fn run(args: &SyncArgs, ui: &Ui, cancel: &CancelToken) -> Outcome {
    let options = args.transfer.store_options();
    let src = Target::parse_with(&args.src, &options).doing(|| shown(&args.src))?;
    let dst = Target::parse_with(&args.dst, &options).doing(|| shown(&args.dst))?;
    let what = || format!("sync {} to {}", src.shown(), dst.shown());
    if crate::target::nested(&src, &dst) {
        return Err(crate::cmd::cp::overlap()).doing(what);
    }
    let steps = plan(&src, &dst, args.delete, ui).doing(what)?;
    if args.dry_run {
        print_plan(&mut std::io::stdout().lock(), &steps).map_err(output_error)?;
        return Ok(Done::All);
    }
    let (copies, deletes): (Vec<_>, Vec<_>) =
        steps.into_iter().partition(|s| matches!(s, Step::Copy(..)));
    let jobs = copies
        .into_iter()
        .filter_map(|s| match s {
            Step::Copy(item, _) => Some(item),
            Step::Delete(_) => None,
        })
        .map(|item| {
            Ok(Job {
                to: tree_dest(&item.rel, &dst)?,
                item,
            })
        })
        .collect::<Result<Vec<_>>>()
        .doing(what)?;
    let copier = Copier::new((&src, &dst), &args.transfer, ui, cancel);
    let copied = if jobs.is_empty() {
        if deletes.is_empty() {
            ui.note(&format!("{} is up to date", dst.shown()));
        }
        Done::All
    } else {
        copier.run(jobs)
    };
    // Ctrl-C during the copies stops the sync there: no deletion follows.
    if cancel.is_cancelled() {
        return Ok(copied);
    }
    let deleted = delete_extras(&dst, deletes, ui, args.transfer.concurrency.into());
    Ok(worst(copied, deleted))
}

fn plan(src: &Target, dst: &Target, delete: bool, ui: &Ui) -> Result<Vec<Step>> {
    let source = list_tree(src, ui)?;
    let mut there = match dst {
        Target::Local(dir) if !dir.exists() => Vec::new(),
        _ => list_tree(dst, ui)?,
    };
    // An empty source is more often a typo, an unmounted disk or a wrong prefix than a
    // wish to empty the destination; `rm -r` says that plainly.
    if delete && source.is_empty() && !there.is_empty() {
        return Err(Error::invalid(format!(
            "{} holds nothing, so --delete would delete all {} item(s) under {}; refused \
             (rm -r empties a prefix)",
            src.shown(),
            there.len(),
            dst.shown()
        )));
    }
    let mut source = source;
    fill_local_md5s(&mut source, &mut there)?;
    Ok(sync_plan::plan(source, there, delete))
}

/// Where one side is a local file and the other states an MD5 for the same size, hash
/// the file, so equal content is recognised whatever the times say.
fn fill_local_md5s(src: &mut [Item], dst: &mut [Item]) -> Result<()> {
    let index: std::collections::HashMap<String, usize> = dst
        .iter()
        .enumerate()
        .map(|(i, d)| (d.rel.clone(), i))
        .collect();
    for s in src.iter_mut() {
        let Some(&i) = index.get(&s.rel) else {
            continue;
        };
        let d = &mut dst[i];
        if s.size != d.size || s.md5.is_some() == d.md5.is_some() {
            continue;
        }
        for side in [&mut *s, &mut *d] {
            if let (None, Place::File(path)) = (&side.md5, &side.at) {
                side.md5 = Some(file_md5(path)?);
            }
        }
    }
    Ok(())
}

fn print_plan(out: &mut impl Write, steps: &[Step]) -> std::io::Result<()> {
    for step in steps {
        match step {
            Step::Copy(item, reason) => writeln!(out, "copy {} ({reason})", item.rel),
            Step::Delete(item) => writeln!(out, "delete {}", item.rel),
        }?;
    }
    if steps.is_empty() {
        writeln!(out, "nothing to do")?;
    }
    Ok(())
}

fn delete_extras(dst: &Target, steps: Vec<Step>, ui: &Ui, concurrency: usize) -> Done {
    let mut tally = Tally::default();
    let items: Vec<Item> = steps
        .into_iter()
        .filter_map(|s| match s {
            Step::Delete(item) => Some(item),
            Step::Copy(..) => None,
        })
        .collect();
    let mut names = Vec::new();
    for item in &items {
        match &item.at {
            Place::File(path) => {
                let result = std::fs::remove_file(path).map_err(|e| local_error(e, path));
                tally.record(|| format!("delete {}", path.display()), &result);
            }
            Place::Object { name, .. } => names.push(name.clone()),
        }
    }
    if let (Target::Remote(r), false) = (dst, names.is_empty()) {
        let container = r.container.clone().unwrap_or_default();
        let results = r.store.delete_many(&container, names.clone(), concurrency);
        for (name, result) in names.iter().zip(&results) {
            tally.record(|| format!("delete {}", r.url_of(&container, name)), result);
        }
    }
    if !items.is_empty() {
        ui.note(&format!("deleted {} extra item(s)", items.len()));
    }
    tally.done()
}

/// The worse of two outcomes, failures added up.
fn worst(a: Done, b: Done) -> Done {
    match (a, b) {
        (Done::All, x) | (x, Done::All) => x,
        (a, b) => {
            let ((f1, c1), (f2, c2)) = (a.failures(), b.failures());
            Done::Partly {
                failed: f1 + f2,
                cancelled: c1 || c2,
            }
        }
    }
}
