//! Drift: how a live schema (or a second snapshot) differs from the committed one, and
//! whether the difference breaks code generated from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::names::{self, Case};
use crate::schema::{CollectionSchema, FieldSchema, Schema};

/// How serious a change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A new collection, field or choice option.
    Additive,
    /// A display-name or description change under the same key or id.
    Compatible,
    /// A removal, a changed wire key, type, target or slug, a removed option, a field
    /// that became required or read-only.
    Breaking,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Additive => "additive",
            Severity::Compatible => "compatible",
            Severity::Breaking => "BREAKING",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// How serious.
    pub severity: Severity,
    /// The collection's display name.
    pub collection: String,
    /// The field's display name, for field changes.
    pub field: Option<String>,
    /// What changed.
    pub message: String,
    /// For a rename: the overlay lines that keep the old Rust name.
    pub overlay_hint: Option<String>,
}

/// Every difference, grouped by collection in the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftReport {
    /// Changes in a stable order.
    pub changes: Vec<Change>,
}

/// Exit code: no change.
pub const EXIT_SAME: i32 = 0;
/// Exit code: an error.
pub const EXIT_ERROR: i32 = 2;
/// Exit code: only non-breaking changes.
pub const EXIT_COMPATIBLE: i32 = 3;
/// Exit code: breaking changes.
pub const EXIT_BREAKING: i32 = 4;

impl DriftReport {
    /// `0` no change, `3` only non-breaking changes, `4` breaking changes.
    pub fn exit_code(&self) -> i32 {
        match self.changes.iter().map(|c| c.severity).max() {
            None => EXIT_SAME,
            Some(Severity::Breaking) => EXIT_BREAKING,
            Some(_) => EXIT_COMPATIBLE,
        }
    }

    /// A report for people, grouped by collection; ANSI colours when `color`.
    pub fn render(&self, color: bool) -> String {
        if self.changes.is_empty() {
            return "no schema changes\n".to_string();
        }
        let mut grouped: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
        for c in &self.changes {
            grouped.entry(&c.collection).or_default().push(c);
        }
        let mut out = String::new();
        for (collection, changes) in grouped {
            let _ = writeln!(out, "{collection}:");
            for c in changes {
                let label = c.severity.label();
                let label = if color {
                    let code = match c.severity {
                        Severity::Additive => "32",
                        Severity::Compatible => "36",
                        Severity::Breaking => "1;31",
                    };
                    format!("\x1b[{code}m{label}\x1b[0m")
                } else {
                    label.to_string()
                };
                match &c.field {
                    Some(f) => {
                        let _ = writeln!(out, "  {label}: field {f:?}: {}", c.message);
                    }
                    None => {
                        let _ = writeln!(out, "  {label}: {}", c.message);
                    }
                }
                if let Some(hint) = &c.overlay_hint {
                    let _ = writeln!(out, "    to keep the old Rust name, add to kinabase.toml:");
                    for line in hint.lines() {
                        let _ = writeln!(out, "      {line}");
                    }
                }
            }
        }
        let breaking = self
            .changes
            .iter()
            .filter(|c| c.severity == Severity::Breaking)
            .count();
        let _ = writeln!(out, "{} change(s), {breaking} breaking", self.changes.len());
        out
    }
}

/// Compares the committed schema `old` with `new`.
pub fn compare(old: &Schema, new: &Schema) -> DriftReport {
    let mut changes = Vec::new();
    let find = |s: &'_ Schema, c: &CollectionSchema| -> Option<CollectionSchema> {
        s.collections
            .iter()
            .find(|n| n.id == c.id)
            .or_else(|| s.collections.iter().find(|n| n.slug == c.slug))
            .cloned()
    };
    for oc in &old.collections {
        match find(new, oc) {
            None => changes.push(change(
                Severity::Breaking,
                oc,
                None,
                "collection removed".into(),
            )),
            Some(nc) => compare_collection(oc, &nc, &mut changes),
        }
    }
    for nc in &new.collections {
        if find(old, nc).is_none() {
            changes.push(change(
                Severity::Additive,
                nc,
                None,
                format!(
                    "new collection (slug {:?}, {} fields)",
                    nc.slug,
                    nc.fields.len()
                ),
            ));
        }
    }
    changes.sort_by(|a, b| {
        (&a.collection, &a.field, b.severity, &a.message).cmp(&(
            &b.collection,
            &b.field,
            a.severity,
            &b.message,
        ))
    });
    DriftReport { changes }
}

