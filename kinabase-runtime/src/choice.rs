//! Choice values (`select`, `stage`): the `Choice` trait and the `impl_choice!` macro that
//! gives generated enums their standard and serde impls.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// A choice (`select`, `stage`) value: the known options of a field plus whatever label
/// the account has that the bindings do not know yet. Generated enums implement it and
/// get their serde and standard impls from one `impl_choice!` line.
pub trait Choice: Sized {
    /// The value for a label; unknown labels become the enum's `Unknown` variant.
    fn from_label(label: &str) -> Self;
    /// The exact label, as Kinabase writes it.
    fn label(&self) -> &str;
}

/// Serializes a choice as its exact label.
pub fn serialize_choice<C: Choice, S: Serializer>(c: &C, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.label())
}

/// Deserializes a choice from its label.
pub fn deserialize_choice<'de, C: Choice, D: Deserializer<'de>>(d: D) -> Result<C, D::Error> {
    // Through a visitor on the borrowed text: a known label allocates nothing.
    struct V<C>(PhantomData<fn() -> C>);
    impl<C: Choice> Visitor<'_> for V<C> {
        type Value = C;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an option label (string)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<C, E> {
            Ok(C::from_label(v))
        }
    }
    d.deserialize_str(V(PhantomData))
}

/// `PartialEq` of generated choice enums: by variant, then label (one generic function
/// instead of a body per enum for the compiler to check).
#[inline]
pub fn choice_eq<C: Choice>(a: &C, b: &C) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b) && a.label() == b.label()
}

/// `Hash` of generated choice enums, consistent with [`choice_eq`].
#[inline]
pub fn hash_choice<C: Choice, H: std::hash::Hasher>(c: &C, state: &mut H) {
    std::hash::Hash::hash(&std::mem::discriminant(c), state);
    std::hash::Hash::hash(c.label(), state);
}

/// `Debug` of generated choice enums: `Stage("Done")` for a known option,
/// `Stage::Unknown("Dne")` for a label the bindings do not know.
pub fn debug_choice<C: Choice>(
    c: &C,
    name: &str,
    unknown: bool,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    if unknown {
        f.write_str(name)?;
        f.debug_tuple("::Unknown").field(&c.label()).finish()
    } else {
        f.debug_tuple(name).field(&c.label()).finish()
    }
}

/// Implements `Serialize`, `Deserialize`, `Display`, `FromStr`, `Clone`, `PartialEq`,
/// `Eq`, `Hash` and `Debug` for a generated [`Choice`] enum (whose last variant is
/// `Unknown(String)`), so that generated code stays one line per choice type instead of
/// five derives each.
///
/// They behave as derives would: a known option and an `Unknown` holding the same label
/// are different values (compared by variant, then label), clones keep the variant, and
/// `Debug` prints `Stage::Unknown("Dne")` for an unknown label and `Stage("Done")` for a
/// known option.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_choice {
    ($ty:ident) => {
        impl $crate::reexports::serde::Serialize for $ty {
            #[inline]
            fn serialize<S: $crate::reexports::serde::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::__private::serialize_choice(self, s)
            }
        }
        impl<'de> $crate::reexports::serde::Deserialize<'de> for $ty {
            #[inline]
            fn deserialize<D: $crate::reexports::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_choice(d)
            }
        }
        impl ::std::fmt::Display for $ty {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::Choice::label(self))
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = ::std::convert::Infallible;
            #[inline]
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok($crate::Choice::from_label(s))
            }
        }
        impl ::std::clone::Clone for $ty {
            #[inline]
            fn clone(&self) -> Self {
                match self {
                    Self::Unknown(label) => Self::Unknown(::std::clone::Clone::clone(label)),
                    // Labels of known options are distinct, so this is the same variant.
                    known => $crate::Choice::from_label($crate::Choice::label(known)),
                }
            }
        }
        impl ::std::cmp::PartialEq for $ty {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                $crate::__private::choice_eq(self, other)
            }
        }
        impl ::std::cmp::Eq for $ty {}
        impl ::std::hash::Hash for $ty {
            #[inline]
            fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
                $crate::__private::hash_choice(self, state)
            }
        }
        impl ::std::fmt::Debug for $ty {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let unknown = ::std::matches!(self, Self::Unknown(_));
                $crate::__private::debug_choice(self, ::std::stringify!($ty), unknown, f)
            }
        }
    };
}
