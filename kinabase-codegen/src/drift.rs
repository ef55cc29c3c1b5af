//! Drift: how a live schema (or a second snapshot) differs from the committed one, judged
//! on the generated surface: what code written against the old bindings can see.
//!
//! Both schemas are lowered (with the overlay, and with the new one inheriting the names
//! the committed snapshot locked, as a pull would) and their models compared item by item:
//! modules, handle methods, marker types, fields and their types, `Create::new`
//! parameters, `Update` members, key constants, choice enums and their variants. Each
//! change is explained in schema terms and keyed by id. See [`Severity`] for the classes.

mod fields;
mod formats;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fields::{compare_field, new_field};

use crate::diag::{Diagnostics, terminal_safe};
use crate::lower::{lower, toml_key};
use crate::model::{CollectionModel, FieldModel, Model};
use crate::overlay::Overlay;
use crate::schema::{CollectionSchema, FieldSchema, Schema};

/// How a change affects code written against the old bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The surface is unchanged: docs, display names, a wire key or slug under a kept Rust
    /// name, a schema type that maps to the same Rust type.
    Compatible,
    /// Items were only added: a collection, an optional field, a field that became
    /// writable.
    Additive,
    /// A choice option was added: a new enum variant. Code compiles unless it matches the
    /// enum exhaustively (without a `_` or `Unknown(_)` arm); such a `match` stops
    /// compiling when the bindings are regenerated.
    NewOption,
    /// Code that compiled may fail to compile or change meaning: something removed or
    /// renamed, a changed type, `Create::new` parameters, `Update` members or variants.
    Breaking,
}

impl Severity {
    /// The label in reports.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Compatible => "compatible",
            Severity::Additive => "additive",
            Severity::NewOption => "new option",
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
    /// The collection's id, and the field's id (else wire key) for field changes:
    /// `col_jobs` or `col_jobs/fld_job_quote`.
    pub id: String,
    /// The field's display name, for field changes.
    pub field: Option<String>,
    /// What changed in the schema and what that does to the generated code.
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
/// Exit code: only non-breaking changes (compatible, additive, new options).
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

    /// The most serious change, if any.
    pub fn verdict(&self) -> Option<Severity> {
        self.changes.iter().map(|c| c.severity).max()
    }

    /// A report for people, grouped by collection; ANSI colours when `color`. Names from
    /// the server are shown with control and bidi characters escaped.
    pub fn render(&self, color: bool) -> String {
        if self.changes.is_empty() {
            return "no schema changes\n".to_string();
        }
        let mut grouped: BTreeMap<(&str, &str), Vec<&Change>> = BTreeMap::new();
        for c in &self.changes {
            let collection_id = c.id.split('/').next().unwrap_or_default();
            grouped
                .entry((&c.collection, collection_id))
                .or_default()
                .push(c);
        }
        let mut out = String::new();
        for ((collection, id), changes) in grouped {
            let _ = writeln!(
                out,
                "{} (id {}):",
                terminal_safe(collection),
                terminal_safe(id)
            );
            for c in changes {
                let label = c.severity.label();
                let label = if color {
                    let code = match c.severity {
                        Severity::Compatible => "36",
                        Severity::Additive => "32",
                        Severity::NewOption => "33",
                        Severity::Breaking => "1;31",
                    };
                    format!("\x1b[{code}m{label}\x1b[0m")
                } else {
                    label.to_string()
                };
                let message = terminal_safe(&c.message);
                match (&c.field, c.id.split_once('/')) {
                    (Some(f), Some((_, fid))) => {
                        let _ = writeln!(
                            out,
                            "  {label}: field {} (id {}): {message}",
                            terminal_safe(&format!("{f:?}")),
                            terminal_safe(fid)
                        );
                    }
                    _ => {
                        let _ = writeln!(out, "  {label}: {message}");
                    }
                }
                if let Some(hint) = &c.overlay_hint {
                    let _ = writeln!(out, "    to keep the old Rust name, add to kinabase.toml:");
                    for line in hint.lines() {
                        let _ = writeln!(out, "      {}", terminal_safe(line));
                    }
                }
            }
        }
        let count = |s: Severity| self.changes.iter().filter(|c| c.severity == s).count();
        let _ = writeln!(
            out,
            "{} change(s): {} breaking, {} new option(s), {} additive, {} compatible",
            self.changes.len(),
            count(Severity::Breaking),
            count(Severity::NewOption),
            count(Severity::Additive),
            count(Severity::Compatible)
        );
        out
    }
}

