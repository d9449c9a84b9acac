//! How things are written for people: sizes, times, tables, and JSON lines.

use serde::Serialize;
use std::io::Write;
use std::time::SystemTime;
use time::format_description::well_known::Rfc3339;

/// A size for people (`1.5 MiB`), or in bytes when `exact`.
pub fn size(bytes: u64, exact: bool) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if exact {
        return bytes.to_string();
    }
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A time as RFC 3339 in UTC, or `-` when unknown.
pub fn when(t: Option<SystemTime>) -> String {
    t.and_then(|t| time::OffsetDateTime::from(t).format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_owned())
}

/// A name as a text listing shows it: as it is when standard output is a file or a pipe
/// (it is data), with control characters escaped on a terminal, where they would move
/// the cursor or set the title (as GNU ls does).
pub fn listed(name: &str) -> std::borrow::Cow<'_, str> {
    static TERMINAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let terminal = *TERMINAL.get_or_init(|| std::io::IsTerminal::is_terminal(&std::io::stdout()));
    if terminal {
        crate::exit::printable(name)
    } else {
        name.into()
    }
}

/// Writes rows as columns padded to their widest cell, the last left unpadded.
pub fn table(out: &mut impl Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let last = row.len().saturating_sub(1);
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        writeln!(out, "{}", cells.join("  "))?;
    }
    Ok(())
}

/// Writes one value as one line of JSON.
pub fn json_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_expect() {
        assert_eq!(size(0, false), "0 B");
        assert_eq!(size(1023, false), "1023 B");
        assert_eq!(size(1536, false), "1.5 KiB");
        assert_eq!(size(5 << 30, false), "5.0 GiB");
        assert_eq!(size(1536, true), "1536");
    }

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["a".into(), "bb".into()],
            vec!["ccc".into(), "d".into()],
        ];
        table(&mut out, &rows).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a    bb\nccc  d\n");
    }

    #[test]
    fn times_are_rfc3339_or_a_dash() {
        assert_eq!(when(None), "-");
        assert_eq!(when(Some(SystemTime::UNIX_EPOCH)), "1970-01-01T00:00:00Z");
    }
}
