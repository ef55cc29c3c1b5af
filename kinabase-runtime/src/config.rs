//! Client configuration: the builder, retry policy, rate budget, limits and their
//! documented defaults, and the checks a base URL must pass.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::blocking::Client as HttpClient;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The real service.
pub const DEFAULT_BASE_URL: &str = "https://app.kinabase.com/api/v1/";

/// The documented token lifetime: one hour. No token is kept longer, whatever its `exp`.
pub(crate) const TOKEN_LIFETIME: Duration =
    Duration::from_secs(kinabase_contract::limits::TOKEN_LIFETIME_SECS);

/// Default cap on one response body: 64 MiB (a full `/all` of 100,000 typical records
/// fits; a hostile or broken server cannot exhaust memory).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Default bound on the pages one listing or record iteration follows: 10,000 (three
/// million records at 300 a page), so a server whose pages never end cannot keep a scan
/// running forever.
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// How many times, and how patiently, requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles each attempt, with jitter.
    pub base_delay: Duration,
    /// Longest single wait (also caps `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// The client-side request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    /// Requests per window.
    pub requests: u32,
    /// Window length.
    pub per: Duration,
}

impl Default for RateBudget {
    /// Kinabase's documented limit: 100 requests a minute.
    fn default() -> Self {
        RateBudget {
            requests: kinabase_contract::limits::RATE_LIMIT_PER_MINUTE,
            per: Duration::from_secs(60),
        }
    }
}

/// Why the client is about to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// The service answered `429`.
    RateLimited,
    /// A failed attempt is backed off before it is repeated.
    Backoff,
    /// The client-side rate budget is spent.
    Budget,
}

/// A wait of a second or more, reported to the [`ClientBuilder::on_wait`] hook (and as a
/// `tracing` info event) so that a rate-limited run is not silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// What is waiting, e.g. `GET /collections/jobs`.
    pub attempted: String,
    /// Why.
    pub reason: WaitReason,
    /// How long.
    pub duration: Duration,
}

/// The hook called before each long wait.
#[derive(Clone)]
pub(crate) struct WaitHook(pub(crate) Arc<dyn Fn(&Wait) + Send + Sync>);

impl fmt::Debug for WaitHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitHook")
    }
}

/// Builds a [`Client`](crate::Client).
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    pub(crate) app_id: Option<String>,
    pub(crate) app_secret: Option<Secret>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) user_agent: String,
    pub(crate) http: Option<HttpClient>,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Option<RateBudget>,
    pub(crate) max_response_bytes: usize,
    pub(crate) max_pages: usize,
    pub(crate) on_wait: Option<WaitHook>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_string(),
            app_id: None,
            app_secret: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("kinabase-runtime/", env!("CARGO_PKG_VERSION")).to_string(),
            http: None,
            retry: RetryPolicy::default(),
            budget: Some(RateBudget::default()),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_pages: DEFAULT_MAX_PAGES,
            on_wait: None,
        }
    }
}

