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
            "policies/b.yaml:6:22: warning[conflict]: policies disagree on `software_updates.automatic_install`: `relaxed` sets `AlwaysOff`, `strict` sets `AlwaysOn` (help: the device applies `AlwaysOff`; make the policies agree, or narrow their groups)",
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

#[test]
fn several_enforcement_targets_say_what_the_device_does() {
    let enforce = |version: &str, deadline: &str| {
        format!("enforce:\n  - os_version: \"{version}\"\n    deadline: \"{deadline}\"\n")
    };
    let dir = repo(&[
        ("policies/a.yaml", &policy("first", "all", &enforce("26.3.1", "2026-12-01T18:00:00"))),
        ("policies/b.yaml", &policy("second", "all", &enforce("26.4", "2026-11-25T18:00:00"))),
    ]);
    let (_, stderr) = check(dir.path(), &[]);
    assert!(
        stderr.contains("2 enforcement targets reach the same devices (help: redundant, since a newer target is due no later: 26.3.1 by 2026-12-01T18:00:00 (policy `first`); remove it)"),
        "{stderr}"
    );
}
