//! The one error type of the runtime.

use std::fmt;

/// Everything that can go wrong talking to Kinabase.
///
/// Every message says what was attempted and what to do. No variant ever holds the app
/// secret or a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was configured wrongly (bad base URL, plain `http` to a remote host,
    /// missing credentials).
    #[error("configuration: {0}")]
    Config(String),

    /// The request could not be completed on the network (connect, timeout, dropped
    /// connection) after the retries that were safe.
    #[error("{attempted}: network error after {attempts} attempt(s): {message}{}", if *.may_have_reached_server { "; the request may have reached the server, so it was not repeated (check before retrying)" } else { "; check the base URL and your connection" })]
    Transport {
        /// What was attempted, e.g. `POST /collections/jobs`.
        attempted: String,
        /// Attempts made.
        attempts: u32,
        /// What the HTTP stack said.
        message: String,
        /// Whether a non-repeatable request may have been processed.
        may_have_reached_server: bool,
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
    #[error("{attempted}: server error {status} after {attempts} attempt(s): {message}")]
    Server {
        /// What was attempted.
        attempted: String,
        /// HTTP status.
        status: u16,
        /// The API's message.
        message: String,
        /// Attempts made.
        attempts: u32,
    },

    /// Any other unexpected status.
    #[error("{attempted}: unexpected status {status}: {message}")]
    Status {
        /// What was attempted.
        attempted: String,
        /// HTTP status.
        status: u16,
        /// The API's message.
        message: String,
    },

    /// The answer could not be decoded into the expected type.
    #[error("{attempted}: cannot decode the answer at {path}: {message}; body starts: {excerpt}")]
    Decode {
        /// What was attempted.
        attempted: String,
        /// JSON path of the failure, e.g. `records[3].data.quotedPrice`.
        path: String,
        /// What serde said.
        message: String,
        /// The first bytes of the body (never for token responses).
        excerpt: Excerpt,
    },
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
        let mut s = text[..cut].to_string();
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
            })
        }
    }
}
