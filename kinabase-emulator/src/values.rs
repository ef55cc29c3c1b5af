//! The JSON shape each field type accepts (contract §3), as the service checks a value
//! before it is stored, with messages a person can act on.

use kinabase_contract::Kind;
use kinabase_contract::time::parse_date;
use serde_json::Value;

use crate::schema::FieldDef;

/// The record id of a link value: `"<id>"` or `{"id": "<id>"}`.
pub(crate) fn link_id(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Checks that a value has the JSON shape of its field's type (contract §3).
/// Returns a message a person can act on.
pub fn check_value_shape(field: &FieldDef, v: &Value) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    // Every kind the contract knows is matched, so a new kind is a compile error here.
    let ok = match field.ty.kind() {
        Kind::Text => v.is_string(),
        Kind::Number | Kind::Currency => {
            v.is_number() || v.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok())
        }
        Kind::Date => v.as_str().is_some_and(|s| parse_date(s).is_some()),
        Kind::Duration => {
            v.is_number()
                || v.as_str()
                    .is_some_and(|s| s.parse::<jiff::SignedDuration>().is_ok())
        }
        Kind::Checkbox => v.is_boolean(),
        // A computed choice holds whatever label the service computed.
        Kind::Choice if field.ty.is_computed() => v.is_string(),
        Kind::Choice => {
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
        Kind::Link | Kind::Colleague => {
            if field.multiple {
                v.as_array()
                    .is_some_and(|a| a.iter().all(|x| link_id(x).is_some()))
            } else {
                link_id(v).is_some()
            }
        }
        Kind::File => v.is_object() || v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
        Kind::List => v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
        // Lookups, aggregations and unknown types hold anything.
        Kind::Computed | Kind::Unknown => true,
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
    match field.ty.kind() {
        Kind::Text | Kind::Choice => "a string",
        Kind::Number | Kind::Currency => "a number",
        Kind::Date => {
            "a date string (2024-03-01, an ISO 8601 date-time, or dd/MM/yyyy HH:mm:ss +hh:mm)"
        }
        Kind::Duration => "a number of seconds",
        Kind::Checkbox => "true or false",
        Kind::Link | Kind::Colleague if field.multiple => "a list of {\"id\": \"<record id>\"}",
        Kind::Link | Kind::Colleague => "{\"id\": \"<record id>\"}",
        Kind::File => "a file object or a list of them",
        Kind::List => "a list of objects",
        Kind::Computed | Kind::Unknown => "a value of the field's type",
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
