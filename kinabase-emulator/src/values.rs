//! The JSON shape each field type accepts (contract §3), as the service checks a value
//! before it is stored, with messages a person can act on.

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
