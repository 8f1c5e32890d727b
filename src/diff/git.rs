//! `ddmc diff --git REV`: the repository as it was at a git revision, in a temporary folder,
//! read with `git archive` (so nothing in the working tree or the index is touched).

use std::path::Path;
use std::process::{Command, Stdio};

/// The repository at `rev` (the folder `repo` is, inside its git work tree), unpacked into a
/// new temporary folder.
pub fn checkout(repo: &Path, rev: &str) -> Result<tempfile::TempDir, String> {
    if rev.starts_with('-') {
        return Err(format!("`{rev}` is not a revision"));
    }
    let git = |args: &[&str]| -> Result<Vec<u8>, String> {
        let output = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!("git {}: {}", args.join(" "), stderr.trim()));
        }
        Ok(output.stdout)
    };
    let prefix = String::from_utf8_lossy(&git(&["rev-parse", "--show-prefix"])?).trim().to_owned();
    let tree = format!("{rev}:{prefix}");
    let archive = git(&["archive", "--format=tar", &tree])?;
    let dir = tempfile::Builder::new().prefix("ddmc-diff-").tempdir().map_err(|e| e.to_string())?;
    tar::Archive::new(archive.as_slice())
        .unpack(dir.path())
        .map_err(|e| format!("cannot unpack the tree of `{rev}`: {e}"))?;
    Ok(dir)
}
