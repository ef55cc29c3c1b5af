//! The ingest endpoint, typed: timestamped changes of the fields ingest accepts (number,
//! currency, duration, aggregation, stage, select), 300 records a request like bulk calls.

use jiff::Timestamp;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::record::Collection;

/// A collection whose bindings have fields that ingest accepts. Generated code implements
/// it with a struct of those fields (`jobs::Ingest`); untyped handles take a JSON object.
pub trait Ingestible: Collection {
    /// The values of one change: only number, currency, duration, aggregation, stage and
    /// select fields, each optional.
    type Ingest: Serialize;
}

impl Ingestible for crate::record::Untyped {
    type Ingest = serde_json::Map<String, serde_json::Value>;
}

/// One record's changes in an ingest call.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestRecord<T> {
    /// The record id.
    pub id: String,
    /// Its timestamped changes.
    pub changes: Vec<IngestChange<T>>,
}

impl<T> IngestRecord<T> {
    /// A record's changes.
    pub fn new(id: impl Into<String>, changes: Vec<IngestChange<T>>) -> Self {
        IngestRecord {
            id: id.into(),
            changes,
        }
    }
}

/// Field values at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestChange<T> {
    /// When the values held; sent as ISO 8601 UTC with milliseconds and `Z`.
    pub timestamp: Timestamp,
    /// The values.
    pub data: T,
}

impl<T> IngestChange<T> {
    /// Values at an instant.
    pub fn new(timestamp: Timestamp, data: T) -> Self {
        IngestChange { timestamp, data }
    }
}

/// `2026-03-02T09:29:51.293Z`: the only timestamp form ingest documents.
pub(crate) fn utc_millis(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl<T: Serialize> Serialize for IngestChange<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("timestamp", &utc_millis(self.timestamp))?;
        m.serialize_entry("data", &self.data)?;
        m.end()
    }
}

impl<T: Serialize> Serialize for IngestRecord<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("changes", &self.changes)?;
        m.end()
    }
}

/// The chunks of an ingest call: `{"mode": null, "records": [...]}`, 300 records each.
#[cfg(feature = "http")]
pub(crate) fn ingest_chunks<T: Serialize>(
    records: &[IngestRecord<T>],
) -> Vec<(std::ops::Range<usize>, serde_json::Value)> {
    let mut chunks = crate::bulk::chunks("records", records);
    for (_, body) in &mut chunks {
        if let Some(obj) = body.as_object_mut() {
            obj.insert("mode".into(), serde_json::Value::Null);
        }
    }
    chunks
}

#[cfg(feature = "http")]
/// Ingest: timestamped field changes, chunked like the bulk calls.
impl<C: Ingestible> crate::handle::CollectionHandle<C> {
    /// Sends timestamped field changes (`POST .../ingest`), 300 records a request; a
    /// failed chunk does not stop the others. Only the field types ingest accepts can be
    /// given (the generated `Ingest` struct has only those). Chunks are not repeated once
    /// they may have arrived (data points would be recorded twice).
    pub fn ingest(&self, records: &[IngestRecord<C::Ingest>]) -> crate::bulk::BulkResult<C::Read> {
        let mut collect = crate::bulk::Collect::new();
        for (items, body) in ingest_chunks(records) {
            let sent = self
                .call(
                    reqwest::Method::POST,
                    &["ingest"],
                    crate::retry::Repeat::Once,
                )
                .and_then(|call| call.json(&body))
                .and_then(|call| self.client.execute(call));
            collect.push(items, sent.map(|_| Vec::new()));
        }
        collect.finish()
    }
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documented_body_and_timestamp_form() {
        let t: Timestamp = "2026-03-02T10:29:51.293+01:00".parse().unwrap();
        assert_eq!(utc_millis(t), "2026-03-02T09:29:51.293Z");
        let whole: Timestamp = "2026-03-02T09:29:51Z".parse().unwrap();
        assert_eq!(utc_millis(whole), "2026-03-02T09:29:51.000Z");
        let records: Vec<_> = (0..301)
            .map(|i| {
                IngestRecord::new(
                    format!("r{i}"),
                    vec![IngestChange::new(whole, json!({"rating": i}))],
                )
            })
            .collect();
        let chunks = ingest_chunks(&records);
        assert_eq!(chunks.len(), 2);
        assert_eq!(
            (chunks[0].0.clone(), chunks[1].0.clone()),
            (0..300, 300..301)
        );
        assert_eq!(
            chunks[1].1,
            json!({"mode": null, "records": [{"id": "r300", "changes": [{"timestamp": "2026-03-02T09:29:51.000Z", "data": {"rating": 300}}]}]})
        );
    }
}
