//! The client: what a client and its clones share (token, limiter, counters) and how it
//! is built. Requests go through the one send loop in `send.rs`.

use std::fmt;
use std::sync::Arc;

use reqwest::blocking::Client as HttpClient;

use crate::config::ClientBuilder;
use crate::error::Result;
use crate::exchange::{Core, Stats};
use crate::secret::Secret;
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
    pub(crate) token: TokenCache,
    /// Configuration, rate budget and counters, as the async client has them too.
    pub(crate) core: Core,
}

impl std::ops::Deref for Inner {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
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

impl ClientBuilder {
    /// Checks the configuration and builds the client. No request is made yet.
    pub fn build(self) -> Result<Client> {
        let (base, app_id, secret) = self.checked()?;
        let http = match self.http.clone() {
            Some(h) => h,
            None => {
                let s = crate::config::http_settings(&self, &base);
                // reqwest's blocking builder must not run inside an async runtime.
                crate::sync::off_runtime(move || crate::config::http_client(s))?
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
                token: TokenCache::default(),
                core: Core::new(&b, base, app_id, secret),
            }),
        }
    }

    /// A client from `KINABASE_APP_ID`, `KINABASE_APP_SECRET` and (optionally)
    /// `KINABASE_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// What this client and its clones have done so far.
    pub fn stats(&self) -> Stats {
        self.inner.stats.snapshot()
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
