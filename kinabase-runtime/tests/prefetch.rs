//! Scans that fetch pages ahead: same records in the same order, lazy and stoppable,
//! never over the rate budget.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Emulator, EmulatorConfig, RateLimit};
use kinabase_runtime::{Client, ListOptions, RateBudget};

fn emulator(records: usize, config: EmulatorConfig) -> Emulator {
    let account = synth::account(Size {
        collections: 1,
        fields: 4,
        records,
    });
    Emulator::start(account, config).unwrap()
}

fn client(emu: &Emulator, budget: Option<RateBudget>) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(budget)
        .build()
        .unwrap()
}

fn pages_requested(emu: &Emulator) -> usize {
    emu.request_log()
        .iter()
        .filter(|e| e.path.ends_with("/collections/collection-0"))
        .count()
}

#[test]
fn prefetched_scans_read_every_record_once_in_order() {
    for n in [0usize, 1, 99, 100, 101, 1234] {
        let emu = emulator(n, EmulatorConfig::unlimited());
        let c = client(&emu, None);
        let plain: Vec<String> = c
            .untyped("collection-0")
            .iter_with(ListOptions::default().page_size(100))
            .map(|r| r.unwrap().id)
            .collect();
        emu.clear_log();
        let ahead: Vec<String> = c
            .untyped("collection-0")
            .iter_with(ListOptions::default().page_size(100).prefetch(3))
            .map(|r| r.unwrap().id)
            .collect();
        assert_eq!(ahead, plain, "n = {n}");
        assert_eq!(plain.len(), n);
        assert_eq!(
            pages_requested(&emu),
            n.div_ceil(100).max(1),
            "n = {n}: no page asked twice or past the end"
        );
    }
}

#[test]
fn a_dropped_scan_stops_asking() {
    let emu = emulator(3000, EmulatorConfig::unlimited());
    let c = client(&emu, None);
    let first: Vec<_> = c
        .untyped("collection-0")
        .iter_with(ListOptions::default().page_size(100).prefetch(2))
        .take(150)
        .collect();
    assert_eq!(first.len(), 150);
    // Requests in flight when the scan was dropped may still arrive; none start after.
    std::thread::sleep(Duration::from_millis(300));
    let asked = pages_requested(&emu);
    assert!(
        asked <= 2 + 2,
        "{asked} pages requested for 2 consumed, 2 ahead"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(pages_requested(&emu), asked);
}

#[test]
fn prefetching_stays_within_the_rate_budget() {
    // The documented 100 requests a minute, scaled to half a second.
    let per = Duration::from_millis(500);
    let emu = emulator(
        2000,
        EmulatorConfig {
            rate_limit: Some(RateLimit { requests: 10, per }),
            ..EmulatorConfig::default()
        },
    );
    let c = client(&emu, Some(RateBudget { requests: 10, per }));
    let mut n = 0;
    for r in c
        .untyped("collection-0")
        .iter_with(ListOptions::default().page_size(50).prefetch(4))
    {
        r.unwrap();
        n += 1;
    }
    assert_eq!(n, 2000);
    let throttled = emu.request_log().iter().filter(|e| e.status == 429).count();
    assert_eq!(throttled, 0);
}
