//! Every Rust identifier the generator emits is made here.
//!
//! The rules, in order:
//! - **From the wire, not the display name.** A field is named from its wire key
//!   (`jobTitle` → `job_title`, `totalPct` → `total_pct`), a collection's module and
//!   account method from its slug (`purchase-orders` → `purchase_orders`), its marker type
//!   from the module (`PurchaseOrders`), a choice enum from its field's Rust name. Display
//!   names stay in the docs. When a key or slug has no identifier characters at all, the
//!   display name, then the id, is used (with a warning).
//! - **ASCII.** Text is transliterated (`Straße` → `strasse`, `🚀` → `rocket`), so output
//!   needs no `non_ascii_idents`; everything that is not `[A-Za-z0-9]` separates words
//!   (combining marks, on which `Ident::new` panics, are dropped).
//! - **Readable digits.** Words that start with a digit move behind the first word that
//!   does not (`2ndApprover` → `approver_2nd`, `Visit2nd`); a name of digits only gets an
//!   `n` / `N` prefix (`2024` → `n2024`, an option `1` → `N1`).
//! - **Keywords** are raw (`r#type`), or get a `_` suffix where they cannot be raw
//!   (`self_`, `Self_`, `crate_`, `super_`). Module names never use raw identifiers (the
//!   file would be `mod.rs`): keywords and Windows device names (`con`, `nul`, `aux`,
//!   `prn`, `com1`…, `lpt1`…) get a `_` suffix (`mod_`, `con_`), and so do account methods
//!   that would shadow a trait method (`clone_`, `default_`).
//! - **Unique per scope**, claimed in a stable order (`due_date`, `due_date_2`; `Fields2`
//!   for types). Names locked in the snapshot are claimed before new ones, so a new item
//!   never takes or moves an existing name (see `lower`).

use std::collections::BTreeSet;

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Keywords of Rust 2024 that can be used as raw identifiers.
const RAW_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];

/// Words that cannot be identifiers even raw.
const UNRAWABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// The case a name is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `snake_case`: fields, modules, methods.
    Snake,
    /// `UpperCamelCase`: types and variants.
    UpperCamel,
    /// `SHOUTY_SNAKE_CASE`: constants.
    Shouty,
}

/// A Rust identifier and whether it must be written raw (`r#type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RustName {
    /// The identifier without `r#`.
    pub text: String,
    /// Whether it is a keyword that needs `r#`.
    pub raw: bool,
}

impl RustName {
    /// The identifier as a token.
    pub fn ident(&self) -> proc_macro2::Ident {
        let span = proc_macro2::Span::call_site();
        if self.raw {
            proc_macro2::Ident::new_raw(&self.text, span)
        } else {
            proc_macro2::Ident::new(&self.text, span)
        }
    }

