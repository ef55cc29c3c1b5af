//! Holds `check` to the compiler: for many mutations of the demo account's schema (and
//! random pairs of them), old bindings and a consumer written against them are generated,
//! the consumer is compiled against the *new* bindings, and the drift verdict must agree:
//! never "compatible" or "additive" while the consumer fails to build.
//!
//! All cases are checked by one `cargo check` of one crate (one module per case), repeated
//! without the failing cases until the rest is clean, so this takes a minute or two. The
//! mutation table is printed (`cargo test --test drift_agreement -- --nocapture`).

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use kinabase_codegen::drift::{self, Severity};
use kinabase_codegen::lower::{assign_names, lower};
use kinabase_codegen::model::{CollectionModel, Model};
use kinabase_codegen::{Diagnostics, EmitOptions, Layout, Overlay, Schema, generate};
use serde_json::{Value, json};

mod common;

use common::root;

/// The demo account's schema as `pull` writes it: names locked.
fn base() -> Schema {
    let mut s =
        Schema::load(&root().join("examples/field-service/kinabase.snapshot.json")).unwrap();
    s.forget_names();
    assign_names(&mut s);
    s
}

type Mutation = fn(&mut Value);

fn field<'a>(v: &'a mut Value, slug: &str, key: &str) -> &'a mut Value {
    v["collections"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["slug"] == slug)
        .unwrap()["fields"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["key"] == key)
        .unwrap()
}

fn collection<'a>(v: &'a mut Value, slug: &str) -> &'a mut Value {
    v["collections"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["slug"] == slug)
        .unwrap()
}

fn push_field(v: &mut Value, slug: &str, f: Value) {
    collection(v, slug)["fields"]
        .as_array_mut()
        .unwrap()
        .push(f);
}

/// The slug `jobs` becomes `work-orders`; links name their target by the new slug.
fn rename_slug(v: &mut Value) {
    collection(v, "jobs")["slug"] = json!("work-orders");
    for c in v["collections"].as_array_mut().unwrap() {
        for f in c["fields"].as_array_mut().unwrap() {
            if f.get("target") == Some(&json!("jobs")) {
                f["target"] = json!("work-orders");
            }
        }
    }
}

