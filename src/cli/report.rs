//! `ddmc report`: one self-contained HTML page.

use super::args::*;
use super::exit;
use super::output::*;
use crate::diagnostics;
use crate::pipeline::{self, Mode};
use std::io::Write;
use std::path::Path;

/// `ddmc report`: the page on stdout or in `--out`; on any error nothing is written.
pub(super) fn html_report(
    cli: &Cli,
    repo: &Path,
    out: Option<&Path>,
    now: Option<crate::model::LocalDateTime>,
    since: Option<&str>,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> i32 {
    use crate::report;
    if let Some(out) = out.filter(|o| o.is_dir()) {
        let message = format!("`--out {}` is a folder; name the HTML file to write", out.display());
        return fail(cli, usage(message));
    }
    let mut c = match pipeline::compile_with(repo, &validate_only(cli.options(Mode::Check, secret, None))) {
        Ok(c) => c,
        Err(e) => return load_failed(cli, &e),
    };
    let code = self::report(cli, &mut c, false);
    if code != exit::OK {
        return code;
    }
    let catalog = match report::catalog_state(repo, &c.project) {
        Ok(state) => state,
        Err(message) => {
            return fail(cli, diagnostics::Diagnostic::error(diagnostics::Code::Catalog, message));
        }
    };
    let since = match since {
        Some(rev) => match super::diff::git_diff(cli, repo, rev) {
            Ok(diff) => Some((rev.to_string(), diff)),
            Err(code) => return code,
        },
        None => None,
    };
    let inputs =
        report::Inputs { repository: report::name_of(repo), now: now.unwrap_or_else(report::clock), catalog, since };
    let page = report::render(&report::build(&c, inputs));
    let Some(out) = out else {
        let _ = std::io::stdout().lock().write_all(page.as_bytes());
        return exit::OK;
    };
    // Beside the old page, then renamed over it: a reader never sees half a page.
    match crate::catalog::update::write_atomically(out, &page) {
        Ok(()) => {
            done(cli, &format!("wrote the report to `{}`", out.display()));
            exit::OK
        }
        Err(e) => fail(cli, io(format!("cannot write `{}`: {e}", out.display()))),
    }
}
