//! The one-store commands: ls, cat, stat, rm, mb, rb, presign.

use crate::args::{LsArgs, PresignArgs, RbArgs, RmArgs, StatArgs, UrlArg};
use crate::exit::{Context, Done, Outcome, Tally, output_error};
use crate::format;
use crate::names;
use crate::target::{Remote, Target, shown};
use crate::ui::Ui;
use multicloud::blocking::storage::{Entry, StorageDriver};
use multicloud::storage::{Container, Object};
use serde::Serialize;
use std::io::Write;

/// `ls`: containers, objects, or one level of entries.
pub fn ls(args: &LsArgs) -> Outcome {
    let remote = Target::remote(&args.url).doing(|| shown(&args.url))?;
    let mut out = std::io::stdout().lock();
    let Some(container) = remote.container.clone() else {
        let containers = remote
            .store
            .list_containers()
            .doing(|| format!("list {}", remote.shown))?;
        for c in &containers {
            write_container(&mut out, c, args).map_err(output_error)?;
        }
        return Ok(Done::All);
    };
    let what = || format!("list {}", remote.shown);
    let mut totals = (0u64, 0u64);
    let mut write_object = |out: &mut std::io::StdoutLock<'_>, o: &Object| {
        totals = (totals.0 + 1, totals.1 + o.size);
        write_object(out, o, args)
    };
    match &args.delimiter {
        None => {
            for object in remote.store.iterate_objects(&container, &remote.key) {
                let object = object.doing(what)?;
                write_object(&mut out, &object).map_err(output_error)?;
            }
        }
        Some(delimiter) => {
            for entry in remote
                .store
                .iterate_entries(&container, &remote.key, delimiter)
            {
                match entry.doing(what)? {
                    Entry::Object(object) => write_object(&mut out, &object),
                    Entry::Prefix(prefix) => write_prefix(&mut out, &prefix, args),
                }
                .map_err(output_error)?;
            }
        }
    }
    if args.summarize {
        write_summary(&mut out, totals, args).map_err(output_error)?;
    }
    Ok(Done::All)
}

/// `--summarize`: how many objects were listed and their total size.
fn write_summary(
    out: &mut impl Write,
    (count, bytes): (u64, u64),
    args: &LsArgs,
) -> std::io::Result<()> {
    if args.json {
        let json = serde_json::json!({ "type": "summary", "objects": count, "bytes": bytes });
        return format::json_line(out, &json);
    }
    writeln!(
        out,
        "\nTotal objects: {count}\n   Total size: {}",
        format::size(bytes, args.bytes)
    )
}

#[derive(Serialize)]
struct ObjectJson<'a> {
    r#type: &'static str,
    name: &'a str,
    size: Option<u64>,
    hash: Option<&'a str>,
    md5: Option<&'a str>,
    content_type: Option<&'a str>,
    last_modified: Option<String>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    metadata: std::collections::BTreeMap<String, String>,
}

fn object_json(o: &Object) -> ObjectJson<'_> {
    ObjectJson {
        r#type: "object",
        name: &o.name,
        size: Some(o.size),
        hash: o.hash.as_deref(),
        md5: o.md5(),
        content_type: o.content_type.as_deref(),
        last_modified: o.last_modified.map(|t| format::when(Some(t))),
        metadata: o.metadata.clone(),
    }
}

fn write_object(out: &mut impl Write, o: &Object, args: &LsArgs) -> std::io::Result<()> {
    if args.json {
        return format::json_line(out, &object_json(o));
    }
    let size = format::size(o.size, args.bytes);
    if args.long {
        let (when, hash) = (
            format::when(o.last_modified),
            o.hash.as_deref().unwrap_or("-"),
        );
        let name = format::listed(&o.name);
        return writeln!(out, "obj  {when:<20}  {size:>10}  {hash:<34}  {name}");
    }
    writeln!(out, "{size:>10}  {}", format::listed(&o.name))
}

fn write_prefix(out: &mut impl Write, prefix: &str, args: &LsArgs) -> std::io::Result<()> {
    if args.json {
        let json = serde_json::json!({ "type": "prefix", "name": prefix });
        return format::json_line(out, &json);
    }
    if args.long {
        let prefix = format::listed(prefix);
        return writeln!(out, "dir  {:<20}  {:>10}  {:<34}  {prefix}", "-", "-", "-");
    }
    writeln!(out, "{:>10}  {}", "DIR", format::listed(prefix))
}

fn write_container(out: &mut impl Write, c: &Container, args: &LsArgs) -> std::io::Result<()> {
    if args.json {
        let json = serde_json::json!({ "type": "container", "name": c.name,
            "created": c.created.map(|t| format::when(Some(t))) });
        return format::json_line(out, &json);
    }
    if args.long {
        return writeln!(out, "{:<20}  {}", format::when(c.created), c.name);
    }
    writeln!(out, "{}", c.name)
}

/// `cat`: the object's bytes on standard output, checked against its size and hash.
pub fn cat(args: &UrlArg) -> Outcome {
    let remote = Target::remote(&args.url).doing(|| shown(&args.url))?;
    let opts = multicloud::blocking::storage::DownloadOptions::new();
    super::stdio::to_stdout(&remote, opts).doing(|| format!("read {}", remote.shown))
}

