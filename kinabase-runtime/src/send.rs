//! The one send loop: token, rate budget, the attempt itself (deadline, size cap), and the
//! retry decision of `retry.rs`, for data and `/token` requests alike.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::client::{Client, Counters};
use crate::config::{Wait, WaitReason};
use crate::error::{BoxError, Error, Excerpt, Result, api_message, decode};
use crate::retry::{Decision, Outcome, Repeat, decide, parse_retry_after};
use crate::sync::off_runtime;
use crate::token::Token;

/// A request before it is sent.
pub(crate) struct Call {
    pub(crate) method: Method,
    /// Relative to the base URL; every segment percent-encoded.
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) repeat: Repeat,
    /// `/token`: sent without a bearer token; its answer and errors are never quoted.
    token: bool,
    /// A `2xx` body is handed over unread, as a stream (`/all`); other answers are read.
    pub(crate) stream: bool,
}

impl Call {
    /// A call to the path made of `segments`, each percent-encoded. A segment that a URL
    /// cannot carry (empty, `.` or `..`: URL parsers remove dot segments even when
    /// percent-encoded) is refused here, before anything is sent.
    pub(crate) fn new(method: Method, segments: &[&str], repeat: Repeat) -> Result<Self> {
        let mut path = String::new();
        for (i, s) in segments.iter().enumerate() {
            if s.is_empty() || *s == "." || *s == ".." {
                return Err(Error::Config(format!(
                    "{s:?} cannot be used as a record id, external id, service or collection in a URL path (it would address a different resource); pass the real id"
                )));
            }
            if i > 0 {
                path.push('/');
            }
            encode_into(&mut path, s);
        }
        Ok(Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            repeat,
            token: false,
            stream: false,
        })
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

    /// What was attempted, for errors: `GET /collections/jobs`.
    pub(crate) fn attempted(&self) -> String {
        format!("{} /{}", self.method, self.path)
    }

    fn is_write(&self) -> bool {
        self.method != Method::GET
    }
}

/// Percent-encodes one path segment: only unreserved characters stay as they are.
fn encode_into(out: &mut String, segment: &str) {
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// The unread body of a streamed call (`Call::stream`).
    pub(crate) stream: Option<reqwest::blocking::Response>,
}

/// One attempt that produced no usable answer.
struct Lost {
    outcome: Outcome,
    message: String,
    source: Option<BoxError>,
}

/// A complete answer to one attempt.
struct Reply {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    stream: Option<reqwest::blocking::Response>,
}

