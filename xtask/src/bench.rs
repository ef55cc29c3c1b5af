//! `cargo xtask bench`: the project's figures beside their yardsticks, each measured in its
//! own child process and repeated (median and spread).
//!
//! - **scan** (`bench/scan.rs`): typed paging iterator, `/all`, and reqwest + `Value` on
//!   the same pages: records/s with the rate budget off, peak client memory, and the time a
//!   user waits under the documented 100 requests a minute (computed from the requests);
//! - **decode** (`bench/decode.rs`): the same page bytes into generated types, into
//!   hand-written-equivalent `#[derive(Deserialize)]` structs, and into `Value`, on a
//!   uniform and a realistic collection (`bench/data.rs`); `--instructions` adds
//!   callgrind instruction counts, which hold on a loaded machine;
//! - **rate**: a client against an emulator enforcing the limit (scaled in time): `429`s;
//! - **slow** (`bench/slow.rs`, only with `--only slow`): 100 pages served in 1.5 s each
//!   under the documented limit, read with pages fetched ahead;
//! - **generate**, **compile** (`bench/build.rs`): generation and dev-build time and memory.

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use kinabase_runtime::{Client, RateBudget};
use serde_json::Value;

/// The generated bindings of the bench collections (uniform 1 × 20 and realistic), kept in
/// step with the generator by a test.
#[allow(dead_code, missing_docs, clippy::all)]
#[rustfmt::skip]
mod bench_bindings;
mod build;
mod data;
mod decode;
/// The derive baseline, written by `mirror.rs`, kept in step by a test.
#[allow(dead_code, missing_docs, clippy::all)]
#[rustfmt::skip]
mod derive_bindings;
#[cfg(test)]
mod mirror;
mod scan;
mod slow;

pub use build::synthetic_schema;
pub use data::SCAN_FIELDS;

/// Options of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// CI-sized run: smaller N, fewer repeats, no 1,000 × 50 compile.
    #[arg(long)]
    quick: bool,
    /// Run only these sections (scan, decode, rate, generate, compile; `slow`, about a
    /// minute, runs only when named); default all but `slow`.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Also count instructions per decoded record under valgrind's callgrind (stable
    /// on a loaded machine, unlike wall-clock time).
    #[arg(long)]
    instructions: bool,
    /// Internal: run one measurement in this process (used by the parent run).
    #[arg(long, hide = true, value_enum)]
    worker: Option<Worker>,
    /// Internal: worker argument.
    #[arg(long, hide = true, default_value_t = 0)]
    n: usize,
    /// Internal: worker argument.
    #[arg(long, hide = true, default_value = "")]
    base_url: String,
    /// Internal: worker argument.
    #[arg(long, hide = true, default_value = "")]
    mode: String,
    /// Internal: worker argument.
    #[arg(long, hide = true, default_value = "")]
    decoder: String,
    /// Internal: worker argument.
    #[arg(long, hide = true)]
    pages: Option<PathBuf>,
}

/// What a worker process measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Worker {
    /// One scan (`--mode paged|all|baseline`).
    Scan,
    /// Decoding pages from files (`--decoder typed|derive|value`, `--pages`, `--n` passes).
    Decode,
    /// Generation of `n` collections × 50 fields.
    Generate,
}

/// Runs the bench (re-running itself in release when built in debug).
pub fn run(args: &BenchArgs) -> Result<(), String> {
    if let Some(w) = args.worker {
        return worker(w, args);
    }
    if cfg!(debug_assertions) {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["run", "--quiet", "--release", "--package", "xtask", "--"]);
        cmd.arg("bench");
        if args.quick {
            cmd.arg("--quick");
        }
        if args.instructions {
            cmd.arg("--instructions");
        }
        if !args.only.is_empty() {
            cmd.arg("--only").arg(args.only.join(","));
        }
        let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
        return if status.success() {
            Ok(())
        } else {
            Err(format!("release bench failed ({status})"))
        };
    }
    println!(
        "kinabase bench ({}; release build; wall-clock figures on a shared machine are noisy: \
         compare medians of paired runs, or use --instructions)\n",
        if args.quick { "quick" } else { "full" }
    );
    let want = |s: &str| args.only.is_empty() || args.only.iter().any(|o| o == s);
    if want("scan") {
        if args.quick {
            scan::table(&[1_000, 10_000], 3)?;
        } else {
            scan::table(&[1_000, 10_000, 100_000], 3)?;
        }
    }
    if want("decode") {
        decode::table(args.quick, args.instructions)?;
    }
    if want("rate") {
        scan::rate_budget(args.quick)?;
    }
    // About a minute of real time: only on request.
    if args.only.iter().any(|o| o == "slow") {
        slow::table()?;
    }
    if want("generate") {
        build::generate_table(if args.quick {
            &[10, 100]
        } else {
            &[10, 100, 1000]
        })?;
    }
    if want("compile") {
        build::compile_table(args.quick)?;
    }
    Ok(())
}

