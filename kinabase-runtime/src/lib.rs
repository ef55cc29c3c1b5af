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
//!   server, and every error says whether the request [may have been
//!   applied](Error::may_have_been_applied);
//! - **exactly-once creates**: `create_once` and `bulk_create_once` stamp each record with
//!   an idempotency key (an external id under [`IDEMPOTENCY_SERVICE`]) and, when a create's
//!   fate is unknown, look it up before sending it again;
//! - **bounds on what a server can make it do**: a response size cap, one deadline per
//!   attempt covering the body, a page bound for listings, redirects only within the same
//!   origin (never for `/token`), no proxy for loopback, secrets redacted from errors;
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
//! [`Client`] is blocking (reqwest's blocking client): on an async runtime it moves each
//! request to a helper thread, but still blocks the task's worker. For tokio services
//! the `async` feature adds `AsyncClient`, whose handles take the same generated types
//! (`Kinabase::new(async_client).jobs().stream()`), with the same token, rate-budget,
//! retry and exactly-once logic (one implementation without I/O, driven by each client).
//!
//! Without the default `http` feature only the value types, [`Record`] and the
//! [`Collection`] trait compile: enough for generated types in crates that never make a
//! request, and fast to build.

#![deny(missing_docs)]

mod activity;
#[cfg(feature = "async")]
mod async_client;
#[cfg(feature = "async")]
mod async_handle;
#[cfg(feature = "http")]
mod bulk;
#[cfg(feature = "http")]
mod call;
mod choice;
#[cfg(feature = "http")]
mod client;
#[cfg(feature = "http")]
mod config;
mod connection;
mod currency;
mod error;
#[cfg(feature = "http")]
mod exchange;
mod fields;
#[cfg(feature = "http")]
mod handle;
mod ingest;
#[cfg(feature = "http")]
mod limiter;
mod link;
#[cfg(feature = "http")]
mod listing;
#[cfg(feature = "http")]
mod once;
#[cfg(feature = "http")]
mod options;
#[cfg(feature = "http")]
mod prefetch;
mod record;
#[cfg(feature = "http")]
mod reply;
#[cfg(feature = "http")]
mod requests;
#[cfg(feature = "http")]
mod retry;
#[cfg(feature = "http")]
mod secret;
#[cfg(feature = "http")]
mod send;
#[cfg(feature = "http")]
mod stream;
#[cfg(feature = "http")]
mod sync;
#[cfg(feature = "http")]
mod token;
mod value;
mod verify;

pub use activity::{Activity, ActivityType, NewActivity};
#[cfg(feature = "async")]
pub use async_client::AsyncClient;
#[cfg(feature = "async")]
pub use async_handle::AsyncCollectionHandle;
#[cfg(feature = "http")]
pub use bulk::{BulkChunk, BulkError, BulkFailure, BulkReport, BulkResult};
pub use choice::Choice;
#[cfg(feature = "http")]
pub use client::Client;
#[cfg(feature = "http")]
pub use config::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_PAGES, DEFAULT_MAX_RESPONSE_BYTES, RateBudget,
    RetryPolicy, Wait, WaitReason,
};
pub use connection::Connection;
pub use currency::Currency;
pub use error::{BoxError, Error, Excerpt, Result};
#[cfg(feature = "http")]
pub use exchange::Stats;
#[cfg(feature = "http")]
pub use handle::{CollectionHandle, RecordIter};
pub use ingest::{IngestChange, IngestRecord, Ingestible};
pub use link::{Colleagues, FieldKey, RecordRef};
#[cfg(feature = "http")]
pub use once::{IDEMPOTENCY_SERVICE, OnceItem, OnceReport};
#[cfg(feature = "http")]
pub use options::{ListOptions, MAX_BATCH, MAX_PREFETCH};
pub use record::{Collection, Page, Record, Untyped};
#[cfg(feature = "http")]
pub use secret::Secret;
#[cfg(feature = "http")]
pub use stream::AllRecords;
pub use value::{Assign, Date, Duration, Patch, Raw};
pub use verify::{
    ExpectedCollection, ExpectedField, ExpectedSchema, SchemaChange, SchemaReport, Severity,
    compare as compare_schema,
};

/// Crates generated code names through the runtime, so that a project needs no direct
/// dependency on them.
pub mod reexports {
    pub use jiff;
    pub use rust_decimal;
    pub use serde;
    pub use serde_json;
}

/// The plumbing generated code and the runtime's own macros use. Not a stable API: it
/// changes with the generator.
#[doc(hidden)]
pub mod __private {
    pub use crate::choice::{
        choice_eq, debug_choice, deserialize_choice, hash_choice, serialize_choice,
    };
    pub use crate::error::{api_message, decode};
    pub use crate::fields::{
        LenientNumber, ReadFields, WriteEntry, WriteFields, Writer, debug_fields,
        deserialize_fields, entry, read, serialize_fields,
    };
    pub use crate::record::{WriteBody, is_meta_key, lenient_total};
    pub use crate::value::lenient_number;
}
