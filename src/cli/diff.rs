//! `ddmc diff`: two output folders, or the output at a git revision against now.

use super::args::*;
use super::exit;
use super::output::*;
use crate::pipeline::{self, Mode};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `ddmc diff OLD NEW` or `ddmc diff --git REV [REPO]`.
pub(super) fn diff(cli: &Cli, paths: &[PathBuf], rev: Option<&str>, format: ExplainFormat) -> i32 {
    use crate::diff::{self, tree};
    let found = match (rev, paths) {
        (Some(rev), [] | [_]) => git_diff(cli, paths.first().map_or(Path::new("."), PathBuf::as_path), rev),
        (None, [old, new]) => {
            let read = |p: &Path| tree::read(p).map_err(|e| fail(cli, usage(e)));
            read(old).and_then(|old| Ok(diff::diff(&old, &read(new)?)))
        }
        _ => {
            let message = "give two output folders (`ddmc diff OLD NEW`), or `--git REV [REPO]`";
            return fail(cli, usage(message));
        }
    };
    let diff = match found {
        Ok(diff) => diff,
        Err(code) => return code,
    };
    let text = match format {
        ExplainFormat::Human => diff::render::human(&diff),
        ExplainFormat::Json => format!("{}\n", serde_json::to_string_pretty(&diff).unwrap_or_default()),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    exit::OK
}

/// What changed in the output from REPO's policies at `rev` to the working tree (`diff
/// --git`, `report --since`). No environment variable is read: a diff shows `$VAR` where a
/// seeding token goes.
pub(super) fn git_diff(cli: &Cli, repo: &Path, rev: &str) -> Result<crate::diff::Diff, i32> {
    use crate::diff::{self, tree};
    let no_secrets = |_: &str| None;
    let build = |repo: &Path, what: &str| -> Result<tree::Tree, i32> {
        let options = cli.options(Mode::Check, &no_secrets, None);
        let mut c = pipeline::compile_with(repo, &options).map_err(|e| load_failed(cli, &e))?;
        if c.diagnostics.has_errors() {
            let code = report(cli, &mut c, false);
            eprintln!("error: the policies {what} do not compile");
            return Err(code);
        }
        Ok(tree::from_files(&c.files))
    };
    let old = diff::git::checkout(repo, rev).map_err(|e| fail(cli, usage(e)))?;
    Ok(diff::diff(&build(old.path(), &format!("at `{rev}`"))?, &build(repo, "in the working tree")?))
}
