//! The documented limits of the API (contract §4–§5), in one place.

/// Most records a page may hold (`pageSize` above this is a `400`).
pub const MAX_PAGE_SIZE: u32 = 300;

/// The page size the service uses when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 10;

/// Most records one bulk create, update or delete call may carry.
pub const MAX_BULK: usize = 300;

/// Most records one `/all` call answers with.
pub const MAX_ALL: usize = 100_000;

/// Requests an app may make in a minute before it gets `429`.
pub const RATE_LIMIT_PER_MINUTE: u32 = 100;

/// How long a token from `/token` is valid, in seconds.
pub const TOKEN_LIFETIME_SECS: u64 = 3600;
