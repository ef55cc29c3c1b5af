//! Times each stage of generation for a schema file: `cargo run --release -p kinabase-codegen --example profile_gen -- SNAPSHOT`.

use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: profile_gen SNAPSHOT");
        std::process::exit(2);
    };
    let schema = match kinabase_codegen::Schema::load(path.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let t = Instant::now();
    let mut d = kinabase_codegen::Diagnostics::default();
    let model = kinabase_codegen::lower::lower(&schema, &Default::default(), &mut d);
    eprintln!("lower   {:?}", t.elapsed());
    let t = Instant::now();
    let tokens = kinabase_codegen::emit::root(
        &model,
        Default::default(),
        kinabase_codegen::RootItems::Inline,
    );
    eprintln!("emit    {:?}", t.elapsed());
    let t = Instant::now();
    let file: syn::File = match syn::parse2(tokens) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    eprintln!("parse2  {:?}", t.elapsed());
    let t = Instant::now();
    let s = prettyplease::unparse(&file);
    eprintln!("unparse {:?} ({} lines)", t.elapsed(), s.lines().count());
    let t = Instant::now();
    match kinabase_codegen::generate(
        &schema,
        &Default::default(),
        "x",
        kinabase_codegen::Layout::SingleFile,
        Default::default(),
    ) {
        Ok(g) => eprintln!(
            "generate (parallel) {:?} ({} lines)",
            t.elapsed(),
            g.files[0].1.lines().count()
        ),
        Err(e) => eprintln!("{e}"),
    }
}
