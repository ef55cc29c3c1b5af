//! The one error type of the runtime, and the reading of error bodies.

use std::fmt;
use std::ops::Range;

use serde_json::Value;

/// A boxed source error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong talking to Kinabase.
///
/// Every message says what was attempted, what to do, and, for a write that failed in a
/// way that leaves it open, that it may have been applied
/// ([`Error::may_have_been_applied`]). No variant ever holds the app secret or a token:
/// server text is redacted before it is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was configured wrongly (bad base URL, plain `http` to a remote host,
    /// missing credentials), or a request could not be formed (an id that cannot go in a
    /// URL path, a body that cannot be encoded). Nothing was sent.
    #[error("configuration: {0}")]
    Config(String),

    /// The request could not be completed on the network (connect, timeout, dropped
    /// connection) after the retries that were safe.
    #[error("{attempted}: network error after {attempts} attempt(s): {message}{}", if *.may_have_reached_server { applied_note(true) } else { "; check the base URL and your connection" })]
    Transport {
        /// What was attempted, e.g. `POST /collections/jobs`.
        attempted: String,
        /// Attempts made.
        attempts: u32,
        /// What the HTTP stack said.
        message: String,
        /// Whether a write may have been processed (the request may have reached the
        /// server: anything but a refused connection).
        may_have_reached_server: bool,
        /// The HTTP stack's error.
        #[source]
        source: Option<BoxError>,
    },

    /// A successful answer, or one record of an `/all` answer (where the cap applies to
    /// each record), was larger than the client's size cap
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes),
    /// 64 MiB by default). Repeating would not help.
    #[error("{attempted}: {} is larger than the {limit}-byte limit; raise ClientBuilder::max_response_bytes if it is expected{}{}", oversized(*.record), if *.page { " (or ask for fewer records a page: ListOptions::page_size)" } else { "" }, applied_note(*.may_have_been_applied))]
    TooLarge {
        /// What was attempted.
        attempted: String,
        /// The answer's HTTP status.
        status: u16,
        /// The cap, in bytes.
        limit: usize,
        /// For `/all`: the index of the record over the cap.
        record: Option<usize>,
        /// The answer was a page of records, whose size `ListOptions::page_size` sets.
        page: bool,
        /// Whether the request was a write (the server answered, so it may have been
        /// applied).
        may_have_been_applied: bool,
    },

    /// `POST /token` refused the app credentials.
    #[error(
        "bad credentials: Kinabase refused the App ID and App Secret ({message}); check KINABASE_APP_ID and KINABASE_APP_SECRET, or create a new app in Settings → API"
    )]
    BadCredentials {
        /// The API's message.
        message: String,
    },

    /// A `401` persisted after the token was renewed once.
    #[error(
        "{attempted}: unauthorized even with a fresh token ({message}); the app may have been revoked or lack access"
    )]
    Unauthorized {
        /// What was attempted.
        attempted: String,
        /// The API's message.
        message: String,
    },

    /// `404`: unknown collection, record or external id.
    #[error("{attempted}: not found ({message})")]
    NotFound {
        /// What was attempted.
        attempted: String,
        /// The API's message.
        message: String,
    },

    /// `400`: invalid parameters, a validation failure or a limit exceeded.
    #[error("{attempted}: rejected by Kinabase: {message}")]
    Validation {
        /// What was attempted.
        attempted: String,
        /// The API's message.
        message: String,
    },

    /// Still `429` after the retry budget.
    #[error(
        "{attempted}: rate limited after {attempts} attempt(s); slow down or raise the client's retry budget"
    )]
    RateLimited {
        /// What was attempted.
        attempted: String,
        /// Attempts made.
        attempts: u32,
    },

    /// A `5xx` that was not retried or persisted.
    #[error("{attempted}: server error {status} after {attempts} attempt(s): {message}{}", applied_note(*.may_have_been_applied))]
    Server {
        /// What was attempted.
        attempted: String,
        /// HTTP status.
        status: u16,
        /// The API's message.
        message: String,
        /// Attempts made.
        attempts: u32,
        /// Whether a write may have been processed before the server failed.
        may_have_been_applied: bool,
    },

    /// Any other unexpected status (including a redirect that was not followed).
    #[error("{attempted}: unexpected status {status}: {message}")]
    Status {
        /// What was attempted.
        attempted: String,
        /// HTTP status.
        status: u16,
        /// The API's message.
        message: String,
    },

    /// The answer could not be decoded into the expected type (or, for a listing, did
    /// not end within the page bound).
    #[error("{attempted}: cannot decode the answer at {path}: {message}{}{excerpt}{}", if .excerpt.0.is_empty() { "" } else { "; body starts: " }, if *.applied { "; the write itself was applied" } else { "" })]
    Decode {
        /// What was attempted.
        attempted: String,
        /// JSON path of the failure, e.g. `records[3].data.quotedPrice`.
        path: String,
        /// What serde said.
        message: String,
        /// The first bytes of the body (never for token responses).
        excerpt: Excerpt,
        /// Whether the request was a write the server accepted (`2xx`).
        applied: bool,
    },

    /// Some chunks of a bulk call failed; the others were written. See
    /// [`BulkError`](crate::BulkError) for the per-chunk report before it was converted.
    #[error("bulk call: {written} item(s) written; items {failed:?} failed{}: {source}", applied_note(.source.may_have_been_applied()))]
    Bulk {
        /// Items written.
        written: usize,
        /// The item ranges of the chunks that failed.
        failed: Vec<Range<usize>>,
        /// The first chunk failure.
        source: Box<Error>,
    },
}

