//! The Kinabase API contract's vocabulary, written once.
//!
//! Kinabase's REST API (see `docs/` in the repository for the contract in full) names a
//! fixed set of field types, a field object, a rule for deriving wire keys from display
//! names, a timestamp format and a handful of limits. The generator, the runtime and the
//! emulator all speak this vocabulary; this crate is the one place it is written down, so
//! adding a field type is one edit here that the compiler then walks through every
//! `match` on [`Kind`] in the other crates.
//!
//! What this crate deliberately does **not** hold: behaviour. How the emulator validates a
//! write, or how the runtime decodes a record, stays in those crates, so the emulator
//! remains an independent oracle for the runtime's tests.
//!
//! ```
//! use kinabase_contract::{FieldType, Kind};
//! let ty: FieldType = "computedSelect".into();
//! assert_eq!(ty.kind(), Kind::Choice);
//! assert!(ty.is_computed());
//! assert_eq!(FieldType::from("sparkline"), FieldType::Unknown("sparkline".into()));
//! assert_eq!(kinabase_contract::derive_key("Job Title"), "jobTitle");
//! ```

#![deny(missing_docs)]

mod field;
pub mod guard;
pub mod limits;
#[cfg(feature = "time")]
pub mod time;
mod types;

pub use field::{Field, derive_key};
pub use types::{FieldType, Kind};
