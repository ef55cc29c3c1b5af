//! `cargo xtask bench`: the figures that matter, measured in one run so that ratios hold
//! on a noisy machine.
//!
//! - **scan**: records from an emulator through the typed paging iterator, `/all`, and a
//!   hand-written baseline (reqwest + `serde_json::Value`, same pages): requests, records
//!   per second and the client's peak memory (each scan runs in a child process, so its
//!   peak RSS is the client's alone);
//! - **decode**: the same page bytes decoded into generated structs and into `Value`;
//! - **rate budget**: a client alone against an emulator enforcing the documented limit
//!   (scaled down in time): `429`s received;
//! - **generate**: time and peak memory for N collections × 50 fields;
//! - **compile**: dev build time and line count of generated code.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use kinabase_codegen::schema::{CollectionSchema, FORMAT_VERSION, FieldSchema};
use kinabase_codegen::{EmitOptions, Layout, Overlay, Schema};
use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Account, Emulator, EmulatorConfig, RateLimit};
use kinabase_runtime::{Client, ListOptions, Page, RateBudget};
use serde_json::Value;

/// The generated bindings of the synthetic scan collection (1 × 20 fields), kept in
/// step with the generator by a test.
#[allow(dead_code, missing_docs, clippy::all)]
#[rustfmt::skip]
mod bench_bindings;

/// Fields of the synthetic collection the scans read.
pub const SCAN_FIELDS: usize = 20;

/// Options of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// CI-sized run: smaller N, no 1,000 × 50 compile.
    #[arg(long)]
    quick: bool,
    /// Run only these sections (scan, decode, rate, generate, compile); default all.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Internal: run one measurement in this process (used by the parent run).
    #[arg(long, hide = true, value_enum)]
    worker: Option<Worker>,
    /// Internal: worker argument.
    #[arg(long, hide = true, default_value_t = 0)]
    n: usize,
    /// Internal: worker argument.
    #[arg(long, hide = true, default_value = "")]
    base_url: String,
}

/// What a worker process measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Worker {
    /// Typed paging iterator.
    Paged,
    /// Typed `/all`.
    All,
    /// reqwest + `serde_json::Value`, same pages.
    Baseline,
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
        cmd.args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "xtask",
            "--",
            "bench",
        ]);
        if args.quick {
            cmd.arg("--quick");
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
    let sizes: &[usize] = if args.quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    println!(
        "kinabase bench ({}; release build; 2-core machine figures are noisy, ratios are what matter)\n",
        if args.quick { "quick" } else { "full" }
    );
    let want = |s: &str| args.only.is_empty() || args.only.iter().any(|o| o == s);
    if want("scan") {
        scan_table(sizes)?;
    }
    if want("decode") {
        decode_table()?;
    }
    if want("rate") {
        rate_budget(args.quick)?;
    }
    if want("generate") {
        generate_table(if args.quick {
            &[10, 100]
        } else {
            &[10, 100, 1000]
        })?;
    }
    if want("compile") {
        compile_table(args.quick)?;
    }
    Ok(())
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| e.to_string())
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

fn scan_client(base_url: &str) -> Result<Client, String> {
    Client::builder()
        .base_url(base_url)
        .app_id(kinabase_emulator::DEFAULT_APP_ID)
        .app_secret(kinabase_emulator::DEFAULT_APP_SECRET)
        .rate_budget(None)
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())
}

fn worker(w: Worker, args: &BenchArgs) -> Result<(), String> {
    let mut started = Instant::now();
    let count = match w {
        Worker::Paged => {
            let client = scan_client(&args.base_url)?;
            let mut n = 0;
            for r in client
                .collection::<bench_bindings::collection_0::Collection0>()
                .iter_with(ListOptions::default())
            {
                r.map_err(|e| e.to_string())?;
                n += 1;
            }
            n
        }
        Worker::All => {
            let client = scan_client(&args.base_url)?;
            client
                .collection::<bench_bindings::collection_0::Collection0>()
                .all()
                .map_err(|e| e.to_string())?
                .len()
        }
        Worker::Baseline => baseline_scan(&args.base_url)?,
        Worker::Generate => {
            // Only generation is timed: building the synthetic schema is not.
            let schema = synthetic_schema(args.n, 50);
            started = Instant::now();
            generate_single(&schema)?.lines().count()
        }
    };
    println!(
        "{{\"count\": {count}, \"secs\": {}, \"peak_kib\": {}}}",
        started.elapsed().as_secs_f64(),
        peak_rss_kib()
    );
    Ok(())
}

