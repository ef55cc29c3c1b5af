//! Bad input to the commands: a short error naming cause and fix, exit code 2, and no
//! partial file left behind.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use kinabase_emulator::{Account, Emulator, EmulatorConfig};

fn run(args: &[&str], env: &dyn Fn(&str) -> Option<String>) -> i32 {
    let mut all = vec!["cargo-kinabase"];
    all.extend_from_slice(args);
    kinabase_cli::run_with_env(all.into_iter().map(Into::into), env)
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn generate(snapshot: &Path, out: &Path) -> i32 {
    run(
        &[
            "generate",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &no_env,
    )
}

fn check_generated(snapshot: &Path, generated: &Path) -> i32 {
    run(
        &[
            "check",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--generated",
            generated.to_str().unwrap(),
        ],
        &no_env,
    )
}

fn emulator() -> Emulator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/accounts/field-service.json");
    Emulator::start(Account::load(&path).unwrap(), EmulatorConfig::unlimited()).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn generate_from_missing_or_malformed_snapshots_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.rs");
    assert_eq!(generate(&d.join("missing.json"), &out), 2);
    std::fs::write(d.join("bad.json"), "{\"format\": 1, \"collections\": [{]}").unwrap();
    assert_eq!(generate(&d.join("bad.json"), &out), 2);
    assert_eq!(files_in(d), ["bad.json"], "nothing written");

    // An unwritable output path (a directory that does not exist).
    std::fs::write(
        d.join("ok.json"),
        "{\"format\": 1, \"collections\": [{\"id\": \"a\", \"name\": \"A\", \"slug\": \"a\"}]}",
    )
    .unwrap();
    let nowhere = d.join("no/such/dir/out.rs");
    assert_eq!(generate(&d.join("ok.json"), &nowhere), 2);
    assert_eq!(files_in(d), ["bad.json", "ok.json"]);
    assert_eq!(generate(&d.join("ok.json"), &out), 0);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("// @generated")
    );
}

#[test]
fn pull_with_bad_credentials_urls_or_missing_variables_writes_nothing() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("kinabase.snapshot.json");
    let snap = snap.to_str().unwrap();
    let url = emu.base_url().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("http://127.0.0.1:{port}/api/v1/");
    type Env = Box<dyn Fn(&str) -> Option<String>>;
    let cases: Vec<(Vec<&str>, Env)> = vec![
        (vec!["pull", "-q", "--snapshot", snap], Box::new(no_env)),
        (
            vec!["pull", "-q", "--snapshot", snap, "--base-url", &url],
            Box::new(|k: &str| (k.starts_with("KINABASE_APP")).then(|| "wrong".to_string())),
        ),
        (
            vec!["pull", "-q", "--snapshot", snap, "--base-url", &unreachable],
            Box::new(|k: &str| (k.starts_with("KINABASE_APP")).then(|| "x".to_string())),
        ),
        (
            vec![
                "pull",
                "-q",
                "--snapshot",
                snap,
                "--base-url",
                "http://kinabase.example.com/api/v1/",
            ],
            Box::new(|k: &str| (k.starts_with("KINABASE_APP")).then(|| "x".to_string())),
        ),
    ];
    for (args, env) in cases {
        assert_eq!(run(&args, &*env), 2, "{args:?}");
        assert!(files_in(dir.path()).is_empty(), "{args:?} left a file");
    }
    let good = |k: &str| match k {
        "KINABASE_APP_ID" => Some(emu.app_id().to_string()),
        "KINABASE_APP_SECRET" => Some(emu.app_secret().to_string()),
        "KINABASE_BASE_URL" => Some(emu.base_url().to_string()),
        _ => None,
    };
    assert_eq!(run(&["pull", "-q", "--snapshot", snap], &good), 0);
    assert_eq!(files_in(dir.path()), ["kinabase.snapshot.json"]);
    let text = std::fs::read_to_string(snap).unwrap();
    assert!(text.ends_with("}\n") && !text.contains(emu.app_secret()));
}

#[test]
fn check_generated_reports_stale_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("s.json"),
        "{\"format\": 1, \"collections\": [{\"id\": \"a\", \"name\": \"A\", \"slug\": \"a\"}]}",
    )
    .unwrap();
    let snap = d.join("s.json");
    let out = d.join("gen");
    assert_eq!(generate(&snap, &out), 0);
    assert_eq!(check_generated(&snap, &out), 0);
    std::fs::write(d.join("s.json"), "{\"format\": 1, \"collections\": [{\"id\": \"a\", \"name\": \"A\", \"slug\": \"a\", \"fields\": [{\"key\": \"x\", \"name\": \"X\", \"type\": \"text\"}]}]}").unwrap();
    assert_eq!(check_generated(&snap, &out), 1);
}
