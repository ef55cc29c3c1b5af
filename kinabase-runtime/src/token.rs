//! The token lifecycle: a single-flight cache that never holds its lock while a token is
//! fetched, the renewal time from the JWT, and the checks a token must pass to be kept.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::config::TOKEN_LIFETIME;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::sync::lock;

/// A bearer token and when to renew it.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) value: Secret,
    /// Renew from this moment on.
    pub(crate) renew_at: Instant,
}

impl Token {
    /// Checks a token the service issued at `issued` and works out its renewal time.
    /// A token that could not go into a header (control characters, non-ASCII, empty,
    /// over 16 KiB) is an error, not something to cache.
    pub(crate) fn issued(value: &str, issued: Instant) -> Result<Token> {
        let ok = !value.is_empty()
            && value.len() <= 16 * 1024
            && value.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Error::Decode {
                attempted: "POST /token".into(),
                path: "token".into(),
                message: "the token is empty, too long, or holds characters a header cannot carry (only visible ASCII is allowed); the service answered something that is not a token".into(),
                excerpt: crate::error::Excerpt("(withheld)".into()),
                applied: false,
            });
        }
        let renew_at = issued.checked_add(renew_after(value)).unwrap_or(issued);
        Ok(Token {
            value: Secret::new(value),
            renew_at,
        })
    }
}

/// The cached token of a client and its clones.
///
/// Many threads asking at once cause one fetch: the first becomes the fetcher, the others
/// wait on a condition variable. The lock itself is held only to look at or change the
/// state, never across the fetch (its backoff sleeps and limiter waits included).
#[derive(Default)]
pub(crate) struct TokenCache {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    fetching: bool,
}

/// Clears the `fetching` flag however the fetch ends (error or panic included).
struct Fetching<'a>(&'a TokenCache);

impl Drop for Fetching<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).fetching = false;
        self.0.changed.notify_all();
    }
}

impl TokenCache {
    /// A fresh token: the cached one, or one from `fetch` (run by one thread at a time).
    pub(crate) fn get(&self, fetch: impl FnOnce() -> Result<Token>) -> Result<Token> {
        {
            let mut state = lock(&self.state);
            loop {
                if let Some(t) = &state.token
                    && Instant::now() < t.renew_at
                {
                    return Ok(t.clone());
                }
                if !state.fetching {
                    break;
                }
                state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            state.fetching = true;
        }
        let guard = Fetching(self);
        let fetched = fetch();
        if let Ok(t) = &fetched {
            lock(&self.state).token = Some(t.clone());
        }
        drop(guard);
        fetched
    }

    /// The cached token, fresh or not, without waiting for a fetch in progress.
    #[cfg(test)]
    pub(crate) fn peek(&self) -> Option<Token> {
        lock(&self.state).token.clone()
    }

    /// Forgets `used` if it is still the cached token (a `401` said it is no good).
    pub(crate) fn invalidate(&self, used: &Token) {
        let mut state = lock(&self.state);
        if state.token.as_ref().is_some_and(|t| t.value == used.value) {
            state.token = None;
        }
    }
}

/// How long after issue a token should be renewed: a few minutes before its `exp` (a
/// quarter of its life for short-lived tokens), never later than the documented lifetime
/// (one hour, minus five minutes when the JWT cannot be decoded). Any `exp` or `iat`,
/// however absurd, gives a duration: nothing here can overflow.
pub(crate) fn renew_after(token: &str) -> Duration {
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
            .filter(|v| v.is_finite())
    };
    let lifetime = TOKEN_LIFETIME.as_secs_f64();
    let secs = match claim("exp") {
        Some(exp) if exp > now => {
            let remaining = (exp - now).min(lifetime);
            // The margin is a quarter of the token's whole life (from `iat` when given, as
            // whole-second claims make `exp - now` up to a second short), at most 5 minutes.
            let life = claim("iat")
                .filter(|iat| *iat < exp)
                .map_or(remaining, |iat| (exp - iat).min(lifetime));
            let margin = (life / 4.0).min(300.0);
            (remaining - margin).max(0.0)
        }
        Some(_) => 0.0,
        None => lifetime - 300.0,
    };
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn jwt(claims: &str) -> String {
        format!("h.{}.s", URL_SAFE_NO_PAD.encode(claims))
    }

    fn unix_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
    }

    #[test]
    fn renew_before_exp() {
        let d = renew_after(&jwt(&format!("{{\"exp\":{}}}", unix_now() + 3600)));
        assert!(
            d > Duration::from_secs(3200) && d < Duration::from_secs(3300),
            "{d:?}"
        );
        assert_eq!(renew_after("opaque-token"), Duration::from_secs(55 * 60));
    }

    #[test]
    fn absurd_claims_never_panic() {
        for claims in [
            r#"{"exp":1e30}"#,
            r#"{"exp":1e19}"#,
            r#"{"exp":1e19,"iat":-1e300}"#,
            r#"{"exp":-1e30}"#,
            r#"{"exp":"soon"}"#,
        ] {
            let d = renew_after(&jwt(claims));
            assert!(d <= TOKEN_LIFETIME, "{claims}: {d:?}");
            assert!(Token::issued(&jwt(claims), Instant::now()).is_ok());
        }
    }

    #[test]
    fn tokens_that_cannot_be_headers_are_refused() {
        for bad in ["", "abc\r\nX-Evil: 1", "tab\there", "caf\u{e9}", "sp ace"] {
            assert!(Token::issued(bad, Instant::now()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_fetch_for_many_threads_and_the_lock_is_free_meanwhile() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches, rx) = (cache.clone(), fetches.clone(), release_rx.clone());
                std::thread::spawn(move || {
                    cache
                        .get(|| {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            let _ = lock(&rx).recv();
                            Token::issued("tok", Instant::now())
                        })
                        .map(|t| t.value.expose().to_string())
                })
            })
            .collect();
        // A fetch is in progress and blocked: the state lock must still be free.
        while fetches.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        assert!(cache.peek().is_none());
        cache.invalidate(&Token::issued("other", Instant::now()).unwrap());
        release_tx.send(()).unwrap();
        for t in threads {
            assert_eq!(t.join().ok().and_then(|r| r.ok()).as_deref(), Some("tok"));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }
}
