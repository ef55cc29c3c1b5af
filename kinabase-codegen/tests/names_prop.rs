//! Property test: any field and option names give code that parses, with unique
//! identifiers in every scope, and never a panic.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use kinabase_codegen::diag::Diagnostics;
use kinabase_codegen::schema::{CollectionSchema, FORMAT_VERSION, FieldSchema};
use kinabase_codegen::{EmitOptions, Layout, Overlay, Schema, generate, lower};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just(String::new()),
        Just("🚀".to_string()),
        Just("e\u{301}\u{654}".to_string()),
        Just("type".to_string()),
        Just("self".to_string()),
        Just("Self".to_string()),
        Just("_".to_string()),
        Just("Due Date".to_string()),
        Just("Due-Date".to_string()),
        Just("2nd".to_string()),
        "[a-zA-Z #%£()/-]{0,12}",
    ]
}

fn schema_strategy() -> impl Strategy<Value = Schema> {
    let field = (
        name(),
        prop::collection::vec(name(), 0..5),
        prop::sample::select(vec!["text", "select", "number", "link", "stage", "odd"]),
        any::<bool>(),
    );
    prop::collection::vec((name(), prop::collection::vec(field, 0..8)), 1..4).prop_map(|cols| {
        let collections = cols
            .into_iter()
            .enumerate()
            .map(|(ci, (cname, fields))| CollectionSchema {
                id: format!("c{ci}"),
                name: cname,
                slug: format!("s{ci}"),
                description: None,
                fields: fields
                    .into_iter()
                    .enumerate()
                    .map(|(fi, (fname, options, ty, required))| FieldSchema {
                        id: Some(format!("f{fi}")),
                        key: format!("k{fi}"),
                        name: fname.clone(),
                        ty: ty.into(),
                        required,
                        primary: false,
                        read_only: false,
                        description: Some(fname),
                        options,
                        target: Some("s0".into()),
                        multiple: false,
                        inferred: None,
                        rust: None,
                    })
                    .collect(),
                rust: None,
            })
            .collect();
        Schema {
            format: FORMAT_VERSION,
            account: None,
            collections,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_names_generate_parsable_code_with_unique_identifiers(schema in schema_strategy()) {
        let generated = generate(&schema, &Overlay::default(), "prop", Layout::SingleFile, EmitOptions::default()).unwrap();
        syn::parse_file(&generated.files[0].1).unwrap();

        let mut diags = Diagnostics::default();
        let model = lower::lower(&schema, &Overlay::default(), &mut diags);
        let modules: BTreeSet<_> = model.collections.iter().map(|c| c.module.text.clone()).collect();
        prop_assert_eq!(modules.len(), model.collections.len());
        for c in &model.collections {
            let fields: BTreeSet<_> = c.fields.iter().map(|f| f.name.text.clone()).collect();
            prop_assert_eq!(fields.len(), c.fields.len(), "field names unique");
            let mut types: BTreeSet<String> = ["Fields", "Create", "CreateRequired", "Update", "keys"].iter().map(|s| s.to_string()).collect();
            prop_assert!(types.insert(c.marker.text.clone()));
            for ch in &c.choices {
                prop_assert!(types.insert(ch.name.text.clone()), "type names unique");
                let variants: BTreeSet<_> = ch.variants.iter().map(|(v, _)| v.text.clone()).chain(["Unknown".to_string()]).collect();
                prop_assert_eq!(variants.len(), ch.variants.len() + 1, "variant names unique");
            }
        }
    }
}
