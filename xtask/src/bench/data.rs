//! The bench's accounts: the emulator's uniform synthetic collection (1 × 20 fields) and a
//! realistic one (30 fields of all 23 types, ~4% nulls, ~4% absent keys, multi-valued links,
//! colleagues and files, inline lists, computed values, dates in all three documented forms).

use kinabase_codegen::Schema;
use kinabase_codegen::schema::{CollectionSchema, FORMAT_VERSION, FieldSchema};
use kinabase_emulator::synth::{self, Size};
use kinabase_emulator::{Account, CollectionDef, FieldDef, SeedRecord};
use serde_json::{Map, Value, json};

/// Fields of the uniform synthetic collection (`collection-0`).
pub const SCAN_FIELDS: usize = 20;
/// Slug of the uniform synthetic collection.
pub const UNIFORM: &str = "collection-0";
/// Slug of the realistic collection.
pub const REALISTIC: &str = "jobs";

/// The realistic collection's fields: (display name, type, multiple, options).
const FIELDS: &[(&str, &str, bool, &[&str])] = &[
    ("Name", "text", false, &[]),
    ("Notes", "richText", false, &[]),
    ("Contact Email", "email", false, &[]),
    ("Site Url", "website", false, &[]),
    ("Phone", "phone", false, &[]),
    ("Quantity", "number", false, &[]),
    ("Quoted Price", "currency", false, &[]),
    ("Satisfaction", "rating", false, &[]),
    ("Due Date", "date", false, &[]),
    ("Started At", "date", false, &[]),
    ("Closed At", "date", false, &[]),
    ("Effort", "duration", false, &[]),
    ("Billable", "checkbox", false, &[]),
    (
        "Priority",
        "select",
        false,
        &["Low", "Normal", "High", "Urgent"],
    ),
    (
        "Stage",
        "stage",
        false,
        &["New", "Scheduled", "In Progress", "Done", "Cancelled"],
    ),
    ("Parent Job", "link", false, &[]),
    ("Related Jobs", "link", true, &[]),
    ("Owner", "colleague", false, &[]),
    ("Watchers", "colleague", true, &[]),
    ("Attachments", "file", true, &[]),
    ("Cover Photo", "file", false, &[]),
    ("Line Items", "list", false, &[]),
    ("Summary", "computedText", false, &[]),
    ("Total Hours", "computedNumber", false, &[]),
    ("Last Visit", "computedDate", false, &[]),
    (
        "Health",
        "computedSelect",
        false,
        &["Green", "Amber", "Red"],
    ),
    ("Customer Name", "lookup", false, &[]),
    ("Visit Count", "aggregation", false, &[]),
    ("Reference", "text", false, &[]),
    ("Travel Distance", "number", false, &[]),
];

/// The bench account: the uniform collection and the realistic one, `records` each.
pub fn account(records: usize) -> Account {
    let mut account = synth::account(Size {
        collections: 1,
        fields: SCAN_FIELDS,
        records,
    });
    account.name = "Bench".into();
    account.collections.push(realistic(records));
    account
}

/// The schema the bench's bindings are generated from (what a pull would give).
#[cfg(test)]
pub fn bench_schema() -> Schema {
    schema_of(&account(0))
}

fn realistic(records: usize) -> CollectionDef {
    let fields: Vec<FieldDef> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, &(name, ty, multiple, options))| FieldDef {
            id: Some(format!("job{i:02}")),
            key: Some(kinabase_emulator::account::derive_key(name)),
            name: name.into(),
            ty: ty.into(),
            required: i == 0,
            primary: i == 0,
            read_only: false,
            description: None,
            options: options.iter().map(|o| o.to_string()).collect(),
            target: (ty == "link").then(|| REALISTIC.to_string()),
            multiple,
        })
        .collect();
    let records = (0..records).map(|ri| record(ri, &fields)).collect();
    CollectionDef {
        id: "col-jobs".into(),
        name: "Jobs".into(),
        slug: REALISTIC.into(),
        description: None,
        fields,
        records,
    }
}

