//! The account as data: collections, their field objects (contract §2) and seed records,
//! with the type names of §3 and Kinabase's key derivation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The field type names of the contract's §3.
pub const KNOWN_TYPES: &[&str] = &[
    "text",
    "richText",
    "email",
    "website",
    "phone",
    "number",
    "currency",
    "rating",
    "date",
    "duration",
    "checkbox",
    "select",
    "stage",
    "link",
    "colleague",
    "file",
    "list",
    "computedText",
    "computedNumber",
    "computedDate",
    "computedSelect",
    "lookup",
    "aggregation",
];

/// Whether a field type is computed by Kinabase and therefore never written.
pub fn is_computed_type(ty: &str) -> bool {
    matches!(
        ty,
        "computedText"
            | "computedNumber"
            | "computedDate"
            | "computedSelect"
            | "lookup"
            | "aggregation"
    )
}

/// A whole account: what an emulator serves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// A display name for the account (the tenant).
    #[serde(default)]
    pub name: String,
    /// The account's collections, in listing order.
    pub collections: Vec<CollectionDef>,
}

/// One collection of an account fixture.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CollectionDef {
    /// Stable collection id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL slug, usable wherever a path takes the collection id.
    pub slug: String,
    /// Optional free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The collection's fields.
    #[serde(default)]
    pub fields: Vec<FieldDef>,
    /// Seed records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<SeedRecord>,
}

/// A field object, exactly as the contract's §2 describes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FieldDef {
    /// Stable field id, when the account has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Wire key; derived from `name` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Display name.
    pub name: String,
    /// Type name (§3); any other string is an unknown type.
    #[serde(rename = "type")]
    pub ty: String,
    /// A create must give this field.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// The collection's primary (title) field.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
    /// Never written by clients.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Free user text.
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

impl FieldDef {
    /// The wire key: `key` when given, else the camelCase of the display name,
    /// the way Kinabase derives keys.
    pub fn wire_key(&self) -> String {
        match &self.key {
            Some(k) => k.clone(),
            None => derive_key(&self.name),
        }
    }

    /// Whether clients may write this field.
    pub fn writable(&self) -> bool {
        !self.read_only && !is_computed_type(&self.ty)
    }
}

/// Kinabase's key derivation: the lower camelCase of the display name.
pub fn derive_key(name: &str) -> String {
    heck::ToLowerCamelCase::to_lower_camel_case(name)
}

/// A seed record in a fixture.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedRecord {
    /// Record id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Field values by wire key.
    #[serde(default)]
    pub data: Map<String, Value>,
    /// External ids by service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<Map<String, Value>>,
}
