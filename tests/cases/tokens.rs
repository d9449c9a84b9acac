// OAuth token sources (Microsoft Entra client secrets; Google service accounts,
// authorized_user refresh tokens, the metadata server) against an in-process token
// endpoint that answers as each provider documents. Included once per mode by
// tests/transport.rs.

mod tokens {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, SystemTime};

    use super::mc::tokens::{TokenProvider, TokenSource};
    use super::{maybe_async, mode_test};
    use crate::common::fake_http::{FakeServer, respond};
    use multicloud::ErrorKind;
    use multicloud::entra::{ClientSecretCredential, STORAGE_SCOPE};

    /// Every request the token endpoint saw: (head, body).
    type Seen = Arc<Mutex<Vec<(String, String)>>>;

    /// A token endpoint answering `token-N` (N counts from 0) valid for an hour.
    fn token_endpoint() -> (FakeServer, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let server = FakeServer::start_with_body(move |n, head, body, s| {
            log.lock()
                .unwrap()
                .push((head.to_owned(), String::from_utf8_lossy(body).into_owned()));
            let answer = format!(
                r#"{{"token_type":"Bearer","expires_in":3600,"ext_expires_in":3600,"access_token":"token-{n}"}}"#
            );
            respond(
                s,
                200,
                "Content-Type: application/json\r\n",
                answer.as_bytes(),
            );
        });
        (server, seen)
    }

    /// A clock that starts now and moves only when told.
    fn manual_clock() -> (super::mc::aws::Clock, Arc<AtomicU64>) {
        let offset = Arc::new(AtomicU64::new(0));
        let start = SystemTime::now();
        let moved = offset.clone();
        let clock = Arc::new(move || start + Duration::from_secs(moved.load(Ordering::SeqCst)));
        (clock, offset)
    }

    fn entra(server: &FakeServer) -> TokenSource {
        let credential = ClientSecretCredential::new("tenant-1", "app-1", "s3cr&t")
            .unwrap()
            .with_authority(&server.url(""))
            .unwrap();
        TokenSource::Entra {
            credential: Arc::new(credential),
            scope: STORAGE_SCOPE.into(),
        }
    }

    #[maybe_async]
    async fn header(tokens: &TokenProvider) -> String {
        let got = tokens.authorization().await.unwrap().expect("a token");
        got.expose().to_owned()
    }

    #[maybe_async]
    #[mode_test]
    async fn entra_tokens_are_asked_as_documented_cached_and_refreshed() {
        let (server, seen) = token_endpoint();
        let (clock, offset) = manual_clock();
        let tokens = TokenProvider::new(entra(&server))
            .unwrap()
            .with_clock(clock);
        for _ in 0..3 {
            let got = header(&tokens).await;
            assert_eq!(got, "Bearer token-0");
        }
        assert_eq!(server.hits(), 1, "a fresh token is reused");
        {
            let seen = seen.lock().unwrap();
            let (head, body) = &seen[0];
            assert!(
                head.starts_with("POST /tenant-1/oauth2/v2.0/token HTTP/1.1"),
                "{head}"
            );
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: application/x-www-form-urlencoded"),
                "{head}"
            );
            assert_eq!(
                body,
                "grant_type=client_credentials&client_id=app-1&client_secret=s3cr%26t\
                 &scope=https%3A%2F%2Fstorage.azure.com%2F.default"
            );
        }
        // Five minutes before expiry the token is refreshed.
        offset.store(3600 - 200, Ordering::SeqCst);
        let got = header(&tokens).await;
        assert_eq!(got, "Bearer token-1");
        assert_eq!(server.hits(), 2);
    }

    #[maybe_async]
    #[mode_test]
    async fn a_failed_early_refresh_keeps_the_valid_token_and_an_expired_one_fails() {
        let answered = Arc::new(AtomicU64::new(0));
        let count = answered.clone();
        let server = FakeServer::start(move |n, s| {
            count.fetch_add(1, Ordering::SeqCst);
            match n {
                0 => respond(
                    s,
                    200,
                    "",
                    br#"{"token_type":"Bearer","expires_in":3600,"access_token":"first"}"#,
                ),
                _ => respond(
                    s,
                    401,
                    "Content-Type: application/json\r\n",
                    br#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired.","error_codes":[7000222]}"#,
                ),
            }
        });
        let (clock, offset) = manual_clock();
        let tokens = TokenProvider::new(entra(&server))
            .unwrap()
            .with_clock(clock);
        let got = header(&tokens).await;
        assert_eq!(got, "Bearer first");
        offset.store(3600 - 60, Ordering::SeqCst);
        let got = header(&tokens).await;
        assert_eq!(got, "Bearer first", "still valid for a minute");
        offset.store(3600, Ordering::SeqCst);
        let e = tokens.authorization().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        assert_eq!(e.provider(), Some("azure"));
        assert!(e.to_string().contains("AADSTS7000222"), "{e}");
        assert!(!e.to_string().contains("s3cr"), "{e}");
        assert_eq!(answered.load(Ordering::SeqCst), 3);
    }

    #[maybe_async]
    #[mode_test]
    async fn a_malformed_token_answer_is_a_parse_error() {
        let server = FakeServer::start(|_, s| respond(s, 200, "", br#"{"access_token": "#));
        let tokens = TokenProvider::new(entra(&server)).unwrap();
        let e = tokens.authorization().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }

    fn service_account(token_uri: &str) -> multicloud::gcp::Source {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/gcs-v4/test_service_account.not-a-test.json"
        );
        let mut key: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        key["token_uri"] = token_uri.into();
        multicloud::gcp::Source::from_json(key.to_string().as_bytes()).unwrap()
    }

    #[maybe_async]
    #[mode_test]
    async fn google_service_accounts_send_a_signed_jwt_assertion() {
        let (server, seen) = token_endpoint();
        let source = TokenSource::Google {
            source: service_account(&server.url("/token")),
            scope: "https://www.googleapis.com/auth/devstorage.read_write".into(),
        };
        let tokens = TokenProvider::new(source).unwrap();
        let got = header(&tokens).await;
        assert_eq!(got, "Bearer token-0");
        let got = header(&tokens).await;
        assert_eq!(got, "Bearer token-0");
        assert_eq!(server.hits(), 1);
        let seen = seen.lock().unwrap();
        let (head, body) = &seen[0];
        assert!(head.starts_with("POST /token HTTP/1.1"), "{head}");
        let assertion = body
            .strip_prefix(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=",
            )
            .expect(body);
        assert_eq!(assertion.split('.').count(), 3, "header.claims.signature");
    }

    #[maybe_async]
    #[mode_test]
    async fn google_refresh_tokens_and_the_metadata_server() {
        let (server, seen) = token_endpoint();
        let user = format!(
            r#"{{"type": "authorized_user", "client_id": "cid", "client_secret": "cs",
                "refresh_token": "rt", "token_uri": "{}"}}"#,
            server.url("/token")
        );
        let scope = String::from("s");
        let source = multicloud::gcp::Source::from_json(user.as_bytes()).unwrap();
        let tokens = TokenProvider::new(TokenSource::Google {
            source,
            scope: scope.clone(),
        })
        .unwrap();
        let got = header(&tokens).await;
        assert_eq!(got, "Bearer token-0");
        let metadata = multicloud::gcp::Source::MetadataServer {
            host: server.addr.to_string(),
        };
        let tokens = TokenProvider::new(TokenSource::Google {
            source: metadata,
            scope,
        })
        .unwrap();
        let got = header(&tokens).await;
        assert_eq!(got, "Bearer token-1");
        let seen = seen.lock().unwrap();
        assert!(
            seen[0]
                .1
                .starts_with("grant_type=refresh_token&client_id=cid&")
        );
        let (head, _) = &seen[1];
        assert!(
            head.starts_with(
                "GET /computeMetadata/v1/instance/service-accounts/default/token HTTP/1.1"
            ),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("metadata-flavor: google"),
            "{head}"
        );
    }

    #[maybe_async]
    #[mode_test]
    async fn fixed_and_anonymous_sources_send_nothing() {
        let anonymous = TokenProvider::new(TokenSource::Google {
            source: multicloud::gcp::Source::Anonymous,
            scope: "s".into(),
        })
        .unwrap();
        let none = anonymous.authorization().await.unwrap();
        assert!(none.is_none());
        let fixed = TokenProvider::new(TokenSource::Google {
            source: multicloud::gcp::Source::StaticToken("ya29.x".into()),
            scope: "s".into(),
        })
        .unwrap();
        let got = header(&fixed).await;
        assert_eq!(got, "Bearer ya29.x");
        assert!(!format!("{fixed:?}").contains("ya29"));
    }
}
