//! The team workflow as a library: `pull`, `generate`, `check`, `emulate`, `demo` and
//! `bench`. A team's own xtask is a few lines:
//!
//! ```no_run
//! // xtask/src/main.rs
//! std::process::exit(xtask::run(std::env::args_os()));
//! ```
//!
//! Every command exits `0` on success and `2` on an error, with a short message naming
//! the cause and the fix; `check` also exits `3` (non-breaking drift), `4` (breaking
//! drift) and `1` (committed generated code is stale).

#![deny(missing_docs)]

pub mod bench;
mod demo;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use kinabase_codegen::drift;
use kinabase_codegen::pull::{self, Progress, PullOptions};
use kinabase_codegen::{Builder, Schema};
use kinabase_runtime::Client;

/// Kinabase bindings: pull a schema, generate typed Rust, check for drift.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pull the account's schema into a snapshot (credentials from KINABASE_APP_ID and KINABASE_APP_SECRET).
    Pull(PullArgs),
    /// Generate Rust from a snapshot, offline (a .rs path writes one file, a directory a module tree).
    Generate(GenerateArgs),
    /// Report how the live account (or a second snapshot) differs from the snapshot; exit 0 same, 3 non-breaking, 4 breaking, 2 error.
    Check(CheckArgs),
    /// Serve an account fixture as a local Kinabase API until Ctrl-C.
    Emulate(kinabase_emulator::cli::EmulateArgs),
    /// The main job end to end on the built-in demo account: emulator, pull, generate, build and run a typed program.
    Demo(demo::DemoArgs),
    /// Print the performance table: scans, decode, rate budget, generation and compile figures.
    Bench(bench::BenchArgs),
}

#[derive(Debug, Args)]
struct Connection {
    /// API base URL (else KINABASE_BASE_URL, else the real service).
    #[arg(long)]
    base_url: Option<String>,
}

/// Reads an environment variable (injectable for tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Connection {
    fn client(&self, env: Env<'_>) -> Result<Client, String> {
        let mut b = Client::builder();
        let id = env("KINABASE_APP_ID")
            .filter(|v| !v.is_empty())
            .ok_or("KINABASE_APP_ID is not set: export the App ID from Settings → API")?;
        let secret = env("KINABASE_APP_SECRET")
            .filter(|v| !v.is_empty())
            .ok_or("KINABASE_APP_SECRET is not set: export the App Secret from Settings → API")?;
        b = b.app_id(id).app_secret(secret);
        if let Some(url) = self
            .base_url
            .clone()
            .or_else(|| env("KINABASE_BASE_URL").filter(|u| !u.trim().is_empty()))
        {
            b = b.base_url(url);
        }
        b.build().map_err(|e| e.to_string())
    }
}

#[derive(Debug, Args)]
struct PullArgs {
    #[command(flatten)]
    connection: Connection,
    /// Where to write the snapshot.
    #[arg(long, default_value = "kinabase.snapshot.json")]
    snapshot: PathBuf,
    /// Records sampled per collection whose fields must be inferred.
    #[arg(long, default_value_t = 3000)]
    sample: usize,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
    /// Name every collection and field afresh from the wire, instead of keeping the Rust
    /// names the existing snapshot locked (renames whatever the account renamed).
    #[arg(long)]
    fresh_names: bool,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// The snapshot to read.
    #[arg(long, default_value = "kinabase.snapshot.json")]
    snapshot: PathBuf,
    /// Output: a `.rs` file, or a directory for a module tree.
    #[arg(long, default_value = "src/kinabase")]
    out: PathBuf,
    /// Overlay (kinabase.toml); used when it exists.
    #[arg(long, default_value = "kinabase.toml")]
    overlay: PathBuf,
    /// Leave out the `Kinabase` account type (for crates without the runtime's http feature).
    #[arg(long)]
    no_account_type: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    connection: Connection,
    /// The committed snapshot.
    #[arg(long, default_value = "kinabase.snapshot.json")]
    snapshot: PathBuf,
    /// Compare with this snapshot instead of the live account.
    #[arg(long)]
    against: Option<PathBuf>,
    /// Instead of drift: fail (exit 1) when the generated code here is stale against the snapshot.
    #[arg(long)]
    generated: Option<PathBuf>,
    /// Overlay the bindings are generated with (names in use, skipped items).
    #[arg(long, default_value = "kinabase.toml")]
    overlay: PathBuf,
}

/// Parses `args` (program name first) and runs the command. Returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    run_with_env(args, &|k| std::env::var(k).ok())
}

