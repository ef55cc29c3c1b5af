//! Typed collection handles: pages, lazy iteration, `/all`, single-record calls,
//! external ids and activities. Bulk calls are in `bulk.rs`, exactly-once creates in
//! `once.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::thread::JoinHandle;

use jiff::Timestamp;
use reqwest::Method;

use crate::activity::{Activity, NewActivity};
use crate::call::Call;
use crate::client::Client;
use crate::error::{Result, decode};
use crate::link::RecordRef;
use crate::options::ListOptions;
use crate::prefetch::{PageScan, Step, worker_lost};
use crate::record::{Collection, Page, Record, Untyped};
use crate::requests::{self, Pager};
use crate::retry::Repeat;
use crate::stream::AllRecords;

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
        requests::at(&self.path, method, rest, repeat)
    }

    /// One page (index from 0) with the given options.
    pub fn page(&self, index: usize, options: &ListOptions) -> Result<Page<C::Read>> {
        self.client
            .fetch(requests::page(&self.path, index, options)?)
    }

    /// Every record, lazily, 300 a request; at most one page is held in memory.
    pub fn iter(&self) -> RecordIter<C> {
        self.iter_with(ListOptions::default())
    }

    /// Every record matching `options`, lazily.
    pub fn iter_with(&self, options: ListOptions) -> RecordIter<C> {
        RecordIter {
            scan: PageScan::new(Pager::new(options.page_size, self.client.inner.max_pages)),
            handle: self.clone(),
            options,
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
        let mut call = requests::all(&self.path, t)?;
        call.stream = true;
        let attempted = call.attempted();
        let (answer, stream) = self.client.execute_streamed(call)?;
        let body: Box<dyn std::io::Read + Send> = match stream {
            Some(stream) => Box::new(stream),
            None => Box::new(std::io::Cursor::new(answer.body)),
        };
        Ok(AllRecords::new(
            attempted,
            answer.status,
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
    /// it [may have been applied](crate::Error::may_have_been_applied). For a create that is
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
        let call = requests::create(&self.path, fields, external)?;
        let attempted = call.attempted();
        requests::created(attempted, self.optional_record(call)?)
    }

    /// Updates only the fields the update sets or clears. Returns the record when the
    /// service answers with it.
    pub fn update(&self, id: &str, changes: &C::Update) -> Result<Option<Record<C::Read>>> {
        self.optional_record(requests::update(&self.path, &[id], changes)?)
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
        self.optional_record(requests::update(
            &self.path,
            &["ext", service, external_id],
            changes,
        )?)
    }

    /// Deletes a record found by its external id.
    pub fn delete_external(&self, service: &str, external_id: &str) -> Result<()> {
        let call = self.call(Method::DELETE, &["ext", service, external_id], Repeat::Safe)?;
        self.client.execute(call).map(|_| ())
    }

    /// A record's timeline entries.
    pub fn activities(&self, id: &str) -> Result<Vec<Activity>> {
        self.client.fetch(requests::activities(&self.path, id)?)
    }

    /// Adds a timeline entry; the entry as stored when the service answers with it. Not
    /// repeated automatically once it may have arrived (it would appear twice).
    pub fn add_activity(&self, id: &str, activity: &NewActivity) -> Result<Option<Activity>> {
        let call = requests::add_activity(&self.path, id, activity)?;
        let attempted = call.attempted();
        let answer = self.client.execute(call)?;
        requests::optional(&attempted, &answer)
    }

    pub(crate) fn optional_record(&self, call: Call) -> Result<Option<Record<C::Read>>> {
        let attempted = call.attempted();
        let answer = self.client.execute(call)?;
        requests::optional_record(&attempted, &answer)
    }
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
    /// Pages requested ahead (`ListOptions::prefetch`) run on threads of their own.
    scan: PageScan<C::Read, JoinHandle<Result<Vec<u8>>>>,
}

impl<C: Collection> RecordIter<C> {
    /// Page `index`, from its fetch started ahead when there is one.
    fn fetch(
        &self,
        index: usize,
        ahead: Option<JoinHandle<Result<Vec<u8>>>>,
    ) -> Result<Page<C::Read>> {
        let call = requests::page(&self.handle.path, index, &self.options)?;
        let attempted = call.attempted();
        match ahead {
            Some(worker) => {
                let body = worker
                    .join()
                    .unwrap_or_else(|_| Err(worker_lost(&attempted)))?;
                decode(&attempted, &body, true)
            }
            None => self.handle.client.fetch(call),
        }
    }
}

impl<C: Collection> fmt::Debug for RecordIter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordIter")
            .field("collection", &self.handle.path)
            .field("next_index", &self.scan.next_index())
            .finish()
    }
}

impl<C: Collection> Iterator for RecordIter<C> {
    type Item = Result<Record<C::Read>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let page = match self.scan.step(&self.handle.path) {
                Step::Record(r) => return Some(Ok(r)),
                Step::Fetch(index, ahead) => self.fetch(index, ahead),
                Step::Failed(e) => return Some(Err(e)),
                Step::End => return None,
            };
            let handle = &self.handle;
            let fetched = self.scan.fetched(
                page,
                &handle.path,
                &self.options,
                handle.client.inner.max_pages,
                |call| {
                    let client = handle.client.clone();
                    std::thread::Builder::new()
                        .name("kinabase-prefetch".into())
                        .spawn(move || client.execute(call).map(|a| a.body))
                        .ok()
                },
            );
            if let Err(e) = fetched {
                return Some(Err(e));
            }
        }
    }
}
