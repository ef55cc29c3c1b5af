//! Records of the demo account decode into the generated types in both documented shapes,
//! and encode back to the same JSON.

#![allow(clippy::unwrap_used)]

use kinabase_runtime::{Collection, Record};
use kinabase_tests::demo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/accounts/field-service.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Numbers compare by value: `1800` and `1800.0` are the same amount.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}

fn round_trip<C: Collection>(account: &Value) -> usize
where
    C::Read: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let collection = account["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == C::SLUG)
        .unwrap();
    let records = collection["records"].as_array().unwrap();
    for (i, seed) in records.iter().enumerate() {
        let data = seed["data"].as_object().unwrap();
        let nested = json!({"id": seed["id"], "numericId": i + 1, "data": data, "external": seed.get("external"),
            "createdAt": "18/08/2023 12:28:21 +00:00", "updatedAt": "2023-08-18T12:28:21Z", "updatedBy": ""});
        let mut flat: Map<String, Value> = data.clone();
        flat.insert("id".into(), seed["id"].clone());
        flat.insert("recordId".into(), json!(i + 1));
        flat.insert("createdAt".into(), json!("18/08/2023 12:28:21 +00:00"));
        let a: Record<C::Read> = serde_json::from_value(nested)
            .unwrap_or_else(|e| panic!("{} record {i} (nested): {e}", C::NAME));
        let b: Record<C::Read> = serde_json::from_value(Value::Object(flat))
            .unwrap_or_else(|e| panic!("{} record {i} (flat): {e}", C::NAME));
        assert_eq!(
            a.fields,
            b.fields,
            "{} record {i}: both shapes decode alike",
            C::NAME
        );
        assert_eq!(a.numeric_id, Some(i as u64 + 1));
        let mut back = serde_json::to_value(&a.fields).unwrap();
        // Absent fields serialize as null; the fixture leaves them out.
        back.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        assert_eq!(
            normalize(&back),
            normalize(&Value::Object(data.clone())),
            "{} record {i} encodes back to the same JSON",
            C::NAME
        );
    }
    records.len()
}

#[test]
fn every_demo_record_decodes_in_both_shapes_and_encodes_back() {
    let account = fixture();
    let n = round_trip::<demo::colleagues::Colleagues>(&account)
        + round_trip::<demo::customers::Customers>(&account)
        + round_trip::<demo::sites::Sites>(&account)
        + round_trip::<demo::suppliers::Suppliers>(&account)
        + round_trip::<demo::jobs::Jobs>(&account)
        + round_trip::<demo::purchase_orders::PurchaseOrders>(&account);
    assert_eq!(n, 357);
}

#[test]
fn create_and_update_encode_only_what_they_carry() {
    use demo::jobs;
    use kinabase_runtime::{Currency, RecordRef};
    let mut create = jobs::Create::new("Fix".into(), RecordRef::from_raw_id("cust-1"));
    create.priority = Some(jobs::Priority::Urgent);
    create.quoted_price = Currency::parse("10.5");
    assert_eq!(
        serde_json::to_value(&create).unwrap(),
        json!({"jobTitle": "Fix", "customer": {"id": "cust-1"}, "priority": "Urgent!", "quotedPrice": 10.5})
    );
    let mut update = jobs::Update::default();
    update.stage.set(jobs::Stage::OnHold);
    update.site.clear();
    update.job_title.set("Renamed".into());
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json!({"stage": "On Hold", "site": null, "jobTitle": "Renamed"})
    );
    let unknown: jobs::Stage = serde_json::from_value(json!("Archived")).unwrap();
    assert_eq!(unknown, jobs::Stage::Unknown("Archived".into()));
    assert_eq!(
        serde_json::to_value(&unknown).unwrap(),
        json!("Archived"),
        "unknown labels round-trip exactly"
    );
    assert_eq!(jobs::keys::QUOTED_PRICE.as_str(), "quotedPrice");
}
