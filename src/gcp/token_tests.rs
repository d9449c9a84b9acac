use super::*;
use crate::gcp::TEST_KEY_FILE;
use crate::http::header_map;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_write";

fn key() -> ServiceAccountKey {
    ServiceAccountKey::from_json(TEST_KEY_FILE.as_bytes()).unwrap()
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn resp(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: header_map([]),
        body: body.to_owned().into(),
    }
}

fn unb64(part: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap()
}

#[test]
fn the_jwt_is_rs256_over_header_and_claims_and_verifies() {
    let key = key();
    let jwt = jwt_assertion(&key, SCOPE, at(1_700_000_000)).unwrap();
    let parts: Vec<&str> = jwt.expose().split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(
        jwt.expose()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    );
    assert_eq!(unb64(parts[0]), br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims: Value = serde_json::from_slice(&unb64(parts[1])).unwrap();
    assert_eq!(
        claims,
        serde_json::json!({
            "iss": "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com",
            "scope": SCOPE,
            "aud": "https://oauth2.googleapis.com/token",
            "iat": 1_700_000_000u64,
            "exp": 1_700_003_600u64,
        })
    );
    let signed = format!("{}.{}", parts[0], parts[1]);
    let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.signer().public_key_der());
    assert!(public.verify(signed.as_bytes(), &unb64(parts[2])).is_ok());
    assert!(public.verify(b"tampered", &unb64(parts[2])).is_err());
    assert_eq!(format!("{jwt:?}"), "Secret(***)");
}

#[test]
fn bad_scopes_and_clocks_are_invalid_input() {
    let key = key();
    for scope in ["", "  ", "a\nb", "\"quote\"\u{1}"] {
        let e = jwt_assertion(&key, scope, at(1)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{scope:?}");
    }
    let before = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
    let e = jwt_assertion(&key, SCOPE, before).unwrap_err();
    assert!(e.to_string().contains("1970"), "{e}");
    // Two scopes, space-separated, are one claim.
    assert!(jwt_assertion(&key, "a b", at(1)).is_ok());
}

#[test]
fn the_token_request_posts_the_bearer_grant() {
    let key = key();
    let now = at(1_700_000_000);
    let r = service_account_request(&key, SCOPE, now).unwrap();
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.url, "https://oauth2.googleapis.com/token");
    assert!(r.idempotent);
    assert!(r.headers.contains(&("content-type".into(), FORM.into())));
    let jwt = jwt_assertion(&key, SCOPE, now).unwrap();
    let expected = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
        jwt.expose()
    );
    assert_eq!(std::str::from_utf8(&r.body).unwrap(), expected);
    let shown = format!("{r:?}");
    assert!(!shown.contains(&jwt.expose()[40..80]), "{shown}");
}

#[test]
fn the_refresh_request_carries_the_user_secrets_form_encoded() {
    let user = AuthorizedUser::from_json(
        br#"{"type": "authorized_user", "client_id": "123.apps.googleusercontent.com",
            "client_secret": "s&c=r t", "refresh_token": "1//0g+r/t"}"#,
    )
    .unwrap();
    let r = refresh_request(&user);
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.url, crate::gcp::DEFAULT_TOKEN_URI);
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        "grant_type=refresh_token&client_id=123.apps.googleusercontent.com\
         &client_secret=s%26c%3Dr%20t&refresh_token=1%2F%2F0g%2Br%2Ft"
    );
    assert!(!format!("{r:?}").contains("0g"));
}

