//! Writing a module tree: whole or not at all, never over a hand-written file, and
//! leftovers of an interrupted run seen by the staleness check.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use kinabase_codegen::Builder;

fn snapshot(slugs: &[&str]) -> String {
    let collections: Vec<String> = slugs
        .iter()
        .map(|s| {
            format!(
                r#"{{"id": "{s}", "name": "{s}", "slug": "{s}", "fields": [{{"id": "t", "key": "title", "name": "Title", "type": "text"}}]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"format": 1, "collections": [{}]}}"#,
        collections.join(",")
    )
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn setup(slugs: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("kinabase.snapshot.json");
    std::fs::write(&snap, snapshot(slugs)).unwrap();
    let out = dir.path().join("kinabase");
    (dir, snap, out)
}

#[test]
fn a_collection_named_like_a_hand_written_file_does_not_overwrite_it() {
    let (_dir, snap, out) = setup(&["jobs"]);
    Builder::new(&snap).out_dir(&out).write().unwrap();
    std::fs::write(out.join("helpers.rs"), "pub fn mine() {}\n").unwrap();
    let before = tree(&out);
    std::fs::write(
        &snap,
        snapshot(&["jobs", "helpers"]).replace("\"Title\"", "\"Heading\""),
    )
    .unwrap();
    let err = Builder::new(&snap).out_dir(&out).write().unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("helpers.rs") && message.contains("not generated"),
        "{message}"
    );
    assert_eq!(tree(&out), before, "nothing changed, nothing left behind");
}

#[test]
fn an_impossible_file_name_leaves_the_old_tree_intact() {
    let (_dir, snap, out) = setup(&["jobs", "sites"]);
    Builder::new(&snap).out_dir(&out).write().unwrap();
    let before = tree(&out);
    // Every file changes, and one name is longer than any file system allows.
    let long = "x".repeat(300);
    std::fs::write(
        &snap,
        snapshot(&["jobs", "sites", &long]).replace("\"Title\"", "\"Heading\""),
    )
    .unwrap();
    let err = Builder::new(&snap).out_dir(&out).write().unwrap_err();
    assert!(err.to_string().contains("cannot write"), "{err}");
    assert_eq!(tree(&out), before, "no file replaced, no temporary left");
}

#[test]
fn leftovers_of_an_interrupted_run_are_stale_and_cleaned_up() {
    let (_dir, snap, out) = setup(&["jobs", "sites"]);
    let builder = Builder::new(&snap).out_dir(&out);
    builder.write().unwrap();
    assert!(builder.stale().unwrap().is_empty());
    // A temporary of a killed run, and the file of a collection that no longer exists.
    let tmp = out.join(".jobs.rs.4242.0.tmp");
    std::fs::write(&tmp, "partial").unwrap();
    std::fs::copy(out.join("sites.rs"), out.join("old.rs")).unwrap();
    let stale = builder.stale().unwrap();
    assert_eq!(stale, [out.join(".jobs.rs.4242.0.tmp"), out.join("old.rs")]);
    builder.write().unwrap();
    assert!(builder.stale().unwrap().is_empty());
    assert!(!tmp.exists() && !out.join("old.rs").exists());
}

#[test]
fn build_scripts_watch_only_files_that_exist() {
    let (dir, snap, _out) = setup(&["jobs"]);
    assert_eq!(
        Builder::new(&snap).rerun_paths(),
        std::slice::from_ref(&snap)
    );
    let overlay = dir.path().join("kinabase.toml");
    std::fs::write(&overlay, "").unwrap();
    assert_eq!(Builder::new(&snap).rerun_paths(), [snap.clone(), overlay]);
    assert_eq!(
        Builder::new(&snap).no_overlay().rerun_paths(),
        std::slice::from_ref(&snap)
    );
    let missing = dir.path().join("other.toml");
    assert_eq!(
        Builder::new(&snap).overlay(&missing).rerun_paths(),
        std::slice::from_ref(&snap)
    );
    assert!(Builder::new(&snap).overlay(&missing).generate().is_err());
}

#[test]
fn errors_read_the_same_through_debug_as_through_display() {
    let (dir, snap, _out) = setup(&["jobs"]);
    // An overlay naming a collection the snapshot does not have is an error diagnostic.
    std::fs::write(
        dir.path().join("kinabase.toml"),
        "[collections.jbos]\nrename = \"Work\"\n",
    )
    .unwrap();
    let e = Builder::new(&snap).generate().unwrap_err();
    let (debug, display) = (format!("{e:?}"), e.to_string());
    assert_eq!(debug, display);
    assert!(
        display.starts_with("cannot generate bindings (1 problem):\n  "),
        "{display}"
    );
    assert!(!display.contains("error:"), "no second prefix: {display}");
}
