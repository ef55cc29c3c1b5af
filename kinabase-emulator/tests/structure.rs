//! The emulator's module invariants: every module opens with a `//!` line, stays under 500
//! lines, and the modules import each other without cycles (the crate root only re-exports).

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

fn modules() -> BTreeMap<String, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The modules a file names as `crate::<module>`.
fn imports(text: &str, names: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.insert(if names.contains(&word) {
            word
        } else {
            // An item of the crate root.
            "lib".to_string()
        });
    }
    out
}

#[test]
fn every_module_has_a_doc_line_and_stays_small() {
    for (name, text) in modules() {
        assert!(
            text.starts_with("//! "),
            "{name}.rs must open with a //! line"
        );
        let lines = text.lines().count();
        assert!(
            lines <= 500,
            "{name}.rs has {lines} lines; split it along a seam"
        );
    }
}

#[test]
fn modules_import_each_other_without_cycles() {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .filter(|(name, _)| *name != "lib" && *name != "main")
        .map(|(name, text)| {
            let mut deps = imports(text, &names);
            deps.remove(name);
            (name.clone(), deps)
        })
        .collect();
    for (name, deps) in &graph {
        assert!(
            !deps.contains("lib"),
            "{name}.rs uses an item of the crate root; import it from its module"
        );
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == node) {
            panic!("import cycle: {} -> {node}", path[at..].join(" -> "));
        }
        path.push(node.to_string());
        for dep in graph.get(node).into_iter().flatten() {
            visit(dep, graph, path, done);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for name in graph.keys() {
        visit(name, &graph, &mut Vec::new(), &mut done);
    }
}
