//! The retry decision as a pure function, and the arithmetic of waits (saturating: no
//! server value can overflow a duration).

use std::time::Duration;

use crate::config::RetryPolicy;

/// Whether a request may be sent again after it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads, deletes, updates that set absolute values, `/token`.
    Safe,
    /// Creates: never sent twice once they may have reached the server.
    Once,
}

/// What came back from one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer with this status.
    Status(u16),
    /// The connection could not be made: nothing reached the server.
    Unsent,
    /// The request may have reached the server, but no complete answer came (timeout,
    /// reset, a body cut short).
    Lost,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send again after this wait.
    RetryAfter(Duration),
    /// Hand the answer over (success, or a status the caller turns into its error).
    Done,
    /// Give up with an error for this outcome.
    Fail,
}

/// The retry decision: statuses `2xx`, `3xx` and `4xx` but `429` are final; `429` is
/// always retried (it was not processed); `5xx` and lost connections only for requests
/// that are safe to repeat; a connection that was never made always. Each retry waits
/// `Retry-After` when given, else exponential backoff with jitter (`jitter` in `0..1`),
/// capped by the policy; no retry past `max_attempts`.
pub fn decide(
    outcome: Outcome,
    attempt: u32,
    repeat: Repeat,
    retry_after: Option<Duration>,
    policy: &RetryPolicy,
    jitter: f64,
) -> Decision {
    let retryable = match outcome {
        Outcome::Status(200..=299) => return Decision::Done,
        Outcome::Status(429) | Outcome::Unsent => true,
        Outcome::Status(500..=599) | Outcome::Lost => repeat == Repeat::Safe,
        Outcome::Status(_) => return Decision::Done,
    };
    if !retryable || attempt >= policy.max_attempts {
        return Decision::Fail;
    }
    let wait = retry_after.unwrap_or_else(|| backoff(policy, attempt, jitter));
    Decision::RetryAfter(wait.min(policy.max_delay))
}

/// Exponential backoff with full jitter: `base * 2^(attempt-1)`, scaled into
/// `[0.5, 1.0)` of itself, saturating.
pub fn backoff(policy: &RetryPolicy, attempt: u32, jitter: f64) -> Duration {
    let exp = policy
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let factor = 0.5 + jitter.clamp(0.0, 1.0) * 0.5;
    Duration::try_from_secs_f64(exp.as_secs_f64() * factor).unwrap_or(policy.max_delay)
}

/// A `Retry-After` value in seconds (fractions tolerated). Absurd values saturate to a
/// day rather than panicking; the policy caps the wait further.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs = value.trim().parse::<f64>().ok()?;
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs.min(86_400.0)).unwrap_or(Duration::from_secs(86_400)))
}

/// The `Retry-After` of an answer, if it has a usable one.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<std::time::Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }

    #[test]
    fn success_and_final_statuses_are_done() {
        for s in [200, 201, 204, 302, 400, 401, 404, 409] {
            for r in [Repeat::Safe, Repeat::Once] {
                assert_eq!(
                    decide(Outcome::Status(s), 1, r, None, &policy(), 0.0),
                    Decision::Done,
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn creates_are_not_repeated_once_they_may_have_arrived() {
        let p = policy();
        assert_eq!(
            decide(Outcome::Status(503), 1, Repeat::Once, None, &p, 0.0),
            Decision::Fail
        );
        assert_eq!(
            decide(Outcome::Lost, 1, Repeat::Once, None, &p, 0.0),
            Decision::Fail
        );
        assert!(matches!(
            decide(Outcome::Unsent, 1, Repeat::Once, None, &p, 0.0),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            decide(Outcome::Status(429), 1, Repeat::Once, None, &p, 0.0),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            decide(Outcome::Status(503), 1, Repeat::Safe, None, &p, 0.0),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            decide(Outcome::Lost, 2, Repeat::Safe, None, &p, 0.0),
            Decision::RetryAfter(_)
        ));
    }

    #[test]
    fn attempts_are_bounded_and_waits_capped() {
        let p = policy();
        assert_eq!(
            decide(Outcome::Status(500), 3, Repeat::Safe, None, &p, 0.0),
            Decision::Fail
        );
        assert_eq!(
            decide(Outcome::Status(429), 3, Repeat::Safe, None, &p, 0.0),
            Decision::Fail
        );
        assert_eq!(
            decide(
                Outcome::Status(429),
                1,
                Repeat::Safe,
                Some(Duration::from_secs(7)),
                &p,
                0.0
            ),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            decide(
                Outcome::Status(503),
                2,
                Repeat::Safe,
                Some(Duration::from_millis(5)),
                &p,
                0.9
            ),
            Decision::RetryAfter(Duration::from_millis(5))
        );
        assert_eq!(backoff(&p, 1, 0.0), Duration::from_millis(50));
        assert_eq!(backoff(&p, 3, 0.0), Duration::from_millis(200));
        let huge = RetryPolicy {
            max_attempts: u32::MAX,
            base_delay: Duration::MAX,
            max_delay: Duration::from_secs(1),
        };
        assert!(
            matches!(decide(Outcome::Status(503), 40, Repeat::Safe, None, &huge, 1.0), Decision::RetryAfter(d) if d == Duration::from_secs(1))
        );
    }

    #[test]
    fn retry_after_never_panics() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("1e20"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_retry_after("inf"), Some(Duration::from_secs(86_400)));
        for bad in ["-1", "NaN", "soon", "", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
    }
}
