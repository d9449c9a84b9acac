//! How a command ends: exit codes and the one-line messages of failures.

use multicloud::{Error, ErrorKind};
use std::process::ExitCode;

/// A command that failed as a whole: what it was doing, and why.
#[derive(Debug)]
pub struct Failed {
    /// What failed, naming the URL or path: `upload ./a to s3://b/a`.
    pub what: String,
    /// Why.
    pub error: Error,
}

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Everything it had to do.
    All,
    /// Some items failed (each was reported as it failed); `cancelled` when Ctrl-C stopped them.
    Partly {
        /// Items that failed.
        failed: usize,
        /// Whether any failed because the user cancelled.
        cancelled: bool,
    },
    /// Its one item failed (reported as it failed): it ends as a single command does,
    /// with that error's exit code and no count of failed items.
    Failed {
        /// The exit code of the item's error.
        code: u8,
    },
    /// Every one of several items failed (each reported): exit 3 would say "the others
    /// succeeded", so it ends with the failures' common code, else 1.
    AllFailed {
        /// Items that failed.
        failed: usize,
        /// The exit code.
        code: u8,
    },
}

impl Done {
    /// Items that failed, and whether Ctrl-C stopped any.
    pub fn failures(self) -> (usize, bool) {
        match self {
            Done::All => (0, false),
            Done::Partly { failed, cancelled } => (failed, cancelled),
            Done::Failed { .. } => (1, false),
            Done::AllFailed { failed, .. } => (failed, false),
        }
    }
}

/// What every command returns.
pub type Outcome = std::result::Result<Done, Failed>;

/// Exit codes, as `--help` documents them.
pub const PARTIAL: u8 = 3;
/// An object, container, zone or node was not found.
pub const NOT_FOUND: u8 = 4;
/// Stopped by Ctrl-C.
pub const INTERRUPTED: u8 = 130;

/// Attaches what was being done to a library error.
pub trait Context<T> {
    /// `Err(e)` becomes `Failed { what, e }`.
    fn doing(self, what: impl FnOnce() -> String) -> std::result::Result<T, Failed>;
}

impl<T> Context<T> for multicloud::Result<T> {
    fn doing(self, what: impl FnOnce() -> String) -> std::result::Result<T, Failed> {
        self.map_err(|error| Failed {
            what: what(),
            error,
        })
    }
}

/// The exit code of an outcome, after printing a failure's message.
pub fn finish(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(Done::All) => ExitCode::SUCCESS,
        Ok(Done::Partly {
            cancelled: true, ..
        }) => ExitCode::from(INTERRUPTED),
        Ok(Done::Partly { failed, .. }) => {
            say!("multicloud: {failed} item(s) failed");
            ExitCode::from(PARTIAL)
        }
        Ok(Done::Failed { code }) => ExitCode::from(code),
        Ok(Done::AllFailed { failed, code }) => {
            say!("multicloud: all {failed} items failed");
            ExitCode::from(code)
        }
        // A reader that stopped reading (`| head`) is not a failure of ours.
        Err(f) if is_broken_pipe(&f.error) => ExitCode::SUCCESS,
        Err(f) => {
            report(&f.what, &f.error);
            ExitCode::from(code_of(&f.error))
        }
    }
}

/// A failure to write the command's output.
pub fn output_error(e: std::io::Error) -> Failed {
    Failed {
        what: "write to standard output".into(),
        error: Error::from(e),
    }
}

/// Whether an error comes from writing to a pipe whose reader is gone.
pub fn is_broken_pipe(error: &Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        cause = e.source();
    }
    false
}

/// Prints one failure as one line on standard error.
pub fn report(what: &str, error: &Error) {
    say!("multicloud: {what}: {error}");
}

