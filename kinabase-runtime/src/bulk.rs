//! Bulk calls chunked to the documented 300 items, continuing past a failed chunk and
//! reporting each.

use std::fmt;
use std::ops::Range;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{Error, Result, decode};
use crate::handle::{CollectionHandle, MAX_BATCH, is_blank};
use crate::record::{Collection, Record, WriteBody};
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

impl<C: Collection> CollectionHandle<C> {
    /// Creates many records, 300 a request. Chunks are never sent twice once they may
    /// have reached the server; a failed chunk does not stop the others. For creates
    /// that end exactly once, use [`bulk_create_once`](Self::bulk_create_once).
    pub fn bulk_create(&self, items: &[C::Create]) -> BulkResult<C::Read> {
        let bodies: Vec<WriteBody<'_, C::Create>> = items
            .iter()
            .map(|d| WriteBody {
                id: None,
                numeric_id: None,
                data: d,
                external: None,
            })
            .collect();
        self.bulk(Method::POST, &bodies, Repeat::Once)
    }

    /// Updates many records, 300 a request. Each item is a record id and its changes.
    pub fn bulk_update<I: AsRef<str>>(&self, items: &[(I, C::Update)]) -> BulkResult<C::Read> {
        let bodies: Vec<WriteBody<'_, C::Update>> = items
            .iter()
            .map(|(id, d)| WriteBody {
                id: Some(id.as_ref()),
                numeric_id: None,
                data: d,
                external: None,
            })
            .collect();
        self.bulk(Method::PATCH, &bodies, Repeat::Safe)
    }

    /// Deletes many records, 300 a request.
    pub fn bulk_delete<I: AsRef<str>>(&self, ids: &[I]) -> BulkResult<C::Read> {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        let chunks = ids.chunks(MAX_BATCH).map(|c| json!({ "recordIds": c }));
        self.bulk_chunks(Method::DELETE, ids.len(), chunks, Repeat::Safe)
    }

    pub(crate) fn bulk<B: Serialize>(
        &self,
        method: Method,
        items: &[B],
        repeat: Repeat,
    ) -> BulkResult<C::Read> {
        let chunks = items.chunks(MAX_BATCH).map(|c| json!({ "records": c }));
        self.bulk_chunks(method, items.len(), chunks, repeat)
    }

    fn bulk_chunks(
        &self,
        method: Method,
        len: usize,
        chunks: impl Iterator<Item = Value>,
        repeat: Repeat,
    ) -> BulkResult<C::Read> {
        let mut report = BulkReport::default();
        let mut failures = Vec::new();
        let mut start = 0;
        for body in chunks {
            let items = start..(start + MAX_BATCH).min(len);
            start = items.end;
            match self.bulk_chunk(method.clone(), &body, repeat) {
                Ok(records) => report.chunks.push(BulkChunk { items, records }),
                Err(error) => failures.push(BulkFailure { items, error }),
            }
        }
        if failures.is_empty() {
            Ok(report)
        } else {
            Err(BulkError {
                completed: report,
                failures,
            })
        }
    }

    /// Sends one chunk; the records of its answer (none when it had no body, or one
    /// that cannot be read: the chunk was written all the same).
    pub(crate) fn bulk_chunk(
        &self,
        method: Method,
        body: &Value,
        repeat: Repeat,
    ) -> Result<Vec<Record<C::Read>>> {
        let call = self.call(method, &["bulk"], repeat)?.json(body)?;
        let attempted = call.attempted();
        let answer = self.client.execute(call)?;
        if is_blank(&answer.body) {
            return Ok(Vec::new());
        }
        match decode::<BulkAnswer<C::Read>>(&attempted, &answer.body, true) {
            Ok(a) => Ok(a.records),
            Err(e) => {
                tracing::warn!(error = %e, "bulk answer not decoded");
                Ok(Vec::new())
            }
        }
    }
}
