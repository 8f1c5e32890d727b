//! Writing the output tree: everything goes to a temporary folder beside `--out`, which
//! replaces `--out` only once complete. Nothing outside `--out` is written or deleted (but
//! the lock file, that temporary folder, and the old tree while it is swapped out).
//!
//! A build holds an exclusive lock (`.<out>.ddmc-lock`, beside `out`) from start to end, so
//! two builds of the same output run one after the other; under the lock, temporary folders
//! that killed builds left behind are removed. On Linux the new tree and the old one are
//! swapped in one atomic `renameat2(RENAME_EXCHANGE)`: at every instant `out` is a complete
//! old or a complete new build. Elsewhere, or where the file system refuses the exchange,
//! two renames are the fallback.
//!
//! Incremental: a file whose bytes are already in the current output is not written again;
//! the new tree gets a hard link to it (same inode, same modification time), so a build
//! after one policy changed writes only what changed, and removing the old tree afterwards
//! only unlinks names. Files are never modified in place, so sharing them is safe.

use super::OutputFile;
use super::manifest::GENERATOR;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why the output could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// `--out` holds something that is not a previous ddmc output: refuse to replace it.
    NotOurs(PathBuf),
    /// `--out` is a symbolic link: replacing it would silently turn it into a folder.
    Symlink(PathBuf),
    Io(PathBuf, io::Error),
}

impl WriteError {
    /// A usage error (the output folder was badly chosen), not a failure of the disk.
    pub fn is_usage(&self) -> bool {
        matches!(self, WriteError::NotOurs(_) | WriteError::Symlink(_))
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::NotOurs(p) => write!(
                f,
                "`{}` exists and is not a ddmc output folder (it has no ddmc manifest.json); refusing to replace it",
                p.display()
            ),
            WriteError::Symlink(p) => write!(
                f,
                "the output folder `{}` is a symbolic link; ddmc does not replace links: pass the folder it points \
                 to as `--out`",
                p.display()
            ),
            WriteError::Io(p, e) => write!(f, "cannot write `{}`: {e}", p.display()),
        }
    }
}

/// What temporary names beside `out` look like: `.<out>.ddmc-new-<pid>`, `.<out>.ddmc-old-<pid>`.
const STAGING: &str = "ddmc-new-";
const RETIRED: &str = "ddmc-old-";
const LOCK: &str = "ddmc-lock";

/// Replaces `out` with exactly `files`. `waiting` is called once if another build holds the
/// lock on `out` and this one has to wait for it.
pub fn write_tree(out: &Path, files: &[OutputFile], waiting: &mut dyn FnMut()) -> Result<(), WriteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e| WriteError::Io(path, e)
    };
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(WriteError::Symlink(out.to_path_buf()));
    }
    // Checked before the lock too, so that a refused folder gets no lock file beside it.
    if out.exists() && !is_ours(out) {
        return Err(WriteError::NotOurs(out.to_path_buf()));
    }
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let _lock = lock(&parent.join(format!(".{name}.{LOCK}")), waiting)?;
    remove_leftovers(&parent, &name)?;
    if out.exists() && !is_ours(out) {
        return Err(WriteError::NotOurs(out.to_path_buf()));
    }
    let staging = parent.join(format!(".{name}.{STAGING}{}", std::process::id()));
    let retired = parent.join(format!(".{name}.{RETIRED}{}", std::process::id()));
    let result = (|| {
        let mut made = BTreeSet::new();
        for file in files {
            let path = staging.join(&file.path);
            if let Some(dir) = path.parent()
                && made.insert(dir.to_path_buf())
            {
                fs::create_dir_all(dir).map_err(io(dir))?;
            }
            let current = out.join(&file.path);
            if !(unchanged(&current, &file.bytes) && fs::hard_link(&current, &path).is_ok()) {
                fs::write(&path, &file.bytes).map_err(io(&path))?;
            }
        }
        match swap(&staging, out, &retired).map_err(io(out))? {
            Swapped::Exchanged => fs::remove_dir_all(&staging).map_err(io(&staging)),
            Swapped::Renamed { retired: true } => fs::remove_dir_all(&retired).map_err(io(&retired)),
            Swapped::Renamed { retired: false } | Swapped::First => Ok(()),
        }
    })();
    if result.is_err() && staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Whether `path` in the current output is a regular file (not a link, and no other name
/// for it: a hard link planted from elsewhere is not shared) holding exactly `bytes`: then
/// the new tree shares it by a hard link instead of writing it again.
fn unchanged(path: &Path, bytes: &[u8]) -> bool {
    let Ok(file) = open_no_follow(path) else { return false };
    let Ok(meta) = file.metadata() else { return false };
    if !meta.is_file() || meta.len() != bytes.len() as u64 || !sole_name(&meta) {
        return false;
    }
    let mut current = Vec::with_capacity(bytes.len());
    // One byte more than expected, so a file that grew meanwhile is seen as changed.
    file.take(bytes.len() as u64 + 1).read_to_end(&mut current).is_ok() && current == bytes
}

#[cfg(unix)]
fn sole_name(meta: &fs::Metadata) -> bool {
    std::os::unix::fs::MetadataExt::nlink(meta) == 1
}

#[cfg(not(unix))]
fn sole_name(_: &fs::Metadata) -> bool {
    true
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    use rustix::fs::{Mode, OFlags};
    let fd =
        rustix::fs::open(path, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK, Mode::empty())?;
    Ok(fs::File::from(fd))
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::other("a link"));
    }
    fs::File::open(path)
}

