//! Scans that fetch pages ahead, by the blocking iterator and the async stream: same
//! records in the same order, lazy and stoppable, never over the rate budget.

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

/// 2,000 records behind the documented 100 requests a minute, scaled to half a second.
fn rate_limited() -> (Emulator, Duration) {
    let per = Duration::from_millis(500);
    let config = EmulatorConfig {
        rate_limit: Some(RateLimit { requests: 10, per }),
        ..EmulatorConfig::default()
    };
    (emulator(2000, config), per)
}

fn builder(emu: &Emulator, budget: Option<RateBudget>) -> kinabase_runtime::ClientBuilder {
    Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(budget)
}

fn client(emu: &Emulator, budget: Option<RateBudget>) -> Client {
    builder(emu, budget).build().unwrap()
}

fn pages_requested(emu: &Emulator) -> usize {
    emu.request_log()
        .iter()
        .filter(|e| e.path.ends_with("/collections/collection-0"))
        .count()
}

/// A prefetched scan of `n` records in pages of 100 read what the plain one did, in order,
/// and asked for no page twice or past the end.
fn same_records_same_pages(emu: &Emulator, n: usize, plain: &[String], ahead: &[String]) {
    assert_eq!(ahead, plain, "n = {n}");
    assert_eq!(plain.len(), n);
    assert_eq!(
        pages_requested(emu),
        n.div_ceil(100).max(1),
        "n = {n}: no page asked twice or past the end"
    );
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
        same_records_same_pages(&emu, n, &plain, &ahead);
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
    let (emu, per) = rate_limited();
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

fn async_client(emu: &Emulator, budget: Option<RateBudget>) -> kinabase_runtime::AsyncClient {
    builder(emu, budget).build_async().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_prefetched_streams_read_every_record_once_in_order() {
    use futures_util::TryStreamExt;
    for n in [0usize, 1, 100, 101, 1234] {
        let emu = emulator(n, EmulatorConfig::unlimited());
        let c = async_client(&emu, None);
        let ids = |options: ListOptions| {
            c.untyped("collection-0")
                .stream_with(options)
                .map_ok(|r| r.id)
                .try_collect::<Vec<_>>()
        };
        let plain = ids(ListOptions::default().page_size(100)).await.unwrap();
        emu.clear_log();
        let ahead = ids(ListOptions::default().page_size(100).prefetch(3))
            .await
            .unwrap();
        same_records_same_pages(&emu, n, &plain, &ahead);
    }
}

/// Pages ahead are fetched in the background while the caller holds a record, and a
/// dropped stream starts no new request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_pages_ahead_arrive_while_the_caller_works_and_stop_when_dropped() {
    use futures_util::StreamExt;
    let emu = emulator(3000, EmulatorConfig::unlimited());
    let c = async_client(&emu, None);
    let mut stream = Box::pin(
        c.untyped("collection-0")
            .stream_with(ListOptions::default().page_size(100).prefetch(2)),
    );
    stream.next().await.unwrap().unwrap();
    // The caller is busy: the two next pages are requested meanwhile.
    let mut asked = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        asked = pages_requested(&emu);
        if asked == 3 {
            break;
        }
    }
    assert_eq!(asked, 3, "the first page and 2 ahead");
    drop(stream);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(pages_requested(&emu), 3, "no request after the drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_prefetching_stays_within_the_rate_budget() {
    use futures_util::TryStreamExt;
    let (emu, per) = rate_limited();
    let c = async_client(&emu, Some(RateBudget { requests: 10, per }));
    let records: Vec<_> = c
        .untyped("collection-0")
        .stream_with(ListOptions::default().page_size(50).prefetch(4))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 2000);
    let throttled = emu.request_log().iter().filter(|e| e.status == 429).count();
    assert_eq!(throttled, 0);
}
