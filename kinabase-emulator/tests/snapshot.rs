//! Your own schema in the emulator: a snapshot served with generated records that are
//! type-correct, complete, linked to real records and the same for the same seed.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use kinabase_emulator::{Account, AccountError, Emulator, EmulatorConfig};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn demo_snapshot() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/field-service/kinabase.snapshot.json"
    ))
    .unwrap()
}

fn problems(e: AccountError) -> String {
    e.to_string()
}

#[test]
fn records_are_deterministic_by_seed_and_complete() {
    let text = demo_snapshot();
    let a = Account::from_snapshot(&text, 25, 7).unwrap();
    assert_eq!(a, Account::from_snapshot(&text, 25, 7).unwrap());
    assert_ne!(a, Account::from_snapshot(&text, 25, 8).unwrap());
    assert!(a.collections.iter().all(|c| c.records.len() == 25));
    for c in &a.collections {
        for r in &c.records {
            for f in &c.fields {
                let v = r.data.get(&f.wire_key().to_string());
                if f.required && f.writable() {
                    assert!(v.is_some(), "{}.{} is required", c.slug, f.name);
                }
                if let (Some(Value::String(s)), true) =
                    (v, matches!(f.ty.as_str(), "select" | "stage"))
                {
                    assert!(f.options.contains(s), "{s:?} is an option of {}", f.name);
                }
            }
        }
    }
    let empty = Account::from_snapshot(&text, 0, 1).unwrap();
    assert!(empty.collections.iter().all(|c| c.records.is_empty()));
}

#[test]
fn every_served_record_passes_the_emulators_own_validation_and_links_resolve() {
    let account = Account::from_snapshot(&demo_snapshot(), 30, 42).unwrap();
    let fields: Vec<_> = account
        .collections
        .iter()
        .map(|c| (c.slug.clone(), c.fields.clone()))
        .collect();
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let token: Value = http
        .post(format!("{}token", emu.base_url()))
        .json(&json!({"appId": emu.app_id(), "secret": emu.app_secret()}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let get = |path: &str| {
        http.get(format!("{}{path}", emu.base_url()))
            .bearer_auth(&token)
            .send()
            .unwrap()
    };
    let mut links = 0;
    for (slug, fields) in &fields {
        let records: Vec<Value> = get(&format!("collections/{slug}/all")).json().unwrap();
        assert_eq!(records.len(), 30, "{slug}");
        for record in records {
            // Written back as a create, the data passes every check a write passes:
            // known keys, shapes, options, required fields and link targets.
            let mut data = record["data"].as_object().unwrap().clone();
            data.retain(|k, _| {
                fields
                    .iter()
                    .any(|f| f.wire_key() == k.as_str() && f.writable())
            });
            let created = http
                .post(format!("{}collections/{slug}", emu.base_url()))
                .bearer_auth(&token)
                .json(&json!({ "data": data }))
                .send()
                .unwrap();
            let status = created.status();
            assert_eq!(status, 200, "{slug}: {}", created.text().unwrap());
            for f in fields.iter().filter(|f| f.ty.as_str() == "link") {
                let target = f.target.as_deref().unwrap();
                let ids: Vec<&str> = match &data.get(&f.wire_key().to_string()) {
                    Some(Value::Array(items)) => {
                        items.iter().filter_map(|i| i["id"].as_str()).collect()
                    }
                    Some(v) => v["id"].as_str().into_iter().collect(),
                    None => Vec::new(),
                };
                for id in ids {
                    assert_eq!(get(&format!("collections/{target}/{id}")).status(), 200);
                    links += 1;
                }
            }
        }
    }
    assert!(links > 100, "links were generated and followed: {links}");
}

#[test]
fn bad_snapshots_are_refused_with_the_cause() {
    let e =
        problems(Account::from_snapshot(r#"{"format": 9, "collections": []}"#, 5, 1).unwrap_err());
    assert!(e.contains("snapshot format 1, not 9"), "{e}");
    let e = problems(Account::from_snapshot(r#"{"collections": []}"#, 5, 1).unwrap_err());
    assert!(e.contains("--account"), "{e}");
    let e = problems(Account::from_snapshot("[1,", 5, 1).unwrap_err());
    assert!(e.contains("line 1"), "{e}");
    let dangling = r#"{"format": 1, "collections": [{"id": "a", "name": "A", "slug": "a",
        "fields": [{"key": "b", "name": "B", "type": "link", "target": "nowhere"}]}]}"#;
    let e = problems(Account::from_snapshot(dangling, 5, 1).unwrap_err());
    assert!(e.contains("$.collections[0].fields[0].target"), "{e}");
    let e = problems(
        Account::from_snapshot(r#"{"format": 1, "collections": []}"#, 1_000_000, 1).unwrap_err(),
    );
    assert!(e.contains("at most 100000"), "{e}");
    // Unknown types and inferred fields are served too.
    let odd = r#"{"format": 1, "account": "Odd", "collections": [{"id": "a", "name": "A", "slug": "a",
        "fields": [{"key": "sig", "name": "Sig", "type": "signature", "required": true},
                   {"key": "n", "name": "N", "type": "number", "inferred": {"samples": 3, "present": 2}}]}]}"#;
    let a = Account::from_snapshot(odd, 3, 1).unwrap();
    assert_eq!(a.name, "Odd");
    assert!(
        a.collections[0]
            .records
            .iter()
            .all(|r| r.data.contains_key("sig"))
    );
}

#[test]
fn the_command_line_takes_a_snapshot_with_records_and_seed() {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: kinabase_emulator::cli::EmulateArgs,
    }
    use clap::Parser;
    let cli = Cli::try_parse_from([
        "emulate",
        "--snapshot",
        "s.json",
        "--records",
        "5",
        "--seed",
        "3",
    ])
    .unwrap();
    assert_eq!(cli.args.snapshot.as_deref(), Some("s.json".as_ref()));
    assert_eq!((cli.args.records, cli.args.seed), (5, 3));
    for bad in [
        &["emulate", "--records", "5"][..],
        &["emulate", "--snapshot", "s.json", "--account", "a.json"],
        &["emulate", "--snapshot", "s.json", "--records", "100001"],
    ] {
        assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
    }
}
