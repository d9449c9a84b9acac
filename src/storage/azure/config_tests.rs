//! Tests of the Azure configuration: builder, connection strings, environment, redaction.

use super::*;
use crate::error::ErrorKind;
use std::collections::HashMap;

/// A fake environment holding `pairs` and nothing else.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    move |name| map.get(name).cloned()
}

/// A key that is valid base64 and easy to spot in output ("secret-key-value").
const KEY: &str = "c2VjcmV0LWtleS12YWx1ZQ==";
const SIG: &str = "c2lnbmF0dXJlLXZhbHVl%3D";

fn from_cs(s: &str) -> Result<AzureConfig> {
    AzureConfig::builder().connection_string(s)?.build()
}

/// An `InvalidInput` whose message holds every one of `needles` and no secret.
fn assert_config_error(r: Result<AzureConfig>, needles: &[&str]) {
    let e = r.expect_err("a configuration error");
    let shown = format!("{e} | {e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{shown}");
    for n in needles {
        assert!(shown.contains(n), "{n:?} missing from {shown}");
    }
    for secret in [KEY, "c2VjcmV0", "secret-key-value", SIG, "c2lnbmF0"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

fn key_of(c: &AzureConfig) -> AccountKey {
    match &c.credentials {
        AzureCredentials::AccountKey(k) => k.clone(),
        other => panic!("expected an account key, got {other:?}"),
    }
}

#[test]
fn the_default_endpoint_is_the_accounts_blob_host() {
    let c = AzureConfig::builder()
        .account("acct")
        .account_key(KEY)
        .build()
        .unwrap();
    assert_eq!(c.endpoint.as_str(), "https://acct.blob.core.windows.net/");
    assert_eq!(key_of(&c), AccountKey::from_base64(KEY).unwrap());
}

#[test]
fn an_emulator_endpoint_names_the_account_in_its_first_segment() {
    let c = AzureConfig::builder()
        .endpoint("http://127.0.0.1:10000/devstoreaccount1/")
        .account_key(EMULATOR_KEY)
        .build()
        .unwrap();
    assert_eq!(c.account, "devstoreaccount1");
    assert_eq!(
        c.endpoint.as_str(),
        "http://127.0.0.1:10000/devstoreaccount1"
    );
    let e = AzureConfig::builder().emulator().build().unwrap();
    assert_eq!((e.account, e.endpoint), (c.account, c.endpoint));
    // A custom domain names no account: it must be given.
    let custom = AzureConfig::builder()
        .endpoint("https://files.example.com")
        .anonymous()
        .build();
    assert_config_error(custom, &["no Azure storage account name"]);
}

#[test]
fn connection_strings_with_key_suffix_and_protocol() {
    let c = from_cs(&format!(
        "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey={KEY};EndpointSuffix=core.chinacloudapi.cn;"
    ))
    .unwrap();
    assert_eq!(
        c.endpoint.as_str(),
        "http://acct.blob.core.chinacloudapi.cn/"
    );
    assert_eq!(key_of(&c), AccountKey::from_base64(KEY).unwrap());
    // Names in any case, whitespace and line breaks between parts, other services' endpoints.
    let c = from_cs(&format!(
        "defaultendpointsprotocol=HTTPS;\n  ACCOUNTNAME=acct ;\naccountkey={KEY};\
         QueueEndpoint=https://acct.queue.core.windows.net;BlobEndpoint=https://blobs.example.com/"
    ))
    .unwrap();
    assert_eq!(
        (c.account.as_str(), c.endpoint.as_str()),
        ("acct", "https://blobs.example.com/")
    );
}

#[test]
fn connection_strings_with_a_sas_keep_the_equals_signs_of_their_values() {
    let sas = format!("sv=2022-11-02&sr=c&sp=rl&sig={SIG}");
    let c = from_cs(&format!(
        "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature={sas}"
    ));
    let c = c.unwrap_err();
    // No account name: a SAS connection string with only BlobEndpoint needs account().
    assert!(c.message().contains("no Azure storage account name"), "{c}");
    let c = AzureConfig::builder()
        .account("acct")
        .connection_string(&format!(
            "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=?{sas}"
        ))
        .unwrap()
        .build()
        .unwrap();
    let AzureCredentials::Sas(token) = &c.credentials else {
        panic!("{:?}", c.credentials)
    };
    assert_eq!(token.query(), sas);
}

#[test]
fn use_development_storage_is_the_emulator() {
    let c = from_cs("UseDevelopmentStorage=true").unwrap();
    assert_eq!(c.account, EMULATOR_ACCOUNT);
    assert_eq!(c.endpoint.as_str(), EMULATOR_BLOB_ENDPOINT);
    assert_eq!(key_of(&c), AccountKey::from_base64(EMULATOR_KEY).unwrap());
    assert!(from_cs("usedevelopmentstorage=TRUE;").is_ok());
    assert_config_error(from_cs("UseDevelopmentStorage=false"), &["only be true"]);
    assert_config_error(
        from_cs("UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://p"),
        &["DevelopmentStorageProxyUri", "not supported"],
    );
    assert_config_error(
        from_cs(&format!("UseDevelopmentStorage=true;AccountKey={KEY}")),
        &["cannot be combined with AccountKey"],
    );
}

#[test]
fn malformed_connection_strings_name_the_part_and_never_a_key() {
    let cases: &[(String, &[&str])] = &[
        // A pasted key ends in `=`: it reads as an unknown name, and is not quoted.
        (
            format!("AccountName=acct;{KEY}"),
            &["part 2 of 2", "unknown setting"],
        ),
        (
            "AccountName=acct;novalue".into(),
            &["part 2 of 2", "not name=value"],
        ),
        (
            format!("AccountName=acct;AcountKey={KEY}"),
            &["part 2 of 2", "unknown setting"],
        ),
        (
            format!("AccountName=acct;{KEY}=x"),
            &["part 2", "unknown setting"],
        ),
        (
            "AccountName=acct;AccountName=other".into(),
            &["AccountName is given twice"],
        ),
        (
            "AccountName=acct;AccountKey=".into(),
            &["AccountKey (part 2 of 2) is empty"],
        ),
        (
            format!("AccountKey={KEY}"),
            &["neither AccountName nor BlobEndpoint"],
        ),
        (
            format!("AccountName=acct;AccountKey={KEY};SharedAccessSignature=sig={SIG}"),
            &["both AccountKey and SharedAccessSignature"],
        ),
        (
            format!("DefaultEndpointsProtocol=ftp;AccountName=acct;AccountKey={KEY}"),
            &["http or https"],
        ),
        (" ; ;".into(), &["it is empty"]),
    ];
    for (s, needles) in cases {
        let mut all = needles.to_vec();
        all.push("Azure connection string (the connection string)");
        assert_config_error(from_cs(s), &all);
    }
    // A key that is not base64 is blamed on the connection string, unquoted.
    let r = from_cs("AccountName=acct;AccountKey=secret-key-value!");
    assert_config_error(r, &["AccountKey in the connection string", "base64"]);
}

#[test]
fn the_environment_fills_what_is_not_set() {
    let c = AzureConfig::builder()
        .from_env_with(env(&[
            ("AZURE_STORAGE_ACCOUNT", "acct"),
            ("AZURE_STORAGE_KEY", KEY),
        ]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        (c.account.as_str(), key_of(&c)),
        ("acct", AccountKey::from_base64(KEY).unwrap())
    );
    let c = AzureConfig::builder()
        .from_env_with(env(&[
            ("AZURE_STORAGE_ACCOUNT", "acct"),
            ("AZURE_STORAGE_SAS_TOKEN", &format!("sp=r&sig={SIG}")),
        ]))
        .unwrap()
        .build()
        .unwrap();
    assert!(matches!(c.credentials, AzureCredentials::Sas(_)));
    // The connection string wins over the separate variables; explicit settings win over both.
    let vars = [
        (
            "AZURE_STORAGE_CONNECTION_STRING",
            "UseDevelopmentStorage=true",
        ),
        ("AZURE_STORAGE_ACCOUNT", "other"),
        ("AZURE_STORAGE_KEY", KEY),
    ];
    let c = AzureConfig::builder()
        .from_env_with(env(&vars))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(c.account, EMULATOR_ACCOUNT);
    assert_eq!(key_of(&c), AccountKey::from_base64(EMULATOR_KEY).unwrap());
    let c = AzureConfig::builder()
        .account("mine")
        .bearer_token("tok")
        .from_env_with(env(&vars))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(c.account, "mine");
    assert!(matches!(c.credentials, AzureCredentials::Bearer(_)));
}

#[test]
fn environment_mistakes_are_errors_naming_the_variable() {
    let both = env(&[
        ("AZURE_STORAGE_ACCOUNT", "acct"),
        ("AZURE_STORAGE_KEY", KEY),
        ("AZURE_STORAGE_SAS_TOKEN", "sig=x"),
    ]);
    let r = AzureConfig::builder()
        .from_env_with(both)
        .and_then(|b| b.build());
    assert_config_error(r, &["AZURE_STORAGE_KEY and AZURE_STORAGE_SAS_TOKEN"]);
    let bad_key = env(&[
        ("AZURE_STORAGE_ACCOUNT", "acct"),
        ("AZURE_STORAGE_KEY", "secret-key-value"),
    ]);
    let r = AzureConfig::builder()
        .from_env_with(bad_key)
        .and_then(|b| b.build());
    assert_config_error(r, &["AZURE_STORAGE_KEY:", "base64"]);
    let bad_cs = env(&[("AZURE_STORAGE_CONNECTION_STRING", "AccountName")]);
    let r = AzureConfig::builder()
        .from_env_with(bad_cs)
        .and_then(|b| b.build());
    assert_config_error(r, &["AZURE_STORAGE_CONNECTION_STRING", "part 1 of 1"]);
    let not_utf8 = |n: &str| {
        use std::os::unix::ffi::OsStringExt;
        (n == "AZURE_STORAGE_ACCOUNT").then(|| OsString::from_vec(vec![b'a', 0xff]))
    };
    let e = AzureConfig::builder().from_env_with(not_utf8).unwrap_err();
    assert!(e.to_string().contains("AZURE_STORAGE_ACCOUNT"), "{e}");
}

#[test]
fn no_credentials_is_an_error_unless_anonymous() {
    let r = AzureConfig::builder()
        .from_env_with(env(&[("AZURE_STORAGE_ACCOUNT", "acct")]))
        .unwrap()
        .build();
    assert_config_error(
        r,
        &[
            "no Azure credentials",
            "AZURE_STORAGE_CONNECTION_STRING",
            "anonymous",
        ],
    );
    assert_config_error(
        AzureConfig::builder().account("acct").build(),
        &["explicit settings only"],
    );
    let c = AzureConfig::builder()
        .account("acct")
        .anonymous()
        .build()
        .unwrap();
    assert_eq!(c.credentials, AzureCredentials::Anonymous);
    let two = AzureConfig::builder()
        .account("acct")
        .account_key(KEY)
        .sas_token("sig=x")
        .build();
    assert_config_error(two, &["more than one kind"]);
}

#[test]
fn bad_account_names_and_endpoints_are_invalid_input() {
    for name in ["ab", "Acct", "a-b-c", "abcdefghijklmnopqrstuvwxy", "acct\n"] {
        let r = AzureConfig::builder().account(name).anonymous().build();
        assert_config_error(r, &["3 to 24 lowercase"]);
    }
    let endpoint = |e: &str| {
        AzureConfig::builder()
            .account("acct")
            .endpoint(e)
            .anonymous()
            .build()
    };
    assert_config_error(endpoint("ftp://h"), &["http(s)://"]);
    assert_config_error(endpoint("not a url"), &["not a URL"]);
    assert_config_error(
        endpoint("http://user:hunter2@h"),
        &["user name or password"],
    );
    assert_config_error(
        endpoint(&format!(
            "https://acct.blob.core.windows.net/c?sv=1&sig={SIG}"
        )),
        &["give the SAS token separately"],
    );
    let suffix = AzureConfig::builder()
        .account("acct")
        .endpoint_suffix("evil.com/x?")
        .anonymous()
        .build();
    assert_config_error(suffix, &["not a host name"]);
}

#[test]
fn sas_tokens_are_checked_and_their_signature_hidden() {
    for bad in [
        "",
        "?",
        "sv=1&sp=r",
        "sv=1&sig=a b",
        "sv=1&amp;sig=x",
        "sig=x#frag",
    ] {
        assert!(SasToken::new(bad).is_err(), "{bad:?}");
    }
    let t = SasToken::new(format!(
        " ?sv=2022-11-02&se=2030-01-01T00%3A00%3A00Z&sig={SIG}\n"
    ))
    .unwrap();
    assert!(t.query().starts_with("sv=") && t.query().ends_with(SIG));
    let shown = format!("{t:?}");
    assert!(shown.contains("se=2030") && !shown.contains(SIG), "{shown}");
}

#[test]
fn no_key_token_or_signature_in_any_debug() {
    let sas = format!("sv=2022-11-02&sig={SIG}");
    let configs = [
        AzureConfig::builder()
            .account("acct")
            .account_key(KEY)
            .build()
            .unwrap(),
        AzureConfig::builder()
            .account("acct")
            .sas_token(sas.as_str())
            .build()
            .unwrap(),
        AzureConfig::builder()
            .account("acct")
            .bearer_token("bearer-secret")
            .build()
            .unwrap(),
    ];
    let builders = [
        AzureConfig::builder().account_key(KEY),
        AzureConfig::builder()
            .sas_token(sas.as_str())
            .bearer_token("bearer-secret"),
        AzureConfig::builder().endpoint(format!("https://h/?{sas}")),
        AzureConfig::builder()
            .connection_string(&format!("AccountName=acct;AccountKey={KEY}"))
            .unwrap(),
    ];
    let shown = format!("{configs:?} {builders:?}");
    for secret in [KEY, "secret-key-value", SIG, "bearer-secret"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(
        shown.contains("AccountKey(***)") && shown.contains("sig=***"),
        "{shown}"
    );
}
