//! The Cloudflare fake proves itself: its answers are checked here with a plain HTTP
//! client (ureq) before the driver relies on them. Each test starts its own fake.

mod common;

use common::cloudflare_fake::{ACCOUNT, CfFake, Fault};
use serde_json::{Value, json};

const TOKEN: &str = "cf-fake-token";

/// A client that sends the bearer token (when set) and reads every status as an answer.
struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    fn new(fake: &CfFake) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let token = Some(TOKEN.into());
        Client {
            agent,
            base: fake.api(),
            token,
        }
    }

    /// Sends `method path` with an optional JSON body: (status, retry-after, body).
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Option<String>, Value) {
        let uri = format!("{}{path}", self.base);
        let mut req = http::Request::builder().method(method).uri(uri);
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let req = req
            .header("content-type", "application/json")
            .body(text)
            .unwrap();
        let mut resp = self.agent.run(req).expect("answered");
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let text = resp.body_mut().read_to_string().unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (resp.status().as_u16(), retry, json)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, b) = self.call("GET", path, None);
        (s, b)
    }
}

fn codes(body: &Value) -> Vec<i64> {
    let errors = body["errors"].as_array().unwrap();
    errors.iter().map(|e| e["code"].as_i64().unwrap()).collect()
}

fn zone(c: &Client, name: &str) -> String {
    let body = json!({ "name": name, "account": { "id": ACCOUNT } });
    let (s, _, z) = c.call("POST", "/zones", Some(body));
    assert_eq!((s, &z["success"]), (200, &json!(true)), "{z}");
    z["result"]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_missing_or_wrong_token_is_refused_with_cloudflare_codes() {
    let fake = CfFake::start(TOKEN);
    let mut c = Client::new(&fake);
    c.token = None;
    let (s, body) = c.get("/zones");
    assert_eq!((s, codes(&body)), (400, vec![9106]));
    assert_eq!(body["success"], false);
    c.token = Some("other".into());
    assert_eq!(c.get("/zones").0, 403);
    assert_eq!(codes(&c.get("/zones").1), vec![10000]);
    c.token = Some(TOKEN.into());
    assert_eq!(c.get("/zones").0, 200);
    assert_eq!(fake.requests()[0].authorization, None);
}

#[test]
fn zones_are_created_paged_by_result_info_and_deleted() {
    let fake = CfFake::start(TOKEN);
    let c = Client::new(&fake);
    let ids: Vec<String> = (0..7)
        .map(|i| zone(&c, &format!("z{i}.example.com")))
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
    );
    let (s, _, dup) = c.call(
        "POST",
        "/zones",
        Some(json!({ "name": "z0.example.com", "account": { "id": ACCOUNT } })),
    );
    assert_eq!((s, codes(&dup)), (400, vec![1061]));
    let (_, first) = c.get("/zones?page=1&per_page=5");
    let info = &first["result_info"];
    assert_eq!(
        info,
        &json!({ "page": 1, "per_page": 5, "count": 5, "total_count": 7, "total_pages": 2 })
    );
    let (_, second) = c.get("/zones?page=2&per_page=5");
    assert_eq!(second["result"].as_array().unwrap().len(), 2);
    let (_, beyond) = c.get("/zones?page=3&per_page=5");
    assert_eq!(
        (
            beyond["result"].as_array().unwrap().len(),
            &beyond["result_info"]["page"]
        ),
        (0, &json!(3))
    );
    let (s, _, gone) = c.call("DELETE", &format!("/zones/{}", ids[0]), None);
    assert_eq!((s, &gone["result"]), (200, &json!({ "id": ids[0] })));
    let (s, missing) = c.get(&format!("/zones/{}", ids[0]));
    assert_eq!((s, codes(&missing)), (400, vec![7003, 7000]));
}

#[test]
fn records_keep_cloudflare_shapes_and_errors() {
    let fake = CfFake::start(TOKEN);
    let c = Client::new(&fake);
    let z = zone(&c, "example.com");
    let path = format!("/zones/{z}/dns_records");
    let srv = json!({ "type": "SRV", "name": "_sip._tcp", "ttl": 300,
        "data": { "priority": 10, "weight": 5, "port": 5060, "target": "sip.example.com" } });
    let (s, _, made) = c.call("POST", &path, Some(srv.clone()));
    assert_eq!(s, 200, "{made}");
    let r = &made["result"];
    assert_eq!(
        (&r["name"], &r["content"], &r["priority"]),
        (
            &json!("_sip._tcp.example.com"),
            &json!("5 5060 sip.example.com"),
            &json!(10)
        )
    );
    assert_eq!(r["zone_id"], z.as_str());
    let (s, _, dup) = c.call("POST", &path, Some(srv));
    assert_eq!((s, codes(&dup)), (400, vec![81058]));
    let (s, _, bad) = c.call(
        "POST",
        &path,
        Some(json!({ "type": "A", "name": "www", "content": "x" })),
    );
    assert_eq!((s, codes(&bad)), (400, vec![9005]));
    let id = r["id"].as_str().unwrap();
    let patch = json!({ "ttl": 600 });
    let (s, _, p) = c.call("PATCH", &format!("{path}/{id}"), Some(patch));
    assert_eq!(
        (s, &p["result"]["ttl"], &p["result"]["data"]["port"]),
        (200, &json!(600), &json!(5060))
    );
    let (s, _, del) = c.call("DELETE", &format!("{path}/{id}"), None);
    assert_eq!((s, &del["result"]["id"]), (200, &json!(id)));
    let (s, missing) = c.get(&format!("{path}/{id}"));
    assert_eq!((s, codes(&missing)), (404, vec![81044]));
}

#[test]
fn fault_switches_answer_as_configured() {
    let fake = CfFake::start(TOKEN);
    let c = Client::new(&fake);
    fake.fail_next(Fault::RateLimited { retry_after: 2 }, 1);
    fake.fail_next(Fault::ServerError, 1);
    let (s, retry, body) = c.call("GET", "/zones", None);
    assert_eq!(
        (s, retry.as_deref(), codes(&body)),
        (429, Some("2"), vec![971])
    );
    let (s, body) = c.get("/zones");
    assert_eq!((s, body["success"].clone()), (500, json!(false)));
    fake.answer_next(200, json!({ "success": false, "errors": [{ "code": 1004, "message": "DNS Validation Error" }] }), 1);
    let (s, body) = c.get("/zones");
    assert_eq!((s, codes(&body)), (200, vec![1004]));
    assert_eq!(c.get("/zones").0, 200);
}
