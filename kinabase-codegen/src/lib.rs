//! Generates compile-time checked Rust bindings from a Kinabase account's schema.
//!
//! The pipeline, one module a stage: [`schema`] (the snapshot as data) → [`lower`]
//! (names, types, collisions, diagnostics) → [`model`] → [`emit`] (tokens) →
//! [`render`] (formatted text, written only when it changes). [`drift`] compares two
//! schemas on the code they generate; with the `pull` feature, `pull` reads a live
//! account into a snapshot.
//!
//! In a `build.rs`, in the style of prost-build:
//!
//! ```no_run
//! // build.rs, `fn main`: reads kinabase.toml beside the snapshot when it exists;
//! // writes $OUT_DIR/kinabase.rs; on an error prints the problems and stops the build.
//! kinabase_codegen::Builder::new("kinabase.snapshot.json").compile_or_exit();
//! ```
//!
//! and in the crate:
//!
//! ```ignore
//! mod kinabase {
//!     include!(concat!(env!("OUT_DIR"), "/kinabase.rs"));
//! }
//! ```

#![deny(missing_docs)]

mod builder;
pub mod diag;
pub mod docs;
pub mod drift;

pub mod emit;
pub mod ingest;
pub mod lower;
pub mod model;
pub mod names;
pub mod overlay;
#[cfg(feature = "pull")]
pub mod pull;
pub mod render;
pub mod schema;
pub mod tables;

use std::path::PathBuf;

pub use builder::Builder;
pub use diag::{Diagnostic, Diagnostics, Level};
pub use emit::{EmitOptions, RootItems};
pub use overlay::Overlay;
pub use render::Written;
pub use schema::{CollectionSchema, FieldSchema, Schema};

/// Everything that can stop a generation. Its `Debug` is its message, so that `?` in a
/// `build.rs` (`fn main() -> Result<(), Box<dyn std::error::Error>>`) prints the message,
/// not a dump of structures.
#[derive(thiserror::Error)]
pub enum Error {
    /// The snapshot could not be read.
    #[error(transparent)]
    Snapshot(#[from] schema::SnapshotError),
    /// The overlay could not be read.
    #[error(transparent)]
    Overlay(#[from] overlay::OverlayError),
    /// The schema or overlay has problems (all of them are listed).
    #[error("cannot generate bindings ({}):\n{}", problems(.0), list_errors(.0))]
    Invalid(Diagnostics),
    /// Rendering or writing failed.
    #[error(transparent)]
    Render(#[from] render::RenderError),
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

fn problems(d: &Diagnostics) -> String {
    match d.items.iter().filter(|d| d.level == Level::Error).count() {
        1 => "1 problem".to_string(),
        n => format!("{n} problems"),
    }
}

/// The errors one an indented line, without a second `error:` prefix.
fn list_errors(d: &Diagnostics) -> String {
    d.items
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| {
            let text = d.to_string();
            format!("  {}", text.strip_prefix("error: ").unwrap_or(&text))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How the output is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One file, for `include!` (e.g. from `OUT_DIR`).
    SingleFile,
    /// A directory with `mod.rs` and one file per collection, to commit under `src/`.
    ModuleTree,
}

/// Generated files and what was found on the way.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Files relative to the output (a single entry named after the output for
    /// [`Layout::SingleFile`]), in a stable order.
    pub files: Vec<(PathBuf, String)>,
    /// Warnings (errors stop generation).
    pub diagnostics: Diagnostics,
    /// Collections generated.
    pub collections: usize,
    /// Fields generated.
    pub fields: usize,
}

/// Generates the bindings for a schema. `origin` names the snapshot in the header.
pub fn generate(
    schema: &Schema,
    overlay: &Overlay,
    origin: &str,
    layout: Layout,
    options: EmitOptions,
) -> Result<Generated, Error> {
    generate_recorded(
        schema,
        overlay,
        origin,
        &render::Recorded::default(),
        layout,
        options,
    )
}

/// [`generate`], recording in each header the overlay's path (relative to the snapshot's
/// directory) with the options, so that `check --generated` can reproduce the files; with
/// `recorded.docs`, a module tree also gets `SCHEMA.md`. The account type follows `options`.
pub fn generate_recorded(
    schema: &Schema,
    overlay: &Overlay,
    origin: &str,
    recorded: &render::Recorded,
    layout: Layout,
    options: EmitOptions,
) -> Result<Generated, Error> {
    let mut diagnostics = Diagnostics::default();
    // The content hash (a serialization of the whole schema) runs beside lowering.
    let (model, hash) = std::thread::scope(|scope| {
        let hash = scope
            .spawn(|| render::input_hash(&[&schema.to_snapshot_text(), &format!("{overlay:?}")]));
        let model = lower::lower(schema, overlay, &mut diagnostics);
        (model, hash.join())
    });
    if diagnostics.has_errors() {
        return Err(Error::Invalid(diagnostics));
    }
    let hash =
        hash.map_err(|_| render::RenderError::Internal("the hashing thread panicked".into()))?;
    let recorded = render::Recorded {
        account_type: options.account_type,
        ..recorded.clone()
    };
    let header = render::header(origin, &hash, &recorded);
    let files = match layout {
        Layout::SingleFile => {
            // Each module is an independent item: format them in parallel and join them
            // in model order, so the bytes do not depend on the thread count.
            let mut parts = vec![render::render(
                emit::root(&model, options, RootItems::AccountOnly),
                "",
            )?];
            parts.extend(render::render_all(&model.collections, |c| {
                emit::inline_module(c)
            })?);
            vec![(
                PathBuf::from("kinabase.rs"),
                format!("{header}{}", parts.concat()),
            )]
        }
        Layout::ModuleTree => {
            let mut files = vec![(
                PathBuf::from("mod.rs"),
                render::render(
                    emit::root(&model, options, RootItems::Declarations),
                    &header,
                )?,
            )];
            let bodies = render::render_all(&model.collections, emit::collection)?;
            for (c, body) in model.collections.iter().zip(bodies) {
                // A collection's file names only its own inputs, so that a change to one
                // collection rewrites that file and the root, not every file.
                let own = schema
                    .collections
                    .iter()
                    .find(|s| s.id == c.id)
                    .map(|s| serde_json::to_string(s).unwrap_or_default())
                    .unwrap_or_default();
                let section = overlay
                    .collections
                    .get(&c.slug)
                    .or_else(|| overlay.collections.get(&c.id));
                let hash = render::input_hash(&[&own, &format!("{section:?}")]);
                let header = render::header(origin, &hash, &recorded);
                files.push((
                    PathBuf::from(format!("{}.rs", c.module.text)),
                    format!("{header}{body}"),
                ));
            }
            if recorded.docs {
                files.push((
                    PathBuf::from(docs::FILE),
                    docs::schema_markdown(&model, &render::markdown_header(&header)),
                ));
            }
            files
        }
    };
    Ok(Generated {
        files,
        diagnostics,
        collections: model.collections.len(),
        fields: model.collections.iter().map(|c| c.fields.len()).sum(),
    })
}

/// What a [`Builder`] run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Files written or already up to date.
    pub files: Vec<(PathBuf, Written)>,
    /// Warnings.
    pub diagnostics: Diagnostics,
    /// Collections generated.
    pub collections: usize,
    /// Fields generated.
    pub fields: usize,
}