fn change(
    severity: Severity,
    c: &CollectionSchema,
    field: Option<&FieldSchema>,
    message: String,
) -> Change {
    Change {
        severity,
        collection: c.name.clone(),
        field: field.map(|f| f.name.clone()),
        message,
        overlay_hint: None,
    }
}

fn compare_collection(oc: &CollectionSchema, nc: &CollectionSchema, out: &mut Vec<Change>) {
    if oc.slug != nc.slug {
        out.push(change(
            Severity::Breaking,
            nc,
            None,
            format!("slug changed from {:?} to {:?}", oc.slug, nc.slug),
        ));
    }
    if oc.name != nc.name {
        out.push(change(
            Severity::Compatible,
            nc,
            None,
            format!("display name changed from {:?}", oc.name),
        ));
    }
    if oc.description != nc.description {
        out.push(change(
            Severity::Compatible,
            nc,
            None,
            "description changed".into(),
        ));
    }
    let by_id = |fields: &[FieldSchema], f: &FieldSchema| -> Option<FieldSchema> {
        match &f.id {
            Some(id) => fields.iter().find(|n| n.id.as_ref() == Some(id)).cloned(),
            None => None,
        }
        .or_else(|| {
            fields
                .iter()
                .find(|n| n.key == f.key && (n.id.is_none() || f.id.is_none()))
                .cloned()
        })
    };
    for of in &oc.fields {
        let Some(nf) = by_id(&nc.fields, of) else {
            out.push(change(
                Severity::Breaking,
                nc,
                Some(of),
                format!("field removed (wire key {:?})", of.key),
            ));
            continue;
        };
        compare_field(nc, of, &nf, out);
    }
    for nf in &nc.fields {
        if by_id(&oc.fields, nf).is_none() {
            let severity = if nf.required && nf.writable() {
                Severity::Breaking
            } else {
                Severity::Additive
            };
            let what = if nf.required {
                "new required field"
            } else {
                "new field"
            };
            out.push(change(
                severity,
                nc,
                Some(nf),
                format!("{what} (wire key {:?}, type {})", nf.key, nf.ty),
            ));
        }
    }
}

