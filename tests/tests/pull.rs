//! Pulling a schema in each listing form, following pages, and inferring hidden fields.

#![allow(clippy::unwrap_used)]

use kinabase_codegen::pull::{self, Progress, PullOptions};
use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Emulator, EmulatorConfig, ListingForm};
use kinabase_runtime::Client;

fn client(emu: &Emulator) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(None)
        .build()
        .unwrap()
}

fn quiet() -> PullOptions {
    PullOptions {
        progress: Progress::Quiet,
        ..PullOptions::default()
    }
}

#[test]
fn every_listing_form_gives_the_same_schema_and_pages_are_followed() {
    // More collections than one listing page holds (300), so the paged form needs two.
    let account = synth::account(Size {
        collections: 305,
        fields: 3,
        records: 0,
    });
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    let client = client(&emu);
    let mut schemas = Vec::new();
    for form in [
        ListingForm::BareArray,
        ListingForm::Wrapped,
        ListingForm::Paged,
    ] {
        emu.set_listing_form(form);
        emu.clear_log();
        let schema = pull::pull(&client, &quiet()).unwrap();
        assert_eq!(schema.collections.len(), 305, "{form:?}");
        let listing_requests = emu
            .request_log()
            .iter()
            .filter(|e| e.path.ends_with("/collections"))
            .count();
        // The documented call first (the emulator pages 10 by default), then two pages of
        // 300 from the start.
        assert_eq!(
            listing_requests,
            if form == ListingForm::Paged { 1 + 2 } else { 1 },
            "{form:?}"
        );
        schemas.push(schema.to_snapshot_text());
    }
    assert!(
        schemas.windows(2).all(|w| w[0] == w[1]),
        "the form of the listing does not change the snapshot"
    );
}

#[test]
fn hidden_fields_are_inferred_with_optional_and_mixed_keys() {
    let account = synth::account(Size {
        collections: 1,
        fields: 16,
        records: 40,
    });
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    // A key that holds a number in some records and text in others, and one set only once.
    emu.with_store(|s| {
        let c = s.collection_mut("collection-0").unwrap();
        c.def.fields.push(
            serde_json::from_value(
                serde_json::json!({"key": "mixed", "name": "Mixed", "type": "hologram"}),
            )
            .unwrap(),
        );
        c.def.fields.push(
            serde_json::from_value(
                serde_json::json!({"key": "rare", "name": "Rare", "type": "text"}),
            )
            .unwrap(),
        );
        for (i, r) in c.records.iter_mut().enumerate() {
            r.data.insert(
                "mixed".into(),
                if i % 2 == 0 {
                    serde_json::json!(1)
                } else {
                    serde_json::json!("one")
                },
            );
        }
        c.records[7]
            .data
            .insert("rare".into(), serde_json::json!("only here"));
    });
    assert!(emu.set_hide_fields("collection-0", true));
    let schema = pull::pull(
        &client(&emu),
        &PullOptions {
            sample_limit: 25,
            progress: Progress::Quiet,
        },
    )
    .unwrap();
    let c = &schema.collections[0];
    let field = |k: &str| {
        c.fields
            .iter()
            .find(|f| f.key == k)
            .unwrap_or_else(|| panic!("no field {k}"))
    };
    let expect = [
        ("name", "text"),
        ("numberField1", "number"),
        ("dateField2", "date"),
        ("checkboxField3", "checkbox"),
        ("selectField4", "text"),
        ("durationField7", "number"),
        ("linkField14", "link"),
        ("fileField15", "unknown"),
        ("mixed", "unknown"),
        ("rare", "text"),
    ];
    for (key, ty) in expect {
        assert_eq!(field(key).ty, ty.into(), "{key}");
        let inferred = field(key).inferred.as_ref().unwrap();
        assert_eq!(inferred.samples, 25, "the sample limit holds");
    }
    assert_eq!(
        field("rare").inferred.as_ref().unwrap().present,
        1,
        "present in one sampled record"
    );
    assert!(
        field("numberField1").inferred.as_ref().unwrap().present < 25,
        "some records leave it empty"
    );
}
