//! Typed collection handles: pages, lazy iteration, `/all`, single-record calls, bulk
//! calls chunked to the documented limit, external ids and activities.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use jiff::Timestamp;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::client::{Call, Client, Repeat};
use crate::error::{Error, Result, decode};
use crate::record::{Collection, Page, Record, WriteBody};

/// The most records a page or a bulk call may carry (documented).
pub const MAX_BATCH: usize = 300;

/// A handle on one collection, typed by its generated [`Collection`] type.
pub struct CollectionHandle<C: Collection> {
    client: Client,
    path: String,
    _c: PhantomData<fn() -> C>,
}

impl<C: Collection> Clone for CollectionHandle<C> {
    fn clone(&self) -> Self {
        CollectionHandle {
            client: self.client.clone(),
            path: self.path.clone(),
            _c: PhantomData,
        }
    }
}

impl<C: Collection> fmt::Debug for CollectionHandle<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectionHandle")
            .field("collection", &self.path)
            .finish()
    }
}

/// Options of a listing: filters and page size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOptions {
    /// Records per request (1..=300; default 300, the fewest requests).
    pub page_size: usize,
    /// Only records updated after this instant.
    pub updated_after: Option<Timestamp>,
    /// Include collection-list fields.
    pub include_lists: bool,
    /// Only records with an id in this external service.
    pub external_service: Option<String>,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: MAX_BATCH,
            updated_after: None,
            include_lists: false,
            external_service: None,
        }
    }
}

impl ListOptions {
    /// Sets the page size (clamped to 1..=300).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.clamp(1, MAX_BATCH);
        self
    }

    /// Only records updated after `t`.
    pub fn updated_after(mut self, t: Timestamp) -> Self {
        self.updated_after = Some(t);
        self
    }

    /// Include collection-list fields.
    pub fn include_lists(mut self, yes: bool) -> Self {
        self.include_lists = yes;
        self
    }
}

/// The records a bulk call wrote, chunk by chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkReport<T> {
    /// One entry per chunk sent, in order.
    pub chunks: Vec<BulkChunk<T>>,
}

/// One chunk of a bulk call that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkChunk<T> {
    /// Indexes of the caller's items this chunk carried.
    pub items: Range<usize>,
    /// The records the service returned (empty when it answered without a body).
    pub records: Vec<Record<T>>,
}

impl<T> BulkReport<T> {
    /// How many items were written.
    pub fn written(&self) -> usize {
        self.chunks.iter().map(|c| c.items.len()).sum()
    }

    /// Every returned record, in order.
    pub fn records(&self) -> impl Iterator<Item = &Record<T>> {
        self.chunks.iter().flat_map(|c| c.records.iter())
    }
}

/// A bulk call that stopped at a failed chunk. Chunks before it were written (and are in
/// `completed`); the failed chunk was not (or may not have been, for a dropped
/// connection: see `source`); later chunks were not attempted.
#[derive(Debug)]
pub struct BulkError<T> {
    /// Chunks written before the failure.
    pub completed: BulkReport<T>,
    /// Items of the failed chunk.
    pub failed: Range<usize>,
    /// Items never sent.
    pub not_attempted: Range<usize>,
    /// Why the chunk failed.
    pub source: Box<Error>,
}

impl<T> fmt::Display for BulkError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bulk call failed on items {:?} after writing {} item(s); items {:?} were not sent: {}",
            self.failed,
            self.completed.written(),
            self.not_attempted,
            self.source
        )
    }
}

impl<T: fmt::Debug> std::error::Error for BulkError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

impl<C: Collection> CollectionHandle<C> {
    pub(crate) fn new(client: Client, path: String) -> Self {
        CollectionHandle {
            client,
            path,
            _c: PhantomData,
        }
    }

