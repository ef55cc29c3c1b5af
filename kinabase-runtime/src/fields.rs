//! How generated field structs go to and from JSON.
//!
//! Generated code does not derive serde for its structs: a derive per struct is most of
//! the compile time of large bindings. Instead each struct implements [`ReadFields`] (one
//! `match` arm per field) or [`WriteFields`] (one line per field), and the visitor and
//! serializer that drive them live here, once, generic over the struct. Unknown keys are
//! skipped; absent fields stay `None` and are not written.

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
    /// Writes the fields that carry a value (or a clear) as entries of the map.
    fn write_fields<M: SerializeMap>(&self, w: &mut Writer<'_, M>);
}

/// Reads the map's next value into a field (one call per generated `match` arm, in place
/// of a `?` per arm: each `?` is a `match` and an error conversion for the compiler to
/// check, in every generated struct).
///
/// A function and a module share this name so that `record_fields!` writes
/// `read $(::$mode)?(..)` for each field, `read(..)` or `read::lenient(..)`, with no
/// macro call per field (a thousand collections of fifty fields are 200,000 of them).
#[inline]
pub fn read<'de, T: serde::Deserialize<'de>, A: MapAccess<'de>>(
    place: &mut T,
    map: &mut A,
) -> Result<bool, A::Error> {
    *place = map.next_value()?;
    Ok(true)
}

/// The read modes of a `record_fields!` entry (see [`read()`]).
pub mod read {
    use serde::de::MapAccess;

    /// `[lenient]`: a number that may come as a numeric string.
    #[inline]
    pub fn lenient<'de, A: MapAccess<'de>>(
        place: &mut Option<f64>,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        *place = map.next_value::<super::LenientNumber>()?.0;
        Ok(true)
    }
}

/// Writes one field through the writer: nothing when absent or kept (see [`WriteEntry`]).
/// Shares its name with a module for the same reason as [`read()`].
#[inline]
pub fn entry<M: SerializeMap, T: WriteEntry + ?Sized>(
    w: &mut Writer<'_, M>,
    key: &'static str,
    value: &T,
) {
    w.entry(key, value);
}

/// The write modes of a `record_fields!` entry (see [`entry()`]).
pub mod entry {
    use serde::ser::SerializeMap;

    use super::Writer;

    /// `[required]`: a plain (non-`Option`) value, always written.
    #[inline]
    pub fn required<M: SerializeMap, T: serde::Serialize + ?Sized>(
        w: &mut Writer<'_, M>,
        key: &'static str,
        value: &T,
    ) {
        w.required(key, value);
    }
}

/// Writes a generated struct's entries: the first error stops the writing and is what
/// serializing returns (so that generated code has no `?` per field; see [`read()`]).
pub struct Writer<'a, M: SerializeMap> {
    map: &'a mut M,
    err: Option<M::Error>,
}

impl<M: SerializeMap> Writer<'_, M> {
    /// One field, whatever its kind ([`WriteEntry`]): nothing when absent or kept.
    #[inline]
    pub fn entry<T: WriteEntry + ?Sized>(&mut self, key: &'static str, value: &T) {
        if self.err.is_none()
            && let Err(e) = value.write_entry(key, self.map)
        {
            self.err = Some(e);
        }
    }

    /// A plain (non-`Option`) value, always written.
    #[inline]
    pub fn required<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        if self.err.is_none()
            && let Err(e) = self.map.serialize_entry(key, value)
        {
            self.err = Some(e);
        }
    }
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
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if !out.read_field(key.as_str(), &mut map)? {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(V(PhantomData))
}

/// A map key as the deserializer hands it over: borrowed from the input when it can be
/// (a slice input and a key without escapes: every key Kinabase sends), else owned.
/// (`Cow<str>`'s own `Deserialize` always allocates: it never borrows without
/// `#[serde(borrow)]`.) Two words and a tag, so it moves cheaply per key.
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    /// The key's text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Serializes a [`WriteFields`] struct as a JSON object.
pub fn serialize_fields<T: WriteFields, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    write_entries(value, &mut map)?;
    map.end()
}

/// Writes `value`'s entries into `map`; the first error, if any.
fn write_entries<T: WriteFields, M: SerializeMap>(value: &T, map: &mut M) -> Result<(), M::Error> {
    let mut w = Writer { map, err: None };
    value.write_fields(&mut w);
    w.err.map_or(Ok(()), Err)
}