/// Named mutations of a realistic schema: (label, whether the old snapshot had locked
/// names, mutation).
fn mutations() -> Vec<(&'static str, bool, Mutation)> {
    vec![
        ("no change", true, |_| {}),
        ("field display rename (Quoted Price → Quote)", true, |v| {
            field(v, "jobs", "quotedPrice")["name"] = json!("Quote");
        }),
        (
            "collection display rename (Jobs → Work Orders)",
            true,
            |v| {
                collection(v, "jobs")["name"] = json!("Work Orders");
            },
        ),
        ("field description change", true, |v| {
            field(v, "jobs", "stage")["description"] = json!("Where the job is.");
        }),
        ("key rename, same id (locked)", true, |v| {
            field(v, "jobs", "quotedPrice")["key"] = json!("quote");
        }),
        ("key rename, same id (no lock)", false, |v| {
            field(v, "jobs", "quotedPrice")["key"] = json!("quote");
        }),
        ("slug rename (locked)", true, rename_slug),
        ("slug rename (no lock)", false, rename_slug),
        ("new optional field", true, |v| {
            push_field(
                v,
                "jobs",
                json!({"id": "n1", "key": "weather", "name": "Weather", "type": "text"}),
            );
        }),
        ("new required field", true, |v| {
            push_field(
                v,
                "jobs",
                json!({"id": "n2", "key": "region", "name": "Region", "type": "text", "required": true}),
            );
        }),
        ("new read-only required field", true, |v| {
            push_field(
                v,
                "jobs",
                json!({"id": "n3", "key": "score", "name": "Score", "type": "computedNumber", "required": true}),
            );
        }),
        ("field removed", true, |v| {
            let fields = collection(v, "jobs")["fields"].as_array_mut().unwrap();
            fields.retain(|f| f["key"] != "quotedPrice");
        }),
        ("collection removed (suppliers, a link target)", true, |v| {
            v["collections"]
                .as_array_mut()
                .unwrap()
                .retain(|c| c["slug"] != "suppliers");
        }),
        ("collection added", true, |v| {
            v["collections"].as_array_mut().unwrap().push(json!({"id": "c_new", "name": "Vans", "slug": "vans", "fields": [{"id": "v1", "key": "plate", "name": "Plate", "type": "text", "required": true}]}));
        }),
        ("type text → number", true, |v| {
            field(v, "jobs", "jobTitle")["type"] = json!("number");
        }),
        ("type text → email (same Rust type)", true, |v| {
            field(v, "sites", "address")["type"] = json!("email");
        }),
        ("type currency → number", true, |v| {
            field(v, "jobs", "quotedPrice")["type"] = json!("number");
        }),
        ("field became required", true, |v| {
            field(v, "jobs", "site")["required"] = json!(true);
        }),
        ("field no longer required", true, |v| {
            field(v, "jobs", "customer")["required"] = json!(false);
        }),
        ("field became read-only", true, |v| {
            field(v, "jobs", "priority")["readOnly"] = json!(true);
        }),
        ("read-only field became writable", true, |v| {
            let f = field(v, "jobs", "reference");
            f["type"] = json!("text");
            f["readOnly"] = json!(false);
        }),
        ("choice option added", true, |v| {
            field(v, "jobs", "priority")["options"]
                .as_array_mut()
                .unwrap()
                .push(json!("Critical"));
        }),
        ("choice option removed", true, |v| {
            field(v, "jobs", "priority")["options"]
                .as_array_mut()
                .unwrap()
                .retain(|o| o != "Low");
        }),
        ("choice option relabelled", true, |v| {
            for o in field(v, "jobs", "priority")["options"]
                .as_array_mut()
                .unwrap()
            {
                if o == "Low" {
                    *o = json!("Minor");
                }
            }
        }),
        ("choice options reordered", true, |v| {
            field(v, "jobs", "priority")["options"]
                .as_array_mut()
                .unwrap()
                .reverse();
        }),
        ("link target changed (site → customers)", true, |v| {
            field(v, "jobs", "site")["target"] = json!("customers");
        }),
        ("link became multiple", true, |v| {
            field(v, "jobs", "site")["multiple"] = json!(true);
        }),
        ("primary moved (Create::new order)", true, |v| {
            field(v, "purchase-orders", "poNumber")["primary"] = json!(false);
            field(v, "purchase-orders", "supplier")["primary"] = json!(true);
        }),
        ("new field colliding with a locked name", true, |v| {
            push_field(
                v,
                "jobs",
                json!({"id": "n4", "key": "QuotedPrice", "name": "Quoted Price (old)", "type": "text"}),
            );
        }),
        ("new field colliding with an unlocked name", false, |v| {
            push_field(
                v,
                "jobs",
                json!({"id": "n4", "key": "QuotedPrice", "name": "Quoted Price (old)", "type": "text"}),
            );
        }),
        ("new collection colliding with a locked module", true, |v| {
            v["collections"]
                .as_array_mut()
                .unwrap()
                .push(json!({"id": "c_jobs2", "name": "Jobs", "slug": "Jobs", "fields": []}));
        }),
        ("new choice field", true, |v| {
            push_field(
                v,
                "sites",
                json!({"id": "n5", "key": "zone", "name": "Zone", "type": "select", "options": ["North", "South"]}),
            );
        }),
        ("field removed and another added", true, |v| {
            let fields = collection(v, "sites")["fields"].as_array_mut().unwrap();
            fields.retain(|f| f["key"] != "postcode");
            fields.push(json!({"id": "n6", "key": "zip", "name": "Zip", "type": "text"}));
        }),
    ]
}

/// One case of the batch: old snapshot, the schema pulled after the change.
struct Case {
    label: String,
    old: Schema,
    new: Schema,
}

fn case(label: &str, locked: bool, m: Mutation) -> Case {
    let mut old = base();
    if !locked {
        old.forget_names();
    }
    let mut raw = serde_json::to_value(&old).unwrap();
    m(&mut raw);
    let mut new: Schema = serde_json::from_value(raw).unwrap();
    new.forget_names(); // a live account knows nothing of Rust names
    Case {
        label: label.to_string(),
        old,
        new: new.canonical(),
    }
}

