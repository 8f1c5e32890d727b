//! Helpers shared by the integration tests.

use std::fs;
use std::path::{Path, PathBuf};

/// The clock of `check` and `build` runs in tests (`--now`): deadline warnings must not depend
/// on when the tests run. Before every fixture's deadline.
pub const NOW: &str = "2026-06-01T12:00:00";

/// A policy repository in a temporary folder, from (relative path, text) pairs.
pub fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    dir
}

/// `../shared/reference/<relative>`, whether it exists or not.
pub fn shared_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference").join(relative)
}

/// `../shared/reference/<relative>`, or `None` with a message: tests that read the shared
/// reference skip when it is absent, except under CI (`CI=true`), where its absence fails
/// the test: CI always has `../shared` beside the clone, so a skip there would hide a gap.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let dir = shared_path(relative);
    if dir.exists() {
        return Some(dir);
    }
    assert!(!in_ci(), "{} is absent, and CI=true requires it", dir.display());
    eprintln!("skipped: {} is absent", dir.display());
    None
}

/// Whether the tests run under CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}
