//! The docs of generated items: user text made safe for rustdoc and rustc.

use proc_macro2::TokenStream;
use quote::quote;

use super::Prepared;
use crate::model::FieldModel;

/// The doc of `Update`, with examples from this collection's own fields.
pub(super) fn update_doc(writable: &[&Prepared<'_>]) -> String {
    let mut doc = String::from(
        "Changes to a record: each field is kept (not sent), set, or (when optional) cleared",
    );
    let set = writable.first();
    let clear = writable.iter().find(|p| !p.model.required);
    match (set, clear) {
        (Some(s), Some(c)) if s.model.key != c.model.key => doc.push_str(&format!(
            ": `changes.{}.set(..)`, `changes.{}.clear()`.",
            s.model.name.source(),
            c.model.name.source()
        )),
        (Some(s), Some(_)) => doc.push_str(&format!(
            ": `changes.{0}.set(..)`, `changes.{0}.clear()`.",
            s.model.name.source()
        )),
        (Some(s), None) => doc.push_str(&format!(": `changes.{}.set(..)`.", s.model.name.source())),
        (None, _) => doc.push_str(". This collection has no writable fields."),
    }
    doc.push_str(" Read-only fields do not exist.");
    doc
}

/// The one-line doc of a field in the create and update types.
pub(super) fn short_doc(f: &FieldModel) -> String {
    format!(
        "**{}** (`{}`, `{}`).",
        escape_md(&f.display),
        code_text(&f.key),
        code_text(&f.type_name)
    )
}

pub(super) fn field_doc(f: &FieldModel) -> String {
    let mut marks = Vec::new();
    if f.primary {
        marks.push("primary".to_string());
    }
    if f.required {
        marks.push("required".to_string());
    }
    if !f.writable {
        marks.push("read-only".to_string());
    }
    if f.multiple {
        marks.push("multiple".to_string());
    }
    if let Some((samples, present)) = f.inferred {
        marks.push(format!(
            "inferred from {samples} sampled record(s), present in {present}"
        ));
    }
    let mut doc = format!(
        "**{}**: wire key `{}`, type `{}`",
        escape_md(&f.display),
        code_text(&f.key),
        code_text(&f.type_name)
    );
    if !marks.is_empty() {
        doc.push_str("; ");
        doc.push_str(&marks.join(", "));
    }
    doc.push('.');
    if let Some(d) = &f.description {
        doc.push_str("\n\n");
        doc.push_str(&text_block(d));
    }
    doc
}

/// One `#[doc]` attribute per line, so that the output uses `///` comments (a `*/` in
/// user text cannot end a block comment that is never opened).
pub(super) fn doc_attrs(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote! { #(#[doc = #lines])* }
}

pub(super) fn inner_doc(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote! { #(#![doc = #lines])* }
}

/// Doc text as `///` lines rustc accepts: bidi controls (rejected in comments by the
/// `text_direction_codepoint_in_comment` lint) are written as `\u{202e}`, a bare CR
/// (rejected in doc comments) ends the line, and other control characters are dropped.
fn doc_lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|line| {
            let mut out = String::with_capacity(line.len() + 1);
            out.push(' ');
            for c in line.chars() {
                if crate::diag::is_bidi_control(c) {
                    out.extend(c.escape_unicode());
                } else if c == '\t' || !c.is_control() {
                    out.push(c);
                }
            }
            out
        })
        .collect()
}

/// User text as a fenced `text` block: never Markdown, never a doctest. The fence is
/// longer than any backtick run inside, so the text cannot close it.
pub fn text_block(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let clean: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    format!("{fence}text\n{clean}\n{fence}")
}

/// Escapes what Markdown and HTML would read in a display name, and nothing else. Names
/// never start a doc line, so list, heading and quote markers (`-`, `+`, `#`, `>` at a
/// line start) cannot trigger, and parentheses only matter after a `]`, which is escaped:
/// `Travel Distance (km)` stays as it is.
pub fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push(' ');
            continue;
        }
        if "\\`*_[]<>&~|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text for inside a single-backtick code span.
pub(super) fn code_text(text: &str) -> String {
    text.chars()
        .map(|c| if c == '`' || c.is_control() { '\'' } else { c })
        .collect()
}
