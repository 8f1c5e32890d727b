//! Where an output folder may be. Building replaces the output folder whole, so it must never
//! be (or hold) the repository or its `policies/`; and `output:` in `ddmc.yaml`, which a pull
//! request can change, must stay inside the repository, or CI could be made to replace
//! another project's files. An explicit `--out` may point anywhere else: the operator chose it.

use crate::repo::POLICY_DIR;
use std::path::{Component, Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    IsPolicies,
    InsidePolicies,
    HoldsRepository,
    /// `output:` only: an absolute path.
    Absolute,
    /// `output:` only: a `..` component.
    Parent,
    /// `output:` only: resolved through a symbolic link, it is outside the repository.
    LeavesRepository,
}

impl Problem {
    /// What is wrong with the output folder `shown`.
    pub fn describe(self, shown: &str) -> String {
        match self {
            Problem::IsPolicies => format!("the output folder `{shown}` is the `{POLICY_DIR}/` folder"),
            Problem::InsidePolicies => {
                format!(
                    "the output folder `{shown}` is inside `{POLICY_DIR}/`, where its files would be read as policies"
                )
            }
            Problem::HoldsRepository => {
                format!("the output folder `{shown}` contains the repository; replacing it would delete the policies")
            }
            Problem::Absolute => format!("`output` is an absolute path (`{shown}`)"),
            Problem::Parent => format!("`output` leaves the repository with `..` (`{shown}`)"),
            Problem::LeavesRepository => {
                format!("`output` (`{shown}`) leads outside the repository through a symbolic link")
            }
        }
    }
}

/// Whether the output folder `out` would replace the sources of the repository at `repo`.
pub fn clash(repo: &Path, out: &Path) -> Option<Problem> {
    let repo = repo.canonicalize().ok()?;
    let out = resolve(out)?;
    let policies = repo.join(POLICY_DIR);
    let policies = policies.canonicalize().unwrap_or(policies);
    if out == policies {
        Some(Problem::IsPolicies)
    } else if out.starts_with(&policies) {
        Some(Problem::InsidePolicies)
    } else if repo.starts_with(&out) {
        Some(Problem::HoldsRepository)
    } else {
        None
    }
}

/// The rules for `output:` in `ddmc.yaml`: a relative path that stays inside the repository,
/// and no clash with its sources.
pub fn configured(repo: &Path, output: &str) -> Option<Problem> {
    let path = Path::new(output);
    if path.has_root() || path.is_absolute() {
        return Some(Problem::Absolute);
    }
    if path.components().any(|c| matches!(c, Component::ParentDir | Component::Prefix(_))) {
        return Some(Problem::Parent);
    }
    let root = repo.canonicalize().ok()?;
    if !resolve(&repo.join(path))?.starts_with(&root) {
        return Some(Problem::LeavesRepository);
    }
    clash(repo, &repo.join(path))
}

/// `path` made absolute with every symbolic link of its existing part resolved; the part that
/// does not exist yet is appended as written (it can hold no link).
fn resolve(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    for existing in absolute.ancestors() {
        let Ok(canonical) = existing.canonicalize() else { continue };
        let rest = absolute.strip_prefix(existing).ok()?;
        let mut resolved = canonical;
        for component in rest.components() {
            match component {
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::Normal(name) => resolved.push(name),
                _ => {}
            }
        }
        return Some(resolved);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join(POLICY_DIR)).expect("mkdir");
        dir
    }

    #[test]
    fn output_folders_that_would_replace_the_sources() {
        let dir = repo();
        let root = dir.path();
        assert_eq!(clash(root, &root.join("policies")), Some(Problem::IsPolicies));
        assert_eq!(clash(root, &root.join("policies/generated")), Some(Problem::InsidePolicies));
        assert_eq!(clash(root, &root.join("policies/a/../b")), Some(Problem::InsidePolicies));
        assert_eq!(clash(root, root), Some(Problem::HoldsRepository));
        assert_eq!(clash(root, root.parent().expect("parent")), Some(Problem::HoldsRepository));
        assert_eq!(clash(root, &root.join("out")), None);
        assert_eq!(clash(root, &root.join("new/../out")), None);
    }

    #[test]
    fn configured_output_stays_inside_the_repository() {
        let dir = repo();
        let root = dir.path();
        assert_eq!(configured(root, "/tmp/victim"), Some(Problem::Absolute));
        assert_eq!(configured(root, "../victim"), Some(Problem::Parent));
        assert_eq!(configured(root, "out/../../victim"), Some(Problem::Parent));
        assert_eq!(configured(root, "."), Some(Problem::HoldsRepository));
        assert_eq!(configured(root, "policies/out"), Some(Problem::InsidePolicies));
        assert_eq!(configured(root, "build/out"), None);
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().expect("tempdir");
            std::os::unix::fs::symlink(outside.path(), root.join("link")).expect("symlink");
            assert_eq!(configured(root, "link/out"), Some(Problem::LeavesRepository));
            assert_eq!(configured(root, "link"), Some(Problem::LeavesRepository));
        }
    }
}
