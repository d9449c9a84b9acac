// The Azure and GCS drivers with OAuth credentials: tokens fetched from an in-process
// token endpoint shaped as each provider documents, cached across calls, and sent to the
// real emulators.

mod cloud_auth {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::mc::storage::{Gcs, StorageDriver, UploadOptions};
    use super::{maybe_async, mode_test};
    use crate::common::cloud_env;
    use crate::common::fake_http::{FakeServer, respond};
    use crate::common::s3env::unique_prefix;
    use bytes::Bytes;
    use multicloud::ErrorKind;
    use multicloud::storage::gcs::GcsConfig;

    /// A token endpoint answering `token-N` for an hour, counting the requests.
    fn token_endpoint() -> (FakeServer, Arc<AtomicUsize>) {
        let asked = Arc::new(AtomicUsize::new(0));
        let count = asked.clone();
        let server = FakeServer::start_with_body(move |n, _, body, s| {
            count.fetch_add(1, Ordering::SeqCst);
            let body = String::from_utf8_lossy(body);
            if !body.starts_with("grant_type=") {
                respond(s, 400, "", br#"{"error":"invalid_request"}"#);
                return;
            }
            let answer = format!(
                r#"{{"access_token":"token-{n}","expires_in":3600,"token_type":"Bearer"}}"#
            );
            respond(
                s,
                200,
                "Content-Type: application/json\r\n",
                answer.as_bytes(),
            );
        });
        (server, asked)
    }

    fn service_account_file(token_uri: &str, dir: &std::path::Path) -> std::path::PathBuf {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/gcs-v4/test_service_account.not-a-test.json"
        );
        let mut key: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        key["token_uri"] = token_uri.into();
        let file = dir.join("key.json");
        std::fs::write(&file, key.to_string()).unwrap();
        file
    }

    #[maybe_async]
    #[mode_test]
    async fn gcs_with_a_service_account_key_gets_one_token_for_many_calls() {
        let (tokens, asked) = token_endpoint();
        let dir = tempfile::tempdir().unwrap();
        let key = service_account_file(&tokens.url("/token"), dir.path());
        let source = multicloud::gcp::Source::from_file(&key).unwrap();
        let config = GcsConfig::builder()
            .endpoint(cloud_env::gcs())
            .credentials(source)
            .project("test-project")
            .build()
            .unwrap();
        let gcs = Gcs::new(config).unwrap();
        let bucket = format!("{}-sa", unique_prefix());
        gcs.create_container(&bucket).await.unwrap();
        for i in 0..5 {
            let name = format!("o{i}");
            let data = Bytes::from(vec![i as u8; 100]);
            gcs.upload_bytes(&bucket, &name, data, &UploadOptions::new())
                .await
                .unwrap();
        }
        let listed = gcs.list_objects(&bucket, "").await.unwrap();
        assert_eq!(listed.len(), 5);
        assert_eq!(asked.load(Ordering::SeqCst), 1, "one token for every call");
        // The key can sign URLs too.
        let url = gcs.presign_get(&bucket, "o1", std::time::Duration::from_secs(60));
        assert!(url.unwrap().contains("X-Goog-Signature="));
    }

    #[maybe_async]
    #[mode_test]
    async fn gcs_reports_a_refused_token_as_unauthorized() {
        let tokens = FakeServer::start(|_, s| {
            respond(
                s,
                400,
                "Content-Type: application/json\r\n",
                br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
            )
        });
        let dir = tempfile::tempdir().unwrap();
        let key = service_account_file(&tokens.url("/token"), dir.path());
        let config = GcsConfig::builder()
            .endpoint(cloud_env::gcs())
            .credentials(multicloud::gcp::Source::from_file(&key).unwrap())
            .build()
            .unwrap();
        let gcs = Gcs::new(config).unwrap();
        let e = gcs.get_container("any-bucket").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        assert!(e.to_string().contains("Invalid JWT Signature"), "{e}");
    }

    /// One in-process server playing both Microsoft Entra (token requests) and a blob
    /// endpoint (HEAD of a blob), logging every request head.
    fn entra_and_blob_server() -> (FakeServer, Arc<std::sync::Mutex<Vec<String>>>) {
        let heads = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = heads.clone();
        let server = FakeServer::start_with_body(move |n, head, body, s| {
            log.lock().unwrap().push(head.to_ascii_lowercase());
            if head.starts_with("POST /tenant-7/oauth2/v2.0/token ") {
                let form = String::from_utf8_lossy(body);
                let status = match form.contains("client_secret=app-secret") {
                    true => 200,
                    false => 401,
                };
                let answer = format!(
                    r#"{{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"entra-{n}"}}"#
                );
                respond(
                    s,
                    status,
                    "Content-Type: application/json\r\n",
                    answer.as_bytes(),
                );
                return;
            }
            let headers = "content-md5: kAFQmDzST7DWlj99KOF/cg==\r\netag: \"0x8D1\"\r\n";
            respond(s, 200, headers, b"");
        });
        (server, heads)
    }

    #[maybe_async]
    #[mode_test]
    async fn azure_with_an_entra_client_secret_from_the_environment_sends_its_tokens() {
        use super::mc::storage::Azure;
        use multicloud::storage::azure::AzureConfig;
        let (server, heads) = entra_and_blob_server();
        let authority = server.url("");
        let env = move |name: &str| -> Option<std::ffi::OsString> {
            match name {
                "AZURE_TENANT_ID" => Some("tenant-7".into()),
                "AZURE_CLIENT_ID" => Some("app-7".into()),
                "AZURE_CLIENT_SECRET" => Some("app-secret".into()),
                "AZURE_AUTHORITY_HOST" => Some(authority.clone().into()),
                _ => None,
            }
        };
        let config = AzureConfig::builder()
            .account("acct")
            .endpoint(server.url("/acct"))
            .from_env_with(env)
            .unwrap()
            .build()
            .unwrap();
        assert!(!format!("{config:?}").contains("app-secret"));
        let azure = Azure::new(config).unwrap();
        for _ in 0..3 {
            let o = azure.get_object("cont", "k").await.unwrap();
            assert_eq!(o.size, 0);
        }
        let heads = heads.lock().unwrap().clone();
        assert_eq!(
            heads.len(),
            4,
            "one token request, three blob requests: {heads:?}"
        );
        assert!(heads[0].starts_with("post /tenant-7/oauth2/v2.0/token "));
        for head in &heads[1..] {
            assert!(head.starts_with("head /acct/cont/k "), "{head}");
            assert!(
                head.lines()
                    .any(|l| l.trim_end() == "authorization: bearer entra-0"),
                "{head}"
            );
        }
    }

    #[maybe_async]
    #[mode_test]
    async fn azure_reports_a_refused_client_secret_as_unauthorized() {
        use super::mc::storage::Azure;
        use multicloud::entra::ClientSecretCredential;
        use multicloud::storage::azure::AzureConfig;
        let (server, heads) = entra_and_blob_server();
        let app = ClientSecretCredential::new("tenant-7", "app-7", "wrong-secret")
            .unwrap()
            .with_authority(&server.url(""))
            .unwrap();
        let config = AzureConfig::builder()
            .account("acct")
            .endpoint(server.url("/acct"))
            .client_secret(app)
            .build()
            .unwrap();
        let e = Azure::new(config)
            .unwrap()
            .get_object("cont", "k")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        assert!(!e.to_string().contains("wrong-secret"), "{e}");
        let heads = heads.lock().unwrap().clone();
        assert_eq!(heads.len(), 1, "no blob request without a token: {heads:?}");
    }
}
