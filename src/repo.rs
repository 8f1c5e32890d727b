//! Finding a repository's files: `ddmc.yaml` and `policies/**/*.{yaml,yml,json}`, in a
//! sorted order so that nothing depends on the order the file system lists them in.
//!
//! A pull request controls everything here, so every file must stay inside the repository:
//! a symbolic link to a file is followed only when its canonical target is under the
//! repository's canonical root, links to folders are never followed (no cycles, no escape),
//! and anything that is not a regular file (FIFO, socket, device) is reported, never opened
//! for reading. Every read is bounded by [`limits::MAX_SOURCE_BYTES`].

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::limits;
use crate::source::{Pos, SourceFile, Span};
use crate::stamp::{Stamp, stamp};
use rayon::prelude::*;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub const PROJECT_FILE: &str = "ddmc.yaml";
pub const POLICY_DIR: &str = "policies";
const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

pub struct Repository {
    pub root: PathBuf,
    pub project: Option<SourceFile>,
    pub policies: Vec<SourceFile>,
    /// Files ddmc refused to read or could not decode, one diagnostic each.
    pub problems: Vec<Diagnostic>,
    /// The readable start of files that are not UTF-8, so that a diagnostic can show the line.
    pub fragments: Vec<SourceFile>,
    /// Policy files found and not read yet ([`Repository::read_policies`]), in name order.
    found: Vec<Found>,
}

#[derive(Debug)]
pub enum LoadError {
    /// The repository folder does not exist (a usage error).
    NoRepository(PathBuf),
    /// The command line asks for something the repository does not have (`--env` naming an
    /// environment `ddmc.yaml` does not define): a usage error.
    Usage(String),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NoRepository(p) => write!(f, "`{}` is not a folder", p.display()),
            LoadError::Usage(message) => f.write_str(message),
            LoadError::Io(p, e) => write!(f, "cannot read `{}`: {e}", p.display()),
        }
    }
}

/// The repository at `root`, every file read.
pub fn load(root: &Path) -> Result<Repository, LoadError> {
    let mut repo = find(root)?;
    repo.read_policies(None)?;
    Ok(repo)
}

/// The repository at `root` with `ddmc.yaml` read and its policy files found, not read:
/// [`Repository::read_policies`] reads them.
pub fn find(root: &Path) -> Result<Repository, LoadError> {
    if !root.is_dir() {
        return Err(LoadError::NoRepository(root.to_path_buf()));
    }
    let canonical = root.canonicalize().map_err(|e| LoadError::Io(root.to_path_buf(), e))?;
    let mut repo = Repository {
        root: root.to_path_buf(),
        project: None,
        policies: Vec::new(),
        problems: Vec::new(),
        fragments: Vec::new(),
        found: Vec::new(),
    };
    let walker = Walker { root, canonical: &canonical, max_files: limits::MAX_POLICY_FILES };
    let project = root.join(PROJECT_FILE);
    if let Some(open) = walker.file(&project, PROJECT_FILE, &mut repo.problems)? {
        repo.project = read(&open, &project, PROJECT_FILE)?.keep(&mut repo);
    }
    let mut found = Vec::new();
    if let Some(dir) = walker.policy_dir(&mut repo.problems)? {
        walker.walk(&dir, &display_name(root, &dir), 0, &mut found, &mut repo.problems)?;
    }
    found.sort();
    repo.found = found;
    Ok(repo)
}

/// Whether a policy file, by its name and stamp, holds what it held when a build's policy
/// cache remembered it.
pub type Unchanged<'a> = &'a (dyn Fn(&str, &Stamp) -> bool + Sync);

impl Repository {
    /// A repository of files given, not found on disk (`policies` in name order).
    pub fn given(project: Option<SourceFile>, policies: Vec<SourceFile>) -> Repository {
        let (problems, fragments, found) = (Vec::new(), Vec::new(), Vec::new());
        Repository { root: PathBuf::new(), project, policies, problems, fragments, found }
    }

