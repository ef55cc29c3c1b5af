//! What one attempt brings back, as both drivers report it to the `Exchange`: a complete
//! `Reply`, or `Lost` (no usable answer), and the size cap applied to answers.

use std::time::Duration;

use crate::error::BoxError;
use crate::retry::Outcome;

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// One attempt that produced no usable answer.
pub(crate) struct Lost {
    pub(crate) outcome: Outcome,
    pub(crate) message: String,
    pub(crate) source: Option<BoxError>,
    /// A complete answer over the size cap (this cap): not a network failure.
    pub(crate) too_large: Option<usize>,
}

/// A complete answer to one attempt.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Vec<u8>,
}

/// Refuses a `2xx` answer whose declared length is over the cap `cap` (other answers
/// are read up to the cap: see [`capped`]).
pub(crate) fn check_declared(
    cap: usize,
    status: u16,
    declared: Option<u64>,
) -> std::result::Result<(), Lost> {
    if (200..300).contains(&status) && declared.is_some_and(|n| n > cap as u64) {
        return Err(too_large(cap, status));
    }
    Ok(())
}

/// A body read up to one byte past the cap, checked: a `2xx` over the cap is an error
/// (its data would be cut); any other answer keeps its first bytes, which is enough for
/// its error message, so a `404` stays a `404` and a `503` is still retried.
pub(crate) fn capped(
    cap: usize,
    status: u16,
    mut body: Vec<u8>,
) -> std::result::Result<Vec<u8>, Lost> {
    if body.len() > cap {
        if (200..300).contains(&status) {
            return Err(too_large(cap, status));
        }
        body.truncate(cap);
    }
    Ok(body)
}

/// The error for an answer over the size cap: a complete answer that is too large,
/// which repeating would not help.
fn too_large(cap: usize, status: u16) -> Lost {
    Lost {
        outcome: Outcome::Status(status),
        message: format!("the answer (status {status}) is larger than the {cap}-byte limit"),
        source: None,
        too_large: Some(cap),
    }
}

/// A transport failure of reqwest (blocking or async) as a lost attempt.
pub(crate) fn lost(e: reqwest::Error) -> Lost {
    Lost {
        outcome: if e.is_connect() {
            Outcome::Unsent
        } else {
            Outcome::Lost
        },
        message: error_chain(&e),
        source: Some(Box::new(e)),
        too_large: None,
    }
}

/// A failure while reading an answer's body.
pub(crate) fn lost_body(e: impl std::error::Error + Send + Sync + 'static) -> Lost {
    Lost {
        outcome: Outcome::Lost,
        message: format!("reading the answer: {}", error_chain(&e)),
        source: Some(Box::new(e)),
        too_large: None,
    }
}

pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}
