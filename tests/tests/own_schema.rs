//! The README's example: a team's own function, tested against an emulator built from the
//! team's own snapshot, with generated records and no credentials.

use std::collections::BTreeMap;

use kinabase_emulator::{Account, Emulator, EmulatorConfig};
use kinabase_runtime::Client;
use kinabase_tests::demo::{self as kinabase, jobs};

/// The function under test, as a team would write it: open jobs per customer id.
fn open_jobs_by_customer(
    kb: &kinabase::Kinabase,
) -> Result<BTreeMap<String, usize>, kinabase_runtime::Error> {
    let mut open = BTreeMap::new();
    for job in kb.jobs().iter() {
        let job = job?;
        if job.fields.stage != Some(jobs::Stage::Done)
            && let Some(customer) = &job.fields.customer
        {
            *open.entry(customer.id().to_string()).or_default() += 1;
        }
    }
    Ok(open)
}

#[test]
fn a_team_function_against_an_emulator_of_its_own_snapshot()
-> Result<(), Box<dyn std::error::Error>> {
    let snapshot = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/field-service/kinabase.snapshot.json"
    ))?;
    // 40 records a collection, seed 7: the same records on every run.
    let account = Account::from_snapshot(&snapshot, 40, 7)?;
    let emulator = Emulator::start(account, EmulatorConfig::unlimited())?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_id(emulator.app_id())
        .app_secret(emulator.app_secret())
        .build()?;
    let kb = kinabase::Kinabase::new(client);

    let open = open_jobs_by_customer(&kb)?;
    let counted: usize = open.values().sum();
    let done = kb
        .jobs()
        .iter()
        .filter(|j| matches!(j, Ok(j) if j.fields.stage == Some(jobs::Stage::Done)))
        .count();
    assert_eq!(counted + done, 40, "every job has its required customer");
    for id in open.keys() {
        kb.customers().get(id)?; // every link points at a real customer
    }
    Ok(())
}
