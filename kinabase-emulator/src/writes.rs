//! The validation a write passes before the store applies it, as the service does it:
//! known keys, writable fields, required fields, value shapes and link targets.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::records::{CollectionState, StoreError, find};
use crate::schema::{FieldDef, FieldType, derive_key};
use crate::values::{check_value_shape, link_id};

/// Checks the data of a create or update against collection `ci`.
pub(crate) fn check_write(
    collections: &[CollectionState],
    ci: usize,
    data: &Map<String, Value>,
    mode: Mode,
) -> Result<(), StoreError> {
    let c = &collections[ci];
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
        check_links(collections, field, value).map_err(|m| {
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
            .filter(|f| data.get(f.wire_key().as_ref()).is_none_or(Value::is_null))
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

fn check_links(
    collections: &[CollectionState],
    field: &FieldDef,
    value: &Value,
) -> Result<(), String> {
    let target = match field.ty {
        FieldType::Link => field.target.clone(),
        FieldType::Colleague => find(collections, "colleagues").map(|c| c.def.slug.clone()),
        _ => None,
    };
    let Some(target) = target else { return Ok(()) };
    let Some(tc) = find(collections, &target) else {
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

/// Whether a write creates a record (required fields must be given) or updates one.
#[derive(PartialEq, Eq, Clone, Copy)]
pub(crate) enum Mode {
    Create,
    Update,
}

pub(crate) fn prefix(e: StoreError, i: usize) -> StoreError {
    match e {
        StoreError::Invalid(m) => StoreError::Invalid(format!("records[{i}]: {m}")),
        StoreError::NotFound(m) => StoreError::NotFound(format!("records[{i}]: {m}")),
    }
}

pub(crate) fn not_found_record(coll: &str, id: &str) -> StoreError {
    StoreError::NotFound(format!("record {id:?} not found in collection {coll:?}"))
}

fn unknown_key_message(c: &CollectionState, key: &str) -> String {
    let keys: Vec<String> = c
        .def
        .fields
        .iter()
        .map(|f| f.wire_key().into_owned())
        .collect();
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
pub(crate) type ExternalIds = BTreeMap<String, String>;

/// Takes `data` and `external` out of a create or update body.
pub(crate) fn split_write_body(
    body: &Value,
) -> Result<(Map<String, Value>, ExternalIds), StoreError> {
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