    /// The stamp of each policy file [`find`] found that is a regular file (not a link), in
    /// order, taken on every core: what [`Repository::read_policies`] asks a build's policy
    /// cache about. Each folder is opened once and its files looked up by name in it (an
    /// `lstat` by the whole path walks every folder above it again).
    #[cfg(unix)]
    pub fn stamp_policies(&self) -> Vec<Option<Stamp>> {
        let in_one_folder = |a: &Found, b: &Found| a.2.parent() == b.2.parent();
        let stamps: Vec<Vec<Option<Stamp>>> = self
            .found
            .par_chunk_by(in_one_folder)
            .map(|files| {
                let folder = files[0].2.parent().and_then(|dir| fs::File::open(dir).ok());
                let at = |(_, open, path): &Found| {
                    let name = path.file_name().filter(|_| open == path)?;
                    let stat = rustix::fs::statat(folder.as_ref()?, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW);
                    crate::stamp::stamp_of(&stat.ok()?)
                };
                files.iter().map(at).collect()
            })
            .collect();
        stamps.into_iter().flatten().collect()
    }

    /// Elsewhere no file has a stamp: every file is read.
    #[cfg(not(unix))]
    pub fn stamp_policies(&self) -> Vec<Option<Stamp>> {
        Vec::new()
    }

    /// Reads the policy files [`find`] found, on every core, kept (and the first I/O error
    /// reported) in name order. One whose stamp (`vouched`: as [`Repository::stamp_policies`]
    /// took them) the cache's `unchanged` vouches for is not read ([`SourceFile::unread`]).
    pub fn read_policies(&mut self, vouched: Option<(&[Option<Stamp>], Unchanged<'_>)>) -> Result<(), LoadError> {
        let found = std::mem::take(&mut self.found);
        let read: Vec<Result<Outcome, LoadError>> = found
            .par_iter()
            .enumerate()
            .map(|(i, (name, open, path))| {
                if let Some((stamps, unchanged)) = vouched
                    && let Some(&Some(stamp)) = stamps.get(i)
                    && unchanged(name, &stamp)
                {
                    let file = SourceFile { stamp: Some(stamp), unread: true, ..SourceFile::new(name, path, "") };
                    return Ok(Outcome::Text(file));
                }
                read(open, path, name)
            })
            .collect();
        for outcome in read {
            if let Some(file) = outcome?.keep(self) {
                self.policies.push(file);
            }
        }
        Ok(())
    }

    /// Reads the policy files not read ([`SourceFile::unread`]) that a diagnostic points
    /// into, for its snippet. One that cannot be read now keeps no text (the diagnostic is
    /// shown without its snippet).
    pub fn read_pointed_at<'d>(&mut self, diagnostics: impl Iterator<Item = &'d Diagnostic>) {
        if !self.policies.iter().any(|f| f.unread) {
            return;
        }
        let mut pointed: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for d in diagnostics {
            pointed.extend(d.location.iter().chain(d.related.iter().map(|r| &r.location)).map(|l| l.file.as_str()));
        }
        for file in self.policies.iter_mut().filter(|f| f.unread && pointed.contains(f.name.as_str())) {
            if let Ok(Outcome::Text(read)) = read(&file.path, &file.path, &file.name) {
                *file = read;
            }
        }
    }
}

pub fn is_policy_file(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str());
    extension.is_some_and(|e| EXTENSIONS.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

/// (display name, path to open, path as found): the display name first, for sorting.
type Found = (String, PathBuf, PathBuf);

struct Walker<'a> {
    root: &'a Path,
    /// The repository's canonical path: every file read must be below it.
    canonical: &'a Path,
    /// [`limits::MAX_POLICY_FILES`], but for tests.
    max_files: usize,
}