fn compare_field(c: &CollectionSchema, of: &FieldSchema, nf: &FieldSchema, out: &mut Vec<Change>) {
    if of.key != nf.key {
        let old_name = names::make(&[&of.name, &of.key], Case::Snake, "field");
        let hint = nf.id.as_ref().map(|id| {
            format!(
                "[collections.{}.fields.{}]\nrename = {:?}",
                toml_key(&c.slug),
                toml_key(id),
                old_name
            )
        });
        out.push(Change {
            severity: Severity::Breaking,
            collection: c.name.clone(),
            field: Some(nf.name.clone()),
            message: format!(
                "renamed: wire key {:?} → {:?} (same field id)",
                of.key, nf.key
            ),
            overlay_hint: hint,
        });
    }
    if of.ty != nf.ty {
        out.push(change(
            Severity::Breaking,
            c,
            Some(nf),
            format!("type changed from {} to {}", of.ty, nf.ty),
        ));
    }
    if of.name != nf.name && of.key == nf.key {
        out.push(change(
            Severity::Compatible,
            c,
            Some(nf),
            format!("display name changed from {:?}", of.name),
        ));
    }
    if of.description != nf.description {
        out.push(change(
            Severity::Compatible,
            c,
            Some(nf),
            "description changed".into(),
        ));
    }
    if !of.required && nf.required {
        out.push(change(
            Severity::Breaking,
            c,
            Some(nf),
            "became required".into(),
        ));
    }
    if of.required && !nf.required {
        // The generated constructor loses an argument: callers must change.
        out.push(change(
            Severity::Breaking,
            c,
            Some(nf),
            "no longer required (Create::new changes)".into(),
        ));
    }
    if of.writable() && !nf.writable() {
        out.push(change(
            Severity::Breaking,
            c,
            Some(nf),
            "became read-only".into(),
        ));
    }
    if !of.writable() && nf.writable() {
        out.push(change(
            Severity::Additive,
            c,
            Some(nf),
            "became writable".into(),
        ));
    }
    if of.target != nf.target {
        out.push(change(
            Severity::Breaking,
            c,
            Some(nf),
            format!(
                "link target changed from {:?} to {:?}",
                of.target, nf.target
            ),
        ));
    }
    if of.multiple != nf.multiple {
        out.push(change(
            Severity::Breaking,
            c,
            Some(nf),
            format!("multiple changed to {}", nf.multiple),
        ));
    }
    for o in &of.options {
        if !nf.options.contains(o) {
            out.push(change(
                Severity::Breaking,
                c,
                Some(nf),
                format!("option {o:?} removed"),
            ));
        }
    }
    for o in &nf.options {
        if !of.options.contains(o) {
            out.push(change(
                Severity::Additive,
                c,
                Some(nf),
                format!("option {o:?} added"),
            ));
        }
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(fields: &str) -> Schema {
        Schema::parse(&format!(r#"{{"format": 1, "collections": [{{"id": "c1", "name": "Jobs", "slug": "jobs", "fields": [{fields}]}}]}}"#), "t").unwrap()
    }

    const BASE: &str = r#"{"id": "f1", "key": "title", "name": "Title", "type": "text"},
        {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#;

    #[test]
    fn every_kind_of_change_and_its_exit_code() {
        let old = schema(BASE);
        assert_eq!(compare(&old, &old).exit_code(), EXIT_SAME);
        let cases: &[(&str, Severity, &str)] = &[
            (
                r#"{"id": "f1", "key": "title", "name": "Title", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done", "Held"]}"#,
                Severity::Additive,
                "option \"Held\" added",
            ),
            (
                r#"{"id": "f1", "key": "title", "name": "Job Title", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#,
                Severity::Compatible,
                "display name",
            ),
            (
                r#"{"id": "f1", "key": "title", "name": "Title", "type": "text", "description": "x"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#,
                Severity::Compatible,
                "description",
            ),
            (
                r#"{"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#,
                Severity::Breaking,
                "field removed",
            ),
            (
                r#"{"id": "f1", "key": "jobTitle", "name": "Title", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#,
                Severity::Breaking,
                "renamed",
            ),
            (
                r#"{"id": "f1", "key": "title", "name": "Title", "type": "number"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#,
                Severity::Breaking,
                "type changed",
            ),
            (
                r#"{"id": "f1", "key": "title", "name": "Title", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New"]}"#,
                Severity::Breaking,
                "option \"Done\" removed",
            ),
            (
                r#"{"id": "f1", "key": "title", "name": "Title", "type": "text", "required": true}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#,
                Severity::Breaking,
                "became required",
            ),
            (
                &format!(r#"{BASE}, {{"id": "f3", "key": "due", "name": "Due", "type": "date"}}"#),
                Severity::Additive,
                "new field",
            ),
        ];
        for (fields, severity, needle) in cases {
            let report = compare(&old, &schema(fields));
            assert!(
                report
                    .changes
                    .iter()
                    .any(|c| c.severity == *severity && c.message.contains(needle)),
                "{needle}: {report:?}"
            );
            let want = if *severity == Severity::Breaking {
                EXIT_BREAKING
            } else {
                EXIT_COMPATIBLE
            };
            assert_eq!(report.exit_code(), want, "{needle}");
        }
    }

    #[test]
    fn renames_by_id_suggest_the_overlay_line() {
        let old = schema(BASE);
        let new = schema(
            r#"{"id": "f1", "key": "jobTitle", "name": "Job Title", "type": "text"}, {"id": "f2", "key": "stage", "name": "Stage", "type": "select", "options": ["New", "Done"]}"#,
        );
        let report = compare(&old, &new);
        let rename = report
            .changes
            .iter()
            .find(|c| c.message.contains("renamed"))
            .unwrap();
        assert_eq!(
            rename.overlay_hint.as_deref(),
            Some("[collections.jobs.fields.f1]\nrename = \"title\"")
        );
        assert!(report.render(false).contains("rename = \"title\""));
    }

    #[test]
    fn collections_added_and_removed() {
        let old = schema(BASE);
        let empty = Schema::parse(r#"{"format": 1, "collections": []}"#, "t").unwrap();
        assert_eq!(compare(&old, &empty).exit_code(), EXIT_BREAKING);
        assert_eq!(compare(&empty, &old).exit_code(), EXIT_COMPATIBLE);
    }
}
