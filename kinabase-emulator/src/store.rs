//! The emulator's data store: the account's collections and records, and the operations
//! of the API on them (create, update, delete, bulk calls, external ids, activities).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use crate::records::{CollectionState, RecordShape, StoreError, StoredRecord};
use crate::schema::{Account, CollectionDef};
pub use crate::time::TimestampFormat;
pub use crate::values::check_value_shape;
use crate::writes::{Mode, check_write, not_found_record, prefix, split_write_body};

/// Everything the emulator serves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Store {
    /// Account name.
    pub name: String,
    /// Collections in listing order.
    pub collections: Vec<CollectionState>,
    /// Seed for record ids, so runs are reproducible.
    pub id_counter: u64,
}

mod ingest;

impl Store {
    /// Builds the store from a validated account. Seed records get sequential numeric ids
    /// and deterministic timestamps, so that two emulators from one fixture agree.
    pub fn from_account(account: &Account) -> Store {
        let base = Timestamp::from_second(1_704_067_200).unwrap_or(Timestamp::UNIX_EPOCH); // 2024-01-01
        let mut store = Store {
            name: account.name.clone(),
            collections: Vec::new(),
            id_counter: 0,
        };
        for def in &account.collections {
            let mut state = CollectionState {
                def: CollectionDef {
                    records: Vec::new(),
                    ..def.clone()
                },
                records: Vec::with_capacity(def.records.len()),
                next_numeric: 1,
                shape: RecordShape::Nested,
                hide_fields: false,
                index: HashMap::new(),
            };
            for seed in &def.records {
                let id = match &seed.id {
                    Some(id) => id.clone(),
                    None => store.next_id(),
                };
                let n = state.next_numeric;
                state.next_numeric += 1;
                let at = base + jiff::SignedDuration::from_mins(n as i64);
                let external = seed
                    .external
                    .iter()
                    .flatten()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect();
                state.records.push(StoredRecord {
                    id,
                    numeric_id: n,
                    created_at: at,
                    updated_at: at,
                    updated_by: String::new(),
                    data: seed.data.clone(),
                    external,
                    activities: Vec::new(),
                });
            }
            state.reindex();
            store.collections.push(state);
        }
        store
    }

    /// Rebuilds indexes after deserializing a persisted store.
    pub fn reindex(&mut self) {
        for c in &mut self.collections {
            c.reindex();
        }
    }

