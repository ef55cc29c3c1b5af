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

use serde::de::DeserializeOwned;

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
    body: Option<BufReader<Box<dyn std::io::Read + Send>>>,
    split: Splitter,
    _c: PhantomData<fn() -> C>,
}

impl<C: Collection> fmt::Debug for AllRecords<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllRecords")
            .field("attempted", &self.split.attempted)
            .field("read", &self.split.index)
            .finish()
    }
}

impl<C: Collection> AllRecords<C> {
    pub(crate) fn new(
        attempted: String,
        status: u16,
        body: Box<dyn std::io::Read + Send>,
        max_element: usize,
    ) -> Self {
        AllRecords {
            body: Some(BufReader::with_capacity(READ_BUFFER, body)),
            split: Splitter::new(attempted, status, max_element),
            _c: PhantomData,
        }
    }

    /// Reads until the next element is complete (`true`) or the array has ended.
    fn next_element(&mut self) -> Result<bool> {
        let Some(body) = self.body.as_mut() else {
            return Ok(false);
        };
        loop {
            let chunk = body
                .fill_buf()
                .map_err(|e| read_failed(self.split.attempted(), &e))?;
            if chunk.is_empty() {
                return self.split.finish().map(|()| false);
            }
            let (used, fed) = self.split.feed(chunk)?;
            body.consume(used);
            match fed {
                Fed::More => {}
                Fed::Element => return Ok(true),
                Fed::End => return Ok(false),
            }
        }
    }
}

impl<C: Collection> Iterator for AllRecords<C> {
    type Item = Result<Record<C::Read>>;

    fn next(&mut self) -> Option<Self::Item> {
        // Reading blocks on the socket: off the async runtime's threads if there is one.
        let next = crate::sync::off_runtime(|| self.next_element());
        let item = match next {
            Ok(true) => self.split.decode::<C::Read>(),
            Ok(false) => {
                self.body = None;
                return None;
            }
            Err(e) => Err(e),
        };
        if item.is_err() {
            // Like the paged iterator, the first error is the last item: the rest of the
            // body cannot be trusted.
            self.body = None;
        }
        Some(item)
    }
}

/// What a [`Splitter::feed`] completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fed {
    /// Nothing yet: feed more bytes.
    More,
    /// An element is complete: [`Splitter::decode`] it before feeding on.
    Element,
    /// The array's closing `]`: nothing after it is read.
    End,
}

/// Where the splitter is in the answer's array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the opening `[`.
    Open,
    /// After `[`: the first element or `]`.
    First,
    /// After `,`: an element.
    Before,
    /// Inside an element.
    Element,
    /// After an element: `,` or `]`.
    After,
    /// After the closing `]`.
    Ended,
}

/// The `/all` answer's array split into its elements, without I/O: both clients feed it
/// the body's bytes as they arrive (the blocking one from a reader, the async one chunk
/// by chunk) and decode each element it completes.
pub(crate) struct Splitter {
    attempted: String,
    /// The answer's status (for errors).
    status: u16,
    phase: Phase,
    scan: Scan,
    /// The bytes of the element being read, reused.
    element: Vec<u8>,
    /// Elements completed so far.
    index: usize,
    /// The most bytes one element may have (the client's response size cap).
    max_element: usize,
}

impl Splitter {
    pub(crate) fn new(attempted: String, status: u16, max_element: usize) -> Self {
        Splitter {
            attempted,
            status,
            phase: Phase::Open,
            scan: Scan::default(),
            element: Vec::new(),
            index: 0,
            max_element,
        }
    }

