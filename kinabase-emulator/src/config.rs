//! How an emulator behaves: credentials, response forms, limits. Start from `default()`.

use std::path::PathBuf;
use std::time::Duration;

use kinabase_contract::limits;

use crate::store::RecordShape;
use crate::time::TimestampFormat;

/// The App ID the emulator accepts unless told otherwise.
pub const DEFAULT_APP_ID: &str = "5f0c6c9e-8d7a-4a53-9a51-0d1f2a6b7c01";
/// The App Secret the emulator accepts unless told otherwise (88 characters, like a real one).
pub const DEFAULT_APP_SECRET: &str = "ZW11bGF0b3Itb25seS1zZWNyZXQtZm9yLWxvY2FsLXRlc3RzLW5ldmVyLXVzZS1hZ2FpbnN0LWthYmFzZS1wcm9kdWN0aW9uLi4u";

/// Connections served at once unless configured otherwise; one more is answered `503`
/// and closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// The largest request body read unless configured otherwise (a bulk call of 300 records
/// of ~13 KB each fits). A larger one is refused with `413` before a byte of it is read.
/// Bodies being read or handled at once hold at most twice this many bytes, so that the
/// JSON parsed from them (up to ~30 times the text for `[1,1,...]`) stays bounded too.
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;
/// The longest token lifetime the emulator accepts: ten years.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The largest page and bulk call, as documented.
pub(crate) const MAX_PAGE: usize = limits::MAX_PAGE_SIZE as usize;
/// The largest `/all` answer, as documented.
pub(crate) const MAX_ALL: usize = limits::MAX_ALL;

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
        requests: limits::RATE_LIMIT_PER_MINUTE,
        per: Duration::from_secs(60),
    };
}

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

/// How the emulator behaves. Start from `default()` and change what a test needs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The App ID `POST /token` accepts.
    pub app_id: String,
    /// The App Secret `POST /token` accepts.
    pub app_secret: String,
    /// How long issued tokens live (one hour, as documented; tests use seconds). Capped at
    /// [`MAX_TOKEN_LIFETIME`].
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
    /// Connections served at once ([`DEFAULT_MAX_CONNECTIONS`]); further ones get `503`.
    pub max_connections: usize,
    /// The largest request body in bytes ([`DEFAULT_MAX_BODY`]); larger ones get `413`.
    pub max_body: usize,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            app_id: DEFAULT_APP_ID.into(),
            app_secret: DEFAULT_APP_SECRET.into(),
            token_lifetime: Duration::from_secs(limits::TOKEN_LIFETIME_SECS),
            rate_limit: Some(RateLimit::DOCUMENTED),
            listing_form: ListingForm::default(),
            bulk_response: BulkResponse::default(),
            record_shape: RecordShape::default(),
            timestamp_format: TimestampFormat::default(),
            data_file: None,
            port: 0,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_body: DEFAULT_MAX_BODY,
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
