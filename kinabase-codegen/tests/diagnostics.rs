//! Bad input gets every problem reported, naming collection, field and fix; never a panic.

#![allow(clippy::unwrap_used)]

use kinabase_codegen::{EmitOptions, Error, Layout, Overlay, Schema, generate};

fn schema(text: &str) -> Schema {
    Schema::parse(text, "t").unwrap()
}

#[test]
fn problems_are_collected_together() {
    let s = schema(
        r#"{"format": 1, "collections": [
        {"id": "a", "name": "Jobs", "slug": "jobs", "fields": [
            {"key": "x", "name": "X", "type": "text"}, {"key": "x", "name": "X again", "type": "text"}, {"key": "", "name": "Empty", "type": "text"}]},
        {"id": "a", "name": "Jobs 2", "slug": "jobs"}]}"#,
    );
    let overlay = Overlay::parse(
        "[collections.jbos]\nrename = \"J\"\n[collections.jobs.fields.xx]\nskip = true\n",
        "kinabase.toml",
    )
    .unwrap();
    let Err(Error::Invalid(d)) = generate(
        &s,
        &overlay,
        "t",
        Layout::SingleFile,
        EmitOptions::default(),
    ) else {
        panic!("expected problems")
    };
    let text = d.to_string();
    for needle in [
        "wire key \"x\" is used by two fields",
        "empty wire key",
        "slug \"jobs\" is used by two collections",
        "id \"a\" is used by two collections",
        "overlay names collection \"jbos\"",
        "did you mean \"jobs\"?",
        "overlay names field \"xx\"",
        "did you mean \"x\"?",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn unknown_overlay_settings_and_bad_types_are_errors() {
    assert!(
        Overlay::parse("[collections.jobs]\nrenmae = \"x\"\n", "k")
            .unwrap_err()
            .to_string()
            .contains("renmae")
    );
    let s = schema(
        r#"{"format": 1, "collections": [{"id": "a", "name": "Jobs", "slug": "jobs", "fields": [{"key": "x", "name": "X", "type": "text"}]}]}"#,
    );
    let overlay =
        Overlay::parse("[collections.jobs.fields.x]\ntype = \"not a type!\"\n", "k").unwrap();
    let err = generate(
        &s,
        &overlay,
        "t",
        Layout::SingleFile,
        EmitOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("is not a Rust type"), "{err}");
    // Things syn parses as types or paths but that cannot be a field type or a derive.
    for (overlay, needle) in [
        (
            "[collections.jobs.fields.x]\ntype = \"_\"\n",
            "type = \"_\" is not a type path",
        ),
        (
            "[collections.jobs.fields.x]\ntype = \"&str\"\n",
            "not a type path",
        ),
        (
            "[collections.jobs.fields.x]\ntype = \"impl Fn()\"\n",
            "not a type path",
        ),
        (
            "[collections.jobs.fields.x]\ntype = \"Vec<_>\"\n",
            "not a type path",
        ),
        (
            "[collections.jobs]\nderives = [\"Eq + Hash\"]\n",
            "[collections.jobs] derives: \"Eq + Hash\" is not a path",
        ),
        ("[collections.jobs]\nderives = [\"\"]\n", "is not a path"),
        (
            "[collections.jobs]\nderives = [\"Clone\"]\n",
            "implemented already",
        ),
    ] {
        let overlay = Overlay::parse(overlay, "k").unwrap();
        let err = generate(
            &s,
            &overlay,
            "t",
            Layout::SingleFile,
            EmitOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(needle), "{overlay:?}: {err}");
    }
}

#[test]
fn warnings_do_not_stop_generation() {
    let s = schema(
        r#"{"format": 1, "collections": [{"id": "a", "name": "Jobs", "slug": "jobs", "fields": [
        {"key": "x", "name": "X", "type": "teleport"},
        {"key": "l", "name": "L", "type": "link", "target": "gone"},
        {"key": "s", "name": "S", "type": "select"},
        {"key": "g", "name": "G", "type": "number", "inferred": {"samples": 3, "present": 2}}]}]}"#,
    );
    let g = generate(
        &s,
        &Overlay::default(),
        "t",
        Layout::ModuleTree,
        EmitOptions::default(),
    )
    .unwrap();
    let text = g.diagnostics.to_string();
    for needle in [
        "unknown field type \"teleport\"",
        "link target \"gone\"",
        "without options",
        "inferred from 3 sampled",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_eq!(
        g.files
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect::<Vec<_>>(),
        ["mod.rs", "jobs.rs"]
    );
}

