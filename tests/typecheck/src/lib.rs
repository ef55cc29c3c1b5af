//! The demo account's bindings without the account type (no HTTP client), for
//! compile-fail tests. `bindings.rs` is generated from
//! `examples/field-service/kinabase.snapshot.json`; a test checks it is up to date.

#![deny(warnings)]
#![allow(missing_docs)]

#[rustfmt::skip]
mod bindings;

pub use bindings::*;
