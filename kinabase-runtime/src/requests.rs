//! Each collection request as data, and the reading of its answer, without I/O: the
//! blocking and the async handles build and read the same requests from here.

use std::collections::BTreeMap;

use jiff::Timestamp;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::Call;
use crate::error::{Error, Excerpt, Result, decode};
use crate::options::{ListOptions, MAX_BATCH};
use crate::record::{Page, Record, WriteBody};
use crate::reply::Answer;
use crate::retry::Repeat;

/// A call to `collections/{collection}/{rest...}`, every segment encoded.
pub(crate) fn at(collection: &str, method: Method, rest: &[&str], repeat: Repeat) -> Result<Call> {
    let mut segments = vec!["collections", collection];
    segments.extend_from_slice(rest);
    Call::new(method, &segments, repeat)
}

/// `GET collections/{c}?pageIndex=&pageSize=...`.
pub(crate) fn page(collection: &str, index: usize, options: &ListOptions) -> Result<Call> {
    let mut call = at(collection, Method::GET, &[], Repeat::Safe)?
        .query("pageIndex", index)
        .query("pageSize", options.page_size.clamp(1, MAX_BATCH));
    if let Some(t) = options.updated_after {
        call = call.query("updatedAfter", t);
    }
    if options.include_lists {
        call = call.query("includeLists", "true");
    }
    call.records_page = true;
    if let Some(s) = &options.external_service {
        call = call.query("externalService", s);
    }
    Ok(call)
}

/// `GET collections/{c}/all[?updatedAfter=]`.
pub(crate) fn all(collection: &str, updated_after: Option<Timestamp>) -> Result<Call> {
    let mut call = at(collection, Method::GET, &["all"], Repeat::Safe)?;
    if let Some(t) = updated_after {
        call = call.query("updatedAfter", t);
    }
    Ok(call)
}

/// `POST collections/{c}`: a create, never repeated once it may have arrived.
pub(crate) fn create<T: Serialize>(
    collection: &str,
    fields: &T,
    external: Option<&BTreeMap<String, String>>,
) -> Result<Call> {
    let body = WriteBody {
        id: None,
        numeric_id: None,
        data: fields,
        external,
    };
    at(collection, Method::POST, &[], Repeat::Once)?.json(&body)
}

/// `PATCH` of a record (`rest` = `[id]` or `["ext", service, id]`).
pub(crate) fn update<T: Serialize>(collection: &str, rest: &[&str], changes: &T) -> Result<Call> {
    let body = WriteBody {
        id: None,
        numeric_id: None,
        data: changes,
        external: None,
    };
    at(collection, Method::PATCH, rest, Repeat::Safe)?.json(&body)
}

/// The record in the answer to a create: an accepted create without it is an error that
/// says it was applied.
pub(crate) fn created<T>(attempted: String, record: Option<Record<T>>) -> Result<Record<T>> {
    record.ok_or_else(|| Error::Decode {
        attempted,
        path: ".".into(),
        message: "the service accepted the create but answered without the record; read it back by an external id (create_once does this)".into(),
        excerpt: Excerpt(String::new()),
        applied: true,
    })
}

/// The record an answer to a write may carry (`None` for an empty answer or `204`).
pub(crate) fn optional_record<T: DeserializeOwned>(
    attempted: &str,
    answer: &Answer,
) -> Result<Option<Record<T>>> {
    if is_blank(&answer.body) || answer.status == 204 {
        return Ok(None);
    }
    decode(attempted, &answer.body, true)
        .map(Some)
        .map_err(Error::applied)
}

/// `GET activities/{c}/{r}`.
pub(crate) fn activities(collection: &str, id: &str) -> Result<Call> {
    Call::new(Method::GET, &["activities", collection, id], Repeat::Safe)
}

/// `POST activities/{c}/{r}`: never repeated once it may have arrived.
pub(crate) fn add_activity(
    collection: &str,
    id: &str,
    activity: &crate::activity::NewActivity,
) -> Result<Call> {
    Call::new(Method::POST, &["activities", collection, id], Repeat::Once)?.json(activity)
}

/// The value an answer to a write may carry (`None` for an empty answer or `204`).
pub(crate) fn optional<T: DeserializeOwned>(attempted: &str, answer: &Answer) -> Result<Option<T>> {
    if is_blank(&answer.body) || answer.status == 204 {
        return Ok(None);
    }
    decode(attempted, &answer.body, true)
        .map(Some)
        .map_err(Error::applied)
}

pub(crate) fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Where a record scan stands: which page to ask for next and when it is over. The
/// same arithmetic for the blocking iterator and the async stream.
#[derive(Debug)]
pub(crate) struct Pager {
    next_index: usize,
    seen: u64,
    done: bool,
    page_size: usize,
    max_pages: usize,
}

impl Pager {
    pub(crate) fn new(page_size: usize, max_pages: usize) -> Pager {
        Pager {
            next_index: 0,
            seen: 0,
            done: false,
            page_size,
            max_pages,
        }
    }

    /// The index of the next page to fetch; `None` when the scan is over; an error
    /// (once) when the server's pages did not end within `max_pages`.
    pub(crate) fn next(&mut self, collection: &str) -> Option<Result<usize>> {
        if self.done {
            return None;
        }
        if self.next_index >= self.max_pages {
            self.done = true;
            let (max_pages, seen) = (self.max_pages, self.seen);
            return Some(Err(Error::Decode {
                attempted: format!("GET /collections/{collection}"),
                path: ".".into(),
                message: format!(
                    "the listing did not end within {max_pages} pages ({seen} records read); the server's paging looks broken (raise ClientBuilder::max_pages if the collection is really this large)"
                ),
                excerpt: Excerpt(String::new()),
                applied: false,
            }));
        }
        Some(Ok(self.next_index))
    }

    /// A page arrived. With a total, the scan reads until it is reached (a server that
    /// pages smaller than asked must not end it early); without one, a short page is the
    /// last. An empty page always ends it.
    pub(crate) fn arrived<T>(&mut self, page: &Page<T>) {
        self.next_index += 1;
        let got = page.records.len();
        self.seen += got as u64;
        self.done = got == 0
            || match page.total_records {
                Some(t) => self.seen >= t,
                None => got < self.page_size,
            };
    }

    /// A page request failed: the scan ends with that error.
    pub(crate) fn failed(&mut self) {
        self.done = true;
    }

    /// Whether the scan is over.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The page index to fetch after the last one that arrived.
    pub(crate) fn next_index(&self) -> usize {
        self.next_index
    }
}
