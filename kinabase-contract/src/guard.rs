//! The flags of a field in the schema text generated bindings carry for the schema guard
//! (`SCHEMA`, read by the runtime's `ExpectedSchema`): the generator writes them, the
//! runtime reads them, both from here.

/// A create must give it.
pub const REQUIRED: u8 = 1;
/// Never written by clients.
pub const READ_ONLY: u8 = 2;
/// A list of values.
pub const MULTIPLE: u8 = 4;
/// Inferred from records at generation time (the listing did not describe it).
pub const INFERRED: u8 = 8;
/// Every flag; a text with others is not the generated form.
pub const ALL: u8 = REQUIRED | READ_ONLY | MULTIPLE | INFERRED;
