//! Progress for people: indicatif bars on a terminal (per file and total, bytes/s, ETA),
//! plain lines for logs, or nothing; fed by the library's progress observer.

use crate::args::{Global, ProgressMode};
use crate::format;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use multicloud::storage::{Progress, ProgressObserver};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// How a command shows its progress; clones share one display.
#[derive(Clone)]
pub struct Ui(Arc<Shared>);

struct Shared {
    style: Style,
    // `-q`: warnings too are left out.
    quiet: bool,
    started: Instant,
    bars: Option<Bars>,
    counts: Mutex<Counts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Bars,
    Plain,
    Silent,
}

struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    files: Mutex<HashMap<String, ProgressBar>>,
}

#[derive(Default)]
struct Counts {
    // Plain mode: when the last progress line was printed.
    printed: Option<Instant>,
    items: usize,
    total: Option<u64>,
    // Bytes seen per object in flight, so each report adds only what is new.
    seen: HashMap<String, u64>,
    bytes: u64,
    done: usize,
}

impl Ui {
    /// The display the flags and standard error call for.
    pub fn new(global: &Global) -> Ui {
        let terminal = std::io::stderr().is_terminal();
        let style = match global.progress {
            _ if global.quiet => Style::Silent,
            ProgressMode::Auto if terminal => Style::Bars,
            ProgressMode::Bars => Style::Bars,
            ProgressMode::Plain => Style::Plain,
            ProgressMode::Auto | ProgressMode::None => Style::Silent,
        };
        let mut ui = Ui::with_style(style);
        Arc::get_mut(&mut ui.0).expect("not shared yet").quiet = global.quiet;
        ui
    }

    /// No display at all.
    #[cfg(test)]
    pub fn silent() -> Ui {
        Ui::with_style(Style::Silent)
    }

    fn with_style(style: Style) -> Ui {
        Ui(Arc::new(Shared {
            style,
            quiet: false,
            started: Instant::now(),
            bars: (style == Style::Bars).then(Bars::new),
            counts: Mutex::default(),
        }))
    }

    /// Announces the work: `items` transfers of `bytes` in all (when known).
    pub fn start(&self, items: usize, bytes: Option<u64>) {
        if let Some(bars) = &self.0.bars {
            bars.total.set_length(bytes.unwrap_or(0));
            bars.total.set_message(format!("0/{items} files"));
        }
        let mut counts = self.counts();
        (counts.done, counts.items, counts.total) = (0, items, bytes);
    }

