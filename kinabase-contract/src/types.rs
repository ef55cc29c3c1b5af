//! Field types (contract §3) and the kind of value each one carries.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a field's values are, which decides how they are read, written and typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `text`, `richText`, `email`, `website`, `phone`, `computedText`: a string.
    Text,
    /// `number`, `rating`, `computedNumber`: a number.
    Number,
    /// `currency`: an exact amount.
    Currency,
    /// `date`, `computedDate`: a day or an instant.
    Date,
    /// `duration`: seconds.
    Duration,
    /// `checkbox`: a boolean.
    Checkbox,
    /// `select`, `stage`, `computedSelect`: one option label.
    Choice,
    /// `link`: a record of the target collection.
    Link,
    /// `colleague`: a user, as a link into the Colleagues collection.
    Colleague,
    /// `file`: attachments, kept raw.
    File,
    /// `list`: inline child items.
    List,
    /// `lookup`, `aggregation`: computed, with an undocumented shape.
    Computed,
    /// A type name the contract does not list; its values are kept raw.
    Unknown,
}

macro_rules! field_types {
    ($($variant:ident = $wire:literal => $kind:ident $(, $computed:ident)?;)*) => {
        /// A field's `type` (contract §3). Any name not listed there is kept as
        /// [`FieldType::Unknown`], never an error, and written back unchanged.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum FieldType {
            $(
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )*
            /// A type name the contract does not list.
            Unknown(String),
        }

        impl FieldType {
            /// Every documented type, in the contract's order.
            pub const ALL: &'static [FieldType] = &[$(FieldType::$variant),*];

            /// The type's wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $(FieldType::$variant => $wire,)*
                    FieldType::Unknown(name) => name,
                }
            }

            /// The kind of value the type carries.
            pub fn kind(&self) -> Kind {
                match self {
                    $(FieldType::$variant => Kind::$kind,)*
                    FieldType::Unknown(_) => Kind::Unknown,
                }
            }

            /// Whether Kinabase computes the field, so clients never write it.
            pub fn is_computed(&self) -> bool {
                match self {
                    $(FieldType::$variant => field_types!(@computed $($computed)?),)*
                    FieldType::Unknown(_) => false,
                }
            }
        }

        impl From<&str> for FieldType {
            fn from(name: &str) -> FieldType {
                match name {
                    $($wire => FieldType::$variant,)*
                    other => FieldType::Unknown(other.to_string()),
                }
            }
        }
    };
    (@computed computed) => { true };
    (@computed) => { false };
}

field_types! {
    Text = "text" => Text;
    RichText = "richText" => Text;
    Email = "email" => Text;
    Website = "website" => Text;
    Phone = "phone" => Text;
    Number = "number" => Number;
    Currency = "currency" => Currency;
    Rating = "rating" => Number;
    Date = "date" => Date;
    Duration = "duration" => Duration;
    Checkbox = "checkbox" => Checkbox;
    Select = "select" => Choice;
    Stage = "stage" => Choice;
    Link = "link" => Link;
    Colleague = "colleague" => Colleague;
    File = "file" => File;
    List = "list" => List;
    ComputedText = "computedText" => Text, computed;
    ComputedNumber = "computedNumber" => Number, computed;
    ComputedDate = "computedDate" => Date, computed;
    ComputedSelect = "computedSelect" => Choice, computed;
    Lookup = "lookup" => Computed, computed;
    Aggregation = "aggregation" => Computed, computed;
}

impl FieldType {
    /// Whether the contract lets the field's value be a list (`multiple`).
    pub fn may_be_multiple(&self) -> bool {
        matches!(self.kind(), Kind::Link | Kind::Colleague | Kind::File)
    }

    /// Whether the type is one the contract lists.
    pub fn is_known(&self) -> bool {
        !matches!(self, FieldType::Unknown(_))
    }
}

impl From<String> for FieldType {
    fn from(name: String) -> FieldType {
        match FieldType::from(name.as_str()) {
            FieldType::Unknown(_) => FieldType::Unknown(name),
            known => known,
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FieldType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FieldType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FieldType, D::Error> {
        String::deserialize(d).map(FieldType::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_type_round_trips_through_its_name() {
        assert_eq!(FieldType::ALL.len(), 23);
        for ty in FieldType::ALL {
            assert_eq!(&FieldType::from(ty.as_str()), ty);
            assert!(ty.is_known());
            let json = serde_json::to_string(ty).unwrap();
            assert_eq!(serde_json::from_str::<FieldType>(&json).unwrap(), *ty);
        }
        let computed: Vec<_> = FieldType::ALL
            .iter()
            .filter(|t| t.is_computed())
            .map(FieldType::as_str)
            .collect();
        assert_eq!(
            computed,
            [
                "computedText",
                "computedNumber",
                "computedDate",
                "computedSelect",
                "lookup",
                "aggregation"
            ]
        );
    }

    #[test]
    fn unknown_names_are_kept_exactly() {
        let ty: FieldType = serde_json::from_str("\"Text\"").unwrap();
        assert_eq!(
            ty,
            FieldType::Unknown("Text".into()),
            "names are case-sensitive"
        );
        assert_eq!(ty.kind(), Kind::Unknown);
        assert!(!ty.is_computed());
        assert_eq!(serde_json::to_string(&ty).unwrap(), "\"Text\"");
    }
}
