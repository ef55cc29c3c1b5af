//! The emulator over real HTTP on loopback: every endpoint, status, limit and fault.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{
    Account, BulkResponse, Emulator, EmulatorConfig, FaultRule, ListingForm, RateLimit, RecordShape,
};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

fn demo() -> Account {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/accounts/field-service.json"
    );
    Account::load(path.as_ref()).expect("demo account loads")
}

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

struct Api {
    emu: Emulator,
    http: Client,
    token: String,
}

impl Api {
    fn start(account: Account, config: EmulatorConfig) -> Api {
        let emu = Emulator::start(account, config).expect("emulator starts");
        let http = client();
        let token = fetch_token(&http, &emu);
        Api { emu, http, token }
    }

    fn demo() -> Api {
        Api::start(demo(), EmulatorConfig::unlimited())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path)
    }

    fn get(&self, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .expect("GET")
    }

    fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .expect("send")
    }

    fn json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().expect("json")
    }
}

fn fetch_token(http: &Client, emu: &Emulator) -> String {
    let r = http
        .post(format!("{}token", emu.base_url()))
        .json(&json!({"appId": emu.app_id(), "secret": emu.app_secret(), "appSecret": emu.app_secret()}))
        .send()
        .expect("token");
    assert_eq!(r.status(), 200);
    r.json::<Value>().expect("json")["token"]
        .as_str()
        .expect("token string")
        .to_string()
}

fn error_of(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let v: Value = r.json().expect("error body is JSON");
    (
        status,
        v["error"].as_str().expect("{\"error\": ...}").to_string(),
    )
}

#[test]
fn token_accepts_either_secret_key_and_refuses_bad_credentials() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let http = client();
    let url = format!("{}token", emu.base_url());
    for key in ["secret", "appSecret"] {
        let r = http
            .post(&url)
            .json(&json!({"appId": emu.app_id(), key: emu.app_secret()}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "secret under {key}");
        let token = r.json::<Value>().unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(token.split('.').count(), 3, "a JWT");
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap();
        let claims: Value = serde_json::from_slice(&payload).unwrap();
        for claim in ["exp", "appid", "tntid", "jti", "aud"] {
            assert!(claims.get(claim).is_some(), "claim {claim}");
        }
    }
    let r = http
        .post(&url)
        .json(&json!({"appId": emu.app_id(), "secret": "wrong"}))
        .send()
        .unwrap();
    assert_eq!(error_of(r).0, 401);
    let r = http.post(&url).body("not json").send().unwrap();
    assert_eq!(error_of(r).0, 400);
    let r = http
        .post(&url)
        .json(&json!({"appId": emu.app_id()}))
        .send()
        .unwrap();
    assert_eq!(error_of(r).0, 400);
}

#[test]
fn status_needs_a_good_token_and_tokens_expire_and_revoke() {
    let config = EmulatorConfig {
        token_lifetime: Duration::from_millis(1200),
        ..EmulatorConfig::unlimited()
    };
    let api = Api::start(demo(), config);
    assert_eq!(api.get("status").status(), 200);
    let r = api.http.get(api.url("status")).send().unwrap();
    assert_eq!(error_of(r).0, 401, "missing token");
    let r = api
        .http
        .get(api.url("status"))
        .bearer_auth("abc.def.ghi")
        .send()
        .unwrap();
    assert_eq!(error_of(r).0, 401, "malformed token");
    std::thread::sleep(Duration::from_millis(1300));
    let (status, msg) = error_of(api.get("status"));
    assert_eq!(status, 401);
    assert!(msg.contains("expired"), "{msg}");

    let api = Api::demo();
    assert_eq!(api.get("collections").status(), 200);
    api.emu.revoke_tokens();
    let (status, msg) = error_of(api.get("collections"));
    assert_eq!((status, msg.contains("revoked")), (401, true));
    let fresh = fetch_token(&api.http, &api.emu);
    let r = api
        .http
        .get(api.url("status"))
        .bearer_auth(fresh)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "tokens issued after a revocation work");
}

