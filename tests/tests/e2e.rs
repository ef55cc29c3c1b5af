//! End to end: pull from an emulator → generate → compile the generated code in a
//! temporary crate → run it against the emulator; then change the emulator's schema and
//! see `check` report it with the right exit code.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kinabase_codegen::pull::{self, Progress, PullOptions};
use kinabase_codegen::{Builder, drift};
use kinabase_emulator::{Account, Emulator, EmulatorConfig};
use kinabase_runtime::Client;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn demo() -> Account {
    Account::load(&root().join("fixtures/accounts/field-service.json")).unwrap()
}

fn client(emu: &Emulator) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .app_id(emu.app_id())
        .app_secret(emu.app_secret())
        .build()
        .unwrap()
}

const PROGRAM: &str = r#"
mod kinabase {
    include!("kinabase.rs");
}
use kinabase::{jobs, purchase_orders};
use kinabase_runtime::{Client, Currency};

fn main() {
    let kb = kinabase::Kinabase::new(Client::from_env().expect("client"));
    // Read everything.
    let mut total = 0;
    for handle_count in [
        kb.jobs().iter().count(),
        kb.customers().iter().count(),
        kb.sites().iter().count(),
        kb.colleagues().iter().count(),
        kb.purchase_orders().iter().count(),
        kb.suppliers().iter().count(),
    ] {
        total += handle_count;
    }
    let jobs_read: Vec<_> = kb.jobs().iter().collect::<Result<_, _>>().expect("jobs");
    let customer = jobs_read[0].fields.customer.clone().expect("a customer link");

    // Create, update, clear a field, delete.
    let created = kb
        .jobs()
        .create(&{
            let mut job = jobs::Create::new("E2E job".into(), customer);
            job.priority = Some(jobs::Priority::Urgent);
            job.quoted_price = Currency::parse("99.95");
            job
        })
        .expect("create");
    let mut changes = jobs::Update::default();
    changes.stage.set(jobs::Stage::InProgress);
    changes.quoted_price.clear();
    kb.jobs().update(&created.id, &changes).expect("update");
    let back = kb.jobs().get(&created.id).expect("get");
    assert_eq!(back.fields.stage, Some(jobs::Stage::InProgress));
    assert_eq!(back.fields.quoted_price, None, "cleared");
    assert_eq!(back.fields.priority, Some(jobs::Priority::Urgent));

    // Bulk, across the 300 limit.
    let supplier = kb.suppliers().iter().next().expect("a supplier").expect("read");
    let orders: Vec<_> = (0..301).map(|i| purchase_orders::Create::new(format!("E2E-{i}"), supplier.reference())).collect();
    let report = kb.purchase_orders().bulk_create(&orders).expect("bulk create");
    assert_eq!((report.written(), report.chunks.len()), (301, 2));
    let ids: Vec<String> = report.records().map(|r| r.id.clone()).collect();
    kb.purchase_orders().bulk_delete(&ids).expect("bulk delete");
    kb.jobs().delete(&created.id).expect("delete");
    println!("E2E-OK read={total} bulk={}", ids.len());
}
"#;

