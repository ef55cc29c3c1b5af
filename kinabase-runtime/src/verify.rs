//! The schema guard: the schema generated bindings were made from, as static data, and
//! its comparison with the live collections listing, change by change and classified.

use std::fmt;
use std::sync::OnceLock;

use kinabase_contract::{Field, guard};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// The schema a set of bindings was generated from (the generated `SCHEMA` static).
///
/// Generated code holds it as one JSON text, read at the first [`collections`](Self::collections)
/// call: a thousand collections of fifty fields then cost the compiler one string literal
/// instead of fifty thousand constant expressions (8.6 s and 1.2 GiB of a dev build).
#[derive(Debug)]
pub struct ExpectedSchema {
    text: &'static str,
    parsed: OnceLock<Result<Vec<ExpectedCollection>, String>>,
}

impl ExpectedSchema {
    /// For generated code: `text` is a JSON array of collections, each
    /// `[id, slug, name, [field, ...]]`, each field
    /// `[id, key, name, type, flags, [option, ...], target]`.
    pub const fn from_json(text: &'static str) -> Self {
        ExpectedSchema {
            text,
            parsed: OnceLock::new(),
        }
    }

    /// The collections, in the bindings' order; the text is read once, at the first call.
    ///
    /// # Errors
    /// [`Error::Config`] when the text is not the generated form (a generated file edited
    /// by hand): regenerate the bindings.
    pub fn collections(&self) -> Result<&[ExpectedCollection]> {
        self.parsed
            .get_or_init(|| {
                let collections = serde_json::from_str::<Vec<ExpectedCollection>>(self.text)
                    .map_err(|e| e.to_string())?;
                let mut fields = collections.iter().flat_map(|c| &c.fields);
                if let Some(bad) = fields.find(|f| f.flags & !guard::ALL != 0) {
                    return Err(format!("field {:?} has unknown flags {}", bad.key, bad.flags));
                }
                Ok(collections)
            })
            .as_deref()
            .map_err(|e| {
                Error::Config(format!(
                    "the bindings' SCHEMA text is not in the generated form ({e}); regenerate the bindings"
                ))
            })
    }
}

/// One collection as the bindings know it (in the generated text, the array
/// `[id, slug, name, [field, ...]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExpectedCollection {
    /// Collection id.
    pub id: String,
    /// Slug (used in request paths).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The fields the bindings have.
    pub fields: Vec<ExpectedField>,
}

/// One field as the bindings know it (in the generated text, the array
/// `[id, key, name, type, flags, [option, ...], target]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExpectedField {
    /// Field id (`""` when the account has none).
    pub id: String,
    /// Wire key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Type name (contract §3).
    pub ty: String,
    /// [`REQUIRED`](Self::REQUIRED), [`READ_ONLY`](Self::READ_ONLY),
    /// [`MULTIPLE`](Self::MULTIPLE), [`INFERRED`](Self::INFERRED).
    pub flags: u8,
    /// Choice options, in order.
    pub options: Vec<String>,
    /// Link target (`""` when none).
    pub target: String,
}

impl ExpectedField {
    /// A create must give it.
    pub const REQUIRED: u8 = guard::REQUIRED;
    /// Never written by clients.
    pub const READ_ONLY: u8 = guard::READ_ONLY;
    /// A list of values.
    pub const MULTIPLE: u8 = guard::MULTIPLE;
    /// Inferred from records at generation time (the listing did not describe it): not
    /// reported missing when the listing still does not.
    pub const INFERRED: u8 = guard::INFERRED;

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    fn writable(&self) -> bool {
        !self.has(Self::READ_ONLY)
            && !kinabase_contract::FieldType::from(self.ty.as_str()).is_computed()
    }
}

/// How a difference affects bindings that are already compiled and running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something new the bindings do not know (a field, an option, a collection): they
    /// keep working (unknown options read as `Unknown`).
    Additive,
    /// A change the bindings survive (a field no longer required, a display name).
    Compatible,
    /// A change that makes some calls fail: a missing collection or field, a changed type,
    /// key, target or multiplicity, a removed option, a field that became required or
    /// read-only, a new required field (creates without it are refused).
    Breaking,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Additive => "additive",
            Severity::Compatible => "compatible",
            Severity::Breaking => "BREAKING",
        })
    }
}

