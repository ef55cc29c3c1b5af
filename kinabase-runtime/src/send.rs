//! The blocking client's driver of the shared request protocol (`exchange.rs`): the
//! attempt itself (deadline, size cap) with blocking I/O.

use std::io::Read;
use std::time::Instant;

use serde::de::DeserializeOwned;

use crate::call::Call;
use crate::client::Client;
use crate::error::{Result, decode};
use crate::exchange::{Action, Exchange};
use crate::reply::{Answer, Lost, Reply, capped, check_declared, lost, lost_body};
use crate::retry::retry_after;
use crate::sync::off_runtime;
use crate::token::Token;

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
        off_runtime(|| self.send(&call, &mut None))
    }

    /// [`execute`](Self::execute) for a streamed call (`Call::stream`): a `2xx` answer's
    /// body comes back unread.
    pub(crate) fn execute_streamed(
        &self,
        call: Call,
    ) -> Result<(Answer, Option<reqwest::blocking::Response>)> {
        off_runtime(|| {
            let mut streamed = None;
            let answer = self.send(&call, &mut streamed)?;
            Ok((answer, streamed))
        })
    }

    /// Carries out the actions of the shared [`Exchange`] with blocking I/O. A streamed
    /// `2xx` leaves its unread body in `streamed` (a `2xx` always ends the exchange).
    fn send(
        &self,
        call: &Call,
        streamed: &mut Option<reqwest::blocking::Response>,
    ) -> Result<Answer> {
        let url = self.inner.url(call)?;
        let mut exchange = Exchange::new(&self.inner, call);
        let mut action = exchange.start();
        loop {
            action = match action {
                Action::Token => exchange.token(self.token()),
                Action::Renew(used) => {
                    self.inner.token.invalidate(&used);
                    exchange.token(self.token())
                }
                Action::Sleep(d) => {
                    std::thread::sleep(d);
                    exchange.resume()
                }
                Action::Send(token) => {
                    exchange.reply(self.attempt(call, &url, token.as_ref(), streamed))
                }
                Action::Done(result) => return result,
            };
        }
    }

    /// One attempt: the deadline covers connect, send and the whole body; the body is
    /// read once, into one buffer, and never past the size cap.
    fn attempt(
        &self,
        call: &Call,
        url: &reqwest::Url,
        token: Option<&Token>,
        streamed: &mut Option<reqwest::blocking::Response>,
    ) -> Result<Reply, Lost> {
        let inner = &self.inner;
        let mut req = inner
            .http
            .request(call.method.clone(), url.clone())
            .timeout(inner.timeout)
            .headers(call.headers(token));
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        if let Some(body) = &call.body {
            req = req.body(body.clone());
        }
        let resp = req.send().map_err(lost)?;
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
        check_declared(inner.max_response_bytes, status, declared)?;
        let cap = (inner.max_response_bytes as u64).saturating_add(1);
        let mut body = Vec::with_capacity(declared.map_or(8 * 1024, |n| n.min(cap)) as usize);
        resp.take(cap).read_to_end(&mut body).map_err(lost_body)?;
        Ok(Reply {
            status,
            retry_after,
            body: capped(inner.max_response_bytes, status, body)?,
        })
    }

    /// The current token, fetched or renewed when needed (one fetch for many threads).
    fn token(&self) -> Result<Token> {
        self.inner.token.get(|| self.fetch_token())
    }

    fn fetch_token(&self) -> Result<Token> {
        let call = self.inner.token_call()?;
        let issued = Instant::now();
        let answer = self.send(&call, &mut None)?;
        self.inner.token_from(&call, &answer, issued)
    }
}