    /// Feeds bytes of the body; returns how many were used and what they completed. It
    /// stops after each complete element, so the caller decodes it and feeds the rest.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(usize, Fed)> {
        if self.phase == Phase::Ended {
            return Ok((0, Fed::End));
        }
        let mut at = 0;
        while at < bytes.len() {
            if self.phase == Phase::Element {
                let (used, complete) = self.scan.feed(&bytes[at..]);
                if self.element.len() + used > self.max_element {
                    return Err(Error::TooLarge {
                        attempted: self.attempted.clone(),
                        status: self.status,
                        limit: self.max_element,
                        record: Some(self.index),
                        page: false,
                        may_have_been_applied: false,
                    });
                }
                self.element.extend_from_slice(&bytes[at..at + used]);
                at += used;
                if complete {
                    self.phase = Phase::After;
                    self.index += 1;
                    return Ok((at, Fed::Element));
                }
                continue;
            }
            let b = bytes[at];
            if b.is_ascii_whitespace() {
                at += 1;
                continue;
            }
            match (self.phase, b) {
                (Phase::Open, b'[') => self.phase = Phase::First,
                (Phase::Open, b) => {
                    return Err(shape(
                        &self.attempted,
                        format!(
                            "the /all answer is not a JSON array (it starts with {:?})",
                            char::from(b)
                        ),
                    ));
                }
                (Phase::First | Phase::After, b']') => {
                    self.phase = Phase::Ended;
                    return Ok((at + 1, Fed::End));
                }
                (Phase::After, b',') => self.phase = Phase::Before,
                (Phase::After, b) => {
                    return Err(shape(
                        &self.attempted,
                        format!(
                            "expected ',' or ']' after record {}, found {:?}",
                            self.index - 1,
                            char::from(b)
                        ),
                    ));
                }
                // First or Before: the element starts here, with this byte.
                _ => {
                    self.element.clear();
                    self.scan = Scan::default();
                    self.phase = Phase::Element;
                    continue;
                }
            }
            at += 1;
        }
        Ok((at, Fed::More))
    }

    /// The body has ended: an error unless the array was closed.
    pub(crate) fn finish(&self) -> Result<()> {
        if self.phase == Phase::Ended {
            return Ok(());
        }
        Err(Error::Transport {
            attempted: self.attempted.clone(),
            attempts: 1,
            message: format!(
                "the /all answer ended before its closing ']' ({} records read); the connection was cut",
                self.index
            ),
            may_have_reached_server: false,
            source: None,
        })
    }

    /// Decodes the element just completed; a decode error's path starts at its index.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<Record<T>> {
        let index = self.index.saturating_sub(1);
        decode::<Record<T>>(&self.attempted, &self.element, true).map_err(|e| match e {
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
        })
    }

    /// What was attempted, for errors of the body's transport.
    pub(crate) fn attempted(&self) -> &str {
        &self.attempted
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

/// Reading the body failed (connection reset, timeout).
pub(crate) fn read_failed(attempted: &str, e: &dyn fmt::Display) -> Error {
    Error::Transport {
        attempted: attempted.to_string(),
        attempts: 1,
        message: format!("reading the /all answer: {e}"),
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
    use super::{Fed, Scan, Splitter};

    /// The elements a splitter finds in `text` fed `chunk` bytes at a time, then how
    /// the body ended (`Ok` after `]`, or the error's text).
    fn elements(text: &str, chunk: usize, max: usize) -> (Vec<String>, Result<(), String>) {
        let mut split = Splitter::new("GET /all".into(), 200, max);
        let mut found = Vec::new();
        for mut c in text.as_bytes().chunks(chunk) {
            while !c.is_empty() {
                match split.feed(c) {
                    Err(e) => return (found, Err(e.to_string())),
                    Ok((used, fed)) => {
                        c = &c[used..];
                        match fed {
                            Fed::Element => {
                                found.push(String::from_utf8(split.element.clone()).unwrap());
                            }
                            Fed::End => return (found, Ok(())),
                            Fed::More => assert!(c.is_empty(), "More leaves nothing unread"),
                        }
                    }
                }
            }
        }
        (found, split.finish().map_err(|e| e.to_string()))
    }

    #[test]
    fn splits_the_array_into_elements_in_any_chunking() {
        let text = r#" [ {"a": "x}]\"", "b": [1, {}]} ,{"c":null}, 12 ,"s\"]"] trailing"#;
        for chunk in [1, 2, 3, 5, 64, 1000] {
            let (found, end) = elements(text, chunk, 1000);
            assert_eq!(
                found,
                [
                    r#"{"a": "x}]\"", "b": [1, {}]}"#,
                    r#"{"c":null}"#,
                    "12",
                    r#""s\"]""#
                ],
                "chunk {chunk}"
            );
            assert_eq!(end, Ok(()));
            assert_eq!(elements(" [ ] ", chunk, 10), (vec![], Ok(())));
        }
    }

    #[test]
    fn bad_arrays_fail_with_the_cause() {
        for chunk in [1, 4, 1000] {
            let (_, end) = elements(r#"{"records": []}"#, chunk, 100);
            assert!(
                end.unwrap_err().contains("not a JSON array"),
                "chunk {chunk}"
            );
            let (found, end) = elements(r#"[{"a":1} {"b":2}]"#, chunk, 100);
            assert_eq!(found.len(), 1);
            assert!(
                end.unwrap_err()
                    .contains("expected ',' or ']' after record 0")
            );
            let (found, end) = elements(r#"[{"a":1}, {"b":"#, chunk, 100);
            assert_eq!(found.len(), 1);
            assert!(
                end.unwrap_err()
                    .contains("ended before its closing ']' (1 records read)")
            );
            let (found, end) = elements(r#"[{"a":1}, {"b":"0123456789"}]"#, chunk, 12);
            assert_eq!(found.len(), 1);
            assert!(
                end.unwrap_err()
                    .contains("record 1 of the answer is larger than the 12-byte limit")
            );
            assert!(
                elements("", chunk, 10)
                    .1
                    .unwrap_err()
                    .contains("(0 records read)")
            );
        }
    }

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
