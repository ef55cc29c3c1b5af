//! The emulator's ingest endpoint as the contract documents it (§4): what it takes, what
//! it refuses, and that a refused call writes nothing.

#![allow(clippy::unwrap_used)]

use kinabase_emulator::{Account, Store};
use serde_json::{Value, json};

fn store() -> Store {
    let account = Account::load(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/accounts/field-service.json"
        )
        .as_ref(),
    )
    .unwrap();
    Store::from_account(&account)
}

fn first_job(store: &Store) -> String {
    store.collection("jobs").unwrap().records[0].id.clone()
}

#[test]
fn the_latest_change_wins_and_computed_fields_are_left_alone() {
    let mut s = store();
    let id = first_job(&s);
    let body = json!({"mode": null, "records": [{"id": id, "changes": [
        {"timestamp": "2026-03-02T09:29:52.000Z", "data": {"travelDistanceKm": 12.5, "stage": "Scheduled"}},
        {"timestamp": "2026-03-02T09:29:51.293Z", "data": {"travelDistanceKm": 3}}
    ]}]});
    assert_eq!(s.ingest("jobs", &body, "app").unwrap(), 2);
    let rec = s.collection("jobs").unwrap().get(&id).unwrap();
    assert_eq!(rec.data.get("travelDistanceKm"), Some(&json!(12.5)));
    assert_eq!(rec.data.get("stage"), Some(&json!("Scheduled")));
    // "mode" may be absent or a string.
    let body = json!({"mode": "FUTURE_FACING", "records": []});
    assert_eq!(s.ingest("jobs", &body, "app").unwrap(), 0);
}

#[test]
fn refusals_name_the_cause_and_write_nothing() {
    let mut s = store();
    let id = first_job(&s);
    let before = s.clone();
    let good = json!({"timestamp": "2026-03-02T09:29:51.293Z", "data": {"travelDistanceKm": 1}});
    let cases: Vec<(Value, &str)> = vec![
        (json!([]), "records"),
        (json!({"mode": 3, "records": []}), "mode"),
        (
            json!({"records": [{"id": id, "changes": [good.clone(), {"timestamp": "2026-03-02T09:29:51Z", "data": {}}]}]}),
            "milliseconds",
        ),
        (
            json!({"records": [{"id": id, "changes": [{"timestamp": "2026-03-02T09:29:51.293Z", "data": {"jobTitle": "x"}}]}]}),
            "cannot be ingested",
        ),
        (
            json!({"records": [{"id": id, "changes": [{"timestamp": "2026-03-02T09:29:51.293Z", "data": {"nope": 1}}]}]}),
            "no field",
        ),
        (
            json!({"records": [{"id": id, "changes": [{"timestamp": "2026-03-02T09:29:51.293Z", "data": {"stage": "Nonsense"}}]}]}),
            "stage",
        ),
        (
            json!({"records": [{"id": id, "changes": [good.clone()]}, {"id": "missing", "changes": []}]}),
            "not found",
        ),
        (
            json!({"records": (0..301).map(|_| json!({"id": id, "changes": []})).collect::<Vec<_>>()}),
            "at most 300",
        ),
    ];
    for (body, needle) in cases {
        let err = s.ingest("jobs", &body, "app").unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains(needle), "{needle:?} not in {text}");
        assert!(s == before, "a refused call wrote something: {needle}");
    }
}
