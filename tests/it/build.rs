//! End to end: a policy repository in, the output tree out. Expected trees live in
//! `tests/fixtures/build/<case>/expected/` and are compared byte for byte; after a
//! reviewed change, regenerate them with `UPDATE_EXPECTED=1 cargo test --test it build::`.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

type Tree = BTreeMap<String, Vec<u8>>;

const BETA_VAR: &str = "DDMC_FIXTURE_BETA_TOKEN";

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build").join(case)
}

fn ddmc() -> Command {
    let mut cmd = Command::cargo_bin("ddmc").expect("ddmc binary");
    cmd.env_remove(BETA_VAR).env("NO_COLOR", "1");
    cmd
}

/// Builds `repo` into a fresh folder; the tree and stderr.
fn build(repo: &Path, env: &[(&str, &str)]) -> (Tree, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let mut cmd = ddmc();
    cmd.arg("build").arg(repo).arg("--out").arg(&out).args(["--now", crate::common::NOW]).envs(env.iter().copied());
    let output = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "build failed:\n{stderr}");
    (read_tree(&out), stderr)
}

fn read_tree(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        for entry in fs::read_dir(dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).expect("inside").to_string_lossy().replace('\\', "/");
                out.insert(name, fs::read(&path).expect("readable"));
            }
        }
    }
    let mut tree = Tree::new();
    walk(root, root, &mut tree);
    tree
}

fn write_tree(root: &Path, tree: &Tree) {
    if root.exists() {
        fs::remove_dir_all(root).expect("clear expected");
    }
    for (name, bytes) in tree {
        let path = root.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, bytes).expect("write");
    }
}

fn assert_tree(expected_dir: &Path, actual: &Tree) {
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        write_tree(expected_dir, actual);
        return;
    }
    let expected = read_tree(expected_dir);
    let names = |t: &Tree| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(actual), names(&expected), "file list differs from {}", expected_dir.display());
    for (name, bytes) in actual {
        assert!(
            expected[name] == *bytes,
            "{name} differs from {}:\n{}",
            expected_dir.display(),
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn every_field_on_both_platforms() {
    let repo = fixture("every-field");
    let (tree, stderr) = build(&repo.join("repo"), &[(BETA_VAR, "secret-from-env")]);
    assert_tree(&repo.join("expected"), &tree);
    // The closing line names the temporary output folder.
    let diagnostics: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("built ")).collect();
    insta::assert_snapshot!("every_field_warnings", diagnostics.join("\n"));
}

#[test]
fn shipped_examples_build_with_only_the_expected_warning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (tree, stderr) = build(root, &[]);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning")).collect();
    // The contract: a BSI `automatic_install` has no legacy equivalent on iOS 16-17; and the
    // BSI and the minor update are two enforcement targets for the same Macs, one after the other.
    assert_eq!(
        warnings,
        [
            "warning[unsupported]: `automatic_install` has no legacy equivalent on iOS",
            "warning[conflict]: 2 enforcement targets reach the same devices",
        ],
        "{stderr}"
    );
    assert_tree(&fixture("shipped-examples").join("expected"), &tree);
}

/// YAML and JSON with the same structure give the same declarations.
#[test]
fn yaml_and_json_are_equivalent() {
    let yaml = "id: same\ntargets:\n  platforms: [macOS, iOS]\nbackground_security_improvements:\n  automatic_install: always_on\n  user_removal: false\nenforce:\n  - platform: iOS\n    os_version: \"26.3.1\"\n    build_version: \"23D771330a\"\n    deadline: \"2026-12-01T18:00:00\"\n";
    let json = r#"{"id": "same", "targets": {"platforms": ["macOS", "iOS"]},
        "background_security_improvements": {"automatic_install": "always_on", "user_removal": false},
        "enforce": [{"platform": "iOS", "os_version": "26.3.1", "build_version": "23D771330a", "deadline": "2026-12-01T18:00:00"}]}"#;
    let trees: Vec<Tree> = [("p.yaml", yaml), ("p.json", json)]
        .iter()
        .map(|(name, text)| {
            let repo = tempfile::tempdir().expect("tempdir");
            fs::create_dir(repo.path().join("policies")).expect("mkdir");
            fs::write(repo.path().join("policies").join(name), text).expect("write");
            build(repo.path(), &[]).0
        })
        .collect();
    let declarations = |t: &Tree| {
        t.iter().filter(|(k, _)| k.starts_with("declarations/")).map(|(k, v)| (k.clone(), v.clone())).collect::<Tree>()
    };
    assert!(declarations(&trees[0]).len() > 4);
    assert_eq!(declarations(&trees[0]), declarations(&trees[1]));
}

/// Files created in a different order, in differently nested folders, give the same bytes.
#[test]
fn output_does_not_depend_on_file_order() {
    let source = fixture("every-field").join("repo");
    let files: Vec<(String, Vec<u8>)> = read_tree(&source).into_iter().collect();
    let make = |order: &mut dyn Iterator<Item = &(String, Vec<u8>)>| {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, bytes) in order {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(path, bytes).expect("write");
        }
        dir
    };
    let forward = make(&mut files.iter());
    let backward = make(&mut files.iter().rev());
    let env = [(BETA_VAR, "x")];
    let (a, _) = build(forward.path(), &env);
    let (b, _) = build(backward.path(), &env);
    assert_eq!(a, b);
    let (again, _) = build(forward.path(), &env);
    assert_eq!(a, again, "a second run gives the same bytes");
}

