//! Records as Kinabase returns them, in both documented shapes, and the `Collection` trait
//! that generated bindings implement.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use jiff::Timestamp;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use kinabase_contract::time::parse_timestamp;

use crate::link::RecordRef;

/// A collection of an account, as generated bindings describe it.
///
/// Generated code implements this for one unit type per collection; the typed handle
/// (`CollectionHandle<C>`) is generic over it, so shared logic lives once in the runtime.
pub trait Collection: 'static {
    /// Stable collection id.
    const ID: &'static str;
    /// URL slug (used in request paths).
    const SLUG: &'static str;
    /// Display name.
    const NAME: &'static str;
    /// The typed fields of a record as read.
    type Read: DeserializeOwned;
    /// What a create sends: required fields are mandatory, read-only ones absent.
    type Create: Serialize;
    /// What an update sends: the fields it sets or clears (`Patch`, or `Assign` for
    /// required fields).
    type Update: Serialize;
}

/// Any collection, untyped: fields as a JSON object. For collections that are not in
/// the bindings (`Client::untyped`).
#[derive(Debug, Clone, Copy)]
pub enum Untyped {}

impl Collection for Untyped {
    const ID: &'static str = "";
    const SLUG: &'static str = "";
    const NAME: &'static str = "(untyped)";
    type Read = Map<String, Value>;
    type Create = Map<String, Value>;
    type Update = Map<String, Value>;
}

/// One record: metadata and the typed fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    /// Record id.
    pub id: String,
    /// The numeric id (`numericId`, or `recordId` in the flat shape).
    pub numeric_id: Option<u64>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// When it was last updated.
    pub updated_at: Option<Timestamp>,
    /// Who last updated it; may be empty.
    pub updated_by: Option<String>,
    /// Ids in external systems, by service (raw: the shape is undocumented).
    pub external: Option<Value>,
    /// The record's fields.
    pub fields: T,
}

impl<T> Record<T> {
    /// This record as a typed link value: `let job: RecordRef<jobs::Jobs> =
    /// record.reference();` compiles only when `C`'s records are `T`, so a record can
    /// never become a link to another collection by accident.
    pub fn reference<C: Collection<Read = T>>(&self) -> RecordRef<C> {
        RecordRef::from_raw_id(self.id.clone())
    }
}

const META_KEYS: &[&str] = &[
    "id",
    "numericId",
    "recordId",
    "createdAt",
    "updatedAt",
    "updatedBy",
    "external",
    "data",
];

impl<'de, T: DeserializeOwned> Deserialize<'de> for Record<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Record<T>, D::Error> {
        d.deserialize_map(RecordVisitor(PhantomData))
    }
}

struct RecordVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for RecordVisitor<T> {
    type Value = Record<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kinabase record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<T>, A::Error> {
        let mut id = None;
        let mut numeric_id = None;
        let mut created_at = None;
        let mut updated_at = None;
        let mut updated_by = None;
        let mut external = None;
        let mut nested: Option<T> = None;
        // Flat shape: fields beside the metadata. Only filled when there is no `data`.
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<crate::fields::Key<'de>>()? {
            match key.as_str() {
                // Metadata is read leniently and without building a JSON tree: an odd
                // value becomes `None`, never an error.
                "id" => id = map.next_value::<Lenient>()?.text(),
                "numericId" | "recordId" => {
                    let n = map.next_value::<Lenient>()?.number();
                    numeric_id = numeric_id.or(n);
                }
                "createdAt" => created_at = map.next_value::<LenientTime>()?.0,
                "updatedAt" => updated_at = map.next_value::<LenientTime>()?.0,
                "updatedBy" => updated_by = map.next_value::<Lenient>()?.text(),
                "external" => external = Some(map.next_value::<Value>()?).filter(|v| !v.is_null()),
                // Decoded straight into T: the nested shape pays for no intermediate tree.
                "data" if nested.is_none() => nested = map.next_value::<Option<T>>()?,
                "data" => {
                    map.next_value::<IgnoredAny>()?;
                }
                other => {
                    rest.insert(other.to_string(), map.next_value::<Value>()?);
                }
            }
        }
        let fields = match nested {
            Some(fields) => fields,
            None => T::deserialize(Value::Object(rest)).map_err(de::Error::custom)?,
        };
        Ok(Record {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            numeric_id,
            created_at,
            updated_at,
            updated_by,
            external,
            fields,
        })
    }
}

/// A metadata value of any shape: strings and numbers are kept, anything else is
/// skipped without allocating.
enum Lenient {
    Text(String),
    Unsigned(u64),
    Other,
}

impl Lenient {
    fn text(self) -> Option<String> {
        match self {
            Lenient::Text(s) => Some(s),
            Lenient::Unsigned(n) => Some(n.to_string()),
            Lenient::Other => None,
        }
    }

    fn number(self) -> Option<u64> {
        match self {
            Lenient::Unsigned(n) => Some(n),
            Lenient::Text(s) => s.trim().parse().ok(),
            Lenient::Other => None,
        }
    }
}

/// A metadata timestamp in either documented form, parsed from the borrowed text (no
/// copy); anything else is `None`.
struct LenientTime(Option<Timestamp>);

