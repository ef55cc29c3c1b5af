//! `POST /collections/{c}/ingest`: timestamped field changes for records in bulk, checked
//! as the service documents them (contract §4), the latest value of each field applied.

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::records::StoreError;
use crate::store::Store;
use crate::values::check_value_shape;
use crate::writes::{not_found_record, prefix};

/// At most this many records a call ([assumed], like bulk calls).
const MAX_RECORDS: usize = 300;

impl Store {
    /// Ingests `{"mode": null|string, "records": [{"id", "changes": [{"timestamp",
    /// "data"}]}]}`. Every record and change is checked before anything is written (a
    /// refused call writes nothing). Timestamps must be ISO 8601 UTC with milliseconds and
    /// `Z`; keys must be fields of an ingestible type. Per record and field, the change
    /// with the latest timestamp becomes the field's value (computed fields keep theirs).
    /// Returns how many changes were accepted.
    pub fn ingest(&mut self, coll: &str, body: &Value, actor: &str) -> Result<usize, StoreError> {
        let ci = self.collection_index(coll)?;
        let invalid = |m: &str| StoreError::Invalid(m.to_string());
        let obj = body
            .as_object()
            .ok_or_else(|| invalid("ingest takes {\"mode\": null, \"records\": [...]}"))?;
        match obj.get("mode") {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(_) => return Err(invalid("\"mode\" must be null or a string")),
        }
        let records = obj
            .get("records")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("ingest takes {\"mode\": null, \"records\": [...]}"))?;
        if records.len() > MAX_RECORDS {
            return Err(StoreError::Invalid(format!(
                "an ingest call takes at most {MAX_RECORDS} records; this one had {}: split it",
                records.len()
            )));
        }
        let mut plan: Vec<(usize, Map<String, Value>)> = Vec::with_capacity(records.len());
        let mut accepted = 0;
        for (i, r) in records.iter().enumerate() {
            let (pos, latest, n) = self.check_ingest(ci, coll, r).map_err(|e| prefix(e, i))?;
            accepted += n;
            plan.push((pos, latest));
        }
        for (pos, data) in plan {
            self.apply_update(ci, pos, data, Default::default(), actor);
        }
        Ok(accepted)
    }

    /// One record of an ingest call: its position, the latest value per writable field,
    /// and the number of changes.
    fn check_ingest(
        &self,
        ci: usize,
        coll: &str,
        record: &Value,
    ) -> Result<(usize, Map<String, Value>, usize), StoreError> {
        let invalid = |m: String| StoreError::Invalid(m);
        let id = record
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("\"id\" must be a record id".into()))?;
        let c = &self.collections[ci];
        let pos = c.position(id).ok_or_else(|| not_found_record(coll, id))?;
        let changes = record
            .get("changes")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("\"changes\" must be an array".into()))?;
        let mut latest: Map<String, Value> = Map::new();
        let mut latest_at: std::collections::HashMap<String, Timestamp> = Default::default();
        for (j, change) in changes.iter().enumerate() {
            let at = change
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(utc_millis)
                .ok_or_else(|| {
                    invalid(format!(
                        "changes[{j}].timestamp must be ISO 8601 UTC with milliseconds and Z, e.g. 2026-03-02T09:29:51.293Z"
                    ))
                })?;
            let data = change
                .get("data")
                .and_then(Value::as_object)
                .ok_or_else(|| invalid(format!("changes[{j}].data must be an object")))?;
            for (key, value) in data {
                let field = c.field(key).ok_or_else(|| {
                    invalid(format!("changes[{j}].data: no field with key {key:?}"))
                })?;
                if !field.ty.is_ingestible() {
                    return Err(invalid(format!(
                        "changes[{j}].data.{key}: fields of type {} cannot be ingested (only number, currency, duration, aggregation, stage, select)",
                        field.ty
                    )));
                }
                if !value.is_null() {
                    check_value_shape(field, value)
                        .map_err(|m| invalid(format!("changes[{j}].data.{key}: {m}")))?;
                }
                let computed =
                    field.ty == kinabase_contract::FieldType::Aggregation || field.read_only;
                if !computed && latest_at.get(key).is_none_or(|t| *t <= at) {
                    latest_at.insert(key.clone(), at);
                    latest.insert(key.clone(), value.clone());
                }
            }
        }
        Ok((pos, latest, changes.len()))
    }
}

/// `2026-03-02T09:29:51.293Z`: UTC, exactly three fraction digits, `Z`.
fn utc_millis(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let shaped = b.len() == 24 && b[19] == b'.' && b[23] == b'Z';
    shaped.then(|| s.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_utc_milliseconds_with_z() {
        assert!(utc_millis("2026-03-02T09:29:51.293Z").is_some());
        for bad in [
            "2026-03-02T09:29:51Z",
            "2026-03-02T09:29:51.293+00:00",
            "2026-03-02T09:29:51.293456Z",
            "02/03/2026 09:29:51 +00:00",
        ] {
            assert!(utc_millis(bad).is_none(), "{bad}");
        }
    }
}
