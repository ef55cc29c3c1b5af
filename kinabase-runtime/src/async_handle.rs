//! Typed async collection handles (feature `async`): the same requests, paging and bulk
//! chunking as the blocking handles (`requests.rs`, `bulk.rs`), sent by the async client;
//! records as a `futures::Stream` that fetches pages lazily.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use futures_core::Stream;
use futures_util::StreamExt;
use jiff::Timestamp;
use reqwest::Method;
use serde_json::Value;

use crate::activity::{Activity, NewActivity};
use crate::async_client::AsyncClient;
use crate::bulk::{BulkResult, Collect, chunk_records, chunks, create_bodies, update_bodies};
use crate::call::Call;
use crate::error::{Error, Result, decode};
use crate::ingest::{IngestRecord, Ingestible, ingest_chunks};
use crate::link::RecordRef;
use crate::options::ListOptions;
use crate::prefetch::{PageScan, Step, worker_lost};
use crate::record::{Collection, Page, Record, Untyped};
use crate::requests::{self, Pager};
use crate::retry::Repeat;
use crate::stream::{Fed, Splitter, read_failed};

/// An async handle on one collection, typed by its generated [`Collection`] type: the
/// async twin of [`CollectionHandle`](crate::CollectionHandle).
pub struct AsyncCollectionHandle<C: Collection> {
    pub(crate) client: AsyncClient,
    path: String,
    _c: PhantomData<fn() -> C>,
}

impl<C: Collection> Clone for AsyncCollectionHandle<C> {
    fn clone(&self) -> Self {
        AsyncCollectionHandle {
            client: self.client.clone(),
            path: self.path.clone(),
            _c: PhantomData,
        }
    }
}

impl<C: Collection> fmt::Debug for AsyncCollectionHandle<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncCollectionHandle")
            .field("collection", &self.path)
            .finish()
    }
}

impl AsyncClient {
    /// The typed handle of a generated collection.
    pub fn collection<C: Collection>(&self) -> AsyncCollectionHandle<C> {
        AsyncCollectionHandle::new(self.clone(), C::SLUG.to_string())
    }

    /// An untyped handle for a collection that is not in the bindings (id or slug).
    pub fn untyped(&self, collection: &str) -> AsyncCollectionHandle<Untyped> {
        AsyncCollectionHandle::new(self.clone(), collection.to_string())
    }
}

impl<C: Collection> AsyncCollectionHandle<C> {
    pub(crate) fn new(client: AsyncClient, path: String) -> Self {
        AsyncCollectionHandle {
            client,
            path,
            _c: PhantomData,
        }
    }

