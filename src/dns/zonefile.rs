//! Zone files in BIND's master-file format (RFC 1035 §5): [`export`] writes a zone's
//! records, [`import`] reads them back as [`NewRecord`]s ready to create anywhere.
//!
//! Import understands `$ORIGIN`, `$TTL`, `@`, relative and absolute owners, a blank owner
//! (the previous line's), TTL and class (`IN`) in either order, `;` comments outside quotes
//! and parentheses spanning lines; `$INCLUDE` and `$GENERATE` are refused (`InvalidInput`
//! naming the line), as is a record outside the origin.
//!
//! ```
//! use multicloud::dns::{NewRecord, RecordData, zonefile};
//!
//! let text = "$ORIGIN example.com.\n$TTL 300\n@ IN MX 10 mail\nwww 60 IN A 192.0.2.1\n";
//! let records = zonefile::import(text, "example.com")?;
//! assert_eq!(records[0].data, RecordData::Mx { priority: 10, exchange: "mail.example.com".into() });
//! assert_eq!((records[1].name.as_str(), records[1].ttl), ("www", Some(60)));
//! # Ok::<(), multicloud::Error>(())
//! ```

use super::presentation::{dotted, from_tokens, to_text, tokens};
use super::{NewRecord, Record, RecordType, names};
use crate::error::{Error, Result};

/// The TTL written for records that state none.
pub const DEFAULT_TTL: u32 = 3600;

/// The zone file of `domain` holding `records`, SOA first, then by name and type.
pub fn export(domain: &str, records: &[Record]) -> String {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| {
        (
            r.record_type() != RecordType::Soa,
            r.name.clone(),
            r.record_type(),
        )
    });
    let mut out = format!("$ORIGIN {}\n$TTL {DEFAULT_TTL}\n", dotted(domain));
    for r in sorted {
        let owner = if r.name.is_empty() {
            "@"
        } else {
            r.name.as_str()
        };
        let ttl = r.ttl.unwrap_or(DEFAULT_TTL);
        let line = format!(
            "{owner}\t{ttl}\tIN\t{}\t{}\n",
            r.record_type(),
            to_text(&r.data)
        );
        out.push_str(&line);
    }
    out
}

/// The records of a zone file whose origin is `domain` (unless `$ORIGIN` says otherwise);
/// names come back relative to `domain`. `InvalidInput` naming the line for anything it
/// cannot read.
pub fn import(text: &str, domain: &str) -> Result<Vec<NewRecord>> {
    let zone = names::domain(domain)?;
    let mut state = State {
        origin: zone.clone(),
        ttl: None,
        owner: None,
    };
    let mut out = Vec::new();
    for (number, line) in logical_lines(text)? {
        let at = |e: Error| Error::invalid(format!("zone file line {number}: {}", e.message()));
        if let Some(r) = state.line(&line, &zone).map_err(at)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Where the reader is: the origin, the `$TTL`, the last owner.
struct State {
    origin: String,
    ttl: Option<u32>,
    owner: Option<String>,
}

impl State {
    /// One logical line: a directive (`None`) or a record.
    fn line(&mut self, line: &Line, zone: &str) -> Result<Option<NewRecord>> {
        let Some(first) = line.tokens.first() else {
            return Ok(None);
        };
        if first.starts_with('$') && !line.indented {
            self.directive(&line.tokens)?;
            return Ok(None);
        }
        self.record(line, zone).map(Some)
    }

    fn directive(&mut self, t: &[String]) -> Result<()> {
        match (t[0].to_ascii_uppercase().as_str(), t.get(1)) {
            ("$ORIGIN", Some(o)) => self.origin = names::target(&self.name(o)?)?,
            ("$TTL", Some(v)) => self.ttl = Some(ttl(v)?),
            (d, _) => {
                return Err(Error::invalid(format!(
                    "directive {d:.20} is not supported"
                )));
            }
        }
        Ok(())
    }

    /// `[owner] [ttl] [class] type rdata...`, TTL and class in either order.
    fn record(&mut self, line: &Line, zone: &str) -> Result<NewRecord> {
        let mut t = line.tokens.iter().map(String::as_str).peekable();
        if !line.indented {
            let owner = t.next().unwrap_or_default();
            self.owner = Some(self.name(owner)?);
        }
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| Error::invalid("a record with no owner"))?;
        let mut record_ttl = self.ttl;
        for _ in 0..2 {
            match t.peek() {
                Some(c) if c.eq_ignore_ascii_case("IN") => _ = t.next(),
                Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => {
                    record_ttl = Some(ttl(v)?);
                    t.next();
                }
                _ => {}
            }
        }
        let rtype = RecordType::parse(t.next().ok_or_else(|| Error::invalid("no record type"))?);
        let rest: Vec<String> = t.map(str::to_owned).collect();
        let data = from_tokens(&rtype, &rest, &self.origin)?;
        let name = names::relative_to(&owner, zone)
            .ok_or_else(|| Error::invalid(format!("{owner:.80?} is outside the zone {zone:?}")))?;
        let mut r = NewRecord::new(names::relative(&name)?, data);
        r.ttl = record_ttl;
        Ok(r)
    }

    /// An owner or origin name made absolute (no final dot).
    fn name(&self, n: &str) -> Result<String> {
        match n {
            "@" => Ok(self.origin.clone()),
            n if n.ends_with('.') => Ok(n.trim_end_matches('.').to_ascii_lowercase()),
            n => Ok(names::absolute(&n.to_ascii_lowercase(), &self.origin)),
        }
    }
}

fn ttl(v: &str) -> Result<u32> {
    v.parse()
        .map_err(|_| Error::invalid(format!("TTL {v:.20?} is not a number of seconds")))
}

/// A record or directive as read: its tokens, and whether it began with a blank (the
/// previous owner's).
struct Line {
    tokens: Vec<String>,
    indented: bool,
}

/// The logical lines of `text` with their first line number: comments removed, lines
/// inside parentheses joined.
fn logical_lines(text: &str) -> Result<Vec<(usize, Line)>> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, bool, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let body = strip_comment(raw);
        let (start, indented, mut acc) =
            pending
                .take()
                .unwrap_or((i + 1, starts_blank(raw), String::new()));
        acc.push(' ');
        acc.push_str(&body);
        if open_parens(&acc) > 0 {
            pending = Some((start, indented, acc));
            continue;
        }
        let joined = acc.replace(['(', ')'], " ");
        let tokens = tokens(&joined)
            .map_err(|e| Error::invalid(format!("zone file line {start}: {}", e.message())))?;
        out.push((start, Line { tokens, indented }));
    }
    match pending {
        Some((start, ..)) => Err(Error::invalid(format!(
            "zone file line {start}: a '(' is never closed"
        ))),
        None => Ok(out),
    }
}