/// `Debug` of a generated struct, through its [`WriteFields`]: the entries it would send,
/// by wire key, values as JSON: `Fields { jobTitle: "Boiler service", stage: "Done" }`.
/// Absent fields and kept changes are not shown; a cleared change shows `null`.
///
/// Generated structs get `Debug` from this one function instead of a derive each: a
/// derived `Debug` is code per field for the compiler to check, in every struct of every
/// collection (see ARCHITECTURE.md: build time).
pub fn debug_fields<T: WriteFields>(
    value: &T,
    name: &str,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let mut map = DebugEntries {
        out: f.debug_struct(name),
        key: String::new(),
    };
    // Values that cannot be shown were shown as their error (keys are strings, which
    // always can): only the formatter's own failure is an error here.
    let _ = write_entries(value, &mut map);
    map.out.finish()
}

/// The entries of [`debug_fields`], as a `serde` map whose values are shown as JSON.
struct DebugEntries<'a, 'b> {
    out: fmt::DebugStruct<'a, 'b>,
    key: String,
}

/// A value's JSON text (or why it has none), shown verbatim.
struct JsonText(String);

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl SerializeMap for DebugEntries<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<K: serde::Serialize + ?Sized>(&mut self, key: &K) -> Result<(), Self::Error> {
        self.key = match serde_json::to_value(key)? {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        Ok(())
    }

    fn serialize_value<V: serde::Serialize + ?Sized>(
        &mut self,
        value: &V,
    ) -> Result<(), Self::Error> {
        let text = serde_json::to_string(value).unwrap_or_else(|e| format!("<{e}>"));
        self.out.field(&self.key, &JsonText(text));
        Ok(())
    }

    fn end(self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A `number` value read leniently: a number, a numeric string, or null.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LenientNumber(pub Option<f64>);

impl<'de> serde::Deserialize<'de> for LenientNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LenientNumber, D::Error> {
        crate::value::lenient_number(d).map(LenientNumber)
    }
}

/// Writes one field as a map entry, whatever its kind, so that one macro writes every
/// generated struct: absent optional values and kept changes write nothing, a cleared
/// change writes `null`.
pub trait WriteEntry {
    /// Writes the value under `key`, or nothing.
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

impl<T: serde::Serialize> WriteEntry for Patch<T> {
    fn write_entry<M: SerializeMap>(&self, key: &'static str, map: &mut M) -> Result<(), M::Error> {
        match self {
            Patch::Keep => Ok(()),
            Patch::Clear => map.serialize_entry(key, &()),
            Patch::Set(v) => map.serialize_entry(key, v),
        }
    }
}

impl<T: serde::Serialize> WriteEntry for Assign<T> {
    fn write_entry<M: SerializeMap>(&self, key: &'static str, map: &mut M) -> Result<(), M::Error> {
        match self {
            Assign::Keep => Ok(()),
            Assign::Set(v) => map.serialize_entry(key, v),
        }
    }
}

/// Implements the wire mapping of a generated struct from a table of `"wireKey" =>
/// field` entries. `read` structs get [`ReadFields`], [`WriteFields`], `Deserialize`,
/// `Serialize` and `Debug`; `write` structs get [`WriteFields`], `Serialize` and `Debug`
/// ([`debug_fields`]: the entries as sent, by wire key). An entry marked
/// `[lenient]` reads a number that may come as a string; `[required]` writes a plain
/// (non-`Option`) value.
///
/// Generated code calls this once per struct, so the per-field code is one table line
/// rather than a match arm and a statement (see ARCHITECTURE.md: build time).
#[doc(hidden)]
#[macro_export]
macro_rules! record_fields {
    (read $ty:ident { $($key:literal => $field:ident $([$mode:ident])?),* $(,)? }) => {
        impl $crate::__private::ReadFields for $ty {
            #[allow(unused_variables, unreachable_code)]
            fn read_field<'de, A: $crate::reexports::serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> ::std::result::Result<bool, A::Error> {
                match key {
                    $($key => $crate::__private::read $(::$mode)? (&mut self.$field, map),)*
                    _ => ::std::result::Result::Ok(false),
                }
            }
        }
        $crate::record_fields!(@write $ty { $($key => $field),* });
        $crate::impl_deserialize!($ty);
    };
    (write $ty:ident { $($key:literal => $field:ident $([$mode:ident])?),* $(,)? }) => {
        $crate::record_fields!(@write $ty { $($key => $field $([$mode])?),* });
    };
    (@write $ty:ident { $($key:literal => $field:ident $([$mode:ident])?),* }) => {
        impl $crate::__private::WriteFields for $ty {
            #[allow(unused_variables)]
            fn write_fields<M: $crate::reexports::serde::ser::SerializeMap>(
                &self,
                w: &mut $crate::__private::Writer<'_, M>,
            ) {
                $($crate::__private::entry $(::$mode)? (w, $key, &self.$field);)*
            }
        }
        $crate::impl_serialize!($ty);
        impl ::std::fmt::Debug for $ty {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::__private::debug_fields(self, ::std::stringify!($ty), f)
            }
        }
    };
}

