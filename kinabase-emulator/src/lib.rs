//! A faithful local emulator of the Kinabase REST API.
//!
//! No machine of this project can reach the real service, so the runtime's tests, the
//! generator's pull, the demo, the benchmarks and our users' own tests all run against
//! this emulator over real HTTP on loopback. It implements `shared/kinabase-api.md`:
//! every documented behaviour, one chosen form of each assumed one, and switches for the
//! alternatives so that clients can be tested against each.
//!
//! ```no_run
//! use kinabase_emulator::{Account, Emulator, EmulatorConfig};
//!
//! let account = Account::load("fixtures/accounts/field-service.json".as_ref())?;
//! let emulator = Emulator::start(account, EmulatorConfig::default())?;
//! println!("serving {} for app {}", emulator.base_url(), emulator.app_id());
//! // ... point a client at emulator.base_url(); the server stops when `emulator` drops.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Tests change its behaviour while it runs: [`Emulator::inject`] fails or drops chosen
//! requests, [`Emulator::set_delay`] slows every answer, [`Emulator::throttle_every`]
//! answers `429` to every Nth request, [`Emulator::revoke_tokens`] invalidates every
//! issued token, and [`Emulator::request_log`] shows what clients sent.

#![deny(missing_docs)]

pub mod account;
mod auth;
pub mod cli;
mod config;
mod control;
mod emulator;
mod http;
mod records;
mod routes;
mod schema;
mod snapshot;
pub mod store;
pub mod synth;
pub mod time;
mod values;
mod wire;
mod writes;

pub use account::{Account, AccountError, CollectionDef, FieldDef, Problem, SeedRecord};
pub use config::{
    BulkResponse, DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_MAX_BODY, DEFAULT_MAX_CONNECTIONS,
    EmulatorConfig, ListingForm, MAX_TOKEN_LIFETIME, RateLimit,
};
pub use control::{FaultAction, FaultRule, LogEntry};
pub use emulator::Emulator;
pub use http::{IDLE_TIMEOUT, MAX_HEAD};
pub use snapshot::SNAPSHOT_FORMAT;
pub use store::{RecordShape, Store, StoredRecord, TimestampFormat, write_atomically};
