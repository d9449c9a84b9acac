//! The command line, as clap reads it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::time::Duration;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    the operation failed (the message names the URL and the cause)
  2    bad usage (unknown flag, missing argument)
  3    some items of a many-object command failed, the others succeeded
  4    not found (object, container, zone or node)
  130  interrupted (Ctrl-C): transfers in flight were stopped and cleaned up

Locations are store URLs (s3://bucket/key, gs://bucket/key, az://container/key,
memory://bucket/key) or local paths (./dir, /abs/path, file:///abs/path). URL options
(?endpoint=..., ?region=..., ?profile=...) and the providers' usual environment
variables and profile files configure the stores, as in the library.";

const EXIT_CODES_SHORT: &str = "Exit codes: 0 success, 1 failed, 2 bad usage, 3 some items \
failed, 4 not found, 130 interrupted (see multicloud --help).";

/// Reads the command line (exiting with 2 and a message on bad usage); every subcommand's
/// help ends with the exit codes.
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let command = Cli::command().mut_subcommands(with_exit_codes);
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn with_exit_codes(c: clap::Command) -> clap::Command {
    c.after_help(EXIT_CODES_SHORT)
        .mut_subcommands(with_exit_codes)
}

/// One command line over every store, cloud and DNS provider multicloud knows.
#[derive(Debug, Parser)]
#[command(name = "multicloud", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Print nothing but errors (and what the command is for: listings, contents).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// How to show progress: bars on a terminal, plain lines for logs, or none. `auto`
    /// draws bars only when standard error is a terminal.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto, global = true)]
    pub progress: ProgressMode,
    /// Log what the library does (-v: requests, -vv: everything) to standard error.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// Bars when standard error is a terminal, nothing otherwise.
    Auto,
    /// Bars (per file and total, bytes/s, ETA).
    Bars,
    /// One line per finished item and a summary, for logs.
    Plain,
    /// Nothing.
    None,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List containers (`s3://`), or the objects under a URL.
    Ls(LsArgs),
    /// Write an object's content to standard output.
    Cat(UrlArg),
    /// Show an object's metadata.
    Stat(StatArgs),
    /// Copy files and objects: file to store, store to file, store to store.
    Cp(CopyArgs),
    /// Move: copy, then delete each source that was copied.
    Mv(CopyArgs),
    /// Delete an object, or everything under a prefix with -r.
    Rm(RmArgs),
    /// Make a container (bucket).
    Mb(UrlArg),
    /// Remove a container; --force deletes its objects first.
    Rb(RbArgs),
    /// Make DST hold what SRC holds: copy what differs, optionally delete extras.
    Sync(SyncArgs),
    /// Print a URL that lets anyone read (or with --put, write) an object for a while.
    Presign(PresignArgs),
    /// Compute: list nodes over several providers or regions at once.
    #[command(subcommand)]
    Nodes(NodesCommand),
    /// DNS: list zones.
    #[command(subcommand)]
    Zones(ZonesCommand),
    /// DNS: list a zone's records.
    #[command(subcommand)]
    Records(RecordsCommand),
    /// DNS: export a zone to a zone file, or import one.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// A single URL.
#[derive(Debug, Args)]
pub struct UrlArg {
    /// The store URL (s3://bucket/key ...).
    pub url: String,
}

/// `ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// A store URL: `s3://` lists buckets, `s3://bucket/prefix` the objects under it.
    pub url: String,
    /// List one level, as directories: split names at "/", or at the delimiter given
    /// as `--delimiter=D` (`-d` alone never takes the URL after it as its value).
    #[arg(short, long, num_args = 0..=1, require_equals = true, default_missing_value = "/")]
    pub delimiter: Option<String>,
    /// Long format: type, last modified, size, hash.
    #[arg(short, long)]
    pub long: bool,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Sizes in bytes instead of KiB, MiB...
    #[arg(long)]
    pub bytes: bool,
    /// End with the number of objects listed and their total size.
    #[arg(long)]
    pub summarize: bool,
}