#[test]
fn the_metadata_request_asks_with_the_flavor_header() {
    let r = metadata_token_request(crate::gcp::METADATA_HOST).unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.url,
        "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
    );
    assert_eq!(r.headers, vec![("metadata-flavor".into(), "Google".into())]);
    let local = metadata_token_request("127.0.0.1:8080").unwrap();
    assert!(
        local
            .url
            .starts_with("http://127.0.0.1:8080/computeMetadata/")
    );
    assert!(metadata_token_request("[::1]:80").is_ok());
    for bad in ["", "a/b", "user@host", "h?x", "h#", "h\r\nX: y", "h o"] {
        let e = metadata_token_request(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
}

const OK: &str =
    r#"{"access_token":"ya29.very-secret-token","expires_in":3599,"token_type":"Bearer"}"#;

#[test]
fn good_answers_give_the_token_and_its_expiry() {
    let now = at(1_700_000_000);
    let t = parse_token(&resp(200, OK), "service account key", now).unwrap();
    assert_eq!(t.token.expose(), "ya29.very-secret-token");
    assert_eq!(t.expires, now + Duration::from_secs(3599));
    assert!(!format!("{t:?}").contains("very-secret"));
    // RFC 6749: the type is case-insensitive; unknown fields are ignored.
    let lower = OK.replace("\"Bearer\"", "\"bearer\", \"id_token\": \"x\"");
    assert!(parse_token(&resp(200, &lower), "s", now).is_ok());
}

#[test]
fn malformed_answers_are_parse_errors_that_never_quote_the_token() {
    let cases = [
        ("", "malformed JSON"),
        ("[]", "not a JSON object"),
        (
            r#"{"expires_in":3599,"token_type":"Bearer"}"#,
            "access_token is missing",
        ),
        (
            &OK.replace("\"ya29.very-secret-token\"", "\"\""),
            "access_token is empty",
        ),
        (
            &OK.replace("\"ya29.very-secret-token\"", "5"),
            "access_token is empty",
        ),
        (
            &OK.replace("ya29.very-secret-token", "ya29 very-secret"),
            "not visible ASCII",
        ),
        (
            &OK.replace("\"Bearer\"", "\"MAC\""),
            "token_type is not Bearer",
        ),
        (
            &OK.replace(",\"token_type\":\"Bearer\"", ""),
            "token_type is missing",
        ),
        (&OK.replace("3599", "0"), "expires_in is not"),
        (&OK.replace("3599", "-5"), "expires_in is not"),
        (&OK.replace("3599", "3599.5"), "expires_in is not"),
        (&OK.replace("3599", "\"3599\""), "expires_in is not"),
        (&OK.replace("3599", "99999999999"), "expires_in is not"),
        (
            &OK.replace("\"expires_in\":3599,", ""),
            "expires_in is missing",
        ),
    ];
    for (body, needle) in cases {
        let e = parse_token(&resp(200, body), "metadata server", at(1)).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert_eq!(e.kind(), ErrorKind::Parse, "{body}: {shown}");
        assert!(shown.contains(needle), "{needle:?} not in {shown}");
        assert!(shown.contains("token from metadata server"), "{shown}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}

#[test]
fn refusals_carry_the_servers_description() {
    let body = r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature.\n"}"#;
    let e = parse_token(&resp(400, body), "service account key", at(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.code(), Some("invalid_grant"));
    assert_eq!(e.status(), Some(400));
    assert_eq!(
        e.to_string(),
        "gcp: unauthorized: token from service account key refused: Invalid JWT Signature. \
         (HTTP 400, invalid_grant)"
    );
    // An error object with a 200 is still a refusal.
    let e = parse_token(&resp(200, body), "s", at(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    let long = format!(r#"{{"error":"{}"}}"#, "x".repeat(100));
    assert_eq!(
        parse_token(&resp(401, &long), "s", at(1))
            .unwrap_err()
            .code(),
        None
    );
    let kinds = [
        (404, "Not Found", ErrorKind::Unauthorized),
        (403, "", ErrorKind::Unauthorized),
        (429, "", ErrorKind::RateLimited),
        (503, "<html>", ErrorKind::Provider),
    ];
    for (status, body, kind) in kinds {
        let e = parse_token(&resp(status, body), "metadata server", at(1)).unwrap_err();
        assert_eq!((e.kind(), e.status()), (kind, Some(status)), "{e}");
    }
}

#[test]
fn tokens_are_refreshed_five_minutes_early() {
    let now = at(1_000_000);
    let t = AccessToken {
        token: "t".into(),
        expires: now + Duration::from_secs(3600),
    };
    assert_eq!(t.freshness(now), Freshness::Fresh);
    let early = t.expires - REFRESH_EARLY;
    assert_eq!(
        t.freshness(early - Duration::from_secs(1)),
        Freshness::Fresh
    );
    assert_eq!(t.freshness(early), Freshness::RefreshEarly);
    assert_eq!(t.freshness(t.expires), Freshness::Expired);
    assert_eq!(t.authorization().expose(), "Bearer t");
}