impl ClientBuilder {
    /// The API base URL (default: the real service). Plain `http://` is accepted only for
    /// loopback hosts (the emulator).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The App ID (a UUID from Settings → API).
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.app_id = Some(id.into());
        self
    }

    /// The App Secret.
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(Secret::new(secret));
        self
    }

    /// The deadline of each attempt of a request, from connect to the last byte of the
    /// body (default 60 s). A server that dribbles its answer is cut off at it.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Use the caller's own reqwest client. Its TLS, proxy and redirect settings then
    /// apply instead of the runtime's (which never follows a redirect to another host,
    /// never for `/token`, and never proxies loopback); the per-attempt deadline and the
    /// response size cap still apply.
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// The retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The client-side rate budget; `None` turns the limiter off.
    pub fn rate_budget(mut self, budget: Option<RateBudget>) -> Self {
        self.budget = budget;
        self
    }

    /// The largest response body accepted (default [`DEFAULT_MAX_RESPONSE_BYTES`], 64 MiB).
    /// A larger successful answer is an [`Error::TooLarge`] naming the limit; an error
    /// answer is read up to the limit, enough for its message. An `/all` answer is read as
    /// it arrives, so there the cap applies to each record, not to the whole.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The most pages one collections listing or record iteration follows (default
    /// [`DEFAULT_MAX_PAGES`]).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Called before every wait of a second or more (a `429`, a backoff, the rate
    /// budget), e.g. to print "waiting 12 s for the rate limit".
    pub fn on_wait(mut self, hook: impl Fn(&Wait) + Send + Sync + 'static) -> Self {
        self.on_wait = Some(WaitHook(Arc::new(hook)));
        self
    }

    /// A builder with `KINABASE_APP_ID`, `KINABASE_APP_SECRET` and (optionally)
    /// `KINABASE_BASE_URL` from the environment, to adjust before `build()` or
    /// `build_async()` (which report what is missing):
    /// `ClientBuilder::from_env().timeout(Duration::from_secs(60)).build()`.
    pub fn from_env() -> ClientBuilder {
        let mut b = ClientBuilder::default();
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
        b
    }

    /// The base URL, App ID and App Secret, checked.
    pub(crate) fn checked(&self) -> Result<(reqwest::Url, String, Secret)> {
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
        Ok((base, app_id, secret))
    }
}

/// What the blocking and the async reqwest clients are built with.
pub(crate) struct HttpSettings {
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) user_agent: String,
    pub(crate) redirect: reqwest::redirect::Policy,
    /// Loopback base URL: no proxy.
    pub(crate) loopback: bool,
}

/// The HTTP settings of a builder (and installs the TLS provider once).
pub(crate) fn http_settings(b: &ClientBuilder, base: &reqwest::Url) -> HttpSettings {
    install_crypto_provider();
    HttpSettings {
        timeout: b.timeout,
        connect_timeout: b.connect_timeout,
        user_agent: b.user_agent.clone(),
        redirect: redirect_policy(),
        loopback: is_loopback(base),
    }
}

/// The blocking reqwest client the runtime builds when the caller gives none.
pub(crate) fn http_client(s: HttpSettings) -> Result<HttpClient> {
    let mut b = HttpClient::builder()
        .timeout(s.timeout)
        .connect_timeout(s.connect_timeout)
        .user_agent(s.user_agent)
        .redirect(s.redirect);
    if s.loopback {
        // An `HTTP_PROXY` meant for the outside must not carry emulator traffic (and its
        // token) to another machine.
        b = b.no_proxy();
    }
    b.build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// Redirects are followed only within the same scheme, host and port, and never for
/// `/token` (its body carries the App Secret). Anything else is handed back as the `3xx`
/// it is, which becomes an error.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else {
            return attempt.stop();
        };
        let same_origin = first.scheme() == attempt.url().scheme()
            && first.host_str() == attempt.url().host_str()
            && first.port_or_known_default() == attempt.url().port_or_known_default();
        let token = first.path().ends_with("/token");
        if !same_origin || token || attempt.previous().len() > 5 {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// Installs rustls' ring provider once per process (reqwest is built without a default
/// provider; ring builds much faster than aws-lc-rs). A provider installed by the
/// application first is left alone.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn normalize_base(url: &str) -> Result<reqwest::Url> {
    let mut text = url.trim().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    let parsed = reqwest::Url::parse(&text)
        .map_err(|e| Error::Config(format!("base URL {url:?} is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(Error::Config(format!(
            "refusing plain http to {url}: Kinabase is HTTPS only and the token would travel in clear; use https:// (plain http is allowed only for a loopback emulator)"
        ))),
        other => Err(Error::Config(format!(
            "base URL {url:?} has scheme {other:?}; use https://"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8099/api/v1/",
            "http://localhost:1/api/v1",
            "http://[::1]:5/api/v1/",
            "https://app.kinabase.com/api/v1/",
        ] {
            assert!(normalize_base(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.kinabase.com/api/v1/",
            "http://10.0.0.1/api/v1/",
            "ftp://x/",
            "not a url",
        ] {
            assert!(
                matches!(normalize_base(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
        assert!(
            normalize_base("http://example.com/")
                .unwrap_err()
                .to_string()
                .contains("https://")
        );
    }
}
