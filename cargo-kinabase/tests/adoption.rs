//! The stranger's path, end to end: in a new crate outside the repository, with only the
//! `cargo-kinabase` binary on `PATH`, `cargo kinabase emulate`, the variables it prints,
//! `pull`, `generate`, a program that lists and creates records, `cargo build`, `cargo fmt`
//! and `check --generated`; then the build.rs variant, built twice, the second time fresh.
//! The transcript is written to `target/adoption-transcript.txt`.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs commands with a clean environment plus the given variables, keeping a transcript.
struct Shell {
    path: String,
    vars: Vec<(String, String)>,
    transcript: String,
}

impl Shell {
    fn command(&self, dir: &Path, line: &str) -> Command {
        let mut words = line.split_whitespace();
        let mut c = Command::new(words.next().unwrap());
        c.args(words).current_dir(dir);
        for (k, _) in std::env::vars() {
            // What `cargo test` sets for this test, and any account variables of the caller.
            let test_only = [
                "CARGO_PKG_",
                "CARGO_BIN_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_PRIMARY_",
                "CARGO_TARGET_TMPDIR",
                "KINABASE_",
            ];
            if test_only.iter().any(|p| k.starts_with(p)) {
                c.env_remove(k);
            }
        }
        c.env("PATH", &self.path)
            .env("CARGO_TARGET_DIR", root().join("target/e2e"))
            .env("CARGO_TERM_COLOR", "never");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// Runs `line` in `dir`; returns (exit code, stdout + stderr).
    fn run(&mut self, dir: &Path, line: &str) -> (i32, String) {
        let out = self.command(dir, line).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let code = out.status.code().unwrap_or(-1);
        self.transcript
            .push_str(&format!("$ {line}\n{text}[exit {code}]\n\n"));
        (code, text)
    }

    fn ok(&mut self, dir: &Path, line: &str) -> String {
        let (code, text) = self.run(dir, line);
        assert_eq!(
            code, 0,
            "`{line}` failed:\n{text}\n\ntranscript:\n{}",
            self.transcript
        );
        text
    }
}

struct Emulate(Child);

impl Drop for Emulate {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const MAIN: &str = r#"mod kinabase;

use kinabase::suppliers;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kb = kinabase::Kinabase::new(kinabase_runtime::Client::from_env()?);
    let customers = kb.customers().iter().count();
    let before = kb.suppliers().iter().count();
    let created = kb.suppliers().create(&suppliers::Create::new("Stranger Supplies".into()))?;
    let back = kb.suppliers().get(&created.id)?;
    let after = kb.suppliers().iter().count();
    println!(
        "customers: {customers}, suppliers: {before} -> {after}, created: {:?}",
        back.fields.name
    );
    Ok(())
}
"#;

fn manifest(name: &str, build_dependency: bool) -> String {
    let runtime = root().join("kinabase-runtime");
    let codegen = root().join("kinabase-codegen");
    let mut text = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nkinabase-runtime = {{ path = {:?} }}\n",
        runtime.display().to_string()
    );
    if build_dependency {
        text.push_str(&format!(
            "\n[build-dependencies]\nkinabase-codegen = {{ path = {:?} }}\n",
            codegen.display().to_string()
        ));
    }
    text.push_str("\n[profile.dev.package.\"*\"]\ndebug = false\n\n[workspace]\n");
    text
}

