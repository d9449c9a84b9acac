//! Tests of the Shared Key signer (`azure_sharedkey`).
use super::*;
use crate::error::ErrorKind;

const CASES: &str = include_str!("../../tests/data/azure-sharedkey/sharedkey-cases.json");

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn key() -> AccountKey {
    AccountKey::from_base64("YXpLZXk=").unwrap()
}

fn unsigned<'a>(url: &'a str, headers: &'a [(String, String)], length: u64) -> Unsigned<'a> {
    let (method, content_length) = ("GET", length);
    Unsigned {
        method,
        url,
        headers,
        content_length,
    }
}

/// The string to sign for a request with these headers and no body.
fn sts(method: &str, url: &str, headers: &[(&str, &str)]) -> Result<String> {
    let headers = pairs(headers);
    string_to_sign(
        "myaccount",
        &Unsigned {
            method,
            ..unsigned(url, &headers, 0)
        },
    )
}

const DATE: (&str, &str) = ("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT");

#[test]
fn pgbackrest_cases_sign_exactly() {
    let file: serde_json::Value = serde_json::from_str(CASES).unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        let text = |field: &str| c[field].as_str().unwrap();
        let headers: Vec<(String, String)> = (c["headers"].as_object().unwrap().iter())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let length = c["headers"]["content-length"]
            .as_str()
            .map_or(0, |v| v.parse().unwrap());
        let key = AccountKey::from_base64(text("account_key_base64")).unwrap();
        let req = Unsigned {
            method: text("method"),
            ..unsigned(text("url"), &headers, length)
        };
        let signed = sign(text("account"), &key, &req).unwrap();
        let name = text("name");
        assert_eq!(
            signed.string_to_sign,
            text("expected_string_to_sign"),
            "{name}"
        );
        assert_eq!(
            key.sign(&signed.string_to_sign),
            text("expected_signature"),
            "{name}"
        );
        assert_eq!(
            signed.authorization,
            text("expected_authorization"),
            "{name}"
        );
    }
}

#[test]
fn documented_container_put_signs_an_empty_content_length() {
    // "Authorize with Shared Key", Content-Length in version 2015-02-21 and later.
    let got = sts(
        "PUT",
        "http://myaccount.blob.core.windows.net/mycontainer?restype=container&timeout=30",
        &[
            ("x-ms-version", "2015-02-21"),
            DATE,
            ("Content-Length", "0"),
        ],
    );
    assert_eq!(
        got.unwrap(),
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\n\
         x-ms-version:2015-02-21\n/myaccount/mycontainer\nrestype:container\ntimeout:30"
    );
}

#[test]
fn x_ms_date_empties_the_date_line() {
    let headers = [("Date", "Sun, 21 Jun 2020 12:46:19 GMT"), DATE];
    let date_line = |h: &[(&str, &str)]| {
        sts("GET", "https://h/", h)
            .unwrap()
            .split('\n')
            .nth(6)
            .map(str::to_owned)
    };
    assert_eq!(date_line(&headers).as_deref(), Some(""));
    assert_eq!(date_line(&headers[..1]).as_deref(), Some(headers[0].1));
}

#[test]
fn content_length_is_empty_at_zero_and_the_number_otherwise() {
    let line = |length: u64, headers: &[(String, String)]| {
        string_to_sign("a", &unsigned("https://h/c/b", headers, length))
            .map(|s| s.split('\n').nth(3).unwrap().to_owned())
    };
    assert_eq!(line(0, &[]).unwrap(), "");
    assert_eq!(line(0, &pairs(&[("content-length", "0")])).unwrap(), "");
    assert_eq!(line(44, &[]).unwrap(), "44");
    assert_eq!(
        line(44, &pairs(&[("Content-Length", " 44")])).unwrap(),
        "44"
    );
    let e = line(5, &pairs(&[("content-length", "4")])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("5 bytes"), "{e}");
}

#[test]
fn standard_headers_land_on_their_lines_in_order() {
    let headers = [
        ("Range", "bytes=0-9"),
        ("If-Match", "\"e1\""),
        ("Content-Type", " text/plain "),
        ("Content-MD5", "md5"),
        ("If-None-Match", "*"),
        ("Content-Encoding", "gzip"),
        ("Content-Language", "en"),
        ("If-Modified-Since", "m"),
        ("If-Unmodified-Since", "u"),
        ("Accept", "ignored"),
        DATE,
    ];
    let got = sts("GET", "https://h/c/b", &headers).unwrap();
    let head: Vec<&str> = got.split('\n').take(13).collect();
    let want = "GET|gzip|en||md5|text/plain||m|\"e1\"|*|u|bytes=0-9|x-ms-date:Fri, 26 Jun 2015 23:39:12 GMT";
    assert_eq!(head.join("|"), want);
}

