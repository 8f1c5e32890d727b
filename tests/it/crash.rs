//! Crash safety of `ddmc build`, end to end: a build SIGKILLed at any instant (while it
//! parses, while it brings the spare tree up to date, during the swap) leaves the output path
//! holding a complete old or a complete new build, file for file; the next build succeeds and
//! leaves nothing beside the output but its lock file, the spare (the build before), the
//! index and the policy cache (which a kill while it is appended to may leave cut short: the
//! builds after read what is whole of it, and must give the right output all the same).
//!
//! Two generated repositories (a thousand small policies each, so that a build takes about a
//! second in the debug test build) build into the same output in turn; each build is killed
//! after a delay spread over a measured uninterrupted build, densest near its end, where the
//! swap happens.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Policies per repository: enough for a build of about a second in the debug build.
const POLICIES: usize = 1_000;
/// Kill points over one build.
const KILLS: usize = 16;
const NOW: &str = crate::common::NOW;

type Tree = BTreeMap<String, Vec<u8>>;

/// One small policy; `version` changes the settings and deadlines of every third one, so
/// that many files differ between the two repositories and the others stay the same (those
/// are hard-linked into the new tree, not rewritten).
fn policy(i: usize, version: usize) -> String {
    let version = if i.is_multiple_of(3) { version } else { 0 };
    let days = 1 + (i + version * 7) % 90;
    let group = i % 20;
    if i.is_multiple_of(2) {
        format!(
            "id: mac-{i}\ntargets:\n  platforms: [macOS]\n  groups: [g{group}]\n\
             software_updates:\n  automatic_download: always_on\n  deferrals:\n    major_days: {days}\n\
             enforce:\n  - os_version: \"26.4\"\n    deadline: \"2026-12-{:02}T18:00:00\"\n",
            1 + (i % 3 + version) % 28
        )
    } else {
        format!(
            "id: ios-{i}\ntargets:\n  platforms: [iOS]\n  groups: [g{group}]\n\
             software_updates:\n  notifications: true\n  deferrals:\n    combined_days: {days}\n"
        )
    }
}

/// A repository of `POLICIES` policies; the new one also drops some policies and adds others,
/// so that the two output trees do not even have the same file names.
fn generate(root: &Path, version: usize) {
    fs::create_dir_all(root).expect("mkdir");
    fs::write(root.join("ddmc.yaml"), "organization:\n  identifier_prefix: com.example.crash\n").expect("ddmc.yaml");
    for i in (version * 50)..(POLICIES + version * 50) {
        let path = root.join("policies").join(format!("team-{}", i % 16)).join(format!("p{i}.yaml"));
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, policy(i, version)).expect("write");
    }
}

fn build(repo: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ddmc"))
        .args(["--quiet", "build", "--now", NOW])
        .arg(repo)
        .arg("--out")
        .arg(out)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ddmc runs")
}

/// A whole build, not killed: how long it took.
fn build_fully(repo: &Path, out: &Path) -> Duration {
    let start = Instant::now();
    let status = build(repo, out).wait().expect("wait");
    assert!(status.success(), "ddmc build {} failed: {status}", repo.display());
    start.elapsed()
}

fn read_tree(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        for entry in fs::read_dir(dir).expect("readable") {
            let entry = entry.expect("entry");
            let path = entry.path();
            let kind = entry.file_type().expect("file type");
            assert!(!kind.is_symlink(), "a link in the output: {}", path.display());
            if kind.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).expect("inside").to_string_lossy().into_owned();
                out.insert(name, fs::read(&path).expect("readable"));
            }
        }
    }
    let mut tree = Tree::new();
    walk(root, root, &mut tree);
    tree
}

/// The tree's manifest lists exactly its other files: the tree is a complete build.
fn assert_complete(tree: &Tree) {
    let manifest: serde_json::Value =
        serde_json::from_slice(tree.get("manifest.json").expect("a manifest")).expect("manifest is JSON");
    let mut listed: Vec<&str> = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| a["path"].as_str().expect("path"))
        .collect();
    listed.push("manifest.json");
    listed.sort_unstable();
    let present: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(present, listed, "the manifest lists every file of the build, and only those");
}

