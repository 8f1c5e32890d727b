//! `ddmc init`: a policy repository that builds cleanly, with the editor schemas, a
//! pre-commit configuration and a CI workflow. It never overwrites a file.

use crate::model::schema;
use std::path::{Path, PathBuf};

/// A file of the scaffold: its path in the repository and its text.
pub struct Scaffold {
    pub path: &'static str,
    pub text: String,
}

/// Every file `ddmc init` writes.
pub fn scaffold() -> Vec<Scaffold> {
    let json = |value: serde_json::Value| {
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    };
    let file = |path, text: &str| Scaffold { path, text: text.to_owned() };
    vec![
        file("ddmc.yaml", include_str!("ddmc.yaml")),
        file("policies/mac-baseline.yaml", include_str!("mac-baseline.yaml")),
        file("policies/iphone-baseline.yaml", include_str!("iphone-baseline.yaml")),
        Scaffold { path: "schemas/policy.schema.json", text: json(schema::policy_schema()) },
        Scaffold { path: "schemas/ddmc.schema.json", text: json(schema::project_schema()) },
        file(".gitignore", include_str!("gitignore")),
        file(".pre-commit-config.yaml", include_str!("pre-commit-config.yaml")),
        file(".github/workflows/ddmc.yml", include_str!("workflow.yml")),
    ]
}

/// Why nothing was written.
#[derive(Debug)]
pub enum InitError {
    /// These files exist already: nothing is overwritten.
    Exists(Vec<String>),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::Exists(paths) => {
                write!(f, "refusing to overwrite {}; nothing was written", paths.join(", "))
            }
            InitError::Io(path, e) => write!(f, "cannot write `{}`: {e}", path.display()),
        }
    }
}

/// Writes the scaffold into `dir` (created if absent), or nothing when any of its files
/// exists (a link counts as existing, dangling or not).
pub fn init(dir: &Path) -> Result<Vec<&'static str>, InitError> {
    let files = scaffold();
    let existing: Vec<String> = files
        .iter()
        .filter(|f| std::fs::symlink_metadata(dir.join(f.path)).is_ok())
        .map(|f| format!("`{}`", f.path))
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    for f in &files {
        let path = dir.join(f.path);
        let io = |e| InitError::Io(path.clone(), e);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // `create_new`: a file that appeared meanwhile is not overwritten either.
        let mut out = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(io)?;
        std::io::Write::write_all(&mut out, f.text.as_bytes()).map_err(io)?;
    }
    Ok(files.iter().map(|f| f.path).collect())
}
