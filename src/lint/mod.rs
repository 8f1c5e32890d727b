//! `ddmc lint PATH...`: checks DDM declarations (`.json`) and configuration profiles
//! (`.mobileconfig`) that were written by hand or by other tools, against the same Apple
//! schemas ddmc validates its own output with.
//!
//! Every problem is a [`Diagnostic`] in one sink, like the rest of ddmc; nothing here
//! prints. Per file: [`declaration`] or [`profile`] (schema, values, [`applicability`]);
//! across files: [`references`] (duplicate Identifiers, activations naming configurations
//! that no linted file declares).

pub mod applicability;
mod declaration;
mod profile;
mod references;
mod rules;
mod schema;
mod walk;

pub use applicability::Enrollment;

use crate::diagnostics::render::Sources;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{OsVersion, Platform};
use std::io;
use std::path::PathBuf;

/// Which devices to check applicability for (`--platform`, `--os`, `--enrollment`), and
/// whether declarations must carry a `ServerToken` (`--server-tokens`).
/// `os` and `enrollment` are meaningful only with `platform` (the command line requires it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub platform: Option<Platform>,
    pub os: Option<OsVersion>,
    pub enrollment: Option<Enrollment>,
    pub server_tokens: ServerTokens,
}

/// `--server-tokens`: some MDM servers (Fleet) compute each declaration's `ServerToken`
/// themselves, so the files in their repositories have none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ServerTokens {
    /// Apple's schema: every declaration has one.
    #[default]
    Required,
    /// The server adds them: a missing `ServerToken` is not reported.
    Optional,
}

/// One file that was read, with its text for source snippets (empty when it is not text).
pub struct LintedFile {
    pub name: String,
    pub text: String,
}

/// What a lint run found: the diagnostics and the files they point into.
pub struct Report {
    pub diagnostics: Diagnostics,
    pub files: Vec<LintedFile>,
}

impl Report {
    /// File name to text, for [`crate::diagnostics::render_human`].
    pub fn sources(&self) -> Sources<'_> {
        self.files.iter().map(|f| (f.name.as_str(), f.text.as_str())).collect()
    }
}

/// Lints every declaration and profile in `paths` (files, or folders searched recursively).
/// The only error is a PATH that cannot be read at all; a file that cannot be read or
/// parsed is a diagnostic, and the others are still linted.
pub fn lint(paths: &[PathBuf], options: &Options) -> Result<Report, io::Error> {
    let (found, skipped) = walk::collect(paths)?;
    let mut diagnostics = Diagnostics::default();
    for folder in &skipped {
        diagnostics.push(skipped_note(folder));
    }
    let mut files = Vec::new();
    let mut registry = references::Registry::default();
    if found.is_empty() {
        diagnostics.push(nothing_found(paths));
    }
    for file in &found {
        let bytes = match walk::read(file) {
            Ok(bytes) => bytes,
            Err(d) => {
                diagnostics.push(*d);
                registry.unreadable += 1;
                files.push(LintedFile { name: file.name.clone(), text: String::new() });
                continue;
            }
        };
        let text = lint_file(file, &bytes, options, &mut diagnostics, &mut registry);
        files.push(LintedFile { name: file.name.clone(), text });
    }
    references::check(&registry, &mut diagnostics);
    Ok(Report { diagnostics, files })
}

/// [`lint`] of files given as (name, bytes), for fuzzing and tests: linted as files named on
/// the command line are, without reading the disk.
pub fn lint_sources(sources: &[(&str, &[u8])], options: &Options) -> Report {
    let mut diagnostics = Diagnostics::default();
    let mut registry = references::Registry::default();
    let mut files = Vec::new();
    for (name, bytes) in sources {
        let file = walk::Found { path: PathBuf::from(name), name: (*name).to_owned(), root: walk::NAMED };
        let text = lint_file(&file, bytes, options, &mut diagnostics, &mut registry);
        files.push(LintedFile { name: file.name, text });
    }
    references::check(&registry, &mut diagnostics);
    Report { diagnostics, files }
}

/// One declaration or profile; returns its text for snippets.
fn lint_file(
    file: &walk::Found,
    bytes: &[u8],
    options: &Options,
    diagnostics: &mut Diagnostics,
    registry: &mut references::Registry,
) -> String {
    match walk::kind(file, bytes) {
        walk::Kind::Declaration => {
            registry.root = file.root;
            declaration::lint(&file.name, bytes, options, diagnostics, registry)
        }
        walk::Kind::Profile => profile::lint(&file.name, bytes, options, diagnostics),
    }
}

/// Once per folder: its `.xml` files were not linted.
fn skipped_note(skipped: &walk::Skipped) -> Diagnostic {
    let n = skipped.files.len();
    let files = if n == 1 { "1 `.xml` file".to_string() } else { format!("{n} `.xml` files") };
    let first = skipped.files.first().map(String::as_str).unwrap_or_default();
    Diagnostic::info(Code::Unsupported, format!("{files} in `{}` not linted", skipped.folder))
        .note(
            "in folders, ddmc lints `.json` declarations and `.mobileconfig` profiles; `.xml` files are often \
             bare payload dictionaries or other platforms' profiles (Fleet keeps Windows profiles there)",
        )
        .help(format!("to lint one as a bare payload dictionary, name it: `ddmc lint {}/{first}`", skipped.folder))
}

fn nothing_found(paths: &[PathBuf]) -> Diagnostic {
    let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
    Diagnostic::error(Code::NoPolicies, format!("no declarations or profiles in {}", shown.join(", ")))
        .note("folders are searched recursively for `.json` declarations and `.mobileconfig` profiles")
        .help("name the files, or a folder that holds them")
}

/// `--os`: an OS version such as `15.2` or `26.3.1`.
pub fn parse_os(s: &str) -> Result<OsVersion, String> {
    s.parse::<OsVersion>().map_err(|e| match e.help {
        Some(help) => format!("{}; {help}", e.message),
        None => e.message,
    })
}
