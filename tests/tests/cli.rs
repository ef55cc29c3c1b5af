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

const TWO: &str = r#"{"format": 1, "collections": [
  {"id": "a", "name": "Alpha", "slug": "alpha", "fields": [
    {"id": "f1", "key": "title", "name": "Title", "type": "text"},
    {"id": "f2", "key": "stage", "name": "Stage", "type": "stage", "options": ["New", "Done"]}]},
  {"id": "b", "name": "Beta", "slug": "beta", "fields": [
    {"id": "f3", "key": "name", "name": "Name", "type": "text"}]}]}"#;

fn read_all(dir: &Path) -> Vec<(String, String)> {
    files_in(dir)
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(&n)).unwrap_or_default();
            (n, text)
        })
        .collect()
}

#[test]
fn an_explicit_overlay_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.json"), TWO).unwrap();
    let args = |out: &Path| {
        run(
            &[
                "generate",
                "--snapshot",
                d.join("s.json").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--overlay",
                d.join("missing.toml").to_str().unwrap(),
            ],
            &no_env,
        )
    };
    assert_eq!(args(&d.join("gen")), 2);
    assert_eq!(args(&d.join("one.rs")), 2);
    assert_eq!(files_in(d), ["s.json"], "nothing written");
}

#[test]
fn the_overlay_beside_the_snapshot_is_used_and_recorded_so_check_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("account");
    std::fs::create_dir(&account).unwrap();
    let snap = account.join("kinabase.snapshot.json");
    std::fs::write(&snap, TWO).unwrap();
    // The test's working directory has no kinabase.toml: it is found beside the snapshot.
    std::fs::write(
        account.join("kinabase.toml"),
        "[collections.alpha.fields.f1]\nrename = \"headline\"\n",
    )
    .unwrap();
    let gen_dir = dir.path().join("gen");
    let gen_arg = gen_dir.to_str().unwrap();
    let snap_arg = snap.to_str().unwrap();
    assert_eq!(
        run(
            &[
                "generate",
                "--snapshot",
                snap_arg,
                "--out",
                gen_arg,
                "--no-account-type"
            ],
            &no_env
        ),
        0
    );
    let alpha = std::fs::read_to_string(gen_dir.join("alpha.rs")).unwrap();
    assert!(alpha.contains("pub headline:"), "{alpha}");
    let root = std::fs::read_to_string(gen_dir.join("mod.rs")).unwrap();
    assert!(
        root.lines().nth(1) == Some("// Options: --no-account-type --overlay kinabase.toml"),
        "{root}"
    );
    assert!(!root.contains("pub struct Kinabase"));
    // `check --generated` with no options reproduces both: up to date.
    assert_eq!(check_generated(&snap, &gen_dir), 0);
    // A change to the overlay makes the code stale.
    std::fs::write(
        account.join("kinabase.toml"),
        "[collections.alpha.fields.f1]\nrename = \"heading\"\n",
    )
    .unwrap();
    assert_eq!(check_generated(&snap, &gen_dir), 1);
}

#[test]
fn a_change_to_one_collection_rewrites_only_its_file_and_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let snap = d.join("s.json");
    std::fs::write(&snap, TWO).unwrap();
    let gen_dir = d.join("gen");
    assert_eq!(generate(&snap, &gen_dir), 0);
    let before = read_all(&gen_dir);
    std::fs::write(
        &snap,
        TWO.replace(r#"["New", "Done"]"#, r#"["New", "Doing", "Done"]"#),
    )
    .unwrap();
    assert_eq!(generate(&snap, &gen_dir), 0);
    let after = read_all(&gen_dir);
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.as_str())
        .collect();
    assert_eq!(changed, ["alpha.rs", "mod.rs"]);
}

