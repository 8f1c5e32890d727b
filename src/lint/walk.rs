//! Finding and reading the files to lint: deterministic order, no file read twice, and
//! [`device_file`]'s bounds so that a stray disk image, a FIFO or `/dev/zero` cannot exhaust
//! memory or hang.

use crate::device_file::{self, ReadFailure};
use crate::diagnostics::{Code, Diagnostic};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Extensions searched for in folders. Files named on the command line are linted whatever
/// their extension (a bare payload dictionary is often a `.xml` or `.plist`).
const DECLARATION: &str = "json";
const PROFILE: &str = "mobileconfig";

pub struct Found {
    pub path: PathBuf,
    /// As users see it: the path as given, `/`-separated, without a leading `./`.
    pub name: String,
    /// The scope its Identifiers must be unique in: the folder argument it was found under
    /// (its index; two folders may be two teams of one MDM server), or [`NAMED`] for the
    /// files named on the command line, which are checked together (a shell glob names many).
    pub root: usize,
}

/// A folder whose `.xml` files were not linted: bare payloads, or other platforms' profiles.
pub struct Skipped {
    pub folder: String,
    pub files: Vec<String>,
}

/// The scope of files named on the command line.
pub const NAMED: usize = usize::MAX;

/// Bare payload dictionaries in folders: linted only when named on the command line.
const BARE_PAYLOAD: &str = "xml";

pub enum Kind {
    Declaration,
    Profile,
}

/// Every file to lint below `paths`, sorted by name, and the folders whose `.xml` files
/// were skipped. A PATH that does not exist is the caller's mistake and the only error.
pub fn collect(paths: &[PathBuf]) -> Result<(Vec<Found>, Vec<Skipped>), io::Error> {
    let mut out = Vec::new();
    let mut skipped = BTreeMap::new();
    for (root, path) in paths.iter().enumerate() {
        let meta = fs::metadata(path)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot read `{}`: {e}", path.display())))?;
        if meta.is_dir() {
            let mut below = Vec::new();
            walk(path, &mut below, &mut skipped);
            below.sort();
            out.extend(below.into_iter().map(|p| (p, root)));
        } else {
            out.push((path.clone(), NAMED));
        }
    }
    // The same file named twice (or a file and its folder) is linted once: otherwise it
    // would clash with itself as a duplicate Identifier.
    let mut seen = BTreeSet::new();
    out.retain(|(p, _)| seen.insert(fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    let mut found: Vec<Found> =
        out.into_iter().map(|(path, root)| Found { name: display(&path), path, root }).collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    let skipped = skipped
        .into_iter()
        .map(|(folder, mut files): (PathBuf, Vec<String>)| {
            files.sort();
            Skipped { folder: display(&folder), files }
        })
        .collect();
    Ok((found, skipped))
}

/// Declarations and profiles below `dir`. Hidden files and folders are skipped, symbolic
/// links to folders are not followed (no cycles), and unreadable folders are skipped: the
/// files that can be read are still worth linting.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut BTreeMap<PathBuf, Vec<String>>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            walk(&path, out, skipped);
        } else if has_extension(&path, &[DECLARATION, PROFILE]) && path.is_file() {
            out.push(path);
        } else if has_extension(&path, &[BARE_PAYLOAD]) && path.is_file() {
            skipped.entry(dir.to_path_buf()).or_default().push(entry.file_name().to_string_lossy().into_owned());
        }
    }
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut name = text.as_str();
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    name.to_string()
}

/// The file's bytes (bounded, regular files only: see [`device_file::read`]), or the
/// diagnostic that says why they could not be read.
pub fn read(file: &Found) -> Result<Vec<u8>, Box<Diagnostic>> {
    device_file::read(&file.path, &file.name).map_err(|failure| match failure {
        ReadFailure::Content(d) => d,
        ReadFailure::Io(e) => Box::new(
            Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", file.name))
                .at(&file.name, device_file::start()),
        ),
    })
}

/// `.json` is a declaration; `.mobileconfig`, `.plist` and `.xml` are profiles; any other
/// file named on the command line is a declaration when it starts like JSON.
pub fn kind(file: &Found, bytes: &[u8]) -> Kind {
    if has_extension(&file.path, &[DECLARATION]) {
        return Kind::Declaration;
    }
    if has_extension(&file.path, &[PROFILE, "plist", "xml"]) {
        return Kind::Profile;
    }
    match device_file::Format::detect(bytes) {
        device_file::Format::Json => Kind::Declaration,
        _ => Kind::Profile,
    }
}
