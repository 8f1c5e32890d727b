//! `.<out>.ddmc-index`: what a build left at the output, so that the next one need not read
//! every file again to know it: per file its inode, size, modification and change times, and a
//! digest of its bytes (for a declaration also what it was made from and its ServerToken), plus
//! the output folder's own identity. Binary, a fixed record per file: at 10,000 policies it
//! holds 60,000 of them, read and written by every build.
//!
//! An entry vouches for a file only while its stamp is the one recorded and was settled when
//! recorded ([`crate::stamp`]), and only for the folder the index was taken of (not a killed
//! build's, or one moved in by hand). A file an entry vouches for holds the bytes recorded: it
//! is kept if they are the wanted ones, and replaced unread if not. Anything else is read and
//! compared, as without an index.

use super::declaration::Made;
use crate::stamp::{STAMP_BYTES, Stamp};
use sha2::{Digest, Sha256};
use std::fs;
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The start of an index file, with its format version. Then the output folder's device and
/// inode and when the index was taken (seconds), and one [`RECORD`] per file; numbers are
/// little-endian.
const HEADER: &[u8] = b"ddmc-index 2\n";

/// A file's record: its path's digest (16 bytes), inode, size, modification and change times
/// (seconds and nanoseconds; 8 bytes each), fingerprint (16 bytes), and for a declaration
/// what it was made from ([`Made`], 32 bytes; zeros for another file).
const RECORD: usize = 112;

/// 128 bits of SHA-256 over a file's bytes (or any others: a path, a declaration's inputs).
pub(super) type Fingerprint = [u8; 16];

pub(super) fn fingerprint(bytes: &[u8]) -> Fingerprint {
    let mut out = [0; 16];
    out.copy_from_slice(&Sha256::digest(bytes)[..16]);
    out
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
    /// The trusted entries: 60,000 at 10,000 policies, held while the whole build is
    /// written, so no path is kept.
    entries: Vec<Entry>,
    /// Where each entry is (its position, plus one; 0 for none), at a slot its key picks:
    /// open addressing, at least twice as many slots as entries, so that a search nearly
    /// always reads one slot and one entry (a sorted search missed the cache at each step).
    slots: Vec<u32>,
    /// How a key picks its slot: keyed anew each run (keys are digests of paths a pull
    /// request chooses; it must not be able to pile them into one run of slots).
    hasher: std::collections::hash_map::RandomState,
}

struct Entry {
    key: Key,
    stamp: Stamp,
    known: Known,
}

impl Entry {
    /// Its [`RECORD`]: the layout is written here and read in [`Entry::decode`], nowhere else.
    fn encode(&self) -> [u8; RECORD] {
        let mut r = [0; RECORD];
        r[..16].copy_from_slice(&self.key.to_le_bytes());
        r[16..16 + STAMP_BYTES].copy_from_slice(&self.stamp.to_bytes());
        r[64..80].copy_from_slice(&self.known.print);
        if let Some(made) = self.known.made {
            r[80..].copy_from_slice(&made.to_bytes());
        }
        r
    }

    fn decode(r: &[u8; RECORD]) -> Entry {
        let stamp = Stamp::from_bytes(&take(r, 16));
        let known = Known { print: take(r, 64), made: Made::from_bytes(&take(r, 80)) };
        Entry { key: Key::from_le_bytes(take(r, 0)), stamp, known }
    }
}

/// What the index says a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Known {
    pub(super) print: Fingerprint,
    /// A declaration's: what it was made from.
    pub(super) made: Option<Made>,
}

/// A path's digest ([`key`]).
pub(super) type Key = u128;

impl Index {
    /// The index at `path`, if it describes the folder now at `out`; `None` for anything
    /// else, including a malformed file (then every file is read).
    pub(super) fn load(path: &Path, out: &Path) -> Option<Index> {
        use std::io::Read;
        let mut file = io::BufReader::with_capacity(1 << 16, fs::File::open(path).ok()?);
        let mut head = [0; HEADER.len() + 24];
        file.read_exact(&mut head).ok()?;
        let head = head.strip_prefix(HEADER)?;
        let [dev, ino, taken] = [0, 8, 16].map(|at| u64_at(head, at));
        if folder(out)? != (dev, ino) {
            return None;
        }
        // A record at a time: the file is never held whole beside the entries.
        let length = file.get_ref().metadata().ok()?.len();
        let records = usize::try_from(length).ok()?.saturating_sub(HEADER.len() + 24) / RECORD;
        if records > crate::limits::MAX_OUTPUT_FILES {
            return None;
        }
        let mut entries = Vec::with_capacity(records);
        let mut r = [0; RECORD];
        loop {
            match file.read(&mut r[..1]) {
                Ok(0) => break,
                Ok(_) => file.read_exact(&mut r[1..]).ok()?,
                Err(_) => return None,
            }
            let entry = Entry::decode(&r);
            if entry.stamp.settled(taken) {
                entries.push(entry);
            }
        }
        Some(Index::of(entries))
    }

