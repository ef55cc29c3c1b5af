//! `pull`, `generate` and `check`.

use std::path::{Path, PathBuf};

use clap::Args;
use kinabase_codegen::drift;
use kinabase_codegen::pull::{self, PullOptions};
use kinabase_codegen::{Builder, Schema};
use kinabase_runtime::{Client, WaitReason};

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
        let quiet = out.quiet;
        Client::builder()
            .app_id(id)
            .app_secret(secret)
            .base_url(url)
            .on_wait(move |w| {
                if !quiet {
                    let why = match w.reason {
                        WaitReason::RateLimited => "rate limited (429)",
                        WaitReason::Backoff => "retrying after a failure",
                        WaitReason::Budget => "keeping to 100 requests a minute",
                        _ => "waiting",
                    };
                    eprintln!(
                        "waiting {:.1} s: {why} ({})",
                        w.duration.as_secs_f64(),
                        w.attempted
                    );
                }
            })
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
    /// Overlay file (must exist); default: kinabase.toml beside the snapshot, when it exists.
    #[arg(long)]
    overlay: Option<PathBuf>,
    /// Leave out the `Kinabase` account type (for crates without the runtime's http feature).
    #[arg(long)]
    no_account_type: bool,
    /// Also write SCHEMA.md into the module tree: field tables and a Mermaid diagram of links.
    #[arg(long)]
    docs: bool,
}

/// How `check` prints a drift report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people on a terminal.
    Text,
    /// Every change with its class, ids and overlay hint.
    Json,
    /// A pull-request comment.
    Markdown,
}

/// Options of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    connection: Connection,
    /// Drift report format: text (default), json, or markdown (for a CI comment).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// The committed snapshot.
    #[arg(long, default_value = "kinabase.snapshot.json")]
    snapshot: PathBuf,
    /// Compare with this snapshot instead of the live account.
    #[arg(long)]
    against: Option<PathBuf>,
    /// Instead of drift: fail (exit 1) when the generated code here is stale against the snapshot.
    #[arg(long)]
    generated: Option<PathBuf>,
    /// Overlay (default: for `--generated` the one recorded in the generated files' header,
    /// for drift `kinabase.toml` beside the snapshot); drift judges names in use with it.
    #[arg(long)]
    overlay: Option<PathBuf>,
    /// For `--generated`: the code was generated without the account type (default: as recorded).
    #[arg(long)]
    no_account_type: bool,
}

