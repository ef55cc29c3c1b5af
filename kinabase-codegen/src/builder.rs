//! [`Builder`]: a snapshot file in, generated files out; for `build.rs` and any command line.

use std::path::{Path, PathBuf};

use crate::render;
use crate::{EmitOptions, Error, Generated, Layout, Overlay, Report, Schema};

/// The overlay's file name, looked for beside the snapshot.
pub const OVERLAY_FILE: &str = "kinabase.toml";

/// Where the overlay comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OverlaySource {
    /// `kinabase.toml` in the snapshot's directory, when it exists.
    Beside,
    /// This file, which must exist.
    Explicit(PathBuf),
    /// No overlay.
    Off,
}

/// Generates bindings from a snapshot file: for `build.rs` and for any team's xtask.
///
/// The overlay is `kinabase.toml` beside the snapshot when that file exists, unless
/// [`overlay`](Builder::overlay) names another file (which must exist) or
/// [`no_overlay`](Builder::no_overlay) turns it off. Relative paths are relative to the
/// current directory, which in a build script is the crate's directory.
#[derive(Debug, Clone)]
pub struct Builder {
    snapshot: PathBuf,
    overlay: OverlaySource,
    out: Option<PathBuf>,
    layout: Layout,
    options: EmitOptions,
    docs: bool,
}

impl Builder {
    /// A builder for the snapshot at `snapshot`.
    pub fn new(snapshot: impl Into<PathBuf>) -> Builder {
        Builder {
            snapshot: snapshot.into(),
            overlay: OverlaySource::Beside,
            out: None,
            layout: Layout::SingleFile,
            options: EmitOptions::default(),
            docs: false,
        }
    }

    /// Use this overlay file; generation fails when it does not exist.
    pub fn overlay(mut self, path: impl Into<PathBuf>) -> Builder {
        self.overlay = OverlaySource::Explicit(path.into());
        self
    }

    /// Use no overlay, not even `kinabase.toml` beside the snapshot.
    pub fn no_overlay(mut self) -> Builder {
        self.overlay = OverlaySource::Off;
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

    /// Also write `SCHEMA.md` into a module tree: per collection a table of fields (display
    /// name, wire key, Rust name, type, required, read-only) and a Mermaid diagram of links.
    pub fn schema_doc(mut self, yes: bool) -> Builder {
        self.docs = yes;
        self
    }

    /// The overlay file this builder reads, if any (an explicit one even when missing).
    pub fn overlay_path(&self) -> Option<PathBuf> {
        match &self.overlay {
            OverlaySource::Explicit(p) => Some(p.clone()),
            OverlaySource::Beside => {
                Some(self.snapshot_dir().join(OVERLAY_FILE)).filter(|p| p.is_file())
            }
            OverlaySource::Off => None,
        }
    }

    fn snapshot_dir(&self) -> PathBuf {
        match self.snapshot.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            // `kinabase.snapshot.json`: the current directory (an empty path has no
            // absolute form, and the overlay was then recorded by its absolute path).
            _ => PathBuf::from("."),
        }
    }

    /// The files cargo should watch: the snapshot and the overlay, only when it exists
    /// (`rerun-if-changed` on a missing file reruns the build script on every build).
    pub fn rerun_paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.snapshot.clone()];
        paths.extend(self.overlay_path().filter(|p| p.exists()));
        paths
    }

    /// In a build script: generates into `OUT_DIR` (unless told otherwise), prints
    /// `cargo:rerun-if-changed` for the inputs and each warning as `cargo:warning`.
    pub fn compile(self) -> Result<Report, Error> {
        for p in self.rerun_paths() {
            println!("cargo:rerun-if-changed={}", p.display());
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
        let overlay_path = self.overlay_path();
        let overlay = match &overlay_path {
            Some(p) => Overlay::load(p)?,
            None => Overlay::default(),
        };
        let origin = self
            .snapshot
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "snapshot".into());
        let recorded = render::Recorded {
            overlay: overlay_path.map(|p| relative_to(&p, &self.snapshot_dir())),
            account_type: self.options.account_type,
            docs: self.docs,
        };
        crate::generate_recorded(
            &schema,
            &overlay,
            &origin,
            &recorded,
            self.layout,
            self.options,
        )
    }

    fn out(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("kinabase.rs"))
    }

    /// Generates and writes, touching only files whose bytes change. Nothing is written
    /// when generation fails; a module tree is written whole or not at all (see
    /// [`render::write_tree`]).
    pub fn write(&self) -> Result<Report, Error> {
        let generated = self.generate()?;
        let out = self.out();
        let files = match self.layout {
            Layout::SingleFile => {
                let text = &generated.files[0].1;
                vec![(out.clone(), render::write_if_changed(&out, text)?)]
            }
            Layout::ModuleTree => render::write_tree(&out, &generated.files)?,
        };
        Ok(Report {
            files,
            diagnostics: generated.diagnostics,
            collections: generated.collections,
            fields: generated.fields,
        })
    }

    /// Whether the files at the output are what the snapshot generates now, up to
    /// formatting (`cargo fmt` on committed bindings keeps them current). Returns the paths
    /// that are stale, missing, or left over (a removed collection's file, a temporary
    /// file of an interrupted run).
    pub fn stale(&self) -> Result<Vec<PathBuf>, Error> {
        let generated = self.generate()?;
        let out = self.out();
        let mut stale = Vec::new();
        match self.layout {
            Layout::SingleFile => {
                if !std::fs::read_to_string(&out)
                    .is_ok_and(|old| render::same_code(&old, &generated.files[0].1))
                {
                    stale.push(out);
                }
            }
            Layout::ModuleTree => {
                for (name, text) in &generated.files {
                    let path = out.join(name);
                    if !std::fs::read_to_string(&path)
                        .is_ok_and(|old| render::same_code(&old, text))
                    {
                        stale.push(path);
                    }
                }
                stale.extend(render::strays(&out, &generated.files));
            }
        }
        Ok(stale)
    }
}

/// `path` as seen from `base` (both as given, else made absolute), for the header.
fn relative_to(path: &Path, base: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (path, base) = (abs(path), abs(base));
    let (p, b): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return path.display().to_string();
    }
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &p[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_recorded_relative_to_the_snapshot_even_without_a_directory() {
        for (snapshot, dir) in [("kinabase.snapshot.json", "."), ("a/b/s.json", "a/b")] {
            let b = Builder::new(snapshot);
            assert_eq!(b.snapshot_dir(), Path::new(dir));
            let overlay = b.snapshot_dir().join(OVERLAY_FILE);
            assert_eq!(relative_to(&overlay, &b.snapshot_dir()), OVERLAY_FILE);
        }
    }
}
