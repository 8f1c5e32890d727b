//! `schemas/apple/` is exactly what `ddmc apple-schemas` generates from Apple's YAML in
//! `../shared/reference` (skipped, with a message, when that is absent).

use crate::common;
use ddmc::generate::generate;
use std::path::Path;

#[test]
fn generated_apple_schemas_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(reference) = common::shared("apple-device-management") else { return };
    let files = generate(&reference).expect("Apple's YAML reads");
    let dir = root.join("schemas/apple");
    let committed: Vec<String> = std::fs::read_dir(&dir)
        .expect("schemas/apple")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(committed.len(), files.len(), "schemas/apple holds exactly the generated files: {committed:?}");
    for file in files {
        let on_disk = std::fs::read(dir.join(&file.path)).unwrap_or_default();
        assert!(
            on_disk == file.bytes,
            "schemas/apple/{} is stale: run `cargo run -- apple-schemas` and commit",
            file.path
        );
    }
}

fn apple_schemas(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let output =
        assert_cmd::Command::cargo_bin("ddmc").expect("binary").arg("apple-schemas").args(args).output().expect("runs");
    (output.status.code().expect("exit code"), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Without Apple's YAML, a usage error that says how to point at it.
#[test]
fn a_missing_reference_is_a_usage_error_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("device-management");
    let out = dir.path().join("out");
    for check in [true, false] {
        let mut args =
            vec![std::ffi::OsStr::new("--reference"), missing.as_os_str(), "--out".as_ref(), out.as_os_str()];
        if check {
            args.push("--check".as_ref());
        }
        let (code, stderr) = apple_schemas(&args);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(stderr.contains("help: pass `--reference DIR`"), "{stderr}");
    }
    assert!(!out.exists());
}

/// Only into an empty folder or an earlier output: never mixed into someone else's files.
#[test]
fn writes_only_into_an_empty_folder_or_an_earlier_output() {
    let Some(reference) = common::shared("apple-device-management") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("schemas");
    let args = [std::ffi::OsStr::new("--reference"), reference.as_os_str(), "--out".as_ref(), out.as_os_str()];
    let (code, stderr) = apple_schemas(&args);
    assert_eq!(code, 0, "a new folder: {stderr}");
    let (code, stderr) = apple_schemas(&args);
    assert_eq!(code, 0, "an earlier output: {stderr}");
    std::fs::write(out.join("notes.txt"), "keep me").expect("write");
    std::fs::remove_file(out.join("support.json")).expect("remove");
    let (code, stderr) = apple_schemas(&args);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("holds files `ddmc apple-schemas` does not write (`notes.txt`)"), "{stderr}");
    assert!(!out.join("support.json").exists(), "nothing written");
}
