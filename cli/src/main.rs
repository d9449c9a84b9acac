//! `multicloud`: the command line of the multicloud library, on its blocking mode (no async
//! runtime in this binary). `multicloud --help` lists the commands; the README has a
//! manual.

/// `eprintln!` that never panics: a standard error whose reader is gone (`2>&1 | head`)
/// must not kill a transfer midway, as `eprintln!` would by panicking. The line is shown
/// [`printable`](exit::printable).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!($($arg)*);
        let _ = writeln!(std::io::stderr().lock(), "{}", crate::exit::printable(&line));
    }};
}

mod args;
mod cancel;
mod cmd;
mod copy;
mod exit;
mod format;
mod listing;
mod names;
mod sync_plan;
mod target;
mod ui;

use args::{Cli, Command, NodesCommand, RecordsCommand, ZoneCommand, ZonesCommand};
use clap::CommandFactory;
use exit::{Done, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::parse();
    logging(cli.global.verbose);
    let ui = ui::Ui::new(&cli.global);
    let cancel = cancel::install();
    exit::finish(run(cli.command, &ui, &cancel))
}

fn run(command: Command, ui: &ui::Ui, cancel: &multicloud::storage::CancelToken) -> Outcome {
    use cmd::{cloud, cp, store, sync};
    match command {
        Command::Ls(a) => store::ls(&a),
        Command::Cat(a) => store::cat(&a),
        Command::Stat(a) => store::stat(&a),
        Command::Cp(a) => cp::run(&a, ui, cancel, false),
        Command::Mv(a) => cp::run(&a, ui, cancel, true),
        Command::Rm(a) => store::rm(&a, ui),
        Command::Mb(a) => store::mb(&a),
        Command::Rb(a) => store::rb(&a, ui),
        Command::Sync(a) => sync::run(&a, ui, cancel),
        Command::Presign(a) => store::presign(&a),
        Command::Nodes(NodesCommand::Ls { urls, json }) => cloud::nodes_ls(&urls, json),
        Command::Zones(ZonesCommand::Ls { url, json }) => cloud::zones_ls(&url, json),
        Command::Records(RecordsCommand::Ls { url, zone, json }) => {
            cloud::records_ls(&url, &zone, json)
        }
        Command::Zone(ZoneCommand::Export { url, zone, output }) => {
            cloud::zone_export(&url, &zone, output.as_deref())
        }
        Command::Zone(ZoneCommand::Import { url, domain, file }) => {
            cloud::zone_import(&url, &domain, &file)
        }
        Command::Completions { shell } => completions(shell),
    }
}

/// Prints a shell's completion script. It is written whole from memory: clap_complete
/// panics on a write error, and a reader that stopped reading (`| head`) is none of ours.
fn completions(shell: clap_complete::Shell) -> Outcome {
    use std::io::Write;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "multicloud", &mut script);
    std::io::stdout()
        .write_all(&script)
        .map_err(exit::output_error)?;
    Ok(Done::All)
}

/// `-v` logs the library's requests, `-vv` everything, to standard error; `RUST_LOG`
/// overrides both.
fn logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "multicloud=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // The library's requests are spans (method, host, path, status), not events: a line
    // at each one's close is what shows them.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        // Its own report of a failed write is an eprintln!, which would panic likewise.
        .log_internal_errors(false)
        .init();
}
