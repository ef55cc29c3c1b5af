//! The async demo against the emulator serving the demo account: the example runs in CI.

#![allow(clippy::unwrap_used)]

use kinabase_emulator::{Account, Emulator, EmulatorConfig};

#[tokio::test]
async fn the_async_demo_runs_against_the_emulator() {
    let account = Account::load(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/accounts/field-service.json"
        )
        .as_ref(),
    )
    .unwrap();
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).unwrap();
    let client = kinabase_runtime::AsyncClient::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .build_async()
        .unwrap();
    let jobs_before = emu.record_count("jobs").unwrap();
    let summary = async_demo::run(client.clone()).await.unwrap();
    assert_eq!(summary.jobs, jobs_before);
    assert_eq!(summary.customers, emu.record_count("customers").unwrap());
    assert_eq!(summary.written, 3);
    assert_eq!(summary.schema_changes, 0);
    assert_eq!(
        emu.record_count("jobs").unwrap(),
        jobs_before,
        "the job was deleted"
    );
    assert_eq!(client.stats().token_requests, 1);
}
