//! Property test: arbitrary status lines, headers and bodies, served by a hostile
//! loopback server to every kind of runtime call, blocking and async: no panic, and every
//! call ends.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use kinabase_runtime::{ListOptions, RetryPolicy};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use support::{Hostile, Reply, token_answer};

fn status_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (100u16..=599).prop_map(|s| format!("HTTP/1.1 {s} X")),
        prop::sample::select(vec![
            200u16, 201, 204, 301, 302, 307, 400, 401, 404, 429, 500, 503
        ])
        .prop_map(|s| format!("HTTP/1.1 {s} Odd")),
        "[ -~]{0,40}",
        Just("HTTP/1.1 99999 X".to_string()),
    ]
}

fn header() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        Just("1e20".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("NaN".to_string()),
        (0u64..1_000_000).prop_map(|n| n.to_string()),
        "[ -~]{0,12}",
    ];
    let name = prop::sample::select(vec![
        "Content-Length",
        "Retry-After",
        "Transfer-Encoding",
        "Location",
        "Content-Type",
        "Connection",
        "X-Other",
    ]);
    (name, number).prop_map(|(n, v)| format!("{n}: {v}"))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let big = || (0u64..u64::MAX).prop_map(|n| json!(n));
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "[ -~]{0,200}".prop_map(String::into_bytes),
        (big(), -1e300f64..1e300).prop_map(|(n, f)| {
            json!({"records": [{"id": n, "data": {"a": f}}], "totalRecords": f})
                .to_string()
                .into_bytes()
        }),
        big().prop_map(
            |n| json!({"token": format!("t{n}"), "records": [], "totalRecords": n})
                .to_string()
                .into_bytes()
        ),
        Just(
            br#"{"records": [{"id": "r", "data": null, "external": {"kinabase-rs": 5}}]}"#.to_vec()
        ),
        Just(br#"[{"id": 1}, "x", null]"#.to_vec()),
        Just(br#"{"error": "x", "errors": {"a": [1, "b"]}}"#.to_vec()),
    ]
}

fn response() -> impl Strategy<Value = Vec<u8>> {
    (
        status_line(),
        prop::collection::vec(header(), 0..4),
        body(),
        any::<bool>(),
    )
        .prop_map(|(status, headers, body, with_length)| {
            let mut raw = format!("{status}\r\n").into_bytes();
            for h in headers {
                raw.extend_from_slice(h.as_bytes());
                raw.extend_from_slice(b"\r\n");
            }
            if with_length {
                raw.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
            }
            raw.extend_from_slice(b"Connection: close\r\n\r\n");
            raw.extend_from_slice(&body);
            raw
        })
}

fn fields() -> Map<String, Value> {
    json!({"name": "x"}).as_object().unwrap().clone()
}

fn builder(base: &str) -> kinabase_runtime::ClientBuilder {
    support::client(base)
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .max_pages(3)
        .max_response_bytes(64 * 1024)
}

/// Every call kind once; results are ignored, only panics and hangs matter.
fn every_call(base: &str) {
    let c = builder(base).build().unwrap();
    let h = c.untyped("jobs");
    let _ = c.status();
    let _ = c.list_collections();
    let _ = h.page(0, &ListOptions::default());
    let _ = h.iter().take(2000).count();
    let _ = h
        .iter_with(ListOptions::default().prefetch(2))
        .take(2000)
        .count();
    let _ = h.all();
    let _ = h.get("r1");
    let _ = h.get_external("svc", "e1");
    let _ = h.create(&fields());
    let _ = h.create_once(&fields());
    let _ = h.update("r1", &fields());
    let _ = h.delete("r1");
    let _ = h.bulk_create(&[fields(), fields()]);
    let _ = h.bulk_create_once(&[fields(), fields()]);
    let _ = h.bulk_delete(&["a", "b"]);
    let _ = h.activities("r1");
}

/// The async client's reads, on a tokio runtime of their own.
fn every_async_read(base: &str) {
    use futures_util::StreamExt;
    let c = builder(base).build_async().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = c.untyped("jobs");
        let _ = c.status().await;
        let _ = h.stream().take(2000).count().await;
        let ahead = ListOptions::default().prefetch(2);
        let _ = h.stream_with(ahead).take(2000).count().await;
        if let Ok(all) = h.stream_all().await {
            let _ = all.take(2000).count().await;
        }
        let _ = h.all().await;
        let _ = h.get("r1").await;
        let _ = h.delete("r1").await;
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_answers_never_panic_or_hang(data in response(), token in response(), good_token in any::<bool>()) {
        let server = Hostile::start(move |r| {
            if r.path().ends_with("/token") && good_token {
                token_answer("tok-good")
            } else if r.path().ends_with("/token") {
                Reply::Raw(token.clone())
            } else {
                Reply::Raw(data.clone())
            }
        });
        let started = Instant::now();
        every_call(&server.base_url());
        every_async_read(&server.base_url());
        prop_assert!(started.elapsed() < Duration::from_secs(120), "{:?}", started.elapsed());
    }
}
