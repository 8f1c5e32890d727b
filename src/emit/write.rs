//! Writing the output tree: the new build is put together in a folder beside `--out`,
//! which replaces `--out` only once complete. Nothing outside `--out` is written or deleted
//! (but the lock file, the spare tree and the index beside it).
//!
//! A build holds an exclusive lock (`.<out>.ddmc-lock`, beside `out`) from start to end, so
//! two builds of the same output run one after the other. On Linux the new tree and the old
//! one are swapped in one atomic `renameat2(RENAME_EXCHANGE)`: at every instant `out` is a
//! complete old or a complete new build. Elsewhere, or where the file system refuses the
//! exchange, two renames are the fallback.
//!
//! Incremental, double-buffered: the tree the swap moves out of `out` stays beside it as the
//! spare (`.<out>.ddmc-spare`), and the next build brings the spare up to date instead of
//! writing a whole tree: a file already holding the right bytes stays; one the current output
//! holds is hard-linked from there (same inode, so the two trees together take the space of
//! one plus what changed); only the rest is written, and only what the new build no longer has
//! is removed. A build after one policy changed therefore writes and deletes a few files, not
//! the tree. Files are never modified in place, so sharing them is safe; a file with another
//! name than its twin in the other tree (a hard link planted from elsewhere) is never kept.
//! The spare is never visible as `out`, so a build killed while updating it leaves nothing
//! wrong: the next one checks every file of the spare again. What a file holds is known by
//! reading it, or from the index of the last build ([`Index`]) while the file is provably
//! unchanged since; a declaration file the index records as made from the same inputs is kept
//! without being rendered at all ([`Staging::kept`]).

use super::OutputFile;
use super::declaration::{Digest, Made};
use super::index::{Fingerprint, Index, Key, Known, fingerprint, key};
use super::manifest::GENERATOR;
#[cfg(unix)]
use crate::stamp::stamp_of;
use crate::stamp::{Stamp, stamp};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Names beside `out`: `.<out>.ddmc-spare`, the lock, and the temporary folders of earlier
/// versions of ddmc (`.<out>.ddmc-new-<pid>`, `.<out>.ddmc-old-<pid>`), which a build removes.
const SPARE: &str = "ddmc-spare";
/// What the last build left at `out` ([`Index`]): `.<out>.ddmc-index`.
const INDEX: &str = "ddmc-index";
const STAGING: &str = "ddmc-new-";
const RETIRED: &str = "ddmc-old-";
const LOCK: &str = "ddmc-lock";
/// A file of the spare being written (`.<name>.ddmc-part`, beside where it goes).
const PARTIAL: &str = "ddmc-part";
/// The policy cache of `out` (a build's `policy_cache`): `.<out>.ddmc-policies`.
const POLICIES: &str = "ddmc-policies";

/// Where the policy cache of the output folder `out` is: beside it, with the index.
pub fn policy_cache_path(out: &Path) -> PathBuf {
    let (parent, name) = parent_and_name(out);
    parent.join(format!(".{name}.{POLICIES}"))
}

/// The folder `out` is in, and its name.
fn parent_and_name(out: &Path) -> (PathBuf, String) {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (parent, name)
}

/// Replaces `out` with exactly `files`. `waiting` is called once if another build holds the
/// lock on `out` and this one has to wait for it.
pub fn write_tree(out: &Path, files: &[OutputFile], waiting: &mut dyn FnMut()) -> Result<(), WriteError> {
    let staging = Staging::open(out, waiting)?;
    files.par_iter().for_each(|file| staging.place(&file.path, &file.bytes, None));
    staging.commit()
}

/// A build being written: the spare brought up to date one file at a time, from any thread,
/// as each is rendered, then swapped in whole by [`Staging::commit`]. Until then nothing at
/// `out` changes, and the lock on `out` is held.
pub struct Staging {
    out: PathBuf,
    parent: PathBuf,
    name: String,
    spare: PathBuf,
    index: PathBuf,
    /// The output, if there is one (the spare shares its files).
    current: Option<PathBuf>,
    known: Option<Index>,
    /// What the spare held before this build: files (links included), and folders with
    /// parents first.
    held_files: Vec<PathBuf>,
    held_dirs: Vec<PathBuf>,
    /// Folders of the spare known to exist, as relative paths, and whether this build has a
    /// file in them (or below).
    dirs: Mutex<HashMap<String, bool>>,
    /// One per thread (rayon's workers, and any other): what placing files needs to keep, so
    /// that threads placing them neither take turns nor share a cache line.
    lanes: Vec<Lane>,
    /// The first failure: nothing is swapped in after one.
    failed: Mutex<Option<WriteError>>,
    /// Whether `failed` holds one: looked at before every file.
    has_failed: AtomicBool,
    lock: fs::File,
}

/// A thread's [`Own`], on cache lines of its own.
#[repr(align(128))]
struct Lane(Mutex<Own>);

/// What one thread placing files keeps.
struct Own {
    placed: Vec<Placed>,
    /// How many of them were placed where the spare held a file (each path is placed once).
    over_held: usize,
    /// Folders of the spare this thread has seen to ([`Staging::folders_of`]), relative, with
    /// its handle on each once opened ([`Staging::look`]).
    folders: Vec<(String, Option<fs::File>)>,
}