#[test]
fn builder_writes_only_changed_files_and_reports_stale_code() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("kinabase.snapshot.json");
    std::fs::write(&snap, r#"{"format": 1, "collections": [{"id": "a", "name": "Jobs", "slug": "jobs", "fields": [{"key": "x", "name": "X", "type": "text"}]}]}"#).unwrap();
    let out = dir.path().join("gen");
    let b = kinabase_codegen::Builder::new(&snap).out_dir(&out);
    let first = b.write().unwrap();
    assert!(
        first
            .files
            .iter()
            .all(|(_, w)| *w == kinabase_codegen::Written::Changed)
    );
    let second = b.write().unwrap();
    assert!(
        second
            .files
            .iter()
            .all(|(_, w)| *w == kinabase_codegen::Written::Unchanged)
    );
    assert!(b.stale().unwrap().is_empty());
    std::fs::write(out.join("jobs.rs"), "// edited\n").unwrap();
    assert_eq!(b.stale().unwrap(), vec![out.join("jobs.rs")]);

    // A malformed snapshot writes nothing.
    std::fs::write(&snap, "{ not json").unwrap();
    let single = dir.path().join("one.rs");
    let err = kinabase_codegen::Builder::new(&snap)
        .out_file(&single)
        .write()
        .unwrap_err();
    assert!(err.to_string().contains("is not valid"), "{err}");
    assert!(!single.exists());
    let missing = kinabase_codegen::Builder::new(dir.path().join("nope.json"))
        .out_file(&single)
        .write()
        .unwrap_err();
    assert!(
        missing.to_string().contains("cargo kinabase pull"),
        "{missing}"
    );
}

#[test]
fn only_generates_the_named_collections_and_links_to_the_rest_are_untyped() {
    let s = schema(
        r#"{"format": 1, "collections": [
        {"id": "a", "name": "Jobs", "slug": "jobs", "fields": [{"key": "c", "name": "Customer", "type": "link", "target": "customers"}]},
        {"id": "b", "name": "Customers", "slug": "customers", "fields": [{"key": "n", "name": "N", "type": "text"}]},
        {"id": "c", "name": "Sites", "slug": "sites", "fields": [{"key": "j", "name": "Job", "type": "link", "target": "jobs"}]}]}"#,
    );
    let only = |text: &str| Overlay::parse(text, "kinabase.toml").unwrap();
    let files = |overlay: &Overlay| {
        let g = generate(&s, overlay, "t", Layout::ModuleTree, EmitOptions::default()).unwrap();
        let names: Vec<String> = g
            .files
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        (names, g)
    };
    let (names, g) = files(&only("only = [\"jobs\", \"c\"]\n"));
    assert_eq!(names, ["mod.rs", "jobs.rs", "sites.rs"]);
    let jobs = &g.files[1].1;
    assert!(
        jobs.contains("RecordRef<::kinabase_runtime::Untyped>")
            || jobs.contains("RecordRef<Untyped>"),
        "{jobs}"
    );
    let sites = &g.files[2].1;
    assert!(sites.contains("super::jobs::Jobs"), "{sites}");
    assert_eq!(files(&Overlay::default()).0.len(), 4);

    let Err(Error::Invalid(d)) = generate(
        &s,
        &only("only = [\"jbos\"]\n"),
        "t",
        Layout::ModuleTree,
        EmitOptions::default(),
    ) else {
        panic!("an unknown collection in `only` is an error")
    };
    let text = d.to_string();
    assert!(
        text.contains("`only` names collection \"jbos\"")
            && text.contains("did you mean \"jobs\"?"),
        "{text}"
    );
}