/// A deterministic pseudo-random number for (record, field, salt): splitmix64.
fn mix(ri: usize, fi: usize, salt: u64) -> u64 {
    let mut z = (ri as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((fi as u64) << 32)
        .wrapping_add(salt);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn job_id(ri: usize) -> String {
    format!("6a0b5e1c-0000-4000-8000-{ri:012x}")
}

fn refs(ids: impl Iterator<Item = String>) -> Value {
    Value::Array(ids.map(|id| json!({ "id": id })).collect())
}

/// One of the three documented date forms, chosen per value.
fn date(r: u64, with_time: bool) -> Value {
    let (y, m, d) = (2023 + r % 3, 1 + (r >> 8) % 12, 1 + (r >> 16) % 28);
    let (hh, mm, ss) = ((r >> 24) % 24, (r >> 32) % 60, (r >> 40) % 60);
    let form = if with_time { 1 + r % 2 } else { r % 3 };
    json!(match form {
        0 => format!("{y}-{m:02}-{d:02}"),
        1 => format!("{y}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
        _ => format!("{d:02}/{m:02}/{y} {hh:02}:{mm:02}:{ss:02} +00:00"),
    })
}

fn value(ri: usize, fi: usize, f: &FieldDef) -> Value {
    let r = mix(ri, fi, 1);
    let n = (r % 100_000) as usize;
    let pick = |opts: &[String]| json!(opts[(r as usize) % opts.len()]);
    match (f.ty.as_str(), fi) {
        ("text", 0) => json!(format!("Job {ri}: service visit")),
        ("text", _) => json!(format!("REF-{n:06}")),
        ("richText", _) => json!(format!(
            "<p>Called about <b>unit {n}</b>; engineer booked. Parts: filter &amp; valve.</p>"
        )),
        ("email", _) => json!(format!("contact{n}@example.com")),
        ("website", _) => json!(format!("https://example.com/sites/{n}")),
        ("phone", _) => json!(format!("+44 20 7946 {:04}", n % 10_000)),
        ("number", _) if r.is_multiple_of(2) => json!(n % 500),
        ("number" | "computedNumber", _) => json!(n as f64 / 8.0),
        ("currency", _) => json!(n as f64 / 100.0),
        ("rating", _) => json!(n % 6),
        ("date", 8) => date(r, false),
        ("date" | "computedDate", _) => date(r, true),
        ("duration", _) => json!((n % 600) * 60),
        ("checkbox", _) => json!(r.is_multiple_of(2)),
        ("select" | "stage" | "computedSelect", _) => pick(&f.options),
        ("link", _) if !f.multiple => json!({ "id": job_id(ri / 2) }),
        ("link", _) => refs((0..r % 4).map(|k| job_id((ri + k as usize * 7) / 3))),
        ("colleague", _) if !f.multiple => json!({ "id": format!("user-{:04}", n % 40) }),
        ("colleague", _) => refs((0..1 + r % 3).map(|k| format!("user-{:04}", (n + k as usize) % 40))),
        ("file", _) => {
            let file = |k: u64| {
                json!({
                    "name": format!("photo-{n}-{k}.jpg"),
                    "url": format!("https://files.example.com/{n}/{k}"),
                    "size": 20_000 + (r >> 8) % 2_000_000,
                    "contentType": "image/jpeg",
                })
            };
            if f.multiple {
                Value::Array((0..r % 4).map(file).collect())
            } else {
                file(0)
            }
        }
        ("list", _) => Value::Array(
            (0..1 + r % 3)
                .map(|k| json!({"description": format!("Part {k}"), "quantity": 1 + k, "unitPrice": (n % 900) as f64 / 4.0}))
                .collect(),
        ),
        ("computedText", _) => json!(format!("Job {ri} at site {n}")),
        ("lookup", _) => json!([format!("Customer {}", n % 250)]),
        ("aggregation", _) => json!(n % 17),
        _ => Value::Null,
    }
}

fn record(ri: usize, fields: &[FieldDef]) -> SeedRecord {
    let mut data = Map::new();
    for (fi, f) in fields.iter().enumerate() {
        // ~4% absent and ~4% null, as real data has, except the primary field.
        let roll = mix(ri, fi, 2) % 100;
        if fi > 0 && roll < 4 {
            continue;
        }
        let v = if fi > 0 && roll < 8 {
            Value::Null
        } else {
            value(ri, fi, f)
        };
        data.insert(f.wire_key().into_owned(), v);
    }
    SeedRecord {
        id: Some(job_id(ri)),
        data,
        external: None,
    }
}

/// The schema an account fixture describes.
pub fn schema_of(account: &Account) -> Schema {
    let collections = account
        .collections
        .iter()
        .map(|c| CollectionSchema {
            id: c.id.clone(),
            name: c.name.clone(),
            slug: c.slug.clone(),
            description: c.description.clone(),
            fields: c
                .fields
                .iter()
                .map(|f| FieldSchema::from(f.clone()))
                .collect(),
            rust: None,
        })
        .collect();
    Schema {
        format: FORMAT_VERSION,
        account: Some(account.name.clone()),
        collections,
    }
    .canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_collection_covers_every_type_and_validates() {
        let a = account(200);
        assert_eq!(a.validate(), Vec::new());
        let jobs = &a.collections[1];
        let types: std::collections::BTreeSet<&str> =
            jobs.fields.iter().map(|f| f.ty.as_str()).collect();
        assert_eq!(types.len(), 23, "{types:?}");
        let values = jobs.records.iter().flat_map(|r| r.data.values());
        let nulls = values.clone().filter(|v| v.is_null()).count();
        let all = jobs.records.len() * jobs.fields.len();
        assert!(
            nulls * 100 / all >= 2 && nulls * 100 / all <= 6,
            "{nulls}/{all}"
        );
        assert!(values.count() < all, "some keys are absent");
    }
}
