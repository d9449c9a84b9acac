//! Record data in Route53's presentation format (the `<Value>` of a record set), both
//! ways, and the record ids made from it. Names go on the wire absolute with their final
//! dot; TXT and SPF are quoted character-strings of at most 255 bytes each, `"` and `\`
//! escaped; CAA is `0 issue "letsencrypt.org"`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::PROVIDER;
use crate::dns::presentation::{quote, quoted_strings};
use crate::dns::{RecordData, RecordType, names};
use crate::error::{Error, ErrorKind, Result};

/// `data` as Route53's `<Value>`; `InvalidInput` when a name in it is not a host name or
/// the type is one Route53 keeps itself (SOA).
pub fn to_value(data: &RecordData) -> Result<String> {
    match data {
        RecordData::Soa { .. } => Err(Error::invalid("Route53 keeps a zone's SOA record itself")),
        _ => presentation(data),
    }
}

/// `data` in presentation format (SOA included).
fn presentation(data: &RecordData) -> Result<String> {
    Ok(match data {
        RecordData::A(ip) => ip.to_string(),
        RecordData::Aaaa(ip) => ip.to_string(),
        RecordData::Cname(n) | RecordData::Ns(n) | RecordData::Ptr(n) => fqdn(n)?,
        RecordData::Mx { priority, exchange } => format!("{priority} {}", fqdn(exchange)?),
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => format!("{priority} {weight} {port} {}", fqdn(target)?),
        RecordData::Txt(t) | RecordData::Spf(t) => quoted_strings(t),
        RecordData::Caa { flags, tag, value } => caa(*flags, tag, value)?,
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
            fqdn(mname)?,
            fqdn(rname)?
        ),
        RecordData::Other { value, .. } => other(value)?,
    })
}

/// A name inside data, checked, absolute with its final dot.
fn fqdn(name: &str) -> Result<String> {
    Ok(format!("{}.", names::target(name)?))
}

fn caa(flags: u8, tag: &str, value: &str) -> Result<String> {
    if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(format!("CAA tag {tag:.40?} is not a tag")));
    }
    Ok(format!("{flags} {tag} {}", quote(value)))
}

fn other(value: &str) -> Result<String> {
    if value.trim().is_empty() || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            "record data must be non-empty text on one line",
        ));
    }
    Ok(value.to_owned())
}

/// The data of a `<Value>` of type `rtype`; `Parse` when it does not read as that type.
pub fn from_value(rtype: &RecordType, value: &str) -> Result<RecordData> {
    let bad = || parse_error(format!("a {rtype} value does not parse: {value:.120?}"));
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let name = |s: &str| names::target(s).map_err(|_| bad());
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u32>().ok());
    let u16_at = |i: usize| num(i).and_then(|n| u16::try_from(n).ok()).ok_or_else(bad);
    Ok(match (rtype, fields.as_slice()) {
        (RecordType::A, [ip]) => RecordData::A(ip.parse().map_err(|_| bad())?),
        (RecordType::Aaaa, [ip]) => RecordData::Aaaa(ip.parse().map_err(|_| bad())?),
        (RecordType::Cname, [n]) => RecordData::Cname(name(n)?),
        (RecordType::Ns, [n]) => RecordData::Ns(name(n)?),
        (RecordType::Ptr, [n]) => RecordData::Ptr(name(n)?),
        (RecordType::Mx, [_, n]) => RecordData::Mx {
            priority: u16_at(0)?,
            exchange: name(n)?,
        },
        (RecordType::Srv, [_, _, _, n]) => RecordData::Srv {
            priority: u16_at(0)?,
            weight: u16_at(1)?,
            port: u16_at(2)?,
            target: name(n)?,
        },
        (RecordType::Txt, _) => RecordData::Txt(unquote(value).ok_or_else(bad)?),
        (RecordType::Spf, _) => RecordData::Spf(unquote(value).ok_or_else(bad)?),
        (RecordType::Caa, [flags, tag, ..]) => RecordData::Caa {
            flags: flags.parse().map_err(|_| bad())?,
            tag: (*tag).to_owned(),
            value: caa_value(value, tag).ok_or_else(bad)?,
        },
        (RecordType::Soa, [m, r, ..]) if fields.len() == 7 => RecordData::Soa {
            mname: name(m)?,
            rname: name(r)?,
            serial: num(2).ok_or_else(bad)?,
            refresh: num(3).ok_or_else(bad)?,
            retry: num(4).ok_or_else(bad)?,
            expire: num(5).ok_or_else(bad)?,
            minimum: num(6).ok_or_else(bad)?,
        },
        (RecordType::A | RecordType::Aaaa | RecordType::Cname, _)
        | (RecordType::Ns | RecordType::Ptr | RecordType::Mx, _)
        | (RecordType::Srv | RecordType::Caa | RecordType::Soa, _) => return Err(bad()),
        (RecordType::Other(_), _) => RecordData::Other {
            rtype: rtype.clone(),
            value: value.to_owned(),
        },
    })
}