/// `stat`: one object's metadata.
pub fn stat(args: &StatArgs) -> Outcome {
    let remote = Target::remote(&args.url).doing(|| shown(&args.url))?;
    let (container, name) = remote.object().doing(|| shown(&args.url))?;
    let o = remote
        .store
        .get_object(container, name)
        .doing(|| format!("stat {}", remote.shown))?;
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        format::json_line(&mut out, &object_json(&o))
    } else {
        write_stat(&mut out, &o)
    };
    written.map_err(output_error)?;
    Ok(Done::All)
}

fn write_stat(out: &mut impl Write, o: &Object) -> std::io::Result<()> {
    let dash = |s: Option<&str>| s.unwrap_or("-").to_owned();
    let mut rows = vec![
        vec!["name:".into(), format::listed(&o.name).into_owned()],
        vec![
            "size:".into(),
            format!("{} ({})", o.size, format::size(o.size, false)),
        ],
        vec!["hash:".into(), dash(o.hash.as_deref())],
        vec!["md5:".into(), dash(o.md5())],
        vec!["content type:".into(), dash(o.content_type.as_deref())],
        vec!["last modified:".into(), format::when(o.last_modified)],
    ];
    rows.extend(
        o.metadata
            .iter()
            .map(|(k, v)| vec![format!("metadata {k}:"), v.clone()]),
    );
    format::table(out, &rows)
}

/// `rm`: one object (which must exist), or everything under a prefix.
pub fn rm(args: &RmArgs, ui: &Ui) -> Outcome {
    let remote = Target::remote(&args.url).doing(|| shown(&args.url))?;
    if !args.recursive {
        let (container, name) = remote.object().doing(|| shown(&args.url))?;
        let what = || format!("delete {}", remote.shown);
        remote.store.get_object(container, name).doing(what)?;
        remote.store.delete_object(container, name).doing(what)?;
        ui.note(&format!("deleted {}", remote.shown));
        return Ok(Done::All);
    }
    let container = remote.container().doing(|| shown(&args.url))?.to_owned();
    let prefix = names::as_directory(&remote.key);
    let what = || format!("list {}", remote.shown);
    let found = names_under(&remote, &container, &prefix).doing(what)?;
    Ok(delete_all(
        &remote,
        &container,
        found,
        args.concurrency.into(),
        ui,
    ))
}

/// The names of every object under `prefix`, the whole listing or an error.
fn names_under(remote: &Remote, container: &str, prefix: &str) -> multicloud::Result<Vec<String>> {
    let objects = remote.store.iterate_objects(container, prefix);
    objects.map(|o| o.map(|o| o.name)).collect()
}

fn delete_all(remote: &Remote, container: &str, names: Vec<String>, limit: usize, ui: &Ui) -> Done {
    let results = remote.store.delete_many(container, names.clone(), limit);
    let mut tally = Tally::default();
    for (name, result) in names.iter().zip(&results) {
        tally.record(
            || format!("delete {}", remote.url_of(container, name)),
            result,
        );
        if result.is_ok() {
            ui.item_done(name, || {
                format!("deleted {}", remote.url_of(container, name))
            });
        }
    }
    ui.finish_counting("deleted", false);
    tally.done()
}

/// `mb`: make a container.
pub fn mb(args: &UrlArg) -> Outcome {
    let remote = Target::remote(&args.url).doing(|| shown(&args.url))?;
    let container = remote.container().doing(|| shown(&args.url))?;
    remote
        .store
        .create_container(container)
        .doing(|| format!("make {}", remote.shown))?;
    Ok(Done::All)
}

/// `rb`: remove a container, emptied first with `--force`.
pub fn rb(args: &RbArgs, ui: &Ui) -> Outcome {
    let remote = Target::remote(&args.url).doing(|| shown(&args.url))?;
    let container = remote.container().doing(|| shown(&args.url))?.to_owned();
    let what = || format!("remove {}", remote.shown);
    if args.force {
        let names = names_under(&remote, &container, "").doing(what)?;
        let emptied = delete_all(&remote, &container, names, 16, ui);
        if emptied != Done::All {
            return Ok(emptied);
        }
    }
    match remote.store.delete_container(&container) {
        Err(e) if e.kind() == multicloud::ErrorKind::NotEmpty && !args.force => {
            Err(e).doing(|| format!("{} (--force deletes its objects first)", what()))
        }
        other => other.doing(what),
    }?;
    Ok(Done::All)
}

/// `presign`: a URL for anyone to GET (or PUT) the object until it expires.
pub fn presign(args: &PresignArgs) -> Outcome {
    let remote = Target::remote(&args.url).doing(|| shown(&args.url))?;
    let (container, name) = remote.object().doing(|| shown(&args.url))?;
    let what = || format!("presign {}", remote.shown);
    let url = if args.put {
        remote.store.presign_put(container, name, args.expires)
    } else {
        remote.store.presign_get(container, name, args.expires)
    }
    .doing(what)?;
    writeln!(std::io::stdout(), "{url}").map_err(output_error)?;
    Ok(Done::All)
}