/// A file of the new build: its path's digest, fingerprint, and stamp in the spare (for the
/// index). No path is kept: 60,000 of them took a sort and a walk at the end of every build.
struct Placed {
    key: Key,
    known: Known,
    stamp: Option<Stamp>,
}

impl Staging {
    /// Takes the lock on `out` (calling `waiting` first if another build holds it), refuses an
    /// output that is a link or not ddmc's, and readies the spare.
    pub fn open(out: &Path, waiting: &mut dyn FnMut()) -> Result<Staging, WriteError> {
        let (parent, name) = parent_and_name(out);
        if fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(WriteError::Symlink(out.to_path_buf()));
        }
        // Checked before the lock too, so that a refused folder gets no lock file beside it.
        if out.exists() && !is_ours(out) {
            return Err(WriteError::NotOurs(out.to_path_buf()));
        }
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let lock = lock(&parent.join(format!(".{name}.{LOCK}")), waiting)?;
        remove_leftovers(&parent, &name)?;
        if out.exists() && !is_ours(out) {
            return Err(WriteError::NotOurs(out.to_path_buf()));
        }
        let spare = parent.join(format!(".{name}.{SPARE}"));
        let index = parent.join(format!(".{name}.{INDEX}"));
        let current = fs::symlink_metadata(out).is_ok().then(|| out.to_path_buf());
        // The spare must be a real folder: anything else there (a link, a file) goes.
        match fs::symlink_metadata(&spare) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => fs::remove_file(&spare).map_err(io(&spare))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(WriteError::Io(spare.clone(), e)),
        }
        fs::create_dir_all(&spare).map_err(io(&spare))?;
        // The index is read while the spare is listed (tens of milliseconds, in the kernel).
        let (known, listed) =
            rayon::join(|| current.as_deref().and_then(|out| Index::load(&index, out)), || list(&spare));
        let (held_files, held_dirs) = listed.map_err(io(&spare))?;
        let dirs = held_dirs.iter().filter_map(|d| d.to_str().map(|d| (d.to_owned(), false))).collect();
        // About as many files as the spare held: one allocation per thread, not a doubling at
        // 60,000.
        let count = rayon::current_num_threads() + 1;
        let lanes = (0..count)
            .map(|_| {
                let placed = Vec::with_capacity(held_files.len() / count + 1);
                Lane(Mutex::new(Own { placed, over_held: 0, folders: Vec::new() }))
            })
            .collect();
        Ok(Staging {
            out: out.to_path_buf(),
            parent,
            name,
            spare,
            index,
            current,
            known,
            held_files,
            held_dirs,
            dirs: Mutex::new(dirs),
            lanes,
            failed: Mutex::new(None),
            has_failed: AtomicBool::new(false),
            lock,
        })
    }

    /// Puts `bytes` at `path` (relative, `/`-separated) in the spare: kept if a file there
    /// holds them, shared with the output if it does, written otherwise. A failure is kept
    /// for [`Staging::commit`].
    /// `made`: what a declaration file was made from, recorded for the next build.
    pub fn place(&self, path: &str, bytes: &[u8], made: Option<Made>) {
        if self.has_failed.load(Ordering::Relaxed) {
            return;
        }
        let (print, key) = (fingerprint(bytes), key(path.as_bytes()));
        let content = Some(&Content::Bytes(bytes));
        let own = &mut self.own();
        let placed = self.folders_of(own, path).and_then(|()| self.put(own, path, key, content, Want::Print(print)));
        self.record(own, key, placed.map(|placed| placed.holding(Known { print, made })));
    }

    /// The ServerToken of the declaration file at `path` if the spare or the output holds the
    /// one made from inputs with `digest` (the index says so, and the file is unchanged
    /// since): it is kept, or shared from the output, and need not be rendered.
    pub fn kept(&self, path: &str, digest: &Digest) -> Option<String> {
        if self.has_failed.load(Ordering::Relaxed) || self.known.is_none() {
            return None;
        }
        let key = key(path.as_bytes());
        let own = &mut self.own();
        let placed = self.folders_of(own, path).and_then(|()| self.put(own, path, key, None, Want::Made(*digest)));
        match placed {
            Ok(Placement::Known(known, stamp)) => {
                let token = known.made.map(|made| made.server_token());
                self.record(own, key, Ok((known, stamp)));
                token
            }
            // Nothing there, or a failure (which placing it will meet and keep).
            _ => None,
        }
    }

    /// [`Staging::place`] for a file that `write` writes a part at a time (the manifest, tens
    /// of megabytes): it goes to a file of the spare first, never held whole, and is renamed
    /// into place. It is neither hashed nor compared with what was there, and the index does
    /// not record it: after any change it differs, and hashing it cost more than renaming.
    pub fn place_written(&self, path: &str, write: &mut dyn FnMut(&mut (dyn Write + Send)) -> io::Result<()>) {
        if self.has_failed.load(Ordering::Relaxed) {
            return;
        }
        let (folder, name) = path.rsplit_once('/').map_or(("", path), |(f, n)| (f, n));
        let partial = self.spare.join(folder).join(format!(".{name}.{PARTIAL}"));
        let own = &mut self.own();
        let written = self.folders_of(own, path).and_then(|()| {
            clear(&partial).map_err(io(&partial))?;
            let file = fs::OpenOptions::new().write(true).create_new(true).open(&partial).map_err(io(&partial))?;
            let mut out = io::BufWriter::with_capacity(BLOCK, file);
            write(&mut out).and_then(|()| out.flush()).map_err(io(&partial))
        });
        let key = key(path.as_bytes());
        let placed = written.and_then(|()| {
            let placed = self.put(own, path, key, Some(&Content::Written(&partial)), Want::Fresh);
            remove(&partial).map_err(io(&partial))?;
            // Listed as placed (so that it is not removed), with no stamp: not in the index.
            placed.map(|_| (Known { print: [0; 16], made: None }, None))
        });
        self.record(own, key, placed);
    }

    /// This thread's own [`Lane`].
    fn own(&self) -> std::sync::MutexGuard<'_, Own> {
        let lane = rayon::current_thread_index().map_or(0, |i| i + 1);
        guard(&self.lanes[lane.min(self.lanes.len() - 1)].0)
    }

    /// A file placed (`key`: its path's digest), or the failure to place it.
    fn record(&self, own: &mut Own, key: Key, placed: Result<(Known, Option<Stamp>), WriteError>) {
        match placed {
            Ok((known, stamp)) => own.placed.push(Placed { key, known, stamp }),
            Err(e) => {
                guard(&self.failed).get_or_insert(e);
                self.has_failed.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Every folder above `path` (`a/b/c.json`: `a`, `a/b`) made a real folder in the spare,
    /// and kept.
    fn folders_of(&self, own: &mut Own, path: &str) -> Result<(), WriteError> {
        // Nearly always one this thread has seen to already (with all above it).
        let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
        if own.folders.iter().any(|(seen, _)| seen == folder) {
            return Ok(());
        }
        let mut dirs = guard(&self.dirs);
        for (i, _) in path.match_indices('/') {
            let dir = &path[..i];
            if let Some(wanted) = dirs.get_mut(dir) {
                *wanted = true;
                continue;
            }
            let full = self.spare.join(dir);
            // A file or link where a folder belongs goes; a link is never followed.
            if fs::symlink_metadata(&full).is_ok_and(|m| !m.is_dir()) {
                remove(&full).map_err(io(&full))?;
            }
            match fs::create_dir(&full) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(WriteError::Io(full, e)),
                _ => {}
            }
            dirs.insert(dir.to_owned(), true);
        }
        own.folders.push((folder.to_owned(), None));
        Ok(())
    }

    /// What is at `relative` (`path` in the spare), not followed, if anything. On Unix it is
    /// looked up by name in its folder, opened once: one path component instead of the whole
    /// path, about a microsecond less for each of the 60,000 files of a 10,000-policy build
    /// (2.9 against 3.9 us per `lstat` on the benchmark's machine).
    ///
    /// Each thread opens the folder for itself: one handle shared by all had every look
    /// contend for its reference count.
    fn look(&self, own: &mut Own, relative: &str) -> Option<Seen> {
        #[cfg(unix)]
        {
            let (folder, name) = relative.rsplit_once('/').unwrap_or(("", relative));
            // `folders_of` saw to the folder first.
            if let Some((_, handle)) = own.folders.iter_mut().find(|(seen, _)| seen == folder) {
                if handle.is_none() {
                    *handle = open_folder(&self.spare.join(folder)).ok();
                }
                if let Some(dir) = handle {
                    return Seen::at(dir, name);
                }
            }
        }
        // Elsewhere, or where the folder cannot be opened: by the whole path.
        #[cfg(not(unix))]
        let _ = (own, relative);
        fs::symlink_metadata(self.spare.join(relative))
            .ok()
            .map(|meta| Seen { stamp: stamp(&meta), dir: meta.is_dir() })
    }

    /// One file into the spare (`content`, or with none only an existing file known to be
    /// the one wanted); what it holds and its stamp there.
    fn put(
        &self,
        own: &mut Own,
        relative: &str,
        key: Key,
        content: Option<&Content<'_>>,
        want: Want,
    ) -> Result<Placement, WriteError> {
        let seen = self.look(own, relative);
        let placement = self.put_seen(relative, key, content, want, seen)?;
        // A file the spare held (a folder is not one), now this build's.
        if seen.is_some_and(|seen| !seen.dir) && !matches!(placement, Placement::Absent) {
            own.over_held += 1;
        }
        Ok(placement)
    }

    /// [`Staging::put`] once what is at `relative` in the spare was looked at (`kept`).
    fn put_seen(
        &self,
        relative: &str,
        key: Key,
        content: Option<&Content<'_>>,
        want: Want,
        kept: Option<Seen>,
    ) -> Result<Placement, WriteError> {
        // What the index knows a file to hold: the bytes it recorded at this path, while it is
        // the file recorded, unchanged since (a write, and adding or removing a name, move its
        // change time). Other files are read.
        let known = |stamp: Option<Stamp>| self.known.as_ref().and_then(|index| index.knows(key, stamp?));
        // The spare's file, shared with the output and unchanged: kept after one `lstat`, in
        // the steady state.
        let kept_known = kept.and_then(|seen| known(seen.stamp));
        if let (Some(kept), Some(k)) = (kept, kept_known)
            && want.met_by(&k)
        {
            return Ok(Placement::Known(k, kept.stamp));
        }
        let path = self.spare.join(relative);
        let twin = self.current.as_ref().map(|out| out.join(relative));
        // Looked at only where an index may know it (else `holds` reads it anyway).
        let twin_meta =
            twin.as_deref().filter(|_| self.known.is_some()).and_then(|twin| fs::symlink_metadata(twin).ok());
        let twin_known = twin_meta.as_ref().and_then(|meta| known(stamp(meta)));
        let from_current = match (&twin_meta, twin_known, content) {
            // Not the spare's file (that one would have been kept above): shared only while it
            // has no other name.
            (Some(meta), Some(k), _) if want.met_by(&k) => twin.filter(|_| sole_name(meta, None)).map(|t| (t, Some(k))),
            // Known only by what it is made from, and not there: nothing to write.
            (_, _, None) => return Ok(Placement::Absent),
            // A file already written (the manifest, tens of megabytes) is renamed into place:
            // reading an unknown one to keep an equal copy would cost more than it saves.
            (_, _, Some(Content::Written(_))) => None,
            // Read unless the index knows they hold other bytes.
            (_, _, Some(Content::Bytes(bytes))) => {
                // (Where the `lstat` above found nothing, there is nothing to read.)
                if kept.is_some()
                    && kept_known.is_none()
                    && let Some(kept) = holds(&path, bytes, twin.as_deref())
                {
                    return Ok(Placement::Placed(stamp(&kept)));
                }
                twin.filter(|twin| twin_known.is_none() && holds(twin, bytes, Some(&path)).is_some()).map(|t| (t, None))
            }
        };
        // Where the look found nothing there is nothing to remove: no `unlink` for each file of
        // a first build (what appeared since is refused by `create`, then removed).
        if let Some(seen) = kept {
            clear_seen(&path, seen.dir).map_err(io(&path))?;
        }
        if let Some((twin, k)) = from_current
            && fs::hard_link(&twin, &path).is_ok()
        {
            let stamp = fs::symlink_metadata(&path).ok().and_then(|m| stamp(&m));
            return Ok(k.map_or(Placement::Placed(stamp), |k| Placement::Known(k, stamp)));
        }
        match content {
            None => Ok(Placement::Absent),
            Some(Content::Bytes(bytes)) => {
                let created = match create(&path, bytes) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        clear(&path).and_then(|()| create(&path, bytes))
                    }
                    created => created,
                };
                created.map(|m| Placement::Placed(stamp(&m))).map_err(io(&path))
            }
            Some(Content::Written(partial)) => {
                fs::rename(partial, &path).map_err(io(&path))?;
                Ok(Placement::Placed(fs::symlink_metadata(&path).ok().and_then(|m| stamp(&m))))
            }
        }
    }

    /// Removes what the spare held and this build does not have, swaps the spare in as `out`
    /// (the old tree becomes the spare), and records the index of the new output.
    pub fn commit(self) -> Result<(), WriteError> {
        self.commit_then(|_| ())
    }

    /// [`Staging::commit`], then `then` while the lock is still held, given a free name beside
    /// `out` for a temporary file (the policy cache is written there, then renamed).
    pub fn commit_then(self, then: impl FnOnce(&Path)) -> Result<(), WriteError> {
        let lock = self.lock;
        if let Some(e) = self.failed.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            return Err(e);
        }
        // What the last build left is of no more use: freed before the lists below are made
        // (at 10,000 policies each of these is several megabytes).
        drop(self.known);
        let lanes: Vec<Own> = self
            .lanes
            .into_iter()
            .map(|lane| lane.0.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
            .collect();
        let over_held: usize = lanes.iter().map(|own| own.over_held).sum();
        let placed: Vec<Vec<Placed>> = lanes.into_iter().map(|own| own.placed).collect();
        let dirs = self.dirs.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let is_dir = |p: &PathBuf| p.to_str().is_some_and(|p| dirs.get(p).is_some_and(|wanted| *wanted));
        // What the new build does not have: files first (by their path's digest, as placed),
        // then the folders they were in (deepest first). A link is removed, never followed.
        // (What was a file and is now a folder, or the reverse, was replaced when placed.)
        let spare = &self.spare;
        let (held_files, held_dirs) = (self.held_files, self.held_dirs);
        let removed = || -> Result<(), WriteError> {
            let mut new: Vec<Key> = placed.iter().flatten().map(|p| p.key).collect();
            new.par_sort_unstable();
            // Each path placed once, over as many files as the spare held: every one of them
            // is this build's, and none is looked for (in the steady state, 60,000 paths not
            // hashed).
            let all_over_held = over_held == held_files.len() && new.windows(2).all(|w| w[0] != w[1]);
            if !all_over_held {
                held_files
                    .par_iter()
                    .filter(|file| {
                        new.binary_search(&key(file.as_os_str().as_encoded_bytes())).is_err() && !is_dir(file)
                    })
                    .try_for_each(|p| remove(&spare.join(p)))
                    .map_err(io(spare))?;
            }
            drop((new, held_files));
            for dir in held_dirs.iter().rev().filter(|d| !is_dir(d)) {
                let path = spare.join(dir);
                match fs::remove_dir(&path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(WriteError::Io(path, e)),
                    _ => {}
                }
            }
            Ok(())
        };
        // The index is written meanwhile (only a speed-up for the next build: without it, that
        // build reads every file), of the spare's folder, which the swap makes `out`: until
        // then it describes no folder at `out`, and is not used. Its temporary file has a
        // staging name, removed as a leftover if the build is killed.
        let temporary = self.parent.join(format!(".{}.{STAGING}{}", self.name, std::process::id()));
        let entries = placed.iter().flatten().filter_map(|p| Some((p.key, p.known, p.stamp?)));
        rayon::join(|| Index::write(&self.index, &temporary, spare, entries), removed).1?;
        let retired = self.parent.join(format!(".{}.{RETIRED}{}", self.name, std::process::id()));
        match swap(spare, &self.out, &retired).map_err(io(&self.out))? {
            // The old tree is the spare now.
            Swapped::Exchanged | Swapped::First | Swapped::Renamed { retired: false } => {}
            Swapped::Renamed { retired: true } => fs::rename(&retired, spare).map_err(io(spare))?,
        }
        then(&temporary);
        drop(lock);
        Ok(())
    }
}