#[test]
fn collections_listing_in_each_form_and_with_hidden_fields() {
    let api = Api::demo();
    let bare = api.json("collections");
    let items = bare.as_array().expect("bare array by default");
    assert_eq!(items.len(), 6);
    assert_eq!(items[4]["slug"], "jobs");
    assert!(
        items[4]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "jobTitle")
    );

    api.emu.set_listing_form(ListingForm::Wrapped);
    assert_eq!(
        api.json("collections")["collections"]
            .as_array()
            .unwrap()
            .len(),
        6
    );

    api.emu.set_listing_form(ListingForm::Paged);
    let p0 = api.json("collections?pageIndex=0&pageSize=4");
    assert_eq!(
        (
            p0["totalRecords"].as_u64(),
            p0["records"].as_array().unwrap().len()
        ),
        (Some(6), 4)
    );
    let p1 = api.json("collections?pageIndex=1&pageSize=4");
    assert_eq!(p1["records"].as_array().unwrap().len(), 2);

    api.emu.set_listing_form(ListingForm::BareArray);
    assert!(api.emu.set_hide_fields("jobs", true));
    let items = api.json("collections");
    assert!(items[4].get("fields").is_none(), "fields left out");
    assert!(items[0].get("fields").is_some());
}

#[test]
fn paging_limits_and_bad_values() {
    let account = synth::account(Size {
        collections: 1,
        fields: 3,
        records: 1234,
    });
    let api = Api::start(account, EmulatorConfig::unlimited());
    let p = api.json("collections/collection-0");
    assert_eq!(
        (
            p["pageSize"].as_u64(),
            p["records"].as_array().unwrap().len()
        ),
        (Some(10), 10),
        "default page size 10"
    );
    assert_eq!(p["totalRecords"], 1234);
    for size in [299, 300] {
        let p = api.json(&format!("collections/collection-0?pageSize={size}"));
        assert_eq!(p["records"].as_array().unwrap().len(), size);
    }
    let last = api.json("collections/collection-0?pageSize=300&pageIndex=4");
    assert_eq!(last["records"].as_array().unwrap().len(), 34);
    let beyond = api.json("collections/collection-0?pageSize=300&pageIndex=5");
    assert_eq!(beyond["records"].as_array().unwrap().len(), 0);
    for bad in [
        "pageSize=301",
        "pageSize=0",
        "pageSize=abc",
        "pageIndex=-1",
        "includeLists=maybe",
        "updatedAfter=yesterday",
    ] {
        let (status, msg) = error_of(api.get(&format!("collections/collection-0?{bad}")));
        assert_eq!(status, 400, "{bad}: {msg}");
    }
    // Every record exactly once across pages, in order.
    let mut seen = Vec::new();
    for i in 0..5 {
        let p = api.json(&format!(
            "collections/collection-0?pageSize=300&pageIndex={i}"
        ));
        seen.extend(
            p["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["numericId"].as_u64().unwrap()),
        );
    }
    assert_eq!(seen, (1..=1234).collect::<Vec<u64>>());
    let all = api.json("collections/collection-0/all");
    assert_eq!(all.as_array().unwrap().len(), 1234);
}

#[test]
fn crud_partial_update_and_null_clears() {
    let api = Api::demo();
    let customer = api.json("collections/customers?pageSize=1")["records"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"id": null, "numericId": null, "data": {"jobTitle": "Test job", "customer": {"id": customer}, "priority": "High", "quotedPrice": 120.5}, "external": null});
    let r = api.send(reqwest::Method::POST, "collections/jobs", &body);
    assert_eq!(r.status(), 200);
    let created: Value = r.json().unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["data"]["jobTitle"], "Test job");
    assert_eq!(created["numericId"], 151);
    assert!(
        created["createdAt"].as_str().unwrap().contains('/'),
        "dd/MM/yyyy timestamps"
    );

    let r = api.send(
        reqwest::Method::PATCH,
        &format!("collections/jobs/{id}"),
        &json!({"data": {"priority": "Low", "quotedPrice": null}}),
    );
    assert_eq!(r.status(), 200);
    let read = api.json(&format!("collections/jobs/{id}"));
    assert_eq!(read["data"]["priority"], "Low");
    assert_eq!(
        read["data"]["jobTitle"], "Test job",
        "unsent keys unchanged"
    );
    assert!(read["data"].get("quotedPrice").is_none(), "null clears");

    // By slug or by id.
    assert_eq!(api.get(&format!("collections/col_jobs/{id}")).status(), 200);
    let r = api
        .http
        .delete(api.url(&format!("collections/jobs/{id}")))
        .bearer_auth(&api.token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "", "delete answers an empty body");
    assert_eq!(error_of(api.get(&format!("collections/jobs/{id}"))).0, 404);
    assert_eq!(error_of(api.get("collections/nope")).0, 404);
    assert_eq!(error_of(api.get("nothing-here")).0, 404);
}

