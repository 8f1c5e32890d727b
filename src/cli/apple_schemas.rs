//! `ddmc apple-schemas`: Apple's schemas into `schemas/apple`, or `--check` that they are current.

use super::args::*;
use super::exit;
use super::output::*;
use crate::diagnostics;
use crate::generate;
use std::path::Path;

pub(super) fn apple_schemas(cli: &Cli, reference: &Path, out: &Path, check: bool) -> i32 {
    if !reference.is_dir() {
        let d = usage(format!("Apple's schema folder `{}` does not exist", reference.display())).help(
            "pass `--reference DIR`, a checkout of https://github.com/apple/device-management \
             (the folder that holds `declarative/` and `mdm/`)",
        );
        return fail(cli, d);
    }
    let files = match generate::generate(reference) {
        Ok(files) => files,
        Err(e) => return fail(cli, io(e.to_string())),
    };
    if !check && let Some(foreign) = foreign_files(out, &files) {
        let d = usage(format!(
            "`{}` holds files `ddmc apple-schemas` does not write ({foreign}); refusing to write into it",
            out.display()
        ))
        .help("choose an empty folder, or the `schemas/apple` folder of an earlier run");
        return fail(cli, d);
    }
    if check {
        let stale: Vec<&str> = files
            .iter()
            .filter(|f| std::fs::read(out.join(&f.path)).ok().as_deref() != Some(f.bytes.as_slice()))
            .map(|f| f.path.as_str())
            .collect();
        if stale.is_empty() {
            eprintln!("`{}` is up to date with `{}`", out.display(), reference.display());
            return exit::OK;
        }
        let d = diagnostics::Diagnostic::error(
            diagnostics::Code::Stale,
            format!("stale in `{}`: {}", out.display(), stale.join(", ")),
        )
        .help("run `ddmc apple-schemas`");
        return fail(cli, d);
    }
    for file in &files {
        let path = out.join(&file.path);
        if let Err(e) = std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, &file.bytes)) {
            return fail(cli, io(format!("cannot write `{}`: {e}", path.display())));
        }
    }
    eprintln!("wrote {} files into `{}`", files.len(), out.display());
    exit::OK
}

/// What in `out` the generator would not write: it only writes into an empty folder or an
/// earlier output, so a mistyped `--out` cannot mix its files into someone else's folder.
pub(super) fn foreign_files(out: &Path, files: &[crate::emit::OutputFile]) -> Option<String> {
    let entries = std::fs::read_dir(out).ok()?;
    let mut foreign: Vec<String> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !e.file_type().is_ok_and(|t| t.is_file()) || !files.iter().any(|f| f.path == name)
        })
        .map(|e| format!("`{}`", e.file_name().to_string_lossy()))
        .collect();
    foreign.sort();
    let more = foreign.len().saturating_sub(3);
    foreign.truncate(3);
    (!foreign.is_empty())
        .then(|| if more > 0 { format!("{} and {more} more", foreign.join(", ")) } else { foreign.join(", ") })
}
