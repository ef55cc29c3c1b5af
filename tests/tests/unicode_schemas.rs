//! Property test: schemas made of arbitrary and hostile Unicode (bidi controls, bare CR,
//! control characters, combining marks, keywords, `mod`, Windows device names, trait and
//! prelude names, comment and fence markers, hostile locked names) never make the
//! generator panic, and every generated output compiles under `#![deny(warnings)]`.
//! All outputs are compiled in one crate with one `cargo check`.

#![allow(clippy::unwrap_used)]

mod common;

use kinabase_codegen::schema::{CollectionSchema, FORMAT_VERSION, FieldSchema};
use kinabase_codegen::{EmitOptions, Layout, Overlay, Schema, generate};

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
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const ATOMS: &[&str] = &[
    "Job",
    "title",
    " ",
    "-",
    "_",
    "2",
    "2nd",
    "(£)",
    "%",
    "type",
    "mod",
    "self",
    "Self",
    "crate",
    "super",
    "fn",
    "async",
    "gen",
    "con",
    "NUL",
    "aux",
    "Prn",
    "com1",
    "LPT9",
    "Clone",
    "Default",
    "Option",
    "Result",
    "String",
    "Vec",
    "Some",
    "None",
    "Fields",
    "Create",
    "Update",
    "keys",
    "Kinabase",
    "new",
    "client",
    "clone",
    "fmt",
    "Unknown",
    "\u{202A}",
    "\u{202B}",
    "\u{202C}",
    "\u{202D}",
    "\u{202E}",
    "\u{2066}",
    "\u{2067}",
    "\u{2068}",
    "\u{2069}",
    "\u{200E}",
    "\u{200F}",
    "\u{061C}",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{7}",
    "\u{1b}[2J",
    "\u{1b}]0;x\u{7}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{200b}",
    "\u{301}",
    "e\u{301}",
    "ا\u{654}",
    "🚀",
    "👩‍🔧",
    "日本",
    "Straße",
    "*/",
    "/*",
    "```",
    "`",
    "\"",
    "\\",
    "'",
    "#[",
    "#![",
    "<script>",
    "//",
    "///",
    "{",
    "}",
    "\\u{202e}",
    "r#",
    "@",
    "$",
    "::",
];

fn text(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(5) {
        if rng.chance(15) {
            // Any Unicode scalar value.
            let c = loop {
                if let Some(c) = char::from_u32((rng.next() % 0x11_0000) as u32) {
                    break c;
                }
            };
            s.push(c);
        } else {
            s.push_str(ATOMS[rng.below(ATOMS.len())]);
        }
    }
    s
}

const TYPES: &[&str] = &[
    "text",
    "richText",
    "number",
    "currency",
    "date",
    "duration",
    "checkbox",
    "select",
    "stage",
    "link",
    "colleague",
    "file",
    "list",
    "computedText",
    "computedSelect",
    "lookup",
    "hologram",
    "",
];

fn schema(rng: &mut Rng) -> Schema {
    let n = 1 + rng.below(4);
    let mut collections = Vec::new();
    for ci in 0..n {
        let mut slug = text(rng);
        if rng.chance(80) {
            slug.push_str(&format!("{ci}"));
        }
        let mut fields = Vec::new();
        for fi in 0..rng.below(7) {
            let mut key = text(rng);
            if rng.chance(85) || key.is_empty() {
                key.push_str(&format!("{fi}"));
            }
            let ty = TYPES[rng.below(TYPES.len())];
            fields.push(FieldSchema {
                id: rng.chance(70).then(|| format!("{}{fi}", text(rng))),
                key,
                name: text(rng),
                ty: ty.into(),
                required: rng.chance(30),
                primary: rng.chance(10),
                read_only: rng.chance(10),
                description: rng.chance(50).then(|| text(rng)),
                options: (0..rng.below(5)).map(|_| text(rng)).collect(),
                target: rng.chance(70).then(|| {
                    if rng.chance(70) {
                        format!("{ci}")
                    } else {
                        text(rng)
                    }
                }),
                multiple: rng.chance(30),
                inferred: None,
                rust: rng.chance(20).then(|| text(rng)),
            });
        }
        collections.push(CollectionSchema {
            id: format!("{}#{ci}", text(rng)),
            name: text(rng),
            slug,
            description: rng.chance(50).then(|| text(rng)),
            fields,
            rust: rng.chance(20).then(|| text(rng)),
        });
    }
    Schema {
        format: FORMAT_VERSION,
        account: rng.chance(50).then(|| text(rng)),
        collections,
    }
}

#[test]
fn hostile_unicode_schemas_generate_code_that_compiles() {
    let tried = 300;
    let mut rng = Rng(0x0bad_5eed_cafe_f00d);
    let mut units = Vec::new();
    let mut rejected = 0;
    let mut panics = Vec::new();
    for n in 0..tried {
        let s = schema(&mut rng);
        let result = std::panic::catch_unwind(|| {
            generate(
                &s,
                &Overlay::default(),
                "prop",
                Layout::SingleFile,
                EmitOptions::default(),
            )
        });
        match result {
            Err(_) => panics.push(n),
            // Duplicate slugs, ids or keys and empty keys are refused with a diagnostic.
            Ok(Err(e)) => {
                assert!(
                    e.to_string().contains("fix the snapshot"),
                    "schema #{n}: unexpected error {e}"
                );
                rejected += 1;
            }
            Ok(Ok(g)) => units.push(common::Unit {
                bindings: g.files.into_iter().next().unwrap().1,
                consumer: None,
            }),
        }
    }
    let outcomes = common::check("unicode-schemas", &units);
    let failed: Vec<String> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.bindings.is_empty())
        .map(|(i, o)| format!("module {i}: {}", o.bindings.join("\n  ")))
        .collect();
    println!(
        "schemas tried: {tried}, generated: {}, refused with a diagnostic: {rejected}, compiled: {}, panics: {}",
        units.len(),
        units.len() - failed.len(),
        panics.len()
    );
    assert!(
        panics.is_empty(),
        "the generator panicked on schemas {panics:?}"
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(units.len() > tried / 2, "most schemas are generated");
}