#[test]
fn validation_messages_name_the_problem() {
    let api = Api::demo();
    let customer = api.json("collections/customers?pageSize=1")["records"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = || json!({"jobTitle": "X", "customer": {"id": customer.clone()}});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"JobTitle": "X", "customer": {"id": customer.clone()}}),
            "did you mean \"jobTitle\"",
        ),
        (json!({"jobTitel": "X"}), "unknown field key \"jobTitel\""),
        (
            {
                let mut d = base();
                d["quotedPrice"] = json!([1]);
                d
            },
            "expected a number",
        ),
        (
            {
                let mut d = base();
                d["priority"] = json!("Critical");
                d
            },
            "not an option",
        ),
        (
            {
                let mut d = base();
                d["reference"] = json!("JOB-1");
                d
            },
            "cannot be written",
        ),
        (
            {
                let mut d = base();
                d["customer"] = json!({"id": "missing"});
                d
            },
            "does not exist",
        ),
        (json!({"priority": "Low"}), "required field(s) missing"),
        (
            {
                let mut d = base();
                d["scheduledFor"] = json!("tomorrow");
                d
            },
            "expected a date",
        ),
    ];
    for (data, expected) in cases {
        let (status, msg) = error_of(api.send(
            reqwest::Method::POST,
            "collections/jobs",
            &json!({"data": data}),
        ));
        assert_eq!(status, 400);
        assert!(
            msg.contains(expected),
            "{msg:?} should contain {expected:?}"
        );
    }
    let (status, msg) = error_of(api.send(reqwest::Method::POST, "collections/jobs", &json!([1])));
    assert_eq!((status, msg.contains("record object")), (400, true));
    assert_eq!(
        api.emu.record_count("jobs"),
        Some(150),
        "nothing written by refused calls"
    );
}

