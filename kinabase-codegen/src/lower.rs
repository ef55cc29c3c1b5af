//! Schema (+ overlay) → model: names, types, collisions, sorting and every problem.

use std::collections::{BTreeMap, BTreeSet, HashMap};

mod naming;

use naming::collection_names;
pub use naming::toml_key;

use crate::diag::Diagnostics;
use crate::model::{
    ChoiceModel, CollectionModel, FieldFacts, FieldModel, Model, RUNTIME_NAMES, SHORT_NAMES,
    ValueType,
};
use crate::names::{self, Case, RustName, Scope};
use crate::overlay::{CollectionOverlay, FieldOverlay, Overlay};
use crate::schema::{CollectionSchema, FieldSchema, Kind, Schema};

/// Names every generated collection module reserves for its fixed items.
const MODULE_ITEMS: &[&str] = &["Fields", "Create", "CreateRequired", "Update", "keys"];
/// Where a name came from, in the order names are claimed: a name the overlay pins wins
/// over a name the snapshot locked, which wins over a name made now from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Pinned,
    Locked,
    Wire,
}

/// Lowers a schema to the model, collecting every problem.
pub fn lower(schema: &Schema, overlay: &Overlay, diags: &mut Diagnostics) -> Model {
    // Canonical order without copying the schema: collections by slug, fields by key.
    let mut sorted: Vec<&CollectionSchema> = schema.collections.iter().collect();
    sorted.sort_by(|a, b| (&a.slug, &a.id).cmp(&(&b.slug, &b.id)));
    check_schema(&sorted, diags);
    overlay.check(schema, diags);

    let kept: Vec<&CollectionSchema> = sorted
        .iter()
        .copied()
        .filter(|c| overlay.generates(&c.slug, &c.id))
        .collect();

    let heads = collection_names(&kept, overlay, diags);
    let colleagues = kept
        .iter()
        .find(|c| c.slug == "colleagues")
        .map(|c| c.id.as_str());

    // Link targets by slug or id; the first in canonical order wins, as the API's lookup.
    let mut by_key: HashMap<&str, &CollectionSchema> = HashMap::new();
    for c in &sorted {
        by_key.entry(c.slug.as_str()).or_insert(c);
        by_key.entry(c.id.as_str()).or_insert(c);
    }
    let resolve = |target: &str| -> Option<(RustName, RustName)> {
        heads.get(by_key.get(target)?.id.as_str()).cloned()
    };
    let colleague_target = colleagues.and_then(|id| heads.get(id).cloned());
    // Collections lower independently: on all cores, each with its own diagnostics,
    // merged back in canonical order.
    let lowered = crate::render::parallel_map(&kept, |c| {
        let mut own = Diagnostics::default();
        let (module, marker) = heads[c.id.as_str()].clone();
        let over = overlay.collection(&c.slug, &c.id);
        let model = lower_collection(
            c,
            over,
            module,
            marker,
            &resolve,
            colleague_target.clone(),
            &mut own,
        );
        (model, own)
    });
    let mut collections = Vec::with_capacity(lowered.len());
    for (model, own) in lowered {
        diags.items.extend(own.items);
        collections.push(model);
    }
    collections.sort_by(|a, b| a.module.cmp(&b.module));
    Model {
        account: schema.account.clone(),
        collections,
    }
}

/// Locks names into the snapshot: every collection and field without a locked Rust name
/// gets the one it is generated with now (ignoring overlay pins, which stay in the
/// overlay). Items that already have one keep it. `pull` calls this after
/// [`Schema::inherit_names`], so a later pull never renames what code already uses.
pub fn assign_names(schema: &mut Schema) {
    let model = lower(schema, &Overlay::default(), &mut Diagnostics::default());
    for c in &mut schema.collections {
        let Some(m) = model.collections.iter().find(|m| m.id == c.id) else {
            continue;
        };
        c.rust.get_or_insert_with(|| m.module.text.clone());
        for f in &mut c.fields {
            if let Some(fm) = m.fields.iter().find(|fm| fm.key == f.key) {
                f.rust.get_or_insert_with(|| fm.name.text.clone());
            }
        }
    }
}

fn check_schema(collections: &[&CollectionSchema], diags: &mut Diagnostics) {
    let mut slugs = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for c in collections {
        if !slugs.insert(&c.slug) {
            diags.error(
                Some(&c.name),
                None,
                format!(
                    "slug {:?} is used by two collections; fix the snapshot",
                    c.slug
                ),
            );
        }
        if !ids.insert(&c.id) {
            diags.error(
                Some(&c.name),
                None,
                format!("id {:?} is used by two collections; fix the snapshot", c.id),
            );
        }
        let mut keys = BTreeSet::new();
        let mut fields: Vec<&FieldSchema> = c.fields.iter().collect();
        fields.sort_by(|a, b| (&a.key, &a.id).cmp(&(&b.key, &b.id)));
        for f in fields {
            if f.key.is_empty() {
                diags.error(
                    Some(&c.name),
                    Some(&f.name),
                    "the field has an empty wire key; fix the snapshot or pull it again",
                );
            } else if !keys.insert(&f.key) {
                diags.error(
                    Some(&c.name),
                    Some(&f.name),
                    format!(
                        "wire key {:?} is used by two fields; fix the snapshot",
                        f.key
                    ),
                );
            }
        }
    }
}

