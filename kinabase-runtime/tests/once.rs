//! Exactly-once creates against the emulator behind a proxy that loses every other
//! answer after the emulator processed the request, plus injected `5xx`s.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use kinabase_emulator::{Account, Emulator, EmulatorConfig, FaultRule};
use kinabase_runtime::{Client, RetryPolicy};
use serde_json::{Map, Value, json};
use support::Flaky;

fn demo() -> Account {
    Account::demo().unwrap()
}

fn client(base: &str, emu: &Emulator) -> Client {
    Client::builder()
        .base_url(base)
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(50),
        })
        .rate_budget(None)
        .build()
        .unwrap()
}

fn supplier(name: &str) -> Map<String, Value> {
    json!({ "name": name }).as_object().unwrap().clone()
}

/// How many suppliers carry each name, read straight from the emulator.
fn names(emu: &Emulator) -> BTreeMap<String, usize> {
    let direct = client(emu.base_url(), emu);
    let mut out = BTreeMap::new();
    for r in direct.untyped("suppliers").all().unwrap() {
        if let Some(Value::String(n)) = r.fields.get("name") {
            *out.entry(n.clone()).or_default() += 1;
        }
    }
    out
}

/// An emulator, the proxy that loses every other answer in front of it, and a client
/// that talks through the proxy.
fn behind_a_flaky_proxy() -> (Emulator, Flaky, Client) {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let port = emu.base_url().split(':').nth(2).unwrap();
    let flaky = Flaky::start(port.split('/').next().unwrap().parse().unwrap());
    let c = client(&flaky.base_url(), &emu);
    (emu, flaky, c)
}

#[test]
fn single_creates_end_exactly_once_under_lost_answers_and_5xx() {
    let (emu, flaky, c) = behind_a_flaky_proxy();
    let suppliers = c.untyped("suppliers");
    let n = 20;
    for i in 0..n {
        if i % 3 == 0 {
            emu.inject(
                FaultRule::fail(503)
                    .on_method("POST")
                    .on_path("/collections/suppliers"),
            );
        }
        let r = suppliers
            .create_once(&supplier(&format!("EO-{i}")))
            .unwrap();
        assert_eq!(r.fields.get("name"), Some(&json!(format!("EO-{i}"))));
    }
    assert!(
        flaky.lost.load(std::sync::atomic::Ordering::SeqCst) >= n / 2,
        "answers were lost"
    );
    let names = names(&emu);
    for i in 0..n {
        assert_eq!(names.get(&format!("EO-{i}")), Some(&1), "EO-{i}");
    }

    // A naive create under the same conditions duplicates or fails: the control case.
    let mut naive_failures = 0;
    for i in 0..4 {
        if suppliers.create(&supplier(&format!("NAIVE-{i}"))).is_err() {
            naive_failures += 1;
        }
    }
    assert!(
        naive_failures > 0,
        "the proxy does lose answers of plain creates"
    );

    // The caller's own key: a second call returns the first record, creates nothing.
    let key = "order-import-42";
    let first = suppliers
        .create_once_with_key(key, &supplier("KEYED"))
        .unwrap();
    let again = suppliers
        .create_once_with_key(key, &supplier("KEYED"))
        .unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(self::names(&emu).get("KEYED"), Some(&1));
}

#[test]
fn a_350_record_bulk_create_ends_exactly_once() {
    let (emu, flaky, c) = behind_a_flaky_proxy();
    emu.inject(FaultRule::fail(502).on_method("POST").on_path("/bulk"));
    let items: Vec<_> = (0..350).map(|i| supplier(&format!("BULK-{i}"))).collect();
    let report = c.untyped("suppliers").bulk_create_once(&items);
    let failures: Vec<_> = report
        .failures()
        .map(|(i, e)| format!("{i}: {e}"))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(report.created(), 350);
    assert!(
        flaky.lost.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "answers were lost"
    );
    assert_eq!(report.chunks.len(), 2);
    assert!(
        report.chunks.iter().any(|(_, rounds)| *rounds > 1),
        "{:?}",
        report.chunks
    );
    let names = names(&emu);
    for i in 0..350 {
        assert_eq!(names.get(&format!("BULK-{i}")), Some(&1), "BULK-{i}");
    }
}