/// What a placed file must be, as the index would know it: these bytes, or the declaration
/// file made from these inputs; or a file just written, which nothing there can be.
#[derive(Clone, Copy)]
enum Want {
    Print(Fingerprint),
    Made(Digest),
    Fresh,
}

impl Want {
    fn met_by(self, known: &Known) -> bool {
        match self {
            Want::Print(print) => known.print == print,
            Want::Made(digest) => known.made.is_some_and(|made| made.digest == digest),
            Want::Fresh => false,
        }
    }
}

/// Where [`Staging::put`] left a file.
enum Placement {
    /// A file the index knows, kept or shared from the output.
    Known(Known, Option<Stamp>),
    /// The content given, kept (the same bytes were there) or written.
    Placed(Option<Stamp>),
    /// Nothing: no content was given, and no file known to be the one wanted was there.
    Absent,
}

impl Placement {
    /// What the file holds, for the index, where it holds `content` (what was placed).
    fn holding(self, content: Known) -> (Known, Option<Stamp>) {
        match self {
            Placement::Known(_, stamp) | Placement::Placed(stamp) => (content, stamp),
            // Only placing without content leaves nothing.
            Placement::Absent => (content, None),
        }
    }
}

/// What a placed file is to hold: bytes at hand, or a file of the spare already written
/// (`.<name>.ddmc-part`), renamed into place.
enum Content<'a> {
    Bytes(&'a [u8]),
    Written(&'a Path),
}

/// The value behind a mutex, even if a thread panicked holding it (a panic is a bug, and the
/// build then fails anyway).
fn guard<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn io(path: &Path) -> impl FnOnce(io::Error) -> WriteError + use<> {
    let path = path.to_path_buf();
    move |e| WriteError::Io(path, e)
}

/// The files (anything not a folder, links included) and folders below `dir`, relative to
/// it and `/`-separated on every system, as the build's own paths are; folders in
/// breadth-first order, so parents before their children.
fn list(dir: &Path) -> io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    let mut next = 0;
    let mut current = Some(PathBuf::new());
    while let Some(relative) = current {
        for entry in fs::read_dir(dir.join(&relative))? {
            let entry = entry?;
            let mut path = relative.clone().into_os_string();
            if !path.is_empty() {
                path.push("/");
            }
            path.push(entry.file_name());
            let path = PathBuf::from(path);
            if entry.file_type()?.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
        current = dirs.get(next).cloned();
        next += 1;
    }
    Ok((files, dirs))
}

/// Removes the file or link at `path`, if there is one.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes whatever is at `path`: a file, a link (never followed), or a whole folder (one
/// where a file belongs, left by an older build or planted).
fn clear(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        seen => clear_seen(path, seen?.is_dir()),
    }
}