#[test]
fn header_values_are_trimmed_and_whitespace_runs_collapsed_outside_quotes() {
    let headers = [
        ("X-MS-Meta-Spaced", "  a \t b\r\n  c  "),
        ("x-ms-meta-quoted", "x  \"keep  \\\"  this\"   y"),
        ("x-ms-meta-empty", ""),
        DATE,
    ];
    let got = sts("GET", "https://h/c/b", &headers).unwrap();
    assert!(
        got.contains(
            "x-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-meta-empty:\n\
             x-ms-meta-quoted:x \"keep  \\\"  this\" y\nx-ms-meta-spaced:a b c\n/myaccount/c/b"
        ),
        "{got:?}"
    );
}

#[test]
fn query_parameters_are_decoded_lowercased_sorted_and_merged() {
    // The documented List Blobs example: repeated `include` sorted into one line.
    let got = sts(
        "GET",
        "http://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=list\
         &include=snapshots&include=metadata&include=uncommittedblobs",
        &[DATE],
    )
    .unwrap();
    assert!(
        got.ends_with(
            "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\
             \nrestype:container"
        ),
        "{got:?}"
    );
    let got = sts(
        "GET",
        "https://h/c?Prefix=a%2Fb%20c+d&delimiter=%2F&marker=&flag&include=b,a",
        &[DATE],
    )
    .unwrap();
    assert!(
        got.ends_with("/myaccount/c\ndelimiter:/\nflag:\ninclude:b,a\nmarker:\nprefix:a/b c d"),
        "{got:?}"
    );
}

#[test]
fn the_path_is_signed_as_sent_and_the_emulator_repeats_the_account() {
    let got = sts("GET", "https://h/c/a%20b/%E2%82%AC", &[DATE]).unwrap();
    assert!(got.ends_with("\n/myaccount/c/a%20b/%E2%82%AC"), "{got:?}");
    let headers = pairs(&[DATE]);
    let req = unsigned("http://127.0.0.1:10000/devstoreaccount1/c/b", &headers, 0);
    let got = string_to_sign("devstoreaccount1", &req).unwrap();
    assert!(
        got.ends_with("\n/devstoreaccount1/devstoreaccount1/c/b"),
        "{got:?}"
    );
}

#[test]
fn requests_that_cannot_be_signed_are_invalid_input() {
    let url = "https://h/c/b";
    let bad = [
        sts("get", url, &[DATE]),
        sts("GET", "not a url", &[DATE]),
        sts("GET", url, &[DATE, ("X-MS-DATE", "again")]),
        sts("GET", url, &[("Range", "a"), ("range", "b")]),
        sts("GET", "https://h/c?a=%FF", &[DATE]),
        sts("GET", "https://h/c?a=x%0Ab:y", &[DATE]),
    ];
    for r in bad {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
    // Unsigned headers may repeat.
    assert!(sts("GET", url, &[DATE, ("accept", "a"), ("Accept", "b")]).is_ok());
    let headers = pairs(&[DATE]);
    let req = unsigned(url, &headers, 0);
    for account in ["", "a/b", "a:b", "a\nb"] {
        assert!(sign(account, &key(), &req).is_err(), "{account:?}");
    }
}

#[test]
fn keys_that_are_not_base64_are_invalid_input_and_never_quoted() {
    for bad in [
        "",
        "   ",
        "c2VjcmV0LWtleS12YWx1ZQ",
        "secret-key-value!",
        "YQ==YQ==",
    ] {
        let e = AccountKey::from_base64(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("c2Vj"),
            "{shown}"
        );
    }
    let padded = AccountKey::from_base64(" YXpLZXk=\n").unwrap();
    assert_eq!(padded, key());
}

#[test]
fn the_key_and_signature_never_print() {
    let key_text = "c2VjcmV0LWtleS12YWx1ZQ==";
    let key = AccountKey::from_base64(key_text).unwrap();
    let headers = pairs(&[DATE, ("x-ms-encryption-key", "cpk-secret")]);
    let req = unsigned("https://h/c/b", &headers, 0);
    let signed = sign("acct", &key, &req).unwrap();
    let signature = signed.authorization.rsplit(':').next().unwrap().to_owned();
    let shown = format!("{key:?} {signed:?} {req:?}");
    for secret in [key_text, "secret-key-value", &signature, "cpk-secret"] {
        assert!(!shown.contains(secret), "{secret:?} in {shown}");
    }
}

#[test]
fn dates_format_as_http_dates_and_never_panic() {
    let t = UNIX_EPOCH + Duration::from_secs(1_435_361_952);
    assert_eq!(x_ms_date(t), "Fri, 26 Jun 2015 23:39:12 GMT");
    assert_eq!(
        x_ms_date(UNIX_EPOCH - Duration::from_secs(10)),
        "Thu, 01 Jan 1970 00:00:00 GMT"
    );
    let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
    assert_eq!(x_ms_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
}
