//! The async client (feature `async`): reqwest's async client and tokio's timer carrying
//! out the same request protocol (`exchange.rs`) as the blocking client.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::call::Call;
use crate::config::{ClientBuilder, http_settings};
use crate::error::{Error, Result, decode};
use crate::exchange::Stats;
use crate::exchange::{Action, Core};
use crate::reply::{Answer, Lost, Reply, capped, check_declared, lost, lost_body};
use crate::retry::Repeat;
use crate::retry::retry_after;
use crate::sync::lock;
use crate::token::Token;

/// An async Kinabase API client for tokio. Cheap to clone; clones share one token and
/// one rate budget. It behaves as [`Client`](crate::Client) does (one `/token` request for
/// many tasks, the client-side rate budget, `429`s waited out, the same retry decisions
/// and exactly-once creates), over the same generated types.
#[derive(Clone)]
pub struct AsyncClient {
    pub(crate) inner: Arc<AsyncInner>,
}

pub(crate) struct AsyncInner {
    http: reqwest::Client,
    token: AsyncTokenCache,
    pub(crate) core: Core,
}

impl fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("base_url", &self.inner.core.base.as_str())
            .field("app_id", &self.inner.core.app_id)
            .field("app_secret", &self.inner.core.secret)
            .finish_non_exhaustive()
    }
}

/// The async client's token cache: single-flight through an async lock that only the
/// fetcher holds while fetching (other tasks wait for it without blocking a thread); the
/// cached token itself sits behind a plain lock that is never held across an `.await`.
#[derive(Default)]
struct AsyncTokenCache {
    token: Mutex<Option<Token>>,
    fetch: tokio::sync::Mutex<()>,
}

impl AsyncTokenCache {
    fn fresh(&self) -> Option<Token> {
        lock(&self.token)
            .as_ref()
            .filter(|t| Instant::now() < t.renew_at)
            .cloned()
    }

    fn invalidate(&self, used: &Token) {
        let mut token = lock(&self.token);
        if token.as_ref().is_some_and(|t| t.value == used.value) {
            *token = None;
        }
    }
}

impl ClientBuilder {
    /// Checks the configuration and builds an [`AsyncClient`] (feature `async`). No
    /// request is made yet. A reqwest client given with
    /// [`http_client`](Self::http_client) is a blocking one and is not used here.
    pub fn build_async(self) -> Result<AsyncClient> {
        let (base, app_id, secret) = self.checked()?;
        let s = http_settings(&self, &base);
        let mut b = reqwest::Client::builder()
            .timeout(s.timeout)
            .connect_timeout(s.connect_timeout)
            .user_agent(s.user_agent)
            .redirect(s.redirect);
        if s.loopback {
            b = b.no_proxy();
        }
        let http = b
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(AsyncClient {
            inner: Arc::new(AsyncInner {
                http,
                token: AsyncTokenCache::default(),
                core: Core::new(&self, base, app_id, secret),
            }),
        })
    }
}

impl AsyncClient {
    /// A builder (the same as [`Client::builder`](crate::Client::builder)); finish it
    /// with [`ClientBuilder::build_async`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `KINABASE_APP_ID`, `KINABASE_APP_SECRET` and (optionally)
    /// `KINABASE_BASE_URL`.
    pub fn from_env() -> Result<AsyncClient> {
        ClientBuilder::from_env().build_async()
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.core.base.as_str()
    }

    /// What this client and its clones have done so far.
    pub fn stats(&self) -> Stats {
        self.inner.core.stats.snapshot()
    }

    /// `GET /status`: checks that the credentials work.
    pub async fn status(&self) -> Result<()> {
        self.execute(Call::new(Method::GET, &["status"], Repeat::Safe)?)
            .await
            .map(|_| ())
    }

    /// Every collection of the account as raw JSON objects, in any tolerated listing
    /// form (see [`Client::list_collections`](crate::Client::list_collections)).
    pub async fn list_collections(&self) -> Result<Vec<serde_json::Value>> {
        use crate::listing::{Collector, Step, listing_call, parse};
        let mut collector = Collector::new(self.inner.core.max_pages);
        let mut step = collector.start();
        loop {
            step = match step {
                Step::Fetch(page) => {
                    let call = listing_call(page)?;
                    let attempted = call.attempted();
                    let answer = self.execute(call).await?;
                    collector.arrived(parse(&attempted, &answer.body)?)
                }
                Step::Done(result) => return result,
            };
        }
    }

    /// The schema guard (see [`Client::verify_schema`](crate::Client::verify_schema)).
    pub async fn verify_schema(
        &self,
        expected: &crate::ExpectedSchema,
    ) -> Result<crate::SchemaReport> {
        let expected = expected.collections()?;
        Ok(crate::verify::compare(
            expected,
            &self.list_collections().await?,
        ))
    }