    /// The library observer feeding this display.
    pub fn observer(&self) -> impl ProgressObserver + 'static {
        let ui = self.clone();
        move |p: &Progress<'_>| ui.on_progress(p)
    }

    fn on_progress(&self, p: &Progress<'_>) {
        self.advance(p.name, p.bytes, p.total);
    }

    /// An item's bytes are all done (whatever progress reported of them before).
    pub fn reached(&self, name: &str, size: u64) {
        self.advance(name, size, Some(size));
    }

    fn advance(&self, name: &str, bytes: u64, total: Option<u64>) {
        let (added, fresh) = {
            let mut counts = self.counts();
            let fresh = !counts.seen.contains_key(name);
            let seen = counts.seen.entry(name.to_owned()).or_default();
            let added = bytes.saturating_sub(*seen);
            *seen = (*seen).max(bytes);
            counts.bytes += added;
            (added, fresh)
        };
        if let Some(bars) = &self.0.bars {
            bars.total.inc(added);
            // A file done in its first report (one request) gets no bar of its own: it
            // would flash by with a meaningless rate.
            if !(fresh && total == Some(bytes)) {
                bars.file(name, total).set_position(bytes);
            }
        } else if self.0.style == Style::Plain {
            self.plain_progress();
        }
    }

    /// Plain mode: a line of totals at the first report, then at most every 2 s.
    fn plain_progress(&self) {
        let mut counts = self.counts();
        let due = counts.printed.is_none_or(|t| t.elapsed().as_secs() >= 2);
        if !due {
            return;
        }
        counts.printed = Some(Instant::now());
        let of = counts
            .total
            .map(|t| format!(" of {}", format::size(t, false)));
        let (done, items) = (counts.done, counts.items);
        let bytes = format::size(counts.bytes, false);
        say!(
            "progress: {bytes}{}, {done}/{items} items done",
            of.unwrap_or_default()
        );
    }

    /// One item finished (successfully): `line` is what plain mode prints.
    pub fn item_done(&self, name: &str, line: impl FnOnce() -> String) {
        let (done, items) = {
            let mut counts = self.counts();
            counts.seen.remove(name);
            counts.done += 1;
            (counts.done, counts.items)
        };
        match (&self.0.bars, self.0.style) {
            (Some(bars), _) => bars.finish_file(name, done, items),
            (None, Style::Plain) => say!("{}", line()),
            _ => {}
        }
    }

    /// A line for plain mode and bars alike (a plan, a warning).
    pub fn note(&self, line: &str) {
        match (&self.0.bars, self.0.style) {
            (Some(bars), _) => bars.multi.suspend(|| say!("{line}")),
            (None, Style::Plain) => say!("{line}"),
            _ => {}
        }
    }

    /// A warning: printed whatever the progress style, except with `-q`.
    pub fn warn(&self, line: &str) {
        if self.0.quiet {
            return;
        }
        match &self.0.bars {
            Some(bars) => bars.multi.suspend(|| say!("multicloud: {line}")),
            None => say!("multicloud: {line}"),
        }
    }

    /// Clears the bars and, unless silent, prints `verb` with what was done.
    pub fn finish(&self, verb: &str) {
        self.finish_counting(verb, true);
    }

    /// [`finish`](Self::finish), with the bytes moved or not (deletes move none).
    pub fn finish_counting(&self, verb: &str, bytes: bool) {
        if let Some(bars) = &self.0.bars {
            bars.total.finish_and_clear();
            let _ = bars.multi.clear();
        }
        if self.0.style == Style::Silent {
            return;
        }
        let counts = self.counts();
        let secs = self.0.started.elapsed().as_secs_f64();
        let moved = match bytes {
            true => format!(", {}", format::size(counts.bytes, false)),
            false => String::new(),
        };
        say!("{verb} {} item(s){moved} in {secs:.1} s", counts.done);
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.0.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Bars {
    fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "total {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("the template is valid"),
        );
        Bars {
            multi,
            total,
            files: Mutex::default(),
        }
    }

    fn file(&self, name: &str, size: Option<u64>) -> ProgressBar {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        let bar = files.entry(name.to_owned()).or_insert_with(|| {
            let bar = self.multi.insert_before(&self.total, ProgressBar::new(0));
            bar.set_style(
                ProgressStyle::with_template("{wide_msg} {bytes}/{total_bytes} {bytes_per_sec}")
                    .expect("the template is valid"),
            );
            bar.set_message(crate::exit::printable(name).into_owned());
            bar
        });
        if let Some(size) = size {
            bar.set_length(size);
        }
        bar.clone()
    }

    fn finish_file(&self, name: &str, done: usize, items: usize) {
        let removed = self
            .files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        if let Some(bar) = removed {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.total.set_message(format!("{done}/{items} files"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_each_byte_once() {
        let ui = Ui::silent();
        for bytes in [10, 10, 25] {
            ui.advance("a", bytes, Some(100));
        }
        ui.advance("b", 5, None);
        assert_eq!(ui.counts().bytes, 30);
        ui.reached("b", 7);
        ui.reached("c", 4);
        assert_eq!(ui.counts().bytes, 36, "only what progress had not reported");
        ui.item_done("a", String::new);
        assert_eq!(ui.counts().done, 1);
    }
}
