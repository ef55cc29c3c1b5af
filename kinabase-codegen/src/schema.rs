//! The schema model the generator reads, and its file form, the snapshot.
//!
//! A snapshot is JSON with a format version, collections sorted by slug and fields by
//! wire key, no timestamps, two-space indentation and a trailing newline, so that it
//! diffs well in review. Unknown field types are kept as data, never an error.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use kinabase_contract::{FieldType, Kind};

/// The snapshot format this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// An account's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schema {
    /// Snapshot format version.
    pub format: u32,
    /// Account name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The collections.
    pub collections: Vec<CollectionSchema>,
}

/// One collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectionSchema {
    /// Stable collection id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Free user text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The fields.
    #[serde(default)]
    pub fields: Vec<FieldSchema>,
    /// The Rust module name this collection was given when it was first pulled: kept by
    /// later pulls, so names do not move when the account is renamed (the snapshot is a
    /// lockfile for names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<String>,
}

/// One field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldSchema {
    /// Stable field id, when the account has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The wire key used in record data.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Type (contract §3); any other name is kept as [`FieldType::Unknown`].
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// A create must give it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// The collection's primary field.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
    /// Never written.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Free user text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Choice options, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Link target: collection slug or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A list of values.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    /// Present when the field was inferred from records rather than listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<Inferred>,
    /// The Rust field name this field was given when it was first pulled, kept by later
    /// pulls (see [`CollectionSchema::rust`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<String>,
}

/// How a field was inferred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Inferred {
    /// Records sampled.
    pub samples: u64,
    /// Records in which the key had a non-null value.
    pub present: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl CollectionSchema {
    /// The field of this collection that is `f` of another version of it: the one with
    /// the same id when both have ids, else the one with the same wire key.
    pub fn same_field(&self, f: &FieldSchema) -> Option<&FieldSchema> {
        match &f.id {
            Some(id) => self.fields.iter().find(|n| n.id.as_ref() == Some(id)),
            None => None,
        }
        .or_else(|| {
            self.fields
                .iter()
                .find(|n| n.key == f.key && (n.id.is_none() || f.id.is_none()))
        })
    }
}

impl FieldSchema {
    /// The kind of this field's type.
    pub fn kind(&self) -> Kind {
        self.ty.kind()
    }

    /// Whether clients may write it: not read-only and not a computed type.
    pub fn writable(&self) -> bool {
        !self.read_only && !self.ty.is_computed()
    }
}

impl From<kinabase_contract::Field> for FieldSchema {
    /// A field object of the contract, with its wire key resolved (given, else derived);
    /// no locked name and not inferred.
    fn from(f: kinabase_contract::Field) -> FieldSchema {
        FieldSchema {
            key: f.wire_key().into_owned(),
            id: f.id,
            name: f.name,
            ty: f.ty,
            required: f.required,
            primary: f.primary,
            read_only: f.read_only,
            description: f.description,
            options: f.options,
            target: f.target,
            multiple: f.multiple,
            inferred: None,
            rust: None,
        }
    }
}

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be read.
    #[error("cannot read snapshot {path}: {source}; run `cargo kinabase pull` to create it")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The JSON is malformed or not a snapshot.
    #[error(
        "snapshot {path} is not valid: {message} (line {line}, column {column}); fix it or pull it again with `cargo kinabase pull`"
    )]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A newer or older format.
    #[error(
        "snapshot {path} has format {found}, this generator reads format {FORMAT_VERSION}; upgrade kinabase-codegen or pull the snapshot again"
    )]
    Version {
        /// The file.
        path: String,
        /// The version found.
        found: u32,
    },
}

impl Schema {
    /// Reads a snapshot file.
    pub fn load(path: &Path) -> Result<Schema, SnapshotError> {
        let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Schema::parse(&text, &path.display().to_string())
    }