impl Walker<'_> {
    /// `policies/` itself: a real folder, or a link to a folder inside the repository.
    fn policy_dir(&self, problems: &mut Vec<Diagnostic>) -> Result<Option<PathBuf>, LoadError> {
        let dir = self.root.join(POLICY_DIR);
        let Some(meta) = lstat(&dir)? else { return Ok(None) };
        if meta.is_dir() {
            return Ok(Some(dir));
        }
        if !meta.file_type().is_symlink() {
            return Ok(None);
        }
        // Walked through the link, so that names stay `policies/...`.
        match self.resolve(&dir, POLICY_DIR) {
            Ok(target) if target.is_dir() => Ok(Some(dir)),
            Ok(_) => Ok(None),
            Err(d) => {
                problems.push(*d);
                Ok(None)
            }
        }
    }

    /// Policy files below `dir` (named `dir_name` in messages); hidden files and folders are
    /// skipped. `false` once the file limit is reached: the walk stops there.
    fn walk(
        &self,
        dir: &Path,
        dir_name: &str,
        depth: usize,
        out: &mut Vec<Found>,
        problems: &mut Vec<Diagnostic>,
    ) -> Result<bool, LoadError> {
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
            .and_then(|entries| entries.collect::<Result<_, _>>())
            .map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
        // Each name read once, not at every comparison (a folder of thousands of policies).
        entries.sort_by_cached_key(fs::DirEntry::file_name);
        for entry in entries {
            let file_name = entry.file_name();
            if file_name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let path = entry.path();
            // The folder's name and the entry's: no walk over the path's components per file.
            let name = [dir_name, "/", &file_name.to_string_lossy()].concat();
            let kind = entry.file_type().map_err(|e| LoadError::Io(path.clone(), e))?;
            if kind.is_dir() {
                if depth + 1 > limits::MAX_POLICY_DEPTH {
                    problems.push(too_deep(&name));
                } else if !self.walk(&path, &name, depth + 1, out, problems)? {
                    return Ok(false);
                }
            } else if is_policy_file(&path) {
                // A regular file needs no second look (it is opened without following links
                // and checked again once open); a link is resolved and confined.
                let open = if kind.is_file() { Some(path.clone()) } else { self.file(&path, &name, problems)? };
                if let Some(open) = open {
                    if out.len() == self.max_files {
                        problems.push(too_many(self.max_files));
                        return Ok(false);
                    }
                    out.push((name, open, path));
                }
            } else if kind.is_symlink() {
                // Not a policy by its name; but it may be meant as a folder of policies.
                match fs::metadata(&path) {
                    Ok(meta) if meta.is_dir() => problems.push(folder_link(&name)),
                    Ok(_) => {}
                    Err(e) => problems.push(Diagnostic { severity: Severity::Warning, ..unresolvable(&name, &e) }),
                }
            }
        }
        Ok(true)
    }

    /// The path to open for a file that should be a policy or `ddmc.yaml`, `None` when it
    /// does not exist, or a diagnostic when it must not be read.
    fn file(&self, path: &Path, name: &str, problems: &mut Vec<Diagnostic>) -> Result<Option<PathBuf>, LoadError> {
        let Some(meta) = lstat(path)? else { return Ok(None) };
        let checked = if meta.file_type().is_symlink() {
            self.resolve(path, name).and_then(|target| match fs::metadata(&target) {
                Ok(m) if m.is_file() => Ok(target),
                Ok(m) => Err(Box::new(not_regular(name, &m, true))),
                Err(e) => Err(Box::new(unresolvable(name, &e))),
            })
        } else if meta.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(Box::new(not_regular(name, &meta, false)))
        };
        match checked {
            Ok(open) => Ok(Some(open)),
            Err(d) => {
                problems.push(*d);
                Ok(None)
            }
        }
    }

    /// The canonical target of the link at `path`, which must be inside the repository.
    fn resolve(&self, path: &Path, name: &str) -> Result<PathBuf, Box<Diagnostic>> {
        let target = fs::canonicalize(path).map_err(|e| Box::new(unresolvable(name, &e)))?;
        if !target.starts_with(self.canonical) {
            return Err(Box::new(
                Diagnostic::error(
                    Code::UnsafePath,
                    format!("`{name}` is a symbolic link to a path outside the repository"),
                )
                .note("ddmc reads only files inside the repository; the link's target was not read")
                .help(format!("copy the file into the repository instead of linking to it, or remove `{name}`")),
            ));
        }
        Ok(target)
    }
}

