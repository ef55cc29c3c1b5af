//! Exactly-once creates: each create carries an idempotency key as an external id, and a
//! create whose fate is unknown is looked up by that key before it is sent again.
//!
//! The mechanism uses only the documented API. A create is stamped
//! `external: {"kinabase-rs": "<key>"}`. When it fails in a way that leaves it open (a
//! dropped connection, a `5xx`, an accepted answer that cannot be read), the record is
//! looked up: one record by `GET /collections/{c}/ext/kinabase-rs/{key}`; a bulk chunk by
//! listing the records with an id in that service updated since shortly before the chunk
//! was sent (`externalService=`, `updatedAfter=`). Found records are kept; only the
//! missing ones are sent again. Limits: the service must not still be processing the lost
//! request when it is looked up (Kinabase answers writes synchronously), the clocks of
//! client and service must agree within an hour (bulk only), and every created record
//! keeps the key under `kinabase-rs` in its external ids.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::handle::CollectionHandle;
use crate::options::{ListOptions, MAX_BATCH};
use crate::record::{Collection, Record, WriteBody};
use crate::retry::{Repeat, backoff};

/// The external-id service under which exactly-once creates keep their keys.
pub const IDEMPOTENCY_SERVICE: &str = "kinabase-rs";

/// How far before a lost bulk chunk its records are looked for (clock skew allowance).
const LOOKBACK: SignedDuration = SignedDuration::from_secs(3600);

/// One item of an exactly-once bulk create, with its outcome.
#[derive(Debug)]
pub enum OnceItem<T> {
    /// Created exactly once (found again after a lost answer, or answered directly).
    /// `None` when the service acknowledged the chunk without returning records.
    Created(Option<Record<T>>),
    /// Certainly not created: a rejection (validation, permissions) or a failure that
    /// persisted past the retries and the lookup.
    Failed(Error),
}

/// The outcome of an exactly-once bulk create, item by item and chunk by chunk.
#[derive(Debug)]
pub struct OnceReport<T> {
    /// The idempotency key of each item, in the caller's order.
    pub keys: Vec<String>,
    /// The outcome of each item, in the caller's order.
    pub items: Vec<OnceItem<T>>,
    /// For each chunk (item range): how many rounds it took (1 when nothing went wrong).
    pub chunks: Vec<(Range<usize>, u32)>,
}

impl<T> OnceReport<T> {
    /// How many items were created.
    pub fn created(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i, OnceItem::Created(_)))
            .count()
    }

    /// The failed items with their errors.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &Error)> {
        self.items.iter().enumerate().filter_map(|(i, o)| match o {
            OnceItem::Failed(e) => Some((i, e)),
            OnceItem::Created(_) => None,
        })
    }

    /// `Ok` with the records when every item was created, else the first failure.
    pub fn into_result(self) -> Result<Vec<Option<Record<T>>>> {
        self.items
            .into_iter()
            .map(|o| match o {
                OnceItem::Created(r) => Ok(r),
                OnceItem::Failed(e) => Err(e),
            })
            .collect()
    }
}

/// A new random idempotency key (128 bits, hex).
pub(crate) fn new_key() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// What an exactly-once create does after a failed round.
pub(crate) enum Next {
    /// Give up with this error: certainly not applied, or out of rounds.
    Fail(Error),
    /// Wait, look the key up first when the failed round may have been applied, then
    /// send again if the record is not there.
    Again {
        look_up: bool,
        wait: std::time::Duration,
    },
}

/// The step after round `round` of an exactly-once create failed with `error` (the same
/// for the blocking and the async client).
pub(crate) fn after_create(error: Error, round: u32, policy: &crate::RetryPolicy) -> Next {
    if !(error.may_have_been_applied() || error.is_retryable()) || round >= policy.max_attempts {
        return Next::Fail(error);
    }
    tracing::debug!(round, error = %error, "create failed; looking it up or sending it again");
    Next::Again {
        look_up: error.may_have_been_applied(),
        wait: backoff(policy, round, fastrand::f64()),
    }
}

