//! The emulator's data: collections, records, and the validation the real service applies
//! to writes.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::account::{Account, CollectionDef, FieldDef, derive_key};

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

/// How the emulator writes `createdAt` and `updatedAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TimestampFormat {
    /// `dd/MM/yyyy HH:mm:ss +hh:mm`, as in Kinabase's published example.
    #[default]
    Kinabase,
    /// ISO 8601 / RFC 3339.
    Iso8601,
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
    index: HashMap<String, usize>,
}

impl CollectionState {
    fn reindex(&mut self) {
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

    fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The field with this wire key.
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.def.fields.iter().find(|f| f.wire_key() == key)
    }

    fn remove(&mut self, id: &str) -> Option<StoredRecord> {
        let pos = self.position(id)?;
        let rec = self.records.remove(pos);
        self.reindex();
        Some(rec)
    }
}

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

/// A write the service refused, with the message it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `400` with this message.
    Invalid(String),
    /// `404` with this message.
    NotFound(String),
}

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
        self.check_write(ci, &data, Mode::Create)?;
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
        self.check_write(ci, &data, Mode::Update)?;
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
            self.check_write(ci, &data, Mode::Create)
                .map_err(|e| prefix(e, i))?;
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
            self.check_write(ci, &data, Mode::Update)
                .map_err(|e| prefix(e, i))?;
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
            Some(Value::String(s)) if crate::time::parse_timestamp(s).is_some() => s.clone(),
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

    fn check_write(
        &self,
        ci: usize,
        data: &Map<String, Value>,
        mode: Mode,
    ) -> Result<(), StoreError> {
        let c = &self.collections[ci];
        for (key, value) in data {
            let Some(field) = c.field(key) else {
                return Err(StoreError::Invalid(unknown_key_message(c, key)));
            };
            if !field.writable() {
                return Err(StoreError::Invalid(format!(
                    "field {:?} ({key}) of {:?} is {} and cannot be written; remove it from the request",
                    field.name,
                    c.def.name,
                    if field.read_only {
                        "read-only".to_string()
                    } else {
                        format!("a computed field ({})", field.ty)
                    }
                )));
            }
            if value.is_null() {
                if field.required {
                    return Err(StoreError::Invalid(format!(
                        "field {:?} ({key}) of {:?} is required and cannot be cleared",
                        field.name, c.def.name
                    )));
                }
                continue;
            }
            check_value_shape(field, value).map_err(|m| {
                StoreError::Invalid(format!(
                    "field {:?} ({key}) of {:?}: {m}",
                    field.name, c.def.name
                ))
            })?;
            self.check_links(field, value).map_err(|m| {
                StoreError::Invalid(format!(
                    "field {:?} ({key}) of {:?}: {m}",
                    field.name, c.def.name
                ))
            })?;
        }
        if mode == Mode::Create {
            let missing: Vec<String> = c
                .def
                .fields
                .iter()
                .filter(|f| f.required && f.writable())
                .filter(|f| data.get(&f.wire_key()).is_none_or(Value::is_null))
                .map(|f| format!("{:?} ({})", f.name, f.wire_key()))
                .collect();
            if !missing.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "cannot create a record in {:?}: required field(s) missing: {}",
                    c.def.name,
                    missing.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn check_links(&self, field: &FieldDef, value: &Value) -> Result<(), String> {
        let target = match field.ty.as_str() {
            "link" => field.target.clone(),
            "colleague" => self.collection("colleagues").map(|c| c.def.slug.clone()),
            _ => None,
        };
        let Some(target) = target else { return Ok(()) };
        let Some(tc) = self.collection(&target) else {
            return Ok(());
        };
        let ids: Vec<&str> = match value {
            Value::Array(items) => items.iter().filter_map(link_id).collect(),
            v => link_id(v).into_iter().collect(),
        };
        for id in ids {
            if tc.get(id).is_none() {
                return Err(format!(
                    "linked record {id:?} does not exist in {:?}",
                    tc.def.name
                ));
            }
        }
        Ok(())
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Mode {
    Create,
    Update,
}

fn link_id(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn prefix(e: StoreError, i: usize) -> StoreError {
    match e {
        StoreError::Invalid(m) => StoreError::Invalid(format!("records[{i}]: {m}")),
        StoreError::NotFound(m) => StoreError::NotFound(format!("records[{i}]: {m}")),
    }
}

fn not_found_record(coll: &str, id: &str) -> StoreError {
    StoreError::NotFound(format!("record {id:?} not found in collection {coll:?}"))
}

fn unknown_key_message(c: &CollectionState, key: &str) -> String {
    let keys: Vec<String> = c.def.fields.iter().map(FieldDef::wire_key).collect();
    let hint = keys
        .iter()
        .find(|k| k.eq_ignore_ascii_case(key))
        .map(|k| format!(" Keys are case-sensitive: did you mean {k:?}?"))
        .or_else(|| {
            let derived = derive_key(key);
            keys.iter()
                .find(|k| **k == derived)
                .map(|k| format!(" Did you mean {k:?}?"))
        })
        .unwrap_or_default();
    format!(
        "unknown field key {key:?} in collection {:?}.{hint}",
        c.def.name
    )
}

/// External ids of a record, by service name.
type ExternalIds = BTreeMap<String, String>;

/// Takes `data` and `external` out of a create or update body.
fn split_write_body(body: &Value) -> Result<(Map<String, Value>, ExternalIds), StoreError> {
    let obj = body.as_object().ok_or_else(|| {
        StoreError::Invalid("the body must be a record object: {\"data\": {...}}".into())
    })?;
    let data = match obj.get("data") {
        Some(Value::Object(d)) => d.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => {
            return Err(StoreError::Invalid(
                "\"data\" must be an object mapping field keys to values".into(),
            ));
        }
    };
    let external = match obj.get("external") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(StoreError::Invalid(format!(
                    "\"external.{k}\" must be a string id"
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(StoreError::Invalid(
                "\"external\" must be an object mapping service names to ids".into(),
            ));
        }
    };
    Ok((data, external))
}

/// Checks that a value has the JSON shape of its field's type (contract §3).
/// Returns a message a person can act on.
pub fn check_value_shape(field: &FieldDef, v: &Value) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    let ty = field.ty.as_str();
    let ok = match ty {
        "text" | "richText" | "email" | "website" | "phone" | "computedText" => v.is_string(),
        "number" | "currency" | "rating" | "computedNumber" => {
            v.is_number() || v.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok())
        }
        "date" | "computedDate" => v
            .as_str()
            .is_some_and(|s| crate::time::parse_date_value(s).is_some()),
        "duration" => {
            v.is_number()
                || v.as_str()
                    .is_some_and(|s| s.parse::<jiff::SignedDuration>().is_ok())
        }
        "checkbox" => v.is_boolean(),
        "select" | "stage" => {
            let Some(s) = v.as_str() else {
                return Err(format!(
                    "expected one of the option labels {:?} as a string",
                    field.options
                ));
            };
            if !field.options.iter().any(|o| o == s) {
                return Err(format!(
                    "{s:?} is not an option; choose one of {:?}",
                    field.options
                ));
            }
            true
        }
        "computedSelect" => v.is_string(),
        "link" | "colleague" => {
            if field.multiple {
                v.as_array()
                    .is_some_and(|a| a.iter().all(|x| link_id(x).is_some()))
            } else {
                link_id(v).is_some()
            }
        }
        "file" => v.is_object() || v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
        "list" => v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
        _ => true, // lookup, aggregation and unknown types hold anything
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {}, got {}",
            expected_shape(field),
            describe(v)
        ))
    }
}

fn expected_shape(field: &FieldDef) -> &'static str {
    match field.ty.as_str() {
        "text" | "richText" | "email" | "website" | "phone" | "computedText" => "a string",
        "number" | "currency" | "rating" | "computedNumber" => "a number",
        "date" | "computedDate" => {
            "a date string (2024-03-01, an ISO 8601 date-time, or dd/MM/yyyy HH:mm:ss +hh:mm)"
        }
        "duration" => "a number of seconds",
        "checkbox" => "true or false",
        "link" | "colleague" if field.multiple => "a list of {\"id\": \"<record id>\"}",
        "link" | "colleague" => "{\"id\": \"<record id>\"}",
        "file" => "a file object or a list of them",
        "list" => "a list of objects",
        _ => "a value of the field's type",
    }
}

fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    let mut text = v.to_string();
    if text.len() > 60 {
        let mut cut = 57;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{kind} {text}")
}
