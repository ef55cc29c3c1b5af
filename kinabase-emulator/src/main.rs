//! `kinabase-emulator`: serve an account fixture as a local Kinabase API.

use clap::Parser;

/// A faithful local Kinabase API for tests and demos.
#[derive(Parser)]
#[command(name = "kinabase-emulator", version)]
struct Cli {
    #[command(flatten)]
    args: kinabase_emulator::cli::EmulateArgs,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = kinabase_emulator::cli::run(&cli.args) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
