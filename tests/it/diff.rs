//! `ddmc build --check` (is the committed output current?) and `ddmc diff` (what changed,
//! between two output folders or against a git revision).

use crate::common::repo;
use assert_cmd::Command;
use std::path::Path;

const PROJECT: &str = "organization:\n  identifier_prefix: com.example.diff\n";

fn policy(major_days: u32) -> String {
    format!(
        "id: mac-baseline\ntargets:\n  platforms: [macOS]\n  groups: [staff]\nsoftware_updates:\n  deferrals:\n    major_days: {major_days}\n"
    )
}

fn ddmc(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("ddmc").expect("binary").current_dir(dir).args(args).output().expect("runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

#[test]
fn build_check_names_stale_missing_and_extra_files_and_writes_nothing() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy(30))]);
    let (code, _, stderr) = ddmc(dir.path(), &["build", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = ddmc(dir.path(), &["build", "--check"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");

    let out = dir.path().join("out");
    std::fs::write(dir.path().join("policies/mac.yaml"), policy(60)).expect("edit");
    std::fs::remove_file(out.join("declarations/com.example.diff.status-subscriptions.json")).expect("rm");
    std::fs::write(out.join("declarations/leftover.json"), "{}").expect("extra");
    let before = std::fs::read(out.join("manifest.json")).expect("manifest");
    let (code, stdout, stderr) = ddmc(dir.path(), &["build", "--check"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "stale: declarations/com.example.diff.mac-baseline.settings.json",
            "stale: manifest.json",
            "stale: profiles/com.example.diff.legacy.macos.staff.mobileconfig",
            "missing: declarations/com.example.diff.status-subscriptions.json",
            "extra: declarations/leftover.json",
        ]
    );
    assert!(
        stderr.contains("is out of date (3 stale, 1 missing, 1 extra); run `ddmc build` and commit it"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("manifest.json")).expect("manifest"), before, "nothing is written");
}

#[test]
fn diff_of_two_output_folders_shows_the_changed_deferral_and_tokens() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy(30))]);
    assert_eq!(ddmc(dir.path(), &["build", "-q", "--out", "old"]).0, 0);
    std::fs::write(dir.path().join("policies/mac.yaml"), policy(60)).expect("edit");
    assert_eq!(ddmc(dir.path(), &["build", "-q", "--out", "new"]).0, 0);
    let (code, stdout, stderr) = ddmc(dir.path(), &["diff", "old", "new"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (_, json, _) = ddmc(dir.path(), &["diff", "old", "new", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    let settings = &value["declarations"][0];
    assert_eq!(settings["change"], "changed");
    assert_eq!(settings["token_changed"], true);
    assert_eq!(settings["keys"][0], serde_json::json!({"key": "Deferrals.MajorPeriodInDays", "old": 30, "new": 60}));
    assert_eq!(value["groups"], serde_json::json!([{"group": "staff", "change": "token-changed"}]));
    let (code, stdout, _) = ddmc(dir.path(), &["diff", "old", "old"]);
    assert_eq!((code, stdout.as_str()), (0, "no changes\n"));
}

#[test]
fn diff_against_a_git_revision() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy(30))]);
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .current_dir(dir.path())
            .args(["-c", "user.name=ddmc", "-c", "user.email=ddmc@example.com"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "thirty days"]);
    std::fs::write(dir.path().join("policies/mac.yaml"), policy(60)).expect("edit");
    std::fs::write(
        dir.path().join("policies/ios.yaml"),
        "id: ios\ntargets:\n  platforms: [iOS]\nsoftware_updates:\n  notifications: true\n",
    )
    .expect("add");
    let (code, stdout, stderr) = ddmc(dir.path(), &["diff", "--git", "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("  ~ com.example.diff.mac-baseline.settings  (com.apple.configuration.softwareupdate.settings)\n      Deferrals.MajorPeriodInDays: 30 -> 60\n      ServerToken changed: devices re-sync it\n"), "{stdout}");
    assert!(
        stdout.contains("  + com.example.diff.ios.settings  (com.apple.configuration.softwareupdate.settings)"),
        "{stdout}"
    );
    let (code, _, stderr) = ddmc(dir.path(), &["diff", "--git", "no-such-rev"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("git archive"), "{stderr}");
}

/// `diff` reads every output format: a changed deferral in Fleet's group folders.
#[test]
fn diff_of_two_fleet_outputs() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy(30))]);
    assert_eq!(ddmc(dir.path(), &["build", "-q", "--format", "fleet", "--out", "old"]).0, 0);
    std::fs::write(dir.path().join("policies/mac.yaml"), policy(60)).expect("edit");
    assert_eq!(ddmc(dir.path(), &["build", "-q", "--format", "fleet", "--out", "new"]).0, 0);
    let (code, stdout, stderr) = ddmc(dir.path(), &["diff", "old", "new"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("  ~ staff/com.example.diff.mac-baseline.settings  (com.apple.configuration.softwareupdate.settings)\n      Deferrals.MajorPeriodInDays: 30 -> 60\n"),
        "{stdout}"
    );
    let (code, stdout, _) = ddmc(dir.path(), &["build", "--check", "--format", "fleet", "--out", "old"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("stale: staff/com.example.diff.mac-baseline.settings.json"), "{stdout}");
}