/// The file's own metadata (a link is not followed); `None` when there is nothing there.
fn lstat(path: &Path) -> Result<Option<fs::Metadata>, LoadError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LoadError::Io(path.to_path_buf(), e)),
    }
}

/// What reading one file gave: its text, or why it was not read (with the readable start
/// of a file that is not UTF-8, for the snippet).
enum Outcome {
    Text(SourceFile),
    Refused(Box<Diagnostic>, Option<SourceFile>),
}

impl Outcome {
    /// The file, or `None` with its problem recorded in `repo`.
    fn keep(self, repo: &mut Repository) -> Option<SourceFile> {
        match self {
            Outcome::Text(file) => Some(file),
            Outcome::Refused(problem, fragment) => {
                repo.problems.push(*problem);
                repo.fragments.extend(fragment);
                None
            }
        }
    }
}

/// A policy file not read ([`SourceFile::unread`]) read now, or why it cannot be, in
/// `problems`.
pub fn read_again(file: &SourceFile, problems: &mut crate::diagnostics::Diagnostics) -> Option<SourceFile> {
    match read(&file.path, &file.path, &file.name) {
        Ok(Outcome::Text(read)) => Some(read),
        Ok(Outcome::Refused(problem, _)) => {
            problems.push(*problem);
            None
        }
        Err(e) => {
            problems.push(Diagnostic::error(Code::Io, e.to_string()).at(&file.name, Span::default()));
            None
        }
    }
}

/// Reads at most [`limits::MAX_SOURCE_BYTES`] of `open`. Never blocks: the file was a regular
/// file when looked at, and is opened non-blocking and checked again once open, in case it was
/// swapped for a FIFO in between.
fn read(open: &Path, path: &Path, name: &str) -> Result<Outcome, LoadError> {
    let io = |e| LoadError::Io(path.to_path_buf(), e);
    let file = open_nonblocking(open).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Ok(Outcome::Refused(Box::new(not_regular(name, &meta, false)), None));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limits::MAX_SOURCE_BYTES) as usize + 1);
    file.take(limits::MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limits::MAX_SOURCE_BYTES {
        return Ok(Outcome::Refused(Box::new(too_large(name)), None));
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            // Taken before reading: a change made while it was read moves its change time.
            let stamp = if open == path { stamp(&meta) } else { None };
            Ok(Outcome::Text(SourceFile { stamp, ..SourceFile::new(name, path, text) }))
        }
        Err(e) => {
            let (pos, fragment) = first_invalid(e.as_bytes(), e.utf8_error().valid_up_to());
            let mut d = Diagnostic::error(Code::Syntax, format!("`{name}` is not UTF-8 text"))
                .at(name, Span::point(pos))
                .label("the first byte that is not UTF-8")
                .help("save it as UTF-8");
            if e.as_bytes().starts_with(&[0xFF, 0xFE]) || e.as_bytes().starts_with(&[0xFE, 0xFF]) {
                d = d.note("it starts with a UTF-16 byte order mark: it was saved as UTF-16");
            }
            let fragment = SourceFile::new(name, path, fragment);
            Ok(Outcome::Refused(Box::new(d), Some(fragment)))
        }
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW;
    fs::OpenOptions::new().read(true).custom_flags(flags.bits() as i32).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<fs::File> {
    fs::File::open(path)
}

/// The position of the first invalid byte (line and column in characters), and the text up
/// to the end of its line, lossily decoded, for the snippet.
fn first_invalid(bytes: &[u8], valid: usize) -> (Pos, String) {
    let before = String::from_utf8_lossy(&bytes[..valid]);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let pos = Pos { line: line as u32, column: column as u32, offset: valid };
    let end = bytes[valid..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| valid + i);
    (pos, String::from_utf8_lossy(&bytes[..end]).into_owned())
}

fn unresolvable(name: &str, e: &io::Error) -> Diagnostic {
    let looping = rustix::io::Errno::from_io_error(e) == Some(rustix::io::Errno::LOOP);
    let (what, help) = if looping {
        ("is a symbolic link that loops (it resolves to itself)", "replace the link with the file it should name")
    } else if e.kind() == io::ErrorKind::NotFound {
        (
            "is a dangling symbolic link (its target does not exist)",
            "remove the link, or point it at a file in the repository",
        )
    } else {
        ("is a symbolic link that cannot be followed", "replace the link with the file it should name")
    };
    Diagnostic::error(Code::UnsafePath, format!("`{name}` {what}")).help(help)
}

fn not_regular(name: &str, meta: &fs::Metadata, via_link: bool) -> Diagnostic {
    let kind = special_kind(meta);
    let what = if via_link { format!("is a symbolic link to {kind}") } else { format!("is {kind}") };
    Diagnostic::error(Code::UnsafePath, format!("`{name}` {what}, not a regular file; it was not read"))
        .help(format!("policies and `{PROJECT_FILE}` are plain text files; remove `{name}` or rename it"))
}

fn special_kind(meta: &fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    "a special file"
}

fn too_large(name: &str) -> Diagnostic {
    let limit = limits::bytes(limits::MAX_SOURCE_BYTES);
    Diagnostic::error(
        Code::TooLarge,
        format!("`{name}` is larger than {limit}, the limit for one file; it was not read"),
    )
    .help("a policy is a few KiB: split it into several policies, or remove what is not policy")
}

fn too_many(limit: usize) -> Diagnostic {
    Diagnostic::error(
        Code::TooLarge,
        format!("`{POLICY_DIR}/` holds more than {limit} policy files; the rest were not read"),
    )
    .help("merge policies, or move files that are not policies out of `policies/`")
}

fn too_deep(name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::TooLarge,
        format!(
            "`{name}` is nested more than {} folders below `{POLICY_DIR}/`; it was not read",
            limits::MAX_POLICY_DEPTH
        ),
    )
    .help("flatten the folder structure")
}