/// A ServerToken changes exactly when its declaration's content does.
#[test]
fn server_tokens_follow_content() {
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path().join("policies");
    fs::create_dir(&dir).expect("mkdir");
    let policy = |days: u32, description: &str| {
        format!(
            "id: mac\ndescription: {description}\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  deferrals:\n    major_days: {days}\nenforce:\n  - os_version: \"26.4\"\n    deadline: \"2026-12-01T18:00:00\"\n"
        )
    };
    // Declarations by ServerToken; legacy profiles by content token, and their UUIDs.
    let tokens = |tree: &Tree| -> BTreeMap<String, String> {
        let manifest: serde_json::Value = serde_json::from_slice(&tree["manifest.json"]).expect("manifest");
        let field = |a: &serde_json::Value, k: &str| a[k].as_str().expect(k).to_string();
        let mut out: BTreeMap<String, String> = manifest["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .flat_map(|a| match a["kind"].as_str() {
                Some("profile") => vec![
                    (field(a, "PayloadIdentifier"), field(a, "content_token")),
                    (format!("uuid:{}", field(a, "PayloadIdentifier")), field(a, "PayloadUUID")),
                ],
                _ => vec![(field(a, "Identifier"), field(a, "ServerToken"))],
            })
            .collect();
        out.insert("group:all".into(), manifest["groups"]["all"]["DeclarationsToken"].as_str().expect("token").into());
        out
    };
    fs::write(dir.join("mac.yaml"), policy(30, "one")).expect("write");
    let before = tokens(&build(repo.path(), &[]).0);
    fs::write(dir.join("mac.yaml"), policy(30, "a different description")).expect("write");
    let described = tokens(&build(repo.path(), &[]).0);
    let changed: Vec<&String> = before.keys().filter(|k| before[*k] != described[*k]).collect();
    // A description is content of no declaration, only of the profile (PayloadDescription).
    assert_eq!(changed, vec!["com.example.ddm.mac.legacy"]);
    fs::write(dir.join("mac.yaml"), policy(45, "one")).expect("write");
    let after = tokens(&build(repo.path(), &[]).0);
    let changed: Vec<&String> = before.keys().filter(|k| before[*k] != after[*k]).collect();
    // The profile's content changes; its identity (PayloadUUID) does not.
    assert_eq!(changed, vec!["com.example.ddm.mac.legacy", "com.example.ddm.mac.settings", "group:all"]);
}

#[test]
fn quiet_hides_warnings_but_not_the_result() {
    let repo = fixture("every-field").join("repo");
    let dir = tempfile::tempdir().expect("tempdir");
    let output = ddmc()
        .args(["--quiet", "build"])
        .arg(&repo)
        .arg("--out")
        .arg(dir.path().join("out"))
        .env(BETA_VAR, "x")
        .output()
        .expect("runs");
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning["), "{stderr}");
    assert!(stderr.contains("built 4 policies"), "{stderr}");
}

#[test]
fn check_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let source = fixture("every-field").join("repo");
    for (name, bytes) in read_tree(&source) {
        let path = repo.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, bytes).expect("write");
    }
    let before = read_tree(dir.path());
    let output = ddmc().arg("check").arg(&repo).output().expect("runs");
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("environment variable `{BETA_VAR}` is not set")), "{stderr}");
    assert_eq!(read_tree(dir.path()), before);
}

/// A past deadline is a warning against the clock (`--now`), and the output bytes do not
/// depend on the clock at all.
#[test]
fn the_clock_changes_warnings_never_output() {
    let repo = crate::common::repo(&[(
        "policies/p.yaml",
        "id: macos-26-4\ntargets:\n  platforms: [macOS]\nenforce:\n  - os_version: \"26.4\"\n    deadline: \"2020-01-01T09:00:00\"\n",
    )]);
    let run = |now: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let output = ddmc()
            .args(["--message-format", "short", "build"])
            .arg(repo.path())
            .arg("--out")
            .arg(&out)
            .args(["--now", now])
            .output()
            .expect("runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        (read_tree(&out), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (before_tree, before) = run("2019-12-31T23:59:59");
    let (after_tree, after) = run("2020-01-01T09:00:00");
    assert!(!before.contains("past-deadline"), "{before}");
    assert!(
        after.contains(
            "policies/p.yaml:6:15: warning[past-deadline]: the deadline of `enforce[0]`, 2020-01-01T09:00:00, has passed"
        ),
        "{after}"
    );
    assert_eq!(before_tree, after_tree);
    // Without `--now`, the machine's clock: 2020 is long past.
    let output = ddmc().arg("check").arg(repo.path()).output().expect("runs");
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning[past-deadline]"));
}
