//! `ddmc init`: a repository that checks and builds with no problem at all, and a second
//! `init` that refuses and names every file it would have overwritten.

use assert_cmd::Command;
use std::path::Path;

fn ddmc(args: &[&str], dir: &Path) -> (i32, String) {
    let output = Command::cargo_bin("ddmc").expect("binary").current_dir(dir).args(args).output().expect("runs");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn the_scaffold_builds_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stderr) = ddmc(&["init", "repo"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    let repo = dir.path().join("repo");
    for file in [".gitignore", ".pre-commit-config.yaml", ".github/workflows/ddmc.yml", "schemas/policy.schema.json"] {
        assert!(repo.join(file).is_file(), "{file}");
    }
    let (code, stderr) = ddmc(&["--message-format", "short", "check", "repo"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.ends_with("checked 2 policies: no problems\n"), "{stderr}");
    assert!(!stderr.contains("warning[") && !stderr.contains("error["), "notes only: {stderr}");
    let (code, stderr) = ddmc(&["--message-format", "short", "build", "repo"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    // The schemas it writes are the committed ones, which editors follow.
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/policy.schema.json");
    assert_eq!(std::fs::read(repo.join("schemas/policy.schema.json")).ok(), std::fs::read(committed).ok());
}

#[test]
fn a_second_init_refuses_and_names_the_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("policies")).expect("mkdir");
    std::fs::write(dir.path().join("policies/mac-baseline.yaml"), "mine").expect("write");
    std::fs::write(dir.path().join(".gitignore"), "mine").expect("write");
    let (code, stderr) = ddmc(&["init"], dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr,
        "error[usage]: refusing to overwrite `policies/mac-baseline.yaml`, `.gitignore`; nothing was written\n\n"
    );
    assert!(!dir.path().join("ddmc.yaml").exists(), "nothing was written");
    assert_eq!(std::fs::read_to_string(dir.path().join(".gitignore")).expect("kept"), "mine");
}
