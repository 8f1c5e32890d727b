//! An output tree as data: relative path -> bytes, read from a folder (bounded) or taken from
//! a build in memory, so that `build --check` and `diff` compare like with like.

use crate::emit::OutputFile;
use crate::limits;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

pub type Tree = BTreeMap<String, Vec<u8>>;

/// A build's files as a tree.
pub fn from_files(files: &[OutputFile]) -> Tree {
    files.iter().map(|f| (f.path.clone(), f.bytes.clone())).collect()
}

/// Every regular file below `dir`, by `/`-separated relative path. Links are not followed
/// (an output folder has none); at most [`limits::MAX_OUTPUT_FILES`] files of at most
/// [`limits::MAX_OUTPUT_FILE_BYTES`] each.
pub fn read(dir: &Path) -> Result<Tree, String> {
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("`{}` is not a folder", dir.display()));
    }
    let mut tree = Tree::new();
    walk(dir, "", 0, &mut tree)?;
    Ok(tree)
}

fn walk(dir: &Path, prefix: &str, depth: usize, tree: &mut Tree) -> Result<(), String> {
    if depth > limits::MAX_OUTPUT_DEPTH {
        return Err(format!("`{}` is nested deeper than {} folders", dir.display(), limits::MAX_OUTPUT_DEPTH));
    }
    let io = |e: std::io::Error| format!("cannot read `{}`: {e}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io)?.collect::<Result<_, _>>().map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            walk(&entry.path(), &relative, depth + 1, tree)?;
        } else if kind.is_file() {
            if tree.len() >= limits::MAX_OUTPUT_FILES {
                return Err(format!("`{}` holds more than {} files", dir.display(), limits::MAX_OUTPUT_FILES));
            }
            tree.insert(relative, read_file(&entry.path())?);
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let io = |e: std::io::Error| format!("cannot read `{}`: {e}", path.display());
    let mut bytes = Vec::new();
    let limit = limits::MAX_OUTPUT_FILE_BYTES;
    std::fs::File::open(path).map_err(io)?.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(format!("`{}` is larger than {}", path.display(), limits::bytes(limit)));
    }
    Ok(bytes)
}

/// How a folder differs from what a build would write.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// In both, with other bytes.
    pub stale: Vec<String>,
    /// Built, not in the folder.
    pub missing: Vec<String>,
    /// In the folder, not built.
    pub extra: Vec<String>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

pub fn drift(built: &Tree, on_disk: &Tree) -> Drift {
    let mut d = Drift::default();
    for (path, bytes) in built {
        match on_disk.get(path) {
            None => d.missing.push(path.clone()),
            Some(old) if old != bytes => d.stale.push(path.clone()),
            Some(_) => {}
        }
    }
    d.extra = on_disk.keys().filter(|p| !built.contains_key(*p)).cloned().collect();
    d
}
