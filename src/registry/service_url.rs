//! What compute and DNS URLs share: `scheme://[host][?options]`, no user information, no
//! path, options from the query then from the caller, secrets refused without echoing.

use super::{SECRET_KEYS, redacted, shown};
use crate::error::{Error, Result};

/// A service URL taken apart.
pub(super) struct ServiceUrl {
    /// The scheme (the provider's name).
    pub scheme: String,
    /// The host, when there is one.
    pub host: Option<String>,
    /// The options: the query's, then the caller's.
    pub options: Vec<(String, String)>,
    /// The URL as errors may show it.
    pub shown: String,
}

/// Parses `url` for an `area` ("compute", "DNS") and gathers its options.
pub(super) fn parse<K, V>(
    url: &str,
    options: impl IntoIterator<Item = (K, V)>,
    area: &str,
) -> Result<ServiceUrl>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let parsed = url::Url::parse(url)
        .map_err(|e| Error::invalid(format!("{} is not a valid URL: {e}", redacted(url))))?;
    let shown = shown(&parsed);
    if !parsed.username().is_empty() || parsed.password().is_some() {
        let what = format!("{shown}: {area} URLs must not hold a user name or password");
        return Err(Error::invalid(what));
    }
    if !matches!(parsed.path(), "" | "/") {
        return Err(Error::invalid(format!("{shown}: {area} URLs have no path")));
    }
    let pairs = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()));
    let given = options
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()));
    let options: Vec<(String, String)> = pairs.chain(given).collect();
    for (k, _) in &options {
        refuse_secret(k, area)?;
    }
    Ok(ServiceUrl {
        scheme: parsed.scheme().to_owned(),
        host: parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .map(str::to_owned),
        options,
        shown,
    })
}

/// `InvalidInput` naming `key` when its value would be a secret.
fn refuse_secret(key: &str, area: &str) -> Result<()> {
    match SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
        true => Err(Error::invalid(format!(
            "option {key:?} would put a secret in a {area} URL, which is not allowed; give \
             credentials through the environment or the driver's configuration"
        ))),
        false => Ok(()),
    }
}

/// A non-empty option value.
pub(super) fn value(key: &str, value: &str) -> Result<String> {
    match value.is_empty() {
        true => Err(Error::invalid(format!("option {key:?} is empty"))),
        false => Ok(value.to_owned()),
    }
}
