//! Problems found while generating, collected and shown together.

use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Shown; generation goes on.
    Warning,
    /// Generation fails (after every problem is collected).
    Error,
}

/// One problem, naming where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Warning or error.
    pub level: Level,
    /// The collection's display name.
    pub collection: Option<String>,
    /// The field's display name.
    pub field: Option<String>,
    /// What is wrong and the fix.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Warning => "warning",
            Level::Error => "error",
        };
        write!(f, "{level}: ")?;
        if let Some(c) = &self.collection {
            write!(f, "collection {}", terminal_safe(&format!("{c:?}")))?;
            if let Some(field) = &self.field {
                write!(f, ", field {}", terminal_safe(&format!("{field:?}")))?;
            }
            write!(f, ": ")?;
        }
        f.write_str(&terminal_safe_lines(&self.message))
    }
}

/// Every problem of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// In the order found.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Adds a warning.
    pub fn warn(
        &mut self,
        collection: Option<&str>,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        self.push(Level::Warning, collection, field, message.into());
    }

    /// Adds an error.
    pub fn error(
        &mut self,
        collection: Option<&str>,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        self.push(Level::Error, collection, field, message.into());
    }

    fn push(
        &mut self,
        level: Level,
        collection: Option<&str>,
        field: Option<&str>,
        message: String,
    ) {
        self.items.push(Diagnostic {
            level,
            collection: collection.map(String::from),
            field: field.map(String::from),
            message,
        });
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.level == Level::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.level == Level::Warning)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Whether `c` is one of the Unicode bidirectional controls (U+202A–U+202E,
/// U+2066–U+2069, U+200E, U+200F, U+061C), which reorder the text around them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Text from a server or a snapshot made safe for a terminal: control and bidi characters
/// are shown escaped (`\u{1b}`), so a name cannot retitle, clear or reorder the screen.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`terminal_safe`], keeping line breaks.
pub fn terminal_safe_lines(text: &str) -> String {
    text.split('\n')
        .map(terminal_safe)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_for_terminals() {
        let evil = "Jobs\u{1b}]0;pwned\u{7}\u{202e}cba\r";
        let shown = terminal_safe(evil);
        assert!(
            !shown.chars().any(|c| c.is_control() || is_bidi_control(c)),
            "{shown}"
        );
        assert!(shown.starts_with("Jobs\\u{1b}]0;pwned"), "{shown}");
        let mut d = Diagnostics::default();
        d.warn(Some(evil), Some(evil), "line\nnext \u{1b}[2J");
        let text = d.to_string();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("line\nnext"));
    }
}
