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
            write!(f, "collection {c:?}")?;
            if let Some(field) = &self.field {
                write!(f, ", field {field:?}")?;
            }
            write!(f, ": ")?;
        }
        f.write_str(&self.message)
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
