//! Writing the command file so that it is either complete or absent: an MDM import that
//! watches the folder must never pick up half a command.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`. On any
/// failure the temporary file is removed and `path` is left as it was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temporary_beside(path)?;
    let result = write_new(&temp, bytes).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        // Best effort: the file may never have been created.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// A hidden name in the same folder (a rename across file systems would not be atomic),
/// unique to this process.
fn temporary_beside(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names a folder, not a file"))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let temp_name = format!(".{}.{}-{nanos}.ddmc-tmp", name.to_string_lossy(), std::process::id());
    Ok(path.with_file_name(temp_name))
}

/// Creates the file (never replacing one) and flushes it to disk before the rename.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_or_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let out = dir.path().join("command.plist");
        write_atomically(&out, b"one").expect("written");
        write_atomically(&out, b"two").expect("replaced");
        assert_eq!(fs::read(&out).expect("file system"), b"two");
        // A folder in the way: the rename fails and no temporary file stays behind.
        let folder = dir.path().join("folder");
        fs::create_dir(&folder).expect("file system");
        fs::write(folder.join("inside"), b"x").expect("file system");
        assert!(write_atomically(&folder, b"three").is_err());
        let names: Vec<_> =
            fs::read_dir(dir.path()).expect("file system").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(write_atomically(&dir.path().join("missing/command.plist"), b"x").is_err());
    }
}