    /// Source text, e.g. `r#type`.
    pub fn source(&self) -> String {
        if self.raw {
            format!("r#{}", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// Converts `text` to the case's identifier characters: transliterated, cased, filtered.
/// May return an empty string (for an emoji-only or punctuation-only name).
pub fn convert(text: &str, case: Case) -> String {
    let ascii = deunicode::deunicode_with_tofu(text, " ");
    // Separators heck does not know become spaces, so "N/A" and "Due-Date" split into words.
    let spaced: String = ascii
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let cased = match case {
        Case::Snake => spaced.to_snake_case(),
        Case::UpperCamel => spaced.to_upper_camel_case(),
        Case::Shouty => spaced.to_shouty_snake_case(),
    };
    cased
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Makes a valid identifier from the first candidate that is not empty after
/// conversion (for a field: wire key, then display name, then id), else `fallback`.
///
/// Words that start with a digit move behind the first word that does not (`2nd Approver`
/// → `approver_2nd`, `ApproverSecond`-style readers see the noun first); a name made only of
/// such words gets an `n` (`N`) prefix (`2024` → `n2024`, a rating option `1` → `N1`).
pub fn make(candidates: &[&str], case: Case, fallback: &str) -> String {
    let snake = candidates
        .iter()
        .map(|c| convert(c, Case::Snake))
        .find(|s| s.chars().any(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| convert(fallback, Case::Snake));
    let mut words: Vec<&str> = snake.split('_').filter(|w| !w.is_empty()).collect();
    let lead = words
        .iter()
        .take_while(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .count();
    if lead < words.len() {
        words.rotate_left(lead);
    }
    let joined = words.join("_");
    let mut name = match case {
        Case::Snake => joined,
        Case::UpperCamel => joined.to_upper_camel_case(),
        Case::Shouty => joined.to_shouty_snake_case(),
    };
    if name.is_empty() {
        name = fallback.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, if case == Case::UpperCamel { "N" } else { "n" });
    }
    name
}

/// Words that name no collection module: Windows device names (a file `con.rs` cannot
/// be created there) and every Rust keyword (a module `r#mod` would be written to
/// `mod.rs`, the root file). They get a `_` suffix: `con_`, `mod_`, `type_`.
pub fn is_reserved_module(name: &str) -> bool {
    const DEVICES: &[&str] = &["con", "prn", "aux", "nul", "conin", "conout"];
    let lower = name.to_ascii_lowercase();
    let device = DEVICES.contains(&lower.as_str())
        || ((lower.starts_with("com") || lower.starts_with("lpt"))
            && lower.len() == 4
            && lower.as_bytes()[3].is_ascii_digit());
    device || RAW_KEYWORDS.contains(&name) || UNRAWABLE.contains(&name)
}

/// A set of names already used in one scope.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
    avoided: BTreeSet<String>,
}

impl Scope {
    /// A scope in which `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Scope {
        Scope {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
            avoided: BTreeSet::new(),
        }
    }

    /// Names that are given a `_` suffix instead of being used (`clone` → `clone_` for a
    /// method that would shadow a trait method).
    pub fn avoiding(mut self, words: &[&str]) -> Scope {
        self.avoided.extend(words.iter().map(|s| s.to_string()));
        self
    }

    /// Claims `base` or, when taken, `base_2`, `base_3`, ... (`Base2` for types).
    /// Callers claim in a stable order, so the same schema always gives the same names.
    pub fn claim(&mut self, base: &str, case: Case) -> RustName {
        let base = if self.avoided.contains(base) {
            format!("{base}_")
        } else {
            base.to_string()
        };
        let stem = base.trim_end_matches('_');
        let mut candidate = base.clone();
        let mut n = 2;
        loop {
            // Both the plain and the escaped spelling count: `Self` becomes `Self_`,
            // which must not collide with a later `Self_`.
            let finished = finish(candidate.clone());
            if !self.taken.contains(&candidate) && !self.taken.contains(&finished.text) {
                self.taken.insert(candidate);
                self.taken.insert(finished.text.clone());
                return finished;
            }
            candidate = match case {
                Case::UpperCamel => format!("{stem}{n}"),
                Case::Snake | Case::Shouty => format!("{stem}_{n}"),
            };
            n += 1;
        }
    }

    /// Whether a name is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

/// Escapes keywords: raw where possible, a `_` suffix where not.
fn finish(text: String) -> RustName {
    if UNRAWABLE.contains(&text.as_str()) {
        return RustName {
            text: format!("{text}_"),
            raw: false,
        };
    }
    let raw = RAW_KEYWORDS.contains(&text.as_str());
    RustName { text, raw }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident_ok(n: &RustName) -> bool {
        syn::parse_str::<syn::Ident>(&n.source()).is_ok() && !n.text.is_empty()
    }

    #[test]
    fn cases_and_transliteration() {
        assert_eq!(make(&["Job Title"], Case::Snake, "f"), "job_title");
        assert_eq!(make(&["Job Title"], Case::UpperCamel, "F"), "JobTitle");
        assert_eq!(make(&["Café Crème"], Case::UpperCamel, "F"), "CafeCreme");
        assert_eq!(make(&["Straße"], Case::Snake, "f"), "strasse");
        assert_eq!(
            make(&["e\u{301}tat"], Case::Snake, "f"),
            "etat",
            "combining marks dropped"
        );
        assert!(!make(&["\u{0627}\u{0654}"], Case::Snake, "f").is_empty());
        assert_eq!(make(&["2nd Visit"], Case::Snake, "f"), "visit_2nd");
        assert_eq!(make(&["2ndApprover"], Case::Snake, "f"), "approver_2nd");
        assert_eq!(make(&["2nd Visit"], Case::UpperCamel, "F"), "Visit2nd");
        assert_eq!(make(&["2024"], Case::Snake, "f"), "n2024");
        assert_eq!(make(&["1"], Case::UpperCamel, "F"), "N1");
        assert_eq!(make(&["totalPct"], Case::Snake, "f"), "total_pct");
        assert_eq!(
            make(&["purchase-orders"], Case::Snake, "f"),
            "purchase_orders"
        );
        assert_eq!(
            make(&["purchase-orders"], Case::UpperCamel, "F"),
            "PurchaseOrders"
        );
        assert_eq!(
            make(&["#", "dueDate"], Case::Snake, "f"),
            "due_date",
            "empty falls back to the wire key"
        );
        assert_eq!(make(&["", "", "fld_1"], Case::Snake, "f"), "fld_1");
        assert_eq!(make(&["###"], Case::Snake, "field"), "field");
        assert_eq!(make(&["N/A"], Case::Snake, "f"), "n_a");
        assert_eq!(make(&["NA"], Case::Snake, "f"), "na");
        assert_eq!(
            make(&["Due-Date"], Case::Snake, "f"),
            make(&["Due Date"], Case::Snake, "f")
        );
    }

    #[test]
    fn keywords_and_collisions() {
        let mut s = Scope::default();
        assert_eq!(s.claim("type", Case::Snake).source(), "r#type");
        assert_eq!(s.claim("self", Case::Snake).source(), "self_");
        assert_eq!(s.claim("crate", Case::Snake).source(), "crate_");
        assert_eq!(s.claim("gen", Case::Snake).source(), "r#gen");
        let mut t = Scope::with_reserved(&["Fields"]);
        assert_eq!(t.claim("Self", Case::UpperCamel).source(), "Self_");
        assert_eq!(t.claim("Fields", Case::UpperCamel).source(), "Fields2");
        let mut u = Scope::default();
        let a = u.claim("due_date", Case::Snake);
        let b = u.claim("due_date", Case::Snake);
        let c = u.claim("due_date", Case::Snake);
        assert_eq!(
            (a.text.as_str(), b.text.as_str(), c.text.as_str()),
            ("due_date", "due_date_2", "due_date_3")
        );
        for n in [a, b, c] {
            assert!(ident_ok(&n));
        }
    }

    #[test]
    fn every_keyword_becomes_a_valid_identifier() {
        for kw in RAW_KEYWORDS.iter().chain(UNRAWABLE) {
            for case in [Case::Snake, Case::UpperCamel] {
                let base = make(&[kw], case, "x");
                let n = Scope::default().claim(&base, case);
                assert!(ident_ok(&n), "{kw} -> {n:?}");
                let _ = n.ident();
            }
        }
    }
}