    /// What the file whose path's digest is `key` and whose stamp is `stamp` (as `lstat`
    /// gives it, not followed) holds, if it is the file recorded, not changed since.
    pub(super) fn knows(&self, key: Key, stamp: Stamp) -> Option<Known> {
        let entry = self.find(key)?;
        (stamp == entry.stamp).then_some(entry.known)
    }

    /// The entries, found by their keys.
    fn of(entries: Vec<Entry>) -> Index {
        let hasher = std::collections::hash_map::RandomState::new();
        let mut index = Index { slots: vec![0; (2 * entries.len()).next_power_of_two().max(16)], entries, hasher };
        for (at, entry) in index.entries.iter().enumerate() {
            let slot = index.probe(entry.key).find(|&slot| index.slots[slot] == 0);
            // (A free slot is always found: there are more slots than entries.)
            if let Some(slot) = slot {
                index.slots[slot] = u32::try_from(at + 1).unwrap_or(0);
            }
        }
        index
    }

    /// The slots where `key` may be, in order: from the one it picks on, round the end.
    fn probe(&self, key: Key) -> impl Iterator<Item = usize> {
        use std::hash::BuildHasher;
        let mask = self.slots.len() - 1;
        let start = self.hasher.hash_one(key) as usize & mask;
        (0..self.slots.len()).map(move |i| (start + i) & mask)
    }

    /// The entry of `key`: looked for from the slot it picks up to the first empty one.
    fn find(&self, key: Key) -> Option<&Entry> {
        self.probe(key)
            .map(|slot| self.slots[slot])
            .take_while(|&at| at != 0)
            .filter_map(|at| self.entries.get(at as usize - 1))
            .find(|entry| entry.key == key)
    }

    /// Records the files at `out` (path's digest, fingerprint, stamp as the build left them)
    /// atomically: written to `temporary`, then renamed over `path`. The time is taken first,
    /// so that any change made since the stamps counts as racy.
    pub(super) fn write(
        path: &Path,
        temporary: &Path,
        out: &Path,
        files: impl Iterator<Item = (Key, Known, Stamp)>,
    ) -> io::Result<()> {
        use std::io::Write;
        let taken = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let Some((dev, ino)) = folder(out) else { return Ok(()) };
        let mut file = io::BufWriter::with_capacity(1 << 16, fs::File::create(temporary)?);
        file.write_all(HEADER)?;
        for number in [dev, ino, taken] {
            file.write_all(&number.to_le_bytes())?;
        }
        for (key, known, stamp) in files {
            file.write_all(&Entry { key, stamp, known }.encode())?;
        }
        file.into_inner().map_err(io::IntoInnerError::into_error)?;
        fs::rename(temporary, path)
    }
}

/// A path's digest: 128 bits of SHA-256, so that no two paths share one, by chance or by
/// design.
pub(super) fn key(path: &[u8]) -> Key {
    Key::from_le_bytes(fingerprint(path))
}

/// `N` bytes of `bytes` from `at` (a record's field; its length was checked).
fn take<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(take(bytes, at))
}

