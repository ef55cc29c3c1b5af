//! The scan bench: records from an emulator through the typed paging iterator, `/all`, and
//! a hand-written baseline (reqwest + `serde_json::Value`, same pages), each scan in its own
//! process (its peak RSS is the client's alone); and the rate-budget check.

use std::time::{Duration, Instant};

use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Emulator, EmulatorConfig, RateLimit};
use kinabase_runtime::{Client, ListOptions, RateBudget};
use serde_json::Value;

use super::{Stats, bench_bindings, data, spawn};

/// The documented budget: requests per minute (contract §5).
const LIMIT_PER_MINUTE: usize = 100;

/// The scan child: reads every record of the uniform collection one way; the count.
pub fn worker(mode: &str, base_url: &str) -> Result<usize, String> {
    type Uniform = bench_bindings::collection_0::Collection0;
    match mode {
        "paged" => {
            let client = super::scan_client(base_url, None)?;
            let mut n = 0;
            for r in client.collection::<Uniform>().iter() {
                r.map_err(|e| e.to_string())?;
                n += 1;
            }
            Ok(n)
        }
        "all" => {
            // Streamed: each record decoded as the answer arrives, then dropped.
            let client = super::scan_client(base_url, None)?;
            let mut n = 0;
            for r in client
                .collection::<Uniform>()
                .iter_all()
                .map_err(|e| e.to_string())?
            {
                r.map_err(|e| e.to_string())?;
                n += 1;
            }
            Ok(n)
        }
        "baseline" => baseline_scan(base_url),
        "stream" | "stream_all" => stream_scan(base_url, mode == "stream_all"),
        _ => Err(format!("unknown scan mode {mode}")),
    }
}

/// The async client's record stream over the same generated type, on a one-thread tokio
/// runtime: pages, or with `all` the streamed `/all` answer.
fn stream_scan(base_url: &str, all: bool) -> Result<usize, String> {
    use futures_util::StreamExt;
    type Uniform = bench_bindings::collection_0::Collection0;
    let client = kinabase_runtime::AsyncClient::builder()
        .base_url(base_url)
        .app_id(kinabase_emulator::DEFAULT_APP_ID)
        .app_secret(kinabase_emulator::DEFAULT_APP_SECRET)
        .rate_budget(None)
        .timeout(Duration::from_secs(600))
        .build_async()
        .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let handle = client.collection::<Uniform>();
        let mut stream = if all {
            let records = handle.stream_all().await.map_err(|e| e.to_string())?;
            Box::pin(records) as std::pin::Pin<Box<dyn futures_util::Stream<Item = _>>>
        } else {
            Box::pin(handle.stream())
        };
        let mut n = 0;
        while let Some(r) = stream.next().await {
            r.map_err(|e| e.to_string())?;
            n += 1;
        }
        Ok(n)
    })
}

/// What a user would write by hand: reqwest, `serde_json::Value`, the same pages.
fn baseline_scan(base_url: &str) -> Result<usize, String> {
    let http = super::http()?;
    let token = super::token(&http, base_url)?;
    let mut n = 0;
    for index in 0.. {
        let page: Value = http
            .get(format!(
                "{base_url}collections/{}?pageIndex={index}&pageSize=300",
                data::UNIFORM
            ))
            .bearer_auth(&token)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        let got = page["records"].as_array().map(Vec::len).unwrap_or(0);
        n += got;
        if got < 300 {
            break;
        }
    }
    Ok(n)
}

/// Seconds a user waits for `requests` under the documented budget when the client alone
/// needs `client_secs`: request k cannot start before minute ⌊k / 100⌋.
fn at_limit(requests: usize, client_secs: f64) -> f64 {
    let per_request = client_secs / requests.max(1) as f64;
    let budget = ((requests.max(1) - 1) / LIMIT_PER_MINUTE) as f64 * 60.0 + per_request;
    budget.max(client_secs)
}

