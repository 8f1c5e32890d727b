//! `.<out>.ddmc-index`: what a build left at the output, so that the next one need not read
//! every file again to know it: per file its inode, size, modification and change times, and a
//! digest of its bytes, plus the output folder's own identity.
//!
//! An entry vouches for a file only while all of that is unchanged. The change time (ctime)
//! cannot be set by anyone: any write, `touch`, `chmod`, link or unlink moves it. Entries whose
//! ctime lies within a second of when the index was taken are not trusted ("racy": the file
//! could change again within the clock's granularity), nor is an index taken of another
//! folder (a killed build's, or one moved in by hand). A file an entry vouches for holds the
//! bytes recorded: it is kept if they are the wanted ones, and replaced unread if not. Anything
//! else is read and compared, as without an index.

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::fs;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write as _};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The first word of an index file, with its format version.
const HEADER: &str = "ddmc-index 1";

/// 128 bits of SHA-256 over a file's bytes.
pub(super) type Fingerprint = [u8; 16];

pub(super) fn fingerprint(bytes: &[u8]) -> Fingerprint {
    let mut f = Fingerprinting::default();
    f.update(bytes);
    f.finish()
}

/// A [`fingerprint`] of bytes given a part at a time (a file written as it is rendered).
#[derive(Default)]
pub(super) struct Fingerprinting(Sha256);

impl Fingerprinting {
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub(super) fn finish(self) -> Fingerprint {
        let mut out = [0; 16];
        out.copy_from_slice(&self.0.finalize()[..16]);
        out
    }
}

/// A file's identity as `lstat` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// The stamp of a regular file.
#[cfg(unix)]
pub(super) fn stamp(meta: &fs::Metadata) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    meta.is_file().then(|| Stamp {
        ino: meta.ino(),
        size: meta.size(),
        mtime: (meta.mtime(), meta.mtime_nsec()),
        ctime: (meta.ctime(), meta.ctime_nsec()),
    })
}

/// [`stamp`] from `fstatat` (the fields `lstat` gives, as [`fs::Metadata`] reads them).
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // The fields' types differ between systems.
pub(super) fn stamp_of(stat: &rustix::fs::Stat) -> Option<Stamp> {
    use rustix::fs::FileType;
    (FileType::from_raw_mode(stat.st_mode as _) == FileType::RegularFile).then_some(Stamp {
        ino: stat.st_ino as u64,
        size: stat.st_size as u64,
        mtime: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
        ctime: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
    })
}

#[cfg(not(unix))]
pub(super) fn stamp(_: &fs::Metadata) -> Option<Stamp> {
    None
}

