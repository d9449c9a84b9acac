//! Record data in presentation format (RFC 1035 master-file text, as Route53 takes values
//! and zone files hold them): [`to_text`] writes it, [`from_tokens`] reads it. Names are
//! written absolute with the final dot; read names without one are relative to `origin`.

use std::fmt::Write as _;

use super::{RecordData, RecordType, names};
use crate::error::{Error, Result};

/// `data` as presentation text (`10 mail.example.com.`, `"v=spf1 -all"`).
pub fn to_text(data: &RecordData) -> String {
    match data {
        RecordData::A(ip) => ip.to_string(),
        RecordData::Aaaa(ip) => ip.to_string(),
        RecordData::Cname(n) | RecordData::Ns(n) | RecordData::Ptr(n) => dotted(n),
        RecordData::Mx { priority, exchange } => format!("{priority} {}", dotted(exchange)),
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            format!("{priority} {weight} {port} {}", dotted(target))
        }
        RecordData::Txt(t) | RecordData::Spf(t) => quoted_strings(t),
        RecordData::Caa { flags, tag, value } => format!("{flags} {tag} {}", quote(value)),
        RecordData::Soa {
            mname,
            rname,
            serial,
            refresh,
            retry,
            expire,
            minimum,
        } => format!(
            "{} {} {serial} {refresh} {retry} {expire} {minimum}",
            dotted(mname),
            dotted(rname)
        ),
        RecordData::Other { value, .. } => value.clone(),
    }
}

/// The data of type `rtype` from its presentation tokens (quotes already removed from
/// character-strings by the tokenizer, see [`tokens`]); relative names are completed
/// with `origin`. `InvalidInput` naming what is wrong.
pub fn from_tokens(rtype: &RecordType, t: &[String], origin: &str) -> Result<RecordData> {
    let name = |i: usize| absolute(field(t, i)?, origin);
    let num = |i: usize| number(rtype, t, i);
    Ok(match rtype {
        RecordType::A => RecordData::A(parse(rtype, field(t, 0)?)?),
        RecordType::Aaaa => RecordData::Aaaa(parse(rtype, field(t, 0)?)?),
        RecordType::Cname => RecordData::Cname(name(0)?),
        RecordType::Ns => RecordData::Ns(name(0)?),
        RecordType::Ptr => RecordData::Ptr(name(0)?),
        RecordType::Mx => RecordData::Mx {
            priority: num(0)?,
            exchange: name(1)?,
        },
        RecordType::Srv => RecordData::Srv {
            priority: num(0)?,
            weight: num(1)?,
            port: num(2)?,
            target: name(3)?,
        },
        RecordType::Txt => RecordData::Txt(t.concat()),
        RecordType::Spf => RecordData::Spf(t.concat()),
        RecordType::Caa => RecordData::Caa {
            flags: number(rtype, t, 0)?,
            tag: field(t, 1)?.to_owned(),
            value: field(t, 2)?.to_owned(),
        },
        RecordType::Soa => soa(rtype, t, origin)?,
        RecordType::Other(_) => RecordData::Other {
            rtype: rtype.clone(),
            value: t.join(" "),
        },
    })
}

fn soa(rtype: &RecordType, t: &[String], origin: &str) -> Result<RecordData> {
    let num = |i: usize| number::<u32>(rtype, t, i);
    Ok(RecordData::Soa {
        mname: absolute(field(t, 0)?, origin)?,
        rname: absolute(field(t, 1)?, origin)?,
        serial: num(2)?,
        refresh: num(3)?,
        retry: num(4)?,
        expire: num(5)?,
        minimum: num(6)?,
    })
}

/// Splits presentation text into tokens: words, and `"…"` character-strings with `\"`,
/// `\\` and `\DDD` escapes undone. `InvalidInput` for an unterminated string.
pub fn tokens(text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            out.push(quoted(&mut chars)?);
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek().filter(|c| !c.is_whitespace() && **c != '"') {
                word.push(c);
                chars.next();
            }
            out.push(word);
        }
    }
    Ok(out)
}

/// The rest of a `"…"` string after its opening quote.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None => return Err(Error::invalid("a quoted string is not terminated")),
            Some('"') => return Ok(s),
            Some('\\') => s.push(escaped(chars)?),
            Some(c) => s.push(c),
        }
    }
}

