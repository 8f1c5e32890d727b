//! How commands end: diagnostics printed in the chosen `--message-format`, one summary
//! line, and the exit code a failure's code calls for.

use super::args::*;
use super::exit;
use crate::diagnostics::{self, Severity, render::Sources};
use crate::pipeline::Compilation;
use crate::repo::LoadError;
use std::io::{IsTerminal, Write};

/// Every diagnostic, sorted, in the chosen format: human and short on stderr, JSON lines on
/// stdout. `--quiet` keeps only errors.
pub(super) fn print_diagnostics(cli: &Cli, diagnostics: &diagnostics::Diagnostics, sources: &Sources<'_>) {
    let styled = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let (mut stderr, mut stdout) = (std::io::stderr().lock(), std::io::stdout().lock());
    let shown = diagnostics.shown(|d| !cli.quiet || d.severity == Severity::Error);
    let base = cli.repository_base();
    if cli.message_format == Format::Sarif {
        let all: Vec<&diagnostics::Diagnostic> = shown.iter().map(AsRef::as_ref).collect();
        let _ = stdout.write_all(diagnostics::ci::render_sarif(&all, &base).as_bytes());
        return;
    }
    for d in &shown {
        let d = d.as_ref();
        // A closed pipe (`| head`) is not worth a panic.
        let _ = match cli.message_format {
            Format::Human => writeln!(stderr, "{}\n", diagnostics::render_human(d, sources, styled)),
            Format::Short => writeln!(stderr, "{}", diagnostics::render_short(d)),
            Format::Json => writeln!(stdout, "{}", diagnostics::render_json(d)),
            Format::Github => writeln!(stdout, "{}", diagnostics::ci::render_github(d, &base)),
            Format::Sarif => Ok(()),
        };
    }
}

/// A failure that is not about a file's content (a usage mistake, a file that cannot be
/// read or written): one diagnostic, printed like every other so that `--message-format`
/// applies, and the exit code its code calls for. The one way the command line fails.
pub(super) fn fail(cli: &Cli, diagnostic: diagnostics::Diagnostic) -> i32 {
    let exit = exit::of(diagnostic.code);
    let mut found = diagnostics::Diagnostics::default();
    found.push(diagnostic);
    print_diagnostics(cli, &found, &Sources::new());
    exit
}

/// A usage mistake (exit 2).
pub(super) fn usage(message: impl Into<String>) -> diagnostics::Diagnostic {
    diagnostics::Diagnostic::error(diagnostics::Code::Usage, message)
}

/// A file that cannot be read or written (exit 3).
pub(super) fn io(message: impl Into<String>) -> diagnostics::Diagnostic {
    diagnostics::Diagnostic::error(diagnostics::Code::Io, message)
}

/// A device-side input file that cannot be used: its diagnostic, printed like `check`'s
/// (so `--message-format` applies), and exit 1.
pub(super) fn input_failed(cli: &Cli, diagnostic: diagnostics::Diagnostic, text: &str) -> i32 {
    let mut found = diagnostics::Diagnostics::default();
    let file = diagnostic.location.as_ref().map(|l| l.file.clone()).unwrap_or_default();
    found.push(diagnostic);
    let sources: Sources<'_> = [(file.as_str(), text)].into_iter().collect();
    print_diagnostics(cli, &found, &sources);
    eprintln!("error: {}", diagnostics::summary_line(1, 0));
    exit::POLICY
}

/// Prints the diagnostics; the exit code they call for. `builds`: the command would have
/// written output (only then does "nothing was written" mean something).
pub(super) fn report(cli: &Cli, c: &mut Compilation, builds: bool) -> i32 {
    if cli.deny_conflicts {
        c.diagnostics.deny(diagnostics::Code::Conflict);
    }
    let sources: Sources<'_> = c
        .repository
        .project
        .iter()
        .chain(&c.repository.policies)
        .chain(&c.repository.fragments)
        .map(|f| (f.name.as_str(), &*f.text))
        .collect();
    print_diagnostics(cli, &c.diagnostics, &sources);
    if c.diagnostics.count(Severity::Error) > 0 {
        let written = if builds { "; nothing was written" } else { "" };
        eprintln!("error: {}{written}", counts(c));
        return exit::POLICY;
    }
    exit::OK
}

pub(super) fn done(cli: &Cli, message: &str) {
    if !(cli.quiet && cli.message_format == Format::Json) {
        eprintln!("{message}");
    }
}

pub(super) fn counts(c: &Compilation) -> String {
    diagnostics::summary_line(c.diagnostics.count(Severity::Error), c.diagnostics.count(Severity::Warning))
}

pub(super) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

pub(super) fn load_failed(cli: &Cli, e: &LoadError) -> i32 {
    match e {
        LoadError::NoRepository(_) | LoadError::Usage(_) => fail(cli, usage(e.to_string())),
        LoadError::Io(..) => fail(cli, io(e.to_string())),
    }
}
