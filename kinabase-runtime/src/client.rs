//! The HTTP client: configuration, the token lifecycle, the rate limiter, retries.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use reqwest::blocking::Client as HttpClient;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{Error, Result, decode};
use crate::handle::CollectionHandle;
use crate::record::{Collection, Untyped};

/// The real service.
pub const DEFAULT_BASE_URL: &str = "https://app.kinabase.com/api/v1/";

/// A secret string: never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself; use only to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

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
            requests: 100,
            per: Duration::from_secs(60),
        }
    }
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    app_id: Option<String>,
    app_secret: Option<Secret>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    http: Option<HttpClient>,
    retry: RetryPolicy,
    budget: Option<RateBudget>,
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

    /// Timeout of each request, from connect to the last byte.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Connect timeout.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Use the caller's own reqwest client (its timeouts and TLS settings then apply).
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

    /// Checks the configuration and builds the client. No request is made yet.
    pub fn build(self) -> Result<Client> {
        let base = normalize_base(&self.base_url)?;
        let app_id = self
            .app_id
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                Error::Config("no App ID: set KINABASE_APP_ID or call .app_id()".into())
            })?;
        let secret = self.app_secret.filter(|s| !s.0.is_empty()).ok_or_else(|| {
            Error::Config("no App Secret: set KINABASE_APP_SECRET or call .app_secret()".into())
        })?;
        let http = match self.http {
            Some(h) => h,
            None => {
                install_crypto_provider();
                HttpClient::builder()
                    .timeout(self.timeout)
                    .connect_timeout(self.connect_timeout)
                    .user_agent(self.user_agent)
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                app_id,
                secret,
                token: Mutex::new(None),
                limiter: self.budget.map(Limiter::new),
                retry: self.retry,
                stats: Counters::default(),
            }),
        })
    }
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

fn normalize_base(url: &str) -> Result<reqwest::Url> {
    let mut text = url.trim().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    let parsed = reqwest::Url::parse(&text)
        .map_err(|e| Error::Config(format!("base URL {url:?} is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(parsed)
            } else {
                Err(Error::Config(format!(
                    "refusing plain http to {url}: Kinabase is HTTPS only and the token would travel in clear; use https:// (plain http is allowed only for a loopback emulator)"
                )))
            }
        }
        other => Err(Error::Config(format!(
            "base URL {url:?} has scheme {other:?}; use https://"
        ))),
    }
}

/// Counters of what a client (and its clones) did.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    token_requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    limiter_waits: AtomicU64,
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

/// A Kinabase API client. Cheap to clone; clones share one token and one rate budget.
///
/// This client is blocking: do not call it from inside an async runtime's worker threads
/// (use `spawn_blocking`).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    base: reqwest::Url,
    app_id: String,
    secret: Secret,
    token: Mutex<Option<Token>>,
    limiter: Option<Limiter>,
    retry: RetryPolicy,
    stats: Counters,
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

#[derive(Clone)]
struct Token {
    value: Secret,
    /// Renew from this moment on.
    renew_at: Instant,
}

/// The three tolerated forms of the collections listing (contract §2).
enum Listing {
    /// A bare array or `{"collections": [...]}`: everything.
    Complete(Vec<Value>),
    /// A page envelope.
    Page {
        items: Vec<Value>,
        total: Option<u64>,
    },
}

/// Whether a request may be sent again after it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Reads, deletes, updates that set absolute values, `/token`.
    Safe,
    /// Creates: never sent twice once they may have reached the server.
    Once,
}

/// A request before it is sent.
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) repeat: Repeat,
}

