//! What tests change while an emulator runs (faults, delay, throttle, rate limit) and what
//! they read back (the request log), with the state the server and the handle share.

use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::auth::TokenAuthority;
use crate::config::{BulkResponse, EmulatorConfig, ListingForm, RateLimit};
use crate::store::Store;

/// The request log keeps this many entries, dropping the oldest.
pub(crate) const LOG_CAP: usize = 200_000;

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status and an `{"error"}` body, without doing the work.
    Fail(u16),
    /// Read the request, then drop the connection without sending a byte and without
    /// doing the work.
    Drop,
    /// Do the work (a write is applied), then drop the connection without sending a byte:
    /// the client cannot tell this from [`FaultAction::Drop`].
    DropAfterWork,
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
    fn new(action: FaultAction) -> FaultRule {
        FaultRule {
            action,
            remaining: 1,
            method: None,
            path_contains: None,
        }
    }

    /// Fail the next request with `status`.
    pub fn fail(status: u16) -> FaultRule {
        FaultRule::new(FaultAction::Fail(status))
    }

    /// Drop the connection of the next request after reading it, before doing the work.
    pub fn drop_connection() -> FaultRule {
        FaultRule::new(FaultAction::Drop)
    }

    /// Do the work of the next request, then drop its connection without answering.
    pub fn drop_after_work() -> FaultRule {
        FaultRule::new(FaultAction::DropAfterWork)
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

/// State shared by the server and the `Emulator` handle.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) control: Mutex<Control>,
    pub(crate) auth: Mutex<TokenAuthority>,
    pub(crate) log: Mutex<VecDeque<LogEntry>>,
    pub(crate) seq: AtomicU64,
    pub(crate) config: EmulatorConfig,
}

/// What tests can change while the emulator runs.
pub(crate) struct Control {
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) delay: Duration,
    pub(crate) throttle_every: u64,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) window: VecDeque<Instant>,
    pub(crate) listing_form: ListingForm,
    pub(crate) bulk_response: BulkResponse,
    pub(crate) token_lifetime: Duration,
    /// Serve at most this many records a page, whatever was asked (an alternative server).
    pub(crate) page_cap: Option<usize>,
}

impl Control {
    pub(crate) fn new(config: &EmulatorConfig) -> Control {
        Control {
            faults: Vec::new(),
            delay: Duration::ZERO,
            throttle_every: 0,
            rate_limit: config.rate_limit,
            window: VecDeque::new(),
            listing_form: config.listing_form,
            bulk_response: config.bulk_response,
            token_lifetime: config.token_lifetime,
            page_cap: None,
        }
    }

    /// Takes one use of the first fault rule matching this request.
    pub(crate) fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        let i = self.faults.iter().position(|f| f.matches(method, path))?;
        let f = &mut self.faults[i];
        f.remaining -= 1;
        let action = f.action;
        if f.remaining == 0 {
            self.faults.remove(i);
        }
        Some(action)
    }

    /// The every-Nth-request throttle and the sliding-window rate limit: `Some` when the
    /// request `seq` is over, with the message and the whole seconds to wait.
    pub(crate) fn over_limit(&mut self, seq: u64) -> Option<(String, u64)> {
        if self.throttle_every > 0 && seq.is_multiple_of(self.throttle_every) {
            let message = "rate limit exceeded (injected); retry after 1 second".to_string();
            return Some((message, 1));
        }
        let limit = self.rate_limit?;
        let now = Instant::now();
        while self
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.per)
        {
            self.window.pop_front();
        }
        if self.window.len() >= limit.requests as usize {
            let oldest = *self.window.front()?;
            let wait = limit.per.saturating_sub(now.duration_since(oldest));
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let message = format!(
                "rate limit of {} requests per {:?} exceeded; retry after {secs} second(s)",
                limit.requests, limit.per
            );
            return Some((message, secs.max(1)));
        }
        self.window.push_back(now);
        None
    }
}

/// Locks a mutex, recovering from a worker that panicked while holding it: the emulator
/// keeps serving rather than cascading the panic to every test thread.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Appends to the request log, dropping the oldest entry when full.
    pub(crate) fn log(&self, entry: LogEntry) {
        let mut log = lock(&self.log);
        if log.len() >= LOG_CAP {
            log.pop_front();
        }
        log.push_back(entry);
    }
}
