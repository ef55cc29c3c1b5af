//! The optional overlay, `kinabase.toml`: a team's adjustments to generated names and
//! types that survive every regeneration.
//!
//! ```toml
//! only = ["jobs", "customers"]       # generate only these collections (slug or id)
//!
//! [collections.jobs]                 # by collection slug or id
//! rename = "WorkOrders"              # the collection's type name
//! derives = ["Eq"]                   # extra derives on its read struct
//!
//! [collections.jobs.fields.fld_job_quote]   # by field id when fields have ids, else wire key
//! rename = "price"                   # the Rust field name
//! type = "rust_decimal::Decimal"     # a Rust type that (de)serializes the wire value
//!
//! [collections.jobs.fields.customerSignature]
//! skip = true                        # leave the field out
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diag::Diagnostics;
use crate::schema::Schema;

/// The whole overlay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Generate only these collections (by slug or id); links to the others become
    /// untyped references. For very large accounts whose code uses a few collections: the
    /// build compiles only those. Absent: every collection.
    #[serde(default)]
    pub only: Option<Vec<String>>,
    /// Per collection, by slug or id.
    #[serde(default)]
    pub collections: BTreeMap<String, CollectionOverlay>,
}

/// Adjustments to one collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionOverlay {
    /// The collection's Rust type name (its module is the snake_case of it).
    pub rename: Option<String>,
    /// Leave the whole collection out.
    #[serde(default)]
    pub skip: bool,
    /// Extra derives for the read struct, e.g. `["Eq", "Hash"]`.
    #[serde(default)]
    pub derives: Vec<String>,
    /// Per field, by field id when present, else by wire key.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldOverlay>,
}

/// Adjustments to one field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldOverlay {
    /// The Rust field name.
    pub rename: Option<String>,
    /// A Rust type to use instead of the generated one.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Leave the field out.
    #[serde(default)]
    pub skip: bool,
}

/// Why an overlay could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// Unreadable file.
    #[error("cannot read overlay {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not valid TOML or unknown settings.
    #[error("overlay {path} is not valid: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What the parser said.
        message: String,
    },
}

impl Overlay {
    /// Reads an overlay file.
    pub fn load(path: &Path) -> Result<Overlay, OverlayError> {
        let text = std::fs::read_to_string(path).map_err(|source| OverlayError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Overlay::parse(&text, &path.display().to_string())
    }

    /// Parses overlay text.
    pub fn parse(text: &str, origin: &str) -> Result<Overlay, OverlayError> {
        toml::from_str(text).map_err(|e| OverlayError::Invalid {
            path: origin.to_string(),
            message: e.to_string(),
        })
    }

    /// Reports every overlay key that names no collection or field, with the nearest
    /// valid name.
    pub fn check(&self, schema: &Schema, diags: &mut Diagnostics) {
        let collection_keys: Vec<&str> = schema
            .collections
            .iter()
            .flat_map(|c| [c.slug.as_str(), c.id.as_str()])
            .collect();
        for key in self.only.iter().flatten() {
            if schema.collection(key).is_none() {
                diags.error(
                    None,
                    None,
                    format!(
                        "overlay `only` names collection {key:?}, which the snapshot does not have{}",
                        suggest(key, &collection_keys)
                    ),
                );
            }
        }
        for (ckey, co) in &self.collections {
            let Some(c) = schema.collection(ckey) else {
                diags.error(
                    None,
                    None,
                    format!(
                        "overlay names collection {ckey:?}, which the snapshot does not have{}",
                        suggest(ckey, &collection_keys)
                    ),
                );
                continue;
            };
            let field_keys: Vec<&str> = c
                .fields
                .iter()
                .flat_map(|f| f.id.iter().map(String::as_str).chain([f.key.as_str()]))
                .collect();
            for fkey in co.fields.keys() {
                if !field_keys.contains(&fkey.as_str()) {
                    diags.error(
                        Some(&c.name),
                        None,
                        format!(
                            "overlay names field {fkey:?}, which the collection does not have{}",
                            suggest(fkey, &field_keys)
                        ),
                    );
                }
            }
        }
    }

    /// Whether the collection is generated: not skipped, and named by `only` when given.
    pub fn generates(&self, slug: &str, id: &str) -> bool {
        let listed = self
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|k| k == slug || k == id));
        listed && !self.collection(slug, id).is_some_and(|o| o.skip)
    }

    /// The overlay of a collection, by slug or id.
    pub fn collection(&self, slug: &str, id: &str) -> Option<&CollectionOverlay> {
        self.collections
            .get(slug)
            .or_else(|| self.collections.get(id))
    }
}

impl CollectionOverlay {
    /// The overlay of a field, by id when it has one, else by wire key.
    pub fn field(&self, id: Option<&str>, key: &str) -> Option<&FieldOverlay> {
        id.and_then(|id| self.fields.get(id))
            .or_else(|| self.fields.get(key))
    }
}

/// Whether an overlay `type` is a type path the generated code can use: `Name`,
/// `path::Name`, `::path::Name<Args>`, where every argument is such a path too. `_`,
/// `impl Trait`, references, `!` and the like are refused (`_` would parse as a type but
/// cannot be a field's type).
pub fn check_type(text: &str) -> Result<(), String> {
    let ty: syn::Type = syn::parse_str(text).map_err(|e| format!("is not a Rust type ({e})"))?;
    check_type_path(&ty)
}

fn check_type_path(ty: &syn::Type) -> Result<(), String> {
    let syn::Type::Path(p) = ty else {
        return Err("is not a type path".into());
    };
    if p.qself.is_some() {
        return Err("is a qualified path, which a field type cannot be here".into());
    }
    for seg in &p.path.segments {
        if seg.ident == "_" {
            return Err("is not a type path".into());
        }
        match &seg.arguments {
            syn::PathArguments::None => {}
            syn::PathArguments::AngleBracketed(args) => {
                for arg in &args.args {
                    match arg {
                        syn::GenericArgument::Type(t) => check_type_path(t)?,
                        _ => return Err("has generic arguments that are not types".into()),
                    }
                }
            }
            syn::PathArguments::Parenthesized(_) => {
                return Err("is a function-trait path, not a type".into());
            }
        }
    }
    Ok(())
}

/// Whether an overlay derive is a plain path (`Eq`, `serde::Serialize`) that the read
/// struct does not derive already.
pub fn check_derive(text: &str) -> Result<(), String> {
    let path: syn::Path = syn::parse_str(text).map_err(|_| "is not a path".to_string())?;
    if path
        .segments
        .iter()
        .any(|s| !matches!(s.arguments, syn::PathArguments::None))
    {
        return Err("has generic arguments".into());
    }
    let last = path.segments.last().map(|s| s.ident.to_string());
    if let Some(name) =
        last.filter(|n| ["Debug", "Clone", "PartialEq", "Default"].contains(&n.as_str()))
    {
        return Err(format!("is implemented already ({name})"));
    }
    Ok(())
}

/// `; did you mean "x"?` for the nearest candidate, or nothing.
pub fn suggest(wrong: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&wrong.to_lowercase(), &c.to_lowercase()),
                *c,
            )
        })
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| format!("; did you mean {c:?}?"))
        .unwrap_or_default()
}
