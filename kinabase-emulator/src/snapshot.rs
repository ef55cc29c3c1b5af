//! Your own schema in the emulator: a codegen snapshot (`kinabase.snapshot.json`) served as
//! an account, with generated, type-correct records, deterministic by seed.
//!
//! Every collection gets the same number of records, with fixed ids, so that a link can
//! point at a real record of its target before that record is made. Required fields are
//! always filled, optional ones now and then left empty as real data is, choice values
//! come from the field's options and computed fields hold plausible values of their kind.

use std::path::Path;

use serde_json::{Map, Value};

use crate::account::{AccountError, Problem};
use crate::config::MAX_ALL;
use crate::schema::{Account, CollectionDef, FieldDef, FieldType, SeedRecord};
use crate::synth;

/// The snapshot format this emulator reads.
pub const SNAPSHOT_FORMAT: u64 = 1;

impl Account {
    /// An account from a codegen snapshot's text (`kinabase.snapshot.json`, format
    /// [`SNAPSHOT_FORMAT`]) with `records_per_collection` generated records in each
    /// collection (at most 100,000), the same for the same `seed`. Every problem of the
    /// snapshot is reported with its JSON path.
    pub fn from_snapshot(
        text: &str,
        records_per_collection: usize,
        seed: u64,
    ) -> Result<Account, AccountError> {
        account(text, records_per_collection, seed)
    }

    /// Reads a snapshot file; see [`Account::from_snapshot`].
    pub fn load_snapshot(
        path: &Path,
        records_per_collection: usize,
        seed: u64,
    ) -> Result<Account, AccountError> {
        let text = std::fs::read_to_string(path).map_err(|source| AccountError::Io {
            path: path.display().to_string(),
            source,
        })?;
        account(&text, records_per_collection, seed)
    }
}

/// Reads a snapshot's text into an account with `records` generated records a collection.
fn account(text: &str, records: usize, seed: u64) -> Result<Account, AccountError> {
    if records > MAX_ALL {
        return Err(AccountError::Invalid(vec![Problem {
            path: "records".into(),
            message: format!("at most {MAX_ALL} records a collection; {records} were asked for"),
        }]));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| AccountError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Object(mut root) = value else {
        return Err(invalid(
            "$",
            "a snapshot is a JSON object with \"format\" and \"collections\"",
        ));
    };
    match root.get("format").and_then(Value::as_u64) {
        Some(SNAPSHOT_FORMAT) => {}
        Some(other) => {
            return Err(invalid(
                "$.format",
                &format!(
                    "this emulator reads snapshot format {SNAPSHOT_FORMAT}, not {other}; pull the snapshot again with this version"
                ),
            ));
        }
        None => {
            return Err(invalid(
                "$.format",
                "required: the snapshot format number (is this an account fixture? use --account)",
            ));
        }
    }
    let name = match root.remove("account") {
        Some(Value::String(s)) => s,
        _ => "Snapshot".to_string(),
    };
    let collections = root.remove("collections").unwrap_or(Value::Null);
    let shaped = serde_json::json!({ "name": name, "collections": collections });
    let mut account = Account::from_value(shaped)?;
    populate(&mut account, records, seed);
    let problems = account.validate();
    if problems.is_empty() {
        Ok(account)
    } else {
        Err(AccountError::Invalid(problems))
    }
}

fn invalid(path: &str, message: &str) -> AccountError {
    AccountError::Invalid(vec![Problem {
        path: path.into(),
        message: message.into(),
    }])
}

/// Replaces every collection's records with `records` generated ones.
fn populate(account: &mut Account, records: usize, seed: u64) {
    let targets: Vec<(String, String)> = account
        .collections
        .iter()
        .map(|c| (c.id.clone(), c.slug.clone()))
        .collect();
    let index_of = |key: &str| {
        targets
            .iter()
            .position(|(id, slug)| id == key || slug == key)
    };
    let colleagues = index_of("colleagues");
    for (ci, collection) in account.collections.iter_mut().enumerate() {
        let mut rng =
            fastrand::Rng::with_seed(seed ^ (ci as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let link = |field: &FieldDef, n: usize| -> Option<String> {
            let target = match field.ty.as_str() {
                "colleague" => colleagues,
                _ => field.target.as_deref().and_then(index_of),
            };
            match target {
                Some(ti) if records > 0 => Some(synth::record_id(ti, n % records)),
                Some(_) => None,
                // Colleagues without a Colleagues collection are not checked.
                None => Some(format!("colleague-{}", n % 1000)),
            }
        };
        collection.records = (0..records)
            .map(|ri| record(collection, ci, ri, &mut rng, &link))
            .collect();
    }
}

fn record(
    collection: &CollectionDef,
    ci: usize,
    ri: usize,
    rng: &mut fastrand::Rng,
    link: &dyn Fn(&FieldDef, usize) -> Option<String>,
) -> SeedRecord {
    let mut data = Map::new();
    for field in &collection.fields {
        let n = rng.usize(..1_000_000);
        // Optional fields are left empty one time in five, as real data is.
        if !field.required && rng.u8(..5) == 0 {
            continue;
        }
        let value = if field.primary && field.ty == FieldType::Text {
            Some(Value::String(format!("{} {}", collection.name, ri + 1)))
        } else {
            synth::value(field, n, link)
        };
        let value = match value {
            Some(v) => v,
            // A required field of a type without a generator (an unknown type) still
            // gets a value: the service accepts anything for those.
            None if field.required => Value::String(format!("value {n}")),
            None => continue,
        };
        data.insert(field.wire_key().into_owned(), value);
    }
    SeedRecord {
        id: Some(synth::record_id(ci, ri)),
        data,
        external: None,
    }
}