/// Which of the two known builds `out` holds; panics naming the first difference when it
/// is neither.
fn which(out: &Path, old: &Tree, new: &Tree, after: Duration) -> &'static str {
    let found = read_tree(out);
    if &found == old {
        return "old";
    }
    if &found == new {
        return "new";
    }
    let closer = if found.keys().eq(new.keys()) { new } else { old };
    let missing = closer.keys().find(|k| !found.contains_key(*k));
    let extra = found.keys().find(|k| !closer.contains_key(*k));
    let differs = found.iter().find(|(k, v)| closer.get(*k).is_some_and(|c| c != *v)).map(|(k, _)| k);
    panic!(
        "after a kill at {after:?} the output is neither the old nor the new build \
         ({} files; missing {missing:?}, extra {extra:?}, different {differs:?})",
        found.len()
    );
}

/// Temporary files and folders of builds beside the output: anything but the lock, the spare
/// tree, the index and the policy cache.
fn temporaries(parent: &Path) -> Vec<PathBuf> {
    fs::read_dir(parent)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(".out.")
                    && ![".out.ddmc-lock", ".out.ddmc-spare", ".out.ddmc-index", ".out.ddmc-policies"].contains(&n)
            })
        })
        .collect()
}

#[test]
fn a_killed_build_leaves_the_old_or_the_new_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = [dir.path().join("old"), dir.path().join("new")];
    for (version, repo) in repos.iter().enumerate() {
        generate(repo, version);
    }
    let parent = dir.path().join("output");
    fs::create_dir(&parent).expect("mkdir");
    let out = parent.join("out");

    build_fully(&repos[0], &out);
    let old = read_tree(&out);
    // A rebuild over an existing output, as every killed build below is: the time to spread
    // the kills over.
    let took = build_fully(&repos[1], &out);
    let new = read_tree(&out);
    assert_complete(&old);
    assert_complete(&new);
    assert_ne!(old, new);
    assert!(old.len() > POLICIES, "{} files", old.len());
    let shared = old.iter().filter(|(k, v)| new.get(*k) == Some(*v)).count();
    assert!(shared > 0 && shared < old.len(), "some files are shared, most are not: {shared}");

    // Delays from 0 to 1.5 times a build (a loaded machine slows some builds), denser towards
    // the end (the swap and the removal of the old tree); each build goes from the build the
    // output holds to the other one.
    let mut holds = "new";
    let (mut interrupted, mut left_temporaries) = (0, 0);
    for k in 0..KILLS {
        let fraction = (k as f64 / (KILLS - 1) as f64).sqrt() * 1.5;
        let delay = took.mul_f64(fraction);
        let target = if holds == "old" { &repos[1] } else { &repos[0] };
        let mut child = build(target, &out);
        std::thread::sleep(delay);
        // SIGKILL on unix; an error only means it had already exited.
        let _ = child.kill();
        child.wait().expect("wait");
        let now = which(&out, &old, &new, delay);
        interrupted += usize::from(now == holds);
        left_temporaries += usize::from(!temporaries(&parent).is_empty());
        holds = now;
    }
    eprintln!(
        "a build takes {took:?}; {interrupted} of {KILLS} killed builds left the output as it was, \
         {left_temporaries} left temporary folders"
    );
    assert!(interrupted > 0, "the early kills interrupt the build");

    // The next build succeeds, removes what the killed ones left, and leaves nothing behind.
    let target = if holds == "old" { &repos[1] } else { &repos[0] };
    build_fully(target, &out);
    let expected = if holds == "old" { &new } else { &old };
    assert!(&read_tree(&out) == expected, "a normal build after the kills gives its whole tree");
    assert_eq!(temporaries(&parent), Vec::<PathBuf>::new(), "no temporary folders beside the output");
    let mut names: Vec<String> = fs::read_dir(&parent)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".out.ddmc-index", ".out.ddmc-lock", ".out.ddmc-policies", ".out.ddmc-spare", "out"],
        "the output, its lock file, the spare, the index and the policy cache"
    );
    let before = if holds == "old" { &old } else { &new };
    assert!(&read_tree(&parent.join(".out.ddmc-spare")) == before, "the spare is the build the output held");
}
