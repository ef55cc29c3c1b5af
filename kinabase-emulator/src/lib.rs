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
mod server;
pub mod store;
pub mod synth;
pub mod time;

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use account::{Account, AccountError, CollectionDef, FieldDef, Problem, SeedRecord};
pub use store::{RecordShape, Store, StoredRecord, TimestampFormat};

use server::{Control, Shared, lock};

/// The App ID the emulator accepts unless told otherwise.
pub const DEFAULT_APP_ID: &str = "5f0c6c9e-8d7a-4a53-9a51-0d1f2a6b7c01";
/// The App Secret the emulator accepts unless told otherwise (88 characters, like a real one).
pub const DEFAULT_APP_SECRET: &str = "ZW11bGF0b3Itb25seS1zZWNyZXQtZm9yLWxvY2FsLXRlc3RzLW5ldmVyLXVzZS1hZ2FpbnN0LWthYmFzZS1wcm9kdWN0aW9uLi4u";

/// Which of the three tolerated forms `GET /collections` answers in (contract §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListingForm {
    /// A bare JSON array.
    #[default]
    BareArray,
    /// `{"collections": [...]}`.
    Wrapped,
    /// A page envelope, `{"records", "totalRecords", "pageIndex", "pageSize"}`.
    Paged,
}

/// What bulk create and update answer (contract §4: either is possible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BulkResponse {
    /// `{"records": [...]}` with the written records.
    #[default]
    Records,
    /// An empty body.
    Empty,
}

/// A request budget: at most `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub per: Duration,
}

impl RateLimit {
    /// Kinabase's documented limit: 100 requests a minute.
    pub const DOCUMENTED: RateLimit = RateLimit {
        requests: 100,
        per: Duration::from_secs(60),
    };
}

/// How the emulator behaves. Start from `default()` and change what a test needs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The App ID `POST /token` accepts.
    pub app_id: String,
    /// The App Secret `POST /token` accepts.
    pub app_secret: String,
    /// How long issued tokens live (one hour, as documented; tests use seconds).
    pub token_lifetime: Duration,
    /// The rate limit (default: the documented 100 requests a minute), or `None` for
    /// unlimited, as tests that make many requests quickly use ([`EmulatorConfig::unlimited`]).
    pub rate_limit: Option<RateLimit>,
    /// Form of `GET /collections`.
    pub listing_form: ListingForm,
    /// Form of bulk responses.
    pub bulk_response: BulkResponse,
    /// Shape of every record, unless changed per collection.
    pub record_shape: RecordShape,
    /// Format of `createdAt` and `updatedAt`.
    pub timestamp_format: TimestampFormat,
    /// Persist every write to this file (atomically); resume from it when it exists.
    pub data_file: Option<PathBuf>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            app_id: DEFAULT_APP_ID.into(),
            app_secret: DEFAULT_APP_SECRET.into(),
            token_lifetime: Duration::from_secs(3600),
            rate_limit: Some(RateLimit::DOCUMENTED),
            listing_form: ListingForm::default(),
            bulk_response: BulkResponse::default(),
            record_shape: RecordShape::default(),
            timestamp_format: TimestampFormat::default(),
            data_file: None,
            port: 0,
        }
    }
}

impl EmulatorConfig {
    /// The default configuration without a rate limit: for tests and benchmarks that
    /// make many requests quickly and are not about the limit.
    pub fn unlimited() -> EmulatorConfig {
        EmulatorConfig {
            rate_limit: None,
            ..EmulatorConfig::default()
        }
    }
}

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status and an `{"error"}` body, without doing the work.
    Fail(u16),
    /// Read the request, then drop the connection mid-response.
    Drop,
}

/// A fault for the next `remaining` requests that match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// What happens.
    pub action: FaultAction,
    /// How many more matching requests it applies to.
    pub remaining: u32,
    /// Only requests with this method (e.g. `"POST"`).
    pub method: Option<String>,
    /// Only requests whose path contains this text.
    pub path_contains: Option<String>,
}

impl FaultRule {
    /// Fail the next request with `status`.
    pub fn fail(status: u16) -> FaultRule {
        FaultRule {
            action: FaultAction::Fail(status),
            remaining: 1,
            method: None,
            path_contains: None,
        }
    }

    /// Drop the connection of the next request after reading it.
    pub fn drop_connection() -> FaultRule {
        FaultRule {
            action: FaultAction::Drop,
            remaining: 1,
            method: None,
            path_contains: None,
        }
    }

    /// Apply to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.remaining = n;
        self
    }

    /// Only requests with this HTTP method.
    pub fn on_method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose path contains `text`.
    pub fn on_path(mut self, text: &str) -> FaultRule {
        self.path_contains = Some(text.to_string());
        self
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.remaining > 0
            && self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// One served request, as tests read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/api/v1/collections/jobs`.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// Status sent; 0 when the connection was dropped.
    pub status: u16,
    /// Time from receipt to reply.
    pub elapsed: Duration,
}