impl Client {
    /// Sends a call and decodes its JSON answer.
    pub(crate) fn fetch<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let attempted = call.attempted();
        let write = call.is_write();
        let answer = self.execute(call)?;
        decode(&attempted, &answer.body, true).map_err(|e| if write { e.applied() } else { e })
    }

    /// Sends a call: token, rate budget, retries; off the async runtime if there is one.
    pub(crate) fn execute(&self, call: Call) -> Result<Answer> {
        off_runtime(|| self.send(&call))
    }

    fn send(&self, call: &Call) -> Result<Answer> {
        let attempted = call.attempted();
        let url = self.url(call)?;
        let policy = self.inner.retry;
        let mut renewed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = if call.token {
                None
            } else {
                Some(self.token()?)
            };
            self.wait_for_budget(&attempted);
            let stats = &self.inner.stats;
            Counters::bump(&stats.requests);
            if call.token {
                Counters::bump(&stats.token_requests);
            }
            // One span per request; status and elapsed are recorded when known.
            let span = tracing::debug_span!("kinabase_request", method = %call.method, path = %call.path, attempt, status = tracing::field::Empty, elapsed_ms = tracing::field::Empty);
            let _entered = span.enter();
            let started = Instant::now();
            let result = self.attempt(call, &url, token.as_ref());
            span.record("elapsed_ms", started.elapsed().as_millis() as u64);
            let (outcome, retry_after) = match &result {
                Ok(reply) => {
                    span.record("status", reply.status);
                    tracing::debug!("kinabase request done");
                    (Outcome::Status(reply.status), reply.retry_after)
                }
                Err(lost) => {
                    tracing::debug!(error = %lost.message, "kinabase request failed");
                    (lost.outcome, None)
                }
            };
            if outcome == Outcome::Status(401)
                && let Some(t) = &token
                && !renewed
            {
                // The token may have been revoked or expired early: renew once, repeat once.
                renewed = true;
                self.inner.token.invalidate(t);
                attempt -= 1;
                continue;
            }
            if outcome == Outcome::Status(429) {
                Counters::bump(&stats.throttled);
            }
            let decision = decide(
                outcome,
                attempt,
                call.repeat,
                retry_after,
                &policy,
                fastrand::f64(),
            );
            let failed = match (decision, result) {
                (Decision::RetryAfter(wait), _) => {
                    Counters::bump(&stats.retries);
                    let reason = if outcome == Outcome::Status(429) {
                        WaitReason::RateLimited
                    } else {
                        WaitReason::Backoff
                    };
                    self.pause(&attempted, reason, wait);
                    continue;
                }
                (_, Ok(reply)) => self.answer(call, &attempted, attempt, reply),
                (_, Err(lost)) => Err(Error::Transport {
                    attempted: attempted.clone(),
                    attempts: attempt,
                    message: lost.message,
                    may_have_reached_server: lost.outcome != Outcome::Unsent && call.is_write(),
                    source: lost.source,
                }),
            };
            return failed.map_err(|e| self.redact(e, token.as_ref()));
        }
    }

    /// Turns a final answer into the result the caller gets.
    fn answer(&self, call: &Call, attempted: &str, attempts: u32, reply: Reply) -> Result<Answer> {
        let attempted = attempted.to_string();
        let status = reply.status;
        let message = || api_message(&reply.body);
        Err(match status {
            200..=299 => {
                return Ok(Answer {
                    status,
                    body: reply.body,
                    stream: reply.stream,
                });
            }
            // An earlier attempt of this delete may have succeeded.
            404 if call.method == Method::DELETE && attempts > 1 => {
                return Ok(Answer {
                    status: 200,
                    body: Vec::new(),
                    stream: None,
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

    /// One attempt: the deadline covers connect, send and the whole body; the body is
    /// read once, into one buffer, and never past the size cap.
    fn attempt(
        &self,
        call: &Call,
        url: &reqwest::Url,
        token: Option<&Token>,
    ) -> Result<Reply, Lost> {
        let inner = &self.inner;
        let deadline = inner.timeout;
        let mut req = inner
            .http
            .request(call.method.clone(), url.clone())
            .timeout(deadline)
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(t) = token {
            req = req.bearer_auth(t.value.expose());
        }
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        let lost = |e: reqwest::Error| Lost {
            outcome: if e.is_connect() {
                Outcome::Unsent
            } else {
                Outcome::Lost
            },
            message: error_chain(&e),
            source: Some(Box::new(e)),
        };
        let resp = req.send().map_err(lost)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if call.stream && (200..300).contains(&status) {
            // Read by the caller as it goes; the size cap then applies per item.
            return Ok(Reply {
                status,
                retry_after,
                body: Vec::new(),
                stream: Some(resp),
            });
        }
        let cap = inner.max_response_bytes;
        let too_large = || Lost {
            // A complete answer that is too large: repeating it would not help.
            outcome: Outcome::Status(status),
            message: format!(
                "the answer (status {status}) is larger than the {cap}-byte limit; raise ClientBuilder::max_response_bytes if it is expected"
            ),
            source: None,
        };
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > cap as u64) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
        resp.take(cap as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| Lost {
                outcome: Outcome::Lost,
                message: format!("reading the answer: {}", error_chain(&e)),
                source: Some(Box::new(e)),
            })?;
        if body.len() > cap {
            return Err(too_large());
        }
        Ok(Reply {
            status,
            retry_after,
            body,
            stream: None,
        })
    }

    /// The absolute URL of a call, checked to be exactly the base plus its path.
    fn url(&self, call: &Call) -> Result<reqwest::Url> {
        let base = &self.inner.base;
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
        let mut secrets = vec![self.inner.secret.expose()];
        if let Some(t) = token {
            secrets.push(t.value.expose());
        }
        e.redact(&secrets)
    }

    fn wait_for_budget(&self, attempted: &str) {
        let Some(limiter) = &self.inner.limiter else {
            return;
        };
        let mut waited = false;
        while let Some(wait) = limiter.reserve(Instant::now()) {
            if !waited {
                Counters::bump(&self.inner.stats.limiter_waits);
                waited = true;
            }
            self.pause(attempted, WaitReason::Budget, wait);
        }
    }

    /// Sleeps, telling the log and the hook about waits of a second or more.
    fn pause(&self, attempted: &str, reason: WaitReason, duration: Duration) {
        if duration >= Duration::from_secs(1) {
            tracing::info!(
                attempted,
                ?reason,
                wait_ms = duration.as_millis() as u64,
                "kinabase: waiting"
            );
            if let Some(hook) = &self.inner.on_wait {
                (hook.0)(&Wait {
                    attempted: attempted.to_string(),
                    reason,
                    duration,
                });
            }
        }
        std::thread::sleep(duration);
    }

    /// The current token, fetched or renewed when needed (one fetch for many threads).
    fn token(&self) -> Result<Token> {
        self.inner.token.get(|| self.fetch_token())
    }

    fn fetch_token(&self) -> Result<Token> {
        let secret = self.inner.secret.expose();
        // The docs name the secret's key differently on different pages: send both.
        let body = json!({ "appId": self.inner.app_id, "secret": secret, "appSecret": secret });
        let mut call = Call::new(Method::POST, &["token"], Repeat::Safe)?.json(&body)?;
        call.token = true;
        let attempted = call.attempted();
        let issued = Instant::now();
        let answer = self.send(&call)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_and_dot_segments_refused() {
        let c = Call::new(
            Method::GET,
            &["collections", "a b/c?d#e%", "x.y"],
            Repeat::Safe,
        )
        .unwrap();
        assert_eq!(c.path, "collections/a%20b%2Fc%3Fd%23e%25/x.y");
        for bad in [".", "..", ""] {
            let e = Call::new(Method::DELETE, &["collections", "jobs", bad], Repeat::Safe)
                .err()
                .unwrap();
            assert!(e.to_string().contains("URL path"), "{e}");
        }
    }
}
