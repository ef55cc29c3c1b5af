//! Drift reports for machines and reviews: JSON, and Markdown for a CI comment.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{DriftReport, Severity};
use crate::diag::terminal_safe;

impl Severity {
    /// The class as a machine-readable word: `compatible`, `additive`, `new-option`,
    /// `breaking`.
    pub fn class(self) -> &'static str {
        match self {
            Severity::Compatible => "compatible",
            Severity::Additive => "additive",
            Severity::NewOption => "new-option",
            Severity::Breaking => "breaking",
        }
    }
}

impl DriftReport {
    /// The report as JSON: the verdict, the exit code `check` gives, and every change with
    /// its class, ids, message and overlay hint.
    pub fn to_json(&self) -> String {
        let changes: Vec<serde_json::Value> = self
            .changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "class": c.severity.class(),
                    "collection": c.collection,
                    "id": c.id,
                    "field": c.field,
                    "message": c.message,
                    "overlayHint": c.overlay_hint,
                })
            })
            .collect();
        let report = serde_json::json!({
            "verdict": self.verdict().map(Severity::class).unwrap_or("same"),
            "exitCode": self.exit_code(),
            "changes": changes,
        });
        let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The report as Markdown for a pull-request comment. Text from the account is
    /// escaped, so names cannot inject HTML, links or table cells.
    pub fn to_markdown(&self) -> String {
        if self.changes.is_empty() {
            return "### Kinabase schema: no changes\n".to_string();
        }
        let count = |s: Severity| self.changes.iter().filter(|c| c.severity == s).count();
        let mut out = format!(
            "### Kinabase schema drift: {} change(s), {} breaking, {} new option(s), {} additive, {} compatible\n",
            self.changes.len(),
            count(Severity::Breaking),
            count(Severity::NewOption),
            count(Severity::Additive),
            count(Severity::Compatible)
        );
        let mut grouped: BTreeMap<(&str, &str), Vec<&super::Change>> = BTreeMap::new();
        for c in &self.changes {
            let id = c.id.split('/').next().unwrap_or_default();
            grouped.entry((&c.collection, id)).or_default().push(c);
        }
        for ((collection, id), changes) in grouped {
            let _ = write!(out, "\n#### {} (id `{}`)\n\n", md(collection), code(id));
            for c in changes {
                let field = match (&c.field, c.id.split_once('/')) {
                    (Some(f), Some((_, fid))) => {
                        format!("field **{}** (id `{}`): ", md(f), code(fid))
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "- **{}**: {field}{}",
                    c.severity.label(),
                    md_keep_code(&c.message)
                );
                if let Some(hint) = &c.overlay_hint {
                    let hint = terminal_safe(hint).replace("\\u{a}", "\n");
                    let _ = writeln!(
                        out,
                        "  to keep the old Rust name, add to `kinabase.toml`:\n  ````toml\n{}\n  ````",
                        hint.lines()
                            .map(|l| format!("  {l}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    );
                }
            }
        }
        out
    }
}

/// Account text as Markdown: controls and bidi escaped, markup characters escaped.
fn md(text: &str) -> String {
    let mut out = String::new();
    for c in terminal_safe(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => {
                if "\\`*_[]|#~!".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

/// Text for inside a code span.
fn code(text: &str) -> String {
    terminal_safe(text).replace('`', "'")
}

/// A message written by `drift` (backticks around code) with account text inside:
/// outside code spans HTML and table characters are escaped; inside them nothing is
/// (Markdown shows a code span's text as it is, so `Option<Currency>` must stay as
/// written). With unbalanced backticks the whole message is escaped.
fn md_keep_code(text: &str) -> String {
    let text = terminal_safe(text);
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('|', "\\|")
    };
    if text.matches('`').count() % 2 == 1 {
        return escape(&text);
    }
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                part.to_string()
            } else {
                escape(part)
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::md_keep_code;

    #[test]
    fn code_spans_stay_as_written_and_the_rest_is_escaped() {
        assert_eq!(
            md_keep_code("from `Option<f64>` to `Option<Currency>` for <b>|"),
            "from `Option<f64>` to `Option<Currency>` for &lt;b&gt;\\|"
        );
        assert_eq!(md_keep_code("a `b<"), "a `b&lt;");
    }
}