/// Back-dates the index at `path` as if it was taken two seconds ago, so that its entries are
/// not racy (for tests, which build many times a second).
#[cfg(test)]
pub(super) fn aged(path: &Path) {
    let Ok(mut bytes) = fs::read(path) else { return };
    let at = HEADER.len() + 16;
    if let Some(taken) = bytes.get_mut(at..at + 8) {
        let later = u64_at(taken, 0) + 2;
        taken.copy_from_slice(&later.to_le_bytes());
        let _ = fs::write(path, bytes);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::emit::OutputFile;
    use crate::stamp::stamp;

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
        let entries: Vec<(Key, Known, Stamp)> = files
            .iter()
            .map(|f| {
                let meta = fs::symlink_metadata(out.join(&f.path)).expect("meta");
                (
                    key(f.path.as_bytes()),
                    Known { print: fingerprint(&f.bytes), made: None },
                    stamp(&meta).expect("a file"),
                )
            })
            .collect();
        Index::write(&index, &dir.path().join("temporary"), &out, entries.iter().copied()).expect("index");
        let meta = |p: &str| stamp(&fs::symlink_metadata(out.join(p)).expect("meta")).expect("a file");
        let loaded = Index::load(&index, &out).expect("loads");
        assert_eq!(loaded.knows(key(b"a.json"), meta("a.json")), None, "racy");
        aged(&index);
        let loaded = Index::load(&index, &out).expect("loads");
        assert_eq!(loaded.knows(key(b"a.json"), meta("a.json")).map(|k| k.print), Some(fingerprint(b"1")));
        assert_eq!(loaded.knows(key(b"c.json"), meta("a.json")), None, "no entry");
        // Any change to the file moves its ctime, even one that restores size and mtime.
        let before = fs::symlink_metadata(out.join("b.json")).expect("meta");
        fs::write(out.join("b.json"), "3").expect("tamper");
        let mtime = filetime(&before);
        set_mtime(&out.join("b.json"), mtime);
        assert_eq!(loaded.knows(key(b"b.json"), meta("b.json")), None, "changed in place");
        // Another folder at the same path: the index is not for it.
        fs::rename(&out, dir.path().join("moved")).expect("move");
        fs::create_dir(&out).expect("mkdir");
        assert!(Index::load(&index, &out).is_none());
        // A malformed index is no index.
        fs::write(&index, "ddmc-index 1 x\n").expect("write");
        assert!(Index::load(&index, &out).is_none());
        // So is one cut short in a record.
        fs::rename(&out, dir.path().join("again")).expect("move");
        fs::rename(dir.path().join("moved"), &out).expect("move back");
        Index::write(&index, &dir.path().join("temporary"), &out, entries.iter().copied()).expect("index");
        aged(&index);
        assert!(Index::load(&index, &out).is_some_and(|i| i.knows(key(b"a.json"), meta("a.json")).is_some()));
        let bytes = fs::read(&index).expect("index");
        fs::write(&index, &bytes[..bytes.len() - 1]).expect("cut");
        assert!(Index::load(&index, &out).is_none());
        // And one of more records than a build may have files (a sparse file: no disk used).
        fs::write(&index, &bytes).expect("write");
        let huge = (HEADER.len() + 24 + (crate::limits::MAX_OUTPUT_FILES + 1) * RECORD) as u64;
        fs::File::options().write(true).open(&index).expect("open").set_len(huge).expect("grow");
        assert!(Index::load(&index, &out).is_none());
    }

    /// Keys that share a half, at either end of the range, or are alone: each is found, and
    /// no key between them; nothing in an empty index.
    #[test]
    fn finds_keys_that_share_their_first_half() {
        let stamp = crate::stamp::changed_at(0);
        let known = Known { print: [0; 16], made: None };
        let keys = [0, (1 << 64) | 1, (1 << 64) | 2, (1 << 64) | 3, 7 << 100, Key::MAX - 1, Key::MAX];
        let entries: Vec<Entry> = keys.iter().map(|&key| Entry { key, stamp, known }).collect();
        let index = Index::of(entries);
        for key in keys {
            assert_eq!(index.find(key).map(|e| e.key), Some(key), "{key:#x}");
        }
        for key in [1, 1 << 64, (1 << 64) | 4, 6 << 100, Key::MAX - 2] {
            assert!(index.find(key).is_none(), "{key:#x}");
        }
        assert!(Index::of(Vec::new()).find(5).is_none());
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
            let known = Known { print: fingerprint(&f.bytes), made: None };
            entries.push((key(f.path.as_bytes()), known, stamp(&meta).expect("a file")));
        }
        Index::write(&index, &dir.path().join("temporary"), &out, entries.iter().copied()).expect("index");
        aged(&index);
        let loaded = Index::load(&index, &out).expect("loads");
        for f in &files {
            let meta = fs::symlink_metadata(out.join(&f.path)).expect("meta");
            let stamp = stamp(&meta).expect("a file");
            assert_eq!(
                loaded.knows(key(f.path.as_bytes()), stamp).map(|k| k.print),
                Some(fingerprint(&f.bytes)),
                "{}",
                f.path
            );
            assert_eq!(loaded.knows(key(format!("{}x", f.path).as_bytes()), stamp), None, "{}", f.path);
        }
    }

    fn filetime(meta: &fs::Metadata) -> SystemTime {
        meta.modified().expect("mtime")
    }

    fn set_mtime(path: &Path, time: SystemTime) {
        fs::File::options().write(true).open(path).expect("open").set_modified(time).expect("set mtime");
    }
}
