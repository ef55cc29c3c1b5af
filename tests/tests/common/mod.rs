//! Compiles many generated modules in one crate with one `cargo check` (repeated without
//! the failing modules until the rest is clean), so a test can compile hundreds of
//! bindings in about a minute.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// One module of a batch: generated bindings and, optionally, code that uses them
/// (`use super::kinabase as k;`).
pub struct Unit {
    /// The bindings, one file.
    pub bindings: String,
    /// A consumer module, compiled beside them.
    pub consumer: Option<String>,
}

/// What the batch found for each unit: errors in its bindings, errors in its consumer.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Errors in the generated bindings (a generator bug).
    pub bindings: Vec<String>,
    /// Errors in the consumer.
    pub consumer: Vec<String>,
}

/// Checks every unit under `#![deny(warnings)]` in a crate at `target/<name>`; all such
/// crates share one target directory, so the runtime's dependencies are checked once.
pub fn check(name: &str, units: &[Unit]) -> Vec<Outcome> {
    let dir = root().join("target").join(name);
    let src = dir.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = {name:?}\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nkinabase-runtime = {{ path = {:?}, features = [\"http\"] }}\n\n[workspace]\n",
            root().join("kinabase-runtime").display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    for (i, u) in units.iter().enumerate() {
        let case_dir = src.join(format!("case_{i}"));
        std::fs::create_dir_all(&case_dir).unwrap();
        std::fs::write(case_dir.join("kinabase.rs"), &u.bindings).unwrap();
        if let Some(c) = &u.consumer {
            std::fs::write(case_dir.join("consumer.rs"), c).unwrap();
        }
    }
    let mut outcomes = vec![Outcome::default(); units.len()];
    let mut active: Vec<usize> = (0..units.len()).collect();
    for round in 0..8 {
        let started = std::time::Instant::now();
        let mut lib = String::from("#![deny(warnings)]\n");
        for &i in &active {
            let consumer = if units[i].consumer.is_some() {
                "    #[path = \"consumer.rs\"]\n    pub mod consumer;\n"
            } else {
                ""
            };
            let _ = writeln!(
                lib,
                "pub mod case_{i} {{\n    #[allow(dead_code)]\n    pub mod kinabase {{ include!(\"case_{i}/kinabase.rs\"); }}\n{consumer}}}"
            );
        }
        std::fs::write(src.join("lib.rs"), lib).unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .current_dir(&dir)
            .args(["check", "--offline", "--quiet", "--message-format=short"])
            .env("CARGO_TARGET_DIR", root().join("target/batch-check"))
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        println!(
            "round {round}: checked {} module(s) in {:.1} s",
            active.len(),
            started.elapsed().as_secs_f64()
        );
        if output.status.success() {
            break;
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut failed = BTreeSet::new();
        for line in stderr.lines().filter(|l| l.contains("error")) {
            let Some(rest) = line.split("src/case_").nth(1) else {
                continue;
            };
            let n: usize = rest.split('/').next().unwrap().parse().unwrap();
            if rest.contains("kinabase.rs") {
                outcomes[n].bindings.push(line.to_string());
            } else {
                outcomes[n].consumer.push(line.to_string());
            }
            failed.insert(n);
        }
        assert!(
            !failed.is_empty(),
            "the batch failed without an error in a module:\n{stderr}"
        );
        active.retain(|i| !failed.contains(i));
    }
    outcomes
}
