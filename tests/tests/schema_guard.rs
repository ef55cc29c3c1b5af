//! The `SCHEMA` text generated bindings carry reads back as the schema it was made from,
//! names and options exactly, even when they hold quotes, `#`, emoji, bidi controls or
//! line breaks (it is one raw string literal of ASCII JSON in the generated file).

#![allow(clippy::unwrap_used)]

use kinabase_tests::golden;
use serde_json::Value;

fn schema_json(case: &str) -> Value {
    let path = format!(
        "{}/../kinabase-codegen/tests/cases/{case}/schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

fn assert_matches(case: &str, schema: &kinabase_runtime::ExpectedSchema) {
    let source = schema_json(case);
    let expected = schema.collections().unwrap();
    let collections = source["collections"].as_array().unwrap();
    assert_eq!(expected.len(), collections.len(), "{case}: collections");
    for c in collections {
        let e = expected
            .iter()
            .find(|e| e.id == text(c, "id"))
            .unwrap_or_else(|| panic!("{case}: collection {:?} missing", c["id"]));
        assert_eq!(
            (e.name.clone(), e.slug.clone()),
            (text(c, "name"), text(c, "slug"))
        );
        let fields = c["fields"].as_array().unwrap();
        assert_eq!(e.fields.len(), fields.len(), "{case}: fields of {}", e.name);
        for f in fields {
            let ef = e.fields.iter().find(|ef| ef.key == text(f, "key")).unwrap();
            assert_eq!(ef.name, text(f, "name"));
            assert_eq!(ef.ty, text(f, "type"));
            let options: Vec<String> = f["options"]
                .as_array()
                .map(|o| o.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            assert_eq!(ef.options, options, "{case}: options of {}", ef.name);
        }
    }
}

#[test]
fn hostile_names_read_back_exactly() {
    assert_matches("hostile", &golden::hostile::SCHEMA);
    assert_matches("wire_names", &golden::wire_names::SCHEMA);
}

#[test]
fn the_demo_schema_reads_back_and_once() {
    let first = kinabase_tests::demo::SCHEMA.collections().unwrap();
    assert_eq!(first.len(), 6);
    let again = kinabase_tests::demo::SCHEMA.collections().unwrap();
    assert!(std::ptr::eq(first, again), "read once, at the first call");
}