    /// Sends a call and decodes its JSON answer.
    pub(crate) async fn fetch<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let attempted = call.attempted();
        let write = call.is_write();
        let answer = self.execute(call).await?;
        decode(&attempted, &answer.body, true).map_err(|e| if write { e.applied() } else { e })
    }

    /// Sends a call: carries out the actions of the shared request protocol.
    pub(crate) async fn execute(&self, call: Call) -> Result<Answer> {
        self.send(&call, &mut None).await
    }

    /// [`execute`](Self::execute) for a streamed call (`Call::stream`): a `2xx` answer's
    /// body comes back unread.
    pub(crate) async fn execute_streamed(
        &self,
        call: Call,
    ) -> Result<(Answer, Option<reqwest::Response>)> {
        let mut streamed = None;
        let answer = self.send(&call, &mut streamed).await?;
        Ok((answer, streamed))
    }

    /// Carries out the actions of the shared request protocol. A streamed `2xx` leaves its
    /// unread body in `streamed` (a `2xx` always ends the exchange).
    async fn send(&self, call: &Call, streamed: &mut Option<reqwest::Response>) -> Result<Answer> {
        let core = &self.inner.core;
        let url = core.url(call)?;
        let mut exchange = crate::exchange::Exchange::new(core, call);
        let mut action = exchange.start();
        loop {
            action = match action {
                Action::Token => exchange.token(self.token().await),
                Action::Renew(used) => {
                    self.inner.token.invalidate(&used);
                    exchange.token(self.token().await)
                }
                Action::Sleep(d) => {
                    tokio::time::sleep(d).await;
                    exchange.resume()
                }
                Action::Send(token) => {
                    let reply = self.attempt(call, &url, token.as_ref(), streamed).await;
                    exchange.reply(reply)
                }
                Action::Done(result) => return result,
            };
        }
    }

    /// One attempt: reqwest's deadline covers connect, send and the whole body; the body
    /// is read chunk by chunk and never past the size cap.
    async fn attempt(
        &self,
        call: &Call,
        url: &reqwest::Url,
        token: Option<&Token>,
        streamed: &mut Option<reqwest::Response>,
    ) -> std::result::Result<Reply, Lost> {
        let core = &self.inner.core;
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), url.clone())
            .timeout(core.timeout)
            .headers(call.headers(token));
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        if let Some(body) = &call.body {
            req = req.body(body.clone());
        }
        let mut resp = req.send().await.map_err(lost)?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        if call.stream && (200..300).contains(&status) {
            // Read by the caller as it goes; the size cap then applies per item.
            *streamed = Some(resp);
            return Ok(Reply {
                status,
                retry_after,
                body: Vec::new(),
            });
        }
        let declared = resp.content_length();
        check_declared(core.max_response_bytes, status, declared)?;
        // Read to one byte past the cap at most; `capped` decides what that means.
        let cap = core.max_response_bytes.saturating_add(1);
        let capacity = declared.map_or(8 * 1024, |n| n.min(cap as u64) as usize);
        let mut body = Vec::with_capacity(capacity);
        while let Some(chunk) = resp.chunk().await.map_err(lost_body)? {
            let room = cap - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() == cap {
                break;
            }
        }
        Ok(Reply {
            status,
            retry_after,
            body: capped(core.max_response_bytes, status, body)?,
        })
    }

    /// The current token: the cached one, or one fetched by a single task while the
    /// others wait for it.
    async fn token(&self) -> Result<Token> {
        let cache = &self.inner.token;
        if let Some(t) = cache.fresh() {
            return Ok(t);
        }
        let _fetching = cache.fetch.lock().await;
        // Another task may have fetched one while this one waited.
        if let Some(t) = cache.fresh() {
            return Ok(t);
        }
        let token = self.fetch_token().await?;
        *lock(&cache.token) = Some(token.clone());
        Ok(token)
    }

    async fn fetch_token(&self) -> Result<Token> {
        let core = &self.inner.core;
        let call = core.token_call()?;
        let issued = Instant::now();
        let answer = self.execute_token(&call).await?;
        core.token_from(&call, &answer, issued)
    }

    /// [`execute`](Self::execute) for `/token`, which never asks for a token (a separate
    /// driver, so that fetching a token does not recurse into `token()`).
    async fn execute_token(&self, call: &Call) -> Result<Answer> {
        let core = &self.inner.core;
        let url = core.url(call)?;
        let mut exchange = crate::exchange::Exchange::new(core, call);
        let mut action = exchange.start();
        loop {
            action = match action {
                Action::Sleep(d) => {
                    tokio::time::sleep(d).await;
                    exchange.resume()
                }
                Action::Send(_) => {
                    let reply = self.attempt(call, &url, None, &mut None).await;
                    exchange.reply(reply)
                }
                Action::Done(result) => return result,
                // A token call never asks for a token.
                Action::Token | Action::Renew(_) => {
                    return Err(Error::Config("internal: /token asked for a token".into()));
                }
            };
        }
    }
}