/// A running emulator. It serves until dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
    base_url: String,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator for `account` on `127.0.0.1` (port from the config; 0 picks one).
    pub fn start(account: Account, config: EmulatorConfig) -> io::Result<Emulator> {
        let mut store = match &config.data_file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path)?;
                let mut store: Store = serde_json::from_str(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("data file {}: {e}", path.display()),
                    )
                })?;
                store.reindex();
                store
            }
            _ => Store::from_account(&account),
        };
        for c in &mut store.collections {
            c.shape = config.record_shape;
        }
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            auth: Mutex::new(auth::TokenAuthority::new(&format!(
                "tenant-{}",
                store.name.to_lowercase().replace(' ', "-")
            ))),
            store: Mutex::new(store),
            control: Mutex::new(Control {
                faults: Vec::new(),
                delay: Duration::ZERO,
                throttle_every: 0,
                rate_limit: config.rate_limit,
                window: VecDeque::new(),
                listing_form: config.listing_form,
                bulk_response: config.bulk_response,
                token_lifetime: config.token_lifetime,
                page_cap: None,
            }),
            log: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            config: config.clone(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("kinabase-emulator-accept".into())
                .spawn(move || server::accept_loop(listener, shared, stop))?
        };
        Ok(Emulator {
            shared,
            stop,
            addr,
            acceptor: Some(acceptor),
            base_url: format!("http://{addr}/api/v1/"),
        })
    }

    /// The API base URL, e.g. `http://127.0.0.1:41234/api/v1/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The App ID this emulator accepts.
    pub fn app_id(&self) -> &str {
        &self.shared.config.app_id
    }

    /// The App Secret this emulator accepts.
    pub fn app_secret(&self) -> &str {
        &self.shared.config.app_secret
    }

    /// Adds a fault rule; rules apply in the order added.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.shared.control).faults.push(rule);
    }

    /// Removes every pending fault, delay and throttle.
    pub fn clear_faults(&self) {
        let mut c = lock(&self.shared.control);
        c.faults.clear();
        c.delay = Duration::ZERO;
        c.throttle_every = 0;
    }

    /// Delays every answer by `delay`.
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.shared.control).delay = delay;
    }

    /// Answers `429` (with `Retry-After: 1`) to every `n`th request; 0 turns it off.
    pub fn throttle_every(&self, n: u64) {
        lock(&self.shared.control).throttle_every = n;
    }

    /// Changes the rate limit; `None` removes it.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut c = lock(&self.shared.control);
        c.rate_limit = limit;
        c.window.clear();
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.control).token_lifetime = lifetime;
    }

    /// Serves at most `cap` records a page whatever a client asks (the envelope's
    /// `pageSize` says so), as a server with a lower limit would; `None` restores the
    /// documented behaviour.
    pub fn set_page_cap(&self, cap: Option<usize>) {
        lock(&self.shared.control).page_cap = cap;
    }

    /// Revokes every token issued so far: their next use gets `401`.
    pub fn revoke_tokens(&self) {
        lock(&self.shared.auth).revoke_all();
    }

    /// Changes the form of `GET /collections`.
    pub fn set_listing_form(&self, form: ListingForm) {
        lock(&self.shared.control).listing_form = form;
    }

    /// Changes the form of bulk responses.
    pub fn set_bulk_response(&self, form: BulkResponse) {
        lock(&self.shared.control).bulk_response = form;
    }

    /// Changes the record shape of one collection (id or slug). Returns false when
    /// there is no such collection.
    pub fn set_record_shape(&self, collection: &str, shape: RecordShape) -> bool {
        self.with_store(|s| {
            s.collection_mut(collection)
                .map(|c| c.shape = shape)
                .is_some()
        })
    }

    /// Leaves a collection's `fields` out of the listing, so clients must infer them.
    pub fn set_hide_fields(&self, collection: &str, hide: bool) -> bool {
        self.with_store(|s| {
            s.collection_mut(collection)
                .map(|c| c.hide_fields = hide)
                .is_some()
        })
    }

    /// Runs `f` with the store locked: for tests that change the schema or inspect data.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.shared.store))
    }

    /// Number of records in a collection, or `None` when there is no such collection.
    pub fn record_count(&self, collection: &str) -> Option<usize> {
        self.with_store(|s| s.collection(collection).map(|c| c.records.len()))
    }

    /// Every request served so far (the newest 200,000).
    pub fn request_log(&self) -> Vec<LogEntry> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Writes `value` as JSON to `path` through a temporary file in the same directory and
/// a rename, so that a crash leaves either the old file or the new one, never a torn one.
pub fn write_atomically<T: serde::Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "data file path has no file name",
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = io::BufWriter::new(file);
        serde_json::to_writer(&mut w, value).map_err(io::Error::other)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
