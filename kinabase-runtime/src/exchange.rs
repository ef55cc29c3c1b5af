//! The request protocol without I/O: what the blocking and the async client share. One
//! [`Exchange`] per request says what to do next (get a token, sleep, send, finish); the
//! two clients only carry out the actions with their own HTTP stack, sleep and token
//! cache, so token renewal, the rate budget, the retry decision and the mapping of
//! answers to errors exist once.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::call::Call;
use crate::config::{ClientBuilder, RetryPolicy, Wait, WaitHook, WaitReason};
use crate::error::{Error, Excerpt, Result, api_message, decode};
use crate::limiter::Limiter;
use crate::reply::{Answer, Lost, Reply};
use crate::retry::{Decision, Outcome, Repeat, decide};
use crate::secret::Secret;
use crate::token::Token;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a client and its clones share besides the HTTP stack and the token cache: the
/// configuration, the rate budget and the counters.
pub(crate) struct Core {
    pub(crate) base: reqwest::Url,
    pub(crate) app_id: String,
    pub(crate) secret: Secret,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) max_pages: usize,
    pub(crate) on_wait: Option<WaitHook>,
    pub(crate) stats: Counters,
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

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            token_requests: self.token_requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            limiter_waits: self.limiter_waits.load(Ordering::Relaxed),
        }
    }
}

/// What the client must do next for a request.
pub(crate) enum Action {
    /// Get a token (cached or fetched) and report it with [`Exchange::token`].
    Token,
    /// The server refused this token: drop it from the cache, then get a token.
    Renew(Token),
    /// Sleep this long, then call [`Exchange::resume`].
    Sleep(Duration),
    /// Send one attempt (with this bearer token) and report it with [`Exchange::reply`].
    Send(Option<Token>),
    /// The request is over.
    Done(Result<Answer>),
}

/// One request's progress through tokens, budget, attempts and retries.
pub(crate) struct Exchange<'a> {
    core: &'a Core,
    call: &'a Call,
    attempted: String,
    attempt: u32,
    renewed: bool,
    token: Option<Token>,
    /// Set while waiting for the rate budget (a wait for it is counted once).
    budget_waited: bool,
    /// An earlier attempt may have been carried out by the server (its connection was
    /// lost after sending, or it got a `5xx`); a `429` or a refused connection was not.
    earlier_may_have_applied: bool,
    started: Instant,
}

impl<'a> Exchange<'a> {
    pub(crate) fn new(core: &'a Core, call: &'a Call) -> Self {
        Exchange {
            core,
            call,
            attempted: call.attempted(),
            attempt: 0,
            renewed: false,
            token: None,
            budget_waited: false,
            earlier_may_have_applied: false,
            started: Instant::now(),
        }
    }

    /// The first action.
    pub(crate) fn start(&mut self) -> Action {
        self.next_attempt()
    }

    fn next_attempt(&mut self) -> Action {
        self.attempt += 1;
        self.budget_waited = false;
        if self.call.token {
            self.token = None;
            self.budget()
        } else {
            Action::Token
        }
    }

    /// The token to use (or why there is none).
    pub(crate) fn token(&mut self, token: Result<Token>) -> Action {
        match token {
            Ok(t) => {
                self.token = Some(t);
                self.budget()
            }
            Err(e) => Action::Done(Err(e)),
        }
    }

    /// A sleep is over.
    pub(crate) fn resume(&mut self) -> Action {
        if self.budget_waited {
            self.budget()
        } else {
            self.next_attempt()
        }
    }

    fn budget(&mut self) -> Action {
        if let Some(limiter) = &self.core.limiter
            && let Some(wait) = limiter.reserve(Instant::now())
        {
            if !self.budget_waited {
                Counters::bump(&self.core.stats.limiter_waits);
                self.budget_waited = true;
            }
            self.core.notice(&self.attempted, WaitReason::Budget, wait);
            return Action::Sleep(wait);
        }
        self.budget_waited = false;
        let stats = &self.core.stats;
        Counters::bump(&stats.requests);
        if self.call.token {
            Counters::bump(&stats.token_requests);
        }
        self.started = Instant::now();
        Action::Send(self.token.clone())
    }

    /// The result of one attempt.
    pub(crate) fn reply(&mut self, result: std::result::Result<Reply, Lost>) -> Action {
        let (method, path, attempt) = (&self.call.method, &self.call.path, self.attempt);
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        let (outcome, retry_after) = match &result {
            Ok(reply) => {
                tracing::debug!(%method, %path, attempt, status = reply.status, elapsed_ms, "kinabase_request done");
                (Outcome::Status(reply.status), reply.retry_after)
            }
            Err(lost) => {
                tracing::debug!(%method, %path, attempt, elapsed_ms, error = %lost.message, "kinabase_request failed");
                (lost.outcome, None)
            }
        };
        if outcome == Outcome::Status(401)
            && !self.renewed
            && let Some(t) = self.token.clone()
        {
            // The token may have been revoked or expired early: renew once, repeat once.
            self.renewed = true;
            self.budget_waited = false;
            return Action::Renew(t);
        }
        let stats = &self.core.stats;
        if outcome == Outcome::Status(429) {
            Counters::bump(&stats.throttled);
        }
        let policy = self.core.retry;
        let decision = decide(
            outcome,
            attempt,
            self.call.repeat,
            retry_after,
            &policy,
            fastrand::f64(),
        );
        let result = match (decision, result) {
            (Decision::RetryAfter(wait), _) => {
                Counters::bump(&stats.retries);
                self.earlier_may_have_applied |=
                    matches!(outcome, Outcome::Lost | Outcome::Status(500..=599));
                let reason = if outcome == Outcome::Status(429) {
                    WaitReason::RateLimited
                } else {
                    WaitReason::Backoff
                };
                self.core.notice(&self.attempted, reason, wait);
                return Action::Sleep(wait);
            }
            (_, Ok(reply)) => {
                let earlier = self.earlier_may_have_applied;
                self.core
                    .answer(self.call, &self.attempted, attempt, earlier, reply)
            }
            (
                _,
                Err(Lost {
                    outcome: Outcome::Status(status),
                    too_large: Some(limit),
                    ..
                }),
            ) => Err(Error::TooLarge {
                attempted: self.attempted.clone(),
                status,
                limit,
                record: None,
                page: self.call.records_page,
                may_have_been_applied: self.call.is_write(),
            }),
            (_, Err(lost)) => Err(Error::Transport {
                attempted: self.attempted.clone(),
                attempts: attempt,
                message: lost.message,
                may_have_reached_server: lost.outcome != Outcome::Unsent && self.call.is_write(),
                source: lost.source,
            }),
        };
        Action::Done(result.map_err(|e| self.core.redact(e, self.token.as_ref())))
    }
}

