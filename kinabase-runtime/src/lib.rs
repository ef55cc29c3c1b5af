//! The runtime under generated Kinabase bindings.
//!
//! `kinabase-codegen` turns an account's schema into Rust types; this crate owns every
//! thing that talks HTTP, so that generated code is only types and trait impls:
//!
//! - **tokens**: fetched lazily, cached, renewed before the JWT's `exp`, renewed once
//!   on an unexpected `401`; many threads at once cause one `/token` request;
//! - **the rate limit**: a client-side budget (100 requests a minute by default, shared
//!   by clones) so that one client alone never causes a `429`; `429`s that happen anyway
//!   are waited out (`Retry-After`);
//! - **retries**: transport errors and `5xx` are retried with backoff only for requests
//!   that are safe to repeat; a create is never sent twice once it may have reached the
//!   server;
//! - **paging and bulk**: lazy iteration 300 records a request, `/all`, and bulk calls
//!   chunked to 300 that report which chunks were written;
//! - **value types**: [`Date`], [`Duration`], [`Currency`], [`RecordRef`], [`Patch`],
//!   [`Choice`] and [`Raw`], each reading every documented encoding.
//!
//! ```no_run
//! # #[cfg(feature = "http")] {
//! use kinabase_runtime::Client;
//!
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8099/api/v1/") // the emulator; default is the real service
//!     .app_id("5f0c6c9e-8d7a-4a53-9a51-0d1f2a6b7c01")
//!     .app_secret(std::env::var("KINABASE_APP_SECRET").unwrap_or_default())
//!     .build()?;
//! // Untyped access; generated bindings give `client.collection::<Jobs>()` instead.
//! for record in client.untyped("jobs").iter() {
//!     let record = record?;
//!     println!("{} {:?}", record.id, record.fields.get("jobTitle"));
//! }
//! # }
//! # Ok::<(), kinabase_runtime::Error>(())
//! ```
//!
//! The client is blocking (reqwest's blocking client). Do not call it on an async
//! runtime's worker threads; wrap calls in `spawn_blocking`.
//!
//! Without the default `http` feature only the value types, [`Record`] and the
//! [`Collection`] trait compile: enough for generated types in crates that never make a
//! request, and fast to build.

#![deny(missing_docs)]

#[cfg(feature = "http")]
mod client;
pub mod error;
pub mod fields;
#[cfg(feature = "http")]
mod handle;
pub mod record;
pub mod value;

#[cfg(feature = "http")]
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, RateBudget, RetryPolicy, Secret, Stats};
pub use error::{Error, Result};
pub use fields::{LenientNumber, ReadFields, WriteFields};
#[cfg(feature = "http")]
pub use handle::{
    BulkChunk, BulkError, BulkReport, CollectionHandle, ListOptions, MAX_BATCH, RecordIter,
};
pub use record::{Collection, Page, Record, Untyped};
pub use value::{
    Assign, Choice, Colleagues, Currency, Date, Duration, FieldKey, Patch, Raw, RecordRef,
    deserialize_choice, lenient_number, serialize_choice,
};

/// Crates generated code names through the runtime, so that a project needs no direct
/// dependency on them.
pub mod reexports {
    pub use jiff;
    pub use rust_decimal;
    pub use serde;
    pub use serde_json;
}
