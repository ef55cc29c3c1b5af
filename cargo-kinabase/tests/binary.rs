//! The installed binary as cargo runs it: `cargo-kinabase kinabase <command>`, from a
//! directory outside the repository.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-kinabase"))
}

#[test]
fn version_and_help_say_cargo_kinabase() {
    let out = bin().args(["kinabase", "--version"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("cargo kinabase {}", env!("CARGO_PKG_VERSION"))
    );
    // Run directly, without cargo's extra argument, too.
    let out = bin().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: cargo kinabase"), "{help}");
    assert!(!help.contains("xtask"), "{help}");
}

#[test]
fn emulate_without_account_serves_the_bundled_demo_and_prints_export_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["kinabase", "emulate", "--port", "0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut exports = Vec::new();
    for line in lines.by_ref().take(4) {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("export ") {
            exports.push(
                rest.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .unwrap(),
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let keys: Vec<&str> = exports.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "KINABASE_BASE_URL",
            "KINABASE_APP_ID",
            "KINABASE_APP_SECRET"
        ]
    );
    assert!(exports[0].1.starts_with("http://127.0.0.1:"), "{exports:?}");
}

#[test]
fn init_writes_a_starter_overlay_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        bin()
            .args(["kinabase", "init"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success());
    let printed = String::from_utf8(first.stdout).unwrap();
    assert!(
        printed.contains("[build-dependencies]")
            && printed.contains("include!(concat!(env!(\"OUT_DIR\")"),
        "{printed}"
    );
    let text = std::fs::read_to_string(dir.path().join("kinabase.toml")).unwrap();
    assert_eq!(text, kinabase_cli::init::STARTER_OVERLAY);
    // A second run keeps the file and says how to replace it.
    let second = run();
    assert_eq!(second.status.code(), Some(2));
    assert!(
        String::from_utf8(second.stderr)
            .unwrap()
            .contains("--force")
    );
}