/// Prints the scan table.
pub fn table(sizes: &[usize], runs: usize) -> Result<(), String> {
    println!(
        "SCAN (1 collection × {} fields; each scan in its own process; {runs} runs, median (min–max); \
         peak = client RSS; 'at 100/min' = what a user waits under the documented limit, computed \
         from the request count, the client's own time measured with the budget off)",
        data::SCAN_FIELDS
    );
    println!(
        "{:>8}  {:<26} {:>8} {:>24} {:>10} {:>14}",
        "N", "method", "requests", "records/s (budget off)", "peak MiB", "at 100/min"
    );
    for &n in sizes {
        let account = synth::account(Size {
            collections: 1,
            fields: data::SCAN_FIELDS,
            records: n,
        });
        let emu =
            Emulator::start(account, EmulatorConfig::unlimited()).map_err(|e| e.to_string())?;
        for (label, mode) in [
            ("typed paging iterator", "paged"),
            ("typed async stream", "stream"),
            ("typed /all (iter_all)", "all"),
            ("typed async /all", "stream_all"),
            ("baseline reqwest + Value", "baseline"),
        ] {
            let (mut rates, mut peaks, mut secs) = (Vec::new(), Vec::new(), Vec::new());
            let mut requests = 0;
            for _ in 0..runs {
                emu.clear_log();
                let m = spawn(&[
                    "--worker",
                    "scan",
                    "--mode",
                    mode,
                    "--base-url",
                    emu.base_url(),
                ])?;
                if m.count != n {
                    return Err(format!("{label}: read {} records of {n}", m.count));
                }
                // Every request counts against the budget, the token's too.
                requests = emu.request_log().len();
                rates.push(n as f64 / m.secs);
                peaks.push(m.peak_kib as f64 / 1024.0);
                secs.push(m.secs);
            }
            let wait = at_limit(requests, Stats::of(&secs).median);
            println!(
                "{:>8}  {:<26} {:>8} {:>24} {:>10.1} {:>12.1} s",
                n,
                label,
                requests,
                Stats::of(&rates).krate(),
                Stats::of(&peaks).median,
                wait
            );
        }
    }
    println!();
    Ok(())
}

/// A client alone against an emulator enforcing the documented limit (scaled down in
/// time): `429`s received.
pub fn rate_budget(quick: bool) -> Result<(), String> {
    let window = if quick {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(3)
    };
    let records = if quick { 1_500 } else { 3_000 };
    let account = synth::account(Size {
        collections: 1,
        fields: 5,
        records,
    });
    let emu = Emulator::start(
        account,
        EmulatorConfig {
            rate_limit: Some(RateLimit {
                requests: LIMIT_PER_MINUTE as u32,
                per: window,
            }),
            ..EmulatorConfig::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(Some(RateBudget {
            requests: LIMIT_PER_MINUTE as u32,
            per: window,
        }))
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut n = 0;
    for r in client
        .untyped(data::UNIFORM)
        .iter_with(ListOptions::default().page_size(10))
    {
        r.map_err(|e| e.to_string())?;
        n += 1;
    }
    let log = emu.request_log();
    println!(
        "RATE BUDGET (emulator enforces 100 requests per {window:?}, the documented limit scaled; one client, pages of 10)"
    );
    println!(
        "  {} requests for {n} records in {:.1} s; 429s received: {} (target 0); limiter waits: {}\n",
        log.len(),
        started.elapsed().as_secs_f64(),
        log.iter().filter(|e| e.status == 429).count(),
        client.stats().limiter_waits
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn waiting_at_the_limit() {
        assert_eq!(super::at_limit(2, 3.0), 3.0);
        assert_eq!(super::at_limit(100, 1.0), 1.0);
        // 335 requests: the last may start in minute 3.
        assert!((super::at_limit(335, 3.35) - 180.01).abs() < 1e-9);
    }
}