/// An exclusive lock on the output, held until the file is dropped.
fn lock(path: &Path, waiting: &mut dyn FnMut()) -> Result<fs::File, WriteError> {
    let io = |e| WriteError::Io(path.to_path_buf(), e);
    let file = fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            waiting();
            file.lock().map_err(io)?;
        }
        Err(fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    Ok(file)
}

/// Temporary folders of earlier builds of `out` that were killed: only ddmc's own names, only
/// beside `out`, only real folders (a link is removed, never followed). Called under the lock.
fn remove_leftovers(parent: &Path, name: &str) -> Result<(), WriteError> {
    let ours = [format!(".{name}.{STAGING}"), format!(".{name}.{RETIRED}")];
    let entries = fs::read_dir(parent).map_err(|e| WriteError::Io(parent.to_path_buf(), e))?;
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = ours.iter().find_map(|prefix| file_name.strip_prefix(prefix.as_str())) else { continue };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let path = entry.path();
        let removed = match entry.file_type() {
            Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
            Ok(_) => fs::remove_file(&path),
            Err(e) => Err(e),
        };
        removed.map_err(|e| WriteError::Io(path, e))?;
    }
    Ok(())
}

/// How the new tree took the place of the old one.
#[derive(Debug, PartialEq, Eq)]
enum Swapped {
    /// No old tree: one rename.
    First,
    /// One atomic exchange: the old tree is now at the staging path.
    Exchanged,
    /// The fallback: the old tree renamed away (to `retired`, if there was one), the new one in.
    Renamed { retired: bool },
}

fn swap(staging: &Path, out: &Path, retired: &Path) -> io::Result<Swapped> {
    if fs::symlink_metadata(out).is_err() {
        fs::rename(staging, out)?;
        return Ok(Swapped::First);
    }
    if exchange(staging, out)? {
        return Ok(Swapped::Exchanged);
    }
    fs::rename(out, retired)?;
    if let Err(e) = fs::rename(staging, out) {
        let _ = fs::rename(retired, out);
        return Err(e);
    }
    Ok(Swapped::Renamed { retired: true })
}

/// Atomically exchanges two paths; `false` when the system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

