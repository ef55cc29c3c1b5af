//! Generates the bindings from the committed snapshot into `OUT_DIR`. Needs no network
//! and no credentials; cargo reruns it when the snapshot or the overlay changes.

fn main() {
    if let Err(e) = kinabase_codegen::Builder::new("kinabase.snapshot.json")
        .overlay("kinabase.toml")
        .compile()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