fn oversized(record: Option<usize>) -> String {
    match record {
        Some(i) => format!("record {i} of the answer"),
        None => "the answer".into(),
    }
}

fn applied_note(maybe: bool) -> &'static str {
    if maybe {
        "; the request may have been applied, so it was not repeated (check before retrying)"
    } else {
        ""
    }
}

impl Error {
    /// The HTTP status of the answer that caused this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Server { status, .. }
            | Error::Status { status, .. }
            | Error::TooLarge { status, .. } => Some(*status),
            Error::BadCredentials { .. } => None,
            Error::Unauthorized { .. } => Some(401),
            Error::NotFound { .. } => Some(404),
            Error::Validation { .. } => Some(400),
            Error::RateLimited { .. } => Some(429),
            Error::Bulk { source, .. } => source.status(),
            Error::Config(_) | Error::Transport { .. } | Error::Decode { .. } => None,
        }
    }

    /// Whether trying again later may succeed (network trouble, `429`, `5xx`). A write
    /// that [may have been applied](Error::may_have_been_applied) must be checked first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::RateLimited { .. } | Error::Server { .. } => true,
            Error::Bulk { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// Whether the request may have changed data on the server although it failed: a
    /// write whose connection dropped after it was sent, that got a `5xx`, or whose
    /// accepted answer could not be read. `false` means it certainly was not applied
    /// (or was a read).
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Error::Transport {
                may_have_reached_server,
                ..
            } => *may_have_reached_server,
            Error::Server {
                may_have_been_applied,
                ..
            }
            | Error::TooLarge {
                may_have_been_applied,
                ..
            } => *may_have_been_applied,
            Error::Decode { applied, .. } => *applied,
            Error::Bulk {
                written, source, ..
            } => *written > 0 || source.may_have_been_applied(),
            _ => false,
        }
    }

    /// Replaces every occurrence of each secret in the kept server text.
    #[cfg(feature = "http")]
    pub(crate) fn redact(mut self, secrets: &[&str]) -> Error {
        let scrub = |s: &mut String| {
            for secret in secrets.iter().filter(|s| s.len() >= 4) {
                if s.contains(secret) {
                    *s = s.replace(secret, "[redacted]");
                }
            }
        };
        match &mut self {
            Error::Config(m)
            | Error::Transport { message: m, .. }
            | Error::BadCredentials { message: m }
            | Error::Unauthorized { message: m, .. }
            | Error::NotFound { message: m, .. }
            | Error::Validation { message: m, .. }
            | Error::Server { message: m, .. }
            | Error::Status { message: m, .. } => scrub(m),
            Error::Decode {
                message, excerpt, ..
            } => {
                scrub(message);
                scrub(&mut excerpt.0);
            }
            Error::Bulk { source, .. } => {
                let inner = std::mem::replace(&mut **source, Error::Config(String::new()));
                **source = inner.redact(secrets);
            }
            Error::RateLimited { .. } | Error::TooLarge { .. } => {}
        }
        self
    }

    /// Marks a decode failure of an accepted write as applied.
    #[cfg(feature = "http")]
    pub(crate) fn applied(mut self) -> Error {
        if let Error::Decode { applied, .. } = &mut self {
            *applied = true;
        }
        self
    }
}