fn worker(w: Worker, args: &BenchArgs) -> Result<(), String> {
    let mut started = Instant::now();
    let (count, secs) = match w {
        Worker::Scan => {
            let n = scan::worker(&args.mode, &args.base_url)?;
            (n, started.elapsed().as_secs_f64())
        }
        Worker::Decode => {
            let dir = args.pages.as_deref().ok_or("--pages is required")?;
            decode::worker(&args.decoder, dir, args.n.max(1))?
        }
        Worker::Generate => {
            // Only generation is timed: building the synthetic schema is not.
            let schema = synthetic_schema(args.n, 50);
            started = Instant::now();
            let lines = build::generate_single(&schema)?.lines().count();
            (lines, started.elapsed().as_secs_f64())
        }
    };
    println!(
        "{{\"count\": {count}, \"secs\": {secs}, \"peak_kib\": {}}}",
        peak_rss_kib()
    );
    Ok(())
}

/// Peak resident memory of this process, from `/proc/self/status` (KiB).
fn peak_rss_kib() -> u64 {
    let mut s = String::new();
    let _ = std::fs::File::open("/proc/self/status").and_then(|mut f| f.read_to_string(&mut s));
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| e.to_string())
}

/// A typed client for scans; `budget: None` turns the client's rate budget off.
fn scan_client(base_url: &str, budget: Option<RateBudget>) -> Result<Client, String> {
    Client::builder()
        .base_url(base_url)
        .app_id(kinabase_emulator::DEFAULT_APP_ID)
        .app_secret(kinabase_emulator::DEFAULT_APP_SECRET)
        .rate_budget(budget)
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())
}

/// A plain reqwest client, as the baselines use.
fn http() -> Result<reqwest::blocking::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())
}

/// A token from the emulator at `base_url`, by hand.
fn token(http: &reqwest::blocking::Client, base_url: &str) -> Result<String, String> {
    let body = serde_json::json!({
        "appId": kinabase_emulator::DEFAULT_APP_ID,
        "secret": kinabase_emulator::DEFAULT_APP_SECRET,
    });
    let token: Value = http
        .post(format!("{base_url}token"))
        .json(&body)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    token["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no token in the emulator's answer".to_string())
}

/// What a worker reports.
struct Measured {
    count: usize,
    secs: f64,
    peak_kib: u64,
}

/// Runs this executable as a bench worker with `args`; a failed worker fails the bench.
fn spawn(args: &[&str]) -> Result<Measured, String> {
    let out = Command::new(exe()?)
        .arg("bench")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "bench worker {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bench worker {args:?}: {e}"))?;
    Ok(Measured {
        count: v["count"].as_u64().unwrap_or(0) as usize,
        secs: v["secs"].as_f64().unwrap_or(f64::NAN),
        peak_kib: v["peak_kib"].as_u64().unwrap_or(0),
    })
}

/// Instructions a worker executes inside `decode_pages`, counted by callgrind.
fn instructions(args: &[&str]) -> Result<u64, String> {
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--toggle-collect=*decode_pages*",
            "--callgrind-out-file=/dev/null",
        ])
        .arg(exe()?)
        .arg("bench")
        .args(args)
        .output()
        .map_err(|e| format!("--instructions needs valgrind: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "callgrind worker {args:?} failed: {}",
            stderr.trim()
        ));
    }
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| {
            format!(
                "no instruction count in callgrind's output: {}",
                stderr.trim()
            )
        })
}

/// Median and range of repeated measurements.
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn of(xs: &[f64]) -> Stats {
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let median = match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        };
        Stats {
            median,
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// `312k (298k–320k)`: a rate in thousands with its range.
    fn krate(&self) -> String {
        format!(
            "{:.0}k ({:.0}k–{:.0}k)",
            self.median / 1e3,
            self.min / 1e3,
            self.max / 1e3
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinabase_codegen::{EmitOptions, Layout, Overlay};
    use std::path::Path;

    #[test]
    fn bench_bindings_are_up_to_date() {
        let g = kinabase_codegen::generate(
            &data::bench_schema(),
            &Overlay::default(),
            "bench collections",
            Layout::SingleFile,
            EmitOptions {
                account_type: false,
            },
        )
        .unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bench/bench_bindings.rs");
        if std::env::var_os("KINABASE_BLESS").is_some() {
            std::fs::write(&path, &g.files[0].1).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            g.files[0].1,
            "refresh with KINABASE_BLESS=1 cargo test -p xtask"
        );
    }

    #[test]
    fn medians_and_ranges() {
        let s = Stats::of(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
        assert_eq!(Stats::of(&[5.0, 1.0, 9.0]).median, 5.0);
    }
}
