//! `cargo kinabase init`: a starter `kinabase.toml` and the lines to paste into a crate.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::term::Out;

/// Options of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the starter overlay.
    #[arg(long, default_value = "kinabase.toml")]
    pub overlay: PathBuf,
    /// Replace an existing overlay.
    #[arg(long)]
    pub force: bool,
}

/// The starter overlay: every setting, commented out.
pub const STARTER_OVERLAY: &str = r#"# kinabase.toml: adjustments to the generated bindings that survive every regeneration.
# Every setting is optional; uncomment what you need. Collections are named by slug or id,
# fields by field id when the snapshot has ids, else by wire key (see kinabase.snapshot.json).

# only = ["jobs", "customers"]     # generate only these collections (default: every one)

# [collections.jobs]
# rename = "WorkOrders"            # the collection's Rust type name (its module is the snake_case)
# skip = true                      # leave the whole collection out
# derives = ["PartialOrd"]         # extra derives on the read struct `Fields`

# [collections.jobs.fields.fld_job_quote]
# rename = "price"                 # the Rust field name
# type = "f64"                     # a Rust type that (de)serializes the wire value; a crate's
#                                  # type needs that crate in your [dependencies], e.g.
#                                  # "::kinabase_runtime::reexports::rust_decimal::Decimal"
# skip = true                      # leave the field out
"#;

/// Writes the starter overlay (never over an existing one without `--force`) and prints
/// how to wire the bindings into a crate.
pub fn run(a: &InitArgs, out: &Out<'_>) -> Result<(), String> {
    if a.overlay.exists() && !a.force {
        return Err(format!(
            "{} already exists; keep it, or pass --force to replace it with the starter",
            a.overlay.display()
        ));
    }
    crate::write_text(&a.overlay, STARTER_OVERLAY)?;
    out.status(format!("wrote {}", a.overlay.display()));
    if !out.quiet {
        println!("{}", snippet(&a.overlay));
    }
    Ok(())
}

fn snippet(overlay: &Path) -> String {
    let overlay = overlay.display();
    format!(
        r#"
Next steps:

1. Pull the schema (KINABASE_BASE_URL, KINABASE_APP_ID, KINABASE_APP_SECRET from Settings → API,
   or from `cargo kinabase emulate`):
     cargo kinabase pull

2. Cargo.toml:
     [dependencies]
     kinabase-runtime = {{ git = "{repo}" }}   # or {{ path = "<checkout>/kinabase-runtime" }}
     [build-dependencies]
     kinabase-codegen = {{ git = "{repo}" }}   # or {{ path = "<checkout>/kinabase-codegen" }}

3. build.rs (generates into OUT_DIR; no network, no credentials):
     fn main() {{
         kinabase_codegen::Builder::new("kinabase.snapshot.json")
             .overlay("{overlay}")
             .compile_or_exit();
     }}

   src/main.rs (or lib.rs):
     mod kinabase {{
         include!(concat!(env!("OUT_DIR"), "/kinabase.rs"));
     }}

   Or commit the generated code instead of a build.rs:
     cargo kinabase generate --out src/kinabase
   with `mod kinabase;` in src/main.rs, and in CI:
     cargo kinabase check --generated src/kinabase"#,
        repo = REPOSITORY,
    )
}

/// Where the crates come from (the workspace's `repository`).
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_names_where_the_crates_come_from() {
        assert!(REPOSITORY.starts_with("https://"), "{REPOSITORY:?}");
        assert!(snippet(Path::new("kinabase.toml")).contains(&format!("git = \"{REPOSITORY}\"")));
    }

    /// Every commented setting is a real overlay key: uncommented, the starter parses.
    #[test]
    fn starter_settings_uncommented_are_a_valid_overlay() {
        let uncommented: String = STARTER_OVERLAY
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .map(|l| l.split(" # ").next().unwrap_or(l).trim_end().to_string() + "\n")
            .collect();
        assert!(uncommented.contains("type = \"f64\""), "{uncommented}");
        let overlay = kinabase_codegen::Overlay::parse(&uncommented, "starter").unwrap();
        let jobs = &overlay.collections["jobs"];
        assert!(jobs.skip && jobs.rename.is_some() && !jobs.derives.is_empty());
        let f = &jobs.fields["fld_job_quote"];
        assert!(f.skip && f.rename.is_some() && f.ty.is_some());
    }
}