impl<C: Collection> CollectionHandle<C> {
    /// Creates a record exactly once, however the network behaves: see the module
    /// mechanism in [`IDEMPOTENCY_SERVICE`]'s docs. A random idempotency key is used.
    pub fn create_once(&self, fields: &C::Create) -> Result<Record<C::Read>> {
        self.create_keyed(&new_key(), fields, false)
    }

    /// Creates a record exactly once under the caller's idempotency key (stable across
    /// restarts of the caller: a second call with the same key returns the record the
    /// first one created).
    ///
    /// The record is stamped with `external: {"kinabase-rs": key}`. When the create fails
    /// in a way that leaves it open (dropped connection, `5xx`, unreadable answer), the
    /// record is looked up by `GET /collections/{c}/ext/kinabase-rs/{key}` and the
    /// create is sent again only when it is not there.
    pub fn create_once_with_key(&self, key: &str, fields: &C::Create) -> Result<Record<C::Read>> {
        self.create_keyed(key, fields, true)
    }

    fn create_keyed(
        &self,
        key: &str,
        fields: &C::Create,
        maybe_used: bool,
    ) -> Result<Record<C::Read>> {
        let external = BTreeMap::from([(IDEMPOTENCY_SERVICE.to_string(), key.to_string())]);
        let policy = self.client.inner.retry;
        // A caller's key may have been used before: then the record exists already.
        let mut look_up = maybe_used;
        let mut round = 0;
        loop {
            if look_up {
                match self.get_external(IDEMPOTENCY_SERVICE, key) {
                    Ok(r) => return Ok(r),
                    Err(Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            round += 1;
            let error = match self.create_with_external(fields, Some(&external)) {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            match after_create(error, round, &policy) {
                Next::Fail(e) => return Err(e),
                Next::Again { look_up: l, wait } => {
                    look_up = l;
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// Creates many records exactly once, 300 a request, with random keys. A chunk that
    /// fails in a way that leaves it open is reconciled by its keys (records found are
    /// kept, only the missing ones are sent again); a failed chunk does not stop the
    /// others. The report gives each item's outcome.
    pub fn bulk_create_once(&self, items: &[C::Create]) -> OnceReport<C::Read> {
        let keys: Vec<String> = items.iter().map(|_| new_key()).collect();
        self.bulk_create_once_with_keys(&keys, items)
    }

    /// [`bulk_create_once`](Self::bulk_create_once) with the caller's keys (one per
    /// item, distinct; items beyond the keys given get random keys).
    pub fn bulk_create_once_with_keys(
        &self,
        keys: &[String],
        items: &[C::Create],
    ) -> OnceReport<C::Read> {
        let keys: Vec<String> = (0..items.len())
            .map(|i| keys.get(i).cloned().unwrap_or_else(new_key))
            .collect();
        let mut outcomes: Vec<Option<OnceItem<C::Read>>> = (0..items.len()).map(|_| None).collect();
        let mut chunks = Vec::new();
        for start in (0..items.len()).step_by(MAX_BATCH) {
            let range = start..(start + MAX_BATCH).min(items.len());
            let rounds = self.once_chunk(range.clone(), &keys, items, &mut outcomes);
            chunks.push((range, rounds));
        }
        OnceReport {
            keys,
            items: outcomes
                .into_iter()
                .map(|o| {
                    o.unwrap_or_else(|| {
                        OnceItem::Failed(Error::Config("item was not attempted".into()))
                    })
                })
                .collect(),
            chunks,
        }
    }

    /// Drives one chunk to an outcome for each of its items; returns the rounds taken.
    fn once_chunk(
        &self,
        range: Range<usize>,
        keys: &[String],
        items: &[C::Create],
        outcomes: &mut [Option<OnceItem<C::Read>>],
    ) -> u32 {
        let policy = self.client.inner.retry;
        let mut pending: Vec<usize> = range.collect();
        let mut round = 0;
        while !pending.is_empty() {
            round += 1;
            let since = Timestamp::now() - LOOKBACK;
            let body: Vec<Value> = pending
                .iter()
                .map(|&i| {
                    let external =
                        BTreeMap::from([(IDEMPOTENCY_SERVICE.to_string(), keys[i].clone())]);
                    json!(WriteBody {
                        id: None,
                        numeric_id: None,
                        data: &items[i],
                        external: Some(&external),
                    })
                })
                .collect();
            let error =
                match self.bulk_chunk(Method::POST, &json!({ "records": body }), Repeat::Once) {
                    Ok(records) => {
                        self.settle(&pending, keys, records, outcomes);
                        return round;
                    }
                    Err(e) => e,
                };
            let last = round >= policy.max_attempts;
            if !(error.may_have_been_applied() || error.is_retryable()) || last {
                // Certainly not applied, or out of rounds: reconcile once more if it may
                // have been, then report the rest as failed.
                if error.may_have_been_applied()
                    && let Ok(mut found) = self.find_by_keys(&pending, keys, since)
                {
                    pending.retain(|i| match found.remove(&keys[*i]) {
                        Some(r) => {
                            outcomes[*i] = Some(OnceItem::Created(Some(r)));
                            false
                        }
                        None => true,
                    });
                }
                let message = error.to_string();
                for &i in &pending {
                    outcomes[i] = Some(OnceItem::Failed(Error::Config(format!(
                        "exactly-once bulk create gave up on this item after {round} round(s): {message}"
                    ))));
                }
                return round;
            }
            if error.may_have_been_applied() {
                match self.find_by_keys(&pending, keys, since) {
                    Ok(mut found) => pending.retain(|i| match found.remove(&keys[*i]) {
                        Some(r) => {
                            outcomes[*i] = Some(OnceItem::Created(Some(r)));
                            false
                        }
                        None => true,
                    }),
                    // Cannot tell what was written: wait and look again next round
                    // rather than risk a duplicate.
                    Err(e) => {
                        tracing::debug!(error = %e, "reconciliation failed; retrying it");
                        std::thread::sleep(backoff(&policy, round, fastrand::f64()));
                        continue;
                    }
                }
            }
            std::thread::sleep(backoff(&policy, round, fastrand::f64()));
        }
        round
    }

    /// Records created under any of the pending keys since `since`, by key.
    fn find_by_keys(
        &self,
        pending: &[usize],
        keys: &[String],
        since: Timestamp,
    ) -> Result<HashMap<String, Record<C::Read>>> {
        let wanted: std::collections::HashSet<&str> =
            pending.iter().map(|&i| keys[i].as_str()).collect();
        let options = ListOptions {
            external_service: Some(IDEMPOTENCY_SERVICE.to_string()),
            ..ListOptions::default()
        }
        .updated_after(since);
        let mut found = HashMap::new();
        for record in self.iter_with(options) {
            let record = record?;
            if let Some(key) = key_of(&record)
                && wanted.contains(key.as_str())
            {
                found.insert(key, record);
            }
        }
        Ok(found)
    }

    fn settle(
        &self,
        pending: &[usize],
        keys: &[String],
        records: Vec<Record<C::Read>>,
        outcomes: &mut [Option<OnceItem<C::Read>>],
    ) {
        let mut by_key: HashMap<String, Record<C::Read>> = records
            .into_iter()
            .filter_map(|r| key_of(&r).map(|k| (k, r)))
            .collect();
        for &i in pending {
            outcomes[i] = Some(OnceItem::Created(by_key.remove(&keys[i])));
        }
    }
}

/// The idempotency key a record carries, if any.
fn key_of<T>(record: &Record<T>) -> Option<String> {
    record
        .external
        .as_ref()?
        .get(IDEMPOTENCY_SERVICE)?
        .as_str()
        .map(str::to_string)
}
