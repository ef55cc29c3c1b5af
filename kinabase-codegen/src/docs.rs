//! `SCHEMA.md`: the account's collections and fields as people read them, with a Mermaid
//! diagram of the links, generated beside a module tree.

use std::fmt::Write;

use crate::model::{Model, ValueType};

/// The file's name in the output directory.
pub const FILE: &str = "SCHEMA.md";

/// Bidirectional controls and marks, which could reorder what a reader sees.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text safe inside a Markdown table cell: no control characters, no `|`, no HTML.
fn cell(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || invisible(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text safe inside a quoted Mermaid label.
fn label(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '<' | '>' | '&' | '#' | ';' => ' ',
            c if c.is_control() || invisible(c) => ' ',
            c => c,
        })
        .collect()
}

/// The document for `model`, starting with `header` (an HTML comment).
pub fn schema_markdown(model: &Model, header: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "# Schema\n");
    let links: Vec<(String, String, String)> = model
        .collections
        .iter()
        .flat_map(|c| {
            c.fields.iter().filter_map(move |f| match &f.ty {
                ValueType::Link { module, .. } => Some((
                    c.module.text.clone(),
                    module.text.clone(),
                    label(&f.display),
                )),
                _ => None,
            })
        })
        .collect();
    if !links.is_empty() {
        let _ = writeln!(out, "```mermaid\nflowchart LR");
        for c in &model.collections {
            let _ = writeln!(out, "    {}[\"{}\"]", c.module.text, label(&c.name));
        }
        for (from, to, name) in &links {
            let _ = writeln!(out, "    {from} -- \"{name}\" --> {to}");
        }
        let _ = writeln!(out, "```\n");
    }
    for c in &model.collections {
        let _ = writeln!(
            out,
            "## {}\n\nSlug `{}`, module `{}`, type `{}`.\n",
            cell(&c.name),
            cell(&c.slug).replace('`', ""),
            c.module.text,
            c.marker.text
        );
        let _ = writeln!(
            out,
            "| field | wire key | Rust name | type | required | read-only |\n|---|---|---|---|---|---|"
        );
        for f in &c.fields {
            let ty = match &f.ty {
                ValueType::Link { module, .. } => {
                    format!("{} → {}", cell(&f.type_name), module.text)
                }
                _ => cell(&f.type_name),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.display),
                cell(&f.key),
                f.name.text,
                ty,
                if f.required { "yes" } else { "" },
                if f.writable { "" } else { "yes" }
            );
        }
        out.push('\n');
    }
    out
}
