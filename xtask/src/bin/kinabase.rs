//! `kinabase ...`: the xtask commands as an installable binary (`cargo install --path xtask`).

fn main() {
    std::process::exit(xtask::run(std::env::args_os()));
}
