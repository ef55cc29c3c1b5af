//! The runtime's layout invariants (ARCHITECTURE.md): every module opens with a `//!`
//! line, stays under ~500 lines, and modules do not import each other in a cycle.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn modules() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
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

#[test]
fn every_module_has_a_doc_line_and_stays_small() {
    for (name, text) in modules() {
        assert!(
            text.starts_with("//! "),
            "{name}.rs must open with a //! line"
        );
        let lines = text.lines().count();
        assert!(
            lines <= 550,
            "{name}.rs has {lines} lines; split it along a seam"
        );
    }
}

#[test]
fn modules_import_each_other_without_cycles() {
    let modules = modules();
    let names: BTreeSet<&str> = modules.keys().map(String::as_str).collect();
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, text) in &modules {
        if name == "lib" {
            continue;
        }
        // Only production code: unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for part in code.split("crate::").skip(1) {
            let target: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if target != *name && names.contains(target.as_str()) {
                let target = *names.get(target.as_str()).unwrap();
                edges.entry(name.as_str()).or_default().insert(target);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(i) = path.iter().position(|p| *p == n) {
            panic!("import cycle: {}", path[i..].join(" -> ") + " -> " + n);
        }
        path.push(n);
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, path, done);
        }
        path.pop();
        done.insert(n);
    }
    let mut done = BTreeSet::new();
    for n in &names {
        visit(n, &edges, &mut Vec::new(), &mut done);
    }
    assert!(
        edges.contains_key("send"),
        "the scan found the imports: {edges:?}"
    );
}