pub(crate) fn pull(a: &PullArgs, out: &Out<'_>) -> Result<(), String> {
    writable(&a.snapshot)?;
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

/// Fails, before any network call, when the snapshot could not be written.
fn writable(snapshot: &Path) -> Result<(), String> {
    let dir = match snapshot.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if snapshot.is_dir() {
        return Err(format!(
            "{} is a directory; give --snapshot a file name, e.g. {}",
            snapshot.display(),
            snapshot.join("kinabase.snapshot.json").display()
        ));
    }
    if !dir.is_dir() {
        return Err(format!(
            "cannot write {}: directory {} does not exist; create it or choose another --snapshot",
            snapshot.display(),
            dir.display()
        ));
    }
    let probe = dir.join(format!(".kinabase-write-probe.{}.tmp", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            format!(
                "cannot write {}: {e}; make {} writable or choose another --snapshot",
                snapshot.display(),
                dir.display()
            )
        })
}

/// The builder `generate` uses: a `.rs` output is one file, anything else a module tree.
/// Without `overlay`, `kinabase.toml` beside the snapshot is used when it exists.
pub fn builder_for(snapshot: &Path, out: &Path, overlay: Option<&Path>) -> Builder {
    let mut b = Builder::new(snapshot);
    if let Some(o) = overlay {
        b = b.overlay(o);
    }
    if out.extension().is_some_and(|e| e == "rs") {
        b.out_file(out)
    } else {
        b.out_dir(out)
    }
}

/// An explicit overlay must exist.
fn explicit_overlay(overlay: Option<&PathBuf>) -> Result<Option<&Path>, String> {
    match overlay {
        Some(p) if !p.is_file() => Err(format!(
            "overlay {} does not exist; create it (`cargo kinabase init --overlay {}`) or leave out --overlay",
            p.display(),
            p.display()
        )),
        other => Ok(other.map(PathBuf::as_path)),
    }
}

fn describe_overlay(b: &Builder) -> String {
    match b.overlay_path() {
        Some(p) => format!("overlay {}", p.display()),
        None => "no overlay".to_string(),
    }
}

pub(crate) fn generate(a: &GenerateArgs, out: &Out<'_>) -> Result<(), String> {
    if a.docs && a.out.extension().is_some_and(|e| e == "rs") {
        return Err("--docs needs a module tree: give --out a directory, e.g. src/kinabase".into());
    }
    let builder = builder_for(&a.snapshot, &a.out, explicit_overlay(a.overlay.as_ref())?)
        .account_type(!a.no_account_type)
        .schema_doc(a.docs);
    let report = builder.write().map_err(|e| e.to_string())?;
    for (path, written) in &report.files {
        if *written == kinabase_codegen::Written::Changed {
            out.detail(format!("  wrote {}", path.display()));
        }
    }
    for d in report.diagnostics.warnings() {
        out.warn(d);
    }
    let changed = report
        .files
        .iter()
        .filter(|(_, w)| *w == kinabase_codegen::Written::Changed)
        .count();
    out.status(format!(
        "generated {} collections, {} fields into {} with {} ({} file(s) changed, {} unchanged)",
        report.collections,
        report.fields,
        a.out.display(),
        describe_overlay(&builder),
        changed,
        report.files.len() - changed
    ));
    Ok(())
}

/// The builder that reproduces the files at `generated`: the options given, else those
/// recorded in the generated header.
fn recorded_builder(a: &CheckArgs, generated: &Path) -> Result<(Builder, bool), String> {
    let header = if generated.extension().is_some_and(|e| e == "rs") {
        generated.to_path_buf()
    } else {
        generated.join("mod.rs")
    };
    let recorded = std::fs::read_to_string(&header)
        .ok()
        .and_then(|t| kinabase_codegen::render::read_recorded(&t))
        .unwrap_or_default();
    let snapshot_dir = a.snapshot.parent().unwrap_or(Path::new(""));
    let overlay = match (&a.overlay, &recorded.overlay) {
        (Some(o), _) => Some(o.clone()),
        (None, Some(o)) => Some(snapshot_dir.join(o)),
        (None, None) => None,
    };
    let account_type = !a.no_account_type && recorded.account_type;
    let builder = builder_for(&a.snapshot, generated, explicit_overlay(overlay.as_ref())?)
        .account_type(account_type)
        .schema_doc(recorded.docs);
    Ok((builder, account_type))
}

/// The `generate` command line that reproduces `builder`'s output.
fn generate_line(
    snapshot: &Path,
    generated: &Path,
    builder: &Builder,
    account_type: bool,
) -> String {
    let mut line = format!(
        "cargo kinabase generate --snapshot {} --out {}",
        snapshot.display(),
        generated.display()
    );
    if let Some(o) = builder.overlay_path() {
        line.push_str(&format!(" --overlay {}", o.display()));
    }
    if !account_type {
        line.push_str(" --no-account-type");
    }
    if generated.join(kinabase_codegen::docs::FILE).exists() {
        line.push_str(" --docs");
    }
    line
}

pub(crate) fn check(a: &CheckArgs, out: &Out<'_>) -> Result<i32, String> {
    if let Some(generated) = &a.generated {
        let (builder, account_type) = recorded_builder(a, generated)?;
        out.detail(format!(
            "checking {} with {}",
            generated.display(),
            describe_overlay(&builder)
        ));
        let stale = builder.stale().map_err(|e| e.to_string())?;
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
            "run `{}` and commit the result",
            generate_line(&a.snapshot, generated, &builder, account_type)
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
    // Names in use come from the overlay too: the explicit one, else the one beside the
    // snapshot.
    let overlay_path = match &a.overlay {
        Some(p) => Some(p.clone()),
        None => Some(a.snapshot.with_file_name("kinabase.toml")).filter(|p| p.exists()),
    };
    let overlay = match overlay_path {
        Some(p) => kinabase_codegen::Overlay::load(&p).map_err(|e| e.to_string())?,
        None => kinabase_codegen::Overlay::default(),
    };
    let report = drift::compare_with(&committed, &current, &overlay);
    match a.format {
        ReportFormat::Text => print!("{}", report.render(out.color)),
        ReportFormat::Json => print!("{}", report.to_json()),
        ReportFormat::Markdown => print!("{}", report.to_markdown()),
    }
    Ok(report.exit_code())
}
