//! Policies that disagree for the same devices: reported once, with both places, the value
//! the device applies and Apple's rule; `--deny-conflicts` makes them errors.

use crate::common;

use assert_cmd::Command;
use common::repo;
use std::path::Path;

fn check(repo: &Path, extra: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .args(["--message-format", "short"])
        .args(extra)
        .arg("check")
        .arg(repo)
        .args(["--now", crate::common::NOW])
        .output()
        .expect("runs");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn policy(id: &str, groups: &str, body: &str) -> String {
    format!("id: {id}\ntargets:\n  platforms: [macOS]\n  groups: [{groups}]\n{body}")
}

const STRICT: &str =
    "software_updates:\n  automatic_install: always_on\n  notifications: true\n  deferrals:\n    major_days: 30\n";
const RELAXED: &str =
    "software_updates:\n  automatic_install: always_off\n  notifications: true\n  deferrals:\n    major_days: 60\n";

#[test]
fn disagreements_name_both_places_and_the_winner() {
    let dir = repo(&[
        ("policies/a.yaml", &policy("strict", "all", STRICT)),
        ("policies/b.yaml", &policy("relaxed", "lab", RELAXED)),
    ]);
    let (code, stderr) = check(dir.path(), &[]);
    assert_eq!(code, 0, "conflicts are warnings by default: {stderr}");
    let conflicts: Vec<&str> = stderr.lines().filter(|l| l.contains("[conflict]")).collect();
    assert_eq!(
        conflicts,
        [
            // macOS 13-14: the merged legacy profile.
            "policies/b.yaml:6:22: warning[conflict]: policies disagree on `software_updates.automatic_install` for RSR-era devices: `relaxed` sets `false`, `strict` sets `true` (help: the device gets `false`; make the policies agree, or narrow their groups)",
            // macOS 15 and later: the declarations.
            "policies/b.yaml:6:22: warning[conflict]: policies disagree on `software_updates.automatic_install`: `relaxed` sets `AlwaysOff`, `strict` sets `AlwaysOn` (help: the device applies `AlwaysOff`; make the policies agree, or narrow their groups)",
            "policies/b.yaml:9:17: warning[conflict]: policies disagree on `software_updates.deferrals.major_days` for RSR-era devices: `relaxed` sets `60`, `strict` sets `30` (help: the device gets `60`; make the policies agree, or narrow their groups)",
            "policies/b.yaml:9:17: warning[conflict]: policies disagree on `software_updates.deferrals.major_days`: `relaxed` sets `60`, `strict` sets `30` (help: the device applies `60`; make the policies agree, or narrow their groups)",
        ],
        "{stderr}"
    );
}

#[test]
fn deny_conflicts_fails_and_writes_nothing() {
    let dir = repo(&[
        ("policies/a.yaml", &policy("strict", "all", STRICT)),
        ("policies/b.yaml", &policy("relaxed", "lab", RELAXED)),
    ]);
    let (code, stderr) = check(dir.path(), &["--deny-conflicts"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[conflict]"), "{stderr}");
    let out = dir.path().join("out");
    let status = Command::cargo_bin("ddmc")
        .expect("binary")
        .args(["--deny-conflicts", "build"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(status.status.code(), Some(1));
    assert!(!out.exists(), "nothing written");
    // Not even the spare a build streams into, nor the lock: the conflicts are known first.
    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .expect("repo")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into())
        .collect();
    beside.sort();
    assert_eq!(beside, ["policies"], "nothing beside the output");
}

#[test]
fn disjoint_groups_and_agreement_do_not_conflict() {
    let dir = repo(&[
        ("policies/a.yaml", &policy("strict", "office", STRICT)),
        ("policies/b.yaml", &policy("relaxed", "lab", RELAXED)),
    ]);
    let (_, stderr) = check(dir.path(), &[]);
    assert!(!stderr.contains("[conflict]"), "no device is in both groups: {stderr}");
    let same =
        repo(&[("policies/a.yaml", &policy("one", "all", STRICT)), ("policies/b.yaml", &policy("two", "all", STRICT))]);
    let (_, stderr) = check(same.path(), &[]);
    assert!(!stderr.contains("[conflict]"), "the same values agree: {stderr}");
}

fn enforce(entries: &[(&str, Option<&str>, &str)]) -> String {
    let mut text = String::from("enforce:\n");
    for (version, build, deadline) in entries {
        text += &format!("  - os_version: \"{version}\"\n    deadline: \"{deadline}\"\n");
        if let Some(build) = build {
            text += &format!("    build_version: \"{build}\"\n");
        }
    }
    text
}

fn conflicts(files: &[(&str, &str)]) -> Vec<String> {
    let dir = repo(files);
    let (_, stderr) = check(dir.path(), &[]);
    stderr.lines().filter(|l| l.contains("[conflict]")).map(str::to_string).collect()
}

#[test]
fn sequential_targets_are_a_plan_not_a_conflict() {
    let first = policy("first", "all", &enforce(&[("26.3.1", None, "2026-12-01T18:00:00")]));
    let second = policy("second", "all", &enforce(&[("26.4", None, "2026-12-15T20:00:00")]));
    let found = conflicts(&[("policies/a.yaml", &first), ("policies/b.yaml", &second)]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn an_older_version_due_later_is_a_conflict() {
    let first = policy("first", "all", &enforce(&[("26.3.1", None, "2026-12-01T18:00:00")]));
    let second = policy("second", "all", &enforce(&[("26.4", None, "2026-11-25T18:00:00")]));
    let found = conflicts(&[("policies/a.yaml", &first), ("policies/b.yaml", &second)]);
    assert_eq!(
        found,
        [
            "policies/a.yaml:6:17: warning[conflict]: enforcement target 26.3.1 by 2026-12-01T18:00:00 can never apply: 26.4 is due earlier (help: remove it, or give it a deadline before 2026-11-25T18:00:00 if it is a step towards 26.4)"
        ]
    );
}

#[test]
fn one_version_with_two_deadlines_is_a_conflict() {
    let first = policy("first", "all", &enforce(&[("26.4", None, "2026-12-15T20:00:00")]));
    let second = policy("second", "lab", &enforce(&[("26.4", None, "2026-12-20T20:00:00")]));
    let found = conflicts(&[("policies/a.yaml", &first), ("policies/b.yaml", &second)]);
    assert_eq!(
        found,
        [
            "policies/a.yaml:7:15: warning[conflict]: 26.4 is enforced with 2 different deadlines: 26.4 by 2026-12-15T20:00:00 (policy `first`), 26.4 by 2026-12-20T20:00:00 (policy `second`) (help: give every 26.4 target the same deadline, or keep one)"
        ]
    );
}

#[test]
fn one_version_with_two_builds_is_a_conflict() {
    let first = policy("first", "all", &enforce(&[("26.3.1", Some("25D771280a"), "2026-12-01T18:00:00")]));
    let second = policy("second", "all", &enforce(&[("26.3.1", Some("25D771280b"), "2026-12-01T18:00:00")]));
    let found = conflicts(&[("policies/a.yaml", &first), ("policies/b.yaml", &second)]);
    assert_eq!(
        found,
        [
            "policies/a.yaml:8:20: warning[conflict]: 26.3.1 is enforced with 2 different builds: 26.3.1 (25D771280a) by 2026-12-01T18:00:00 (policy `first`), 26.3.1 (25D771280b) by 2026-12-01T18:00:00 (policy `second`) (help: enforce one build, or leave `build_version` out)"
        ]
    );
}

/// The shipped examples enforce 26.3.1 (a), then 26.4: a plan, which `--deny-conflicts` accepts.
#[test]
fn deny_conflicts_accepts_the_shipped_policies() {
    let (code, stderr) = check(Path::new(env!("CARGO_MANIFEST_DIR")), &["--deny-conflicts"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("[conflict]"), "{stderr}");
}

/// `--deny-conflicts` makes legacy-era disagreements errors too.
#[test]
fn deny_conflicts_covers_legacy_profiles() {
    let mac = |id: &str, groups: &str, removal: bool| {
        format!(
            "id: {id}\ntargets:\n  platforms: [macOS]\n  groups: [{groups}]\nbackground_security_improvements:\n  user_removal: {removal}\n"
        )
    };
    // Both reach macOS 15 too: declarations combine there (boolean-and), so the only
    // conflicts are the declarations' and the legacy profile's.
    let dir = repo(&[("policies/a.yaml", &mac("one", "all", false)), ("policies/b.yaml", &mac("two", "lab", true))]);
    let (code, stderr) = check(dir.path(), &["--deny-conflicts"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "error[conflict]: policies disagree on `background_security_improvements.user_removal` for RSR-era devices"
        ),
        "{stderr}"
    );
}
