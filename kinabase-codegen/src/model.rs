//! The checked intermediate form: every name made, every type chosen, everything sorted.
//! `emit` reads only this, never the raw schema.

use crate::names::RustName;

/// The whole generated API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Account name, for docs.
    pub account: Option<String>,
    /// Collections, sorted by module name.
    pub collections: Vec<CollectionModel>,
}

/// Prelude names the output uses unqualified when no generated type of the module
/// shadows them.
pub const SHORT_NAMES: &[&str] = &["Option", "Some", "None", "String", "Vec", "Default"];

/// The runtime's value types, imported at the top of each module and used by their short
/// names, again unless a type of the module shadows them.
pub const RUNTIME_NAMES: &[&str] = &[
    "Assign",
    "Currency",
    "Date",
    "Duration",
    "Patch",
    "Raw",
    "RecordRef",
];

/// One collection's module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionModel {
    /// Module name.
    pub module: RustName,
    /// The marker type implementing `Collection`.
    pub marker: RustName,
    /// The accessor method on the account type.
    pub accessor: RustName,
    /// Collection id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Extra derives for the read struct (overlay), as paths.
    pub extra_derives: Vec<String>,
    /// Fields, sorted by wire key.
    pub fields: Vec<FieldModel>,
    /// Choice enums, sorted by name.
    pub choices: Vec<ChoiceModel>,
    /// `Create::new` takes a `CreateRequired` struct instead of positional arguments,
    /// because two or more required fields share a Rust type.
    pub required_by_name: bool,
    /// The names among [`SHORT_NAMES`] and [`RUNTIME_NAMES`] that a type of this module shadows (a collection
    /// or choice called `Option` or `Date`). The module uses short names for the others
    /// and full paths (`::std::option::Option`) for these.
    pub shadowed: Vec<String>,
}

/// One field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldModel {
    /// Rust field name.
    pub name: RustName,
    /// Wire key.
    pub key: String,
    /// Constant name in `keys`.
    pub constant: RustName,
    /// Display name.
    pub display: String,
    /// Kinabase type name.
    pub type_name: String,
    /// The Rust value type.
    pub ty: ValueType,
    /// A list of values.
    pub multiple: bool,
    /// Required on create.
    pub required: bool,
    /// Primary field.
    pub primary: bool,
    /// Present in create and update types.
    pub writable: bool,
    /// Description.
    pub description: Option<String>,
    /// `Some((samples, present))` when inferred.
    pub inferred: Option<(u64, u64)>,
}

/// The Rust type of a value (one element when the field is multiple).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// `String`.
    Text,
    /// `f64`, read leniently.
    Number,
    /// `kinabase_runtime::Currency`.
    Currency,
    /// `kinabase_runtime::Date`.
    Date,
    /// `kinabase_runtime::Duration`.
    Duration,
    /// `bool`.
    Bool,
    /// A generated choice enum of this module.
    Choice(RustName),
    /// `RecordRef<super::module::Marker>`.
    Link {
        /// Target module.
        module: RustName,
        /// Target marker.
        marker: RustName,
    },
    /// `RecordRef<kinabase_runtime::Colleagues>`.
    Colleague,
    /// `RecordRef<kinabase_runtime::Untyped>`: a link whose target is unknown.
    UntypedLink,
    /// `kinabase_runtime::Raw`.
    Raw,
    /// A Rust type path from the overlay.
    Custom(String),
}

/// A choice field's enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceModel {
    /// Enum name.
    pub name: RustName,
    /// Field display name, for docs.
    pub field: String,
    /// Variants and their exact labels, in option order.
    pub variants: Vec<(RustName, String)>,
}

impl FieldModel {
    /// The field's value type as source text (a `Vec` when multiple), with full paths;
    /// `root` is the path of the bindings (e.g. `crate::kinabase::`) and `module` the
    /// field's own module, for choice enums.
    pub fn type_text(&self, root: &str, module: &str) -> String {
        let one = match &self.ty {
            ValueType::Text => "::std::string::String".to_string(),
            ValueType::Number => "f64".to_string(),
            ValueType::Currency => "::kinabase_runtime::Currency".to_string(),
            ValueType::Date => "::kinabase_runtime::Date".to_string(),
            ValueType::Duration => "::kinabase_runtime::Duration".to_string(),
            ValueType::Bool => "bool".to_string(),
            ValueType::Choice(name) => format!("{root}{module}::{}", name.source()),
            ValueType::Link { module, marker } => format!(
                "::kinabase_runtime::RecordRef<{root}{}::{}>",
                module.source(),
                marker.source()
            ),
            ValueType::Colleague => {
                "::kinabase_runtime::RecordRef<::kinabase_runtime::Colleagues>".to_string()
            }
            ValueType::UntypedLink => {
                "::kinabase_runtime::RecordRef<::kinabase_runtime::Untyped>".to_string()
            }
            ValueType::Raw => "::kinabase_runtime::Raw".to_string(),
            ValueType::Custom(path) => path.clone(),
        };
        if self.multiple {
            format!("::std::vec::Vec<{one}>")
        } else {
            one
        }
    }
}
