//! Account fixtures: the JSON file an emulator is started from, and its validation.
//!
//! A fixture holds the account's collections with their field objects (contract §2)
//! and seed records. [`Account::from_json`] reports *every* problem with its JSON path,
//! not only the first, so a person can fix a hand-written fixture in one pass.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

pub use crate::schema::{Account, CollectionDef, FieldDef, FieldType, SeedRecord, derive_key};

/// The demo account's fixture text, bundled into the binary.
pub const DEMO_ACCOUNT: &str = include_str!("../../fixtures/accounts/field-service.json");

/// One problem found in a fixture, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path, e.g. `$.collections[2].fields[0].type`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why an account could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The file could not be read.
    #[error("cannot read account file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("account file is not valid JSON (line {line}, column {column}): {message}")]
    Syntax {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The JSON does not describe a valid account.
    #[error("account file has {} problem(s):\n{}", .0.len(), list_problems(.0))]
    Invalid(Vec<Problem>),
}

/// The first problems, one a line, then how many more there are.
fn list_problems(problems: &[Problem]) -> String {
    const SHOWN: usize = 10;
    let mut lines: Vec<String> = problems
        .iter()
        .take(SHOWN)
        .map(|p| format!("  {p}"))
        .collect();
    if problems.len() > SHOWN {
        lines.push(format!("  ... and {} more", problems.len() - SHOWN));
    }
    lines.join("\n")
}

