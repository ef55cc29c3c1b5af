//! Collection module and marker names: pinned, then locked, then from the slug.

use std::collections::BTreeMap;

use super::{MODULE_ITEMS, Source};
use crate::diag::Diagnostics;
use crate::names::{self, Case, RustName, Scope};
use crate::overlay::Overlay;
use crate::schema::CollectionSchema;

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

/// Module and marker names of every collection: pinned, then locked, then from the
/// slug, each group in slug order, so a new collection never takes or moves a name.
pub(super) fn collection_names(
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
