//! `ddmc explain` on the shipped policies, for Macs and iPhones across OS generations:
//! legacy-profile era, enforcement-only era, declarative settings, and BSI time.

use assert_cmd::Command;
use std::path::Path;

fn explain(args: &[&str]) -> String {
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .arg("--quiet")
        .arg("explain")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["--now", "2026-12-05T09:00:00"])
        .args(args)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

macro_rules! device {
    ($name:ident, $($arg:expr),+) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(explain(&[$($arg),+]));
        }
    };
}

device!(mac_on_13, "--platform", "macOS", "--os", "13.6");
device!(mac_on_14, "--platform", "macOS", "--os", "14.7.1");
device!(mac_on_15, "--platform", "macOS", "--os", "15.2", "--group", "production");
device!(mac_on_26_with_bsi, "--platform", "macOS", "--os", "26.3.1 (a)", "--group", "staff");
device!(iphone_on_16, "--platform", "iOS", "--os", "16.7", "--group", "kiosks");
device!(iphone_on_17, "--platform", "iOS", "--os", "17.5", "--group", "staff");
device!(iphone_on_18, "--platform", "iOS", "--os", "18.1", "--group", "staff");
device!(
    iphone_on_18_device_enrolled,
    "--platform",
    "iOS",
    "--os",
    "18.1",
    "--group",
    "staff",
    "--enrollment",
    "device"
);

#[test]
fn json_carries_the_same_data() {
    let text = explain(&["--platform", "macOS", "--os", "26.3.1", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["device"]["platform"], "macOS");
    assert_eq!(value["settings"][0]["key"], "Notifications");
    let states: Vec<&str> =
        value["enforcement"].as_array().expect("targets").iter().filter_map(|t| t["state"].as_str()).collect();
    assert_eq!(states, ["satisfied", "past deadline", "due"]);
}

device!(mac_on_26_device_enrolled, "--platform", "macOS", "--os", "26.0", "--enrollment", "device");

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("ddmc").expect("binary").args(args).output().expect("runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

/// A Mac not supervised ignores enforcement: explain must not call it due.
#[test]
fn enforcement_is_not_due_on_an_unsupervised_mac() {
    let text = explain(&["--platform", "macOS", "--os", "26.0", "--enrollment", "device", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let states: Vec<&str> =
        value["enforcement"].as_array().expect("targets").iter().filter_map(|t| t["state"].as_str()).collect();
    assert!(!states.is_empty() && states.iter().all(|s| *s == "not applied"), "{states:?}");
}

/// Without `--os`, the newest version the policies know of: the highest target (26.4).
#[test]
fn the_default_os_is_the_newest_the_policies_know_of() {
    let text = explain(&["--platform", "macOS"]);
    assert!(text.starts_with("macOS 26.4, group `all`"), "{text}");
}

/// A typo in `--group` is a usage error with a suggestion, not "nothing applies".
#[test]
fn an_unknown_group_is_a_usage_error() {
    let repo = env!("CARGO_MANIFEST_DIR");
    let (code, stdout, stderr) = run(&["--quiet", "explain", repo, "--platform", "macOS", "--group", "staf"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("no policy names the group `staf`") && stderr.contains("did you mean `staff`?"),
        "{stderr}"
    );
}

/// A Mac in `staff` on macOS 14 installs one merged legacy profile: per key, the policy and
/// line it comes from and what it overrides.
#[test]
fn mac_on_14_merged_legacy_profile() {
    let baseline = "id: baseline\ntargets:\n  platforms: [macOS]\nbackground_security_improvements:\n  user_removal: false\nsoftware_updates:\n  automatic_download: always_on\n";
    let staff = "id: staff-macs\ntargets:\n  platforms: [macOS]\n  groups: [staff]\nbackground_security_improvements:\n  user_removal: true\nsoftware_updates:\n  automatic_install: always_on\n";
    let dir = crate::common::repo(&[("policies/baseline.yaml", baseline), ("policies/staff.yaml", staff)]);
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .args(["--quiet", "explain"])
        .arg(dir.path())
        .args(["--platform", "macOS", "--os", "14.7.1", "--group", "staff"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    insta::assert_snapshot!(String::from_utf8(output.stdout).expect("utf-8"));
}
