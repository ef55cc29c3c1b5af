//! The build-side figures: generation time and memory for N collections × 50 fields, and
//! the dev build of the generated code (time, peak rustc memory).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kinabase_codegen::{EmitOptions, Layout, Overlay, Schema};
use kinabase_emulator::synth::{self, Size};

use super::spawn;

/// The schema of a synthetic account (what a pull of it would give).
pub fn synthetic_schema(collections: usize, fields: usize) -> Schema {
    super::data::schema_of(&synth::account(Size {
        collections,
        fields,
        records: 0,
    }))
}

/// The single-file bindings of a synthetic account; with `only`, of its first `only`
/// collections (the overlay's `only`, as a crate using a few collections of a huge account).
fn generate_synthetic(
    collections: usize,
    fields: usize,
    only: Option<usize>,
) -> Result<String, String> {
    let schema = synthetic_schema(collections, fields);
    let mut overlay = Overlay::default();
    if let Some(k) = only {
        overlay.only = Some(
            schema
                .collections
                .iter()
                .take(k)
                .map(|c| c.slug.clone())
                .collect(),
        );
    }
    generate_with(&schema, &overlay)
}

/// The single-file bindings of a schema.
pub fn generate_single(schema: &Schema) -> Result<String, String> {
    generate_with(schema, &Overlay::default())
}

fn generate_with(schema: &Schema, overlay: &Overlay) -> Result<String, String> {
    let mut g = kinabase_codegen::generate(
        schema,
        overlay,
        "bench",
        Layout::SingleFile,
        EmitOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(g.files.remove(0).1)
}

pub fn generate_table(sizes: &[usize]) -> Result<(), String> {
    println!(
        "GENERATE (N collections × 50 fields, in-process generate + format; own process for peak memory)"
    );
    println!(
        "{:>6} {:>8} {:>10} {:>12} {:>10}",
        "N", "fields", "seconds", "lines", "peak MiB"
    );
    for &n in sizes {
        let m = spawn(&["--worker", "generate", "--n", &n.to_string()])?;
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

pub fn compile_table(quick: bool) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let target = root.join("target/bench-compile");
    // (collections, fields, generated collections when the overlay's `only` is used)
    let default_cases: &[(usize, usize, Option<usize>)] = if quick {
        &[(100, 30, None), (100, 30, Some(10))]
    } else {
        &[(100, 30, None), (1000, 50, None), (1000, 50, Some(20))]
    };
    // KINABASE_BENCH_COMPILE_CASES="1000x50,100x30only10" picks the cases, for profiling
    // one size by hand.
    let picked = std::env::var("KINABASE_BENCH_COMPILE_CASES")
        .ok()
        .map(|v| parse_cases(&v))
        .transpose()?;
    let cases = picked.as_deref().unwrap_or(default_cases);
    println!(
        "COMPILE (dev build of a crate holding only the generated code; dependencies prebuilt)"
    );
    println!(
        "{:>6} {:>7} {:>9} {:>10} {:>10} {:>14} {:>12}",
        "N", "fields", "only", "lines", "dev s", "no-incr. s", "rustc MiB"
    );
    // KINABASE_BENCH_COMPILE_DIR keeps the generated crates there, for profiling by hand.
    let keep = std::env::var_os("KINABASE_BENCH_COMPILE_DIR").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kinabase-bench-{}", std::process::id()))
    });
    for &(n, f, only) in cases {
        let tag = only.map_or_else(String::new, |k| format!("only{k}"));
        let krate = dir.join(format!("gen{n}x{f}{tag}"));
        std::fs::create_dir_all(krate.join("src")).map_err(|e| e.to_string())?;
        let text = &generate_synthetic(n, f, only)?;
        std::fs::write(krate.join("src/lib.rs"), text).map_err(|e| e.to_string())?;
        std::fs::write(
            krate.join("Cargo.toml"),
            format!(
                "[package]\nname = \"gen-{n}x{f}{tag}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nkinabase-runtime = {{ path = {:?}, features = [\"http\"] }}\n\n[profile.dev.package.\"*\"]\ndebug = false\n\n[workspace]\n",
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
            "{:>6} {:>7} {:>9} {:>10} {:>10.1} {:>14.1} {:>12}",
            n,
            f,
            only.map_or_else(|| "all".to_string(), |k| k.to_string()),
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
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!();
    Ok(())
}

/// `NxF` or `NxFonlyK` cases, comma-separated.
fn parse_cases(text: &str) -> Result<Vec<(usize, usize, Option<usize>)>, String> {
    let bad = |c: &str| format!("KINABASE_BENCH_COMPILE_CASES: {c:?} is not NxF or NxFonlyK");
    text.split(',')
        .map(str::trim)
        .map(|c| {
            let (size, only) = match c.split_once("only") {
                Some((size, k)) => (size, Some(k.parse().map_err(|_| bad(c))?)),
                None => (c, None),
            };
            let (n, f) = size.split_once('x').ok_or_else(|| bad(c))?;
            Ok((
                n.parse().map_err(|_| bad(c))?,
                f.parse().map_err(|_| bad(c))?,
                only,
            ))
        })
        .collect()
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
