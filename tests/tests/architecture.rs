//! ARCHITECTURE.md's structural invariants, checked on the source tree: every hand-written
//! module opens with a `//!` line, stays under ~500 lines of code (its unit tests aside),
//! and no two modules of a crate import each other, directly or through others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines of code a hand-written module may hold before it should be cut along a seam.
const MAX_CODE_LINES: usize = 500;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// Every crate of the workspace with hand-written code: (crate dir, its `src`).
fn crate_sources() -> Vec<(String, PathBuf)> {
    let root = workspace_root();
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(&root).expect("workspace root") {
        let dir = entry.expect("entry").path();
        let src = dir.join("src");
        if dir.join("Cargo.toml").is_file() && src.is_dir() && !dir.ends_with("tests") {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            crates.push((name, src));
        }
    }
    crates.sort();
    assert!(crates.len() >= 5, "found only {crates:?}");
    crates
}

/// Hand-written `.rs` files under `dir`: generated files carry an `@generated` header.
fn hand_written(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                if !text.lines().take(3).any(|l| l.contains("@generated")) {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

/// The lines of a file before its unit-test module.
fn code_lines(text: &str) -> usize {
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .count()
}

#[test]
fn every_module_says_what_it_is_and_stays_small() {
    let root = workspace_root();
    let mut problems = Vec::new();
    for (_, src) in crate_sources() {
        for file in hand_written(&src) {
            let text = std::fs::read_to_string(&file).expect("read");
            let shown = file.strip_prefix(&root).unwrap_or(&file).display();
            if !text.trim_start().starts_with("//!") {
                problems.push(format!("{shown}: does not open with a `//!` line"));
            }
            let n = code_lines(&text);
            if n > MAX_CODE_LINES {
                problems.push(format!(
                    "{shown}: {n} lines of code (limit {MAX_CODE_LINES}); cut it along a seam"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The top-level module a file belongs to (`src/send.rs` and `src/bench/x.rs` → `send`,
/// `bench`), or `None` for the crate root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (!matches!(name.as_str(), "lib" | "main" | "bin")).then_some(name)
}

/// The top-level modules a file names through `crate::`.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let preceded_by_ident = text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        if preceded_by_ident {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(brace) = rest.strip_prefix('{') {
            let group = brace.split('}').next().unwrap_or("");
            refs.extend(group.split(',').filter_map(|p| first_segment(p.trim())));
        } else if let Some(m) = first_segment(rest) {
            refs.insert(m);
        }
    }
    refs
}

fn first_segment(path: &str) -> Option<String> {
    let seg: String = path
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let lower = seg.chars().next().is_some_and(|c| c.is_lowercase());
    (lower && path[seg.len()..].starts_with("::")).then_some(seg)
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_cycle() {
    let mut problems = Vec::new();
    for (name, src) in crate_sources() {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in hand_written(&src) {
            let Some(module) = top_module(&src, &file) else {
                continue;
            };
            let text = std::fs::read_to_string(&file).expect("read");
            // Code only: doc links (`[crate::x]`) and the unit tests are not imports.
            let code: String = text[..text.find("#[cfg(test)]").unwrap_or(text.len())]
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let edges = graph.entry(module.clone()).or_default();
            edges.extend(crate_references(&code).into_iter().filter(|m| *m != module));
        }
        // Only modules that exist are nodes (`crate::Error` re-exports are not edges).
        let modules: BTreeSet<String> = graph.keys().cloned().collect();
        for edges in graph.values_mut() {
            edges.retain(|m| modules.contains(m));
        }
        if let Some(cycle) = find_cycle(&graph) {
            problems.push(format!("{name}: {}", cycle.join(" → ")));
        }
    }
    assert!(
        problems.is_empty(),
        "modules that import each other:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default();
    assert_eq!(find_cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let refs = crate_references("use crate::{send::Sender, Error};\nlet x = crate::token::get();");
    assert_eq!(
        refs,
        BTreeSet::from(["send".to_string(), "token".to_string()])
    );
}
