//! `cargo xtask`: the commands a team runs to pull a Kinabase schema, regenerate
//! bindings, check for drift, run the local emulator and the demo.

use clap::{Parser, Subcommand};

/// Kinabase bindings: pull, generate, check, emulate, demo.
#[derive(Parser)]
#[command(name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve an account fixture as a local Kinabase API until Ctrl-C.
    Emulate(kinabase_emulator::cli::EmulateArgs),
    /// The main job, end to end on the built-in demo account.
    Demo,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Emulate(args) => kinabase_emulator::cli::run(&args),
        Command::Demo => demo(),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn demo() -> Result<(), String> {
    let account = kinabase_emulator::Account::load("fixtures/accounts/field-service.json".as_ref())
        .map_err(|e| e.to_string())?;
    let emulator =
        kinabase_emulator::Emulator::start(account, kinabase_emulator::EmulatorConfig::default())
            .map_err(|e| e.to_string())?;
    println!("emulator: {}", emulator.base_url());
    emulator.with_store(|s| {
        for c in &s.collections {
            println!(
                "  {:<16} {:>3} fields {:>4} records",
                c.def.name,
                c.def.fields.len(),
                c.records.len()
            );
        }
    });
    Ok(())
}
