//! Typed links: `RecordRef<C>` (a link field's value), `FieldKey<C>` (a wire key of
//! collection `C`), and the Colleagues system collection.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A reference to a record of collection `C`: a link field's value.
///
/// The type parameter makes a reference to a Supplier unusable where a reference to a Job
/// is expected. On the wire it is `{"id": "..."}`; a bare id string is read too.
pub struct RecordRef<C: ?Sized> {
    id: String,
    _to: PhantomData<fn() -> C>,
}

impl<C: ?Sized> RecordRef<C> {
    /// A reference to the record with this id, which the caller asserts is a record of
    /// `C`. Prefer the typed sources, which cannot name the wrong collection:
    /// `record.reference()` (from a record of `C`), `handle.reference(id)` (from `C`'s
    /// handle) or a link field read from the service.
    pub fn from_raw_id(id: impl Into<String>) -> RecordRef<C> {
        RecordRef {
            id: id.into(),
            _to: PhantomData,
        }
    }

    /// A reference to the record with this id.
    #[deprecated(
        since = "0.2.0",
        note = "`RecordRef::new` takes its collection from inference, so an id of another collection fits silently; use `record.reference()`, `handle.reference(id)`, or `RecordRef::from_raw_id` when the id is known to be right"
    )]
    pub fn new(id: impl Into<String>) -> RecordRef<C> {
        RecordRef::from_raw_id(id)
    }

    /// The record id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl<C: ?Sized> Clone for RecordRef<C> {
    fn clone(&self) -> Self {
        RecordRef::from_raw_id(self.id.clone())
    }
}

impl<C: ?Sized> fmt::Debug for RecordRef<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordRef({:?})", self.id)
    }
}

impl<C: ?Sized> PartialEq for RecordRef<C> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<C: ?Sized> Eq for RecordRef<C> {}

impl<C: ?Sized> Hash for RecordRef<C> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<C: ?Sized> PartialOrd for RecordRef<C> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<C: ?Sized> Ord for RecordRef<C> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.id.cmp(&other.id)
    }
}

impl<C: ?Sized> Serialize for RecordRef<C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("id", &self.id)?;
        m.end()
    }
}

impl<'de, C: ?Sized> Deserialize<'de> for RecordRef<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RecordRef<C>, D::Error> {
        struct V<C: ?Sized>(PhantomData<fn() -> C>);
        impl<'de, C: ?Sized> Visitor<'de> for V<C> {
            type Value = RecordRef<C>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record reference: {\"id\": \"...\"} or an id string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RecordRef<C>, E> {
                Ok(RecordRef::from_raw_id(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RecordRef<C>, A::Error> {
                let mut id = None;
                while let Some(key) = map.next_key::<crate::fields::Key<'de>>()? {
                    if key.as_str() == "id" {
                        id = Some(map.next_value::<RecordId>()?.0);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                id.map(RecordRef::from_raw_id)
                    .ok_or_else(|| de::Error::missing_field("id"))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A record id as it may come: a string, or a number kept as its text.
struct RecordId(String);

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RecordId, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RecordId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record id (string)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RecordId, E> {
                Ok(RecordId(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RecordId, E> {
                Ok(RecordId(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RecordId, E> {
                Ok(RecordId(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RecordId, E> {
                Ok(RecordId(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The wire key of a field of collection `C`, as a typed constant. Generated bindings
/// put one per field in each collection's `keys` module, for code that builds filters or
/// untyped payloads and should still be checked by the compiler.
pub struct FieldKey<C: ?Sized> {
    key: &'static str,
    _c: PhantomData<fn() -> C>,
}

impl<C: ?Sized> FieldKey<C> {
    /// A key constant.
    pub const fn new(key: &'static str) -> FieldKey<C> {
        FieldKey {
            key,
            _c: PhantomData,
        }
    }

    /// The wire key.
    pub const fn as_str(&self) -> &'static str {
        self.key
    }
}

impl<C: ?Sized> Clone for FieldKey<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: ?Sized> Copy for FieldKey<C> {}

impl<C: ?Sized> fmt::Debug for FieldKey<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldKey({:?})", self.key)
    }
}

impl<C: ?Sized> fmt::Display for FieldKey<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key)
    }
}

impl<C: ?Sized> AsRef<str> for FieldKey<C> {
    fn as_ref(&self) -> &str {
        self.key
    }
}

/// The Colleagues system collection, for colleague fields of accounts whose bindings do
/// not include it as a collection of their own.
#[derive(Debug, Clone, Copy)]
pub enum Colleagues {}
