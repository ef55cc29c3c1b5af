//! Typed activities and the ingest endpoint against the emulator, blocking and async,
//! through the demo account's generated bindings.

#![allow(clippy::unwrap_used)]

use jiff::{SignedDuration, Timestamp};
use kinabase_emulator::{Account, Emulator, EmulatorConfig};
use kinabase_runtime::{
    ActivityType, AsyncClient, Client, Currency, Error, IngestChange, IngestRecord, NewActivity,
};
use serde_json::json;

#[rustfmt::skip]
#[allow(dead_code, unused_imports, clippy::all)]
#[path = "../../examples/field-service/src/kinabase/mod.rs"]
mod kinabase;

use kinabase::jobs;

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

fn builder(emu: &Emulator) -> kinabase_runtime::ClientBuilder {
    Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(None)
}

fn count(emu: &Emulator, method: &str, path_end: &str) -> usize {
    emu.request_log()
        .iter()
        .filter(|e| e.method == method && e.path.ends_with(path_end))
        .count()
}

#[test]
fn activities_are_typed_both_ways() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let kb = kinabase::Kinabase::new(builder(&emu).build().unwrap());
    let job = kb
        .jobs()
        .page(0, &Default::default())
        .unwrap()
        .records
        .remove(0);
    let at: Timestamp = "2026-03-02T09:29:51.293Z".parse().unwrap();
    let stored = kb
        .jobs()
        .add_activity(
            &job.id,
            &NewActivity::new(ActivityType::Call, "Called the customer").at(at),
        )
        .unwrap()
        .unwrap();
    assert_eq!(stored.kind, ActivityType::Call);
    kb.jobs()
        .add_activity(
            &job.id,
            &NewActivity::new(ActivityType::Other("site-visit".into()), "Visited"),
        )
        .unwrap();
    let all = kb.jobs().activities(&job.id).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].content.as_str(), &all[0].kind, all[0].timestamp),
        ("Called the customer", &ActivityType::Call, Some(at))
    );
    assert_eq!(all[1].kind, ActivityType::Other("site-visit".into()));
    assert!(all[0].id.is_some() && all[0].created_by.is_some());
    let missing = kb.jobs().activities("no-such-record").unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing}");
}

#[test]
fn typed_ingest_sets_the_latest_values_and_chunks_at_300() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let kb = kinabase::Kinabase::new(builder(&emu).build().unwrap());
    let ids: Vec<String> = kb.jobs().all().unwrap().into_iter().map(|r| r.id).collect();
    let t0: Timestamp = "2026-03-02T09:00:00Z".parse().unwrap();
    let early = jobs::Ingest {
        travel_distance_km: Some(10.0),
        stage: Some(jobs::Stage::Scheduled),
        ..Default::default()
    };
    let late = jobs::Ingest {
        travel_distance_km: Some(42.5),
        quoted_price: Currency::parse("99.90"),
        ..Default::default()
    };
    // The later change is listed first: the timestamp decides, not the order.
    let one = IngestRecord::new(
        ids[0].clone(),
        vec![
            IngestChange::new(t0 + SignedDuration::from_mins(5), late),
            IngestChange::new(t0, early),
        ],
    );
    kb.jobs().ingest(std::slice::from_ref(&one)).unwrap();
    let job = kb.jobs().get(&ids[0]).unwrap();
    assert_eq!(job.fields.travel_distance_km, Some(42.5));
    assert_eq!(job.fields.stage, Some(jobs::Stage::Scheduled));
    assert_eq!(job.fields.quoted_price, Currency::parse("99.90"));
    assert_eq!(count(&emu, "POST", "/collections/jobs/ingest"), 1);

    // 350 records: two requests of 300 and 50.
    let many: Vec<_> = (0..350)
        .map(|i| {
            let v = jobs::Ingest {
                travel_distance_km: Some(i as f64),
                ..Default::default()
            };
            IngestRecord::new(ids[i % ids.len()].clone(), vec![IngestChange::new(t0, v)])
        })
        .collect();
    let report = kb.jobs().ingest(&many).unwrap();
    assert_eq!(report.written(), 350);
    assert_eq!(count(&emu, "POST", "/collections/jobs/ingest"), 3);
}

#[test]
fn the_service_refuses_what_ingest_does_not_take() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let client = builder(&emu).build().unwrap();
    let id = client
        .untyped("jobs")
        .page(0, &Default::default())
        .unwrap()
        .records[0]
        .id
        .clone();
    let t0: Timestamp = "2026-03-02T09:00:00Z".parse().unwrap();
    let data = json!({"jobTitle": "not ingestible"})
        .as_object()
        .unwrap()
        .clone();
    let err = client
        .untyped("jobs")
        .ingest(&[IngestRecord::new(id, vec![IngestChange::new(t0, data)])])
        .unwrap_err();
    let err = Error::from(err);
    assert!(err.to_string().contains("cannot be ingested"), "{err}");
    let err = client
        .untyped("jobs")
        .ingest(&[IngestRecord::new("nope", Vec::new())])
        .unwrap_err();
    assert!(Error::from(err).to_string().contains("not found"));
}

#[test]
fn async_activities_and_ingest() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client: AsyncClient = builder(&emu).build_async().unwrap();
        let kb = kinabase::Kinabase::new(client);
        let id = kb
            .jobs()
            .page(0, &Default::default())
            .await
            .unwrap()
            .records[0]
            .id
            .clone();
        kb.jobs()
            .add_activity(
                &id,
                &NewActivity::new(ActivityType::Email, "Sent the quote"),
            )
            .await
            .unwrap();
        let entries = kb.jobs().activities(&id).await.unwrap();
        assert_eq!(entries[0].kind, ActivityType::Email);
        let v = jobs::Ingest {
            priority: Some(jobs::Priority::Low),
            ..Default::default()
        };
        kb.jobs()
            .ingest(&[IngestRecord::new(
                id.clone(),
                vec![IngestChange::new(Timestamp::now(), v)],
            )])
            .await
            .unwrap();
        let job = kb.jobs().get(&id).await.unwrap();
        assert_eq!(job.fields.priority, Some(jobs::Priority::Low));
    });
}