fn folder_link(name: &str) -> Diagnostic {
    Diagnostic::warning(Code::UnsafePath, format!("`{name}` is a symbolic link to a folder; ddmc does not follow it"))
        .note("links to folders are never followed, so that the policies cannot leave the repository or loop")
        .help(format!("move the folder into `{POLICY_DIR}/` instead of linking to it"))
}

/// `policies/mac/baseline.yaml`: relative to the repository, `/`-separated.
fn display_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk stops at the file limit, with one error, instead of reading everything.
    #[test]
    fn the_walk_stops_at_the_file_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        for folder in ["a", "b"] {
            for i in 0..3 {
                let path = dir.path().join(POLICY_DIR).join(folder).join(format!("p{i}.yaml"));
                fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                fs::write(path, "id: p\n").expect("write");
            }
        }
        let canonical = dir.path().canonicalize().expect("canonical");
        let walker = Walker { root: dir.path(), canonical: &canonical, max_files: 4 };
        let (mut found, mut problems) = (Vec::new(), Vec::new());
        let complete =
            walker.walk(&dir.path().join(POLICY_DIR), POLICY_DIR, 0, &mut found, &mut problems).expect("walk");
        assert!(!complete);
        assert_eq!(found.len(), 4);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].message, "`policies/` holds more than 4 policy files; the rest were not read");
    }

    #[test]
    fn the_first_invalid_byte_is_found_by_line_and_character() {
        let (pos, fragment) = first_invalid(b"id: x\ndescription: \xc3\xa9t\xe9\nmore\n", 22);
        assert_eq!((pos.line, pos.column, pos.offset), (2, 16, 22));
        assert_eq!(fragment, "id: x\ndescription: \u{e9}t\u{fffd}");
    }
}
