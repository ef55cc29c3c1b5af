//! Requests as data: a `Call` is built by `requests.rs` (and the listing and token
//! calls), sent by either client's driver of `exchange.rs`, and never holds I/O.

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};

use crate::error::{Error, Result};
use crate::retry::Repeat;
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
    pub(crate) token: bool,
    /// A `2xx` body is handed over unread, as a stream (`/all`); other answers are read.
    pub(crate) stream: bool,
    /// A page of records, whose size the caller chose (`ListOptions::page_size`).
    pub(crate) records_page: bool,
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
            records_page: false,
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

    /// Whether the call may change data: any method but `GET`, except `/token`.
    pub(crate) fn is_write(&self) -> bool {
        self.method != Method::GET && !self.token
    }

    /// The headers both clients send: JSON accepted (and sent, with a body), and the
    /// bearer token marked sensitive (never in reqwest's `Debug`).
    pub(crate) fn headers(&self, token: Option<&Token>) -> HeaderMap {
        let json = HeaderValue::from_static("application/json");
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, json.clone());
        if self.body.is_some() {
            headers.insert(CONTENT_TYPE, json);
        }
        // Tokens are checked to be visible ASCII when they arrive, so this cannot fail.
        if let Some(Ok(mut bearer)) =
            token.map(|t| HeaderValue::from_str(&format!("Bearer {}", t.value.expose())))
        {
            bearer.set_sensitive(true);
            headers.insert(AUTHORIZATION, bearer);
        }
        headers
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
