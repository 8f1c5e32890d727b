//! A file's stamp: its identity and times as `lstat` gives them. What the output's index and
//! the policy cache vouch for a file by: while its stamp is the one recorded, the file holds
//! what it held then, and need not be read.
//!
//! The change time (ctime) cannot be set by anyone: any write, `touch`, `chmod`, link or unlink
//! moves it. A stamp whose ctime lies within a second of when it was recorded is not trusted
//! ("racy": the file could change again within the clock's granularity; [`Stamp::settled`]).

use std::fs;

/// A regular file's identity as `lstat` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// Its length in [`Stamp::to_bytes`].
pub const STAMP_BYTES: usize = 48;

impl Stamp {
    /// Whether a stamp recorded at `taken` (seconds since the epoch) can be trusted: its file
    /// had not changed within the second before.
    pub fn settled(&self, taken: u64) -> bool {
        i64::try_from(taken).is_ok_and(|taken| self.ctime.0 < taken - 1)
    }

    /// Inode, size, modification and change times (seconds and nanoseconds), 8 bytes each,
    /// little-endian: the layout is written here and read in [`Stamp::from_bytes`], nowhere else.
    pub fn to_bytes(self) -> [u8; STAMP_BYTES] {
        let mut r = [0; STAMP_BYTES];
        let numbers = [self.ino as i64, self.size as i64, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1];
        for (at, n) in numbers.into_iter().enumerate() {
            r[at * 8..at * 8 + 8].copy_from_slice(&n.to_le_bytes());
        }
        r
    }

    pub fn from_bytes(r: &[u8; STAMP_BYTES]) -> Stamp {
        let n = |at: usize| i64::from_le_bytes(r[at * 8..at * 8 + 8].try_into().unwrap_or_default());
        Stamp { ino: n(0) as u64, size: n(1) as u64, mtime: (n(2), n(3)), ctime: (n(4), n(5)) }
    }
}

/// The stamp of a regular file (`None` for anything else).
#[cfg(unix)]
pub fn stamp(meta: &fs::Metadata) -> Option<Stamp> {
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
pub fn stamp_of(stat: &rustix::fs::Stat) -> Option<Stamp> {
    use rustix::fs::FileType;
    (FileType::from_raw_mode(stat.st_mode as _) == FileType::RegularFile).then_some(Stamp {
        ino: stat.st_ino as u64,
        size: stat.st_size as u64,
        mtime: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
        ctime: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
    })
}

/// Elsewhere no file has a stamp: every file is read.
#[cfg(not(unix))]
pub fn stamp(_: &fs::Metadata) -> Option<Stamp> {
    None
}

/// A stamp for tests, with this change time (seconds).
#[cfg(test)]
pub fn changed_at(ctime: i64) -> Stamp {
    Stamp { ino: 1, size: 1, mtime: (0, 0), ctime: (ctime, 0) }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

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

    /// Bytes and back give the same stamp, negative times included.
    #[test]
    fn a_stamp_survives_its_bytes() {
        let s = Stamp { ino: u64::MAX, size: 7, mtime: (-5, 999_999_999), ctime: (1_800_000_000, 1) };
        assert_eq!(Stamp::from_bytes(&s.to_bytes()), s);
    }

    /// Trusted only when its file had not changed in the second before it was recorded.
    #[test]
    fn a_stamp_within_a_second_of_its_record_is_not_trusted() {
        assert!(changed_at(100).settled(102));
        assert!(!changed_at(101).settled(102));
        assert!(!changed_at(102).settled(102));
        assert!(!changed_at(100).settled(u64::MAX), "a time past any file's");
    }
}