impl Core {
    pub(crate) fn new(
        b: &ClientBuilder,
        base: reqwest::Url,
        app_id: String,
        secret: Secret,
    ) -> Core {
        Core {
            base,
            app_id,
            secret,
            limiter: b.budget.map(Limiter::new),
            retry: b.retry,
            timeout: b.timeout,
            max_response_bytes: b.max_response_bytes,
            max_pages: b.max_pages,
            on_wait: b.on_wait.clone(),
            stats: Counters::default(),
        }
    }

    /// Tells the log and the hook about waits of a second or more.
    pub(crate) fn notice(&self, attempted: &str, reason: WaitReason, duration: Duration) {
        if duration >= Duration::from_secs(1) {
            tracing::info!(
                attempted,
                ?reason,
                wait_ms = duration.as_millis() as u64,
                "kinabase: waiting"
            );
            if let Some(hook) = &self.on_wait {
                (hook.0)(&Wait {
                    attempted: attempted.to_string(),
                    reason,
                    duration,
                });
            }
        }
    }

    /// Turns a final answer into the result the caller gets; `earlier` says whether an
    /// earlier attempt may have been carried out.
    fn answer(
        &self,
        call: &Call,
        attempted: &str,
        attempts: u32,
        earlier: bool,
        reply: Reply,
    ) -> Result<Answer> {
        let attempted = attempted.to_string();
        let status = reply.status;
        let message = || api_message(&reply.body);
        Err(match status {
            200..=299 => {
                return Ok(Answer {
                    status,
                    body: reply.body,
                });
            }
            // An earlier attempt of this delete may have succeeded (not after a `429`,
            // which the server refused).
            404 if call.method == Method::DELETE && earlier => {
                return Ok(Answer {
                    status: 200,
                    body: Vec::new(),
                });
            }
            400 | 401 | 403 if call.token => Error::BadCredentials { message: message() },
            401 => Error::Unauthorized {
                attempted,
                message: message(),
            },
            404 => Error::NotFound {
                attempted,
                message: message(),
            },
            400 | 409 | 413 | 422 => Error::Validation {
                attempted,
                message: message(),
            },
            429 => Error::RateLimited {
                attempted,
                attempts,
            },
            500..=599 => Error::Server {
                attempted,
                status,
                message: message(),
                attempts,
                may_have_been_applied: call.is_write(),
            },
            _ => Error::Status {
                attempted,
                status,
                message: if (300..400).contains(&status) {
                    "a redirect the client does not follow (to another host, or for /token); check the base URL".into()
                } else {
                    message()
                },
            },
        })
    }

    /// The absolute URL of a call, checked to be exactly the base plus its path.
    pub(crate) fn url(&self, call: &Call) -> Result<reqwest::Url> {
        let base = &self.base;
        let url = base
            .join(&call.path)
            .map_err(|e| Error::Config(format!("bad path {:?}: {e}", call.path)))?;
        if url.path() != format!("{}{}", base.path(), call.path) {
            return Err(Error::Config(format!(
                "path {:?} does not stay under the base URL; pass real ids",
                call.path
            )));
        }
        Ok(url)
    }

    fn redact(&self, e: Error, token: Option<&Token>) -> Error {
        let mut secrets = vec![self.secret.expose()];
        if let Some(t) = token {
            secrets.push(t.value.expose());
        }
        e.redact(&secrets)
    }

    /// The `POST /token` call. The docs name the secret's key differently on different
    /// pages: both are sent.
    pub(crate) fn token_call(&self) -> Result<Call> {
        let secret = self.secret.expose();
        let body = json!({ "appId": self.app_id, "secret": secret, "appSecret": secret });
        let mut call = Call::new(Method::POST, &["token"], Repeat::Safe)?.json(&body)?;
        call.token = true;
        Ok(call)
    }

    /// The token in an answer to [`token_call`](Self::token_call) sent at `issued`.
    pub(crate) fn token_from(
        &self,
        call: &Call,
        answer: &Answer,
        issued: Instant,
    ) -> Result<Token> {
        let attempted = call.attempted();
        // Never put a token response into an error excerpt.
        let value: Value = decode(&attempted, &answer.body, false)?;
        let Some(token) = value.get("token").and_then(Value::as_str) else {
            return Err(Error::Decode {
                attempted,
                path: "token".into(),
                message: "no \"token\" in the answer".into(),
                excerpt: Excerpt("(withheld)".into()),
                applied: false,
            });
        };
        tracing::debug!("token issued");
        Token::issued(token, issued)
    }
}
