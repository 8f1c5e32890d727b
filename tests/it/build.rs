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
    // The contract: a BSI `automatic_install` has no legacy equivalent on iOS 16-17. The BSI
    // and the minor update, one after the other, are a plan, not a conflict.
    assert_eq!(warnings, ["warning[unsupported]: `automatic_install` has no legacy equivalent on iOS"], "{stderr}");
    assert_tree(&fixture("shipped-examples").join("expected"), &tree);
}

/// The shipped policies in each MDM format: `expected-<format>/`, reviewed like the raw tree.
#[test]
fn shipped_examples_in_every_format() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for format in ["kmfddm", "fleet"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let output = ddmc().args(["build", "--format", format, "--out"]).arg(&out).arg(root).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{format}: {stderr}");
        if format == "fleet" {
            assert!(
                stderr.contains(
                    "warning[unsupported]: `enforce` is not exported for Fleet (26.3.1 by 2026-12-01T18:00:00)"
                ),
                "{stderr}"
            );
        }
        let tree = read_tree(&out);
        assert_tree(&fixture("shipped-examples").join(format!("expected-{format}")), &tree);
        // A second build of the same format replaces the first (the folder is ddmc's).
        let again = ddmc().args(["build", "--format", format, "--out"]).arg(&out).arg(root).output().expect("runs");
        assert!(again.status.success(), "{format}: {}", String::from_utf8_lossy(&again.stderr));
        let check =
            ddmc().args(["build", "--check", "--format", format, "--out"]).arg(&out).arg(root).output().expect("runs");
        assert!(check.status.success(), "{format}: --check of a fresh build");
    }
}

/// `upload.sh` is plain POSIX sh that shellcheck accepts (checked where shellcheck exists).
#[test]
fn the_kmfddm_upload_script_passes_shellcheck() {
    let script = fixture("shipped-examples").join("expected-kmfddm/upload.sh");
    match std::process::Command::new("shellcheck").arg("--shell=sh").arg(&script).output() {
        Ok(output) => assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout)),
        Err(_) => eprintln!("skipped: shellcheck is not installed"),
    }
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

/// Rebuilds into one output, each reading the unchanged policies from the policy cache the
/// build before left (and one from a cache cut in half), write what a first build writes,
/// messages included.
#[test]
fn rebuilds_from_the_policy_cache_write_what_a_first_build_writes() {
    let repo = tempfile::tempdir().expect("tempdir");
    write_tree(repo.path(), &read_tree(&fixture("every-field").join("repo")));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let cache = dir.path().join(".out.ddmc-policies");
    let env = [(BETA_VAR, "x")];
    let rebuild = || {
        let mut cmd = ddmc();
        cmd.arg("build").arg(repo.path()).arg("--out").arg(&out).args(["--now", crate::common::NOW]).envs(env);
        let output = cmd.output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "build failed:\n{stderr}");
        (read_tree(&out), stderr)
    };
    let policies = repo.path().join("policies");
    let name = read_tree(&policies).into_keys().find(|n| n.ends_with(".yaml")).expect("a policy");
    let first = policies.join(name);
    let text = fs::read_to_string(&first).expect("policy");
    for step in 0..4 {
        match step {
            // One policy changed (a comment: its positions move).
            2 => fs::write(&first, format!("# changed\n{text}")).expect("write"),
            // The cache cut in half.
            3 => {
                let bytes = fs::read(&cache).expect("a policy cache");
                fs::write(&cache, &bytes[..bytes.len() / 2]).expect("write");
            }
            _ => {}
        }
        let (cached, messages) = rebuild();
        assert!(cache.is_file(), "step {step}: the build left its policy cache");
        let (fresh, fresh_messages) = build(repo.path(), &env);
        assert!(cached == fresh, "step {step}: the same files");
        assert_eq!(messages, fresh_messages.replace(&fresh_out(&fresh_messages), &out.display().to_string()));
    }
}

