//! A team's function tested against its own account's shape: an emulator serves this
//! crate's committed snapshot with generated records (deterministic by seed), and the test
//! talks to it over HTTP with the generated bindings, as the README shows.

use build_rs_demo::kinabase::{Kinabase, jobs};
use build_rs_demo::open_jobs;
use kinabase_emulator::{Account, Emulator, EmulatorConfig};
use kinabase_runtime::Client;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn emulated(seed: u64) -> Result<(Emulator, Kinabase)> {
    let snapshot = concat!(env!("CARGO_MANIFEST_DIR"), "/kinabase.snapshot.json");
    let account = Account::load_snapshot(snapshot.as_ref(), 40, seed)?;
    let emulator = Emulator::start(account, EmulatorConfig::default())?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_id(emulator.app_id())
        .app_secret(emulator.app_secret())
        .build()?;
    Ok((emulator, Kinabase::new(client)))
}

#[test]
fn open_jobs_counts_only_jobs_not_done_or_invoiced() -> Result {
    let (_emulator, kb) = emulated(7)?;
    let jobs_now: Vec<_> = kb.jobs().iter().collect::<std::result::Result<_, _>>()?;
    assert_eq!(jobs_now.len(), 40);
    // Generated records are type-correct: every stage is one of the snapshot's options.
    assert!(
        jobs_now.iter().all(|j| j
            .fields
            .stage
            .as_ref()
            .is_none_or(|s| !matches!(s, jobs::Stage::Unknown(_)))),
        "a stage outside the snapshot's options"
    );
    let before = open_jobs(&kb)?;
    assert!(before <= 40);

    // Links point at real records of the target collection.
    let customer = kb.customers().iter().next().ok_or("no customers")??;
    for (title, stage) in [
        ("Closed", jobs::Stage::Invoiced),
        ("Open", jobs::Stage::New),
    ] {
        let mut job = jobs::Create::new(title.into(), customer.reference());
        job.stage = Some(stage);
        kb.jobs().create(&job)?;
    }
    assert_eq!(open_jobs(&kb)?, before + 1);
    Ok(())
}

#[test]
fn the_same_seed_gives_the_same_account() -> Result {
    let (_a, one) = emulated(7)?;
    let (_b, two) = emulated(7)?;
    let titles = |kb: &Kinabase| -> Result<Vec<String>> {
        kb.jobs()
            .iter()
            .map(|j| Ok(j?.fields.job_title.unwrap_or_default()))
            .collect()
    };
    assert_eq!(titles(&one)?, titles(&two)?);
    assert_eq!(open_jobs(&one)?, open_jobs(&two)?);
    Ok(())
}