#[test]
fn bulk_calls_up_to_300_and_all_or_nothing() {
    let api = Api::demo();
    let supplier = api.json("collections/suppliers?pageSize=1")["records"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let make = |n: usize| -> Value {
        json!({"records": (0..n).map(|i| json!({"data": {"poNumber": format!("B-{i}"), "supplier": {"id": supplier}}})).collect::<Vec<_>>()})
    };
    let r = api.send(
        reqwest::Method::POST,
        "collections/purchase-orders/bulk",
        &make(300),
    );
    assert_eq!(r.status(), 200);
    let written: Value = r.json().unwrap();
    let ids: Vec<String> = written["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 300);
    assert_eq!(api.emu.record_count("purchase-orders"), Some(380));
    let (status, msg) = error_of(api.send(
        reqwest::Method::POST,
        "collections/purchase-orders/bulk",
        &make(301),
    ));
    assert_eq!(status, 400, "{msg}");
    assert_eq!(api.emu.record_count("purchase-orders"), Some(380));

    let mut bad = make(3);
    bad["records"][2]["data"]["status"] = json!("Lost");
    let (status, msg) = error_of(api.send(
        reqwest::Method::POST,
        "collections/purchase-orders/bulk",
        &bad,
    ));
    assert_eq!(status, 400);
    assert!(msg.starts_with("records[2]"), "{msg}");
    assert_eq!(
        api.emu.record_count("purchase-orders"),
        Some(380),
        "a refused bulk call writes nothing"
    );

    let updates = json!({"records": ids[..2].iter().map(|id| json!({"id": id, "data": {"status": "Sent"}})).collect::<Vec<_>>()});
    api.emu.set_bulk_response(BulkResponse::Empty);
    let r = api.send(
        reqwest::Method::PATCH,
        "collections/purchase-orders/bulk",
        &updates,
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "");
    assert_eq!(
        api.json(&format!("collections/purchase-orders/{}", ids[1]))["data"]["status"],
        "Sent"
    );

    let r = api.send(
        reqwest::Method::DELETE,
        "collections/purchase-orders/bulk",
        &json!({"recordIds": ids}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(api.emu.record_count("purchase-orders"), Some(80));
}

#[test]
fn external_ids_and_activities() {
    let api = Api::demo();
    let rec = api.json("collections/customers/ext/xero/CUST-0002");
    assert_eq!(rec["external"]["xero"], "CUST-0002");
    let id = rec["id"].as_str().unwrap().to_string();
    let r = api.send(
        reqwest::Method::PATCH,
        "collections/customers/ext/xero/CUST-0002",
        &json!({"data": {"rating": 5}}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        api.json(&format!("collections/customers/{id}"))["data"]["rating"],
        5
    );
    assert_eq!(
        error_of(api.get("collections/customers/ext/xero/NOPE")).0,
        404
    );

    let r = api.send(
        reqwest::Method::POST,
        &format!("activities/customers/{id}"),
        &json!({"content": "Called", "type": "call", "timestamp": "2024-03-01T10:00:00Z"}),
    );
    assert_eq!(r.status(), 200);
    let entries = api.json(&format!("activities/customers/{id}"));
    assert_eq!(entries[0]["content"], "Called");

    let r = api
        .http
        .delete(api.url("collections/customers/ext/xero/CUST-0002"))
        .bearer_auth(&api.token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        error_of(api.get(&format!("collections/customers/{id}"))).0,
        404
    );
}

#[test]
fn both_record_shapes_updated_after_and_include_lists() {
    let api = Api::demo();
    let nested = api.json("collections/jobs?pageSize=1&includeLists=true");
    let r = &nested["records"][0];
    assert!(
        r["data"]["checklist"].is_array(),
        "lists with includeLists=true"
    );
    let without = api.json("collections/jobs?pageSize=1");
    assert!(
        without["records"][0]["data"].get("checklist").is_none(),
        "no lists by default"
    );

    api.emu.set_record_shape("jobs", RecordShape::Flat);
    let flat = api.json("collections/jobs?pageSize=1");
    let r = &flat["records"][0];
    assert_eq!(r["recordId"], 1);
    assert!(r.get("data").is_none());
    assert!(r["jobTitle"].is_string());
    assert!(r["createdAt"].as_str().unwrap().ends_with("+00:00"));

    let all = api.json("collections/jobs?pageSize=300&updatedAfter=2024-01-01T02:00:00Z");
    assert_eq!(
        all["totalRecords"],
        150 - 120,
        "seed records are a minute apart from 2024-01-01T00:00Z"
    );
    let all = api.json("collections/jobs/all?updatedAfter=01/01/2024%2002:00:00%20%2B00:00");
    assert_eq!(
        all.as_array().unwrap().len(),
        30,
        "Kinabase's own timestamp format works too"
    );
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let config = EmulatorConfig {
        rate_limit: Some(RateLimit {
            requests: 5,
            per: Duration::from_secs(2),
        }),
        ..EmulatorConfig::unlimited()
    };
    let api = Api::start(demo(), config); // the token request is the first of five
    for _ in 0..4 {
        assert_eq!(api.get("status").status(), 200);
    }
    let r = api.get("status");
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    std::thread::sleep(Duration::from_secs(retry));
    assert_eq!(api.get("status").status(), 200);
}

#[test]
fn faults_fail_delay_drop_and_throttle() {
    let api = Api::demo();
    api.emu
        .inject(FaultRule::fail(503).times(2).on_method("GET"));
    assert_eq!(api.get("status").status(), 503);
    assert_eq!(api.get("status").status(), 503);
    assert_eq!(api.get("status").status(), 200);

    api.emu.set_delay(Duration::from_millis(300));
    let t = Instant::now();
    assert_eq!(api.get("status").status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    api.emu.set_delay(Duration::ZERO);

    // A dropped create, before and after the write: the client sees no answer either way.
    for (rule, name, count) in [
        (FaultRule::drop_connection(), "Dropped Ltd", 15),
        (FaultRule::drop_after_work(), "Applied Ltd", 16),
    ] {
        api.emu
            .inject(rule.on_method("POST").on_path("/collections/suppliers"));
        let result = api
            .http
            .post(api.url("collections/suppliers"))
            .bearer_auth(&api.token)
            .json(&json!({"data": {"name": name}}))
            .send()
            .and_then(|r| r.text());
        assert!(result.is_err(), "a broken exchange: {result:?}");
        assert_eq!(api.emu.record_count("suppliers"), Some(count), "{name}");
        let last = api.emu.request_log().last().unwrap().status;
        assert_eq!(last, 0, "logged as dropped");
    }

    api.emu.throttle_every(3);
    let statuses: Vec<u16> = (0..6)
        .map(|_| api.get("status").status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    api.emu.clear_faults();
    assert_eq!(api.get("status").status(), 200);
}

#[test]
fn concurrent_clients_lose_no_write() {
    let api = Arc::new(Api::demo());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let api = Arc::clone(&api);
            std::thread::spawn(move || {
                let mut created = 0;
                for i in 0..200 {
                    match i % 4 {
                        0 | 1 => {
                            let r = api.send(
                                reqwest::Method::POST,
                                "collections/suppliers",
                                &json!({"data": {"name": format!("T{t}-{i}")}}),
                            );
                            assert_eq!(r.status(), 200);
                            created += 1;
                        }
                        2 => assert_eq!(api.get("collections/suppliers?pageSize=50").status(), 200),
                        _ => assert_eq!(api.get("status").status(), 200),
                    }
                }
                created
            })
        })
        .collect();
    let created: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(created, 800);
    assert_eq!(api.emu.record_count("suppliers"), Some(15 + 800));
    let all = api.json("collections/suppliers/all");
    let ids: std::collections::BTreeSet<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 815, "every record id distinct");
    let names: std::collections::BTreeSet<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["data"]["name"].as_str())
        .filter(|n| n.starts_with('T'))
        .collect();
    assert_eq!(names.len(), 800, "every write present");
    let log = api.emu.request_log();
    assert!(log.len() >= 1600);
    assert!(log.iter().all(|e| e.status == 200));
}

#[test]
fn persistence_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.json");
    let config = EmulatorConfig {
        data_file: Some(file.clone()),
        ..EmulatorConfig::unlimited()
    };
    let id = {
        let api = Api::start(demo(), config.clone());
        let r = api.send(
            reqwest::Method::POST,
            "collections/suppliers",
            &json!({"data": {"name": "Persisted Ltd"}}),
        );
        r.json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(file.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left");
    let api = Api::start(demo(), config);
    assert_eq!(
        api.json(&format!("collections/suppliers/{id}"))["data"]["name"],
        "Persisted Ltd"
    );
}

#[test]
fn request_log_records_method_path_query_status() {
    let api = Api::demo();
    api.emu.clear_log();
    api.get("collections/jobs?pageSize=5");
    let log = api.emu.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].method.as_str(),
            log[0].path.as_str(),
            log[0].query.as_str(),
            log[0].status
        ),
        ("GET", "/api/v1/collections/jobs", "pageSize=5", 200)
    );
}

#[test]
fn fixture_problems_are_all_reported_with_paths() {
    let text = r#"{"collections": [
        {"id": "a", "name": "A", "slug": "a", "fields": [
            {"name": "Title", "type": "text"},
            {"name": "Title", "type": "text"},
            {"name": "Pick", "type": "select"},
            {"name": "Ref", "type": "link", "target": "nowhere"},
            {"name": 5, "type": "text"}
        ]},
        {"id": "a", "name": "B", "slug": "a"},
        {"id": "c", "slug": "c", "records": [{"data": 3}]}
    ]}"#;
    let err = Account::from_json(text).unwrap_err().to_string();
    assert!(err.contains("$.collections[0].fields[4].name"), "{err}");
    assert!(err.contains("$.collections[2].name"), "{err}");
    assert!(err.contains("$.collections[2].records[0].data"), "{err}");

    let text = r#"{"collections": [
        {"id": "a", "name": "A", "slug": "a", "fields": [
            {"name": "Title", "type": "text"},
            {"name": "Title", "type": "text"},
            {"name": "Pick", "type": "select"},
            {"name": "Ref", "type": "link", "target": "nowhere"}
        ], "records": [{"data": {"title": 5, "nope": 1}}]},
        {"id": "a", "name": "B", "slug": "a"}
    ]}"#;
    let err = Account::from_json(text).unwrap_err().to_string();
    for needle in [
        "$.collections[0].fields[1].key: duplicate wire key",
        "$.collections[0].fields[2].options",
        "$.collections[0].fields[3].target",
        "$.collections[1].id: duplicate collection id",
        "$.collections[1].slug: duplicate slug",
        "$.collections[0].records[0].data.title: expected a string",
        "$.collections[0].records[0].data.nope",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(
        Account::from_json("{not json")
            .unwrap_err()
            .to_string()
            .contains("line 1")
    );
}