#[test]
fn committed_bindings_survive_rustfmt() {
    let Ok(version) = std::process::Command::new("rustfmt")
        .arg("--version")
        .output()
    else {
        eprintln!("rustfmt is not installed: skipped");
        return;
    };
    assert!(version.status.success());
    let dir = tempfile::tempdir().unwrap();
    let snap = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/field-service/kinabase.snapshot.json");
    let gen_dir = dir.path().join("kinabase");
    assert_eq!(generate(&snap, &gen_dir), 0);
    let before = read_all(&gen_dir);
    let status = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .arg(gen_dir.join("mod.rs"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_ne!(before, read_all(&gen_dir), "rustfmt changed the layout");
    assert_eq!(check_generated(&snap, &gen_dir), 0);
    // A real change is still found.
    let jobs = gen_dir.join("jobs.rs");
    let text = std::fs::read_to_string(&jobs).unwrap();
    std::fs::write(&jobs, text.replacen("pub job_title", "pub job_titel", 1)).unwrap();
    assert_eq!(check_generated(&snap, &gen_dir), 1);
}

#[test]
fn pull_checks_that_it_can_write_the_snapshot_before_calling_the_network() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let env = |k: &str| match k {
        "KINABASE_APP_ID" => Some(emu.app_id().to_string()),
        "KINABASE_APP_SECRET" => Some(emu.app_secret().to_string()),
        "KINABASE_BASE_URL" => Some(emu.base_url().to_string()),
        _ => None,
    };
    for target in [
        dir.path().join("no/such/dir/s.json"),
        dir.path().to_path_buf(),
    ] {
        assert_eq!(
            run(
                &["pull", "-q", "--snapshot", target.to_str().unwrap()],
                &env
            ),
            2
        );
    }
    assert!(emu.request_log().is_empty(), "no request was made");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn check_prints_drift_as_text_json_or_markdown_with_the_same_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    std::fs::write(&old, r#"{"format": 1, "collections": [{"id": "c", "name": "Jobs", "slug": "jobs", "fields": [{"id": "f", "key": "stage", "name": "Stage", "type": "select", "options": ["A"]}]}]}"#).unwrap();
    std::fs::write(&new, r#"{"format": 1, "collections": [{"id": "c", "name": "Jobs", "slug": "jobs", "fields": [{"id": "f", "key": "stage", "name": "Stage", "type": "select", "options": ["A", "B"]}]}]}"#).unwrap();
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    for format in ["text", "json", "markdown"] {
        let code = run(
            &[
                "check",
                "--snapshot",
                old,
                "--against",
                new,
                "--format",
                format,
            ],
            &no_env,
        );
        assert_eq!(code, 3, "{format}: a new option is not breaking");
    }
    assert_eq!(
        run(
            &[
                "check",
                "--snapshot",
                old,
                "--against",
                new,
                "--format",
                "yaml"
            ],
            &no_env
        ),
        2
    );
}

#[test]
fn docs_writes_schema_md_that_check_keeps_current() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let snap = d.join("s.json");
    std::fs::write(
        &snap,
        TWO.replace(
            r#"{"id": "f3", "key": "name", "name": "Name", "type": "text"}"#,
            r#"{"id": "f3", "key": "name", "name": "Name | <b>x</b>", "type": "text", "required": true},
               {"id": "f4", "key": "alpha", "name": "Alpha \"link\"", "type": "link", "target": "alpha"}"#,
        ),
    )
    .unwrap();
    let gen_dir = d.join("gen");
    let args = [
        "generate",
        "--snapshot",
        snap.to_str().unwrap(),
        "--out",
        gen_dir.to_str().unwrap(),
        "--docs",
    ];
    assert_eq!(run(&args, &no_env), 0);
    let doc = std::fs::read_to_string(gen_dir.join("SCHEMA.md")).unwrap();
    assert!(
        doc.starts_with("<!-- @generated by kinabase-codegen"),
        "{doc}"
    );
    assert!(
        doc.contains("| Name \\| &lt;b&gt;x&lt;/b&gt; | name | name | text | yes |  |"),
        "{doc}"
    );
    assert!(
        doc.contains("```mermaid") && doc.contains("beta -- \"Alpha 'link'\" --> alpha"),
        "{doc}"
    );
    // Reproduced by check without being told, and kept current.
    assert_eq!(check_generated(&snap, &gen_dir), 0);
    std::fs::write(gen_dir.join("SCHEMA.md"), doc.replace("| yes |", "| no |")).unwrap();
    assert_eq!(check_generated(&snap, &gen_dir), 1);
    // Without --docs the file goes.
    assert_eq!(generate(&snap, &gen_dir), 0);
    assert!(!gen_dir.join("SCHEMA.md").exists());
    assert_eq!(check_generated(&snap, &gen_dir), 0);
}
