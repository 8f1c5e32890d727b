//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate uses a part of them

use std::fs;
use std::path::{Path, PathBuf};

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
/// reference skip when it is absent.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let dir = shared_path(relative);
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}
