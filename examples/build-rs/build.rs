//! Generates the bindings from the committed snapshot into `OUT_DIR`, with the overlay
//! `kinabase.toml` beside it. Needs no network and no credentials; cargo reruns it only
//! when the snapshot or the overlay changes.

fn main() {
    kinabase_codegen::Builder::new("kinabase.snapshot.json").compile_or_exit();
}