/// The output folder a build's summary names.
fn fresh_out(messages: &str) -> String {
    messages
        .rsplit_once(" into `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(out, _)| out.to_owned())
        .unwrap_or_default()
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
    assert_eq!(changed, vec!["com.example.ddm.legacy.macos.all"]);
    fs::write(dir.join("mac.yaml"), policy(45, "one")).expect("write");
    let after = tokens(&build(repo.path(), &[]).0);
    let changed: Vec<&String> = before.keys().filter(|k| before[*k] != after[*k]).collect();
    // The profile's content changes; its identity (PayloadUUID) does not.
    assert_eq!(changed, vec!["com.example.ddm.legacy.macos.all", "com.example.ddm.mac.settings", "group:all"]);
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

/// Two builds of the same repository into the same output at once: the lock makes the second
/// wait, so neither fails, and no temporary folder is left behind (20 rounds).
#[test]
fn concurrent_builds_of_one_output_never_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = fixture("every-field").join("repo");
    let out = dir.path().join("out");
    let spawn = || {
        ddmc()
            .arg("build")
            .arg(&repo)
            .arg("--out")
            .arg(&out)
            .env(BETA_VAR, "x")
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .expect("runs")
    };
    for round in 0..20 {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(spawn);
            let b = s.spawn(spawn);
            (a.join().expect("thread"), b.join().expect("thread"))
        });
        for output in [a, b] {
            assert!(output.status.success(), "round {round}: {}", String::from_utf8_lossy(&output.stderr));
        }
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [".out.ddmc-index", ".out.ddmc-lock", ".out.ddmc-policies", ".out.ddmc-spare", "out"],
            "round {round}"
        );
    }
}

/// A build that finds the output locked says so on stderr, waits, and then builds.
#[test]
fn a_locked_output_makes_the_build_wait_and_say_so() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let lock = fs::File::create(dir.path().join(".out.ddmc-lock")).expect("lock file");
    lock.lock().expect("lock");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ddmc"))
        .arg("build")
        .arg(fixture("every-field").join("repo"))
        .arg("--out")
        .arg(&out)
        .env(BETA_VAR, "x")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let expected = format!("waiting for another build of `{}`", out.display());
    let mut seen = Vec::new();
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).expect("read") > 0, "ended without waiting: {seen:?}");
        if line.trim_end() == expected {
            break;
        }
        seen.push(line);
    }
    assert!(!out.exists(), "nothing is written while another build holds the lock");
    drop(lock);
    let status = child.wait().expect("wait");
    assert!(status.success());
    assert!(out.join("manifest.json").exists());
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

/// Apple documents no precedence for AND and OR in predicates: in every activation of the
/// expected trees, no parenthesis level mixes the two (each compound operand is in parentheses).
#[test]
fn every_compound_predicate_is_fully_parenthesised() {
    fn mixes_and_or(predicate: &str) -> bool {
        let mut levels: Vec<(bool, bool)> = vec![(false, false)];
        let mut quote: Option<char> = None;
        let chars: Vec<char> = predicate.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), '\\') => i += 1,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => levels.push((false, false)),
                (None, ')') => {
                    levels.pop();
                }
                (None, _) => {
                    let rest: String = chars[i..].iter().take(5).collect();
                    let level = levels.last_mut().expect("balanced");
                    if rest.starts_with(" AND ") {
                        level.0 = true;
                    } else if rest.starts_with(" OR ") {
                        level.1 = true;
                    }
                    if level.0 && level.1 {
                        return true;
                    }
                }
            }
            i += 1;
        }
        false
    }
    assert!(mixes_and_or("a == 1 AND b == 2 OR c == 3"), "the check sees a mix");
    assert!(!mixes_and_or("(a == 1 AND b == 2) OR c == 3"));
    let mut seen = 0;
    for case in ["every-field", "shipped-examples"] {
        let tree = read_tree(&fixture(case).join("expected"));
        for (name, bytes) in tree.iter().filter(|(n, _)| n.starts_with("declarations/")) {
            let value: serde_json::Value = serde_json::from_slice(bytes).expect("json");
            if let Some(predicate) = value["Payload"]["Predicate"].as_str() {
                seen += 1;
                assert!(!mixes_and_or(predicate), "{name}: {predicate}");
            }
        }
    }
    assert!(seen > 5, "activations were checked");
}
