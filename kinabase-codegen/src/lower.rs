//! Schema (+ overlay) → model: names, types, collisions, sorting and every problem.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diag::Diagnostics;
use crate::model::{
    ChoiceModel, CollectionModel, FieldModel, Model, RUNTIME_NAMES, SHORT_NAMES, ValueType,
};
use crate::names::{self, Case, RustName, Scope};
use crate::overlay::{CollectionOverlay, FieldOverlay, Overlay};
use crate::schema::{CollectionSchema, FieldSchema, Kind, Schema};

/// Names every generated collection module reserves for its fixed items.
const MODULE_ITEMS: &[&str] = &["Fields", "Create", "Update", "keys"];
/// Methods a collection accessor on the account type must not be called: its own methods
/// and the trait methods an inherent method of that name would shadow (`kb.clone()` must
/// stay `Clone::clone`). Such a collection's module and method get a `_` suffix.
const ACCOUNT_METHODS: &[&str] = &[
    "new",
    "client",
    "clone",
    "clone_from",
    "clone_into",
    "to_owned",
    "fmt",
    "eq",
    "ne",
    "hash",
    "default",
    "into",
    "try_into",
    "from",
    "try_from",
    "borrow",
    "borrow_mut",
    "type_id",
    "to_string",
    "as_ref",
    "as_mut",
];

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
        .filter(|c| !overlay.collection(&c.slug, &c.id).is_some_and(|o| o.skip))
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

/// Module and marker names of every collection: pinned, then locked, then from the
/// slug, each group in slug order, so a new collection never takes or moves a name.
fn collection_names(
    kept: &[&CollectionSchema],
    overlay: &Overlay,
    diags: &mut Diagnostics,
) -> BTreeMap<String, (RustName, RustName)> {
    let mut order: Vec<(Source, &CollectionSchema, String)> = kept
        .iter()
        .map(|c| {
            let pinned = overlay
                .collection(&c.slug, &c.id)
                .and_then(|o| o.rename.as_deref());
            let (source, first) = match (pinned, c.rust.as_deref()) {
                (Some(p), _) => (Source::Pinned, p),
                (None, Some(l)) => (Source::Locked, l),
                (None, None) => (Source::Wire, c.slug.as_str()),
            };
            if source == Source::Wire && names::convert(&c.slug, Case::Snake).is_empty() {
                diags.warn(
                    Some(&c.name),
                    None,
                    format!(
                        "slug {:?} has no identifier characters: named from the display name or id",
                        c.slug
                    ),
                );
            }
            let base = names::make(&[first, &c.slug, &c.name, &c.id], Case::Snake, "collection");
            (source, *c, base)
        })
        .collect();
    order.sort_by_key(|(source, _, _)| *source);
    let mut modules = Scope::default();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    let mut heads = BTreeMap::new();
    for (_, c, base) in order {
        let wanted = if names::is_reserved_module(&base) || ACCOUNT_METHODS.contains(&base.as_str())
        {
            format!("{base}_")
        } else {
            base.clone()
        };
        let module = modules.claim(&wanted, Case::Snake);
        if module.text != wanted {
            let other = owners.get(&wanted).cloned().unwrap_or_default();
            diags.warn(
                Some(&c.name),
                None,
                format!(
                    "module `{}` because `{wanted}` is {other}; to choose another name, add to kinabase.toml:\n[collections.{}]\nrename = \"...\"",
                    module.text,
                    toml_key(&c.slug)
                ),
            );
        }
        owners.insert(
            module.text.clone(),
            format!("the module of collection {:?} (slug {:?})", c.name, c.slug),
        );
        let mut types = Scope::with_reserved(MODULE_ITEMS);
        let marker = types.claim(
            &names::make(&[&module.text, &c.id], Case::UpperCamel, "Collection"),
            Case::UpperCamel,
        );
        heads.insert(c.id.clone(), (module, marker));
    }
    heads
}

/// A TOML key as written in `kinabase.toml`: bare when it can be, else quoted.
pub fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        let escaped: String = k.chars().flat_map(char::escape_default).collect();
        format!("\"{escaped}\"")
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
                if syn::parse_str::<syn::Type>(custom).is_err() {
                    diags.error(
                        Some(&c.name),
                        Some(&f.name),
                        format!("overlay type {custom:?} is not a Rust type"),
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
            type_name: f.ty.clone(),
            ty,
            multiple: f.multiple && matches!(f.kind(), Kind::Link | Kind::Colleague),
            required: f.required,
            primary: f.primary,
            writable: f.writable(),
            description: f.description.clone(),
            inferred: f.inferred.as_ref().map(|i| (i.samples, i.present)),
        });
    }
    choices.sort_by(|a, b| a.name.cmp(&b.name));
    let shadowed = std::iter::once(&marker)
        .chain(choices.iter().map(|ch| &ch.name))
        .filter(|n| {
            SHORT_NAMES.contains(&n.text.as_str()) || RUNTIME_NAMES.contains(&n.text.as_str())
        })
        .map(|n| n.text.clone())
        .collect();
    CollectionModel {
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
                    f.ty
                ),
            );
            ValueType::Raw
        }
    }
}