/// One difference between the bindings and the live account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChange {
    /// How it affects the running bindings.
    pub severity: Severity,
    /// Collection display name.
    pub collection: String,
    /// Field display name, for field changes.
    pub field: Option<String>,
    /// What changed.
    pub message: String,
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.collection)?;
        if let Some(field) = &self.field {
            write!(f, ", field {field:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What [`verify`](crate::Connection::verify) found: every difference, breaking first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaReport {
    /// The differences, most severe first, then by collection and field.
    pub changes: Vec<SchemaChange>,
}

impl SchemaReport {
    /// No difference at all.
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty()
    }

    /// The worst difference, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.changes.iter().map(|c| c.severity).max()
    }

    /// Whether some calls of the bindings will fail against the live account.
    pub fn is_breaking(&self) -> bool {
        self.worst() == Some(Severity::Breaking)
    }

    /// The breaking differences.
    pub fn breaking(&self) -> impl Iterator<Item = &SchemaChange> {
        self.changes
            .iter()
            .filter(|c| c.severity == Severity::Breaking)
    }
}

impl fmt::Display for SchemaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return f.write_str("the account matches the bindings");
        }
        for (i, c) in self.changes.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A live collection, read leniently from the listing: fields that cannot be read are
/// skipped (reported when the bindings have them, as missing).
struct Live {
    id: String,
    slug: String,
    name: String,
    fields: Vec<Field>,
}