#[test]
fn demo_fixture_uses_every_field_type() {
    let account = demo();
    let types: std::collections::BTreeSet<&str> = account
        .collections
        .iter()
        .flat_map(|c| c.fields.iter().map(|f| f.ty.as_str()))
        .collect();
    for ty in kinabase_emulator::account::FieldType::ALL
        .iter()
        .map(|t| t.as_str())
    {
        assert!(types.contains(ty), "demo account lacks a {ty} field");
    }
    let records: usize = account.collections.iter().map(|c| c.records.len()).sum();
    assert!((50..=500).contains(&records));
}

#[test]
fn the_default_configuration_enforces_the_documented_limit() {
    let api = Api::start(demo(), EmulatorConfig::default()); // the token request is the first of 100
    let statuses: Vec<u16> = (0..100)
        .map(|_| api.get("status").status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 99);
    assert_eq!(*statuses.last().unwrap(), 429);
}

#[test]
fn iso_timestamps_are_selectable() {
    let config = EmulatorConfig {
        timestamp_format: kinabase_emulator::TimestampFormat::Iso8601,
        ..EmulatorConfig::unlimited()
    };
    let api = Api::start(demo(), config);
    let page = api.json("collections/jobs?pageSize=1");
    let created = page["records"][0]["createdAt"].as_str().unwrap();
    assert_eq!(created, "2024-01-01T00:01:00Z");
}