/// A line as standard error shows it: a line break reads as a space, and other control
/// characters (in a server's message, an object's or a file's name) are escaped, so that
/// nothing splits the line or reaches the terminal as an escape sequence.
pub fn printable(line: &str) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}');
    if !line.chars().any(escaped) {
        return line.into();
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        match c {
            '\n' => out.push(' '),
            c if escaped(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.into()
}

fn code_of(error: &Error) -> u8 {
    match error.kind() {
        ErrorKind::NotFound => NOT_FOUND,
        ErrorKind::Cancelled => INTERRUPTED,
        _ => 1,
    }
}

/// Counts the failures of a many-item command, reporting each as it is seen.
#[derive(Debug, Default)]
pub struct Tally {
    failed: usize,
    succeeded: usize,
    cancelled: bool,
    // The exit code of the failures when they all share one, else 1.
    code: u8,
}

impl Tally {
    /// Records one item's result; a failure is reported at once.
    pub fn record<T>(&mut self, what: impl FnOnce() -> String, result: &multicloud::Result<T>) {
        if let Err(e) = result {
            self.failed += 1;
            self.code = match (self.failed, code_of(e)) {
                (1, code) => code,
                (_, code) if code == self.code => code,
                _ => 1,
            };
            self.cancelled |= e.kind() == ErrorKind::Cancelled;
            if e.kind() != ErrorKind::Cancelled {
                report(&what(), e);
            }
        } else {
            self.succeeded += 1;
        }
    }

    /// The outcome of the whole command.
    pub fn done(self) -> Done {
        match (self.failed, self.succeeded) {
            (0, _) => Done::All,
            (1, 0) if !self.cancelled => Done::Failed { code: self.code },
            (failed, 0) if !self.cancelled => Done::AllFailed {
                failed,
                code: self.code,
            },
            (failed, _) => Done::Partly {
                failed,
                cancelled: self.cancelled,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_error_kind() {
        assert_eq!(code_of(&Error::new(ErrorKind::NotFound, "x")), NOT_FOUND);
        assert_eq!(code_of(&Error::new(ErrorKind::Cancelled, "x")), INTERRUPTED);
        assert_eq!(code_of(&Error::invalid("x")), 1);
    }

    #[test]
    fn lines_on_standard_error_carry_no_control_characters() {
        assert_eq!(printable("plain\ttext"), "plain\ttext");
        assert_eq!(printable("a\nb"), "a b");
        let hostile = printable("no\u{1b}]0;x\u{7}\r\u{2028}\u{85}end");
        assert_eq!(hostile, "no\\u{1b}]0;x\\u{7}\\r\\u{2028}\\u{85}end");
    }

    #[test]
    fn a_lone_failed_item_ends_with_its_errors_code() {
        let mut t = Tally::default();
        t.record(
            || "a".into(),
            &Err::<(), _>(Error::new(ErrorKind::NotFound, "x")),
        );
        assert_eq!(t.done(), Done::Failed { code: NOT_FOUND });
        let mut t = Tally::default();
        t.record(|| "a".into(), &Ok::<(), Error>(()));
        t.record(|| "b".into(), &Err::<(), _>(Error::invalid("y")));
        let done = t.done();
        assert_eq!(done.failures(), (1, false));
        assert!(matches!(done, Done::Partly { failed: 1, .. }));
    }

    #[test]
    fn when_every_item_fails_the_exit_code_is_theirs_not_partial() {
        let missing = || Err::<(), _>(Error::new(ErrorKind::NotFound, "x"));
        let mut t = Tally::default();
        t.record(|| "a".into(), &missing());
        t.record(|| "b".into(), &missing());
        assert_eq!(
            t.done(),
            Done::AllFailed {
                failed: 2,
                code: NOT_FOUND
            }
        );
        let mut t = Tally::default();
        t.record(|| "a".into(), &missing());
        t.record(|| "b".into(), &Err::<(), _>(Error::invalid("y")));
        assert_eq!(t.done(), Done::AllFailed { failed: 2, code: 1 });
    }

    #[test]
    fn a_tally_counts_failures_and_cancellations() {
        let mut t = Tally::default();
        t.record(|| "a".into(), &Ok::<(), Error>(()));
        assert_eq!(t.done(), Done::All);
        let mut t = Tally::default();
        t.record(
            || "a".into(),
            &Err::<(), _>(Error::new(ErrorKind::Cancelled, "x")),
        );
        t.record(|| "b".into(), &Err::<(), _>(Error::invalid("y")));
        t.record(|| "c".into(), &Ok::<(), Error>(()));
        assert_eq!(
            t.done(),
            Done::Partly {
                failed: 2,
                cancelled: true
            }
        );
    }
}
