//! `pull`, `generate` and `check`.

use std::path::{Path, PathBuf};

use clap::Args;
use kinabase_codegen::drift;
use kinabase_codegen::pull::{self, PullOptions};
use kinabase_codegen::{Builder, Schema};
use kinabase_runtime::Client;

use crate::term::Out;

#[derive(Debug, Args)]
struct Connection {
    /// API base URL (else KINABASE_BASE_URL, else the real service).
    #[arg(long)]
    base_url: Option<String>,
}

impl Connection {
    /// The base URL and where it came from.
    fn target(&self, out: &Out<'_>) -> (String, &'static str) {
        if let Some(url) = &self.base_url {
            (url.clone(), "--base-url")
        } else if let Some(url) = (out.env)("KINABASE_BASE_URL").filter(|u| !u.trim().is_empty()) {
            (url, "KINABASE_BASE_URL")
        } else {
            (
                kinabase_runtime::DEFAULT_BASE_URL.to_string(),
                "the real service: KINABASE_BASE_URL is not set",
            )
        }
    }

    fn client(&self, out: &Out<'_>) -> Result<Client, String> {
        const HINT: &str = "from Settings → API, or the lines `cargo kinabase emulate` prints";
        let id = (out.env)("KINABASE_APP_ID")
            .filter(|v| !v.is_empty())
            .ok_or(format!(
                "KINABASE_APP_ID is not set: export the App ID {HINT}"
            ))?;
        let secret = (out.env)("KINABASE_APP_SECRET")
            .filter(|v| !v.is_empty())
            .ok_or(format!(
                "KINABASE_APP_SECRET is not set: export the App Secret {HINT}"
            ))?;
        let (url, from) = self.target(out);
        out.status(format!("using {url} ({from})"));
        Client::builder()
            .app_id(id)
            .app_secret(secret)
            .base_url(url)
            .build()
            .map_err(|e| e.to_string())
    }
}

/// Options of `pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    connection: Connection,
    /// Where to write the snapshot.
    #[arg(long, default_value = "kinabase.snapshot.json")]
    snapshot: PathBuf,
    /// Records sampled per collection whose fields must be inferred.
    #[arg(long, default_value_t = 3000)]
    sample: usize,
    /// Name every collection and field afresh from the wire, instead of keeping the Rust
    /// names the existing snapshot locked (renames whatever the account renamed).
    #[arg(long)]
    fresh_names: bool,
}

/// Options of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The snapshot to read.
    #[arg(long, default_value = "kinabase.snapshot.json")]
    snapshot: PathBuf,
    /// Output: a `.rs` file, or a directory for a module tree.
    #[arg(long, default_value = "src/kinabase")]
    out: PathBuf,
    /// Overlay (kinabase.toml); used when it exists.
    #[arg(long, default_value = "kinabase.toml")]
    overlay: PathBuf,
    /// Leave out the `Kinabase` account type (for crates without the runtime's http feature).
    #[arg(long)]
    no_account_type: bool,
}

/// Options of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    connection: Connection,
    /// The committed snapshot.
    #[arg(long, default_value = "kinabase.snapshot.json")]
    snapshot: PathBuf,
    /// Compare with this snapshot instead of the live account.
    #[arg(long)]
    against: Option<PathBuf>,
    /// Instead of drift: fail (exit 1) when the generated code here is stale against the snapshot.
    #[arg(long)]
    generated: Option<PathBuf>,
    /// Overlay the bindings are generated with (names in use, skipped items).
    #[arg(long, default_value = "kinabase.toml")]
    overlay: PathBuf,
}

pub(crate) fn pull(a: &PullArgs, out: &Out<'_>) -> Result<(), String> {
    let client = a.connection.client(out)?;
    let schema = pull::pull(
        &client,
        &PullOptions {
            sample_limit: a.sample,
            progress: out.pull_progress(),
        },
    )
    .map_err(|e| e.to_string())?;
    let mut schema = schema;
    lock_names(&a.snapshot, &mut schema, a.fresh_names)?;
    write_snapshot(&a.snapshot, &schema)?;
    out.status(format!(
        "wrote {} ({} collections)",
        a.snapshot.display(),
        schema.collections.len()
    ));
    Ok(())
}

/// The snapshot is the lockfile of Rust names: a freshly pulled `schema` keeps the names
/// the snapshot at `path` gave the same items (unless `fresh`), and new items get theirs.
pub fn lock_names(path: &Path, schema: &mut Schema, fresh: bool) -> Result<(), String> {
    if !fresh && path.exists() {
        let old = Schema::load(path).map_err(|e| e.to_string())?;
        schema.inherit_names(&old);
    }
    kinabase_codegen::lower::assign_names(schema);
    Ok(())
}

/// Writes a snapshot canonically and atomically.
pub fn write_snapshot(path: &Path, schema: &Schema) -> Result<(), String> {
    crate::write_text(path, &schema.to_snapshot_text())
}

/// The builder `generate` uses: a `.rs` output is one file, anything else a module tree.
pub fn builder_for(snapshot: &Path, out: &Path, overlay: &Path) -> Builder {
    let b = Builder::new(snapshot).overlay(overlay);
    if out.extension().is_some_and(|e| e == "rs") {
        b.out_file(out)
    } else {
        b.out_dir(out)
    }
}

pub(crate) fn generate(a: &GenerateArgs, out: &Out<'_>) -> Result<(), String> {
    let report = builder_for(&a.snapshot, &a.out, &a.overlay)
        .account_type(!a.no_account_type)
        .write()
        .map_err(|e| e.to_string())?;
    for d in report.diagnostics.warnings() {
        out.warn(d);
    }
    let changed = report
        .files
        .iter()
        .filter(|(_, w)| *w == kinabase_codegen::Written::Changed)
        .count();
    out.status(format!(
        "generated {} collections, {} fields into {} ({} file(s) changed, {} unchanged)",
        report.collections,
        report.fields,
        a.out.display(),
        changed,
        report.files.len() - changed
    ));
    Ok(())
}

pub(crate) fn check(a: &CheckArgs, out: &Out<'_>) -> Result<i32, String> {
    if let Some(generated) = &a.generated {
        let stale = builder_for(&a.snapshot, generated, &a.overlay)
            .stale()
            .map_err(|e| e.to_string())?;
        if stale.is_empty() {
            out.status(format!(
                "generated code in {} is up to date",
                generated.display()
            ));
            return Ok(0);
        }
        for p in &stale {
            println!("stale: {}", p.display());
        }
        println!(
            "run `cargo kinabase generate --snapshot {} --out {}` and commit the result",
            a.snapshot.display(),
            generated.display()
        );
        return Ok(1);
    }
    let committed = Schema::load(&a.snapshot).map_err(|e| e.to_string())?;
    let current = match &a.against {
        Some(p) => Schema::load(p).map_err(|e| e.to_string())?,
        None => {
            let client = a.connection.client(out)?;
            pull::pull(
                &client,
                &PullOptions {
                    progress: out.pull_progress(),
                    ..PullOptions::default()
                },
            )
            .map_err(|e| e.to_string())?
        }
    };
    let overlay = if a.overlay.exists() {
        kinabase_codegen::Overlay::load(&a.overlay).map_err(|e| e.to_string())?
    } else {
        kinabase_codegen::Overlay::default()
    };
    let report = drift::compare_with(&committed, &current, &overlay);
    print!("{}", report.render(out.color));
    Ok(report.exit_code())
}
