//! Typed collection handles: pages, lazy iteration, `/all`, single-record calls,
//! external ids and activities. Bulk calls are in `bulk.rs`, exactly-once creates in
//! `once.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::Client;
use crate::error::{Error, Excerpt, Result, decode};
use crate::link::RecordRef;
use crate::prefetch::Ahead;
use crate::record::{Collection, Page, Record, Untyped, WriteBody};
use crate::retry::Repeat;
use crate::send::Call;
use crate::stream::AllRecords;

/// The most records a page or a bulk call may carry (documented).
pub const MAX_BATCH: usize = kinabase_contract::limits::MAX_BULK;

/// A handle on one collection, typed by its generated [`Collection`] type.
pub struct CollectionHandle<C: Collection> {
    pub(crate) client: Client,
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

impl Client {
    /// The typed handle of a generated collection.
    pub fn collection<C: Collection>(&self) -> CollectionHandle<C> {
        CollectionHandle::new(self.clone(), C::SLUG.to_string())
    }

    /// An untyped handle for a collection that is not in the bindings (id or slug).
    pub fn untyped(&self, collection: &str) -> CollectionHandle<Untyped> {
        CollectionHandle::new(self.clone(), collection.to_string())
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
    /// Pages a lazy scan requests ahead while the current one is consumed (0..=4;
    /// default 0). Each goes through the rate budget; see [`ListOptions::prefetch`].
    pub prefetch: usize,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: MAX_BATCH,
            updated_after: None,
            include_lists: false,
            external_service: None,
            prefetch: 0,
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

    /// Requests up to `n` next pages (at most 4) while the current one is consumed, for
    /// scans whose pages are slow to serve: with pages taking 1.5 s and the documented
    /// 100 requests a minute, 2 or 3 keep a scan at the rate limit instead of at the
    /// server's pace. Pages still come in order; every request still waits for the
    /// client's rate budget; at most `n` pages of bytes are held ahead; dropping the
    /// iterator starts no new request. Prefetching starts once the first page has given
    /// the total, and never asks past it.
    pub fn prefetch(mut self, n: usize) -> Self {
        self.prefetch = n.min(crate::prefetch::MAX_PREFETCH);
        self
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

    /// A call to `collections/{collection}/{rest...}`, every segment encoded.
    pub(crate) fn call(&self, method: Method, rest: &[&str], repeat: Repeat) -> Result<Call> {
        let mut segments = vec!["collections", self.path.as_str()];
        segments.extend_from_slice(rest);
        Call::new(method, &segments, repeat)
    }

    /// One page (index from 0) with the given options.
    pub fn page(&self, index: usize, options: &ListOptions) -> Result<Page<C::Read>> {
        self.client.fetch(self.page_call(index, options)?)
    }

    /// The request for one page.
    fn page_call(&self, index: usize, options: &ListOptions) -> Result<Call> {
        let mut call = self
            .call(Method::GET, &[], Repeat::Safe)?
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
        Ok(call)
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
            ahead: Ahead::default(),
            end: None,
        }
    }

    /// Every record in one request (`/all`, up to 100,000 records), collected. The
    /// answer is decoded as it arrives ([`iter_all`](Self::iter_all)), so only the
    /// decoded records are held, never the answer's bytes.
    pub fn all(&self) -> Result<Vec<Record<C::Read>>> {
        self.all_updated_after(None)
    }

    /// Every record updated after `t` in one request (`/all?updatedAfter=`), collected.
    pub fn all_updated_after(&self, t: Option<Timestamp>) -> Result<Vec<Record<C::Read>>> {
        self.iter_all_updated_after(t)?.collect()
    }

    /// Every record in one request (`/all`), decoded one at a time as the answer
    /// arrives: memory stays at one record whatever the collection's size. The request
    /// (with its retries) is made here; reading errors come from the iterator.
    pub fn iter_all(&self) -> Result<AllRecords<C>> {
        self.iter_all_updated_after(None)
    }

    /// [`iter_all`](Self::iter_all) for the records updated after `t`.
    pub fn iter_all_updated_after(&self, t: Option<Timestamp>) -> Result<AllRecords<C>> {
        let mut call = self.call(Method::GET, &["all"], Repeat::Safe)?;
        if let Some(t) = t {
            call = call.query("updatedAfter", t);
        }
        call.stream = true;
        let attempted = call.attempted();
        let answer = self.client.execute(call)?;
        let body: Box<dyn std::io::Read + Send> = match answer.stream {
            Some(stream) => Box::new(stream),
            None => Box::new(std::io::Cursor::new(answer.body)),
        };
        Ok(AllRecords::new(
            attempted,
            body,
            self.client.inner.max_response_bytes,
        ))
    }

    /// One record by id.
    pub fn get(&self, id: &str) -> Result<Record<C::Read>> {
        self.client
            .fetch(self.call(Method::GET, &[id], Repeat::Safe)?)
    }

    /// A link value to the record of this collection with this id: the collection is
    /// named by the handle, never guessed from context.
    pub fn reference(&self, id: impl Into<String>) -> RecordRef<C> {
        RecordRef::from_raw_id(id)
    }

    /// The record a link of this collection points at: `jobs.get_ref(&po.job)` only
    /// compiles when the link's target is this collection.
    pub fn get_ref(&self, reference: &RecordRef<C>) -> Result<Record<C::Read>> {
        self.get(reference.id())
    }

    /// Creates a record and returns it as the service stored it. Never sent twice once
    /// it may have reached the server: on a dropped connection or a `5xx` the error says
    /// it [may have been applied](Error::may_have_been_applied). For a create that is
    /// safe to repeat, use [`create_once`](Self::create_once).
    pub fn create(&self, fields: &C::Create) -> Result<Record<C::Read>> {
        self.create_with_external(fields, None)
    }

    /// Creates a record with ids in external systems (`{"service": "id"}`).
    pub fn create_with_external(
        &self,
        fields: &C::Create,
        external: Option<&BTreeMap<String, String>>,
    ) -> Result<Record<C::Read>> {
        let body = WriteBody {
            id: None,
            numeric_id: None,
            data: fields,
            external,
        };
        let call = self.call(Method::POST, &[], Repeat::Once)?.json(&body)?;
        let attempted = call.attempted();
        self.optional_record(call)?.ok_or_else(|| Error::Decode {
            attempted,
            path: ".".into(),
            message: "the service accepted the create but answered without the record; read it back by an external id (create_once does this)".into(),
            excerpt: Excerpt(String::new()),
            applied: true,
        })
    }

    /// Updates only the fields the update sets or clears. Returns the record when the
    /// service answers with it.
    pub fn update(&self, id: &str, changes: &C::Update) -> Result<Option<Record<C::Read>>> {
        let body = WriteBody {
            id: None,
            numeric_id: None,
            data: changes,
            external: None,
        };
        let call = self.call(Method::PATCH, &[id], Repeat::Safe)?.json(&body)?;
        self.optional_record(call)
    }

    /// Deletes a record.
    pub fn delete(&self, id: &str) -> Result<()> {
        let call = self.call(Method::DELETE, &[id], Repeat::Safe)?;
        self.client.execute(call).map(|_| ())
    }

    /// A record by its id in an external system.
    pub fn get_external(&self, service: &str, external_id: &str) -> Result<Record<C::Read>> {
        self.client
            .fetch(self.call(Method::GET, &["ext", service, external_id], Repeat::Safe)?)
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
        let call = self
            .call(Method::PATCH, &["ext", service, external_id], Repeat::Safe)?
            .json(&body)?;
        self.optional_record(call)
    }

    /// Deletes a record found by its external id.
    pub fn delete_external(&self, service: &str, external_id: &str) -> Result<()> {
        let call = self.call(Method::DELETE, &["ext", service, external_id], Repeat::Safe)?;
        self.client.execute(call).map(|_| ())
    }

    /// A record's timeline entries (raw JSON; their shape is undocumented).
    pub fn activities(&self, id: &str) -> Result<Vec<Value>> {
        let call = Call::new(Method::GET, &["activities", &self.path, id], Repeat::Safe)?;
        self.client.fetch(call)
    }

    /// Adds a timeline entry. Not repeated automatically (it would appear twice).
    pub fn add_activity(&self, id: &str, content: &str, kind: &str, at: Timestamp) -> Result<()> {
        let call = Call::new(Method::POST, &["activities", &self.path, id], Repeat::Once)?
            .json(&json!({"content": content, "type": kind, "timestamp": at}))?;
        self.client.execute(call).map(|_| ())
    }

    pub(crate) fn optional_record(&self, call: Call) -> Result<Option<Record<C::Read>>> {
        let attempted = call.attempted();
        let answer = self.client.execute(call)?;
        if is_blank(&answer.body) || answer.status == 204 {
            return Ok(None);
        }
        decode(&attempted, &answer.body, true)
            .map(Some)
            .map_err(Error::applied)
    }
}

pub(crate) fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// A lazy iterator over every record of a collection, one page at a time.
///
/// It holds at most one page. It ends when the announced total is reached, at an empty
/// page, at a short page when there is no total, and with an error after
/// [`max_pages`](crate::ClientBuilder::max_pages) pages. A failed page request ends the
/// iteration with that error (after the client's retries).
pub struct RecordIter<C: Collection> {
    handle: CollectionHandle<C>,
    options: ListOptions,
    next_index: usize,
    buffer: std::vec::IntoIter<Record<C::Read>>,
    seen: u64,
    done: bool,
    /// Pages requested ahead (`ListOptions::prefetch`).
    ahead: Ahead,
    /// The page count the first page's total implies, once known.
    end: Option<usize>,
}

impl<C: Collection> RecordIter<C> {
    /// Page `index`, from the pages fetched ahead when it is there.
    fn fetch(&mut self, index: usize) -> Result<Page<C::Read>> {
        let call = self.handle.page_call(index, &self.options)?;
        let attempted = call.attempted();
        match self.ahead.take(index, &attempted) {
            Some(body) => decode(&attempted, &body?, true),
            None => self.handle.client.fetch(call),
        }
    }
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
            let max_pages = self.handle.client.inner.max_pages;
            if self.next_index >= max_pages {
                self.done = true;
                return Some(Err(Error::Decode {
                    attempted: format!("GET /collections/{}", self.handle.path),
                    path: ".".into(),
                    message: format!(
                        "the listing did not end within {max_pages} pages ({} records read); the server's paging looks broken (raise ClientBuilder::max_pages if the collection is really this large)",
                        self.seen
                    ),
                    excerpt: Excerpt(String::new()),
                    applied: false,
                }));
            }
            match self.fetch(self.next_index) {
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
                    if self.options.prefetch > 0 && !self.done {
                        if self.end.is_none()
                            && let Some(t) = total
                        {
                            let per_page = got.max(1) as u64;
                            let pages = t.div_ceil(per_page).min(max_pages as u64);
                            self.end = Some(pages as usize);
                        }
                        let (handle, options) = (&self.handle, &self.options);
                        self.ahead.fill(
                            &handle.client,
                            options.prefetch,
                            self.next_index,
                            self.end.unwrap_or(0),
                            |i| handle.page_call(i, options),
                        );
                    }
                }
            }
        }
    }
}