/// [`clear`] where what is at `path` was just looked at (`dir`: a folder was there): no
/// second `lstat` for each file a build writes.
fn clear_seen(path: &Path, dir: bool) -> io::Result<()> {
    if dir { fs::remove_dir_all(path) } else { remove(path) }
}

/// A new file (never through a link: it must not exist) holding `bytes`; its metadata once
/// written.
fn create(path: &Path, bytes: &[u8]) -> io::Result<fs::Metadata> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.metadata()
}

/// Whether `path` is a regular file (not a link) holding exactly `bytes`, with no other name
/// than `twin` (the same path in the other tree): then it can be kept or shared (its metadata
/// is returned). A hard link planted from elsewhere is neither.
fn holds(path: &Path, bytes: &[u8], twin: Option<&Path>) -> Option<fs::Metadata> {
    let mut file = open_no_follow(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() != bytes.len() as u64 || !sole_name(&meta, twin) {
        return None;
    }
    reads_as(&mut file, bytes).then_some(meta)
}

/// Whether `file`, of the length of `bytes`, holds exactly them.
fn reads_as(file: &mut fs::File, bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        // Its length was checked.
        return true;
    }
    // A block at a time (the manifest is tens of megabytes), one byte more than expected
    // for a small file, so that one which grew meanwhile is seen as changed.
    let mut block = vec![0; (bytes.len() + 1).min(BLOCK)];
    let mut done = 0;
    loop {
        match file.read(&mut block) {
            Ok(0) => return done == bytes.len(),
            Ok(n) => {
                if bytes.get(done..done + n) != Some(&block[..n]) {
                    return false;
                }
                done += n;
                // A read of a regular file stops short only at its end.
                if n < block.len() {
                    return done == bytes.len();
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// How much of a file [`holds`] reads, and [`Staging::place_written`] writes, at a time.
const BLOCK: usize = 1 << 16;

/// One name, or two where the other is `twin`.
#[cfg(unix)]
fn sole_name(meta: &fs::Metadata, twin: Option<&Path>) -> bool {
    use std::os::unix::fs::MetadataExt;
    match meta.nlink() {
        1 => true,
        2 => twin
            .and_then(|twin| fs::symlink_metadata(twin).ok())
            .is_some_and(|t| t.is_file() && t.dev() == meta.dev() && t.ino() == meta.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn sole_name(_: &fs::Metadata, _: Option<&Path>) -> bool {
    true
}

/// What [`Staging::look`] found at a file's place.
#[derive(Clone, Copy)]
struct Seen {
    /// A regular file's stamp.
    stamp: Option<Stamp>,
    /// A folder.
    dir: bool,
}

#[cfg(unix)]
impl Seen {
    /// What is at `name` in the folder `dir`, not followed.
    fn at(dir: &fs::File, name: &str) -> Option<Seen> {
        use rustix::fs::{AtFlags, FileType, statat};
        let stat = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        let dir = FileType::from_raw_mode(stat.st_mode as _) == FileType::Directory;
        Some(Seen { stamp: stamp_of(&stat), dir })
    }
}

/// A folder (never through a link), opened to look up its files by name.
#[cfg(unix)]
fn open_folder(path: &Path) -> io::Result<fs::File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(fs::File::from(rustix::fs::open(path, flags, Mode::empty())?))
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
    empty || fs::File::open(out.join("manifest.json")).is_ok_and(marked)
}

/// Whether a manifest says `"generator": "ddmc"`. ddmc writes that member first: its start
/// is enough, which matters with a manifest of tens of megabytes. One written otherwise is
/// read whole, its other members skipped.
fn marked(mut manifest: fs::File) -> bool {
    #[derive(serde::Deserialize)]
    struct Marker {
        generator: String,
    }
    let mut start = [0; 64];
    let n = manifest.read(&mut start).unwrap_or(0);
    let words: Vec<&[u8]> = start[..n].split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).take(3).collect();
    if let [b"{", b"\"generator\":", value] = words.as_slice()
        && *value == format!("\"{GENERATOR}\",").as_bytes()
    {
        return true;
    }
    let mut bytes = start[..n].to_vec();
    manifest.read_to_end(&mut bytes).is_ok()
        && serde_json::from_slice::<Marker>(&bytes).is_ok_and(|m| m.generator == GENERATOR)
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

    /// What the spare held and the new build does not have goes, also where the build has as
    /// many files as the spare held (one new in place of one gone), and where a path placed
    /// twice would make up the count.
    #[test]
    fn files_the_build_no_longer_has_go_whatever_the_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let names = |folder: &Path| {
            let mut names: Vec<String> = fs::read_dir(folder.join("declarations"))
                .expect("dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into())
                .collect();
            names.sort();
            names
        };
        let tree = |names: &[&str]| {
            let mut files = vec![manifest()];
            files.extend(names.iter().map(|n| file(&format!("declarations/{n}"), n)));
            files
        };
        // The spare of the third build is the first build's tree.
        for files in [tree(&["a", "b"]), tree(&["a", "b"])] {
            write_tree(&out, &files, &mut || {}).expect("build");
        }
        write_tree(&out, &tree(&["a", "c"]), &mut || {}).expect("one new, one gone");
        assert_eq!(names(&out), ["a", "c"]);
        write_tree(&out, &tree(&["a", "b"]), &mut || {}).expect("again");
        assert_eq!(names(&out), ["a", "b"]);
        let staging = Staging::open(&out, &mut || {}).expect("open");
        for f in tree(&["a", "a"]) {
            staging.place(&f.path, &f.bytes, None);
        }
        staging.commit().expect("commit");
        assert_eq!(names(&out), ["a"], "a path placed twice hides no gone file");
    }

    /// The manifest is written a part at a time into the spare, never held whole, and
    /// renamed into place every build, the same or not (a new inode: the file the output
    /// shows is never written to); it is not in the index, and no partial file is left.
    #[test]
    #[cfg(unix)]
    fn a_file_written_in_parts_is_renamed_in_whole() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let build = |manifest: &str| {
            let staging = Staging::open(&out, &mut || {}).expect("open");
            staging.place("declarations/a.json", b"1", None);
            let (head, tail) = manifest.split_at(manifest.len() / 2);
            staging.place_written("manifest.json", &mut |w| {
                w.write_all(head.as_bytes())?;
                w.write_all(tail.as_bytes())
            });
            staging.commit().expect("commit");
        };
        let inode = || fs::metadata(out.join("manifest.json")).expect("manifest").ino();
        let index = dir.path().join(".out.ddmc-index");
        let first = format!("{{\"generator\": \"ddmc\", \"pad\": \"{}\"}}", "x".repeat(3 * BLOCK));
        build(&first);
        // A folder planted where the partial file goes is removed, not an error.
        fs::create_dir_all(out.join(".manifest.json.ddmc-part/x")).expect("plant");
        build(&first);
        super::super::index::aged(&index);
        let before = inode();
        let size = fs::metadata(&index).expect("index").len();
        build(&first);
        assert_ne!(inode(), before, "written anew, the same bytes");
        assert_eq!(fs::read_to_string(out.join("manifest.json")).expect("manifest"), first);
        assert_eq!(fs::metadata(&index).expect("index").len(), size, "one record: the declaration's");
        let second = first.replacen("xx", "yy", 1);
        build(&second);
        assert_eq!(fs::read_to_string(out.join("manifest.json")).expect("manifest"), second);
        for folder in [out.clone(), dir.path().join(".out.ddmc-spare")] {
            let names: Vec<String> = fs::read_dir(&folder)
                .expect("dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into())
                .collect();
            assert!(!names.iter().any(|n| n.contains(PARTIAL)), "{names:?}");
        }
    }

    /// Larger than a block: compared block by block, to the last byte and the end of file.
    #[test]
    fn holds_compares_large_files_to_the_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        let bytes: Vec<u8> = (0..3 * BLOCK + 17).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &bytes).expect("write");
        assert!(holds(&path, &bytes, None).is_some(), "the same bytes");
        let mut last = bytes.clone();
        *last.last_mut().expect("bytes") ^= 1;
        assert!(holds(&path, &last, None).is_none(), "the last byte differs");
        assert!(holds(&path, &bytes[..bytes.len() - 1], None).is_none(), "the file is longer");
        let block = vec![7; BLOCK];
        fs::write(&path, &block).expect("write");
        assert!(holds(&path, &block, None).is_some(), "exactly one block");
    }

    #[test]
    fn replaces_a_previous_output_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        write_tree(&out, &[manifest(), file("declarations/a.json", "1")], &mut || {}).expect("first");
        write_tree(&out, &[manifest(), file("declarations/b.json", "2")], &mut || {}).expect("second");
        assert!(!out.join("declarations/a.json").exists(), "stale files go");
        assert_eq!(fs::read_to_string(out.join("declarations/b.json")).expect("b"), "2");
        let mut names: Vec<_> = fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        names.sort();
        assert_eq!(names, [".out.ddmc-index", ".out.ddmc-lock", ".out.ddmc-spare", "out"], "no temporary folders");
        assert!(dir.path().join(".out.ddmc-spare/declarations/a.json").exists(), "the spare is the old build");
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
        assert_eq!(
            names,
            [".other.ddmc-new-5", ".out.ddmc-index", ".out.ddmc-lock", ".out.ddmc-new-x", ".out.ddmc-spare", "out"]
        );
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
    /// writes only the changed ones; the old tree stays as the spare, which the next build
    /// brings up to date by writing only what differs.
    #[test]
    #[cfg(unix)]
    fn unchanged_files_are_not_rewritten() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let spare = dir.path().join(".out.ddmc-spare");
        let build = |a: &str, b: &str| {
            let files = [manifest(), file("declarations/a.json", a), file("declarations/b.json", b)];
            write_tree(&out, &files, &mut || {}).expect("build");
        };
        let inode = |tree: &Path, p: &str| fs::metadata(tree.join(p)).expect("metadata").ino();
        build("1", "2");
        let (a, b) = (inode(&out, "declarations/a.json"), inode(&out, "declarations/b.json"));
        build("1", "3");
        assert_eq!(inode(&out, "declarations/a.json"), a, "unchanged: the same file");
        assert_ne!(inode(&out, "declarations/b.json"), b, "changed: a new file");
        assert_eq!(fs::read_to_string(out.join("declarations/b.json")).expect("b"), "3");
        assert_eq!(inode(&spare, "declarations/a.json"), a, "the spare shares it");
        assert_eq!(fs::read_to_string(spare.join("declarations/b.json")).expect("old b"), "2");
        // The third build updates the spare: `b` changes there, `a` is left alone.
        let b3 = inode(&out, "declarations/b.json");
        build("1", "4");
        assert_eq!(inode(&out, "declarations/a.json"), a);
        assert_eq!(fs::read_to_string(out.join("declarations/b.json")).expect("b"), "4");
        assert_eq!(inode(&spare, "declarations/b.json"), b3, "the build before is the spare");
        // And back: `b` = 3 is in the spare and the output, shared from there.
        build("1", "3");
        assert_eq!(inode(&out, "declarations/b.json"), b3, "the spare's file became the output's");
    }

    /// The index spares a build from reading what it vouches for, but never keeps what
    /// changed: a file of the output rewritten in place, its size and modification time
    /// restored, is still replaced (its change time moved).
    #[test]
    #[cfg(unix)]
    fn a_file_changed_behind_the_index_is_still_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let index = dir.path().join(".out.ddmc-index");
        let files = [manifest(), file("declarations/a.json", "1"), file("declarations/b.json", "2")];
        write_tree(&out, &files, &mut || {}).expect("first");
        super::super::index::aged(&index);
        write_tree(&out, &files, &mut || {}).expect("second");
        super::super::index::aged(&index);
        let b = out.join("declarations/b.json");
        let modified = fs::metadata(&b).expect("b").modified().expect("mtime");
        fs::write(&b, "X").expect("tamper");
        fs::File::options().write(true).open(&b).expect("open").set_modified(modified).expect("mtime");
        write_tree(&out, &files, &mut || {}).expect("third");
        assert_eq!(fs::read_to_string(&b).expect("b"), "2", "the changed file is replaced");
        assert_eq!(fs::read_to_string(out.join("declarations/a.json")).expect("a"), "1");
        super::super::index::aged(&index);
        let known = Index::load(&index, &out).expect("an index");
        let stamp = stamp(&fs::symlink_metadata(&b).expect("b")).expect("a file");
        let b_key = key(b"declarations/b.json");
        assert_eq!(known.knows(b_key, stamp).map(|k| k.print), Some(fingerprint(b"2")), "recorded");
    }

    /// The spare is only ever a real folder of ddmc's: a link planted in its place is
    /// removed, not followed, and whatever is in a spare folder that the build does not want
    /// (files, folders, links) goes.
    #[test]
    #[cfg(unix)]
    fn a_planted_spare_is_never_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).expect("mkdir");
        fs::write(elsewhere.join("keep"), "keep").expect("write");
        write_tree(&out, &[manifest()], &mut || {}).expect("first");
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(".out.ddmc-spare")).expect("plant");
        write_tree(&out, &[manifest(), file("declarations/a.json", "1")], &mut || {}).expect("second");
        assert_eq!(fs::read_dir(&elsewhere).expect("dir").count(), 1, "nothing written through the link");
        let spare = dir.path().join(".out.ddmc-spare");
        assert!(fs::symlink_metadata(&spare).expect("spare").is_dir());
        fs::create_dir_all(spare.join("junk/deeper")).expect("mkdir");
        std::os::unix::fs::symlink(&elsewhere, spare.join("declarations")).ok();
        fs::write(spare.join("junk/deeper/x"), "x").expect("write");
        write_tree(&out, &[manifest(), file("declarations/a.json", "2")], &mut || {}).expect("third");
        assert_eq!(fs::read_to_string(out.join("declarations/a.json")).expect("a"), "2");
        assert!(!out.join("junk").exists(), "what the build does not want is gone");
        assert_eq!(fs::read_dir(&elsewhere).expect("dir").count(), 1);
    }

    /// A file is created without removing anything first where the look found nothing; what
    /// appeared there since (a link, a file, a folder) is refused by the creation, removed,
    /// and the file created in its place, never written through.
    #[test]
    #[cfg(unix)]
    fn what_appears_after_the_look_is_replaced_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let outside = dir.path().join("outside.json");
        for (kind, plant) in [("link", 0), ("file", 1), ("folder", 2)] {
            fs::write(&outside, "outside").expect("write");
            write_tree(&out, &[manifest()], &mut || {}).expect("build");
            let staging = Staging::open(&out, &mut || {}).expect("open");
            let own = &mut staging.own();
            staging.folders_of(own, "declarations/a.json").expect("folder");
            let path = staging.spare.join("declarations/a.json");
            match plant {
                0 => std::os::unix::fs::symlink(&outside, &path).expect("link"),
                1 => fs::write(&path, "planted").expect("file"),
                _ => fs::create_dir_all(path.join("inside")).expect("folder"),
            }
            let bytes = b"1";
            let content = Content::Bytes(bytes);
            let want = Want::Print(fingerprint(bytes));
            let key = key(b"declarations/a.json");
            staging.put_seen("declarations/a.json", key, Some(&content), want, None).expect("placed");
            let meta = fs::symlink_metadata(&path).expect("there");
            assert!(meta.file_type().is_file(), "{kind}: a regular file");
            assert_eq!(fs::read(&path).expect("read"), bytes, "{kind}");
            assert_eq!(fs::read_to_string(&outside).expect("outside"), "outside", "{kind}: not written through");
        }
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
