// Cloudflare beyond the conformance cases, on the in-process fake: pages checked against
// result_info, a 200 saying success false, 429 with Retry-After, faults, the token never
// shown. Included by `tests/dns.rs` once per mode.

mod cloudflare_driver {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::common::cloudflare_fake::{ACCOUNT, CfFake, Fault};
    use multicloud::dns::cloudflare::CloudflareConfig;
    use multicloud::http::TransportConfig;
    use multicloud::retry::RetryPolicy;
    use serde_json::{Value, json};

    const TOKEN: &str = "cf-token-HUNTER2";
    const RECORD: &str = "372e67954025e0ba6aaa6d586b9e0b59";

    fn driver(fake: &CfFake, token: &str, transport: TransportConfig) -> mc::dns::Cloudflare {
        let cfg = CloudflareConfig::builder()
            .token(token)
            .account_id(ACCOUNT)
            .endpoint(fake.api())
            .build()
            .unwrap();
        mc::dns::Cloudflare::with_transport(cfg, transport).unwrap()
    }

    /// Retries with short backoffs (a server's Retry-After still wins).
    fn quick() -> TransportConfig {
        TransportConfig::default().retry(RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
    }

    /// A listing's envelope holding `items` as page `page` of `total_pages`.
    fn page_of(items: &[Value], page: u32, per_page: u32, total_pages: u32) -> Value {
        json!({ "success": true, "errors": [], "messages": [], "result": items,
            "result_info": { "page": page, "per_page": per_page, "count": items.len(),
                             "total_count": 99, "total_pages": total_pages } })
    }

    fn failed(code: i64) -> Value {
        json!({ "success": false, "errors": [{ "code": code, "message": "refused" }],
                "messages": [], "result": null })
    }

    fn list_requests(fake: &CfFake) -> Vec<String> {
        let log = fake.requests();
        let lists = log
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with("/dns_records"));
        lists.map(|r| r.query.clone()).collect()
    }

    #[maybe_async]
    async fn zone_with_records(d: &mc::dns::Cloudflare, n: usize) -> multicloud::dns::Zone {
        let zone = d.create_zone(&NewZone::new(unique_domain())).await.unwrap();
        for i in 0..n {
            let spec = NewRecord::new(format!("h{i}"), a(&format!("192.0.2.{}", i + 1)));
            d.create_record(&zone.id, &spec).await.unwrap();
        }
        zone
    }

