//! Every documented example payload in `fixtures/doc-examples/` decodes.

#![allow(clippy::unwrap_used)]

use kinabase_runtime::{Page, Record};
use serde::Deserialize;
use serde_json::{Map, Value};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../fixtures/doc-examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[derive(Debug, Deserialize, PartialEq)]
struct Fields {
    name: Option<String>,
}

#[test]
fn flat_and_nested_records_decode_to_the_same_fields() {
    let flat: Vec<Record<Fields>> = serde_json::from_slice(&read("flat-records.json")).unwrap();
    let nested: Record<Fields> = serde_json::from_slice(&read("nested-record.json")).unwrap();
    assert_eq!(flat[0].fields, nested.fields);
    assert_eq!(flat[0].id, nested.id);
    assert_eq!(flat[0].numeric_id, Some(1));
    assert_eq!(
        flat[0].created_at.unwrap().to_string(),
        "2023-08-18T12:28:21Z"
    );
    assert_eq!(flat[0].updated_by.as_deref(), Some(""));
    let untyped: Vec<Record<Map<String, Value>>> =
        serde_json::from_slice(&read("flat-records.json")).unwrap();
    assert_eq!(
        untyped[0].fields.keys().collect::<Vec<_>>(),
        ["name"],
        "metadata is not a field"
    );
}

#[test]
fn page_write_token_and_error_payloads() {
    let page: Page<Fields> = serde_json::from_slice(&read("page-envelope.json")).unwrap();
    assert_eq!(
        (page.records.len(), page.total_records, page.page_size),
        (1, Some(1), Some(10))
    );
    let write: Value = serde_json::from_slice(&read("write-record.json")).unwrap();
    assert!(write["data"].is_object() && write["id"].is_null());
    let token: Value = serde_json::from_slice(&read("token-response.json")).unwrap();
    assert_eq!(token["token"].as_str().unwrap().split('.').count(), 3);
    let error: Value = serde_json::from_slice(&read("error-body.json")).unwrap();
    assert!(error["error"].is_string());
    let problem: Value = serde_json::from_slice(&read("problem-details.json")).unwrap();
    assert!(problem["errors"].is_object());
}
