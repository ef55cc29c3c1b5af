//! The field object of a collection (contract §2) and Kinabase's key derivation.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::FieldType;

/// A field object as `GET /collections` describes it. Unknown keys are ignored; every
/// key but `name` and `type` may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// Stable field id (survives renames), when the account has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The wire key used in record data; derived from `name` when absent
    /// (see [`Field::wire_key`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Display name, e.g. `Job Title`.
    pub name: String,
    /// The field's type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// A create must give it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// The collection's primary (title) field.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
    /// Never written by clients.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Free user text (anything: markdown, HTML, code fences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Option labels of a choice field, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Link target: a collection slug or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether a link, colleague or file value is a list.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Field {
    /// The wire key: `key` when given, else derived from the display name the way
    /// Kinabase derives it ([`derive_key`]). Always take the key the API gives.
    pub fn wire_key(&self) -> Cow<'_, str> {
        match &self.key {
            Some(key) => Cow::Borrowed(key),
            None => Cow::Owned(derive_key(&self.name)),
        }
    }

    /// Whether clients may write the field: not read-only and not computed.
    pub fn writable(&self) -> bool {
        !self.read_only && !self.ty.is_computed()
    }
}

/// Kinabase's wire key for a display name: its lower camelCase ("Job Title" → `jobTitle`).
/// Only for fields whose object carries no `key`.
pub fn derive_key(name: &str) -> String {
    heck::ToLowerCamelCase::to_lower_camel_case(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_liberally_and_derives_missing_keys() {
        let f: Field = serde_json::from_str(
            r#"{"name": "Job Title", "type": "text", "required": true, "colour": "red"}"#,
        )
        .unwrap();
        assert_eq!(f.wire_key(), "jobTitle");
        assert!(f.writable());
        let f: Field =
            serde_json::from_str(r#"{"key": "total", "name": "Total (£)", "type": "lookup"}"#)
                .unwrap();
        assert_eq!(f.wire_key(), "total");
        assert!(!f.writable(), "computed types are never written");
        assert_eq!(derive_key("Purchase order no."), "purchaseOrderNo");
    }
}