/// Implements `Serialize` (through [`WriteFields`]) for generated structs.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_serialize {
    ($($ty:ty),* $(,)?) => {
        $(
            impl $crate::reexports::serde::Serialize for $ty {
                fn serialize<S: $crate::reexports::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                    $crate::__private::serialize_fields(self, s)
                }
            }
        )*
    };
}

/// Implements `Deserialize` (through [`ReadFields`]) for a generated read struct.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_deserialize {
    ($ty:ty) => {
        impl<'de> $crate::reexports::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::reexports::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_fields(d)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Default, PartialEq)]
    struct F {
        name: Option<String>,
        n: Option<f64>,
    }
    crate::record_fields!(read F { "name" => name, "n" => n [lenient] });

    #[derive(Default, PartialEq)]
    struct Empty {}
    crate::record_fields!(read Empty {});

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
        let e: Empty = serde_json::from_value(json!({"a": 1})).unwrap();
        assert_eq!(serde_json::to_value(&e).unwrap(), json!({}));
    }

    #[test]
    fn keys_borrowed_escaped_long_and_from_a_reader() {
        #[derive(Default, PartialEq)]
        struct L {
            long: Option<u8>,
            name: Option<String>,
        }
        let long = "k".repeat(70);
        crate::record_fields!(read L { "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" => long, "name" => name });
        let text = format!(r#"{{"na\u006de": "x", "{long}": 7, "{long}x": 1}}"#);
        let want = L {
            long: Some(7),
            name: Some("x".into()),
        };
        assert_eq!(serde_json::from_str::<L>(&text).unwrap(), want);
        // A reader never lends its bytes: every key goes through the copying path.
        assert_eq!(
            serde_json::from_reader::<_, L>(text.as_bytes()).unwrap(),
            want
        );
        assert!(serde_json::from_str::<L>(r#"{"name": "x", 5: 1}"#).is_err());
    }

    #[test]
    fn patches_write_entries() {
        struct U {
            a: Patch<i32>,
            b: Patch<i32>,
            c: Assign<i32>,
            d: Assign<i32>,
            e: i32,
        }
        crate::record_fields!(write U { "a" => a, "b" => b, "c" => c, "d" => d, "e" => e [required] });
        let u = U {
            a: Patch::Clear,
            b: Patch::Keep,
            c: Assign::Set(3),
            d: Assign::Keep,
            e: 5,
        };
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"a": null, "c": 3, "e": 5})
        );
        // Debug shows what would be sent, by wire key.
        assert_eq!(format!("{u:?}"), "U { a: null, c: 3, e: 5 }");
        assert_eq!(
            format!("{u:#?}"),
            "U {\n    a: null,\n    c: 3,\n    e: 5,\n}"
        );
    }

    #[test]
    fn debug_shows_present_fields_by_wire_key_and_survives_unserializable_values() {
        let f = F {
            name: Some("say \"hi\"".into()),
            n: None,
        };
        assert_eq!(format!("{f:?}"), r#"F { name: "say \"hi\"" }"#);
        assert_eq!(format!("{:?}", F::default()), "F");
        // A value serde cannot write shows its error instead of failing the formatter
        // (which would panic in `format!`).
        struct Bad;
        impl serde::Serialize for Bad {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        struct W {
            bad: Option<Bad>,
            ok: Option<u8>,
        }
        crate::record_fields!(write W { "bad" => bad, "ok" => ok });
        let w = W {
            bad: Some(Bad),
            ok: Some(1),
        };
        assert_eq!(format!("{w:?}"), "W { bad: <no>, ok: 1 }");
    }
}