/// A bounded excerpt of a response body, for error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Excerpt(pub String);

impl Excerpt {
    /// The longest excerpt kept.
    pub const MAX: usize = 240;

    /// The first [`Excerpt::MAX`] bytes of `body` (cut at a character boundary).
    pub fn of(body: &[u8]) -> Excerpt {
        let text = String::from_utf8_lossy(&body[..body.len().min(Self::MAX + 4)]);
        let mut cut = text.len().min(Self::MAX);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        // Control characters (escape sequences) never reach a terminal through an error.
        let mut s: String = text[..cut]
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if body.len() > cut {
            s.push('…');
        }
        Excerpt(s)
    }
}

impl fmt::Debug for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Result` with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Decodes JSON into `T`; on failure, decodes again with path tracking so the error
/// names where it failed (the fast path pays nothing for it).
pub fn decode<T: serde::de::DeserializeOwned>(
    attempted: &str,
    body: &[u8],
    excerpt: bool,
) -> Result<T> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => (e.path().to_string(), e.into_inner().to_string()),
                Ok(_) => (".".to_string(), first.to_string()),
            };
            Err(Error::Decode {
                attempted: attempted.to_string(),
                path,
                message,
                excerpt: if excerpt {
                    Excerpt::of(body)
                } else {
                    Excerpt("(withheld)".into())
                },
                applied: false,
            })
        }
    }
}

/// The message of an error body: `{"error"}`, an ASP.NET problem (`title`, `detail`,
/// `errors`), or plain text, bounded.
pub fn api_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Some(m) = v.get("error").and_then(Value::as_str) {
            return Excerpt::of(m.as_bytes()).0;
        }
        let mut parts = Vec::new();
        for key in ["title", "detail", "message"] {
            if let Some(t) = v.get(key).and_then(Value::as_str) {
                parts.push(t.to_string());
            }
        }
        if let Some(errors) = v.get("errors").and_then(Value::as_object) {
            for (field, msgs) in errors.iter().take(20) {
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
            return Excerpt::of(parts.join(" — ").as_bytes()).0;
        }
    }
    let text = Excerpt::of(body).0;
    if text.trim().is_empty() {
        "(no message)".to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(api_message(b"\x1b]0;owned\x07"), " ]0;owned ");
    }

    #[test]
    #[cfg(feature = "http")]
    fn redaction_reaches_every_message() {
        let e = Error::Validation {
            attempted: "POST /token".into(),
            message: "echo: appSecret=hunter22 bearer tok-abc".into(),
        }
        .redact(&["hunter22", "tok-abc"]);
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("hunter22") && !shown.contains("tok-abc"),
            "{shown}"
        );
        let b = Error::Bulk {
            written: 1,
            failed: std::iter::once(300..600).collect(),
            source: Box::new(Error::Config("hunter22".into())),
        }
        .redact(&["hunter22"]);
        assert!(!b.to_string().contains("hunter22"));
    }

    #[test]
    fn classification() {
        let s = Error::Server {
            attempted: "POST /collections/jobs".into(),
            status: 503,
            message: "x".into(),
            attempts: 1,
            may_have_been_applied: true,
        };
        assert_eq!(s.status(), Some(503));
        assert!(s.is_retryable() && s.may_have_been_applied());
        assert!(s.to_string().contains("may have been applied"));
        let v = Error::Validation {
            attempted: "a".into(),
            message: "b".into(),
        };
        assert!(!v.is_retryable() && !v.may_have_been_applied());
        assert_eq!(v.status(), Some(400));
        let t = Error::Transport {
            attempted: "a".into(),
            attempts: 1,
            message: "reset".into(),
            may_have_reached_server: false,
            source: Some("reset by peer".into()),
        };
        assert!(std::error::Error::source(&t).is_some());
        let b = Error::Bulk {
            written: 0,
            failed: std::iter::once(0..300).collect(),
            source: Box::new(t),
        };
        assert!(std::error::Error::source(&b).is_some() && b.is_retryable());
    }
}
