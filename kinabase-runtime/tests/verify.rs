//! The schema guard against the emulator: the demo bindings' `SCHEMA` (generated) compared
//! with the live listing, unchanged and after the account changed under them; one listing
//! call; blocking and async alike.

#![allow(clippy::unwrap_used)]

use kinabase_emulator::{Account, Emulator, EmulatorConfig};
use kinabase_runtime::{AsyncClient, Client, Severity};

#[rustfmt::skip]
#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../../examples/field-service/src/kinabase/mod.rs"]
mod kinabase;

fn demo() -> Account {
    Account::load(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/accounts/field-service.json"
        )
        .as_ref(),
    )
    .unwrap()
}

fn client(emu: &Emulator) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(None)
        .build()
        .unwrap()
}

fn listing_calls(emu: &Emulator) -> usize {
    emu.request_log()
        .iter()
        .filter(|e| e.method == "GET" && e.path.ends_with("/collections"))
        .count()
}

fn field<'a>(
    store: &'a mut kinabase_emulator::store::Store,
    coll: &str,
    key: &str,
) -> &'a mut kinabase_emulator::account::FieldDef {
    store
        .collection_mut(coll)
        .unwrap()
        .def
        .fields
        .iter_mut()
        .find(|f| f.wire_key() == key)
        .unwrap()
}

#[test]
fn an_unchanged_account_is_clean_with_one_listing_call() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let kb = kinabase::Kinabase::new(client(&emu));
    let report = kb.verify().unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(listing_calls(&emu), 1);
}

#[test]
fn each_change_is_classified() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    emu.with_store(|store| {
        // Remove a field, change a type, add an option, remove one, add a required field.
        let jobs = store.collection_mut("jobs").unwrap();
        jobs.def.fields.retain(|f| f.wire_key() != "description");
        field(store, "jobs", "quotedPrice").ty = "number".into();
        let stage = field(store, "jobs", "stage");
        stage.options.push("Waiting On Permit".into());
        let removed = stage.options.remove(0);
        assert!(!removed.is_empty());
        let mut extra = field(store, "jobs", "jobTitle").clone();
        extra.id = Some("fld_new_required".into());
        extra.key = Some("permitNumber".into());
        extra.name = "Permit Number".into();
        extra.primary = false;
        extra.required = true;
        store.collection_mut("jobs").unwrap().def.fields.push(extra);
        let mut optional = field(store, "jobs", "jobTitle").clone();
        optional.id = Some("fld_new_optional".into());
        optional.key = Some("gateCode".into());
        optional.name = "Gate Code".into();
        optional.primary = false;
        optional.required = false;
        store
            .collection_mut("jobs")
            .unwrap()
            .def
            .fields
            .push(optional);
    });
    let kb = kinabase::Kinabase::new(client(&emu));
    let report = kb.verify().unwrap();
    let find = |needle: &str| {
        report
            .changes
            .iter()
            .find(|c| c.message.contains(needle))
            .unwrap_or_else(|| panic!("no change {needle:?} in\n{report}"))
            .severity
    };
    assert_eq!(
        find("field missing (wire key \"description\")"),
        Severity::Breaking
    );
    assert_eq!(
        find("type changed from currency to number"),
        Severity::Breaking
    );
    assert_eq!(
        find("option \"Waiting On Permit\" added"),
        Severity::Additive
    );
    assert_eq!(find("removed"), Severity::Breaking);
    assert_eq!(find("new required field"), Severity::Breaking);
    assert_eq!(find("new field (wire key \"gateCode\""), Severity::Additive);
    assert!(report.is_breaking());
    assert_eq!(
        report.changes[0].severity,
        Severity::Breaking,
        "breaking first"
    );
    assert_eq!(report.changes.len(), 6, "{report}");
    assert!(
        report.to_string().contains("Jobs, field \"Quoted Price\""),
        "{report}"
    );
    assert_eq!(listing_calls(&emu), 1);
}

#[test]
fn a_missing_collection_and_the_async_twin() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    emu.with_store(|store| store.collections.retain(|c| c.def.slug != "sites"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(async {
        let client = AsyncClient::builder()
            .base_url(emu.base_url())
            .app_id(emu.app_id())
            .app_secret(emu.app_secret())
            .build_async()
            .unwrap();
        kinabase::Kinabase::new(client).verify().await.unwrap()
    });
    assert!(
        report
            .breaking()
            .any(|c| c.collection == "Sites" && c.message.contains("collection missing")),
        "{report}"
    );
    assert_eq!(listing_calls(&emu), 1);
}
