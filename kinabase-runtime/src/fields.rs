//! How generated field structs go to and from JSON.
//!
//! Generated code does not derive serde for its structs: a derive per struct is most of
//! the compile time of large bindings. Instead each struct implements [`ReadFields`] (one
//! `match` arm per field) or [`WriteFields`] (one line per field), and the visitor and
//! serializer that drive them live here, once, generic over the struct. Unknown keys are
//! skipped; absent fields stay `None` and are not written.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};

use crate::value::{Assign, Patch};

/// A generated read struct: fills one field from the map's next value.
pub trait ReadFields: Default {
    /// Reads the value under `key` into its field. Returns `false` (without reading the
    /// value) when the key is not a field of the struct.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
}

/// A generated struct that writes its fields as map entries.
pub trait WriteFields {
    /// Writes the fields that carry a value (or a clear) as entries of `map`.
    fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// Deserializes a [`ReadFields`] struct from a JSON object.
pub fn deserialize_fields<'de, T: ReadFields, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(PhantomData<fn() -> T>);
    impl<'de, T: ReadFields> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of record fields")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut out = T::default();
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if !out.read_field(&key, &mut map)? {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(V(PhantomData))
}

/// Serializes a [`WriteFields`] struct as a JSON object.
pub fn serialize_fields<T: WriteFields, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    value.write_fields(&mut map)?;
    map.end()
}

/// A `number` value read leniently: a number, a numeric string, or null.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LenientNumber(pub Option<f64>);

impl<'de> serde::Deserialize<'de> for LenientNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LenientNumber, D::Error> {
        crate::value::lenient_number(d).map(LenientNumber)
    }
}

impl<T: serde::Serialize> Patch<T> {
    /// Writes this change as a map entry: nothing for keep, `null` for clear.
    pub fn write_entry<M: SerializeMap>(
        &self,
        key: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error> {
        match self {
            Patch::Keep => Ok(()),
            Patch::Clear => map.serialize_entry(key, &()),
            Patch::Set(v) => map.serialize_entry(key, v),
        }
    }
}

impl<T: serde::Serialize> Assign<T> {
    /// Writes this change as a map entry: nothing for keep.
    pub fn write_entry<M: SerializeMap>(
        &self,
        key: &'static str,
        map: &mut M,
    ) -> Result<(), M::Error> {
        match self {
            Assign::Keep => Ok(()),
            Assign::Set(v) => map.serialize_entry(key, v),
        }
    }
}

/// `write_entry` for optional fields, so that generated code writes every kind of field
/// the same way: `self.field.write_entry("key", map)?`.
pub trait WriteEntry {
    /// Writes the value as a map entry; nothing when absent.
    fn write_entry<M: SerializeMap>(&self, key: &'static str, map: &mut M) -> Result<(), M::Error>;
}

impl<T: serde::Serialize> WriteEntry for Option<T> {
    fn write_entry<M: SerializeMap>(&self, key: &'static str, map: &mut M) -> Result<(), M::Error> {
        match self {
            Some(v) => map.serialize_entry(key, v),
            None => Ok(()),
        }
    }
}

/// Implements `Serialize` (through [`WriteFields`]) for generated structs.
#[macro_export]
macro_rules! impl_serialize {
    ($($ty:ty),* $(,)?) => {
        $(
            impl $crate::reexports::serde::Serialize for $ty {
                fn serialize<S: $crate::reexports::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                    $crate::fields::serialize_fields(self, s)
                }
            }
        )*
    };
}

/// Implements `Deserialize` (through [`ReadFields`]) for a generated read struct.
#[macro_export]
macro_rules! impl_deserialize {
    ($ty:ty) => {
        impl<'de> $crate::reexports::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::reexports::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::fields::deserialize_fields(d)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, PartialEq)]
    struct F {
        name: Option<String>,
        n: Option<f64>,
    }
    impl ReadFields for F {
        fn read_field<'de, A: MapAccess<'de>>(
            &mut self,
            key: &str,
            map: &mut A,
        ) -> Result<bool, A::Error> {
            match key {
                "name" => self.name = map.next_value()?,
                "n" => self.n = map.next_value::<LenientNumber>()?.0,
                _ => return Ok(false),
            }
            Ok(true)
        }
    }
    impl WriteFields for F {
        fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
            self.name.write_entry("name", map)?;
            self.n.write_entry("n", map)
        }
    }
    crate::impl_deserialize!(F);
    crate::impl_serialize!(F);

    #[test]
    fn read_skip_unknown_and_write_back() {
        let f: F = serde_json::from_value(json!({"name": "x", "n": "2.5", "other": [1, {"a": 2}]}))
            .unwrap();
        assert_eq!(
            f,
            F {
                name: Some("x".into()),
                n: Some(2.5)
            }
        );
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"name": "x", "n": 2.5})
        );
        let empty: F = serde_json::from_value(json!({"name": null})).unwrap();
        assert_eq!(
            serde_json::to_value(&empty).unwrap(),
            json!({}),
            "absent fields are not written"
        );
        assert!(serde_json::from_value::<F>(json!({"name": 5})).is_err());
        assert!(serde_json::from_value::<F>(json!([1])).is_err());
    }

    #[test]
    fn patches_write_entries() {
        struct U {
            a: Patch<i32>,
            b: Patch<i32>,
            c: Assign<i32>,
            d: Assign<i32>,
        }
        impl WriteFields for U {
            fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                self.a.write_entry("a", map)?;
                self.b.write_entry("b", map)?;
                self.c.write_entry("c", map)?;
                self.d.write_entry("d", map)
            }
        }
        crate::impl_serialize!(U);
        let u = U {
            a: Patch::Clear,
            b: Patch::Keep,
            c: Assign::Set(3),
            d: Assign::Keep,
        };
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"a": null, "c": 3})
        );
    }
}
