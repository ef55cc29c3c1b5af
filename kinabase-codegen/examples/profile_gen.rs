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
    let h = schema.content_hash();
    eprintln!("hash    {:?} {h}", t.elapsed());
    let t = Instant::now();
    let mut d = kinabase_codegen::Diagnostics::default();
    let model = kinabase_codegen::lower::lower(&schema, &Default::default(), &mut d);
    eprintln!("lower   {:?}", t.elapsed());
    per_module(&model);
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

/// Per-module stage times, serially (what each rendering thread does).
#[allow(dead_code)]
fn per_module(model: &kinabase_codegen::model::Model) {
    let (mut e, mut p, mut u) = (
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
    );
    let mut tokens = 0usize;
    for c in &model.collections {
        let t = Instant::now();
        let ts = kinabase_codegen::emit::inline_module(c);
        e += t.elapsed();
        tokens += count(ts.clone());
        let t = Instant::now();
        let f: syn::File = syn::parse2(ts).unwrap_or_else(|e| panic!("{e}"));
        p += t.elapsed();
        let t = Instant::now();
        let _ = prettyplease::unparse(&f);
        u += t.elapsed();
    }
    eprintln!("per module: emit {e:?} parse {p:?} unparse {u:?}; {tokens} tokens");
}

fn count(ts: proc_macro2::TokenStream) -> usize {
    ts.into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Group(g) => 1 + count(g.stream()),
            _ => 1,
        })
        .sum()
}