    /// The collection id or slug used in paths.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn url(&self, rest: &str) -> String {
        let c = encode(&self.path);
        if rest.is_empty() {
            format!("collections/{c}")
        } else {
            format!("collections/{c}/{rest}")
        }
    }

    /// One page (index from 0) with the given options.
    pub fn page(&self, index: usize, options: &ListOptions) -> Result<Page<C::Read>> {
        let mut call = Call::new(Method::GET, self.url(""), Repeat::Safe)
            .query("pageIndex", index)
            .query("pageSize", options.page_size.clamp(1, MAX_BATCH));
        if let Some(t) = options.updated_after {
            call = call.query("updatedAfter", t);
        }
        if options.include_lists {
            call = call.query("includeLists", "true");
        }
        if let Some(s) = &options.external_service {
            call = call.query("externalService", s);
        }
        self.client.fetch(call)
    }

    /// Every record, lazily, 300 a request; at most one page is held in memory.
    pub fn iter(&self) -> RecordIter<C> {
        self.iter_with(ListOptions::default())
    }

    /// Every record matching `options`, lazily.
    pub fn iter_with(&self, options: ListOptions) -> RecordIter<C> {
        RecordIter {
            handle: self.clone(),
            options,
            next_index: 0,
            buffer: Vec::new().into_iter(),
            seen: 0,
            done: false,
        }
    }

    /// Every record in one request (`/all`, up to 100,000 records).
    pub fn all(&self) -> Result<Vec<Record<C::Read>>> {
        self.all_updated_after(None)
    }

    /// Every record updated after `t` in one request (`/all?updatedAfter=`).
    pub fn all_updated_after(&self, t: Option<Timestamp>) -> Result<Vec<Record<C::Read>>> {
        let mut call = Call::new(Method::GET, self.url("all"), Repeat::Safe);
        if let Some(t) = t {
            call = call.query("updatedAfter", t);
        }
        self.client.fetch(call)
    }

    /// One record by id.
    pub fn get(&self, id: &str) -> Result<Record<C::Read>> {
        self.client
            .fetch(Call::new(Method::GET, self.url(&encode(id)), Repeat::Safe))
    }

    /// Creates a record. Never sent twice once it may have reached the server. Returns
    /// the created record, or `None` when the service answered without a body.
    pub fn create(&self, fields: &C::Create) -> Result<Option<Record<C::Read>>> {
        self.create_with_external(fields, None)
    }

    /// Creates a record with ids in external systems (`{"service": "id"}`).
    pub fn create_with_external(
        &self,
        fields: &C::Create,
        external: Option<&BTreeMap<String, String>>,
    ) -> Result<Option<Record<C::Read>>> {
        let body = WriteBody {
            id: None,
            numeric_id: None,
            data: fields,
            external,
        };
        let call = Call::new(Method::POST, self.url(""), Repeat::Once).json(&body)?;
        self.optional_record(call)
    }

    /// Updates only the fields the update sets or clears.
    pub fn update(&self, id: &str, changes: &C::Update) -> Result<Option<Record<C::Read>>> {
        let body = WriteBody {
            id: None,
            numeric_id: None,
            data: changes,
            external: None,
        };
        let call = Call::new(Method::PATCH, self.url(&encode(id)), Repeat::Safe).json(&body)?;
        self.optional_record(call)
    }

    /// Deletes a record.
    pub fn delete(&self, id: &str) -> Result<()> {
        self.client
            .execute(Call::new(
                Method::DELETE,
                self.url(&encode(id)),
                Repeat::Safe,
            ))
            .map(|_| ())
    }

    /// A record by its id in an external system.
    pub fn get_external(&self, service: &str, external_id: &str) -> Result<Record<C::Read>> {
        self.client.fetch(Call::new(
            Method::GET,
            self.url(&format!("ext/{}/{}", encode(service), encode(external_id))),
            Repeat::Safe,
        ))
    }

    /// Updates a record found by its external id.
    pub fn update_external(
        &self,
        service: &str,
        external_id: &str,
        changes: &C::Update,
    ) -> Result<Option<Record<C::Read>>> {
        let body = WriteBody {
            id: None,
            numeric_id: None,
            data: changes,
            external: None,
        };
        let call = Call::new(
            Method::PATCH,
            self.url(&format!("ext/{}/{}", encode(service), encode(external_id))),
            Repeat::Safe,
        )
        .json(&body)?;
        self.optional_record(call)
    }

    /// Deletes a record found by its external id.
    pub fn delete_external(&self, service: &str, external_id: &str) -> Result<()> {
        let call = Call::new(
            Method::DELETE,
            self.url(&format!("ext/{}/{}", encode(service), encode(external_id))),
            Repeat::Safe,
        );
        self.client.execute(call).map(|_| ())
    }

    /// A record's timeline entries (raw JSON; their shape is undocumented).
    pub fn activities(&self, id: &str) -> Result<Vec<Value>> {
        let path = format!("activities/{}/{}", encode(&self.path), encode(id));
        self.client
            .fetch(Call::new(Method::GET, path, Repeat::Safe))
    }

    /// Adds a timeline entry. Not repeated automatically (it would appear twice).
    pub fn add_activity(&self, id: &str, content: &str, kind: &str, at: Timestamp) -> Result<()> {
        let path = format!("activities/{}/{}", encode(&self.path), encode(id));
        let call = Call::new(Method::POST, path, Repeat::Once)
            .json(&json!({"content": content, "type": kind, "timestamp": at}))?;
        self.client.execute(call).map(|_| ())
    }

    /// Creates many records, 300 a request. A failure in one chunk stops the call and
    /// reports which earlier chunks were written.
    pub fn bulk_create(
        &self,
        items: &[C::Create],
    ) -> Result<BulkReport<C::Read>, BulkError<C::Read>> {
        let bodies: Vec<WriteBody<'_, C::Create>> = items
            .iter()
            .map(|d| WriteBody {
                id: None,
                numeric_id: None,
                data: d,
                external: None,
            })
            .collect();
        self.bulk(
            Method::POST,
            &bodies,
            Repeat::Once,
            |chunk| json!({ "records": chunk }),
        )
    }

    /// Updates many records, 300 a request. Each item is a record id and its changes.
    pub fn bulk_update<I: AsRef<str>>(
        &self,
        items: &[(I, C::Update)],
    ) -> Result<BulkReport<C::Read>, BulkError<C::Read>> {
        let bodies: Vec<WriteBody<'_, C::Update>> = items
            .iter()
            .map(|(id, d)| WriteBody {
                id: Some(id.as_ref()),
                numeric_id: None,
                data: d,
                external: None,
            })
            .collect();
        self.bulk(
            Method::PATCH,
            &bodies,
            Repeat::Safe,
            |chunk| json!({ "records": chunk }),
        )
    }

    /// Deletes many records, 300 a request.
    pub fn bulk_delete<I: AsRef<str>>(
        &self,
        ids: &[I],
    ) -> Result<BulkReport<C::Read>, BulkError<C::Read>> {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        self.bulk(
            Method::DELETE,
            &ids,
            Repeat::Safe,
            |chunk| json!({ "recordIds": chunk }),
        )
    }

    fn bulk<B: Serialize>(
        &self,
        method: Method,
        items: &[B],
        repeat: Repeat,
        wrap: impl Fn(&[B]) -> Value,
    ) -> Result<BulkReport<C::Read>, BulkError<C::Read>> {
        let mut report = BulkReport { chunks: Vec::new() };
        let mut start = 0;
        for chunk in items.chunks(MAX_BATCH) {
            let range = start..start + chunk.len();
            start = range.end;
            let fail = |report: BulkReport<C::Read>, source: Error| BulkError {
                completed: report,
                failed: range.clone(),
                not_attempted: range.end..items.len(),
                source: Box::new(source),
            };
            let call = match Call::new(method.clone(), self.url("bulk"), repeat).json(&wrap(chunk))
            {
                Ok(c) => c,
                Err(e) => return Err(fail(report, e)),
            };
            let attempted = call.attempted();
            match self.client.execute(call) {
                Ok(answer) => {
                    let records = if is_blank(&answer.body) {
                        Vec::new()
                    } else {
                        match decode::<BulkAnswer<C::Read>>(&attempted, &answer.body, true) {
                            Ok(a) => a.records,
                            // Written, but unreadable: report it written, with no records.
                            Err(e) => {
                                tracing::warn!(error = %e, "bulk answer not decoded");
                                Vec::new()
                            }
                        }
                    };
                    report.chunks.push(BulkChunk {
                        items: range,
                        records,
                    });
                }
                Err(e) => return Err(fail(report, e)),
            }
        }
        Ok(report)
    }

    fn optional_record(&self, call: Call) -> Result<Option<Record<C::Read>>> {
        let attempted = call.attempted();
        let answer = self.client.execute(call)?;
        if is_blank(&answer.body) || answer.status == 204 {
            return Ok(None);
        }
        decode(&attempted, &answer.body, true).map(Some)
    }
}