impl<'de> Deserialize<'de> for LenientTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LenientTime, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientTime, E> {
                Ok(LenientTime(parse_timestamp(v)))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<LenientTime, E> {
                Ok(LenientTime(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<LenientTime, E> {
                Ok(LenientTime(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<LenientTime, E> {
                Ok(LenientTime(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LenientTime, E> {
                Ok(LenientTime(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientTime, E> {
                Ok(LenientTime(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<LenientTime, A::Error> {
                Lenient::skip_seq(seq).map(|_| LenientTime(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientTime, A::Error> {
                Lenient::skip_map(map).map(|_| LenientTime(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Lenient {
    fn skip_seq<'de, A: de::SeqAccess<'de>>(mut seq: A) -> Result<Lenient, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Lenient::Other)
    }

    fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Lenient, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Lenient::Other)
    }
}

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lenient, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient, E> {
                Ok(Lenient::Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Lenient, E> {
                Ok(Lenient::Text(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lenient, E> {
                Ok(Lenient::Unsigned(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lenient, E> {
                Ok(u64::try_from(v)
                    .map(Lenient::Unsigned)
                    .unwrap_or(Lenient::Other))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Lenient, E> {
                Ok(Lenient::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lenient, E> {
                Ok(Lenient::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Lenient, E> {
                Ok(Lenient::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Lenient, E> {
                Ok(Lenient::Other)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lenient, D::Error> {
                Lenient::deserialize(d)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Lenient, A::Error> {
                Lenient::skip_seq(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient, A::Error> {
                Lenient::skip_map(map)
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether a JSON key is record metadata rather than a field (flat shape).
pub fn is_meta_key(key: &str) -> bool {
    META_KEYS.contains(&key)
}

/// One page of a collection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The records of this page.
    #[serde(bound(deserialize = "T: DeserializeOwned"))]
    pub records: Vec<Record<T>>,
    /// Records in the whole (filtered) collection. Read liberally: `600`, `"600"` and
    /// `600.0` are 600; a negative, fractional or odd value is unknown (`None`).
    #[serde(default, deserialize_with = "deserialize_total")]
    pub total_records: Option<u64>,
    /// This page's index, from 0.
    #[serde(default)]
    pub page_index: Option<u64>,
    /// The page size used.
    #[serde(default)]
    pub page_size: Option<u64>,
}

fn deserialize_total<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(lenient_total(&Value::deserialize(d)?))
}

/// A record count as it may come: a non-negative integer, as a number, a float with no
/// fraction, or a numeric string; anything else is unknown.
pub fn lenient_total(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9.0e15)
                .map(|f| f as u64)
        }),
        Value::String(s) => lenient_total(&serde_json::from_str::<Value>(s.trim()).ok()?)
            .filter(|_| !s.trim().starts_with('"')),
        _ => None,
    }
}

/// The body create and update send, as documented:
/// `{"id": null, "numericId": null, "data": {...}, "external": null}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteBody<'a, T: Serialize> {
    /// Always null on create; the record id on a bulk update.
    pub id: Option<&'a str>,
    /// Always null.
    pub numeric_id: Option<u64>,
    /// The fields.
    pub data: &'a T,
    /// External ids by service, or null.
    pub external: Option<&'a BTreeMap<String, String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Fields {
        name: Option<String>,
    }

    #[test]
    fn both_shapes_decode_alike() {
        let nested: Record<Fields> = serde_json::from_value(json!({
            "id": "r1", "numericId": 7, "data": {"name": "x", "extra": 1}, "external": null,
            "createdAt": "18/08/2023 12:28:21 +00:00", "updatedAt": "2023-08-18T12:28:21Z", "whatever": [1]
        }))
        .unwrap();
        let flat: Record<Fields> = serde_json::from_value(json!({
            "name": "x", "id": "r1", "recordId": 7, "createdAt": "18/08/2023 12:28:21 +00:00",
            "updatedAt": "18/08/2023 12:28:21 +00:00", "updatedBy": ""
        }))
        .unwrap();
        assert_eq!(nested.fields, flat.fields);
        assert_eq!(nested.numeric_id, flat.numeric_id);
        assert_eq!(nested.created_at, flat.created_at);
        assert_eq!(nested.updated_at, flat.updated_at);
        assert!(nested.created_at.is_some());
    }

    #[test]
    fn totals_are_read_liberally() {
        for (raw, want) in [
            (json!(600), Some(600)),
            (json!("600"), Some(600)),
            (json!(600.0), Some(600)),
            (json!(-5), None),
            (json!("-5"), None),
            (json!(1.5), None),
            (json!(1e300), None),
            (json!("\"600\""), None),
            (json!([600]), None),
            (json!(null), None),
        ] {
            assert_eq!(lenient_total(&raw), want, "{raw}");
            let page: Page<Fields> =
                serde_json::from_value(json!({"records": [], "totalRecords": raw})).unwrap();
            assert_eq!(page.total_records, want);
        }
    }

    #[test]
    fn odd_metadata_never_breaks_a_read() {
        let r: Record<Fields> = serde_json::from_value(json!({"id": 12, "numericId": "3", "createdAt": "yesterday", "updatedAt": {"x": [1]}, "updatedBy": null, "data": null})).unwrap();
        assert_eq!(
            (r.id.as_str(), r.numeric_id, r.created_at),
            ("12", Some(3), None)
        );
        assert_eq!(r.fields, Fields { name: None });
        assert!(
            serde_json::from_value::<Record<Fields>>(json!({"data": {}})).is_err(),
            "an id is required"
        );
    }
}
