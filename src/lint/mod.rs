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

/// Which devices to check applicability for (`--platform`, `--os`, `--enrollment`).
/// `os` and `enrollment` are meaningful only with `platform` (the command line requires it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub platform: Option<Platform>,
    pub os: Option<OsVersion>,
    pub enrollment: Option<Enrollment>,
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
    let found = walk::collect(paths)?;
    let mut diagnostics = Diagnostics::default();
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
        let text = match walk::kind(file, &bytes) {
            walk::Kind::Declaration => declaration::lint(&file.name, &bytes, options, &mut diagnostics, &mut registry),
            walk::Kind::Profile => profile::lint(&file.name, &bytes, options, &mut diagnostics),
        };
        files.push(LintedFile { name: file.name.clone(), text });
    }
    references::check(&registry, &mut diagnostics);
    Ok(Report { diagnostics, files })
}

fn nothing_found(paths: &[PathBuf]) -> Diagnostic {
    let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
    Diagnostic::error(Code::NoPolicies, format!("no declarations or profiles in {}", shown.join(", ")))
        .note("folders are searched recursively for `.json` declarations and `.mobileconfig` profiles")
        .help("name the files, or a folder that holds them")
}

/// `--platform`: Apple's spelling, any case (`macos` is `macOS`).
pub fn parse_platform(s: &str) -> Result<Platform, String> {
    Platform::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
        let names: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

/// `--os`: an OS version such as `15.2` or `26.3.1`.
pub fn parse_os(s: &str) -> Result<OsVersion, String> {
    s.parse::<OsVersion>().map_err(|e| match e.help {
        Some(help) => format!("{}; {help}", e.message),
        None => e.message,
    })
}
