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
//! // build.rs
//! kinabase_codegen::Builder::new("kinabase.snapshot.json")
//!     .overlay("kinabase.toml") // optional; ignored when the file does not exist
//!     .compile() // writes $OUT_DIR/kinabase.rs
//!     .unwrap_or_else(|e| panic!("{e}"));
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

pub mod diag;
pub mod drift;

pub mod emit;
pub mod lower;
pub mod model;
pub mod names;
pub mod overlay;
#[cfg(feature = "pull")]
pub mod pull;
pub mod render;
pub mod schema;
pub mod tables;

use std::path::{Path, PathBuf};

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
    let mut diagnostics = Diagnostics::default();
    // The content hash (a serialization of the whole schema) runs beside lowering.
    let (model, hash) = std::thread::scope(|scope| {
        let hash = scope.spawn(|| schema.content_hash());
        let model = lower::lower(schema, overlay, &mut diagnostics);
        (model, hash.join())
    });
    if diagnostics.has_errors() {
        return Err(Error::Invalid(diagnostics));
    }
    // The hashing thread only serializes the schema; if it panicked, re-raise its panic
    // here rather than report it as something else.
    let hash = hash.unwrap_or_else(|e| std::panic::resume_unwind(e));
    let header = render::header(origin, &hash);
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
                files.push((
                    PathBuf::from(format!("{}.rs", c.module.text)),
                    format!("{header}{body}"),
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

/// Generates bindings from a snapshot file: for `build.rs` and for any team's xtask.
#[derive(Debug, Clone)]
pub struct Builder {
    snapshot: PathBuf,
    overlay: Option<PathBuf>,
    out: Option<PathBuf>,
    layout: Layout,
    options: EmitOptions,
}

impl Builder {
    /// A builder for the snapshot at `snapshot`.
    pub fn new(snapshot: impl Into<PathBuf>) -> Builder {
        Builder {
            snapshot: snapshot.into(),
            overlay: None,
            out: None,
            layout: Layout::SingleFile,
            options: EmitOptions::default(),
        }
    }

    /// An overlay file; a missing file is the same as none.
    pub fn overlay(mut self, path: impl Into<PathBuf>) -> Builder {
        self.overlay = Some(path.into());
        self
    }

    /// Write one file here (default: `$OUT_DIR/kinabase.rs`).
    pub fn out_file(mut self, path: impl Into<PathBuf>) -> Builder {
        self.out = Some(path.into());
        self.layout = Layout::SingleFile;
        self
    }

    /// Write a module tree into this directory.
    pub fn out_dir(mut self, path: impl Into<PathBuf>) -> Builder {
        self.out = Some(path.into());
        self.layout = Layout::ModuleTree;
        self
    }

    /// Whether to emit the `Kinabase` account type (needs the runtime's `http` feature).
    pub fn account_type(mut self, yes: bool) -> Builder {
        self.options.account_type = yes;
        self
    }

    /// In a build script: generates into `OUT_DIR` (unless told otherwise), prints
    /// `cargo:rerun-if-changed` for the inputs and each warning as `cargo:warning`.
    pub fn compile(self) -> Result<Report, Error> {
        println!("cargo:rerun-if-changed={}", self.snapshot.display());
        if let Some(o) = &self.overlay {
            println!("cargo:rerun-if-changed={}", o.display());
        }
        let builder = match (&self.out, std::env::var_os("OUT_DIR")) {
            (None, Some(dir)) => self
                .clone()
                .out_file(PathBuf::from(dir).join("kinabase.rs")),
            _ => self.clone(),
        };
        let report = builder.write()?;
        for d in report.diagnostics.warnings() {
            println!(
                "cargo:warning=kinabase: {}",
                d.to_string().trim_start_matches("warning: ")
            );
        }
        Ok(report)
    }

    /// [`compile`](Builder::compile) for a `build.rs` that stops with readable messages:
    /// on an error, prints it (each problem on its own line) and exits with status 1.
    pub fn compile_or_exit(self) -> Report {
        match self.compile() {
            Ok(report) => report,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1)
            }
        }
    }

    /// Generates the files in memory.
    pub fn generate(&self) -> Result<Generated, Error> {
        let schema = Schema::load(&self.snapshot)?;
        let overlay = match &self.overlay {
            Some(p) if p.exists() => Overlay::load(p)?,
            _ => Overlay::default(),
        };
        let origin = self
            .snapshot
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "snapshot".into());
        generate(&schema, &overlay, &origin, self.layout, self.options)
    }

    /// Generates and writes, touching only files whose bytes change. Nothing is written
    /// when generation fails.
    pub fn write(&self) -> Result<Report, Error> {
        let generated = self.generate()?;
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("kinabase.rs"));
        let mut files = Vec::new();
        match self.layout {
            Layout::SingleFile => {
                let text = &generated.files[0].1;
                files.push((out.clone(), render::write_if_changed(&out, text)?));
            }
            Layout::ModuleTree => {
                std::fs::create_dir_all(&out).map_err(|source| render::RenderError::Write {
                    path: out.display().to_string(),
                    source,
                })?;
                for (name, text) in &generated.files {
                    let path = out.join(name);
                    files.push((path.clone(), render::write_if_changed(&path, text)?));
                }
                remove_stale(&out, &generated.files);
            }
        }
        Ok(Report {
            files,
            diagnostics: generated.diagnostics,
            collections: generated.collections,
            fields: generated.fields,
        })
    }

    /// Whether the files at the output are exactly what the snapshot generates now.
    /// Returns the paths that are stale or missing.
    pub fn stale(&self) -> Result<Vec<PathBuf>, Error> {
        let generated = self.generate()?;
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("kinabase.rs"));
        let mut stale = Vec::new();
        match self.layout {
            Layout::SingleFile => {
                if std::fs::read_to_string(&out).ok().as_deref()
                    != Some(generated.files[0].1.as_str())
                {
                    stale.push(out);
                }
            }
            Layout::ModuleTree => {
                for (name, text) in &generated.files {
                    let path = out.join(name);
                    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                        stale.push(path);
                    }
                }
            }
        }
        Ok(stale)
    }
}

/// Removes generated files of collections that no longer exist.
fn remove_stale(dir: &Path, files: &[(PathBuf, String)]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = PathBuf::from(e.file_name());
        if path.extension().is_some_and(|x| x == "rs")
            && !files.iter().any(|(n, _)| *n == name)
            && std::fs::read_to_string(&path)
                .is_ok_and(|t| t.starts_with("// @generated by kinabase-codegen"))
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}
