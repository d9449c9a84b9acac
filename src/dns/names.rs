//! DNS names as the model keeps them: domains lowercase without the final dot, record
//! names relative to their zone. Every driver checks names here before they reach a
//! request, and turns the provider's absolute names into relative ones here.

use crate::error::{Error, Result};

/// `domain` as the model keeps it (lowercase, no final dot), or `InvalidInput` when it is
/// not a host name of at least two labels of 1 to 63 letters, digits, `-` or `_`, 253
/// characters at most.
pub fn domain(domain: &str) -> Result<String> {
    let d = domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    let labels_ok = d.split('.').all(label_ok);
    if d.len() > 253 || !labels_ok || !d.contains('.') {
        return Err(Error::invalid(format!(
            "{domain:.80?} is not a domain (labels of 1 to 63 letters, digits, '-' or '_')"
        )));
    }
    Ok(d)
}

/// A record name relative to its zone as the model keeps it (`@` and `""` are the apex,
/// lowercase, no final dot); `InvalidInput` for a name that is not relative labels (a `*`
/// is allowed as the first label only).
pub fn relative(name: &str) -> Result<String> {
    let n = name.to_ascii_lowercase();
    if n.is_empty() || n == "@" {
        return Ok(String::new());
    }
    let mut labels = n.split('.');
    let first_ok = labels.next().is_some_and(|l| l == "*" || label_ok(l));
    if n.len() > 253 || n.ends_with('.') || !first_ok || !labels.all(label_ok) {
        return Err(Error::invalid(format!(
            "record name {name:.80?} is not a name relative to its zone"
        )));
    }
    Ok(n)
}

/// The absolute name of `name` in `zone` (`www` in `example.com` is `www.example.com`).
pub fn absolute(name: &str, zone: &str) -> String {
    match name {
        "" | "@" => zone.to_owned(),
        n => format!("{n}.{zone}"),
    }
}

/// `fqdn` (with or without the final dot, any case) relative to `zone`, or `None` when it
/// is outside the zone.
pub fn relative_to(fqdn: &str, zone: &str) -> Option<String> {
    let f = fqdn.strip_suffix('.').unwrap_or(fqdn).to_ascii_lowercase();
    let z = zone.strip_suffix('.').unwrap_or(zone).to_ascii_lowercase();
    if f == z {
        return Some(String::new());
    }
    f.strip_suffix(&format!(".{z}")).map(str::to_owned)
}

/// An absolute name inside record data (a CNAME target...): lowercase, no final dot;
/// `InvalidInput` when it is not a host name.
pub fn target(name: &str) -> Result<String> {
    let n = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if n.is_empty() || n.len() > 253 || !n.split('.').all(label_ok) {
        return Err(Error::invalid(format!("{name:.80?} is not a host name")));
    }
    Ok(n)
}

fn label_ok(l: &str) -> bool {
    (1..=63).contains(&l.len())
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_names_are_normalised_or_refused() {
        assert_eq!(domain("Example.COM.").unwrap(), "example.com");
        for bad in [
            "",
            "com",
            "a..b",
            "-",
            "ex ample.com",
            "a.b/c",
            &"a".repeat(64),
        ] {
            assert!(domain(bad).is_err(), "{bad}");
        }
        assert_eq!(relative("@").unwrap(), "");
        assert_eq!(relative("WWW").unwrap(), "www");
        assert_eq!(relative("*.dev").unwrap(), "*.dev");
        assert_eq!(relative("_sip._tcp").unwrap(), "_sip._tcp");
        for bad in ["www.", "a..b", "a.*", "a b", "../x"] {
            assert!(relative(bad).is_err(), "{bad}");
        }
        assert_eq!(absolute("", "example.com"), "example.com");
        assert_eq!(absolute("www", "example.com"), "www.example.com");
        assert_eq!(
            relative_to("WWW.Example.com.", "example.com"),
            Some("www".into())
        );
        assert_eq!(
            relative_to("example.com.", "example.com"),
            Some(String::new())
        );
        assert_eq!(relative_to("www.example.org", "example.com"), None);
        assert_eq!(relative_to("badexample.com", "example.com"), None);
        assert_eq!(target("Mail.Example.com.").unwrap(), "mail.example.com");
        assert!(target("").is_err());
    }
}