/// What the next pull writes and generates from: the new schema with inherited names.
fn pulled(c: &Case) -> Schema {
    let mut s = c.new.clone();
    s.inherit_names(&c.old);
    assign_names(&mut s);
    s
}

fn model(s: &Schema) -> Model {
    lower(s, &Overlay::default(), &mut Diagnostics::default())
}

fn bindings(s: &Schema) -> String {
    let g = generate(
        s,
        &Overlay::default(),
        "snapshot",
        Layout::SingleFile,
        EmitOptions::default(),
    )
    .unwrap();
    g.files.into_iter().next().unwrap().1
}

/// A program that uses every item of the old bindings a user's code can see.
fn consumer(m: &Model) -> String {
    let mut out = String::from(
        "#![allow(unused, non_snake_case, clippy::all)]\nuse super::kinabase as k;\n\npub fn account(kb: &k::Kinabase) {\n",
    );
    for c in &m.collections {
        let _ = writeln!(
            out,
            "    let _: ::kinabase_runtime::CollectionHandle<k::{}::{}> = kb.{}();",
            c.module.source(),
            c.marker.source(),
            c.accessor.source()
        );
    }
    out.push_str("}\n");
    for c in &m.collections {
        collection_consumer(c, &mut out);
    }
    out
}

fn collection_consumer(c: &CollectionModel, out: &mut String) {
    let m = c.module.source();
    let ty =
        |f: &kinabase_codegen::model::FieldModel| f.type_text("super::kinabase::", &c.module.text);
    let _ = writeln!(out, "pub fn read_{}(r: &k::{m}::Fields) {{", c.module.text);
    for f in &c.fields {
        let _ = writeln!(
            out,
            "    let _: &Option<{}> = &r.{};",
            ty(f),
            f.name.source()
        );
        let _ = writeln!(out, "    let _ = k::{m}::keys::{};", f.constant.source());
    }
    out.push_str("}\n");
    let mut required: Vec<_> = c
        .fields
        .iter()
        .filter(|f| f.writable && f.required)
        .collect();
    required.sort_by_key(|f| !f.primary);
    let params: Vec<String> = required
        .iter()
        .map(|f| format!("{}: {}", f.name.source(), ty(f)))
        .collect();
    let args: Vec<String> = required.iter().map(|f| f.name.source()).collect();
    let call = if c.required_by_name {
        format!(
            "k::{m}::Create::new(k::{m}::CreateRequired {{ {} }})",
            args.join(", ")
        )
    } else {
        format!("k::{m}::Create::new({})", args.join(", "))
    };
    let _ = writeln!(
        out,
        "pub fn create_{}({}) -> k::{m}::Create {{\n    let mut c = {call};",
        c.module.text,
        params.join(", "),
    );
    let _ = writeln!(out, "    let mut u = k::{m}::Update::default();");
    for f in c.fields.iter().filter(|f| f.writable) {
        let n = f.name.source();
        if f.required {
            let _ = writeln!(out, "    let _: &{} = &c.{n};", ty(f));
            let _ = writeln!(
                out,
                "    let _: &::kinabase_runtime::Assign<{}> = &u.{n};",
                ty(f)
            );
        } else {
            let _ = writeln!(
                out,
                "    let _: &Option<{}> = &c.{n};\n    c.{n} = None;",
                ty(f)
            );
            let _ = writeln!(
                out,
                "    let _: &::kinabase_runtime::Patch<{}> = &u.{n};\n    u.{n}.clear();",
                ty(f)
            );
        }
    }
    out.push_str("    c\n}\n");
    for ch in &c.choices {
        let e = format!("k::{m}::{}", ch.name.source());
        let _ = writeln!(
            out,
            "pub fn match_{}_{}(v: &{e}) -> u32 {{\n    match v {{",
            c.module.text, ch.name.text
        );
        for (i, (v, _)) in ch.variants.iter().enumerate() {
            let _ = writeln!(out, "        {e}::{} => {i},", v.source());
        }
        let _ = writeln!(out, "        {e}::Unknown(_) => 999,\n    }}\n}}");
    }
}