fn lower_collection(
    c: &CollectionSchema,
    over: Option<&CollectionOverlay>,
    module: RustName,
    marker: RustName,
    resolve: &(dyn Fn(&str) -> Option<(RustName, RustName)> + Sync),
    colleagues: Option<(RustName, RustName)>,
    diags: &mut Diagnostics,
) -> CollectionModel {
    let mut types = Scope::with_reserved(MODULE_ITEMS);
    types.claim(&marker.text, Case::UpperCamel);
    let mut fields_scope = Scope::default();
    let mut consts = Scope::default();
    let mut fields = Vec::new();
    let mut choices = Vec::new();

    // Fields by wire key; names claimed pinned first, then locked, then from the wire key,
    // so that a new field never takes or moves the name of one that code already uses.
    let mut order: Vec<(Source, &FieldSchema, Option<&FieldOverlay>)> = Vec::new();
    for f in &c.fields {
        let fo = over.and_then(|o| o.field(f.id.as_deref(), &f.key));
        if fo.is_some_and(|o| o.skip) {
            continue;
        }
        let source = match (fo.and_then(|o| o.rename.as_deref()), f.rust.as_deref()) {
            (Some(_), _) => Source::Pinned,
            (None, Some(_)) => Source::Locked,
            (None, None) => Source::Wire,
        };
        order.push((source, f, fo));
    }
    order.sort_by(|a, b| (a.0, &a.1.key).cmp(&(b.0, &b.1.key)));
    let mut owners: BTreeMap<String, &FieldSchema> = BTreeMap::new();
    let mut named: Vec<(RustName, &FieldSchema, Option<&FieldOverlay>)> = Vec::new();
    for (source, f, fo) in order {
        let first = match source {
            Source::Pinned => fo.and_then(|o| o.rename.as_deref()).unwrap_or(&f.key),
            Source::Locked => f.rust.as_deref().unwrap_or(&f.key),
            Source::Wire => f.key.as_str(),
        };
        if source == Source::Wire && names::convert(&f.key, Case::Snake).is_empty() {
            diags.warn(
                Some(&c.name),
                Some(&f.name),
                format!(
                    "wire key {:?} has no identifier characters: named from the display name; pin a name in kinabase.toml to choose",
                    f.key
                ),
            );
        }
        let candidates: Vec<&str> = [first, f.key.as_str(), f.name.as_str()]
            .into_iter()
            .chain(f.id.as_deref())
            .collect();
        let base = names::make(&candidates, Case::Snake, "field");
        let name = fields_scope.claim(&base, Case::Snake);
        if name.text != base && name.text != format!("{base}_") {
            let other = owners
                .get(&base)
                .map(|o| format!("field {:?} (wire key {:?})", o.name, o.key))
                .unwrap_or_else(|| "taken".into());
            diags.warn(
                Some(&c.name),
                Some(&f.name),
                format!(
                    "named `{}` because `{base}` is {other}; to choose, add to kinabase.toml:\n[collections.{}.fields.{}]\nrename = \"...\"",
                    name.source(),
                    toml_key(&c.slug),
                    toml_key(f.id.as_deref().unwrap_or(&f.key))
                ),
            );
        }
        owners.insert(name.text.clone(), f);
        named.push((name, f, fo));
    }
    named.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    for (name, f, fo) in named {
        let constant = consts.claim(
            &names::make(&[&name.text], Case::Shouty, "FIELD"),
            Case::Shouty,
        );

        let ty = match fo.and_then(|o| o.ty.as_deref()) {
            Some(custom) => {
                if let Err(why) = crate::overlay::check_type(custom) {
                    diags.error(
                        Some(&c.name),
                        Some(&f.name),
                        format!(
                            "overlay [collections.{}.fields.{}] type = {custom:?} {why}; write a type path such as \"rust_decimal::Decimal\" or remove the line",
                            toml_key(&c.slug),
                            toml_key(f.id.as_deref().unwrap_or(&f.key))
                        ),
                    );
                }
                ValueType::Custom(custom.to_string())
            }
            None => value_type(
                c,
                f,
                &name,
                &mut types,
                &mut choices,
                resolve,
                &colleagues,
                diags,
            ),
        };
        if let Some(inf) = &f.inferred {
            diags.warn(Some(&c.name), Some(&f.name), format!("type inferred from {} sampled record(s) (present in {}); check it, or list the field's type in the snapshot", inf.samples, inf.present));
        }
        fields.push(FieldModel {
            name,
            key: f.key.clone(),
            constant,
            display: f.name.clone(),
            type_name: f.ty.to_string(),
            ty,
            multiple: f.multiple && matches!(f.kind(), Kind::Link | Kind::Colleague),
            required: f.required,
            primary: f.primary,
            writable: f.writable(),
            description: f.description.clone(),
            inferred: f.inferred.as_ref().map(|i| (i.samples, i.present)),
            contract: FieldFacts {
                id: f.id.clone(),
                read_only: f.read_only,
                options: f.options.clone(),
                target: f.target.clone(),
                multiple: f.multiple,
            },
        });
    }
    choices.sort_by(|a, b| a.name.cmp(&b.name));
    for d in over.map(|o| o.derives.as_slice()).unwrap_or_default() {
        if let Err(why) = crate::overlay::check_derive(d) {
            diags.error(
                Some(&c.name),
                None,
                format!(
                    "overlay [collections.{}] derives: {d:?} {why}; write a derive path such as \"Eq\" or \"serde::Serialize\", or remove it",
                    toml_key(&c.slug)
                ),
            );
        }
    }
    let shadowed = std::iter::once(&marker)
        .chain(choices.iter().map(|ch| &ch.name))
        .filter(|n| {
            SHORT_NAMES.contains(&n.text.as_str()) || RUNTIME_NAMES.contains(&n.text.as_str())
        })
        .map(|n| n.text.clone())
        .collect();
    let mut required_types = BTreeSet::new();
    let required_by_name = fields
        .iter()
        .filter(|f| f.writable && f.required)
        .any(|f| !required_types.insert(f.type_text("", &module.text)));
    CollectionModel {
        required_by_name,
        shadowed,
        accessor: module.clone(),
        module,
        marker,
        id: c.id.clone(),
        slug: c.slug.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        extra_derives: over.map(|o| o.derives.clone()).unwrap_or_default(),
        fields,
        choices,
    }
}

