//! The emulator handle: starts the server for an account and changes its behaviour while
//! it runs.

use std::collections::VecDeque;
use std::io;
use std::net::TcpListener;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::account::Account;
use crate::auth;
use crate::config::{BulkResponse, EmulatorConfig, ListingForm, MAX_TOKEN_LIFETIME, RateLimit};
use crate::control::{Control, FaultRule, LogEntry, Shared, lock};
use crate::http;
use crate::store::{RecordShape, Store};

/// A running emulator. It serves until dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    // Dropped with the handle: stops the server and closes every connection.
    _server: http::Server,
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
        let config = EmulatorConfig {
            token_lifetime: config.token_lifetime.min(MAX_TOKEN_LIFETIME),
            ..config
        };
        let shared = Arc::new(Shared {
            auth: Mutex::new(auth::TokenAuthority::new(&format!(
                "tenant-{}",
                store.name.to_lowercase().replace(' ', "-")
            ))),
            store: Mutex::new(store),
            control: Mutex::new(Control::new(&config)),
            log: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            config,
        });
        let server = http::spawn(listener, Arc::clone(&shared))?;
        Ok(Emulator {
            shared,
            _server: server,
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
        lock(&self.shared.control).token_lifetime = lifetime.min(MAX_TOKEN_LIFETIME);
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
