//! The type-safety claims, proven by code that must not compile.

#![allow(clippy::unwrap_used)]

use std::path::Path;

#[test]
fn type_errors_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[test]
fn bindings_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let builder = kinabase_codegen::Builder::new(
        root.join("../../examples/field-service/kinabase.snapshot.json"),
    )
    .out_file(root.join("src/bindings.rs"))
    .account_type(false);
    if std::env::var_os("KINABASE_BLESS").is_some() {
        builder.write().unwrap();
    }
    assert_eq!(
        builder.stale().unwrap(),
        Vec::<std::path::PathBuf>::new(),
        "refresh with KINABASE_BLESS=1 cargo test -p kinabase-typecheck"
    );
}
