//! The type-safety claims, proven by code that must not compile.

#![allow(clippy::unwrap_used)]

#[test]
fn type_errors_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[test]
fn every_demo_collection_module_is_compiled_here() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    for entry in std::fs::read_dir(root.join("../../examples/field-service/src/kinabase")).unwrap()
    {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name != "mod.rs" {
            assert!(
                lib.contains(&format!("kinabase/{name}")),
                "tests/typecheck/src/lib.rs does not include {name}"
            );
        }
    }
}