/// Surface facts computed straight from a model: the cheap oracle the verdict is held to.
fn facts(m: &Model) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    for c in &m.collections {
        let mm = c.module.source();
        facts.insert(format!(
            "kb.{}() -> {mm}::{}",
            c.accessor.source(),
            c.marker.source()
        ));
        let mut required: Vec<_> = c
            .fields
            .iter()
            .filter(|f| f.writable && f.required)
            .collect();
        required.sort_by_key(|f| !f.primary);
        let params: Vec<String> = required
            .iter()
            .map(|f| format!("{}: {}", f.name.source(), f.type_text("", &c.module.text)))
            .collect();
        facts.insert(format!(
            "{mm}::Create::new({}) by name: {}",
            params.join(", "),
            c.required_by_name
        ));
        for f in &c.fields {
            let t = f.type_text("", &c.module.text);
            facts.insert(format!("{mm}::Fields.{}: {t}", f.name.source()));
            facts.insert(format!("{mm}::keys::{}", f.constant.source()));
            if f.writable {
                facts.insert(format!(
                    "{mm}::Create.{}: {t} required={}",
                    f.name.source(),
                    f.required
                ));
                facts.insert(format!(
                    "{mm}::Update.{}: {t} required={}",
                    f.name.source(),
                    f.required
                ));
            }
        }
        for ch in &c.choices {
            facts.insert(format!("{mm}::{} enum", ch.name.source()));
            for (v, _) in &ch.variants {
                facts.insert(format!(
                    "{mm}::{} enum has {}",
                    ch.name.source(),
                    v.source()
                ));
            }
        }
    }
    facts
}

/// What the oracle allows for a pair of models.
fn oracle(old: &Model, new: &Model) -> &'static [Option<Severity>] {
    let (o, n) = (facts(old), facts(new));
    if o == n {
        &[None, Some(Severity::Compatible)]
    } else if o.is_subset(&n) {
        // A variant added to an enum that existed: exhaustive matches on it break.
        let new_variant = n
            .difference(&o)
            .filter_map(|f| f.split_once(" has "))
            .any(|(e, _)| o.contains(e));
        if new_variant {
            &[Some(Severity::NewOption)]
        } else {
            &[Some(Severity::Additive)]
        }
    } else {
        &[Some(Severity::Breaking)]
    }
}

/// Checks every case in one crate; returns, per case, the consumer's errors (empty: it
/// builds). Panics when generated bindings themselves do not compile.
fn compile_all(cases: &[Case]) -> Vec<Vec<String>> {
    let units: Vec<common::Unit> = cases
        .iter()
        .map(|c| common::Unit {
            bindings: bindings(&pulled(c)),
            consumer: Some(consumer(&model(&c.old))),
        })
        .collect();
    let outcomes = common::check("drift-agreement", &units);
    for (c, o) in cases.iter().zip(&outcomes) {
        assert!(
            o.bindings.is_empty(),
            "generated bindings of {} do not compile: {:?}",
            c.label,
            o.bindings
        );
    }
    outcomes.into_iter().map(|o| o.consumer).collect()
}

fn verdict_name(v: Option<Severity>) -> &'static str {
    v.map(Severity::label).unwrap_or("same")
}

/// Tiny deterministic generator for the random pairs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A random change to a random field or collection of `v`.
fn random_mutation(rng: &mut Rng, v: &mut Value, n: usize) {
    let cols = v["collections"].as_array_mut().unwrap();
    let ci = rng.below(cols.len());
    let fields = cols[ci]["fields"].as_array_mut().unwrap();
    if fields.is_empty() {
        return;
    }
    let fi = rng.below(fields.len());
    let f = &mut fields[fi];
    match rng.below(10) {
        0 => f["name"] = json!(format!("Renamed {n}")),
        1 => f["key"] = json!(format!("key{n}")),
        2 => f["type"] = json!(["text", "number", "date", "checkbox", "email", "currency"][rng.below(6)]),
        3 => f["required"] = json!(f["required"] != json!(true)),
        4 => f["readOnly"] = json!(f["readOnly"] != json!(true)),
        5 => {
            if let Some(o) = f.get_mut("options").and_then(Value::as_array_mut) {
                o.push(json!(format!("Option {n}")));
            }
        }
        6 => {
            if let Some(o) = f.get_mut("options").and_then(Value::as_array_mut) {
                o.pop();
            }
        }
        7 => {
            fields.remove(fi);
        }
        8 => fields.push(json!({"id": format!("rnd{n}"), "key": format!("added{n}"), "name": format!("Added {n}"), "type": "text", "required": rng.below(2) == 0})),
        _ => cols[ci]["name"] = json!(format!("Collection {n}")),
    }
}

