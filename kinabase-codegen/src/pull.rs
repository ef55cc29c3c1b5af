//! Reads a live account's schema into a [`Schema`], inferring the fields of collections
//! whose listing carries none.
//!
//! The real API documents `GET /collections` but not the shape of a collection's
//! fields, so every field property is read leniently, and a collection without `fields`
//! is sampled through the documented record endpoints (pages of 300).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use kinabase_runtime::{Client, ListOptions};
use serde_json::Value;

use crate::schema::{CollectionSchema, FORMAT_VERSION, FieldSchema, Inferred, Schema};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A live line on a terminal, plain lines otherwise.
    #[default]
    Auto,
    /// Plain lines.
    Plain,
    /// Nothing.
    Quiet,
}

/// Options of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOptions {
    /// Records sampled per collection when its fields must be inferred.
    pub sample_limit: usize,
    /// Progress display (on stderr).
    pub progress: Progress,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            sample_limit: 3000,
            progress: Progress::Auto,
        }
    }
}

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The API call failed.
    #[error("reading the account's schema failed: {0}")]
    Api(#[from] kinabase_runtime::Error),
    /// The listing had an entry that is not a collection.
    #[error("reading the account's schema failed: collection #{index} of the listing {problem}")]
    Listing {
        /// Position in the listing.
        index: usize,
        /// What is wrong.
        problem: String,
    },
}

/// Pulls the schema of the account behind `client`.
pub fn pull(client: &Client, options: &PullOptions) -> Result<Schema, PullError> {
    let listing = client.list_collections()?;
    let live = options.progress == Progress::Auto && std::io::stderr().is_terminal();
    let total = listing.len();
    let mut collections = Vec::with_capacity(total);
    for (index, raw) in listing.iter().enumerate() {
        let mut c = collection_from_listing(raw)
            .map_err(|problem| PullError::Listing { index, problem })?;
        let mut sampled = 0;
        if raw.get("fields").is_none_or(Value::is_null) {
            let (fields, n) = infer_fields(client, &c.slug, options.sample_limit)?;
            c.fields = fields;
            sampled = n;
        }
        report(
            options.progress,
            live,
            &format!(
                "[{}/{total}] {} ({} fields{})",
                index + 1,
                crate::diag::terminal_safe(&c.name),
                c.fields.len(),
                if sampled > 0 {
                    format!(", inferred from {sampled} records")
                } else {
                    String::new()
                }
            ),
        );
        collections.push(c);
    }
    if live {
        eprintln!();
    }
    Ok(Schema {
        format: FORMAT_VERSION,
        account: None,
        collections,
    }
    .canonical())
}