/// What a user would write by hand: reqwest, `serde_json::Value`, the same pages.
fn baseline_scan(base_url: &str) -> Result<usize, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())?;
    let token: Value = http
        .post(format!("{base_url}token"))
        .json(&serde_json::json!({"appId": kinabase_emulator::DEFAULT_APP_ID, "secret": kinabase_emulator::DEFAULT_APP_SECRET}))
        .send()
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    let token = token["token"].as_str().ok_or("no token")?.to_string();
    let mut n = 0;
    for index in 0.. {
        let page: Value = http
            .get(format!(
                "{base_url}collections/collection-0?pageIndex={index}&pageSize=300"
            ))
            .bearer_auth(&token)
            .send()
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

struct Measured {
    count: usize,
    secs: f64,
    peak_kib: u64,
}

fn spawn_worker(w: &str, n: usize, base_url: &str) -> Result<Measured, String> {
    let out = Command::new(exe()?)
        .args([
            "bench",
            "--worker",
            w,
            "--n",
            &n.to_string(),
            "--base-url",
            base_url,
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "bench worker {w} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bench worker {w}: {e}"))?;
    Ok(Measured {
        count: v["count"].as_u64().unwrap_or(0) as usize,
        secs: v["secs"].as_f64().unwrap_or(f64::NAN),
        peak_kib: v["peak_kib"].as_u64().unwrap_or(0),
    })
}

fn scan_table(sizes: &[usize]) -> Result<(), String> {
    println!(
        "SCAN (1 collection × {SCAN_FIELDS} fields; each scan in its own process; peak = client RSS)"
    );
    println!(
        "{:>8}  {:<26} {:>9} {:>9} {:>12} {:>10}",
        "N", "method", "requests", "expected", "records/s", "peak MiB"
    );
    for &n in sizes {
        let account = synth::account(Size {
            collections: 1,
            fields: SCAN_FIELDS,
            records: n,
        });
        let emu =
            Emulator::start(account, EmulatorConfig::unlimited()).map_err(|e| e.to_string())?;
        for (label, mode, expected) in [
            ("typed paging iterator", "paged", n.div_ceil(300).max(1)),
            ("typed /all", "all", 1),
            (
                "baseline reqwest + Value",
                "baseline",
                n.div_ceil(300).max(1),
            ),
        ] {
            emu.clear_log();
            let m = spawn_worker(mode, n, emu.base_url())?;
            let requests = emu
                .request_log()
                .iter()
                .filter(|e| e.path.contains("/collections/"))
                .count();
            if m.count != n {
                return Err(format!("{label}: read {} records of {n}", m.count));
            }
            println!(
                "{:>8}  {:<26} {:>9} {:>9} {:>12.0} {:>10.1}",
                n,
                label,
                requests,
                expected,
                n as f64 / m.secs,
                m.peak_kib as f64 / 1024.0
            );
        }
    }
    println!();
    Ok(())
}

fn decode_table() -> Result<(), String> {
    let account = synth::account(Size {
        collections: 1,
        fields: SCAN_FIELDS,
        records: 3000,
    });
    let emu = Emulator::start(account, EmulatorConfig::unlimited()).map_err(|e| e.to_string())?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::blocking::Client::new();
    let token: Value = http
        .post(format!("{}token", emu.base_url()))
        .json(&serde_json::json!({"appId": emu.app_id(), "secret": emu.app_secret()}))
        .send()
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    let token = token["token"].as_str().unwrap_or_default().to_string();
    let pages: Vec<Vec<u8>> = (0..10)
        .map(|i| {
            http.get(format!(
                "{}collections/collection-0?pageIndex={i}&pageSize=300",
                emu.base_url()
            ))
            .bearer_auth(&token)
            .send()
            .and_then(|r| r.bytes())
            .map(|b| b.to_vec())
            .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let rate = |f: &dyn Fn(&[u8]) -> usize| -> f64 {
        let started = Instant::now();
        let mut records = 0;
        while started.elapsed() < Duration::from_millis(1500) {
            for p in &pages {
                records += f(p);
            }
        }
        records as f64 / started.elapsed().as_secs_f64()
    };
    let typed = rate(&|p| {
        serde_json::from_slice::<Page<bench_bindings::collection_0::Fields>>(p)
            .map(|pg| pg.records.len())
            .unwrap_or(0)
    });
    let value = rate(&|p| {
        serde_json::from_slice::<Value>(p)
            .ok()
            .and_then(|v| v["records"].as_array().map(Vec::len))
            .unwrap_or(0)
    });
    println!("DECODE (the same 10 pages of 300 records, in memory, 1.5 s each)");
    println!("  typed Record<Fields>:  {typed:>10.0} records/s");
    println!("  serde_json::Value:     {value:>10.0} records/s");
    println!(
        "  ratio typed / Value:   {:>10.2}× (target ≥ 1.5×)\n",
        typed / value
    );
    Ok(())
}

fn rate_budget(quick: bool) -> Result<(), String> {
    // The documented 100 requests a minute, scaled down in time.
    let window = if quick {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(3)
    };
    let limit = RateLimit {
        requests: 100,
        per: window,
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
            rate_limit: Some(limit),
            ..EmulatorConfig::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .rate_budget(Some(RateBudget {
            requests: 100,
            per: window,
        }))
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let n = client
        .untyped("collection-0")
        .iter_with(ListOptions::default().page_size(10))
        .count();
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

/// The schema of a synthetic account (what a pull of it would give).
pub fn synthetic_schema(collections: usize, fields: usize) -> Schema {
    schema_of(&synth::account(Size {
        collections,
        fields,
        records: 0,
    }))
}

/// The single-file bindings of a synthetic account.
fn generate_synthetic(collections: usize, fields: usize) -> Result<String, String> {
    generate_single(&synthetic_schema(collections, fields))
}

/// The single-file bindings of a schema.
fn generate_single(schema: &Schema) -> Result<String, String> {
    let mut g = kinabase_codegen::generate(
        schema,
        &Overlay::default(),
        "bench",
        Layout::SingleFile,
        EmitOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(g.files.remove(0).1)
}

/// The schema an account fixture describes.
pub fn schema_of(account: &Account) -> Schema {
    let collections = account
        .collections
        .iter()
        .map(|c| CollectionSchema {
            id: c.id.clone(),
            name: c.name.clone(),
            slug: c.slug.clone(),
            description: c.description.clone(),
            fields: c
                .fields
                .iter()
                .map(|f| FieldSchema {
                    id: f.id.clone(),
                    key: f.wire_key(),
                    name: f.name.clone(),
                    ty: f.ty.clone(),
                    required: f.required,
                    primary: f.primary,
                    read_only: f.read_only,
                    description: f.description.clone(),
                    options: f.options.clone(),
                    target: f.target.clone(),
                    multiple: f.multiple,
                    inferred: None,
                    rust: None,
                })
                .collect(),
            rust: None,
        })
        .collect();
    Schema {
        format: FORMAT_VERSION,
        account: Some(account.name.clone()),
        collections,
    }
    .canonical()
}

fn generate_table(sizes: &[usize]) -> Result<(), String> {
    println!(
        "GENERATE (N collections × 50 fields, in-process generate + format; own process for peak memory)"
    );
    println!(
        "{:>6} {:>8} {:>10} {:>12} {:>10}",
        "N", "fields", "seconds", "lines", "peak MiB"
    );
    for &n in sizes {
        let m = spawn_worker("generate", n, "")?;
        println!(
            "{:>6} {:>8} {:>10.3} {:>12} {:>10.1}",
            n,
            n * 50,
            m.secs,
            m.count,
            m.peak_kib as f64 / 1024.0
        );
    }
    println!();
    Ok(())
}

fn compile_table(quick: bool) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let target = root.join("target/bench-compile");
    let cases: &[(usize, usize)] = if quick {
        &[(100, 30)]
    } else {
        &[(100, 30), (1000, 50)]
    };
    println!(
        "COMPILE (dev build of a crate holding only the generated code; dependencies prebuilt)"
    );
    println!(
        "{:>6} {:>7} {:>10} {:>10} {:>14} {:>12}",
        "N", "fields", "lines", "dev s", "no-incr. s", "rustc MiB"
    );
    let dir = std::env::temp_dir().join(format!("kinabase-bench-{}", std::process::id()));
    for &(n, f) in cases {
        let krate = dir.join(format!("gen{n}x{f}"));
        std::fs::create_dir_all(krate.join("src")).map_err(|e| e.to_string())?;
        let text = &generate_synthetic(n, f)?;
        std::fs::write(krate.join("src/lib.rs"), text).map_err(|e| e.to_string())?;
        std::fs::write(
            krate.join("Cargo.toml"),
            format!(
                "[package]\nname = \"gen-{n}x{f}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nkinabase-runtime = {{ path = {:?}, features = [\"http\"] }}\n\n[profile.dev.package.\"*\"]\ndebug = false\n\n[workspace]\n",
                root.join("kinabase-runtime").display().to_string()
            ),
        )
        .map_err(|e| e.to_string())?;
        let _ = std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock"));
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        // Dependencies first (not timed): only the generated code is measured.
        let deps = Command::new(&cargo)
            .current_dir(&krate)
            .args([
                "build",
                "--offline",
                "--quiet",
                "--package",
                "kinabase-runtime",
            ])
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .map_err(|e| e.to_string())?;
        if !deps.success() {
            return Err("building the runtime for the compile bench failed".into());
        }
        // The default dev build (incremental), then the same build with incremental
        // compilation off, which large generated crates may choose (see README).
        let (dev, dev_peak) = timed_build(&cargo, &krate, &target, true)?;
        let (plain, plain_peak) = timed_build(&cargo, &krate, &target, false)?;
        println!(
            "{:>6} {:>7} {:>10} {:>10.1} {:>14.1} {:>12}",
            n,
            f,
            text.lines().count(),
            dev,
            plain,
            dev_peak
                .into_iter()
                .chain(plain_peak)
                .reduce(f64::max)
                .map_or_else(|| "n/a".to_string(), |k| format!("{:.0}", k / 1024.0))
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!();
    Ok(())
}

/// Builds the crate at `krate` from clean (its dependencies stay built); returns seconds
/// and the peak RSS of the largest process (rustc), in KiB, when `/usr/bin/time` exists.
fn timed_build(
    cargo: &std::ffi::OsStr,
    krate: &Path,
    target: &Path,
    incremental: bool,
) -> Result<(f64, Option<f64>), String> {
    let name = std::fs::read_to_string(krate.join("Cargo.toml"))
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("name = \"")
                    .map(|n| n.trim_end_matches('"').to_string())
            })
        })
        .unwrap_or_default();
    let _ = Command::new(cargo)
        .current_dir(krate)
        .args(["clean", "--offline", "--quiet", "--package", &name])
        .env("CARGO_TARGET_DIR", target)
        .status();
    let mut build = if Path::new("/usr/bin/time").exists() {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "MAXRSS_KIB=%M"]).arg(cargo);
        c
    } else {
        Command::new(cargo)
    };
    build
        .current_dir(krate)
        .args(["build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", if incremental { "1" } else { "0" });
    let started = Instant::now();
    let out = build.output().map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "generated code in {} did not build:\n{}",
            krate.display(),
            stderr.chars().take(2000).collect::<String>()
        ));
    }
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("MAXRSS_KIB="))
        .and_then(|v| v.trim().parse::<f64>().ok());
    Ok((secs, peak))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_bindings_are_up_to_date() {
        let schema = synthetic_schema(1, SCAN_FIELDS);
        let g = kinabase_codegen::generate(
            &schema,
            &Overlay::default(),
            "synthetic 1x20",
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
}