/// Compares the committed schema `old` with `new`, without an overlay.
pub fn compare(old: &Schema, new: &Schema) -> DriftReport {
    compare_with(old, new, &Overlay::default())
}

/// Compares the committed schema `old` with `new` as generated with `overlay`.
pub fn compare_with(old: &Schema, new: &Schema, overlay: &Overlay) -> DriftReport {
    let mut new = new.clone();
    new.inherit_names(old);
    let mut ignored = Diagnostics::default();
    let old_model = lower(old, overlay, &mut ignored);
    let new_model = lower(&new, overlay, &mut ignored);
    let mut changes = Vec::new();
    let find = |s: &'_ Schema, c: &CollectionSchema| -> Option<CollectionSchema> {
        s.collections
            .iter()
            .find(|n| n.id == c.id)
            .or_else(|| s.collections.iter().find(|n| n.slug == c.slug))
            .cloned()
    };
    for oc in &old.collections {
        let om = model_of(&old_model, oc);
        match find(&new, oc) {
            None => {
                if let Some(om) = om {
                    changes.push(collection_change(
                        Severity::Breaking,
                        oc,
                        format!(
                            "collection removed (slug {:?}): module `{}`, `kb.{}()` and its types are gone",
                            oc.slug,
                            om.module.source(),
                            om.accessor.source()
                        ),
                    ));
                }
            }
            Some(nc) => {
                let nm = model_of(&new_model, &nc);
                compare_collection(oc, om, &nc, nm, &mut changes);
            }
        }
    }
    for nc in &new.collections {
        if find(old, nc).is_none()
            && let Some(nm) = model_of(&new_model, nc)
        {
            changes.push(collection_change(
                Severity::Additive,
                nc,
                format!(
                    "new collection (slug {:?}, {} fields): module `{}`, `kb.{}()`",
                    nc.slug,
                    nc.fields.len(),
                    nm.module.source(),
                    nm.accessor.source()
                ),
            ));
        }
    }
    changes.sort_by(|a, b| {
        (&a.collection, &a.id, b.severity, &a.message).cmp(&(
            &b.collection,
            &b.id,
            a.severity,
            &b.message,
        ))
    });
    DriftReport { changes }
}

fn model_of<'m>(model: &'m Model, c: &CollectionSchema) -> Option<&'m CollectionModel> {
    model.collections.iter().find(|m| m.id == c.id)
}

fn collection_change(severity: Severity, c: &CollectionSchema, message: String) -> Change {
    Change {
        severity,
        collection: c.name.clone(),
        id: c.id.clone(),
        field: None,
        message,
        overlay_hint: None,
    }
}

fn field_change(
    severity: Severity,
    c: &CollectionSchema,
    f: &FieldSchema,
    message: String,
) -> Change {
    Change {
        severity,
        collection: c.name.clone(),
        id: format!("{}/{}", c.id, f.id.as_deref().unwrap_or(&f.key)),
        field: Some(f.name.clone()),
        message,
        overlay_hint: None,
    }
}

/// `Create::new`'s parameters as text.
fn new_signature(m: &CollectionModel) -> String {
    let mut required: Vec<&FieldModel> = m
        .fields
        .iter()
        .filter(|f| f.writable && f.required)
        .collect();
    required.sort_by_key(|f| !f.primary);
    let params: Vec<String> = required
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f.name.source(),
                short(&f.type_text("", &m.module.text))
            )
        })
        .collect();
    if m.required_by_name {
        format!("Create::new(CreateRequired {{ {} }})", params.join(", "))
    } else {
        format!("Create::new({})", params.join(", "))
    }
}

