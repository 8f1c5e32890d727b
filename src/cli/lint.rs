//! `ddmc lint`: declarations and profiles written by others.

use super::args::*;
use super::exit;
use super::output::*;
use crate::diagnostics::{self, Severity};
use std::path::PathBuf;

/// `ddmc lint`: the diagnostics, rendered like `check`'s, and a summary.
pub(super) fn lint(cli: &Cli, paths: &[PathBuf], options: &crate::lint::Options) -> i32 {
    let report = match crate::lint::lint(paths, options) {
        Ok(report) => report,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return fail(cli, usage(e.to_string())),
        Err(e) => return fail(cli, io(e.to_string())),
    };
    print_diagnostics(cli, &report.diagnostics, &report.sources());
    let (errors, warnings) = (report.diagnostics.count(Severity::Error), report.diagnostics.count(Severity::Warning));
    let files = report.files.len();
    let summary =
        format!("{files} {}: {}", plural(files, "file", "files"), diagnostics::summary_line(errors, warnings));
    if errors > 0 {
        eprintln!("error: linted {summary}");
        return exit::POLICY;
    }
    done(cli, &format!("linted {summary}"));
    exit::OK
}