impl Call {
    pub(crate) fn new(method: Method, path: String, repeat: Repeat) -> Self {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            repeat,
        }
    }

    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Self> {
        self.body = Some(
            serde_json::to_vec(body)
                .map_err(|e| Error::Config(format!("cannot encode the request body: {e}")))?,
        );
        Ok(self)
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    pub(crate) fn attempted(&self) -> String {
        format!("{} /{}", self.method, self.path)
    }
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
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

    /// The typed handle of a generated collection.
    pub fn collection<C: Collection>(&self) -> CollectionHandle<C> {
        CollectionHandle::new(self.clone(), C::SLUG.to_string())
    }

    /// An untyped handle for a collection that is not in the bindings (id or slug).
    pub fn untyped(&self, collection: &str) -> CollectionHandle<Untyped> {
        CollectionHandle::new(self.clone(), collection.to_string())
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

    /// `GET /status`: checks that the credentials work.
    pub fn status(&self) -> Result<()> {
        self.execute(Call::new(Method::GET, "status".into(), Repeat::Safe))
            .map(|_| ())
    }

    /// Every collection of the account as raw JSON objects, whichever of the three
    /// tolerated forms the listing takes (a bare array, `{"collections": [...]}`, or a
    /// page envelope, whose pages are followed).
    pub fn list_collections(&self) -> Result<Vec<Value>> {
        // The documented call takes no parameters. Only when the answer is a page of a
        // larger listing are pages requested, from the start and 300 at a time.
        let (items, total) = match self.listing(None)? {
            Listing::Complete(items) => return Ok(items),
            Listing::Page { items, total } => (items, total),
        };
        if items.is_empty() || total.is_none_or(|t| items.len() as u64 >= t) {
            return Ok(items);
        }
        let mut out: Vec<Value> = Vec::new();
        for index in 0u64.. {
            match self.listing(Some(index))? {
                Listing::Complete(items) => return Ok(items),
                Listing::Page { items, total } => {
                    let got = items.len();
                    out.extend(items);
                    if got == 0 || total.is_none_or(|t| out.len() as u64 >= t) {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// One answer of `GET /collections`, in whichever form it comes.
    fn listing(&self, page: Option<u64>) -> Result<Listing> {
        let mut call = Call::new(Method::GET, "collections".into(), Repeat::Safe);
        if let Some(index) = page {
            call = call
                .query("pageIndex", index)
                .query("pageSize", crate::handle::MAX_BATCH);
        }
        let attempted = call.attempted();
        let answer = self.execute(call)?;
        let unexpected = |message: &str| Error::Decode {
            attempted: attempted.clone(),
            path: ".".into(),
            message: message.into(),
            excerpt: crate::error::Excerpt::of(&answer.body),
        };
        match decode::<Value>(&attempted, &answer.body, true)? {
            Value::Array(items) => Ok(Listing::Complete(items)),
            Value::Object(mut obj) => {
                if let Some(Value::Array(items)) = obj.remove("collections") {
                    return Ok(Listing::Complete(items));
                }
                match obj.remove("records") {
                    Some(Value::Array(items)) => Ok(Listing::Page {
                        items,
                        total: obj.get("totalRecords").and_then(Value::as_u64),
                    }),
                    _ => Err(unexpected(
                        "expected an array, {\"collections\": [...]} or a page of records",
                    )),
                }
            }
            _ => Err(unexpected("expected a list of collections")),
        }
    }

    /// Sends a call and decodes its JSON answer.
    pub(crate) fn fetch<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let attempted = call.attempted();
        let answer = self.execute(call)?;
        decode(&attempted, &answer.body, true)
    }

    /// Sends a call with auth, the rate budget and the retry policy.
    pub(crate) fn execute(&self, call: Call) -> Result<Answer> {
        let attempted = call.attempted();
        let url = self
            .inner
            .base
            .join(&call.path)
            .map_err(|e| Error::Config(format!("bad path {:?}: {e}", call.path)))?;
        let policy = self.inner.retry;
        let mut renewed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.token()?;
            self.acquire();
            let started = Instant::now();
            let mut req = self
                .inner
                .http
                .request(call.method.clone(), url.clone())
                .bearer_auth(token.value.expose())
                .header(ACCEPT, HeaderValue::from_static("application/json"));
            if !call.query.is_empty() {
                req = req.query(&call.query);
            }
            if let Some(body) = &call.body {
                req = req
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(body.clone());
            }
            self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            // One span per request; status and elapsed are recorded when known.
            let span = tracing::debug_span!("kinabase_request", method = %call.method, path = %call.path, attempt, status = tracing::field::Empty, elapsed_ms = tracing::field::Empty);
            let _entered = span.enter();
            let outcome = req.send().and_then(|r| {
                let status = r.status().as_u16();
                let retry_after = retry_after(&r);
                r.bytes().map(|b| (status, retry_after, b.to_vec()))
            });
            let elapsed = started.elapsed();
            span.record("elapsed_ms", elapsed.as_millis() as u64);
            match outcome {
                Err(e) => {
                    tracing::debug!(error = %e, "kinabase request failed");
                    // A connect error means nothing reached the server: always safe.
                    let unsent = e.is_connect();
                    if (call.repeat == Repeat::Safe || unsent) && attempt < policy.max_attempts {
                        self.backoff(attempt, None);
                        continue;
                    }
                    return Err(Error::Transport {
                        attempted,
                        attempts: attempt,
                        message: error_chain(&e),
                        may_have_reached_server: !unsent && call.repeat == Repeat::Once,
                    });
                }
                Ok((status, retry_after, body)) => {
                    span.record("status", status);
                    tracing::debug!("kinabase request done");
                    match status {
                        200..=299 => return Ok(Answer { status, body }),
                        401 if !renewed => {
                            // The token may have been revoked or expired early: renew once, repeat once.
                            renewed = true;
                            self.invalidate(&token);
                            attempt -= 1;
                            continue;
                        }
                        401 => {
                            return Err(Error::Unauthorized {
                                attempted,
                                message: api_message(&body),
                            });
                        }
                        429 => {
                            self.inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
                            if attempt < policy.max_attempts {
                                self.backoff(attempt, retry_after);
                                continue;
                            }
                            return Err(Error::RateLimited {
                                attempted,
                                attempts: attempt,
                            });
                        }
                        404 if call.method == Method::DELETE && attempt > 1 => {
                            // An earlier attempt of this delete may have succeeded.
                            return Ok(Answer {
                                status: 200,
                                body: Vec::new(),
                            });
                        }
                        404 => {
                            return Err(Error::NotFound {
                                attempted,
                                message: api_message(&body),
                            });
                        }
                        400 | 409 | 413 | 422 => {
                            return Err(Error::Validation {
                                attempted,
                                message: api_message(&body),
                            });
                        }
                        500..=599 => {
                            if call.repeat == Repeat::Safe && attempt < policy.max_attempts {
                                self.backoff(attempt, retry_after);
                                continue;
                            }
                            return Err(Error::Server {
                                attempted,
                                status,
                                message: api_message(&body),
                                attempts: attempt,
                            });
                        }
                        _ => {
                            return Err(Error::Status {
                                attempted,
                                status,
                                message: api_message(&body),
                            });
                        }
                    }
                }
            }
        }
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) {
        self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
        let policy = self.inner.retry;
        let wait = match retry_after {
            Some(d) => d,
            None => {
                let exp = policy
                    .base_delay
                    .saturating_mul(1 << attempt.saturating_sub(1).min(16));
                // Full jitter keeps many clients from retrying in step.
                exp.mul_f64(0.5 + fastrand::f64() * 0.5)
            }
        };
        std::thread::sleep(wait.min(policy.max_delay));
    }

    fn acquire(&self) {
        if let Some(l) = &self.inner.limiter
            && l.acquire()
        {
            self.inner
                .stats
                .limiter_waits
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The current token, fetching or renewing it when needed. The lock is held across
    /// the fetch, so many threads needing a token at once cause one `/token` request.
    fn token(&self) -> Result<Token> {
        let mut slot = lock(&self.inner.token);
        if let Some(t) = slot.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(t.clone());
        }
        let t = self.fetch_token()?;
        *slot = Some(t.clone());
        Ok(t)
    }

    fn invalidate(&self, used: &Token) {
        let mut slot = lock(&self.inner.token);
        if slot.as_ref().is_some_and(|t| t.value == used.value) {
            *slot = None;
        }
    }

    fn fetch_token(&self) -> Result<Token> {
        let url = self
            .inner
            .base
            .join("token")
            .map_err(|e| Error::Config(e.to_string()))?;
        let secret = self.inner.secret.expose();
        // The docs name the secret's key differently on different pages: send both.
        let body = json!({ "appId": self.inner.app_id, "secret": secret, "appSecret": secret });
        let attempted = "POST /token".to_string();
        let policy = self.inner.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.acquire();
            self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            self.inner
                .stats
                .token_requests
                .fetch_add(1, Ordering::Relaxed);
            let issued = Instant::now();
            let outcome = self
                .inner
                .http
                .post(url.clone())
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .json(&body)
                .send()
                .and_then(|r| {
                    let status = r.status().as_u16();
                    let ra = retry_after(&r);
                    r.bytes().map(|b| (status, ra, b.to_vec()))
                });
            match outcome {
                Err(e) if attempt < policy.max_attempts => {
                    tracing::debug!(attempt, error = %e, "token request failed");
                    self.backoff(attempt, None);
                }
                Err(e) => {
                    return Err(Error::Transport {
                        attempted,
                        attempts: attempt,
                        message: error_chain(&e),
                        may_have_reached_server: false,
                    });
                }
                Ok((200..=299, _, body)) => {
                    // Never put a token response into an error excerpt.
                    let value: Value = decode(&attempted, &body, false)?;
                    let Some(token) = value.get("token").and_then(Value::as_str) else {
                        return Err(Error::Decode {
                            attempted,
                            path: "token".into(),
                            message: "no \"token\" in the answer".into(),
                            excerpt: crate::error::Excerpt("(withheld)".into()),
                        });
                    };
                    let renew_at = issued + renew_after(token);
                    tracing::debug!(attempt, "token issued");
                    return Ok(Token {
                        value: Secret::new(token),
                        renew_at,
                    });
                }
                Ok((400 | 401 | 403, _, body)) => {
                    return Err(Error::BadCredentials {
                        message: api_message(&body),
                    });
                }
                Ok((status @ (429 | 500..=599), ra, body)) => {
                    if status == 429 {
                        self.inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    if attempt < policy.max_attempts {
                        self.backoff(attempt, ra);
                    } else if status == 429 {
                        return Err(Error::RateLimited {
                            attempted,
                            attempts: attempt,
                        });
                    } else {
                        return Err(Error::Server {
                            attempted,
                            status,
                            message: api_message(&body),
                            attempts: attempt,
                        });
                    }
                }
                Ok((status, _, body)) => {
                    return Err(Error::Status {
                        attempted,
                        status,
                        message: api_message(&body),
                    });
                }
            }
        }
    }
}

/// How long after issue a token should be renewed: a few minutes before its `exp`
/// (a quarter of its life for short-lived tokens), or 55 minutes when the JWT cannot
/// be decoded (the documented lifetime is one hour).
fn renew_after(token: &str) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let claim = |k: &str| {
        claims
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_f64)
    };
    match claim("exp") {
        Some(exp) if exp > now => {
            let remaining = exp - now;
            // The margin is a quarter of the token's whole life (from `iat` when given, as
            // whole-second claims make `exp - now` up to a second short), at most 5 minutes.
            let life = claim("iat")
                .filter(|iat| *iat < exp)
                .map_or(remaining, |iat| exp - iat);
            let margin = (life / 4.0).min(300.0);
            Duration::from_secs_f64((remaining - margin).max(0.0))
        }
        Some(_) => Duration::ZERO,
        None => Duration::from_secs(55 * 60),
    }
}

fn retry_after(r: &reqwest::blocking::Response) -> Option<Duration> {
    let v = r
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

/// The message of an error body: `{"error"}`, an ASP.NET problem (`title`, `detail`,
/// `errors`), or plain text, bounded.
pub(crate) fn api_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Some(m) = v.get("error").and_then(Value::as_str) {
            return m.to_string();
        }
        let mut parts = Vec::new();
        for key in ["title", "detail", "message"] {
            if let Some(t) = v.get(key).and_then(Value::as_str) {
                parts.push(t.to_string());
            }
        }
        if let Some(errors) = v.get("errors").and_then(Value::as_object) {
            for (field, msgs) in errors {
                let text = match msgs {
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                };
                parts.push(format!("{field}: {text}"));
            }
        }
        if !parts.is_empty() {
            return parts.join(" — ");
        }
    }
    let text = crate::error::Excerpt::of(body).0;
    if text.trim().is_empty() {
        "(no message)".to_string()
    } else {
        text
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A sliding-window limiter shared by a client and its clones.
struct Limiter {
    budget: RateBudget,
    /// A little slack beyond the window, so that network latency never lets the server
    /// see one request too many in its own window.
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    fn new(budget: RateBudget) -> Limiter {
        // A second a minute, and at least a quarter of a second: a request that waited in
        // a queue on the way must not land in the server's next window early.
        let slack = (budget.per / 60).max(Duration::from_millis(250));
        Limiter {
            budget,
            window: budget.per + slack,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits for a slot. Returns whether it had to wait.
    fn acquire(&self) -> bool {
        let mut waited = false;
        loop {
            let wait = {
                let mut sent = lock(&self.sent);
                let now = Instant::now();
                while sent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    sent.pop_front();
                }
                if sent.len() < self.budget.requests.max(1) as usize {
                    sent.push_back(now);
                    return waited;
                }
                match sent.front() {
                    Some(oldest) => self.window.saturating_sub(now.duration_since(*oldest)),
                    None => Duration::ZERO,
                }
            };
            waited = true;
            std::thread::sleep(wait.max(Duration::from_millis(1)));
        }
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

    #[test]
    fn renew_before_exp() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let payload = URL_SAFE_NO_PAD.encode(format!("{{\"exp\":{}}}", now + 3600));
        let d = renew_after(&format!("h.{payload}.s"));
        assert!(
            d > Duration::from_secs(3200) && d < Duration::from_secs(3300),
            "{d:?}"
        );
        assert_eq!(renew_after("opaque-token"), Duration::from_secs(55 * 60));
    }

    #[test]
    fn error_bodies_in_every_tolerated_form() {
        assert_eq!(api_message(br#"{"error": "bad key"}"#), "bad key");
        let problem = api_message(br#"{"title": "One or more validation errors occurred.", "errors": {"data.Name": ["does not exist"]}}"#);
        assert!(
            problem.contains("validation errors") && problem.contains("data.Name: does not exist"),
            "{problem}"
        );
        assert_eq!(api_message(b"Service Unavailable"), "Service Unavailable");
        assert_eq!(api_message(b""), "(no message)");
    }

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
