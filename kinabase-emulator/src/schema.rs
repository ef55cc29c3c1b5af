//! The account as data: collections, their field objects and seed records. The field
//! object, its types and Kinabase's key derivation are the contract's (`kinabase-contract`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use kinabase_contract::{Field as FieldDef, FieldType, derive_key};

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