/// [`run`] with the environment read through `env`.
pub fn run_with_env(args: impl IntoIterator<Item = OsString>, env: Env<'_>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Pull(a) => pull_cmd(&a, env).map(|()| 0),
        Command::Generate(a) => generate_cmd(&a).map(|()| 0),
        Command::Check(a) => check_cmd(&a, env),
        Command::Emulate(a) => kinabase_emulator::cli::run(&a).map(|()| 0),
        Command::Demo(a) => demo::run(&a).map(|()| 0),
        Command::Bench(a) => bench::run(&a).map(|()| 0),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        2
    })
}

fn pull_cmd(a: &PullArgs, env: Env<'_>) -> Result<(), String> {
    let client = a.connection.client(env)?;
    let progress = if a.quiet {
        Progress::Quiet
    } else {
        Progress::Auto
    };
    let schema = pull::pull(
        &client,
        &PullOptions {
            sample_limit: a.sample,
            progress,
        },
    )
    .map_err(|e| e.to_string())?;
    let mut schema = schema;
    lock_names(&a.snapshot, &mut schema, a.fresh_names)?;
    write_snapshot(&a.snapshot, &schema)?;
    if !a.quiet {
        eprintln!(
            "wrote {} ({} collections)",
            a.snapshot.display(),
            schema.collections.len()
        );
    }
    Ok(())
}

/// The snapshot is the lockfile of Rust names: a freshly pulled `schema` keeps the names
/// the snapshot at `path` gave the same items (unless `fresh`), and new items get theirs.
pub fn lock_names(path: &Path, schema: &mut Schema, fresh: bool) -> Result<(), String> {
    if !fresh && path.exists() {
        let old = Schema::load(path).map_err(|e| e.to_string())?;
        schema.inherit_names(&old);
    }
    kinabase_codegen::lower::assign_names(schema);
    Ok(())
}

/// Writes a snapshot canonically and atomically.
pub fn write_snapshot(path: &Path, schema: &Schema) -> Result<(), String> {
    kinabase_codegen::render::write_if_changed(path, &schema.to_snapshot_text())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The builder `generate` uses: a `.rs` output is one file, anything else a module tree.
pub fn builder_for(snapshot: &Path, out: &Path, overlay: &Path) -> Builder {
    let b = Builder::new(snapshot).overlay(overlay);
    if out.extension().is_some_and(|e| e == "rs") {
        b.out_file(out)
    } else {
        b.out_dir(out)
    }
}

fn generate_cmd(a: &GenerateArgs) -> Result<(), String> {
    let report = builder_for(&a.snapshot, &a.out, &a.overlay)
        .account_type(!a.no_account_type)
        .write()
        .map_err(|e| e.to_string())?;
    for d in report.diagnostics.warnings() {
        eprintln!("{d}");
    }
    let changed = report
        .files
        .iter()
        .filter(|(_, w)| *w == kinabase_codegen::Written::Changed)
        .count();
    eprintln!(
        "generated {} collections, {} fields into {} ({} file(s) changed, {} unchanged)",
        report.collections,
        report.fields,
        a.out.display(),
        changed,
        report.files.len() - changed
    );
    Ok(())
}

fn check_cmd(a: &CheckArgs, env: Env<'_>) -> Result<i32, String> {
    if let Some(generated) = &a.generated {
        let stale = builder_for(&a.snapshot, generated, &a.overlay)
            .stale()
            .map_err(|e| e.to_string())?;
        if stale.is_empty() {
            println!("generated code in {} is up to date", generated.display());
            return Ok(0);
        }
        for p in &stale {
            println!("stale: {}", p.display());
        }
        println!(
            "run `cargo xtask generate --snapshot {} --out {}` and commit the result",
            a.snapshot.display(),
            generated.display()
        );
        return Ok(1);
    }
    let committed = Schema::load(&a.snapshot).map_err(|e| e.to_string())?;
    let current = match &a.against {
        Some(p) => Schema::load(p).map_err(|e| e.to_string())?,
        None => {
            let client = a.connection.client(env)?;
            pull::pull(
                &client,
                &PullOptions {
                    progress: Progress::Quiet,
                    ..PullOptions::default()
                },
            )
            .map_err(|e| e.to_string())?
        }
    };
    let overlay = if a.overlay.exists() {
        kinabase_codegen::Overlay::load(&a.overlay).map_err(|e| e.to_string())?
    } else {
        kinabase_codegen::Overlay::default()
    };
    let report = drift::compare_with(&committed, &current, &overlay);
    print!("{}", report.render(std::io::stdout().is_terminal()));
    Ok(report.exit_code())
}
