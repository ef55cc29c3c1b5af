//! `cargo xtask ...`: see the library.

fn main() {
    std::process::exit(xtask::run(std::env::args_os()));
}