/// `stat`.
#[derive(Debug, Args)]
pub struct StatArgs {
    /// The object's URL.
    pub url: String,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `cp` and `mv`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// What to copy: a file or object, or with -r a directory or prefix.
    pub src: String,
    /// Where to: a file or object name, or a directory or prefix (ending in `/`, an
    /// existing directory, or a bare container) to copy into.
    pub dst: String,
    /// Copy everything under SRC.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// What every transferring command takes.
#[derive(Debug, Args, Clone)]
pub struct TransferArgs {
    /// Transfers at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Content type of uploaded objects (default: guessed from the extension).
    #[arg(long)]
    pub content_type: Option<String>,
    /// User metadata on uploaded objects, KEY=VALUE (repeatable).
    #[arg(long = "metadata", value_parser = parse_key_value)]
    pub metadata: Vec<(String, String)>,
    /// Bytes per part of a multipart upload (S3 parts, Azure blocks, GCS chunks) and per
    /// range of a parallel download: 16MiB, 8M, 5242880... (default 8 MiB).
    #[arg(long, value_parser = parse_size)]
    pub part_size: Option<u64>,
    /// Parts of one file sent (S3, Azure) or ranges of one object fetched at once
    /// (default 4).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub part_concurrency: Option<u16>,
}

impl TransferArgs {
    /// The driver options these flags set, as storage URL options.
    pub fn store_options(&self) -> Vec<(&'static str, String)> {
        let size = self.part_size.map(|b| ("part_size", b.to_string()));
        let parts = self
            .part_concurrency
            .map(|n| ("part_concurrency", n.to_string()));
        size.into_iter().chain(parts).collect()
    }
}

/// `rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The object's URL, or with -r a prefix.
    pub url: String,
    /// Delete every object under the prefix.
    #[arg(short, long)]
    pub recursive: bool,
    /// Deletes at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// `rb`.
#[derive(Debug, Args)]
pub struct RbArgs {
    /// The container's URL.
    pub url: String,
    /// Delete every object in it first.
    #[arg(long)]
    pub force: bool,
}

/// `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The directory or prefix to copy from.
    pub src: String,
    /// The directory or prefix to copy to.
    pub dst: String,
    /// Delete what DST holds and SRC does not.
    #[arg(long)]
    pub delete: bool,
    /// Print the plan, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// `presign`.
#[derive(Debug, Args)]
pub struct PresignArgs {
    /// The object's URL.
    pub url: String,
    /// How long the URL works: 90s, 15m, 1h, 7d...
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub expires: Duration,
    /// A URL to upload (PUT) instead of download.
    #[arg(long)]
    pub put: bool,
}

/// `nodes ...`.
#[derive(Debug, Subcommand)]
pub enum NodesCommand {
    /// List the nodes of every compute URL given, at once, in one table.
    Ls {
        /// Compute URLs: ec2://us-east-1, digitalocean://, memory://...
        #[arg(required = true)]
        urls: Vec<String>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `zones ...`.
#[derive(Debug, Subcommand)]
pub enum ZonesCommand {
    /// List the zones of a DNS provider.
    Ls {
        /// A DNS URL: route53://, digitalocean://, cloudflare://...
        url: String,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `records ...`.
#[derive(Debug, Subcommand)]
pub enum RecordsCommand {
    /// List the records of a zone.
    Ls {
        /// A DNS URL.
        url: String,
        /// The zone's domain (example.com) or id.
        zone: String,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `zone ...`.
#[derive(Debug, Subcommand)]
pub enum ZoneCommand {
    /// Write a zone as a BIND zone file (to standard output, or to --output).
    Export {
        /// A DNS URL.
        url: String,
        /// The zone's domain (example.com) or id.
        zone: String,
        /// The file to write.
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
    /// Create what a zone file holds and the zone lacks (the zone too, if missing).
    Import {
        /// A DNS URL.
        url: String,
        /// The zone's domain (example.com).
        domain: String,
        /// The zone file (`-` for standard input).
        file: std::path::PathBuf,
    },
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))?;
    if k.is_empty() {
        return Err(format!("{s:?} has an empty key"));
    }
    Ok((k.to_owned(), v.to_owned()))
}

/// A size in bytes, with an optional binary unit: `512K`, `16MiB`, `1G`, `5242880`.
fn parse_size(s: &str) -> Result<u64, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let shift = match s[digits.len()..].to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        unit => return Err(format!("{s:?}: unknown unit {unit:?} (try 8MiB, 512K, 1G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 8MiB)"))?;
    n.checked_mul(1 << shift)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("{s:?} is not a size above 0"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e} (try 90s, 15m, 1h, 7d)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn metadata_needs_a_key() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }

    #[test]
    fn sizes_read_with_binary_units() {
        assert_eq!(parse_size("16MiB").unwrap(), 16 << 20);
        assert_eq!(parse_size("512k").unwrap(), 512 << 10);
        assert_eq!(parse_size("5242880").unwrap(), 5 << 20);
        for bad in ["0", "8MB", "-1M", "M", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("soon").is_err());
    }
}
