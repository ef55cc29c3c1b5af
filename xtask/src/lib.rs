//! `cargo xtask`: the `cargo kinabase` commands (from `kinabase-cli`, the same code) plus
//! the repository-only `demo` and `bench`.

#![deny(missing_docs)]

pub mod bench;
mod demo;

use std::ffi::OsString;

use clap::{Parser, Subcommand};
use kinabase_cli::{Env, Global, Out};

/// This repository's tasks: the `cargo kinabase` commands, the demo and the bench.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Kinabase(kinabase_cli::Command),
    /// The main job end to end on the built-in demo account: emulator, pull, generate, build and run a typed program.
    Demo(demo::DemoArgs),
    /// Print the performance table: scans, decode, rate budget, generation and compile figures.
    Bench(bench::BenchArgs),
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
    let out = Out::new(&cli.global, env);
    match cli.command {
        Command::Kinabase(c) => kinabase_cli::run_command(c, &out),
        Command::Demo(a) => kinabase_cli::exit_code(demo::run(&a).map(|()| 0)),
        Command::Bench(a) => kinabase_cli::exit_code(bench::run(&a).map(|()| 0)),
    }
}