/// The character after a backslash: itself, or `\DDD` (a decimal byte, ASCII only).
fn escaped(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<char> {
    let first = chars
        .next()
        .ok_or_else(|| Error::invalid("a backslash ends the text"))?;
    if !first.is_ascii_digit() {
        return Ok(first);
    }
    let digits: String = [Some(first), chars.next(), chars.next()]
        .into_iter()
        .flatten()
        .collect();
    match digits.parse::<u8>() {
        Ok(b) if digits.len() == 3 && b.is_ascii() => Ok(char::from(b)),
        _ => Err(Error::invalid(format!("\\{digits} is not an ASCII escape"))),
    }
}

/// Text as one or more quoted character-strings of at most 255 bytes (cut between
/// characters), `"` and `\` escaped.
pub fn quoted_strings(text: &str) -> String {
    let mut parts = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if cur.len() + c.len_utf8() > 255 {
            parts.push(quote(&std::mem::take(&mut cur)));
        }
        cur.push(c);
    }
    parts.push(quote(&cur));
    parts.join(" ")
}

/// `"text"` with `"` and `\` escaped.
pub fn quote(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            s.push('\\');
        }
        let _ = write!(s, "{c}");
    }
    s.push('"');
    s
}

/// `name.` (absolute, with the final dot).
pub fn dotted(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// A name from a zone file or answer as the model keeps it: `@` is the origin, a name
/// ending in `.` is absolute, others are relative to `origin`.
fn absolute(name: &str, origin: &str) -> Result<String> {
    match name {
        "@" => Ok(origin.to_owned()),
        n if n.ends_with('.') => names::target(n),
        n => names::target(&names::absolute(n, origin)),
    }
}

fn field(t: &[String], i: usize) -> Result<&str> {
    t.get(i)
        .map(String::as_str)
        .ok_or_else(|| Error::invalid(format!("the record data lacks field {}", i + 1)))
}

fn number<T: std::str::FromStr>(rtype: &RecordType, t: &[String], i: usize) -> Result<T> {
    parse(rtype, field(t, i)?)
}

fn parse<T: std::str::FromStr>(rtype: &RecordType, text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| Error::invalid(format!("{text:.40?} is not valid in a {rtype} record")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: RecordData) {
        let text = to_text(&data);
        let back = from_tokens(&data.record_type(), &tokens(&text).unwrap(), "example.com");
        assert_eq!(back.unwrap(), data, "{text}");
    }

    #[test]
    fn every_type_round_trips_through_text() {
        round_trip(RecordData::A("192.0.2.1".parse().unwrap()));
        round_trip(RecordData::Aaaa("2001:db8::1".parse().unwrap()));
        round_trip(RecordData::Cname("www.example.com".into()));
        round_trip(RecordData::Mx {
            priority: 10,
            exchange: "mail.example.com".into(),
        });
        let target = "sip.example.com".into();
        round_trip(RecordData::Srv {
            priority: 1,
            weight: 2,
            port: 5060,
            target,
        });
        round_trip(RecordData::Txt("say \"hi\" \\ ; ok".into()));
        round_trip(RecordData::Txt("x".repeat(600)));
        round_trip(RecordData::Caa {
            flags: 128,
            tag: "iodef".into(),
            value: "mailto:a@b.c".into(),
        });
        round_trip(RecordData::Soa {
            mname: "ns1.example.com".into(),
            rname: "hostmaster.example.com".into(),
            serial: 7,
            refresh: 1,
            retry: 2,
            expire: 3,
            minimum: 4,
        });
    }

    #[test]
    fn relative_names_escapes_and_bad_data() {
        let t = tokens("10 mail").unwrap();
        let mx = from_tokens(&RecordType::Mx, &t, "example.com").unwrap();
        assert_eq!(
            mx,
            RecordData::Mx {
                priority: 10,
                exchange: "mail.example.com".into()
            }
        );
        assert_eq!(tokens(r#""a\"b" "c\065""#).unwrap(), ["a\"b", "cA"]);
        assert!(tokens("\"open").is_err());
        assert!(from_tokens(&RecordType::A, &tokens("300.1.1.1").unwrap(), "e.com").is_err());
        assert!(from_tokens(&RecordType::Mx, &tokens("10").unwrap(), "e.com").is_err());
        assert!(from_tokens(&RecordType::Mx, &tokens("x y").unwrap(), "e.com").is_err());
    }
}