impl Account {
    /// Reads and validates an account fixture file.
    pub fn load(path: &Path) -> Result<Account, AccountError> {
        let text = std::fs::read_to_string(path).map_err(|source| AccountError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Account::from_json(&text)
    }

    /// The demo account (`fixtures/accounts/field-service.json`), bundled so that
    /// `emulate` and tests work without a path to the fixture.
    pub fn demo() -> Result<Account, AccountError> {
        Account::from_json(DEMO_ACCOUNT)
    }

    /// Parses and validates an account fixture, collecting every problem.
    pub fn from_json(text: &str) -> Result<Account, AccountError> {
        let value: Value = serde_json::from_str(text).map_err(|e| AccountError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        Account::from_value(value)
    }

    /// Validates an account given as JSON, collecting every problem.
    pub(crate) fn from_value(value: Value) -> Result<Account, AccountError> {
        let problems = validate_shape(&value);
        if !problems.is_empty() {
            return Err(AccountError::Invalid(problems));
        }
        let account: Account = serde_json::from_value(value).map_err(|e| {
            AccountError::Invalid(vec![Problem {
                path: "$".into(),
                message: e.to_string(),
            }])
        })?;
        let problems = account.validate();
        if problems.is_empty() {
            Ok(account)
        } else {
            Err(AccountError::Invalid(problems))
        }
    }

    /// Checks the meaning of a well-shaped account: unique ids and keys, link targets,
    /// options, and that seed records fit their schema.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut ids = BTreeSet::new();
        let mut slugs = BTreeSet::new();
        for (ci, c) in self.collections.iter().enumerate() {
            let cpath = format!("$.collections[{ci}]");
            if !ids.insert(c.id.as_str()) {
                problems.push(problem(
                    &cpath,
                    "id",
                    format!("duplicate collection id {:?}", c.id),
                ));
            }
            if !slugs.insert(c.slug.as_str()) {
                problems.push(problem(
                    &cpath,
                    "slug",
                    format!("duplicate slug {:?}", c.slug),
                ));
            }
            if c.slug.is_empty() || c.slug.contains('/') {
                problems.push(problem(
                    &cpath,
                    "slug",
                    "a slug must be non-empty and contain no '/'".into(),
                ));
            }
            let mut keys = BTreeSet::new();
            let mut field_ids = BTreeSet::new();
            for (fi, f) in c.fields.iter().enumerate() {
                let fpath = format!("{cpath}.fields[{fi}]");
                let key = f.wire_key().into_owned();
                if key.is_empty() {
                    problems.push(problem(
                        &fpath,
                        "key",
                        format!(
                            "field {:?} has no usable wire key; give it a \"key\"",
                            f.name
                        ),
                    ));
                }
                if !keys.insert(key.clone()) {
                    problems.push(problem(
                        &fpath,
                        "key",
                        format!("duplicate wire key {key:?} in collection {:?}", c.name),
                    ));
                }
                if let Some(id) = &f.id
                    && !field_ids.insert(id.clone())
                {
                    problems.push(problem(&fpath, "id", format!("duplicate field id {id:?}")));
                }
                if matches!(f.ty, FieldType::Select | FieldType::Stage) && f.options.is_empty() {
                    problems.push(problem(
                        &fpath,
                        "options",
                        format!("choice field {:?} needs at least one option", f.name),
                    ));
                }
                if f.ty == FieldType::Link {
                    match &f.target {
                        None => problems.push(problem(
                            &fpath,
                            "target",
                            format!("link field {:?} needs a \"target\" collection", f.name),
                        )),
                        Some(t) if !self.collections.iter().any(|o| &o.slug == t || &o.id == t) => {
                            problems.push(problem(
                                &fpath,
                                "target",
                                format!("link target {t:?} is not a collection of this account"),
                            ))
                        }
                        Some(_) => {}
                    }
                }
            }
            let mut record_ids = BTreeSet::new();
            for (ri, r) in c.records.iter().enumerate() {
                let rpath = format!("{cpath}.records[{ri}]");
                if let Some(id) = &r.id
                    && !record_ids.insert(id.clone())
                {
                    problems.push(problem(&rpath, "id", format!("duplicate record id {id:?}")));
                }
                for (k, v) in &r.data {
                    let vpath = format!("{rpath}.data.{k}");
                    match c.fields.iter().find(|f| f.wire_key() == k.as_str()) {
                        None => problems.push(Problem {
                            path: vpath,
                            message: format!(
                                "no field with wire key {k:?} in collection {:?}",
                                c.name
                            ),
                        }),
                        Some(f) => {
                            if let Err(msg) = crate::values::check_value_shape(f, v) {
                                problems.push(Problem {
                                    path: vpath,
                                    message: msg,
                                });
                            }
                        }
                    }
                }
            }
        }
        problems
    }
}

fn problem(base: &str, key: &str, message: String) -> Problem {
    Problem {
        path: format!("{base}.{key}"),
        message,
    }
}

/// Structural checks made on raw JSON, so that every misplaced value is reported
/// with its path rather than only serde's first complaint.
fn validate_shape(v: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(root) = v.as_object() else {
        out.push(Problem {
            path: "$".into(),
            message: "an account must be a JSON object with \"collections\"".into(),
        });
        return out;
    };
    expect_opt(root, "name", "$", Kind::Str, &mut out);
    let Some(cols) = root.get("collections").and_then(Value::as_array) else {
        out.push(Problem {
            path: "$.collections".into(),
            message: "required: an array of collection objects".into(),
        });
        return out;
    };
    for (ci, c) in cols.iter().enumerate() {
        let cpath = format!("$.collections[{ci}]");
        let Some(c) = c.as_object() else {
            out.push(Problem {
                path: cpath,
                message: "a collection must be an object".into(),
            });
            continue;
        };
        for key in ["id", "name", "slug"] {
            expect_req(c, key, &cpath, Kind::Str, &mut out);
        }
        expect_opt(c, "description", &cpath, Kind::Str, &mut out);
        if let Some(fields) = array_at(c, "fields", &cpath, &mut out) {
            for (fi, f) in fields.iter().enumerate() {
                let fpath = format!("{cpath}.fields[{fi}]");
                let Some(f) = f.as_object() else {
                    out.push(Problem {
                        path: fpath,
                        message: "a field must be an object".into(),
                    });
                    continue;
                };
                expect_req(f, "name", &fpath, Kind::Str, &mut out);
                expect_req(f, "type", &fpath, Kind::Str, &mut out);
                for key in ["id", "key", "description", "target"] {
                    expect_opt(f, key, &fpath, Kind::Str, &mut out);
                }
                for key in ["required", "primary", "readOnly", "multiple"] {
                    expect_opt(f, key, &fpath, Kind::Bool, &mut out);
                }
                if let Some(opts) = array_at(f, "options", &fpath, &mut out) {
                    for (oi, o) in opts.iter().enumerate() {
                        if !o.is_string() {
                            out.push(Problem {
                                path: format!("{fpath}.options[{oi}]"),
                                message: "an option must be a string label".into(),
                            });
                        }
                    }
                }
            }
        }
        if let Some(records) = array_at(c, "records", &cpath, &mut out) {
            for (ri, r) in records.iter().enumerate() {
                let rpath = format!("{cpath}.records[{ri}]");
                let Some(r) = r.as_object() else {
                    out.push(Problem {
                        path: rpath,
                        message: "a record must be an object with \"data\"".into(),
                    });
                    continue;
                };
                expect_opt(r, "id", &rpath, Kind::Str, &mut out);
                expect_opt(r, "data", &rpath, Kind::Obj, &mut out);
                expect_opt(r, "external", &rpath, Kind::Obj, &mut out);
            }
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Obj,
}

fn kind_ok(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::Str => v.is_string(),
        Kind::Bool => v.is_boolean(),
        Kind::Obj => v.is_object(),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "a string",
        Kind::Bool => "true or false",
        Kind::Obj => "an object",
    }
}

fn expect_req(obj: &Map<String, Value>, key: &str, base: &str, kind: Kind, out: &mut Vec<Problem>) {
    match obj.get(key) {
        None | Some(Value::Null) => out.push(Problem {
            path: format!("{base}.{key}"),
            message: format!("required: {}", kind_name(kind)),
        }),
        Some(v) if !kind_ok(kind, v) => out.push(Problem {
            path: format!("{base}.{key}"),
            message: format!("must be {}", kind_name(kind)),
        }),
        Some(_) => {}
    }
}

fn expect_opt(obj: &Map<String, Value>, key: &str, base: &str, kind: Kind, out: &mut Vec<Problem>) {
    if let Some(v) = obj.get(key)
        && !v.is_null()
        && !kind_ok(kind, v)
    {
        out.push(Problem {
            path: format!("{base}.{key}"),
            message: format!("must be {} or absent", kind_name(kind)),
        });
    }
}

fn array_at<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    base: &str,
    out: &mut Vec<Problem>,
) -> Option<&'a Vec<Value>> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(a),
        Some(_) => {
            out.push(Problem {
                path: format!("{base}.{key}"),
                message: "must be an array or absent".into(),
            });
            None
        }
    }
}