fn report(progress: Progress, live: bool, line: &str) {
    match progress {
        Progress::Quiet => {}
        _ if live => {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
        }
        _ => eprintln!("{line}"),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// One collection object of the listing, read leniently.
pub fn collection_from_listing(raw: &Value) -> Result<CollectionSchema, String> {
    let id = text(raw, "id").ok_or("has no \"id\"")?;
    let name = text(raw, "name").unwrap_or_else(|| id.clone());
    let slug = text(raw, "slug").unwrap_or_else(|| id.clone());
    let fields = match raw.get("fields") {
        Some(Value::Array(items)) => items.iter().filter_map(field_from_listing).collect(),
        _ => Vec::new(),
    };
    Ok(CollectionSchema {
        id,
        name,
        slug,
        description: text(raw, "description"),
        fields,
        rust: None,
    })
}

/// One field object, read leniently: the key is taken as given, else derived from the
/// display name exactly as Kinabase derives keys (`kinabase_contract::derive_key`).
pub fn field_from_listing(raw: &Value) -> Option<FieldSchema> {
    let name = text(raw, "name").or_else(|| text(raw, "key"))?;
    let key = text(raw, "key")
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| kinabase_contract::derive_key(&name));
    let options = match raw.get("options") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|o| match o {
                Value::String(s) => Some(s.clone()),
                // Tolerate option objects: {"label": ...} or {"name": ...}.
                Value::Object(_) => text(o, "label").or_else(|| text(o, "name")),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(FieldSchema {
        id: text(raw, "id"),
        key,
        name,
        ty: text(raw, "type").unwrap_or_else(|| "unknown".into()).into(),
        required: flag(raw, "required"),
        primary: flag(raw, "primary"),
        read_only: flag(raw, "readOnly"),
        description: text(raw, "description"),
        options,
        target: text(raw, "target"),
        multiple: flag(raw, "multiple"),
        inferred: None,
        rust: None,
    })
}

/// What the samples of one key looked like.
#[derive(Debug, Default)]
struct Seen {
    present: u64,
    kinds: BTreeMap<&'static str, u64>,
    multiple: bool,
}

fn value_kind(v: &Value) -> Option<(&'static str, bool)> {
    Some(match v {
        Value::Null => return None,
        Value::String(s) if kinabase_runtime::Date::parse(s).is_some() => ("date", false),
        Value::String(_) => ("text", false),
        Value::Number(_) => ("number", false),
        Value::Bool(_) => ("checkbox", false),
        Value::Object(o)
            if o.get("id")
                .is_some_and(|id| id.is_string() || id.is_number()) =>
        {
            ("link", false)
        }
        Value::Array(items) if items.is_empty() => return None,
        Value::Array(items)
            if items.iter().all(|i| {
                i.get("id")
                    .is_some_and(|id| id.is_string() || id.is_number())
            }) =>
        {
            ("link", true)
        }
        _ => ("unknown", false),
    })
}

/// Infers fields from up to `limit` records of a collection.
pub fn infer_fields(
    client: &Client,
    slug: &str,
    limit: usize,
) -> Result<(Vec<FieldSchema>, u64), PullError> {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut samples = 0u64;
    for record in client
        .untyped(slug)
        .iter_with(ListOptions::default())
        .take(limit)
    {
        let record = record?;
        samples += 1;
        for (key, value) in &record.fields {
            let entry = seen.entry(key.clone()).or_default();
            if let Some((kind, multiple)) = value_kind(value) {
                entry.present += 1;
                *entry.kinds.entry(kind).or_default() += 1;
                entry.multiple |= multiple;
            }
        }
    }
    Ok((infer_from_seen(seen, samples), samples))
}

fn infer_from_seen(seen: BTreeMap<String, Seen>, samples: u64) -> Vec<FieldSchema> {
    seen.into_iter()
        .map(|(key, s)| {
            let ty = match s.kinds.keys().copied().collect::<Vec<_>>().as_slice() {
                [one] => *one,
                // A string that is not a date in every sample is text.
                ["date", "text"] => "text",
                [] => "unknown",
                _ => "unknown",
            };
            FieldSchema {
                id: None,
                name: key.clone(),
                key,
                ty: ty.into(),
                required: false,
                primary: false,
                read_only: false,
                description: None,
                options: Vec::new(),
                target: None,
                multiple: ty == "link" && s.multiple,
                inferred: Some(Inferred {
                    samples,
                    present: s.present,
                }),
                rust: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listing_fields_are_read_leniently() {
        let f =
            field_from_listing(&json!({"name": "Job Title", "type": "text", "required": "true"}))
                .unwrap();
        assert_eq!((f.key.as_str(), f.required), ("jobTitle", true));
        let f = field_from_listing(
            &json!({"name": "Pick", "type": "select", "options": [{"label": "A"}, "B", 3]}),
        )
        .unwrap();
        assert_eq!(f.options, ["A", "B"]);
        assert!(field_from_listing(&json!({"type": "text"})).is_none());
        assert!(collection_from_listing(&json!({"name": "x"})).is_err());
        let c = collection_from_listing(&json!({"id": 7, "name": "Seven"})).unwrap();
        assert_eq!((c.id.as_str(), c.slug.as_str()), ("7", "7"));
    }

    #[test]
    fn kinds_from_samples() {
        let mut seen = BTreeMap::new();
        let samples = [
            json!({"a": "x", "d": "2024-01-02", "m": "2024-01-02", "n": 1, "b": true, "l": {"id": "r"}, "ls": [{"id": "r"}], "mix": 1}),
            json!({"a": null, "d": "2024-02-03T10:00:00Z", "m": "soon", "n": 2.5, "b": false, "ls": [], "mix": "one"}),
        ];
        for s in &samples {
            for (k, v) in s.as_object().unwrap() {
                let e: &mut Seen = seen.entry(k.clone()).or_default();
                if let Some((kind, multiple)) = value_kind(v) {
                    e.present += 1;
                    *e.kinds.entry(kind).or_default() += 1;
                    e.multiple |= multiple;
                }
            }
        }
        let fields = infer_from_seen(seen, 2);
        let ty = |k: &str| {
            fields
                .iter()
                .find(|f| f.key == k)
                .map(|f| {
                    (
                        f.ty.clone(),
                        f.multiple,
                        f.inferred.as_ref().unwrap().present,
                    )
                })
                .unwrap()
        };
        assert_eq!(ty("a"), ("text".into(), false, 1));
        assert_eq!(ty("d"), ("date".into(), false, 2));
        assert_eq!(ty("m"), ("text".into(), false, 2));
        assert_eq!(ty("n"), ("number".into(), false, 2));
        assert_eq!(ty("b"), ("checkbox".into(), false, 2));
        assert_eq!(ty("l"), ("link".into(), false, 1));
        assert_eq!(ty("ls"), ("link".into(), true, 1));
        assert_eq!(ty("mix"), ("unknown".into(), false, 2));
    }
}