/// A folder's identity (device, inode).
#[cfg(unix)]
fn folder(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(path).ok().filter(fs::Metadata::is_dir).map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn folder(_: &Path) -> Option<(u64, u64)> {
    None
}

/// The index of the folder now at `out`.
pub(super) struct Index {
    /// The trusted entries, sorted by key: 60,000 at 10,000 policies, held while the whole
    /// build is written, so neither the index's text nor its paths are kept.
    entries: Vec<Entry>,
    /// The keys of this run's path digests ([`Index::key`]).
    keys: RandomState,
}

/// One trusted entry: its path's digest, stamp and fingerprint.
struct Entry {
    key: u128,
    stamp: Stamp,
    print: Fingerprint,
}

impl Index {
    /// The index at `path`, if it describes the folder now at `out`; `None` for anything
    /// else, including a malformed file (then every file is read).
    pub(super) fn load(path: &Path, out: &Path) -> Option<Index> {
        let text = fs::read_to_string(path).ok()?;
        let (header, body) = text.split_once('\n')?;
        let header = header.strip_prefix(HEADER)?;
        let numbers: Vec<u64> = header.split_whitespace().map(str::parse).collect::<Result<_, _>>().ok()?;
        let [dev, ino, taken] = numbers[..] else { return None };
        if folder(out)? != (dev, ino) {
            return None;
        }
        let racy = i64::try_from(taken).ok()? - 1;
        let mut index = Index { entries: Vec::new(), keys: RandomState::new() };
        let parsed: Option<Vec<Option<Entry>>> = body
            .par_lines()
            .map(|line| {
                let ((stamp, print), path) = parse(line)?;
                Some((stamp.ctime.0 < racy).then(|| Entry { key: index.key(path), stamp, print }))
            })
            .collect();
        index.entries = parsed?.into_iter().flatten().collect();
        index.entries.par_sort_unstable_by_key(|e| e.key);
        Some(index)
    }

    /// A path's digest: 128 bits of SipHash under keys drawn for this run, so that no two
    /// paths share one, by chance or by design.
    fn key(&self, path: &str) -> u128 {
        let [high, low] = [0u8, 1].map(|half| self.keys.hash_one((half, path)));
        (u128::from(high) << 64) | u128::from(low)
    }

    /// The fingerprint of the bytes of the file at `path` whose stamp is `stamp` (as `lstat`
    /// gives it, not followed) if it is the file recorded, not changed since.
    pub(super) fn knows(&self, path: &str, stamp: Stamp) -> Option<Fingerprint> {
        let found = self.entries.binary_search_by_key(&self.key(path), |e| e.key).ok()?;
        let entry = &self.entries[found];
        (stamp == entry.stamp).then_some(entry.print)
    }

    /// Records the files at `out` (path, fingerprint, stamp as the build left them; in path
    /// order) atomically: written to `temporary`, then renamed over `path`. The time is taken
    /// first, so that any change made since the stamps counts as racy.
    pub(super) fn write(
        path: &Path,
        temporary: &Path,
        out: &Path,
        files: &[(&str, Fingerprint, Option<Stamp>)],
    ) -> io::Result<()> {
        let taken = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let Some((dev, ino)) = folder(out) else { return Ok(()) };
        // Formatted on every core, a block of lines at a time, and written in order.
        let blocks: Vec<String> = files
            .par_chunks(1024)
            .map(|files| {
                let mut text = String::with_capacity(files.iter().map(|(path, _, _)| path.len() + 120).sum());
                for (file, print, stamp) in files {
                    let Some(s) = stamp else { continue };
                    let hex = crate::canonical::hex(print);
                    let (m, c) = (s.mtime, s.ctime);
                    let _ = writeln!(text, "{} {} {} {} {} {} {hex} {file}", s.ino, s.size, m.0, m.1, c.0, c.1);
                }
                text
            })
            .collect();
        let mut file = fs::File::create(temporary)?;
        file.write_all(format!("{HEADER} {dev} {ino} {taken}\n").as_bytes())?;
        for block in blocks {
            file.write_all(block.as_bytes())?;
        }
        drop(file);
        fs::rename(temporary, path)
    }
}

/// One entry line: `ino size mtime mtime_ns ctime ctime_ns fingerprint path`.
fn parse(line: &str) -> Option<((Stamp, Fingerprint), &str)> {
    let mut parts = line.splitn(8, ' ');
    let mut number = || parts.next()?.parse::<i64>().ok();
    let (ino, size) = (u64::try_from(number()?).ok()?, u64::try_from(number()?).ok()?);
    let mtime = (number()?, number()?);
    let ctime = (number()?, number()?);
    let hex = parts.next()?;
    let path = parts.next()?;
    if hex.len() != 32 {
        return None;
    }
    let mut f = [0; 16];
    for (i, byte) in f.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(((Stamp { ino, size, mtime, ctime }, f), path))
}

/// Back-dates the index at `path` as if it was taken two seconds ago, so that its entries are
/// not racy (for tests, which build many times a second).
#[cfg(test)]
pub(super) fn aged(path: &Path) {
    let Ok(text) = fs::read_to_string(path) else { return };
    let Some((header, rest)) = text.split_once('\n') else { return };
    let mut words: Vec<String> = header.split(' ').map(str::to_owned).collect();
    if let Some(taken) = words.get_mut(4) {
        *taken = taken.parse::<u64>().map_or_else(|_| taken.clone(), |t| (t + 2).to_string());
    }
    let _ = fs::write(path, format!("{}\n{rest}", words.join(" ")));
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::emit::OutputFile;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile { path: path.into(), bytes: text.as_bytes().to_vec() }
    }

    #[test]
    fn knows_only_the_unchanged_file_of_the_same_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (out, index) = (dir.path().join("out"), dir.path().join(".out.ddmc-index"));
        fs::create_dir(&out).expect("mkdir");
        let files = [file("a.json", "1"), file("b.json", "2")];
        for f in &files {
            fs::write(out.join(&f.path), &f.bytes).expect("write");
        }
        // Taken now, the entries are racy: nothing is vouched for.
        let entries: Vec<(&str, Fingerprint, Option<Stamp>)> = files
            .iter()
            .map(|f| {
                (f.path.as_str(), fingerprint(&f.bytes), stamp(&fs::symlink_metadata(out.join(&f.path)).expect("meta")))
            })
            .collect();
        Index::write(&index, &dir.path().join("temporary"), &out, &entries).expect("index");
        let meta = |p: &str| stamp(&fs::symlink_metadata(out.join(p)).expect("meta")).expect("a file");
        let loaded = Index::load(&index, &out).expect("loads");
        assert_eq!(loaded.knows("a.json", meta("a.json")), None, "racy");
        aged(&index);
        let loaded = Index::load(&index, &out).expect("loads");
        assert_eq!(loaded.knows("a.json", meta("a.json")), Some(fingerprint(b"1")));
        assert_eq!(loaded.knows("c.json", meta("a.json")), None, "no entry");
        // Any change to the file moves its ctime, even one that restores size and mtime.
        let before = fs::symlink_metadata(out.join("b.json")).expect("meta");
        fs::write(out.join("b.json"), "3").expect("tamper");
        let mtime = filetime(&before);
        set_mtime(&out.join("b.json"), mtime);
        assert_eq!(loaded.knows("b.json", meta("b.json")), None, "changed in place");
        // Another folder at the same path: the index is not for it.
        fs::rename(&out, dir.path().join("moved")).expect("move");
        fs::create_dir(&out).expect("mkdir");
        assert!(Index::load(&index, &out).is_none());
        // A malformed index is no index.
        fs::write(&index, "ddmc-index 1 x\n").expect("write");
        assert!(Index::load(&index, &out).is_none());
    }

    /// A stamp read by name in an open folder (`fstatat`) is the one `lstat` gives: the index
    /// records the second and a build compares the first.
    #[test]
    fn a_stamp_is_the_same_however_it_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("a.json"), "1").expect("write");
        std::os::unix::fs::symlink("a.json", dir.path().join("link")).expect("symlink");
        let folder = fs::File::open(dir.path()).expect("open");
        let at = |name: &str| rustix::fs::statat(&folder, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).expect("stat");
        let by_path = stamp(&fs::symlink_metadata(dir.path().join("a.json")).expect("meta"));
        assert!(by_path.is_some());
        assert_eq!(stamp_of(&at("a.json")), by_path);
        assert_eq!(stamp_of(&at("link")), None, "a link is not followed, and has no stamp");
        assert_eq!(stamp_of(&at(".")), None, "a folder has no stamp");
    }

    /// Every one of many entries is found, and no other path.
    #[test]
    fn finds_each_of_many_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (out, index) = (dir.path().join("out"), dir.path().join(".out.ddmc-index"));
        fs::create_dir(&out).expect("mkdir");
        let files: Vec<OutputFile> = (0..1000).map(|i| file(&format!("f{i}.json"), &i.to_string())).collect();
        let mut entries = Vec::new();
        for f in &files {
            fs::write(out.join(&f.path), &f.bytes).expect("write");
            let meta = fs::symlink_metadata(out.join(&f.path)).expect("meta");
            entries.push((f.path.as_str(), fingerprint(&f.bytes), stamp(&meta)));
        }
        Index::write(&index, &dir.path().join("temporary"), &out, &entries).expect("index");
        aged(&index);
        let loaded = Index::load(&index, &out).expect("loads");
        for f in &files {
            let meta = fs::symlink_metadata(out.join(&f.path)).expect("meta");
            let stamp = stamp(&meta).expect("a file");
            assert_eq!(loaded.knows(&f.path, stamp), Some(fingerprint(&f.bytes)), "{}", f.path);
            assert_eq!(loaded.knows(&format!("{}x", f.path), stamp), None, "{}", f.path);
        }
    }

    fn filetime(meta: &fs::Metadata) -> SystemTime {
        meta.modified().expect("mtime")
    }

    fn set_mtime(path: &Path, time: SystemTime) {
        fs::File::options().write(true).open(path).expect("open").set_modified(time).expect("set mtime");
    }
}