#[test]
fn a_new_crate_outside_the_repository_adopts_the_bindings() {
    let dir = tempfile::tempdir().unwrap();
    // "Installed": the binary alone in a bin directory on PATH, as `cargo install` leaves it.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_cargo-kinabase"),
        bin.join("cargo-kinabase"),
    )
    .unwrap();
    let cargo_home_bin = std::env::var("PATH").unwrap_or_default();
    let mut sh = Shell {
        path: format!("{}:{cargo_home_bin}", bin.display()),
        vars: Vec::new(),
        transcript: String::new(),
    };

    let krate = dir.path().join("adopter");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(krate.join("Cargo.toml"), manifest("adopter", false)).unwrap();
    std::fs::copy(root().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();

    // Terminal 1: the emulator; its first lines are the variables to export.
    let mut child = sh
        .command(&krate, "cargo kinabase emulate --port 0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _emulator = Emulate(child);
    sh.transcript
        .push_str("$ cargo kinabase emulate --port 0   # in another terminal\n");
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref().take(4) {
        let line = line.unwrap();
        sh.transcript.push_str(&format!("{line}\n"));
        if let Some((k, v)) = line
            .trim()
            .strip_prefix("export ")
            .and_then(|e| e.split_once('='))
        {
            sh.vars.push((k.to_string(), v.to_string()));
        }
    }
    sh.transcript.push('\n');
    // Keep reading, as a terminal would: a closed pipe would stop the emulator.
    std::thread::spawn(move || lines.for_each(drop));
    assert_eq!(sh.vars.len(), 3, "{}", sh.transcript);

    // Terminal 2, in the new crate.
    let pulled = sh.ok(&krate, "cargo kinabase pull");
    assert!(
        pulled.contains("KINABASE_BASE_URL") && pulled.contains("127.0.0.1"),
        "{pulled}"
    );
    sh.ok(&krate, "cargo kinabase init");
    sh.ok(&krate, "cargo kinabase generate --out src/kinabase");
    // The overlay beside the snapshot is recorded relative to it: the checkout can move.
    let header = std::fs::read_to_string(krate.join("src/kinabase/mod.rs")).unwrap();
    assert!(
        header.contains("--overlay kinabase.toml")
            && !header.contains(&*dir.path().to_string_lossy()),
        "{}",
        header.lines().take(6).collect::<Vec<_>>().join("\n")
    );
    std::fs::write(krate.join("src/main.rs"), MAIN).unwrap();
    sh.ok(&krate, "cargo build --offline");
    let ran = sh.ok(&krate, "cargo run --offline --quiet");
    assert!(
        ran.contains("suppliers: ") && ran.contains("created: Some(\"Stranger Supplies\")"),
        "{ran}"
    );
    let (before, after) = {
        let s = ran.split("suppliers: ").nth(1).unwrap();
        let (a, b) = s.split_once(" -> ").unwrap();
        let b = b.split(',').next().unwrap();
        (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap())
    };
    assert_eq!(after, before + 1, "{ran}");
    if sh.run(&krate, "cargo fmt --version").0 == 0 {
        sh.ok(&krate, "cargo fmt");
    }
    let checked = sh.ok(&krate, "cargo kinabase check --generated src/kinabase");
    assert!(checked.contains("up to date"), "{checked}");

    // The build.rs variant: the same snapshot, bindings in OUT_DIR.
    let built = dir.path().join("adopter-build");
    std::fs::create_dir_all(built.join("src")).unwrap();
    std::fs::write(built.join("Cargo.toml"), manifest("adopter-build", true)).unwrap();
    std::fs::copy(root().join("Cargo.lock"), built.join("Cargo.lock")).unwrap();
    std::fs::copy(
        krate.join("kinabase.snapshot.json"),
        built.join("kinabase.snapshot.json"),
    )
    .unwrap();
    std::fs::write(
        built.join("build.rs"),
        "fn main() {\n    kinabase_codegen::Builder::new(\"kinabase.snapshot.json\").compile_or_exit();\n}\n",
    )
    .unwrap();
    std::fs::write(
        built.join("src/main.rs"),
        MAIN.replace(
            "mod kinabase;",
            "mod kinabase {\n    include!(concat!(env!(\"OUT_DIR\"), \"/kinabase.rs\"));\n}",
        ),
    )
    .unwrap();
    sh.ok(&built, "cargo build --offline");
    let second = sh.ok(&built, "cargo build --offline -v");
    assert!(second.contains("Fresh adopter-build"), "{second}");
    assert!(!second.contains("Compiling adopter-build"), "{second}");

    // Of `-v`'s dependency lines, keep only this crate's.
    sh.transcript = sh
        .transcript
        .lines()
        .filter(|l| !l.trim_start().starts_with("Fresh ") || l.contains("adopter"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = root().join("target/adoption-transcript.txt");
    let _ = std::fs::write(&path, &sh.transcript);
    println!("{}", sh.transcript);
}
