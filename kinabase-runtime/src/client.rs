//! The client: what a client and its clones share (token, limiter, counters) and how it
//! is built. Requests go through the one send loop in `send.rs`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::blocking::Client as HttpClient;

use crate::config::{
    ClientBuilder, RetryPolicy, WaitHook, http_client, is_loopback, normalize_base,
};
use crate::error::{Error, Result};
use crate::limiter::Limiter;
use crate::secret::Secret;
use crate::sync::off_runtime;
use crate::token::TokenCache;

/// A Kinabase API client. Cheap to clone; clones share one token and one rate budget.
///
/// This client is blocking. Called from inside an async runtime it still works (each
/// request then runs on a helper thread instead of panicking), but it blocks the task's
/// worker thread for the whole request: in async code wrap calls in
/// `tokio::task::spawn_blocking`.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: HttpClient,
    pub(crate) base: reqwest::Url,
    pub(crate) app_id: String,
    pub(crate) secret: Secret,
    pub(crate) token: TokenCache,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: std::time::Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) max_pages: usize,
    pub(crate) on_wait: Option<WaitHook>,
    pub(crate) stats: Counters,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("app_id", &self.inner.app_id)
            .field("app_secret", &self.inner.secret)
            .finish_non_exhaustive()
    }
}

/// Counters of what a client (and its clones) did.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) token_requests: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) limiter_waits: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A snapshot of a client's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// HTTP requests sent, `/token` included.
    pub requests: u64,
    /// `/token` requests sent.
    pub token_requests: u64,
    /// Requests repeated after a failure.
    pub retries: u64,
    /// `429` answers received.
    pub throttled: u64,
    /// Times the client-side limiter made a request wait.
    pub limiter_waits: u64,
}

impl ClientBuilder {
    /// Checks the configuration and builds the client. No request is made yet.
    pub fn build(self) -> Result<Client> {
        let base = normalize_base(&self.base_url)?;
        let app_id = self
            .app_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                Error::Config("no App ID: set KINABASE_APP_ID or call .app_id()".into())
            })?;
        let secret = self
            .app_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::Config("no App Secret: set KINABASE_APP_SECRET or call .app_secret()".into())
            })?;
        let http = match self.http.clone() {
            Some(h) => h,
            None => {
                let (timeout, connect, ua) =
                    (self.timeout, self.connect_timeout, self.user_agent.clone());
                let loopback = is_loopback(&base);
                // reqwest's blocking builder must not run inside an async runtime.
                off_runtime(move || http_client(timeout, connect, ua, loopback))?
            }
        };
        Ok(Client::from_parts(self, base, app_id, secret, http))
    }
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_parts(
        b: ClientBuilder,
        base: reqwest::Url,
        app_id: String,
        secret: Secret,
        http: HttpClient,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                http,
                base,
                app_id,
                secret,
                token: TokenCache::default(),
                limiter: b.budget.map(Limiter::new),
                retry: b.retry,
                timeout: b.timeout,
                max_response_bytes: b.max_response_bytes,
                max_pages: b.max_pages,
                on_wait: b.on_wait,
                stats: Counters::default(),
            }),
        }
    }

    /// A client from `KINABASE_APP_ID`, `KINABASE_APP_SECRET` and (optionally)
    /// `KINABASE_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        let mut b = Client::builder();
        if let Ok(id) = std::env::var("KINABASE_APP_ID") {
            b = b.app_id(id);
        }
        if let Ok(secret) = std::env::var("KINABASE_APP_SECRET") {
            b = b.app_secret(secret);
        }
        if let Ok(url) = std::env::var("KINABASE_BASE_URL")
            && !url.trim().is_empty()
        {
            b = b.base_url(url);
        }
        b.build()
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// What this client and its clones have done so far.
    pub fn stats(&self) -> Stats {
        let s = &self.inner.stats;
        Stats {
            requests: s.requests.load(Ordering::Relaxed),
            token_requests: s.token_requests.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            throttled: s.throttled.load(Ordering::Relaxed),
            limiter_waits: s.limiter_waits.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_show() {
        let c = Client::builder()
            .base_url("http://127.0.0.1:1/api/v1/")
            .app_id("app")
            .app_secret("s3cr3t-value")
            .build()
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
