//! Lays out the `record_fields!` tables of formatted output one `"wireKey" => field` per line.
//!
//! prettyplease fills macro bodies like prose, splitting entries across lines; people read
//! these tables in review, so after formatting each table is rewritten with one entry a
//! line. Entries never contain a line break (keys are escaped string literals), so joining
//! a table's lines and splitting at commas outside string literals recovers them exactly.

const START: &str = "::kinabase_runtime::record_fields!(";

/// `text` with every `record_fields!(...)` table one entry per line.
pub fn one_entry_per_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if !trimmed.starts_with(START) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let indent = &line[..line.len() - trimmed.len()];
        // The invocation: from `record_fields!(` to the `);` that closes it.
        let mut body = trimmed[START.len()..].to_string();
        while !body.trim_end().ends_with(");") {
            let Some(next) = lines.next() else { break };
            body.push(' ');
            body.push_str(next.trim());
        }
        match table(body.trim()) {
            Some((head, entries)) if entries.is_empty() => {
                out.push_str(&format!("{indent}{START}{head} {{}});\n"));
            }
            Some((head, entries)) => {
                out.push_str(&format!("{indent}{START}\n{indent}    {head} {{\n"));
                for e in entries {
                    out.push_str(&format!("{indent}        {e},\n"));
                }
                out.push_str(&format!("{indent}    }}\n{indent});\n"));
            }
            None => {
                out.push_str(&format!("{indent}{START}{body}\n"));
            }
        }
    }
    if !text.ends_with('\n') {
        out.pop();
    }
    out
}

/// `read Fields { "a" => a, "b" => b[lenient] } );` → (`read Fields`, entries).
fn table(body: &str) -> Option<(&str, Vec<String>)> {
    let body = body.strip_suffix(");")?.trim_end();
    let open = body.find('{')?;
    let head = body[..open].trim();
    let inner = body[open + 1..].strip_suffix('}')?;
    let mut entries = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in inner.chars() {
        if in_string {
            current.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                current.push(c);
            }
            ',' => entries.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    entries.push(current);
    let entries: Vec<String> = entries
        .into_iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    Some((head, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_get_one_entry_a_line_and_keys_stay_exact() {
        let text = "pub struct A {}\n    ::kinabase_runtime::record_fields!(\n        read Fields { \"a,}\\\"\" => a, \"bB\" =>\n        b[lenient], \"c\" => r#type }\n    );\n::kinabase_runtime::record_fields!(write Update {});\n";
        let out = one_entry_per_line(text);
        assert_eq!(
            out,
            "pub struct A {}\n    ::kinabase_runtime::record_fields!(\n        read Fields {\n            \"a,}\\\"\" => a,\n            \"bB\" => b[lenient],\n            \"c\" => r#type,\n        }\n    );\n::kinabase_runtime::record_fields!(write Update {});\n"
        );
        assert_eq!(one_entry_per_line(&out), out, "stable");
    }
}