/// An empty folder, or one whose manifest says ddmc wrote it.
fn is_ours(out: &Path) -> bool {
    if !out.is_dir() {
        return false;
    }
    let empty = fs::read_dir(out).map(|mut d| d.next().is_none()).unwrap_or(false);
    if empty {
        return true;
    }
    fs::read_to_string(out.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|m| m["generator"] == GENERATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile { path: path.into(), bytes: text.as_bytes().to_vec() }
    }

    fn manifest() -> OutputFile {
        file("manifest.json", r#"{"generator": "ddmc"}"#)
    }

    #[test]
    fn replaces_a_previous_output_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        write_tree(&out, &[manifest(), file("declarations/a.json", "1")], &mut || {}).expect("first");
        write_tree(&out, &[manifest(), file("declarations/b.json", "2")], &mut || {}).expect("second");
        assert!(!out.join("declarations/a.json").exists(), "stale files go");
        assert_eq!(fs::read_to_string(out.join("declarations/b.json")).expect("b"), "2");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
        let names: Vec<_> = leftovers.iter().map(|e| e.as_ref().expect("entry").file_name()).collect();
        assert_eq!(names.len(), 2, "only out and its lock, no temporary folders: {names:?}");
    }

    #[test]
    fn refuses_to_replace_a_foreign_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("docs");
        fs::create_dir(&out).expect("mkdir");
        fs::write(out.join("notes.txt"), "keep me").expect("write");
        let err = write_tree(&out, &[manifest()], &mut || {}).expect_err("foreign");
        assert!(matches!(err, WriteError::NotOurs(_)));
        assert_eq!(fs::read_to_string(out.join("notes.txt")).expect("kept"), "keep me");
    }

    /// The swap is one atomic exchange where the system offers it: never an instant without
    /// a complete output folder.
    #[test]
    #[cfg(target_os = "linux")]
    fn the_swap_is_one_exchange_on_linux() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (staging, out, retired) = (dir.path().join("new"), dir.path().join("out"), dir.path().join("old"));
        fs::create_dir(&staging).expect("mkdir");
        fs::write(staging.join("v"), "new").expect("write");
        assert_eq!(swap(&staging, &out, &retired).expect("first"), Swapped::First);
        fs::create_dir(&staging).expect("mkdir");
        fs::write(staging.join("v"), "newer").expect("write");
        assert_eq!(swap(&staging, &out, &retired).expect("swap"), Swapped::Exchanged);
        assert_eq!(fs::read_to_string(out.join("v")).expect("out"), "newer");
        assert_eq!(fs::read_to_string(staging.join("v")).expect("old"), "new", "the old tree is at the staging path");
        assert!(!retired.exists());
    }

    /// Temporary folders of killed builds go (ddmc's own names beside `out` only), even one
    /// whose pid this process now has.
    #[test]
    fn leftovers_of_killed_builds_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let (new, old) =
            (format!(".out.ddmc-new-{}", std::process::id()), format!(".out.ddmc-old-{}", std::process::id()));
        fs::create_dir_all(dir.path().join("out/declarations")).expect("mkdir");
        fs::write(dir.path().join("out/manifest.json"), r#"{"generator": "ddmc"}"#).expect("earlier output");
        for name in [&new, &old, ".out.ddmc-new-1", ".out.ddmc-old-77", ".other.ddmc-new-5", ".out.ddmc-new-x"] {
            fs::create_dir_all(dir.path().join(name).join("declarations")).expect("mkdir");
        }
        write_tree(&out, &[manifest()], &mut || {}).expect("build");
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into())
            .collect();
        names.sort();
        assert_eq!(names, [".other.ddmc-new-5", ".out.ddmc-lock", ".out.ddmc-new-x", "out"]);
    }

    #[test]
    #[cfg(unix)]
    fn a_link_as_output_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real");
        fs::create_dir(&real).expect("mkdir");
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let err = write_tree(&link, &[manifest()], &mut || {}).expect_err("link");
        assert!(matches!(err, WriteError::Symlink(_)), "{err}");
        assert!(fs::symlink_metadata(&link).expect("still there").file_type().is_symlink());
        assert_eq!(fs::read_dir(&real).expect("real").count(), 0);
    }
    /// A rebuild shares unchanged files with the old tree (same inode: not rewritten) and
    /// writes only the changed ones.
    #[test]
    #[cfg(unix)]
    fn unchanged_files_are_not_rewritten() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let first = [manifest(), file("declarations/a.json", "1"), file("declarations/b.json", "2")];
        write_tree(&out, &first, &mut || {}).expect("first");
        let inode = |p: &str| fs::metadata(out.join(p)).expect("metadata").ino();
        let (a, b) = (inode("declarations/a.json"), inode("declarations/b.json"));
        let second = [manifest(), file("declarations/a.json", "1"), file("declarations/b.json", "3")];
        write_tree(&out, &second, &mut || {}).expect("second");
        assert_eq!(inode("declarations/a.json"), a, "unchanged: the same file");
        assert_ne!(inode("declarations/b.json"), b, "changed: a new file");
        assert_eq!(fs::read_to_string(out.join("declarations/b.json")).expect("b"), "3");
        assert_eq!(fs::metadata(out.join("declarations/a.json")).expect("a").nlink(), 1, "the old tree is gone");
    }

    /// A link planted in the output, symbolic or hard (another name for a file elsewhere), is
    /// never shared into the new tree, even when it has the right bytes: the new tree holds a
    /// regular file of its own, and a later change to that file cannot reach the output.
    #[test]
    #[cfg(unix)]
    fn a_planted_link_in_the_output_is_replaced_by_a_file() {
        type Plant = fn(&Path, &Path) -> io::Result<()>;
        let plant: [(&str, Plant); 2] =
            [("symbolic", |a, b| std::os::unix::fs::symlink(a, b)), ("hard", |a, b| fs::hard_link(a, b))];
        for (kind, link) in plant {
            let dir = tempfile::tempdir().expect("tempdir");
            let out = dir.path().join("out");
            write_tree(&out, &[manifest(), file("declarations/a.json", "1")], &mut || {}).expect("first");
            let outside = dir.path().join("outside.json");
            fs::write(&outside, "1").expect("write");
            fs::remove_file(out.join("declarations/a.json")).expect("rm");
            link(&outside, &out.join("declarations/a.json")).expect("link");
            write_tree(&out, &[manifest(), file("declarations/a.json", "1")], &mut || {}).expect("second");
            let meta = fs::symlink_metadata(out.join("declarations/a.json")).expect("a");
            assert!(meta.file_type().is_file(), "{kind}: a regular file, not the link");
            fs::write(&outside, "changed").expect("write");
            assert_eq!(fs::read_to_string(out.join("declarations/a.json")).expect("a"), "1", "{kind}");
        }
    }
}
