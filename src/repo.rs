//! Finding a repository's files: `ddmc.yaml` and `policies/**/*.{yaml,yml,json}`, in a
//! sorted order so that nothing depends on the order the file system lists them in.

use crate::source::SourceFile;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub const PROJECT_FILE: &str = "ddmc.yaml";
pub const POLICY_DIR: &str = "policies";
const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

pub struct Repository {
    pub root: PathBuf,
    pub project: Option<SourceFile>,
    pub policies: Vec<SourceFile>,
    /// Files that are not UTF-8 text.
    pub unreadable: Vec<String>,
}

#[derive(Debug)]
pub enum LoadError {
    /// The repository folder does not exist (a usage error).
    NoRepository(PathBuf),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NoRepository(p) => write!(f, "`{}` is not a folder", p.display()),
            LoadError::Io(p, e) => write!(f, "cannot read `{}`: {e}", p.display()),
        }
    }
}

pub fn load(root: &Path) -> Result<Repository, LoadError> {
    if !root.is_dir() {
        return Err(LoadError::NoRepository(root.to_path_buf()));
    }
    let mut repo = Repository { root: root.to_path_buf(), project: None, policies: Vec::new(), unreadable: Vec::new() };
    let project = root.join(PROJECT_FILE);
    if project.is_file() {
        repo.project = read(root, &project, &mut repo.unreadable)?;
    }
    let mut paths = Vec::new();
    let dir = root.join(POLICY_DIR);
    if dir.is_dir() {
        walk(&dir, &mut paths)?;
    }
    paths.sort();
    for path in paths {
        if let Some(file) = read(root, &path, &mut repo.unreadable)? {
            repo.policies.push(file);
        }
    }
    repo.policies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(repo)
}

/// Policy files below `dir`; hidden files and folders are skipped, symbolic links to
/// folders are not followed (no cycles).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = fs::read_dir(dir).map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| LoadError::Io(path.clone(), e))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if is_policy_file(&path) && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

pub fn is_policy_file(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn read(root: &Path, path: &Path, unreadable: &mut Vec<String>) -> Result<Option<SourceFile>, LoadError> {
    let name = display_name(root, path);
    let bytes = fs::read(path).map_err(|e| LoadError::Io(path.to_path_buf(), e))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(SourceFile { name, path: path.to_path_buf(), text })),
        Err(_) => {
            unreadable.push(name);
            Ok(None)
        }
    }
}

/// `policies/mac/baseline.yaml`: relative to the repository, `/`-separated.
fn display_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
