//! Bulk calls chunked to the documented 300 items, continuing past a failed chunk and
//! reporting each.

use std::fmt;
use std::ops::Range;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{Error, Result, decode};
use crate::handle::CollectionHandle;
use crate::options::MAX_BATCH;
use crate::record::{Collection, Record, WriteBody};
use crate::requests::is_blank;
use crate::retry::Repeat;

/// The records a bulk call wrote, chunk by chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkReport<T> {
    /// One entry per chunk written, in order.
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

impl<T> Default for BulkReport<T> {
    fn default() -> Self {
        BulkReport { chunks: Vec::new() }
    }
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

/// One chunk of a bulk call that failed.
#[derive(Debug)]
pub struct BulkFailure {
    /// Indexes of the caller's items this chunk carried.
    pub items: Range<usize>,
    /// Why it failed; [`Error::may_have_been_applied`] says whether it may have been
    /// written anyway.
    pub error: Error,
}

/// A bulk call in which some chunks failed. Every chunk was attempted: the others were
/// written and are in `completed`. Converts into [`Error::Bulk`] with `?`.
#[derive(Debug)]
pub struct BulkError<T> {
    /// Chunks written.
    pub completed: BulkReport<T>,
    /// Chunks that failed, in order (never empty).
    pub failures: Vec<BulkFailure>,
}

impl<T> fmt::Display for BulkError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed: Vec<_> = self.failures.iter().map(|x| x.items.clone()).collect();
        write!(
            f,
            "bulk call wrote {} item(s); items {failed:?} failed",
            self.completed.written()
        )?;
        if let Some(first) = self.failures.first() {
            write!(f, ": {}", first.error)?;
        }
        Ok(())
    }
}

impl<T: fmt::Debug> std::error::Error for BulkError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures
            .first()
            .map(|f| &f.error as &(dyn std::error::Error + 'static))
    }
}

impl<T> From<BulkError<T>> for Error {
    fn from(e: BulkError<T>) -> Error {
        let failed = e.failures.iter().map(|f| f.items.clone()).collect();
        let written = e.completed.written();
        let source = e
            .failures
            .into_iter()
            .next()
            .map_or_else(|| Error::Config("bulk call failed".into()), |f| f.error);
        Error::Bulk {
            written,
            failed,
            source: Box::new(source),
        }
    }
}

/// What a bulk call returns.
pub type BulkResult<T> = Result<BulkReport<T>, BulkError<T>>;

#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct BulkAnswer<T> {
    #[serde(default)]
    records: Vec<Record<T>>,
}

/// The chunks of a bulk call: each one's item range and its body, `{key: [items]}`.
pub(crate) fn chunks<B: Serialize>(key: &str, items: &[B]) -> Vec<(Range<usize>, Value)> {
    items
        .chunks(MAX_BATCH)
        .enumerate()
        .map(|(n, c)| {
            let start = n * MAX_BATCH;
            (start..start + c.len(), json!({ key: c }))
        })
        .collect()
}

/// The bodies of a bulk create.
pub(crate) fn create_bodies<T: Serialize>(items: &[T]) -> Vec<WriteBody<'_, T>> {
    items
        .iter()
        .map(|d| WriteBody {
            id: None,
            numeric_id: None,
            data: d,
            external: None,
        })
        .collect()
}

/// The bodies of a bulk update.
pub(crate) fn update_bodies<I: AsRef<str>, T: Serialize>(
    items: &[(I, T)],
) -> Vec<WriteBody<'_, T>> {
    items
        .iter()
        .map(|(id, d)| WriteBody {
            id: Some(id.as_ref()),
            numeric_id: None,
            data: d,
            external: None,
        })
        .collect()
}

/// Collects the chunks of a bulk call as they end.
pub(crate) struct Collect<T> {
    report: BulkReport<T>,
    failures: Vec<BulkFailure>,
}

impl<T> Collect<T> {
    pub(crate) fn new() -> Self {
        Collect {
            report: BulkReport::default(),
            failures: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, items: Range<usize>, result: Result<Vec<Record<T>>>) {
        match result {
            Ok(records) => self.report.chunks.push(BulkChunk { items, records }),
            Err(error) => self.failures.push(BulkFailure { items, error }),
        }
    }

    pub(crate) fn finish(self) -> BulkResult<T> {
        if self.failures.is_empty() {
            Ok(self.report)
        } else {
            Err(BulkError {
                completed: self.report,
                failures: self.failures,
            })
        }
    }
}

/// The records of an answer to a bulk chunk: none when it had no body, or one that
/// cannot be read (the chunk was written all the same).
pub(crate) fn chunk_records<T: DeserializeOwned>(attempted: &str, body: &[u8]) -> Vec<Record<T>> {
    if is_blank(body) {
        return Vec::new();
    }
    match decode::<BulkAnswer<T>>(attempted, body, true) {
        Ok(a) => a.records,
        Err(e) => {
            tracing::warn!(error = %e, "bulk answer not decoded");
            Vec::new()
        }
    }
}

impl<C: Collection> CollectionHandle<C> {
    /// Creates many records, 300 a request. Chunks are never sent twice once they may
    /// have reached the server; a failed chunk does not stop the others. For creates
    /// that end exactly once, use [`bulk_create_once`](Self::bulk_create_once).
    pub fn bulk_create(&self, items: &[C::Create]) -> BulkResult<C::Read> {
        self.bulk_chunks(
            Method::POST,
            chunks("records", &create_bodies(items)),
            Repeat::Once,
        )
    }

    /// Updates many records, 300 a request. Each item is a record id and its changes.
    pub fn bulk_update<I: AsRef<str>>(&self, items: &[(I, C::Update)]) -> BulkResult<C::Read> {
        self.bulk_chunks(
            Method::PATCH,
            chunks("records", &update_bodies(items)),
            Repeat::Safe,
        )
    }

    /// Deletes many records, 300 a request.
    pub fn bulk_delete<I: AsRef<str>>(&self, ids: &[I]) -> BulkResult<C::Read> {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        self.bulk_chunks(Method::DELETE, chunks("recordIds", &ids), Repeat::Safe)
    }

    fn bulk_chunks(
        &self,
        method: Method,
        chunks: Vec<(Range<usize>, Value)>,
        repeat: Repeat,
    ) -> BulkResult<C::Read> {
        let mut collect = Collect::new();
        for (items, body) in chunks {
            collect.push(items, self.bulk_chunk(method.clone(), &body, repeat));
        }
        collect.finish()
    }

    /// Sends one chunk; the records of its answer.
    pub(crate) fn bulk_chunk(
        &self,
        method: Method,
        body: &Value,
        repeat: Repeat,
    ) -> Result<Vec<Record<C::Read>>> {
        let call = self.call(method, &["bulk"], repeat)?.json(body)?;
        let attempted = call.attempted();
        let answer = self.client.execute(call)?;
        Ok(chunk_records(&attempted, &answer.body))
    }
}
