//! The `cargo kinabase` commands as a library: `pull`, `generate`, `check`, `emulate`, `init`.
//!
//! `cargo install --locked --path cargo-kinabase` installs them as `cargo kinabase`. A team
//! that prefers its own xtask calls the same code:
//!
//! ```no_run
//! // xtask/src/main.rs, with `kinabase-cli` as a dependency
//! std::process::exit(kinabase_cli::run(std::env::args_os()));
//! ```
//!
//! Every command exits `0` on success and `2` on an error, with a short message naming
//! the cause and the fix; `check` also exits `3` (non-breaking drift), `4` (breaking
//! drift) and `1` (committed generated code is stale).

#![deny(missing_docs)]

mod commands;
pub mod init;
pub mod term;

use std::ffi::OsString;
use std::path::Path;

use clap::{Parser, Subcommand};

pub use commands::{CheckArgs, GenerateArgs, PullArgs, builder_for, lock_names, write_snapshot};
pub use term::{ColorChoice, Env, Global, Out};

/// Kinabase bindings: pull a schema, generate typed Rust, check for drift, emulate the API.
#[derive(Debug, Parser)]
#[command(name = "cargo kinabase", bin_name = "cargo kinabase", version)]
#[command(
    about = "Kinabase bindings: pull a schema, generate typed Rust, check for drift, emulate the API"
)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// The commands, for embedding in another command line (`#[command(flatten)]`).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull the account's schema into a snapshot (KINABASE_BASE_URL, KINABASE_APP_ID, KINABASE_APP_SECRET).
    Pull(PullArgs),
    /// Generate Rust from a snapshot, offline (a .rs path writes one file, a directory a module tree).
    Generate(GenerateArgs),
    /// Report how the live account (or a second snapshot) differs from the snapshot; exit 0 same, 3 non-breaking, 4 breaking, 2 error.
    Check(CheckArgs),
    /// Serve an account (default: the bundled demo account) as a local Kinabase API until Ctrl-C.
    Emulate(kinabase_emulator::cli::EmulateArgs),
    /// Write a starter kinabase.toml and print the lines that wire the bindings into a crate.
    Init(init::InitArgs),
}

/// Parses `args` (program name first) and runs the command. Returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    run_with_env(args, &|k| std::env::var(k).ok())
}

/// [`run`] with the environment read through `env`.
pub fn run_with_env(args: impl IntoIterator<Item = OsString>, env: Env<'_>) -> i32 {
    match Cli::try_parse_from(args) {
        Ok(cli) => run_command(cli.command, &Out::new(&cli.global, env)),
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() { 2 } else { 0 }
        }
    }
}

/// Runs one parsed command; errors are printed as `error: ...` and give exit code 2.
pub fn run_command(command: Command, out: &Out<'_>) -> i32 {
    let result = match command {
        Command::Pull(a) => commands::pull(&a, out).map(|()| 0),
        Command::Generate(a) => commands::generate(&a, out).map(|()| 0),
        Command::Check(a) => commands::check(&a, out),
        Command::Emulate(a) => kinabase_emulator::cli::run(&a).map(|()| 0),
        Command::Init(a) => init::run(&a, out).map(|()| 0),
    };
    exit_code(result)
}

/// Prints an error as `error: ...` and maps it to exit code 2.
pub fn exit_code(result: Result<i32, String>) -> i32 {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        2
    })
}

/// The arguments as cargo passes them to `cargo-kinabase` (`cargo-kinabase kinabase pull
/// ...`), without the repeated subcommand name; a direct `cargo-kinabase pull` is kept.
pub fn cargo_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "kinabase") {
        args.remove(1);
    }
    args
}

/// Writes a text file atomically (never a partial file).
pub fn write_text(path: &Path, text: &str) -> Result<(), String> {
    kinabase_codegen::render::write_if_changed(path, text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