#[test]
fn the_drift_verdict_agrees_with_the_compiler() {
    let mut cases: Vec<Case> = mutations()
        .into_iter()
        .map(|(label, locked, m)| case(label, locked, m))
        .collect();
    let named = cases.len();

    // Random pairs: every verdict is held to the oracle; a sample is compiled too.
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let pairs = 300;
    let mut sample = Vec::new();
    for n in 0..pairs {
        let old = base();
        let mut raw = serde_json::to_value(&old).unwrap();
        for k in 0..=rng.below(3) {
            random_mutation(&mut rng, &mut raw, n * 10 + k);
        }
        let mut new: Schema = serde_json::from_value(raw).unwrap();
        new.forget_names();
        let c = Case {
            label: format!("random pair #{n}"),
            old,
            new: new.canonical(),
        };
        let verdict = drift::compare(&c.old, &c.new).verdict();
        let allowed = oracle(&model(&c.old), &model(&pulled(&c)));
        assert!(
            allowed.contains(&verdict),
            "{}: verdict {verdict:?}, oracle {allowed:?}\n{}",
            c.label,
            drift::compare(&c.old, &c.new).render(false)
        );
        if n % 15 == 0 {
            sample.push(c);
        }
    }
    let sampled = sample.len();
    cases.extend(sample);

    let errors = compile_all(&cases);
    let mut table = String::from("| change | verdict | consumer builds? |\n|---|---|---|\n");
    let mut disagreements = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let verdict = drift::compare(&c.old, &c.new).verdict();
        let builds = errors[i].is_empty();
        if i < named {
            let _ = writeln!(
                table,
                "| {} | {} | {} |",
                c.label,
                verdict_name(verdict),
                if builds { "yes" } else { "no" }
            );
        }
        let allowed_to_fail = matches!(verdict, Some(Severity::Breaking | Severity::NewOption));
        if !builds && !allowed_to_fail {
            disagreements.push(format!(
                "{}: {} but:\n  {}",
                c.label,
                verdict_name(verdict),
                errors[i].join("\n  ")
            ));
        }
        if verdict == Some(Severity::NewOption) {
            assert!(
                errors[i].iter().all(|e| e.contains("E0004")),
                "{}: a new option may only break exhaustive matches: {:?}",
                c.label,
                errors[i]
            );
        }
    }
    println!(
        "{table}\n{named} named mutations, {pairs} random pairs held to the oracle, {sampled} of them compiled"
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    // The table's expectations for the named cases.
    let expect: BTreeMap<&str, Option<Severity>> = [
        ("no change", None),
        (
            "field display rename (Quoted Price → Quote)",
            Some(Severity::Compatible),
        ),
        (
            "collection display rename (Jobs → Work Orders)",
            Some(Severity::Compatible),
        ),
        ("key rename, same id (locked)", Some(Severity::Compatible)),
        ("key rename, same id (no lock)", Some(Severity::Breaking)),
        ("slug rename (locked)", Some(Severity::Compatible)),
        ("slug rename (no lock)", Some(Severity::Breaking)),
        ("read-only field became writable", Some(Severity::Additive)),
        ("choice option removed", Some(Severity::Breaking)),
        (
            "type text → email (same Rust type)",
            Some(Severity::Compatible),
        ),
        ("new optional field", Some(Severity::Additive)),
        ("new required field", Some(Severity::Breaking)),
        ("choice option added", Some(Severity::NewOption)),
        (
            "new field colliding with a locked name",
            Some(Severity::Additive),
        ),
        (
            "new collection colliding with a locked module",
            Some(Severity::Additive),
        ),
        (
            "primary moved (Create::new order)",
            Some(Severity::Breaking),
        ),
    ]
    .into_iter()
    .collect();
    for c in &cases[..named] {
        if let Some(want) = expect.get(c.label.as_str()) {
            assert_eq!(
                drift::compare(&c.old, &c.new).verdict(),
                *want,
                "{}",
                c.label
            );
        }
    }
}