#[test]
fn pull_generate_compile_run_and_check() {
    let emu = Emulator::start(demo(), EmulatorConfig::unlimited()).unwrap();
    // One collection lists no fields: its types are inferred from its records.
    assert!(emu.set_hide_fields("suppliers", true));
    let client = client(&emu);
    let schema = pull::pull(
        &client,
        &PullOptions {
            progress: Progress::Quiet,
            ..PullOptions::default()
        },
    )
    .unwrap();
    let suppliers = schema.collection("suppliers").unwrap();
    assert!(suppliers.fields.iter().all(|f| f.inferred.is_some()));
    let ty = |k: &str| {
        suppliers
            .fields
            .iter()
            .find(|f| f.key == k)
            .map(|f| f.ty.as_str())
            .unwrap()
    };
    assert_eq!(
        (ty("name"), ty("preferred"), ty("rating"), ty("website")),
        ("text", "checkbox", "number", "text")
    );

    let dir = tempfile::tempdir().unwrap();
    let krate = dir.path().join("e2e");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let snapshot = dir.path().join("kinabase.snapshot.json");
    std::fs::write(&snapshot, schema.to_snapshot_text()).unwrap();
    let report = Builder::new(&snapshot)
        .out_file(krate.join("src/kinabase.rs"))
        .write()
        .unwrap();
    assert!(
        report
            .diagnostics
            .warnings()
            .any(|w| w.message.contains("inferred"))
    );

    let runtime = root().join("kinabase-runtime");
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"e2e-bindings\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nkinabase-runtime = {{ path = {:?}, features = [\"http\"] }}\n\n[profile.dev.package.\"*\"]\ndebug = false\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(root().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    std::fs::write(
        krate.join("src/main.rs"),
        format!("#![deny(warnings)]\n{PROGRAM}"),
    )
    .unwrap();

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let before_jobs = emu.record_count("jobs").unwrap();
    let output = Command::new(cargo)
        .current_dir(&krate)
        .args(["run", "--quiet", "--offline"])
        .env("CARGO_TARGET_DIR", root().join("target/e2e"))
        .env("KINABASE_BASE_URL", emu.base_url())
        .env("KINABASE_APP_ID", emu.app_id())
        .env("KINABASE_APP_SECRET", emu.app_secret())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "generated program failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("E2E-OK read=357 bulk=301"), "{stdout}");
    assert_eq!(
        emu.record_count("jobs"),
        Some(before_jobs),
        "the program cleaned up"
    );
    assert_eq!(emu.record_count("purchase-orders"), Some(80));

    // The account changes under the team: an added field is additive...
    emu.with_store(|s| {
        let jobs = s.collection_mut("jobs").unwrap();
        jobs.def.fields.push(serde_json::from_value(serde_json::json!({"id": "fld_new", "key": "weather", "name": "Weather", "type": "text"})).unwrap());
    });
    let env = |k: &str| match k {
        "KINABASE_APP_ID" => Some(emu.app_id().to_string()),
        "KINABASE_APP_SECRET" => Some(emu.app_secret().to_string()),
        "KINABASE_BASE_URL" => Some(emu.base_url().to_string()),
        _ => None,
    };
    let check = |env: &dyn Fn(&str) -> Option<String>| {
        kinabase_cli::run_with_env(
            [
                "cargo-kinabase",
                "check",
                "--snapshot",
                snapshot.to_str().unwrap(),
            ]
            .map(Into::into),
            env,
        )
    };
    assert_eq!(check(&env), drift::EXIT_COMPATIBLE);

    // ...a removed option and (in a snapshot without locked names) a renamed key are breaking.
    emu.with_store(|s| {
        let jobs = s.collection_mut("jobs").unwrap();
        let priority = jobs
            .def
            .fields
            .iter_mut()
            .find(|f| f.key.as_deref() == Some("priority"))
            .unwrap();
        priority.options.retain(|o| o != "Low");
        let title = jobs
            .def
            .fields
            .iter_mut()
            .find(|f| f.key.as_deref() == Some("jobTitle"))
            .unwrap();
        title.key = Some("title".into());
    });
    assert_eq!(check(&env), drift::EXIT_BREAKING);
    let live = pull::pull(
        &client,
        &PullOptions {
            progress: Progress::Quiet,
            ..PullOptions::default()
        },
    )
    .unwrap();
    let report = drift::compare(&schema, &live);
    let text = report.render(false);
    assert!(
        text.contains("variant(s) removed from `Priority`: `Low`")
            && text.contains("Rust name `job_title` → `title`"),
        "{text}"
    );
    assert!(
        text.contains("[collections.jobs.fields.fld_job_title]\n      rename = \"job_title\""),
        "{text}"
    );

    // The same snapshot compared with itself: exit 0.
    let same = kinabase_cli::run_with_env(
        [
            "cargo-kinabase",
            "check",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--against",
            snapshot.to_str().unwrap(),
        ]
        .map(Into::into),
        &|_| None,
    );
    assert_eq!(same, drift::EXIT_SAME);
}