#[allow(clippy::too_many_arguments)]
fn value_type(
    c: &CollectionSchema,
    f: &FieldSchema,
    field_name: &RustName,
    types: &mut Scope,
    choices: &mut Vec<ChoiceModel>,
    resolve: &(dyn Fn(&str) -> Option<(RustName, RustName)> + Sync),
    colleagues: &Option<(RustName, RustName)>,
    diags: &mut Diagnostics,
) -> ValueType {
    match f.kind() {
        Kind::Text => ValueType::Text,
        Kind::Number => ValueType::Number,
        Kind::Currency => ValueType::Currency,
        Kind::Date => ValueType::Date,
        Kind::Duration => ValueType::Duration,
        Kind::Checkbox => ValueType::Bool,
        Kind::Choice if f.options.is_empty() => {
            diags.warn(
                Some(&c.name),
                Some(&f.name),
                "choice field without options: typed as text",
            );
            ValueType::Text
        }
        Kind::Choice => {
            // The enum is named after the field's Rust name, so it is as stable as that.
            let name = types.claim(
                &names::make(&[&field_name.text, &f.key], Case::UpperCamel, "Choice"),
                Case::UpperCamel,
            );
            let mut variants_scope = Scope::with_reserved(&["Unknown"]);
            let mut seen = BTreeSet::new();
            let mut variants = Vec::new();
            for (i, label) in f.options.iter().enumerate() {
                if !seen.insert(label) {
                    continue; // a repeated label is one option
                }
                let base = names::make(&[label], Case::UpperCamel, &format!("Option{}", i + 1));
                variants.push((variants_scope.claim(&base, Case::UpperCamel), label.clone()));
            }
            choices.push(ChoiceModel {
                name: name.clone(),
                field: f.name.clone(),
                variants,
            });
            ValueType::Choice(name)
        }
        Kind::Link => {
            match f.target.as_deref().and_then(resolve) {
                Some((module, marker)) => ValueType::Link { module, marker },
                None => {
                    diags.warn(Some(&c.name), Some(&f.name), format!("link target {:?} is not a generated collection: references are untyped", f.target.as_deref().unwrap_or("(none)")));
                    ValueType::UntypedLink
                }
            }
        }
        Kind::Colleague => match colleagues {
            Some((module, marker)) => ValueType::Link {
                module: module.clone(),
                marker: marker.clone(),
            },
            None => ValueType::Colleague,
        },
        Kind::File | Kind::List | Kind::Computed => ValueType::Raw,
        Kind::Unknown => {
            diags.warn(
                Some(&c.name),
                Some(&f.name),
                format!(
                    "unknown field type {:?}: kept as raw JSON (kinabase_runtime::Raw)",
                    f.ty.as_str()
                ),
            );
            ValueType::Raw
        }
    }
}