/// The CAA value after `flags tag`: quoted (one character-string) or bare.
fn caa_value(value: &str, tag: &str) -> Option<String> {
    let after_tag = value.trim_start();
    let after_flags = after_tag.split_once(char::is_whitespace)?.1.trim_start();
    let rest = after_flags.strip_prefix(tag)?.trim();
    match rest.starts_with('"') {
        true => unquote(rest),
        false => Some(rest.to_owned()),
    }
}

/// The text of character-strings (quoted, `\"`, `\\` and octal `\DDD` escapes; bare words
/// too), joined; `None` when a quote is left open or an escape is broken.
pub fn unquote(value: &str) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(value.len());
    let mut bytes = value.trim().bytes().peekable();
    let mut quoted = false;
    while let Some(b) = bytes.next() {
        match b {
            b'"' => quoted = !quoted,
            b'\\' => out.push(escaped(&mut bytes)?),
            b' ' | b'\t' if !quoted => {}
            _ => out.push(b),
        }
    }
    match quoted {
        true => None,
        false => String::from_utf8(out).ok(),
    }
}

/// The byte after a `\`: three octal digits (Route53 writes `*` as `\052`), or the
/// character itself.
fn escaped(bytes: &mut impl Iterator<Item = u8>) -> Option<u8> {
    let first = bytes.next()?;
    if !first.is_ascii_digit() {
        return Some(first);
    }
    let (d2, d3) = (bytes.next()?, bytes.next()?);
    let digits = [first, d2, d3];
    if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
        return None;
    }
    let n = digits.iter().fold(0u32, |n, d| n * 8 + u32::from(d - b'0'));
    u8::try_from(n).ok()
}

/// A name as Route53 writes it (`\052.example.com.` for `*.example.com.`), unescaped,
/// lowercase, without the final dot; `Parse` when an escape is broken.
pub fn unescape_name(name: &str) -> Result<String> {
    let mut out = Vec::with_capacity(name.len());
    let mut bytes = name.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => out.push(escaped(&mut bytes).ok_or_else(|| bad_name(name))?),
            _ => out.push(b),
        }
    }
    let text = String::from_utf8(out).map_err(|_| bad_name(name))?;
    Ok(text.trim_end_matches('.').to_ascii_lowercase())
}

fn bad_name(name: &str) -> Error {
    parse_error(format!("the name {name:.120?} does not unescape"))
}

/// The id of the record holding `data` at `fqdn` (absolute, no final dot): its type, name
/// and value, base64url, so that it round-trips and goes into no path unencoded.
pub fn record_id(fqdn: &str, data: &RecordData) -> Result<String> {
    let rtype = data.record_type();
    let text = format!("{rtype}\n{fqdn}\n{}", presentation(data)?);
    Ok(URL_SAFE_NO_PAD.encode(text))
}

/// What a [`record_id`] names: (absolute name, data); `NotFound` for an id this driver
/// never made (so no request is spent on it).
pub fn parse_record_id(id: &str) -> Result<(String, RecordData)> {
    let not_found = || {
        Error::new(ErrorKind::NotFound, format!("no Route53 record {id:.80?}"))
            .with_provider(PROVIDER)
    };
    let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| not_found())?;
    let text = String::from_utf8(bytes).map_err(|_| not_found())?;
    let mut parts = text.splitn(3, '\n');
    let (Some(t), Some(name), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(not_found());
    };
    // Absolute names are checked as labels (a wildcard's `*` first), as relative ones are.
    let name = names::relative(name).map_err(|_| not_found())?;
    if name.is_empty() {
        return Err(not_found());
    }
    let data = from_value(&RecordType::parse(t), value).map_err(|_| not_found())?;
    Ok((name, data))
}

/// `Parse`, from Route53.
pub(crate) fn parse_error(what: String) -> Error {
    Error::new(ErrorKind::Parse, what).with_provider(PROVIDER)
}