    #[maybe_async]
    #[mode_test]
    async fn cloudflare_pages_follow_result_info_and_a_repeated_page_is_an_error() {
        let fake = CfFake::start(TOKEN);
        let d = driver(&fake, TOKEN, quick());
        let zone = zone_with_records(&d, 12).await;
        let first = d.list_records_page(&zone.id, None, 5).await.unwrap();
        assert_eq!(
            (first.items.len(), first.next_token.as_deref()),
            (5, Some("2"))
        );
        let third = d.list_records_page(&zone.id, Some("3"), 5).await.unwrap();
        assert_eq!((third.items.len(), third.next_token), (2, None));
        assert!(list_requests(&fake).contains(&"page=3&per_page=5".to_string()));
        let whole = d.list_records(&zone.id).await.unwrap();
        assert_eq!(whole.len(), 12);
        let stored = fake.records(&zone.id);
        // Page 2 answered as page 1 again: an error, not a loop.
        fake.answer_next(200, page_of(&stored[..5], 1, 1000, 3), 2);
        let before = list_requests(&fake).len();
        let e = d.list_records(&zone.id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        assert_eq!(list_requests(&fake).len(), before + 2);
        // A page beyond total_pages.
        fake.answer_next(200, page_of(&stored[..1], 2, 5, 1), 1);
        let e = d
            .list_records_page(&zone.id, Some("2"), 5)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        // A page claiming more pages but holding nothing.
        fake.answer_next(200, page_of(&[], 1, 5, 4), 1);
        let e = d.list_records_page(&zone.id, None, 5).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
    }

    #[maybe_async]
    #[mode_test]
    async fn cloudflare_success_false_with_a_200_is_a_typed_error() {
        let fake = CfFake::start(TOKEN);
        let d = driver(&fake, TOKEN, quick());
        let zone = zone_with_records(&d, 0).await;
        let www = NewRecord::new("www", a("192.0.2.1"));
        fake.answer_next(200, failed(81044), 1);
        let e = d.get_record(&zone.id, RECORD).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::NotFound, Some("81044")),
            "{e}"
        );
        fake.answer_next(200, failed(1061), 1);
        let e = d
            .create_zone(&NewZone::new(unique_domain()))
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::AlreadyExists, Some("1061")),
            "{e}"
        );
        fake.answer_next(200, failed(9005), 1);
        let e = d.create_record(&zone.id, &www).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::InvalidInput, Some("9005")),
            "{e}"
        );
        fake.answer_next(200, failed(10000), 1);
        let e = d.list_zones().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        let silent = json!({ "success": false, "errors": [], "result": null });
        fake.answer_next(200, silent, 1);
        let e = d.get_zone(&zone.id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        assert!(fake.records(&zone.id).is_empty());
    }

    #[maybe_async]
    #[mode_test]
    async fn cloudflare_429_waits_for_retry_after_then_succeeds() {
        let fake = CfFake::start(TOKEN);
        let d = driver(&fake, TOKEN, quick());
        fake.fail_next(Fault::RateLimited { retry_after: 1 }, 1);
        let started = Instant::now();
        d.list_zones().await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(fake.requests().len(), 2);
        let once = driver(
            &fake,
            TOKEN,
            TransportConfig::default().retry(RetryPolicy::never()),
        );
        fake.fail_next(Fault::RateLimited { retry_after: 7 }, 1);
        let e = once.list_zones().await.unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::RateLimited, Some("971")),
            "{e}"
        );
        assert!(e.to_string().contains("retry after 7"), "{e}");
    }

    #[maybe_async]
    #[mode_test]
    async fn cloudflare_faults_are_retried_or_typed_errors() {
        let fake = CfFake::start(TOKEN);
        let d = driver(&fake, TOKEN, quick());
        let zone = zone_with_records(&d, 1).await;
        for fault in [Fault::ServerError, Fault::Truncated, Fault::Reset] {
            fake.fail_next(fault, 1);
            let got = d.get_zone(&zone.id).await.unwrap();
            assert_eq!(got.id, zone.id, "{fault:?}");
        }
        fake.fail_next(Fault::CutJson, 1);
        let e = d.get_zone(&zone.id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        fake.fail_next(Fault::ServerError, 4);
        let e = d.list_records(&zone.id).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::Provider, Some(500)),
            "{e}"
        );
        // A POST cut off is not repeated: no record is made twice.
        fake.fail_next(Fault::Reset, 1);
        let www = NewRecord::new("www", a("192.0.2.80"));
        let e = d.create_record(&zone.id, &www).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert_eq!(fake.records(&zone.id).len(), 1);
    }

    #[maybe_async]
    #[mode_test]
    async fn cloudflare_answers_about_elsewhere_are_parse_errors() {
        let fake = CfFake::start(TOKEN);
        let d = driver(&fake, TOKEN, quick());
        let zone = zone_with_records(&d, 1).await;
        let stored = fake.records(&zone.id).remove(0);
        let id = stored["id"].as_str().unwrap().to_string();
        let envelope =
            |r: Value| json!({ "success": true, "errors": [], "messages": [], "result": r });
        let mut moved = stored.clone();
        moved["zone_id"] = json!(ACCOUNT);
        let mut outside = stored.clone();
        outside["name"] = json!("h0.example.org");
        let mut other = stored;
        other["id"] = json!(RECORD);
        for hostile in [moved, outside, other] {
            fake.answer_next(200, envelope(hostile), 1);
            let e = d.get_record(&zone.id, &id).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
        }
    }

    #[maybe_async]
    #[mode_test]
    async fn cloudflare_zones_are_found_by_name_in_one_request() {
        let fake = CfFake::start(TOKEN);
        let d = driver(&fake, TOKEN, quick());
        let zone = zone_with_records(&d, 0).await;
        let before = fake.requests().len();
        let found = d.find_zone(&zone.domain.to_uppercase()).await.unwrap();
        assert_eq!(found.id, zone.id);
        let asked = &fake.requests()[before..];
        assert_eq!(asked.len(), 1);
        let want = format!("name={}&page=1&per_page=50", zone.domain);
        assert_eq!(asked[0].query, want);
    }

    #[maybe_async]
    #[mode_test]
    async fn cloudflare_token_is_never_shown() {
        let fake = CfFake::start("cf-right-token");
        let d = driver(&fake, TOKEN, quick());
        let e = d.list_zones().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        let shown = format!("{e} {e:?} {d:?} {:?}", d.config());
        assert!(!shown.contains("HUNTER2"), "{shown}");
        let sent = fake.requests().remove(0).authorization;
        assert_eq!(sent.as_deref(), Some("Bearer cf-token-HUNTER2"));
    }
}
