//! The client-side sliding-window rate limiter shared by a client and its clones.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateBudget;
use crate::sync::lock;

/// A sliding-window limiter. [`Limiter::reserve`] never sleeps, so a blocking and an
/// async client can share it and wait in their own way.
pub(crate) struct Limiter {
    budget: RateBudget,
    /// A little slack beyond the window, so that network latency never lets the server
    /// see one request too many in its own window.
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub(crate) fn new(budget: RateBudget) -> Limiter {
        // A second a minute, and at least a quarter of a second: a request that waited in
        // a queue on the way must not land in the server's next window early.
        let slack = (budget.per / 60).max(Duration::from_millis(250));
        Limiter {
            budget,
            window: budget.per.saturating_add(slack),
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes a slot now (`None`) or says how long to wait before asking again.
    pub(crate) fn reserve(&self, now: Instant) -> Option<Duration> {
        let mut sent = lock(&self.sent);
        while sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            sent.pop_front();
        }
        if sent.len() < self.budget.requests.max(1) as usize {
            sent.push_back(now);
            return None;
        }
        let oldest = sent.front().copied().unwrap_or(now);
        Some(
            self.window
                .saturating_sub(now.saturating_duration_since(oldest))
                .max(Duration::from_millis(1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_then_wait() {
        let l = Limiter::new(RateBudget {
            requests: 2,
            per: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        assert_eq!(l.reserve(t0), None);
        assert_eq!(l.reserve(t0), None);
        let wait = l.reserve(t0).unwrap();
        assert!(wait > Duration::from_secs(60), "{wait:?}");
        assert_eq!(l.reserve(t0 + wait), None);
    }
}