    /// The collection id or slug used in paths.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn call(&self, method: Method, rest: &[&str], repeat: Repeat) -> Result<Call> {
        requests::at(&self.path, method, rest, repeat)
    }

    /// One page (index from 0) with the given options.
    pub async fn page(&self, index: usize, options: &ListOptions) -> Result<Page<C::Read>> {
        self.client
            .fetch(requests::page(&self.path, index, options)?)
            .await
    }

    /// Every record as a stream, 300 a request, each page fetched when the stream
    /// reaches it; at most one page is held in memory. It ends as
    /// [`RecordIter`](crate::RecordIter) does (announced total, empty page, short page
    /// without a total, an error after `max_pages`).
    pub fn stream(&self) -> impl Stream<Item = Result<Record<C::Read>>> + use<C> {
        self.stream_with(ListOptions::default())
    }

    /// Every record matching `options`, as a stream. With
    /// [`ListOptions::prefetch`], up to that many next pages are requested as tokio
    /// tasks while the current one is consumed (in order, through the rate budget).
    pub fn stream_with(
        &self,
        options: ListOptions,
    ) -> impl Stream<Item = Result<Record<C::Read>>> + use<C> {
        let pager = Pager::new(options.page_size, self.client.inner.core.max_pages);
        let pages = Pages {
            handle: self.clone(),
            options,
            scan: PageScan::new(pager),
        };
        let records = futures_util::stream::unfold(pages, |mut pages| async move {
            let item = pages.next().await?;
            Some((item, pages))
        });
        // Polled again after its end, it ends again (an `unfold` alone would panic).
        StreamExt::fuse(records)
    }

    /// Every record in one request (`/all`, up to 100,000 records), collected. The
    /// answer is decoded as it arrives ([`stream_all`](Self::stream_all)), so only the
    /// decoded records are held, never the answer's bytes.
    pub async fn all(&self) -> Result<Vec<Record<C::Read>>> {
        self.all_updated_after(None).await
    }

    /// Every record updated after `t` in one request (`/all?updatedAfter=`), collected.
    pub async fn all_updated_after(&self, t: Option<Timestamp>) -> Result<Vec<Record<C::Read>>> {
        use futures_util::TryStreamExt;
        self.stream_all_updated_after(t).await?.try_collect().await
    }

    /// Every record in one request (`/all`), decoded one at a time as the answer
    /// arrives: memory stays at one record whatever the collection's size (the async
    /// twin of [`CollectionHandle::iter_all`](crate::CollectionHandle::iter_all)). The
    /// request (with its retries) is made here; reading errors come from the stream, and
    /// the first one is its last item. Dropping the stream closes the connection.
    pub async fn stream_all(&self) -> Result<impl Stream<Item = Result<Record<C::Read>>> + use<C>> {
        self.stream_all_updated_after(None).await
    }

    /// [`stream_all`](Self::stream_all) for the records updated after `t`.
    pub async fn stream_all_updated_after(
        &self,
        t: Option<Timestamp>,
    ) -> Result<impl Stream<Item = Result<Record<C::Read>>> + use<C>> {
        let mut call = requests::all(&self.path, t)?;
        call.stream = true;
        let attempted = call.attempted();
        let (answer, body) = self.client.execute_streamed(call).await?;
        let status = answer.status;
        let body = AllBody {
            response: body,
            // A `2xx` comes back unread; any other success has been read already.
            chunk: answer.body.into(),
            at: 0,
            split: Splitter::new(attempted, status, self.client.inner.core.max_response_bytes),
            _c: PhantomData::<fn() -> C>,
        };
        let records = futures_util::stream::unfold(body, |mut body| async move {
            let item = body.next().await?;
            Some((item, body))
        });
        // Polled again after its end, it ends again (an `unfold` alone would panic).
        Ok(StreamExt::fuse(records))
    }

    /// One record by id.
    pub async fn get(&self, id: &str) -> Result<Record<C::Read>> {
        self.client
            .fetch(self.call(Method::GET, &[id], Repeat::Safe)?)
            .await
    }

    /// The record a link of this collection points at.
    pub async fn get_ref(&self, reference: &RecordRef<C>) -> Result<Record<C::Read>> {
        self.get(reference.id()).await
    }

    /// Creates a record; never sent twice once it may have reached the server (see
    /// [`CollectionHandle::create`](crate::CollectionHandle::create)).
    pub async fn create(&self, fields: &C::Create) -> Result<Record<C::Read>> {
        self.create_with_external(fields, None).await
    }

    /// Creates a record with ids in external systems (`{"service": "id"}`).
    pub async fn create_with_external(
        &self,
        fields: &C::Create,
        external: Option<&BTreeMap<String, String>>,
    ) -> Result<Record<C::Read>> {
        let call = requests::create(&self.path, fields, external)?;
        let attempted = call.attempted();
        requests::created(attempted, self.optional_record(call).await?)
    }

    /// Updates only the fields the update sets or clears.
    pub async fn update(&self, id: &str, changes: &C::Update) -> Result<Option<Record<C::Read>>> {
        self.optional_record(requests::update(&self.path, &[id], changes)?)
            .await
    }

    /// Deletes a record.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let call = self.call(Method::DELETE, &[id], Repeat::Safe)?;
        self.client.execute(call).await.map(|_| ())
    }

    /// A record by its id in an external system.
    pub async fn get_external(&self, service: &str, external_id: &str) -> Result<Record<C::Read>> {
        let call = self.call(Method::GET, &["ext", service, external_id], Repeat::Safe)?;
        self.client.fetch(call).await
    }

    /// Updates a record found by its external id.
    pub async fn update_external(
        &self,
        service: &str,
        external_id: &str,
        changes: &C::Update,
    ) -> Result<Option<Record<C::Read>>> {
        let call = requests::update(&self.path, &["ext", service, external_id], changes)?;
        self.optional_record(call).await
    }

    /// Deletes a record found by its external id.
    pub async fn delete_external(&self, service: &str, external_id: &str) -> Result<()> {
        let call = self.call(Method::DELETE, &["ext", service, external_id], Repeat::Safe)?;
        self.client.execute(call).await.map(|_| ())
    }

    /// A record's timeline entries.
    pub async fn activities(&self, id: &str) -> Result<Vec<Activity>> {
        self.client
            .fetch(requests::activities(&self.path, id)?)
            .await
    }

    /// Adds a timeline entry (see
    /// [`CollectionHandle::add_activity`](crate::CollectionHandle::add_activity)).
    pub async fn add_activity(&self, id: &str, activity: &NewActivity) -> Result<Option<Activity>> {
        let call = requests::add_activity(&self.path, id, activity)?;
        let attempted = call.attempted();
        let answer = self.client.execute(call).await?;
        requests::optional(&attempted, &answer)
    }

    /// Sends timestamped field changes, 300 records a request (see
    /// [`CollectionHandle::ingest`](crate::CollectionHandle::ingest)).
    pub async fn ingest(&self, records: &[IngestRecord<C::Ingest>]) -> BulkResult<C::Read>
    where
        C: Ingestible,
    {
        let mut collect = Collect::new();
        for (items, body) in ingest_chunks(records) {
            let sent = match self
                .call(Method::POST, &["ingest"], Repeat::Once)
                .and_then(|call| call.json(&body))
            {
                Ok(call) => self.client.execute(call).await.map(|_| Vec::new()),
                Err(e) => Err(e),
            };
            collect.push(items, sent);
        }
        collect.finish()
    }

    async fn optional_record(&self, call: Call) -> Result<Option<Record<C::Read>>> {
        let attempted = call.attempted();
        let answer = self.client.execute(call).await?;
        requests::optional_record(&attempted, &answer)
    }

    /// Creates many records, 300 a request (see
    /// [`CollectionHandle::bulk_create`](crate::CollectionHandle::bulk_create)).
    pub async fn bulk_create(&self, items: &[C::Create]) -> BulkResult<C::Read> {
        let chunks = chunks("records", &create_bodies(items));
        self.bulk_chunks(Method::POST, chunks, Repeat::Once).await
    }

    /// Updates many records, 300 a request. Each item is a record id and its changes.
    pub async fn bulk_update<I: AsRef<str>>(
        &self,
        items: &[(I, C::Update)],
    ) -> BulkResult<C::Read> {
        let chunks = chunks("records", &update_bodies(items));
        self.bulk_chunks(Method::PATCH, chunks, Repeat::Safe).await
    }

    /// Deletes many records, 300 a request.
    pub async fn bulk_delete<I: AsRef<str>>(&self, ids: &[I]) -> BulkResult<C::Read> {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        let chunks = chunks("recordIds", &ids);
        self.bulk_chunks(Method::DELETE, chunks, Repeat::Safe).await
    }

    async fn bulk_chunks(
        &self,
        method: Method,
        chunks: Vec<(Range<usize>, Value)>,
        repeat: Repeat,
    ) -> BulkResult<C::Read> {
        let mut collect = Collect::new();
        for (items, body) in chunks {
            collect.push(items, self.bulk_chunk(method.clone(), &body, repeat).await);
        }
        collect.finish()
    }

    async fn bulk_chunk(
        &self,
        method: Method,
        body: &Value,
        repeat: Repeat,
    ) -> Result<Vec<Record<C::Read>>> {
        let call = self.call(method, &["bulk"], repeat)?.json(body)?;
        let attempted = call.attempted();
        let answer = self.client.execute(call).await?;
        Ok(chunk_records(&attempted, &answer.body))
    }

    /// Creates a record exactly once under a random idempotency key (the mechanism of
    /// [`CollectionHandle::create_once`](crate::CollectionHandle::create_once)).
    pub async fn create_once(&self, fields: &C::Create) -> Result<Record<C::Read>> {
        self.create_keyed(&crate::once::new_key(), fields, false)
            .await
    }

    /// Creates a record exactly once under the caller's idempotency key.
    pub async fn create_once_with_key(
        &self,
        key: &str,
        fields: &C::Create,
    ) -> Result<Record<C::Read>> {
        self.create_keyed(key, fields, true).await
    }

    async fn create_keyed(
        &self,
        key: &str,
        fields: &C::Create,
        maybe_used: bool,
    ) -> Result<Record<C::Read>> {
        use crate::once::{IDEMPOTENCY_SERVICE, Next, after_create};
        let external = BTreeMap::from([(IDEMPOTENCY_SERVICE.to_string(), key.to_string())]);
        let policy = self.client.inner.core.retry;
        let mut look_up = maybe_used;
        let mut round = 0;
        loop {
            if look_up {
                match self.get_external(IDEMPOTENCY_SERVICE, key).await {
                    Ok(r) => return Ok(r),
                    Err(Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            round += 1;
            let error = match self.create_with_external(fields, Some(&external)).await {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            match after_create(error, round, &policy) {
                Next::Fail(e) => return Err(e),
                Next::Again { look_up: l, wait } => {
                    look_up = l;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// The `/all` answer as it arrives: chunks of the body fed to the shared [`Splitter`].
struct AllBody<C: Collection> {
    /// `None` once the body has ended or failed.
    response: Option<reqwest::Response>,
    chunk: bytes::Bytes,
    /// How much of `chunk` the splitter has used.
    at: usize,
    split: Splitter,
    _c: PhantomData<fn() -> C>,
}

impl<C: Collection> AllBody<C> {
    /// The next record; `None` after the array's end or the first error.
    async fn next(&mut self) -> Option<Result<Record<C::Read>>> {
        let item = self.read().await;
        if !matches!(item, Some(Ok(_))) {
            self.response = None;
            self.chunk = bytes::Bytes::new();
        }
        item
    }

    async fn read(&mut self) -> Option<Result<Record<C::Read>>> {
        loop {
            if self.at < self.chunk.len() {
                match self.split.feed(&self.chunk[self.at..]) {
                    Err(e) => return Some(Err(e)),
                    Ok((used, fed)) => {
                        self.at += used;
                        match fed {
                            Fed::More => {}
                            Fed::Element => return Some(self.split.decode::<C::Read>()),
                            Fed::End => return None,
                        }
                    }
                }
                continue;
            }
            let response = self.response.as_mut()?;
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(None) => return self.split.finish().err().map(Err),
                Err(e) => return Some(Err(read_failed(self.split.attempted(), &e))),
            }
        }
    }
}

/// The paged stream's state: the async twin of [`RecordIter`](crate::RecordIter).
struct Pages<C: Collection> {
    handle: AsyncCollectionHandle<C>,
    options: ListOptions,
    /// Pages requested ahead (`ListOptions::prefetch`) run as tokio tasks.
    scan: PageScan<C::Read, tokio::task::JoinHandle<Result<Vec<u8>>>>,
}

impl<C: Collection> Pages<C> {
    async fn next(&mut self) -> Option<Result<Record<C::Read>>> {
        loop {
            let page = match self.scan.step(&self.handle.path) {
                Step::Record(r) => return Some(Ok(r)),
                Step::Fetch(index, ahead) => self.fetch(index, ahead).await,
                Step::Failed(e) => return Some(Err(e)),
                Step::End => return None,
            };
            let handle = &self.handle;
            let fetched = self.scan.fetched(
                page,
                &handle.path,
                &self.options,
                handle.client.inner.core.max_pages,
                |call| {
                    let client = handle.client.clone();
                    let body = async move { client.execute(call).await.map(|a| a.body) };
                    // Outside a tokio runtime, pages are fetched in line.
                    let runtime = tokio::runtime::Handle::try_current().ok()?;
                    Some(runtime.spawn(body))
                },
            );
            if let Err(e) = fetched {
                return Some(Err(e));
            }
        }
    }

    /// Page `index`, from its fetch started ahead when there is one.
    async fn fetch(
        &self,
        index: usize,
        ahead: Option<tokio::task::JoinHandle<Result<Vec<u8>>>>,
    ) -> Result<Page<C::Read>> {
        let call = requests::page(&self.handle.path, index, &self.options)?;
        let attempted = call.attempted();
        match ahead {
            Some(task) => {
                let body = task
                    .await
                    .unwrap_or_else(|_| Err(worker_lost(&attempted)))?;
                decode(&attempted, &body, true)
            }
            None => self.handle.client.fetch(call).await,
        }
    }
}