fn starts_blank(line: &str) -> bool {
    line.starts_with([' ', '\t'])
}

/// `line` up to a `;` outside quotes.
fn strip_comment(line: &str) -> String {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut out = String::new();
    for c in line.chars() {
        match c {
            ';' if !in_quotes => break,
            '"' if !escaped => in_quotes = !in_quotes,
            _ => {}
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
    out
}

/// Open parentheses outside quotes (negative when more close than open).
fn open_parens(text: &str) -> i32 {
    let (mut depth, mut in_quotes, mut escaped) = (0, false, false);
    for c in text.chars() {
        match c {
            '"' if !escaped => in_quotes = !in_quotes,
            '(' if !in_quotes => depth += 1,
            ')' if !in_quotes => depth -= 1,
            _ => {}
        }
        escaped = c == '\\' && !escaped;
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::RecordData;

    const ZONE: &str = r#"
$ORIGIN example.com.
$TTL 300
@   IN SOA ns1 hostmaster (
        2026120601 ; serial
        7200 900 1209600 86400 )
    IN NS  ns1.example.net.
www 60 IN A 192.0.2.1
    IN 60 AAAA 2001:db8::1   ; the same owner
mail.example.com. IN A 192.0.2.2
@ MX 10 mail
_sip._tcp SRV 10 5 5060 sip
note TXT "semi; colon" "and \"quotes\""
@ CAA 0 issue "letsencrypt.org"
$ORIGIN dev.example.com.
api CNAME www.example.com.
"#;

    #[test]
    fn a_zone_file_is_read_with_origins_owners_and_parentheses() {
        let r = import(ZONE, "example.com").unwrap();
        assert_eq!(r.len(), 10);
        assert!(matches!(
            r[0].data,
            RecordData::Soa {
                serial: 2026120601,
                minimum: 86400,
                ..
            }
        ));
        assert_eq!((r[1].name.as_str(), r[1].ttl), ("", Some(300)));
        assert_eq!((r[3].name.as_str(), r[3].ttl), ("www", Some(60)));
        assert_eq!(r[4].name, "mail");
        assert_eq!(
            r[7].data,
            RecordData::Txt("semi; colonand \"quotes\"".into())
        );
        assert_eq!(
            (r[9].name.as_str(), &r[9].data),
            ("api.dev", &RecordData::Cname("www.example.com".into()))
        );
    }

    #[test]
    fn export_then_import_gives_the_same_records() {
        let read = import(ZONE, "example.com").unwrap();
        let records: Vec<Record> = read
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut r = Record::new(i.to_string(), "z", n.name.clone(), n.data.clone());
                r.ttl = n.ttl;
                r
            })
            .collect();
        let text = export("example.com", &records);
        let mut again = import(&text, "example.com").unwrap();
        let mut first = read;
        let key = |r: &NewRecord| format!("{}|{:?}", r.name, r.data);
        first.sort_by_key(key);
        again.sort_by_key(key);
        assert_eq!(first, again, "{text}");
    }

    #[test]
    fn what_cannot_be_read_names_its_line() {
        for (bad, line) in [
            ("www IN A 192.0.2.300", 1),
            ("\n$INCLUDE other.zone", 2),
            ("x.example.org. IN A 192.0.2.1", 1),
            ("@ IN SOA a b ( 1 2 3", 1),
            ("www IN TXT \"open", 1),
            ("  IN A 192.0.2.1", 1),
        ] {
            let e = import(bad, "example.com").unwrap_err();
            assert!(
                e.to_string().contains(&format!("line {line}")),
                "{bad}: {e}"
            );
        }
    }
}