#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct BulkAnswer<T> {
    #[serde(default)]
    records: Vec<Record<T>>,
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Percent-encodes one path segment.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A lazy iterator over every record of a collection, one page at a time.
///
/// It holds at most one page. A failed page request ends the iteration with that error
/// (after the client's retries).
pub struct RecordIter<C: Collection> {
    handle: CollectionHandle<C>,
    options: ListOptions,
    next_index: usize,
    buffer: std::vec::IntoIter<Record<C::Read>>,
    seen: u64,
    done: bool,
}

impl<C: Collection> fmt::Debug for RecordIter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordIter")
            .field("collection", &self.handle.path)
            .field("next_index", &self.next_index)
            .finish()
    }
}

impl<C: Collection> Iterator for RecordIter<C> {
    type Item = Result<Record<C::Read>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.buffer.next() {
                self.seen += 1;
                return Some(Ok(r));
            }
            if self.done {
                return None;
            }
            match self.handle.page(self.next_index, &self.options) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(page) => {
                    self.next_index += 1;
                    let got = page.records.len();
                    let total = page.total_records;
                    // With a total, read until it is reached (a server that pages smaller
                    // than asked must not end the scan early); without one, a short page
                    // is the last. An empty page always ends it.
                    self.done = got == 0
                        || match total {
                            Some(t) => self.seen + got as u64 >= t,
                            None => got < self.options.page_size,
                        };
                    self.buffer = page.records.into_iter();
                }
            }
        }
    }
}