    /// A fresh UUID-shaped record id. Deterministic per store.
    pub fn next_id(&mut self) -> String {
        self.id_counter += 1;
        let n = self.id_counter;
        let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (h >> 32) as u32,
            (h >> 16) as u16,
            (h & 0xfff) as u16,
            ((h >> 12) & 0xfff) as u16,
            n
        )
    }

    /// The collection with this id or slug.
    pub fn collection(&self, key: &str) -> Option<&CollectionState> {
        self.collections
            .iter()
            .find(|c| c.def.id == key || c.def.slug == key)
    }

    /// Mutable access to the collection with this id or slug.
    pub fn collection_mut(&mut self, key: &str) -> Option<&mut CollectionState> {
        self.collections
            .iter_mut()
            .find(|c| c.def.id == key || c.def.slug == key)
    }

    fn collection_index(&self, key: &str) -> Result<usize, StoreError> {
        self.collections
            .iter()
            .position(|c| c.def.id == key || c.def.slug == key)
            .ok_or_else(|| StoreError::NotFound(format!("collection {key:?} not found; use a collection id or slug from GET /collections")))
    }

    /// Creates one record from a write body (`{"data": {...}, "external": ...}`).
    pub fn create(
        &mut self,
        coll: &str,
        body: &Value,
        actor: &str,
    ) -> Result<StoredRecord, StoreError> {
        let ci = self.collection_index(coll)?;
        let (data, external) = split_write_body(body)?;
        check_write(&self.collections, ci, &data, Mode::Create)?;
        Ok(self.insert(ci, data, external, actor))
    }

    fn insert(
        &mut self,
        ci: usize,
        data: Map<String, Value>,
        external: BTreeMap<String, String>,
        actor: &str,
    ) -> StoredRecord {
        let id = self.next_id();
        let now = Timestamp::now();
        let c = &mut self.collections[ci];
        let n = c.next_numeric;
        c.next_numeric += 1;
        let data: Map<String, Value> = data.into_iter().filter(|(_, v)| !v.is_null()).collect();
        let rec = StoredRecord {
            id: id.clone(),
            numeric_id: n,
            created_at: now,
            updated_at: now,
            updated_by: actor.to_string(),
            data,
            external,
            activities: Vec::new(),
        };
        c.records.push(rec.clone());
        c.index.insert(id, c.records.len() - 1);
        rec
    }

    /// Partially updates one record: only sent keys change; `null` clears.
    pub fn update(
        &mut self,
        coll: &str,
        id: &str,
        body: &Value,
        actor: &str,
    ) -> Result<StoredRecord, StoreError> {
        let ci = self.collection_index(coll)?;
        let (data, external) = split_write_body(body)?;
        let pos = self.collections[ci]
            .position(id)
            .ok_or_else(|| not_found_record(coll, id))?;
        check_write(&self.collections, ci, &data, Mode::Update)?;
        Ok(self.apply_update(ci, pos, data, external, actor))
    }

    fn apply_update(
        &mut self,
        ci: usize,
        pos: usize,
        data: Map<String, Value>,
        external: BTreeMap<String, String>,
        actor: &str,
    ) -> StoredRecord {
        let rec = &mut self.collections[ci].records[pos];
        for (k, v) in data {
            if v.is_null() {
                rec.data.remove(&k);
            } else {
                rec.data.insert(k, v);
            }
        }
        rec.external.extend(external);
        rec.updated_at = Timestamp::now().max(rec.updated_at);
        rec.updated_by = actor.to_string();
        rec.clone()
    }

    /// Deletes one record.
    pub fn delete(&mut self, coll: &str, id: &str) -> Result<(), StoreError> {
        let ci = self.collection_index(coll)?;
        self.collections[ci]
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| not_found_record(coll, id))
    }

    /// Bulk create: every record is checked before any is written, so a refused call
    /// writes nothing.
    pub fn bulk_create(
        &mut self,
        coll: &str,
        records: &[Value],
        actor: &str,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let ci = self.collection_index(coll)?;
        let mut parsed = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let (data, external) = split_write_body(r).map_err(|e| prefix(e, i))?;
            check_write(&self.collections, ci, &data, Mode::Create).map_err(|e| prefix(e, i))?;
            parsed.push((data, external));
        }
        Ok(parsed
            .into_iter()
            .map(|(d, e)| self.insert(ci, d, e, actor))
            .collect())
    }

    /// Bulk update; each record names its `id`. All-or-nothing like bulk create.
    pub fn bulk_update(
        &mut self,
        coll: &str,
        records: &[Value],
        actor: &str,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let ci = self.collection_index(coll)?;
        let mut parsed = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let id = r.get("id").and_then(Value::as_str).ok_or_else(|| {
                StoreError::Invalid(format!(
                    "records[{i}]: each record of a bulk update needs its \"id\""
                ))
            })?;
            let pos = self.collections[ci]
                .position(id)
                .ok_or_else(|| prefix(not_found_record(coll, id), i))?;
            let (data, external) = split_write_body(r).map_err(|e| prefix(e, i))?;
            check_write(&self.collections, ci, &data, Mode::Update).map_err(|e| prefix(e, i))?;
            parsed.push((pos, data, external));
        }
        Ok(parsed
            .into_iter()
            .map(|(p, d, e)| self.apply_update(ci, p, d, e, actor))
            .collect())
    }

    /// Bulk delete by ids. Unknown ids fail the call before anything is deleted.
    pub fn bulk_delete(&mut self, coll: &str, ids: &[String]) -> Result<(), StoreError> {
        let ci = self.collection_index(coll)?;
        for (i, id) in ids.iter().enumerate() {
            if self.collections[ci].position(id).is_none() {
                return Err(prefix(not_found_record(coll, id), i));
            }
        }
        for id in ids {
            self.collections[ci].remove(id);
        }
        Ok(())
    }

    /// The record id behind an external id.
    pub fn find_external(
        &self,
        coll: &str,
        service: &str,
        ext: &str,
    ) -> Result<String, StoreError> {
        let ci = self.collection_index(coll)?;
        self.collections[ci]
            .records
            .iter()
            .find(|r| r.external.get(service).is_some_and(|e| e == ext))
            .map(|r| r.id.clone())
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "no record of {coll:?} has external id {ext:?} in service {service:?}"
                ))
            })
    }

    /// Adds a timeline entry to a record.
    pub fn add_activity(
        &mut self,
        coll: &str,
        id: &str,
        body: &Value,
        actor: &str,
    ) -> Result<Value, StoreError> {
        let ci = self.collection_index(coll)?;
        let obj = body.as_object().ok_or_else(|| {
            StoreError::Invalid(
                "an activity must be an object with \"content\", \"type\" and \"timestamp\"".into(),
            )
        })?;
        let content = obj.get("content").and_then(Value::as_str).ok_or_else(|| {
            StoreError::Invalid("activity \"content\" is required and must be a string".into())
        })?;
        let kind = obj.get("type").and_then(Value::as_str).unwrap_or("note");
        let timestamp = match obj.get("timestamp") {
            None | Some(Value::Null) => Timestamp::now().to_string(),
            Some(Value::String(s)) if kinabase_contract::time::parse_timestamp(s).is_some() => {
                s.clone()
            }
            Some(_) => {
                return Err(StoreError::Invalid(
                    "activity \"timestamp\" must be an ISO 8601 date-time".into(),
                ));
            }
        };
        let pos = self.collections[ci]
            .position(id)
            .ok_or_else(|| not_found_record(coll, id))?;
        let entry = json!({"id": self.next_id(), "content": content, "type": kind, "timestamp": timestamp, "createdBy": actor});
        self.collections[ci].records[pos]
            .activities
            .push(entry.clone());
        Ok(entry)
    }
}

/// Writes `value` as JSON to `path` through a temporary file in the same directory and
/// a rename, so that a crash leaves either the old file or the new one, never a torn one.
pub fn write_atomically<T: serde::Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "data file path has no file name",
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = io::BufWriter::new(file);
        serde_json::to_writer(&mut w, value).map_err(io::Error::other)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