    /// Parses snapshot text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Schema, SnapshotError> {
        let invalid = |e: serde_json::Error| SnapshotError::Invalid {
            path: origin.to_string(),
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        };
        let probe: serde_json::Value = serde_json::from_str(text).map_err(invalid)?;
        if let Some(found) = probe.get("format").and_then(serde_json::Value::as_u64)
            && found != u64::from(FORMAT_VERSION)
        {
            return Err(SnapshotError::Version {
                path: origin.to_string(),
                found: found as u32,
            });
        }
        let schema: Schema = serde_json::from_str(text).map_err(invalid)?;
        Ok(schema.canonical())
    }

    /// The same schema in canonical order: collections by slug, fields by wire key.
    /// Option order is meaningful (a stage's order) and kept.
    pub fn canonical(mut self) -> Schema {
        self.collections
            .sort_by(|a, b| (&a.slug, &a.id).cmp(&(&b.slug, &b.id)));
        for c in &mut self.collections {
            c.fields
                .sort_by(|a, b| (&a.key, &a.id).cmp(&(&b.key, &b.id)));
        }
        self
    }

    /// The canonical file text: sorted, pretty, with a trailing newline.
    pub fn to_snapshot_text(&self) -> String {
        let canonical = self.clone().canonical();
        let mut text = serde_json::to_string_pretty(&canonical).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A short content hash of the canonical text (first 16 hex digits of SHA-256).
    pub fn content_hash(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.to_snapshot_text().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// Copies the locked Rust names of `old` onto the same items here (a collection by id,
    /// else slug; a field by id when both have one, else by wire key), where this schema
    /// has none. A later [`crate::lower::assign_names`] names whatever is new.
    pub fn inherit_names(&mut self, old: &Schema) {
        for c in &mut self.collections {
            let Some(oc) = old
                .collections
                .iter()
                .find(|o| o.id == c.id)
                .or_else(|| old.collections.iter().find(|o| o.slug == c.slug))
            else {
                continue;
            };
            if c.rust.is_none() {
                c.rust = oc.rust.clone();
            }
            for f in &mut c.fields {
                if f.rust.is_none() {
                    f.rust = oc.same_field(f).and_then(|o| o.rust.clone());
                }
            }
        }
    }

    /// Removes every locked name (`pull --fresh-names`).
    pub fn forget_names(&mut self) {
        for c in &mut self.collections {
            c.rust = None;
            for f in &mut c.fields {
                f.rust = None;
            }
        }
    }

    /// The collection with this slug or id.
    pub fn collection(&self, key: &str) -> Option<&CollectionSchema> {
        self.collections
            .iter()
            .find(|c| c.slug == key || c.id == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_is_sorted_and_ends_with_newline() {
        let text = r#"{"format":1,"collections":[
            {"id":"b","name":"B","slug":"b","fields":[{"key":"z","name":"Z","type":"text"},{"key":"a","name":"A","type":"weird"}]},
            {"id":"a","name":"A","slug":"a"}]}"#;
        let s = Schema::parse(text, "t").unwrap();
        assert_eq!(s.collections[0].slug, "a");
        assert_eq!(s.collections[1].fields[0].key, "a");
        assert_eq!(s.collections[1].fields[0].kind(), Kind::Unknown);
        let out = s.to_snapshot_text();
        assert!(out.ends_with("}\n"));
        assert_eq!(
            Schema::parse(&out, "t").unwrap().to_snapshot_text(),
            out,
            "stable"
        );
    }

    #[test]
    fn contract_fields_convert_with_their_key_resolved() {
        let f: kinabase_contract::Field =
            serde_json::from_str(r#"{"id": "f1", "name": "Job Title", "type": "sparkline"}"#)
                .unwrap();
        let f = FieldSchema::from(f);
        assert_eq!((f.key.as_str(), f.id.as_deref()), ("jobTitle", Some("f1")));
        assert_eq!(f.ty, FieldType::Unknown("sparkline".into()));
        assert_eq!(f.kind(), Kind::Unknown);
        assert!(f.rust.is_none() && f.inferred.is_none());
    }

    #[test]
    fn bad_snapshots_say_what_to_do() {
        let e = Schema::parse("{", "s.json").unwrap_err().to_string();
        assert!(e.contains("s.json") && e.contains("line"), "{e}");
        let e = Schema::parse(r#"{"format": 9, "collections": []}"#, "s.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("format 9"), "{e}");
        let e = Schema::parse(r#"{"format": 1, "collections": [{"id": "a"}]}"#, "s.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field"), "{e}");
    }
}