/// A type as people read it: without the runtime's and std's paths.
fn short(ty: &str) -> String {
    ty.replace("::kinabase_runtime::", "")
        .replace("::std::string::", "")
        .replace("::std::vec::", "")
}

fn compare_collection(
    oc: &CollectionSchema,
    om: Option<&CollectionModel>,
    nc: &CollectionSchema,
    nm: Option<&CollectionModel>,
    out: &mut Vec<Change>,
) {
    let (om, nm) = match (om, nm) {
        (None, None) => return,
        (Some(om), None) => {
            out.push(collection_change(
                Severity::Breaking,
                nc,
                format!(
                    "no longer generated: module `{}` is gone",
                    om.module.source()
                ),
            ));
            return;
        }
        (None, Some(nm)) => {
            out.push(collection_change(
                Severity::Additive,
                nc,
                format!("now generated: module `{}`", nm.module.source()),
            ));
            return;
        }
        (Some(om), Some(nm)) => (om, nm),
    };
    let mut schema_changes = Vec::new();
    if oc.name != nc.name {
        schema_changes.push(format!("display name {:?} → {:?}", oc.name, nc.name));
    }
    if oc.slug != nc.slug {
        schema_changes.push(format!("slug {:?} → {:?}", oc.slug, nc.slug));
    }
    if oc.description != nc.description {
        schema_changes.push("description changed".to_string());
    }
    let explained = if schema_changes.is_empty() {
        "the collection".to_string()
    } else {
        schema_changes.join(", ")
    };
    if om.module != nm.module || om.marker != nm.marker {
        let mut c = collection_change(
            Severity::Breaking,
            nc,
            format!(
                "{explained}: module `{}` → `{}`, `kb.{}()` → `kb.{}()`, type `{}` → `{}`",
                om.module.source(),
                nm.module.source(),
                om.accessor.source(),
                nm.accessor.source(),
                om.marker.source(),
                nm.marker.source()
            ),
        );
        c.overlay_hint = Some(format!(
            "[collections.{}]\nrename = {:?}",
            toml_key(&nc.slug),
            om.marker.text
        ));
        out.push(c);
    } else if !schema_changes.is_empty() {
        out.push(collection_change(
            Severity::Compatible,
            nc,
            format!(
                "{explained}; module `{}` and `kb.{}()` keep their names",
                nm.module.source(),
                nm.accessor.source()
            ),
        ));
    }
    let (old_new, new_new) = (new_signature(om), new_signature(nm));
    if old_new != new_new {
        out.push(collection_change(
            Severity::Breaking,
            nc,
            format!("`{old_new}` becomes `{new_new}`"),
        ));
    }
    for of in &oc.fields {
        let ofm = om.fields.iter().find(|m| m.key == of.key);
        let nf = nc.same_field(of);
        let nfm = nf.and_then(|nf| nm.fields.iter().find(|m| m.key == nf.key));
        match (ofm, nf, nfm) {
            (None, _, None) => {}
            (Some(ofm), _, None) => out.push(field_change(
                Severity::Breaking,
                nc,
                of,
                format!(
                    "field removed (wire key {:?}): `{}` and `keys::{}` are gone",
                    of.key,
                    ofm.name.source(),
                    ofm.constant.source()
                ),
            )),
            (None, Some(nf), Some(nfm)) => out.push(new_field(nc, nf, nfm, &nm.module.text)),
            (Some(ofm), Some(nf), Some(nfm)) => {
                compare_field(nc, (of, ofm), (nf, nfm), (om, nm), out);
            }
            (Some(_) | None, None, Some(_)) => {}
        }
    }
    for nf in &nc.fields {
        if oc.same_field(nf).is_none()
            && let Some(nfm) = nm.fields.iter().find(|m| m.key == nf.key)
        {
            out.push(new_field(nc, nf, nfm, &nm.module.text));
        }
    }
}

#[cfg(test)]
mod tests;
