//! `/all` as a stream: the answer's JSON array is split into its elements as the bytes
//! arrive, and each element is decoded on its own, so memory stays at one record (plus a
//! read buffer) whatever the collection's size.
//!
//! The splitter only finds where each element ends (strings, escapes and nesting); the
//! element is then decoded from its own bytes by the ordinary `Record<T>` decoder, which
//! borrows keys and strings from them: faster than decoding from a reader.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::marker::PhantomData;

use crate::error::{Error, Result, decode};
use crate::record::{Collection, Record};

/// Read buffer between the socket and the splitter.
const READ_BUFFER: usize = 64 * 1024;

/// Every record of an `/all` answer, decoded one at a time as the body arrives.
///
/// Made by [`CollectionHandle::iter_all`](crate::CollectionHandle::iter_all). Holds one
/// record's bytes at a time; dropping it closes the connection. The client's timeout
/// covers the whole answer, so a consumer slower than that ends it with an error.
pub struct AllRecords<C: Collection> {
    attempted: String,
    body: Option<BufReader<Box<dyn std::io::Read + Send>>>,
    /// The bytes of the element being read, reused.
    element: Vec<u8>,
    /// Elements read so far.
    index: usize,
    /// The most bytes one element may have (the client's response size cap).
    max_element: usize,
    _c: PhantomData<fn() -> C>,
}

impl<C: Collection> fmt::Debug for AllRecords<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllRecords")
            .field("attempted", &self.attempted)
            .field("read", &self.index)
            .finish()
    }
}

impl<C: Collection> AllRecords<C> {
    pub(crate) fn new(
        attempted: String,
        body: Box<dyn std::io::Read + Send>,
        max_element: usize,
    ) -> Self {
        AllRecords {
            attempted,
            body: Some(BufReader::with_capacity(READ_BUFFER, body)),
            element: Vec::new(),
            index: 0,
            max_element,
            _c: PhantomData,
        }
    }

    /// The next element's bytes into `self.element`; `None` after the closing `]`.
    fn next_element(&mut self) -> Result<Option<()>> {
        let Some(body) = self.body.as_mut() else {
            return Ok(None);
        };
        let attempted = &self.attempted;
        let first = self.index == 0;
        match (skip_space(body, attempted)?, first) {
            (Some(b'['), true) => {
                body.consume(1);
                if skip_space(body, attempted)? == Some(b']') {
                    body.consume(1);
                    return Ok(None);
                }
            }
            (Some(b','), false) => body.consume(1),
            (Some(b']'), false) => {
                body.consume(1);
                return Ok(None);
            }
            (None, _) => return Err(cut_short(attempted, self.index)),
            (Some(b), true) => {
                return Err(shape(
                    attempted,
                    format!(
                        "the /all answer is not a JSON array (it starts with {:?})",
                        char::from(b)
                    ),
                ));
            }
            (Some(b), false) => {
                return Err(shape(
                    attempted,
                    format!(
                        "expected ',' or ']' after record {}, found {:?}",
                        self.index - 1,
                        char::from(b)
                    ),
                ));
            }
        }
        if skip_space(body, attempted)?.is_none() {
            return Err(cut_short(attempted, self.index));
        }
        self.element.clear();
        let mut scan = Scan::default();
        loop {
            let chunk = body.fill_buf().map_err(|e| io(attempted, &e))?;
            if chunk.is_empty() {
                return Err(cut_short(attempted, self.index));
            }
            let (used, complete) = scan.feed(chunk);
            if self.element.len() + used > self.max_element {
                return Err(shape(
                    attempted,
                    format!(
                        "record {} of the /all answer is larger than the {}-byte limit; raise ClientBuilder::max_response_bytes if it is expected",
                        self.index, self.max_element
                    ),
                ));
            }
            self.element.extend_from_slice(&chunk[..used]);
            body.consume(used);
            if complete {
                return Ok(Some(()));
            }
        }
    }
}

impl<C: Collection> Iterator for AllRecords<C> {
    type Item = Result<Record<C::Read>>;

