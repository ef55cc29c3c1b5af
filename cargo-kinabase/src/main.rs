//! `cargo kinabase ...` (installed with `cargo install --locked --path cargo-kinabase`).

fn main() {
    std::process::exit(kinabase_cli::run(kinabase_cli::cargo_args(
        std::env::args_os(),
    )));
}
