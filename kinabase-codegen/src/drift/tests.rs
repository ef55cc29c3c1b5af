//! Drift classes, messages, overlay hints and exit codes.

use super::*;

fn schema(fields: &str) -> Schema {
    Schema::parse(&format!(r#"{{"format": 1, "collections": [{{"id": "c1", "name": "Jobs", "slug": "jobs", "fields": [{fields}]}}]}}"#), "t").unwrap()
}

/// A snapshot as `pull` writes it: names locked.
fn locked(fields: &str) -> Schema {
    let mut s = schema(fields);
    crate::lower::assign_names(&mut s);
    s
}

const BASE: &str = r#"{"id": "f1", "key": "title", "name": "Title", "type": "text"},
    {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#;
const STAGE: &str = r#"{"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#;

#[test]
fn every_kind_of_change_and_its_exit_code() {
    let old = locked(BASE);
    assert_eq!(compare(&old, &old).exit_code(), EXIT_SAME);
    let f1 = |rest: &str| {
        format!(r#"{{"id": "f1", "key": "title", "name": "Title", "type": "text"{rest}}}, {STAGE}"#)
    };
    let cases: Vec<(String, Severity, &str)> = vec![
        (
            r#"{"id": "f1", "key": "title", "name": "Title", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done", "Held"]}"#.into(),
            Severity::NewOption,
            "`Stage::Held`",
        ),
        (
            format!(r#"{{"id": "f1", "key": "title", "name": "Job Title", "type": "text"}}, {STAGE}"#),
            Severity::Compatible,
            "display name \"Title\" → \"Job Title\"",
        ),
        (f1(r#", "description": "x""#), Severity::Compatible, "description"),
        (STAGE.into(), Severity::Breaking, "field removed"),
        (
            format!(r#"{{"id": "f1", "key": "jobTitle", "name": "Title", "type": "text"}}, {STAGE}"#),
            Severity::Compatible,
            "wire key \"title\" → \"jobTitle\"",
        ),
        (
            format!(r#"{{"id": "f1", "key": "title", "name": "Title", "type": "number"}}, {STAGE}"#),
            Severity::Breaking,
            "changes type from `Option<String>` to `Option<f64>`",
        ),
        (
            format!(r#"{{"id": "f1", "key": "title", "name": "Title", "type": "email"}}, {STAGE}"#),
            Severity::Compatible,
            "type text → email",
        ),
        (
            r#"{"id": "f1", "key": "title", "name": "Title", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New"]}"#.into(),
            Severity::Breaking,
            "variant(s) removed from `Stage`: `Done`",
        ),
        (f1(r#", "required": true"#), Severity::Breaking, "now required"),
        (f1(r#", "readOnly": true"#), Severity::Breaking, "now read-only"),
        (
            format!(r#"{BASE}, {{"id": "f3", "key": "due", "name": "Due", "type": "date"}}"#),
            Severity::Additive,
            "new field",
        ),
        (
            format!(r#"{BASE}, {{"id": "f3", "key": "due", "name": "Due", "type": "date", "required": true}}"#),
            Severity::Breaking,
            "new required field",
        ),
    ];
    for (fields, severity, needle) in &cases {
        let report = compare(&old, &schema(fields));
        assert!(
            report
                .changes
                .iter()
                .any(|c| c.severity == *severity && c.message.contains(needle)),
            "{needle}: {report:#?}"
        );
        assert_eq!(report.verdict(), Some(*severity), "{needle}: {report:#?}");
        let want = if *severity == Severity::Breaking {
            EXIT_BREAKING
        } else {
            EXIT_COMPATIBLE
        };
        assert_eq!(report.exit_code(), want, "{needle}");
    }
}

#[test]
fn a_display_rename_keeps_the_rust_name() {
    // "Quoted Price" → "Quote" under the same key: nothing a user sees changes.
    let old =
        locked(r#"{"id": "q", "key": "quotedPrice", "name": "Quoted Price", "type": "currency"}"#);
    let new = schema(r#"{"id": "q", "key": "quotedPrice", "name": "Quote", "type": "currency"}"#);
    let report = compare(&old, &new);
    assert_eq!(report.verdict(), Some(Severity::Compatible), "{report:#?}");
    assert!(
        report
            .render(false)
            .contains("keeps `quoted_price: Option<Currency>`")
    );
}

#[test]
fn renames_without_a_lock_suggest_the_overlay_line_in_use() {
    // An old snapshot without locked names: the key rename renames the Rust field.
    let old = schema(BASE);
    let new = schema(&format!(
        r#"{{"id": "f1", "key": "jobTitle", "name": "Job Title", "type": "text"}}, {STAGE}"#
    ));
    let report = compare(&old, &new);
    let rename = report
        .changes
        .iter()
        .find(|c| c.message.contains("Rust name"))
        .unwrap();
    assert_eq!(rename.severity, Severity::Breaking);
    assert_eq!(rename.id, "c1/f1");
    assert_eq!(
        rename.overlay_hint.as_deref(),
        Some("[collections.jobs.fields.f1]\nrename = \"title\"")
    );
    assert!(report.render(false).contains("rename = \"title\""));
    // With the overlay pinning another name, the hint keeps the pinned one.
    let overlay =
        Overlay::parse("[collections.jobs.fields.f1]\nrename = \"headline\"\n", "o").unwrap();
    let report = compare_with(&old, &new, &overlay);
    assert_eq!(report.exit_code(), EXIT_COMPATIBLE, "{report:#?}");
}

#[test]
fn collection_renames_are_judged_on_the_module() {
    let mk = |name: &str, slug: &str| {
        Schema::parse(&format!(r#"{{"format": 1, "collections": [{{"id": "c1", "name": "{name}", "slug": "{slug}", "fields": []}}]}}"#), "t").unwrap()
    };
    let mut old = mk("Jobs", "jobs");
    crate::lower::assign_names(&mut old);
    assert_eq!(
        compare(&old, &mk("Work Orders", "jobs")).verdict(),
        Some(Severity::Compatible)
    );
    // A new slug under a locked name keeps `kb.jobs()`.
    assert_eq!(
        compare(&old, &mk("Jobs", "work-orders")).verdict(),
        Some(Severity::Compatible)
    );
    // Without the lock it is a rename, with the overlay line that keeps the old name.
    let report = compare(&mk("Jobs", "jobs"), &mk("Jobs", "work-orders"));
    assert_eq!(report.verdict(), Some(Severity::Breaking));
    let hint = report.changes[0].overlay_hint.as_deref().unwrap();
    assert_eq!(hint, "[collections.work-orders]\nrename = \"Jobs\"");
}

#[test]
fn collections_added_and_removed() {
    let old = locked(BASE);
    let empty = Schema::parse(r#"{"format": 1, "collections": []}"#, "t").unwrap();
    assert_eq!(compare(&old, &empty).exit_code(), EXIT_BREAKING);
    assert_eq!(compare(&empty, &old).exit_code(), EXIT_COMPATIBLE);
    assert_eq!(compare(&empty, &old).verdict(), Some(Severity::Additive));
}

#[test]
fn the_report_escapes_server_text() {
    let old = locked(BASE);
    let new = schema(&format!(
        r#"{{"id": "f1", "key": "title", "name": "T\u001b]0;x\u0007\u202e", "type": "text"}}, {STAGE}"#
    ));
    let text = compare(&old, &new).render(false);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(!text.contains('\u{202e}'), "{text:?}");
}

#[test]
fn json_and_markdown_carry_every_change_class_and_hint() {
    let old = schema(BASE);
    let new = schema(
        r#"{"id": "f1", "key": "jobTitle", "name": "<img src=x> | *T*", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done", "Held"]}"#,
    );
    let report = compare(&old, &new);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["verdict"], "breaking");
    assert_eq!(json["exitCode"], EXIT_BREAKING);
    let classes: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert!(
        classes.contains(&"breaking") && classes.contains(&"new-option"),
        "{classes:?}"
    );
    assert!(
        json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["overlayHint"] == "[collections.jobs.fields.f1]\nrename = \"title\"")
    );
    let md = report.to_markdown();
    assert!(
        md.contains("```toml") && md.contains("rename = \"title\""),
        "{md}"
    );
    assert!(!md.contains("<img"), "{md}");
    assert!(md.contains("**new option**"), "{md}");
    assert!(
        compare(&old, &old)
            .to_json()
            .contains("\"verdict\": \"same\"")
    );
}
