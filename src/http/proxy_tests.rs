//! The proxy decision: variables, `NO_PROXY` forms, redaction.

use super::*;
use crate::error::ErrorKind;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect();
    move |name| map.get(name).cloned()
}

fn chosen<'a>(p: &'a Proxies, url: &str) -> Option<&'a str> {
    p.for_url(url).map(|u| u.expose().host_str().unwrap())
}

#[test]
fn each_scheme_takes_its_variable_then_all_proxy() {
    let p = Proxies::from_env_with(env(&[
        ("HTTPS_PROXY", "http://secure:3128"),
        ("http_proxy", "plain:8080"),
        ("HTTP_PROXY", "http://ignored-uppercase:1"),
        ("ALL_PROXY", "http://fallback:1"),
    ]))
    .unwrap();
    assert_eq!(chosen(&p, "https://s3.example.com/b/k"), Some("secure"));
    assert_eq!(chosen(&p, "http://127.0.0.1:9000/b"), Some("plain"));
    let only_all = Proxies::from_env_with(env(&[("all_proxy", "http://fallback:1")])).unwrap();
    assert_eq!(chosen(&only_all, "https://h/"), Some("fallback"));
    assert_eq!(chosen(&only_all, "http://h/"), Some("fallback"));
    // Under CGI, HTTP_PROXY may come from a request's `Proxy:` header: ignored.
    let cgi = [
        ("REQUEST_METHOD", "GET"),
        ("HTTP_PROXY", "http://attacker:1"),
    ];
    assert!(Proxies::from_env_with(env(&cgi)).unwrap().is_empty());
    let cgi_lower = [("REQUEST_METHOD", "GET"), ("http_proxy", "http://mine:1")];
    let p = Proxies::from_env_with(env(&cgi_lower)).unwrap();
    assert_eq!(chosen(&p, "http://h/"), Some("mine"));
    let none = Proxies::from_env_with(env(&[("HTTPS_PROXY", "")])).unwrap();
    assert!(none.is_empty() && none.for_url("https://h/").is_none());
}

#[test]
fn no_proxy_forms() {
    let n = NoProxy::parse(
        " example.com, .corp.internal ,10.0.0.0/8, 192.168.1.5,[::1], fd00::/8, host:8443 ,bad/99,",
    );
    for (host, port, direct) in [
        ("example.com", 443, true),
        ("s3.EXAMPLE.com.", 443, true),
        ("badexample.com", 443, false),
        ("a.corp.internal", 80, true),
        ("corp.internal", 80, true),
        ("10.200.3.4", 80, true),
        ("11.0.0.1", 80, false),
        ("192.168.1.5", 9000, true),
        ("192.168.1.6", 9000, false),
        ("[::1]", 9000, true),
        ("fd12::1", 80, true),
        ("host", 8443, true),
        ("host", 443, false),
    ] {
        assert_eq!(n.matches(host, port), direct, "{host}:{port}");
    }
    assert!(NoProxy::parse("*").matches("anything", 1));
    assert!(!NoProxy::parse("").matches("anything", 1));
    let p = Proxies::all(
        ProxyUrl::parse("http://proxy:3128").unwrap(),
        NoProxy::parse("127.0.0.1"),
    );
    assert_eq!(p.for_url("http://127.0.0.1:9000/b"), None);
    assert_eq!(chosen(&p, "http://127.0.0.2:9000/b"), Some("proxy"));
    assert_eq!(chosen(&p, "https://example.com/"), Some("proxy"));
}

#[test]
fn credentials_never_show_and_bad_values_name_the_variable_only() {
    let u = ProxyUrl::parse("http://user:hunter2@proxy:3128").unwrap();
    let shown = format!(
        "{u} {u:?} {:?}",
        Proxies::all(u.clone(), NoProxy::default())
    );
    assert!(
        !shown.contains("hunter2") && shown.contains("user"),
        "{shown}"
    );
    assert_eq!(u.expose().password(), Some("hunter2"));
    let e = Proxies::from_env_with(env(&[("HTTPS_PROXY", "http://u:hunter2@")])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains("HTTPS_PROXY") && !e.to_string().contains("hunter2"),
        "{e}"
    );
    let socks = ProxyUrl::parse("socks5://u:hunter2@h:1080").unwrap_err();
    assert_eq!(socks.kind(), ErrorKind::Unsupported);
    assert!(!socks.to_string().contains("hunter2"));
}

#[test]
fn the_choice_overrides_the_environment() {
    let vars = || env(&[("HTTPS_PROXY", "http://from-env:1")]);
    assert!(ProxyChoice::Direct.resolve_with(vars()).unwrap().is_empty());
    let explicit = Proxies::all(ProxyUrl::parse("mine:2").unwrap(), NoProxy::default());
    let p = ProxyChoice::Explicit(explicit)
        .resolve_with(vars())
        .unwrap();
    assert_eq!(chosen(&p, "https://h/"), Some("mine"));
    let p = ProxyChoice::Environment.resolve_with(vars()).unwrap();
    assert_eq!(chosen(&p, "https://h/"), Some("from-env"));
}
