//! Writing the output tree: everything goes to a temporary folder beside `--out`, which
//! replaces `--out` only once complete. Nothing outside `--out` is written or deleted (but
//! that temporary folder and the old tree while it is swapped out).

use super::OutputFile;
use super::manifest::GENERATOR;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why the output could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// `--out` holds something that is not a previous ddmc output: refuse to replace it.
    NotOurs(PathBuf),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::NotOurs(p) => write!(
                f,
                "`{}` exists and is not a ddmc output folder (it has no ddmc manifest.json); refusing to replace it",
                p.display()
            ),
            WriteError::Io(p, e) => write!(f, "cannot write `{}`: {e}", p.display()),
        }
    }
}

/// Replaces `out` with exactly `files`.
pub fn write_tree(out: &Path, files: &[OutputFile]) -> Result<(), WriteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e| WriteError::Io(path, e)
    };
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if out.exists() && !is_ours(out) {
        return Err(WriteError::NotOurs(out.to_path_buf()));
    }
    let staging = parent.join(format!(".{name}.ddmc-new-{}", std::process::id()));
    let retired = parent.join(format!(".{name}.ddmc-old-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let result = (|| {
        for file in files {
            let path = staging.join(&file.path);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(io(dir))?;
            }
            fs::write(&path, &file.bytes).map_err(io(&path))?;
        }
        if out.exists() {
            fs::rename(out, &retired).map_err(io(out))?;
        }
        if let Err(e) = fs::rename(&staging, out) {
            if retired.exists() {
                let _ = fs::rename(&retired, out);
            }
            return Err(WriteError::Io(out.to_path_buf(), e));
        }
        if retired.exists() {
            fs::remove_dir_all(&retired).map_err(io(&retired))?;
        }
        Ok(())
    })();
    if result.is_err() && staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
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
        write_tree(&out, &[manifest(), file("declarations/a.json", "1")]).expect("first");
        write_tree(&out, &[manifest(), file("declarations/b.json", "2")]).expect("second");
        assert!(!out.join("declarations/a.json").exists(), "stale files go");
        assert_eq!(fs::read_to_string(out.join("declarations/b.json")).expect("b"), "2");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(leftovers.len(), 1, "no temporary folders left behind");
    }

    #[test]
    fn refuses_to_replace_a_foreign_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("docs");
        fs::create_dir(&out).expect("mkdir");
        fs::write(out.join("notes.txt"), "keep me").expect("write");
        let err = write_tree(&out, &[manifest()]).expect_err("foreign");
        assert!(matches!(err, WriteError::NotOurs(_)));
        assert_eq!(fs::read_to_string(out.join("notes.txt")).expect("kept"), "keep me");
    }
}
