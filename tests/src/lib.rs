//! Compiles generated code as part of `cargo test`, under `#![deny(warnings)]` and
//! clippy with `-D warnings`: every golden case of `kinabase-codegen/tests/cases/` and
//! the demo account's committed bindings. The end-to-end tests live in `tests/`.

#![deny(warnings)]
#![allow(missing_docs)]

/// Golden cases, one module each.
pub mod golden {
    /// Keywords, collisions, emoji, combining marks, prelude names, hostile docs.
    pub mod hostile {
        include!("../../kinabase-codegen/tests/cases/hostile/expected.rs");
    }
    /// Empty and read-only-only collections, inferred fields.
    pub mod minimal {
        include!("../../kinabase-codegen/tests/cases/minimal/expected.rs");
    }
    /// Names from the wire: digits first, emoji, keys without identifier characters,
    /// module names that are keywords or device names, trait-method names, bidi and CR.
    pub mod wire_names {
        include!("../../kinabase-codegen/tests/cases/wire_names/expected.rs");
    }
    /// Overlay renames, type overrides, skips and derives.
    pub mod overlay {
        include!("../../kinabase-codegen/tests/cases/overlay/expected.rs");
    }
}

/// The demo account's bindings, as committed under `examples/field-service/src/kinabase/`.
#[rustfmt::skip]
#[path = "../../examples/field-service/src/kinabase/mod.rs"]
pub mod demo;
