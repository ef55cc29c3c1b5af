//! The generator's own invariant from ARCHITECTURE.md, checked on its sources: `emit` reads
//! only the model. (Doc lines, file sizes and import cycles are checked workspace-wide by
//! `tests/tests/architecture.rs`.)

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out.sort();
    out
}

#[test]
fn emit_reads_only_the_model() {
    for p in sources() {
        let in_emit = p.file_stem().is_some_and(|s| s == "emit")
            || p.parent().is_some_and(|d| d.ends_with("emit"));
        if in_emit {
            let text = std::fs::read_to_string(&p).unwrap();
            for banned in ["crate::schema", "schema::", "crate::overlay"] {
                assert!(
                    !text.contains(banned),
                    "{} mentions {banned}: emit makes no decisions and reads only the model",
                    p.display()
                );
            }
            // The snapshot's types by name (the runtime's `ExpectedSchema`, which the
            // generated code names, is a different word).
            for word in identifiers(&text) {
                assert!(
                    !["Schema", "CollectionSchema", "FieldSchema", "Overlay"].contains(&word),
                    "{} mentions {word}: emit makes no decisions and reads only the model",
                    p.display()
                );
            }
        }
    }
}

/// The identifiers in `text`, whole words only.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}