    fn next(&mut self) -> Option<Self::Item> {
        // Reading blocks on the socket: off the async runtime's threads if there is one.
        match crate::sync::off_runtime(|| self.next_element()) {
            Ok(Some(())) => {
                let index = self.index;
                self.index += 1;
                let record = decode::<Record<C::Read>>(&self.attempted, &self.element, true);
                if record.is_err() {
                    // Like the paged iterator, the first error is the last item.
                    self.body = None;
                }
                Some(record.map_err(|e| match e {
                    Error::Decode {
                        attempted,
                        path,
                        message,
                        excerpt,
                        applied,
                    } => Error::Decode {
                        attempted,
                        path: if path == "." {
                            format!("[{index}]")
                        } else {
                            format!("[{index}].{path}")
                        },
                        message,
                        excerpt,
                        applied,
                    },
                    other => other,
                }))
            }
            Ok(None) => {
                self.body = None;
                None
            }
            Err(e) => {
                // One error ends the stream: the rest of the body cannot be trusted.
                self.body = None;
                Some(Err(e))
            }
        }
    }
}

/// Where one JSON value ends: strings, escapes and nesting.
#[derive(Default)]
struct Scan {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// A scalar (number, literal) at the top: it ends before a delimiter.
    scalar: bool,
    started: bool,
}

impl Scan {
    /// Feeds bytes; returns how many belong to the value and whether it is complete.
    fn feed(&mut self, bytes: &[u8]) -> (usize, bool) {
        for (i, &b) in bytes.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return (i + 1, true);
                    }
                }
                continue;
            }
            if self.scalar {
                if matches!(b, b',' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    return (i, true);
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return (i + 1, true);
                    }
                }
                _ if !self.started => self.scalar = true,
                _ => {}
            }
            self.started = true;
        }
        (bytes.len(), false)
    }
}

/// Skips whitespace; the next byte, unread, or `None` at the end of the body.
fn skip_space(body: &mut impl BufRead, attempted: &str) -> Result<Option<u8>> {
    loop {
        let chunk = body.fill_buf().map_err(|e| io(attempted, &e))?;
        if chunk.is_empty() {
            return Ok(None);
        }
        match chunk.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = chunk[i];
                body.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = chunk.len();
                body.consume(n);
            }
        }
    }
}

fn io(attempted: &str, e: &std::io::Error) -> Error {
    Error::Transport {
        attempted: attempted.to_string(),
        attempts: 1,
        message: format!("reading the /all answer: {e}"),
        may_have_reached_server: false,
        source: None,
    }
}

fn cut_short(attempted: &str, read: usize) -> Error {
    Error::Transport {
        attempted: attempted.to_string(),
        attempts: 1,
        message: format!(
            "the /all answer ended before its closing ']' ({read} records read); the connection was cut"
        ),
        may_have_reached_server: false,
        source: None,
    }
}

fn shape(attempted: &str, message: String) -> Error {
    Error::Decode {
        attempted: attempted.to_string(),
        path: ".".into(),
        message,
        excerpt: crate::error::Excerpt(String::new()),
        applied: false,
    }
}

#[cfg(test)]
mod tests {
    use super::Scan;

    fn split(text: &str, chunk: usize) -> (usize, bool) {
        let mut scan = Scan::default();
        let mut total = 0;
        for c in text.as_bytes().chunks(chunk) {
            let (used, done) = scan.feed(c);
            total += used;
            if done {
                return (total, true);
            }
        }
        (total, false)
    }

    #[test]
    fn values_end_where_json_says_in_any_chunking() {
        let value = r#"{"a": "x}\"]{", "b": [1, {"c": "\\"}], "d": null}"#;
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(split(&format!("{value}, {{}}"), chunk), (value.len(), true));
            assert_eq!(split("12.5e3, 4", chunk), (6, true));
            assert_eq!(split(r#""s\"t", 1"#, chunk), (6, true));
            assert_eq!(split(r#"{"open": ["#, chunk), (10, false));
        }
    }
}
