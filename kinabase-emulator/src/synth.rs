//! Synthetic accounts of any size (N collections × M fields × K records), for tests and
//! benchmarks. Deterministic: the same numbers always give the same account.

use serde_json::{Map, Value, json};

use crate::account::{Account, CollectionDef, FieldDef, SeedRecord};

/// The writable and computed types a synthetic collection cycles through.
const CYCLE: &[&str] = &[
    "text",
    "number",
    "date",
    "checkbox",
    "select",
    "email",
    "currency",
    "duration",
    "stage",
    "richText",
    "phone",
    "rating",
    "website",
    "computedText",
    "link",
    "file",
];

/// How big a synthetic account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Collections.
    pub collections: usize,
    /// Fields per collection (at least 1: a primary text field).
    pub fields: usize,
    /// Records per collection.
    pub records: usize,
}

/// Builds a synthetic account. Collection `i` links to collection `i - 1` (the first to
/// itself), so links resolve and typed references cross modules.
pub fn account(size: Size) -> Account {
    let collections = (0..size.collections)
        .map(|ci| collection(ci, size))
        .collect();
    Account {
        name: format!(
            "Synthetic {}x{}x{}",
            size.collections, size.fields, size.records
        ),
        collections,
    }
}

fn collection(ci: usize, size: Size) -> CollectionDef {
    let slug = format!("collection-{ci}");
    let target = format!("collection-{}", ci.saturating_sub(1));
    let mut fields = vec![FieldDef {
        id: Some(format!("c{ci}f0")),
        key: Some("name".into()),
        name: "Name".into(),
        ty: "text".into(),
        required: true,
        primary: true,
        read_only: false,
        description: Some("The record's title.".into()),
        options: Vec::new(),
        target: None,
        multiple: false,
    }];
    for fi in 1..size.fields.max(1) {
        let ty = CYCLE[fi % CYCLE.len()];
        let name = format!("{} Field {fi}", title(ty));
        fields.push(FieldDef {
            id: Some(format!("c{ci}f{fi}")),
            key: Some(crate::schema::derive_key(&name)),
            name,
            ty: ty.into(),
            required: false,
            primary: false,
            read_only: false,
            description: None,
            options: if matches!(ty, "select" | "stage") {
                vec!["Open".into(), "In Progress".into(), "Done".into()]
            } else {
                Vec::new()
            },
            target: (ty == "link").then(|| target.clone()),
            multiple: false,
        });
    }
    let records = (0..size.records)
        .map(|ri| record(ci, ri, &fields))
        .collect();
    CollectionDef {
        id: format!("col{ci:05}"),
        name: format!("Collection {ci}"),
        slug,
        description: None,
        fields,
        records,
    }
}

fn title(ty: &str) -> String {
    let mut c = ty.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Record ids are fixed so that links can point at them before they exist.
pub fn record_id(ci: usize, ri: usize) -> String {
    format!("{ci:08x}-0000-4000-8000-{ri:012x}")
}

fn record(ci: usize, ri: usize, fields: &[FieldDef]) -> SeedRecord {
    // Link to a record of the previous collection that certainly exists.
    let link = |_: &FieldDef, _: usize| Some(record_id(ci.saturating_sub(1), ri / 2));
    let mut data = Map::new();
    for (fi, f) in fields.iter().enumerate() {
        let n = ri * 31 + fi * 7;
        let v = match f.ty.as_str() {
            "text" if fi == 0 => json!(format!("Record {ri} of collection {ci}")),
            "file" if !n.is_multiple_of(3) => continue,
            _ => match value(f, n, &link) {
                Some(v) => v,
                None => continue,
            },
        };
        if fi > 0 && n.is_multiple_of(11) {
            continue; // leave some values empty, as real data does
        }
        data.insert(f.wire_key().into_owned(), v);
    }
    SeedRecord {
        id: Some(record_id(ci, ri)),
        data,
        external: None,
    }
}

/// A value of `field`'s type made from the number `n` (different numbers give different
/// values), or `None` for a type without a generator (an unknown type) or a choice field
/// without options. `link` names an existing record for a link or colleague field (its
/// second argument is a number to pick one by). A `multiple` link, colleague or file field
/// gets a list of one to three.
pub(crate) fn value(
    field: &FieldDef,
    n: usize,
    link: &dyn Fn(&FieldDef, usize) -> Option<String>,
) -> Option<Value> {
    let ty = field.ty.as_str();
    if field.multiple && matches!(ty, "link" | "colleague" | "file") {
        let items: Option<Vec<Value>> = (0..1 + n % 3)
            .map(|i| one_value(field, n.wrapping_add(i * 7_919), link))
            .collect();
        return items.map(Value::Array);
    }
    one_value(field, n, link)
}

fn one_value(
    field: &FieldDef,
    n: usize,
    link: &dyn Fn(&FieldDef, usize) -> Option<String>,
) -> Option<Value> {
    let option = || {
        (!field.options.is_empty())
            .then(|| Value::String(field.options[n % field.options.len()].clone()))
    };
    Some(match field.ty.as_str() {
        "text" => json!(format!("value {n}")),
        "richText" => json!(format!("<p>Note <b>{n}</b></p>")),
        "email" => json!(format!("user{n}@example.com")),
        "website" => json!(format!("https://example.com/{n}")),
        "phone" => json!(format!("+44 20 7946 {:04}", n % 10_000)),
        "number" | "computedNumber" => json!(n as f64 / 4.0),
        "currency" => json!(((n % 100_000) as f64) / 100.0),
        "rating" => json!(n % 6),
        "date" | "computedDate" => json!(format!("2024-{:02}-{:02}", n % 12 + 1, n % 28 + 1)),
        "duration" => json!(n * 60),
        "checkbox" => json!(n.is_multiple_of(2)),
        "select" | "stage" => option()?,
        "computedSelect" => option().unwrap_or_else(|| json!(format!("computed {n}"))),
        "computedText" => json!(format!("computed {n}")),
        "lookup" => json!(format!("looked up {n}")),
        "aggregation" => json!(n % 50),
        "link" | "colleague" => json!({ "id": link(field, n)? }),
        "file" => {
            json!({ "name": format!("doc{n}.pdf"), "url": format!("https://files.example.com/{n}"), "size": n * 100 })
        }
        "list" => json!([{ "text": format!("item {n}"), "done": n.is_multiple_of(2) }]),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_accounts_validate() {
        let a = account(Size {
            collections: 3,
            fields: 40,
            records: 25,
        });
        assert_eq!(a.collections.len(), 3);
        assert_eq!(a.collections[0].fields.len(), 40);
        assert_eq!(a.validate(), Vec::new());
        assert_eq!(
            a,
            account(Size {
                collections: 3,
                fields: 40,
                records: 25
            })
        );
    }
}
