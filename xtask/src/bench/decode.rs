//! The decode bench: the same page bytes (as the emulator serves them) decoded into the
//! generated types, into hand-written-equivalent `#[derive(Deserialize)]` structs and into
//! `serde_json::Value`, each in its own single-threaded child process, paired and repeated.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kinabase_runtime::Page;
use serde_json::Value;

use super::{Measured, Stats, bench_bindings, data, derive_bindings, spawn};

/// Pages of 300 records each decoder reads per pass.
const PAGES: usize = 10;

/// The decoders compared.
const DECODERS: [&str; 3] = ["typed", "derive", "value"];

/// One decode pass over `pages` with `decoder`; the record count. Errors are fatal: a
/// decoder that fails must not look fast.
#[inline(never)]
fn decode_pages(decoder: &str, collection: &str, pages: &[Vec<u8>]) -> Result<usize, String> {
    let mut n = 0;
    for p in pages {
        n += match (decoder, collection) {
            ("typed", data::UNIFORM) => typed::<bench_bindings::collection_0::Fields>(p)?,
            ("typed", _) => typed::<bench_bindings::jobs::Fields>(p)?,
            ("derive", data::UNIFORM) => derived::<derive_bindings::collection_0::Fields>(p)?,
            ("derive", _) => derived::<derive_bindings::jobs::Fields>(p)?,
            ("value", _) => serde_json::from_slice::<Value>(p)
                .map_err(|e| format!("Value: {e}"))?
                .get("records")
                .and_then(Value::as_array)
                .map(Vec::len)
                .ok_or("Value: no records array")?,
            _ => return Err(format!("unknown decoder {decoder}")),
        };
    }
    Ok(n)
}

fn typed<F: serde::de::DeserializeOwned>(p: &[u8]) -> Result<usize, String> {
    serde_json::from_slice::<Page<F>>(p)
        .map(|pg| pg.records.len())
        .map_err(|e| format!("typed: {e}"))
}

fn derived<F: serde::de::DeserializeOwned>(p: &[u8]) -> Result<usize, String> {
    serde_json::from_slice::<derive_bindings::Page<F>>(p)
        .map(|pg| pg.records.len())
        .map_err(|e| format!("derive: {e}"))
}

/// The child: decodes the pages under `dir` `reps` times.
pub fn worker(decoder: &str, dir: &Path, reps: usize) -> Result<(usize, f64), String> {
    let collection = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("bad page dir")?
        .to_string();
    let pages = (0..PAGES)
        .map(|i| std::fs::read(dir.join(format!("{i}.json"))).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    // One untimed pass: page faults, allocator warm-up, and the first error if any.
    let expected = decode_pages(decoder, &collection, &pages)?;
    let started = Instant::now();
    let mut n = 0;
    for _ in 0..reps {
        n += decode_pages(decoder, &collection, &pages)?;
    }
    let secs = started.elapsed().as_secs_f64();
    if n != expected * reps {
        return Err(format!(
            "{decoder}: {n} records, expected {}",
            expected * reps
        ));
    }
    Ok((n, secs))
}

/// Fetches the pages both collections are decoded from, as the emulator serves them.
fn fetch_pages(dir: &Path) -> Result<(), String> {
    let emu = kinabase_emulator::Emulator::start(
        data::account(PAGES * 300),
        kinabase_emulator::EmulatorConfig::unlimited(),
    )
    .map_err(|e| e.to_string())?;
    let http = super::http()?;
    let token = super::token(&http, emu.base_url())?;
    for slug in [data::UNIFORM, data::REALISTIC] {
        std::fs::create_dir_all(dir.join(slug)).map_err(|e| e.to_string())?;
        for i in 0..PAGES {
            let body = http
                .get(format!(
                    "{}collections/{slug}?pageIndex={i}&pageSize=300&includeLists=true",
                    emu.base_url()
                ))
                .bearer_auth(&token)
                .send()
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.bytes())
                .map_err(|e| e.to_string())?;
            std::fs::write(dir.join(slug).join(format!("{i}.json")), body)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Prints the decode table: median records/s and spread over `runs` paired runs, and
/// with `instructions`, instructions per record under callgrind (stable under load).
pub fn table(quick: bool, instructions: bool) -> Result<(), String> {
    // KINABASE_BENCH_PAGES keeps the pages there, for profiling a worker by hand.
    let keep = std::env::var_os("KINABASE_BENCH_PAGES").map(PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kinabase-bench-pages-{}", std::process::id()))
    });
    fetch_pages(&dir)?;
    let (runs, reps) = if quick { (3, 4) } else { (7, 20) };
    println!(
        "DECODE (10 pages × 300 records as served, in memory; each decoder in its own single-threaded process; {runs} paired runs × {reps} passes; median (min–max))"
    );
    println!(
        "  {:<34} {:>24} {:>24} {:>24}",
        "collection", "typed Record<Fields>", "derive(Deserialize)", "serde_json::Value"
    );
    let result = (|| {
        for (label, slug) in [
            ("uniform 1 × 20 (emulator synth)", data::UNIFORM),
            ("realistic 30 fields, 23 types", data::REALISTIC),
        ] {
            let pages: PathBuf = dir.join(slug);
            let mut rates: Vec<Vec<f64>> = vec![Vec::new(); DECODERS.len()];
            for run in 0..runs {
                // Rotate who goes first, so no decoder always meets a cold machine.
                for k in 0..DECODERS.len() {
                    let d = (run + k) % DECODERS.len();
                    let m: Measured = spawn(&[
                        "--worker",
                        "decode",
                        "--decoder",
                        DECODERS[d],
                        "--pages",
                        &pages.to_string_lossy(),
                        "--n",
                        &reps.to_string(),
                    ])?;
                    rates[d].push(m.count as f64 / m.secs);
                }
            }
            let s: Vec<Stats> = rates.iter().map(|r| Stats::of(r)).collect();
            println!(
                "  {:<34} {:>24} {:>24} {:>24}",
                label,
                s[0].krate(),
                s[1].krate(),
                s[2].krate()
            );
            println!(
                "  {:<34} {:>24} {:>24}",
                "  typed ÷ derive, typed ÷ Value",
                format!("{:.2}× (target ≥ 1.0×)", s[0].median / s[1].median),
                format!("{:.2}× (target ≥ 1.5×)", s[0].median / s[2].median),
            );
            if instructions {
                let per: Vec<String> = DECODERS
                    .iter()
                    .map(|d| {
                        super::instructions(&[
                            "--worker",
                            "decode",
                            "--decoder",
                            d,
                            "--pages",
                            &pages.to_string_lossy(),
                            "--n",
                            "1",
                        ])
                        .map(|i| format!("{:.0} instr/rec", i as f64 / (2 * PAGES * 300) as f64))
                    })
                    .collect::<Result<_, _>>()?;
                println!(
                    "  {:<34} {:>24} {:>24} {:>24}",
                    "  callgrind", per[0], per[1], per[2]
                );
            }
        }
        Ok(())
    })();
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!();
    result
}
