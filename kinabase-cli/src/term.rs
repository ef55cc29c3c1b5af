//! Terminal conventions of cargo: `-q`/`-v`, `--color` and `NO_COLOR`, progress only on a terminal.

use std::io::IsTerminal;

use clap::{Args, ValueEnum};

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Print only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: the host, overlay and files used.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Colour: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal unless `NO_COLOR` is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Reads an environment variable (injectable for tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Where a command's messages go, and how much of them.
pub struct Out<'a> {
    /// The environment the command reads.
    pub env: Env<'a>,
    /// Only warnings and errors.
    pub quiet: bool,
    /// Details as well.
    pub verbose: bool,
    /// Whether stdout gets colour.
    pub color: bool,
    /// Whether stderr is a terminal (live progress goes there only then).
    pub progress: bool,
}

impl<'a> Out<'a> {
    /// The output settings for `global` options in environment `env`.
    pub fn new(global: &Global, env: Env<'a>) -> Out<'a> {
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        Out {
            env,
            quiet: global.quiet,
            verbose: global.verbose,
            color,
            progress: !global.quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A status line on stderr, unless `-q`.
    pub fn status(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// A detail on stderr, only with `-v`.
    pub fn detail(&self, line: impl std::fmt::Display) {
        if self.verbose {
            eprintln!("{line}");
        }
    }

    /// A warning on stderr (shown even with `-q`).
    pub fn warn(&self, line: impl std::fmt::Display) {
        eprintln!("{line}");
    }

    /// The progress display for a pull: live on a terminal, lines with `-v`, else none.
    pub fn pull_progress(&self) -> kinabase_codegen::pull::Progress {
        use kinabase_codegen::pull::Progress;
        if self.progress {
            Progress::Auto
        } else if self.verbose {
            Progress::Plain
        } else {
            Progress::Quiet
        }
    }
}
