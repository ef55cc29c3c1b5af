//! `cargo xtask demo`: the main job, end to end, on the built-in emulator account.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Args;
use kinabase_codegen::pull::{self, Progress, PullOptions};
use kinabase_emulator::{Account, Emulator, EmulatorConfig, RateLimit};
use kinabase_runtime::Client;

/// Options of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Account fixture to serve.
    #[arg(long)]
    account: Option<PathBuf>,
    /// Stop after generating (do not build and run the example program).
    #[arg(long)]
    no_run: bool,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<(), String> {
    let started = Instant::now();
    let root = root();
    let account_path = args
        .account
        .clone()
        .unwrap_or_else(|| root.join("fixtures/accounts/field-service.json"));
    let example = root.join("examples/field-service");
    let snapshot = example.join("kinabase.snapshot.json");
    let bindings = example.join("src/kinabase");

    step(1, "start the emulator");
    let account = Account::load(&account_path).map_err(|e| e.to_string())?;
    let config = EmulatorConfig {
        rate_limit: Some(RateLimit::DOCUMENTED),
        ..EmulatorConfig::default()
    };
    let emulator =
        Emulator::start(account, config).map_err(|e| format!("cannot start the emulator: {e}"))?;
    println!(
        "   {} serving {} (100 requests/minute, as documented)",
        emulator.base_url(),
        account_path.display()
    );

    step(2, "pull the schema over HTTP");
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_id(emulator.app_id())
        .app_secret(emulator.app_secret())
        .build()
        .map_err(|e| e.to_string())?;
    let schema = pull::pull(
        &client,
        &PullOptions {
            progress: Progress::Plain,
            ..PullOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let mut schema = schema;
    kinabase_cli::lock_names(&snapshot, &mut schema, false)?;
    kinabase_cli::write_snapshot(&snapshot, &schema)?;
    println!("   wrote {}", rel(&root, &snapshot));

    step(3, "generate typed bindings");
    let report = kinabase_cli::builder_for(&snapshot, &bindings, None)
        .write()
        .map_err(|e| e.to_string())?;
    let changed = report
        .files
        .iter()
        .filter(|(_, w)| *w == kinabase_codegen::Written::Changed)
        .count();
    println!(
        "   {} files in {} ({} changed)",
        report.files.len(),
        rel(&root, &bindings),
        changed
    );

    println!();
    println!("   {:<18} {:>6}  fields by type", "collection", "fields");
    for c in &schema.collections {
        let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &c.fields {
            *by_type.entry(f.ty.as_str()).or_default() += 1;
        }
        let types: Vec<String> = by_type
            .iter()
            .map(|(t, n)| {
                if *n > 1 {
                    format!("{t}×{n}")
                } else {
                    t.to_string()
                }
            })
            .collect();
        println!(
            "   {:<18} {:>6}  {}",
            c.name,
            c.fields.len(),
            types.join(", ")
        );
    }
    let warnings: Vec<_> = report.diagnostics.warnings().collect();
    println!("   {} warning(s)", warnings.len());
    for w in warnings {
        println!("   - {w}");
    }

    if args.no_run {
        return Ok(());
    }
    step(4, "build and run the example program against the emulator");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    emulator.clear_log();
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["run", "--quiet", "--package", "field-service-demo"])
        .env("KINABASE_BASE_URL", emulator.base_url())
        .env("KINABASE_APP_ID", emulator.app_id())
        .env("KINABASE_APP_SECRET", emulator.app_secret())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the example program failed ({status})"));
    }
    let log = emulator.request_log();
    let count = |pred: &dyn Fn(&kinabase_emulator::LogEntry) -> bool| {
        log.iter().filter(|e| pred(e)).count()
    };
    step(5, "summary");
    println!(
        "   collections: {}, fields: {}",
        report.collections, report.fields
    );
    println!(
        "   requests by the program: {} ({} reads, {} writes, {} token), 429s: {}, errors: {}",
        log.len(),
        count(&|e| e.method == "GET"),
        count(&|e| e.method != "GET" && !e.path.ends_with("/token")),
        count(&|e| e.path.ends_with("/token")),
        count(&|e| e.status == 429),
        count(&|e| e.status >= 400 && e.status != 429),
    );
    println!("   done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn step(n: u32, what: &str) {
    println!("\n{n}. {what}");
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}
