//! Records and collections as the emulator holds them, and the errors a refused write
//! answers.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::schema::{CollectionDef, FieldDef};

/// How a record is laid out when the emulator returns it (contract §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RecordShape {
    /// `{"id", "numericId", "data": {...}, "external", "createdAt", ...}`.
    #[default]
    Nested,
    /// The fields beside `id`, `recordId`, `createdAt`, `updatedAt`, `updatedBy`,
    /// as in the first example response Kinabase published.
    Flat,
}

/// A stored record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StoredRecord {
    /// Record id (UUID-like).
    pub id: String,
    /// Sequential number within the collection.
    pub numeric_id: u64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last update time.
    pub updated_at: Timestamp,
    /// Who last updated it (app id or empty).
    pub updated_by: String,
    /// Field values by wire key.
    pub data: Map<String, Value>,
    /// External ids by service.
    pub external: BTreeMap<String, String>,
    /// Timeline entries.
    #[serde(default)]
    pub activities: Vec<Value>,
}

/// A collection as the emulator holds it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CollectionState {
    /// Schema part of the fixture (records are kept in `records`).
    pub def: CollectionDef,
    /// Records in creation order.
    pub records: Vec<StoredRecord>,
    /// Next numeric id.
    pub next_numeric: u64,
    /// Return records in this shape.
    pub shape: RecordShape,
    /// Leave `fields` out of the collection listing, so that clients must infer them.
    pub hide_fields: bool,
    #[serde(skip)]
    pub(crate) index: HashMap<String, usize>,
}

impl CollectionState {
    pub(crate) fn reindex(&mut self) {
        self.index = self
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&StoredRecord> {
        self.index.get(id).map(|&i| &self.records[i])
    }

    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The field with this wire key.
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.def.fields.iter().find(|f| f.wire_key() == key)
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<StoredRecord> {
        let pos = self.position(id)?;
        let rec = self.records.remove(pos);
        self.reindex();
        Some(rec)
    }
}

/// A write the service refused, with the message it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `400` with this message.
    Invalid(String),
    /// `404` with this message.
    NotFound(String),
}

/// The collection with this id or slug.
pub(crate) fn find<'a>(
    collections: &'a [CollectionState],
    key: &str,
) -> Option<&'a CollectionState> {
    collections
        .iter()
        .find(|c| c.def.id == key || c.def.slug == key)
}