fn live(value: &Value) -> Option<Live> {
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Live {
        id: text("id").unwrap_or_default(),
        slug: text("slug").unwrap_or_default(),
        name: text("name").or_else(|| text("slug"))?,
        fields: value
            .get("fields")
            .and_then(Value::as_array)
            .map(|fs| {
                fs.iter()
                    .filter_map(|f| serde_json::from_value(f.clone()).ok())
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Compares the bindings' schema with the live collections listing (as
/// `list_collections` returns it). Collections match by id, then slug; fields by id,
/// then wire key.
pub fn compare(expected: &[ExpectedCollection], listing: &[Value]) -> SchemaReport {
    let live: Vec<Live> = listing.iter().filter_map(live).collect();
    let mut changes = Vec::new();
    let mut push = |severity, collection: &str, field: Option<&str>, message: String| {
        changes.push(SchemaChange {
            severity,
            collection: collection.to_string(),
            field: field.map(str::to_string),
            message,
        })
    };
    let mut matched = vec![false; live.len()];
    for ec in expected {
        let found = live
            .iter()
            .position(|l| !ec.id.is_empty() && l.id == ec.id)
            .or_else(|| live.iter().position(|l| l.slug == ec.slug));
        let Some(index) = found else {
            push(
                Severity::Breaking,
                &ec.name,
                None,
                format!("collection missing (id {:?}, slug {:?})", ec.id, ec.slug),
            );
            continue;
        };
        matched[index] = true;
        let lc = &live[index];
        if lc.slug != ec.slug {
            push(
                Severity::Breaking,
                &ec.name,
                None,
                format!(
                    "slug changed from {:?} to {:?} (requests use the slug)",
                    ec.slug, lc.slug
                ),
            );
        }
        let mut seen = vec![false; lc.fields.len()];
        for ef in &ec.fields {
            let found = lc
                .fields
                .iter()
                .position(|f| !ef.id.is_empty() && f.id.as_deref() == Some(ef.id.as_str()))
                .or_else(|| lc.fields.iter().position(|f| f.wire_key() == ef.key));
            let Some(fi) = found else {
                if ef.has(ExpectedField::INFERRED) {
                    continue;
                }
                push(
                    Severity::Breaking,
                    &ec.name,
                    Some(&ef.name),
                    format!("field missing (wire key {:?})", ef.key),
                );
                continue;
            };
            seen[fi] = true;
            if ef.has(ExpectedField::INFERRED) {
                continue;
            }
            for (severity, message) in field_changes(ef, &lc.fields[fi]) {
                push(severity, &ec.name, Some(&ef.name), message);
            }
        }
        for (f, _) in lc.fields.iter().zip(&seen).filter(|(_, s)| !**s) {
            let (severity, what) = if f.required && f.writable() {
                (
                    Severity::Breaking,
                    "new required field: creates without it are refused",
                )
            } else {
                (Severity::Additive, "new field")
            };
            push(
                severity,
                &ec.name,
                Some(&f.name),
                format!(
                    "{what} (wire key {:?}, type {})",
                    f.wire_key(),
                    f.ty.as_str()
                ),
            );
        }
    }
    for (lc, _) in live.iter().zip(&matched).filter(|(_, m)| !**m) {
        push(
            Severity::Additive,
            &lc.name,
            None,
            format!(
                "new collection (slug {:?}, {} fields)",
                lc.slug,
                lc.fields.len()
            ),
        );
    }
    changes.sort_by(|a, b| {
        (b.severity, &a.collection, &a.field, &a.message).cmp(&(
            a.severity,
            &b.collection,
            &b.field,
            &b.message,
        ))
    });
    SchemaReport { changes }
}

fn field_changes(ef: &ExpectedField, lf: &Field) -> Vec<(Severity, String)> {
    let mut out = Vec::new();
    let key = lf.wire_key();
    if key != ef.key {
        out.push((
            Severity::Breaking,
            format!("wire key changed from {:?} to {:?}", ef.key, key),
        ));
    }
    if lf.ty.as_str() != ef.ty {
        out.push((
            Severity::Breaking,
            format!("type changed from {} to {}", ef.ty, lf.ty.as_str()),
        ));
    }
    if lf.name != ef.name {
        out.push((
            Severity::Compatible,
            format!("display name changed to {:?}", lf.name),
        ));
    }
    let required = ef.has(ExpectedField::REQUIRED);
    if lf.required && !required && lf.writable() {
        out.push((
            Severity::Breaking,
            "became required: creates without it are refused".into(),
        ));
    }
    if required && !lf.required {
        out.push((Severity::Compatible, "no longer required".into()));
    }
    if ef.writable() && !lf.writable() {
        out.push((
            Severity::Breaking,
            "became read-only: writes of it are refused".into(),
        ));
    }
    if !ef.writable() && lf.writable() {
        out.push((Severity::Additive, "became writable".into()));
    }
    let target = lf.target.as_deref().unwrap_or("");
    if target != ef.target {
        out.push((
            Severity::Breaking,
            format!("link target changed from {:?} to {:?}", ef.target, target),
        ));
    }
    if lf.multiple != ef.has(ExpectedField::MULTIPLE) {
        out.push((
            Severity::Breaking,
            format!("multiple changed to {}", lf.multiple),
        ));
    }
    for o in &ef.options {
        if !lf.options.iter().any(|l| l == o) {
            out.push((Severity::Breaking, format!("option {o:?} removed")));
        }
    }
    for o in &lf.options {
        if !ef.options.contains(o) {
            out.push((
                Severity::Additive,
                format!("option {o:?} added (read as Unknown)"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_read_once_and_a_bad_one_says_regenerate() {
        static GOOD: ExpectedSchema = ExpectedSchema::from_json(
            r#"[["c1","jobs","Jobs",[["f1","stage","Stage","stage",1,["New","Done"],""]]]]"#,
        );
        let jobs = &GOOD.collections().unwrap()[0];
        assert_eq!((jobs.slug.as_str(), jobs.fields.len()), ("jobs", 1));
        assert_eq!(jobs.fields[0].options, ["New", "Done"]);
        assert!(jobs.fields[0].has(ExpectedField::REQUIRED));
        assert!(std::ptr::eq(
            GOOD.collections().unwrap(),
            GOOD.collections().unwrap()
        ));
        for bad in [
            "",
            "{}",
            r#"[["c1","jobs"]]"#,
            r#"[["c","s","n",[["f","k","n","t",256,[],""]]]]"#,
            r#"[["c","s","n",[["f","k","n","t",99,[],""]]]]"#,
        ] {
            let schema = ExpectedSchema::from_json(bad);
            let e = schema.collections().unwrap_err().to_string();
            assert!(e.contains("regenerate the bindings"), "{bad:?}: {e}");
        }
    }
}
