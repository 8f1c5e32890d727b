//! `ddmc status check`, end to end: a device's status (a DDM status report or an MDM
//! DeviceInformation response) against a policy repository, through the real binary.
//!
//! Fixtures: `tests/fixtures/status/repo` enforces macOS 26.3.1 (a) (`25D771280a`, a BSI),
//! macOS 26.4, and iOS 26.4 for group `staff`; `reports/` holds one device each. The real
//! reports in `../shared/reference/samples/status-reports` are read in place (skipped, with a
//! message, when absent) against `repo-13-3-1-a` (macOS 13.3.1 (a), `22E772610a`) and
//! `repo-14` (macOS 14.0).
//!
//! Human output is snapshotted (`tests/it/snapshots/it__status__*.snap`); new or changed ones:
//! `INSTA_UPDATE=always cargo test --test it status::`, then read them.

use crate::common;

use assert_cmd::Command;
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/status";

/// Exit codes (see `src/cli/mod.rs`).
const OK: i32 = 0;
const NOT_COMPLIANT: i32 = 1;
const USAGE: i32 = 2;
const UNREADABLE: i32 = 3;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Every line must appear in stdout, in this order.
    fn prints(&self, lines: &[&str]) -> &Self {
        let mut rest = self.stdout.as_str();
        for line in lines {
            match rest.find(line) {
                Some(at) => rest = &rest[at + line.len()..],
                None => panic!("expected `{line}` (in order) in stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr),
            }
        }
        self
    }

    fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

fn ddmc(args: &[&str]) -> Run {
    let output = Command::cargo_bin("ddmc")
        .unwrap_or_else(|e| panic!("{e}"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        text.replace(&common::shared_path(SAMPLES).display().to_string(), "[SAMPLES]")
    };
    let run =
        Run { code: output.status.code().unwrap_or(-1), stdout: text(&output.stdout), stderr: text(&output.stderr) };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// `ddmc status check <fixture repo> --report <fixture report> <extra…>`.
fn check(repo: &str, report: &str, extra: &[&str]) -> Run {
    let repo = format!("{FIXTURES}/{repo}");
    let report = format!("{FIXTURES}/reports/{report}");
    let mut args = vec!["status", "check", repo.as_str(), "--report", report.as_str()];
    args.extend_from_slice(extra);
    ddmc(&args)
}

const SAMPLES: &str = "samples/status-reports";

/// A real report read in place, against a fixture repository; `None` (and a message) when
/// the samples are absent.
fn check_sample(repo: &str, sample: &str) -> Option<Run> {
    let dir = common::shared(SAMPLES)?;
    let repo = format!("{FIXTURES}/{repo}");
    let report = dir.join(sample).display().to_string();
    Some(ddmc(&["status", "check", repo.as_str(), "--report", report.as_str()]))
}

#[test]
fn mac_without_the_bsi_is_behind_on_both() {
    let run = check("repo", "mac-26.3.1.json", &[]);
    run.exits(NOT_COMPLIANT).prints(&[
        "device: macOS 26.3.1, build 25D2128 (DDM status report)",
        "behind     26.3.1 with build 25D771280a",
        "runs 26.3.1 with build 25D2128, needs 26.3.1 with build 25D771280a by 2026-12-01T18:00:00",
        "policy `mac-bsi` (policies/mac-bsi.yaml): com.example.status.mac-bsi.enforcement.1, com.example.status.mac-bsi.bsi.1",
        "behind     26.4",
        "runs 26.3.1, needs 26.4 by 2026-12-15T20:00:00",
        "policy `mac-minor` (policies/mac-minor.yaml)",
        "0 of 2 targets compliant",
    ]);
    assert!(!run.stdout.contains("at once"), "no clock, no deadline comparison:\n{}", run.stdout);
    insta::assert_snapshot!("mac_without_bsi", run.stdout);
}

#[test]
fn mac_with_the_bsi_is_compliant_on_it_and_behind_on_26_4() {
    let run = check("repo", "mac-26.3.1a.json", &[]);
    run.exits(NOT_COMPLIANT).prints(&[
        "device: macOS 26.3.1 (a), build 25D2128, supplemental build 25D771280a",
        "compliant  26.3.1 with build 25D771280a",
        "runs 26.3.1 (a) with build 25D771280a",
        "behind     26.4",
        "runs 26.3.1 (a), needs 26.4 by 2026-12-15T20:00:00",
        "1 of 2 targets compliant",
    ]);
    insta::assert_snapshot!("mac_with_bsi", run.stdout);
}

#[test]
fn a_pending_download_is_pending() {
    let run = check("repo", "mac-pending.json", &[]);
    run.exits(NOT_COMPLIANT).prints(&[
        "update: 26.4 (build 25E246) pending, downloading",
        "compliant  26.3.1 with build 25D771280a",
        "pending    26.4",
        "26.4 (build 25E246) is downloading, for 26.4 by 2026-12-15T20:00:00; started by declaration \
         `com.example.status.mac-minor.enforcement.1`",
        "on the device: com.example.status.mac-minor.enforcement.1 valid, active\n",
        "1 of 2 targets compliant",
    ]);
    insta::assert_snapshot!("mac_pending", run.stdout);
}

#[test]
fn a_failed_install_is_behind_with_its_reason() {
    let run = check("repo", "mac-failed.json", &[]);
    run.exits(NOT_COMPLIANT).prints(&[
        "behind     26.4",
        "runs 26.3.1 (a), needs 26.4 by 2026-12-15T20:00:00; installing 26.4 (build 25E246) failed 2 times: \
         Not enough free disk space (last at 2026-12-10T09:30:00Z)",
        // The device holds an older version of the declaration than the repository compiles.
        "on the device: com.example.status.mac-minor.enforcement.1 valid, active; an older version",
    ]);
    assert!(!run.stdout.contains("pending    "), "{}", run.stdout);
    insta::assert_snapshot!("mac_failed", run.stdout);
}

#[test]
fn a_patch_of_the_target_minor_is_compliant() {
    let run = check("repo", "mac-26.4.1.json", &[]);
    run.exits(OK).prints(&[
        "compliant  26.3.1 with build 25D771280a",
        "runs 26.4.1, later than 26.3.1 with build 25D771280a",
        "compliant  26.4",
        "runs 26.4.1, later than 26.4",
        "2 of 2 targets compliant",
    ]);
    insta::assert_snapshot!("mac_26_4_1", run.stdout);
}

#[test]
fn an_ipad_gets_its_groups_targets_and_alls() {
    // iPadOS is iOS; the iOS update is for `staff` only.
    check("repo", "ipad-26.4.json", &[]).exits(OK).prints(&[
        "device: iOS 26.4, build 23E246 (DDM status report)",
        "group: all",
        "no enforcement target applies to iOS devices in group `all`",
    ]);
    let staff = check("repo", "ipad-26.4.json", &["--group", "staff"]);
    staff.exits(OK).prints(&[
        "group: staff",
        "compliant  26.4",
        "runs 26.4",
        "policy `ios-minor`",
        "1 of 1 target compliant",
    ]);
    insta::assert_snapshot!("ipad_staff", staff.stdout);
    // A group no policy names is most likely a typo: a usage error, never "compliant".
    let typo = check("repo", "ipad-26.4.json", &["--group", "stafff"]);
    typo.exits(USAGE);
    assert_eq!(
        typo.stderr.trim_end(),
        "error[usage]: no policy names the group `stafff`: the groups are `all`, `staff`; did you mean `staff`?"
    );
}

#[test]
fn a_device_information_plist() {
    let run = check("repo", "mac-device-information.plist", &[]);
    run.exits(NOT_COMPLIANT).prints(&[
        "device: macOS 26.3.1 (a), build 25D2128, supplemental build 25D771280a (MDM DeviceInformation response)",
        "compliant  26.3.1 with build 25D771280a",
        "behind     26.4",
        "note: a DeviceInformation response does not say which update is pending",
    ]);
    insta::assert_snapshot!("device_information", run.stdout);
}

#[test]
fn json_output_carries_the_same_facts() {
    let run = check("repo", "mac-failed.json", &["--format", "json", "--now", "2026-12-20T08:00:00"]);
    run.exits(NOT_COMPLIANT);
    let value: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(value["device"]["platform"], "macOS");
    assert_eq!(value["device"]["platform_from"]["key"], "StatusItems.device.operating-system.family");
    assert_eq!(value["device"]["platform_from"]["value"], "macOS");
    assert_eq!(value["device"]["version"], "26.3.1 (a)");
    assert_eq!(value["device"]["extra_version"], "(a)");
    assert_eq!(value["device"]["supplemental_build_version"], "25D771280a");
    assert_eq!(value["device"]["install_state"], "failed");
    assert_eq!(value["device"]["failure"]["count"], 2);
    assert_eq!(value["compliant"], false);
    assert_eq!(value["now"], "2026-12-20T08:00:00");
    let targets = value["targets"].as_array().unwrap_or_else(|| panic!("targets: {value}"));
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0]["status"], "compliant");
    assert_eq!(targets[0]["supplemental"], true);
    assert_eq!(targets[0]["build_version"], "25D771280a");
    assert_eq!(targets[0]["policy"], "mac-bsi");
    assert_eq!(targets[0]["source"], "policies/mac-bsi.yaml");
    assert_eq!(targets[1]["status"], "behind");
    assert_eq!(targets[1]["deadline_passed"], true);
    assert_eq!(targets[1]["on_device"][0]["current"], false);
    let reason = targets[1]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("failed 2 times: Not enough free disk space"), "{reason}");
    assert!(reason.ends_with("the deadline has passed: the device installs it at once"), "{reason}");
}

#[test]
fn deadlines_are_compared_only_with_a_clock() {
    let before = check("repo", "mac-26.3.1.json", &["--now", "2026-12-10T12:00:00"]);
    before.exits(NOT_COMPLIANT).prints(&[
        "now: 2026-12-10T12:00:00 (device local time)",
        // The BSI's deadline (1 December) has passed, 26.4's (15 December) has not.
        "by 2026-12-01T18:00:00; the deadline has passed: the device installs it at once\n",
        "runs 26.3.1, needs 26.4 by 2026-12-15T20:00:00\n",
    ]);
    assert_eq!(before.stdout.matches("at once").count(), 1, "{}", before.stdout);
    insta::assert_snapshot!("deadline_passed", before.stdout);
}

#[test]
fn the_platform_comes_from_the_report_or_from_the_flag() {
    let watch = check("repo", "watch.json", &[]);
    watch.exits(USAGE);
    assert!(
        watch.stderr.contains(
            "error[usage]: cannot tell the device's platform: `StatusItems.device.operating-system.family` is `watchOS`, not a \
             platform ddmc manages (macOS, iOS, tvOS, visionOS); pass `--platform`"
        ),
        "{}",
        watch.stderr
    );
    assert!(watch.stdout.is_empty());
    // `--platform` overrides the report, and says so.
    check("repo", "ipad-26.4.json", &["--platform", "macOS"]).exits(OK).prints(&[
        "device: macOS 26.4",
        "compliant  26.3.1 with build 25D771280a",
        "compliant  26.4",
        "note: the report says iOS; checked as macOS (`--platform`)",
    ]);
}

/// A malformed report is bad input (exit 1), a diagnostic at the key's line and column in
/// every message format; only a file that cannot be read at all is exit 3.
#[test]
fn malformed_reports_are_diagnostics_at_the_key() {
    const AT: &str = "tests/fixtures/status/reports/bad-install-state.json:10:24";
    let short = check("repo", "bad-install-state.json", &["--message-format", "short"]);
    short.exits(NOT_COMPLIANT);
    assert!(short.stdout.is_empty(), "{}", short.stdout);
    assert_eq!(
        short.stderr,
        format!(
            "{AT}: error[invalid-value]: `StatusItems.softwareupdate.install-state`: unknown install state \
             `Downloading` (help: Apple's values are none, waiting, downloading, prepared, installing, failed)\n\
             error: 1 error\n"
        )
    );
    let human = check("repo", "bad-install-state.json", &[]);
    human.exits(NOT_COMPLIANT);
    assert!(
        human.stderr.starts_with(
            "error[invalid-value]: `StatusItems.softwareupdate.install-state`: unknown install state `Downloading`\n  \
             --> tests/fixtures/status/reports/bad-install-state.json:10:24\n"
        ),
        "{}",
        human.stderr
    );
    assert!(human.stderr.contains("\"install-state\": \"Downloading\""), "a snippet: {}", human.stderr);
    let json = check("repo", "bad-install-state.json", &["--message-format", "json"]);
    json.exits(NOT_COMPLIANT);
    let value: Value = serde_json::from_str(json.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    assert_eq!(value["code"], "invalid-value");
    assert_eq!(value["location"]["file"], "tests/fixtures/status/reports/bad-install-state.json");
    assert_eq!((value["location"]["line"].as_u64(), value["location"]["column"].as_u64()), (Some(10), Some(24)));
    assert!(!json.stderr.contains("UnexpectedEventType"), "{}", json.stderr);

    let missing = check("repo", "no-such-report.json", &[]);
    missing.exits(UNREADABLE);
    assert!(missing.stderr.starts_with("error[io]: cannot read `tests/fixtures/status/reports/no-such-report.json`"));
    // A policy file is not a report.
    let policy = ddmc(&[
        "status",
        "check",
        "tests/fixtures/status/repo",
        "--report",
        "tests/fixtures/status/repo/ddmc.yaml",
        "--message-format",
        "short",
    ]);
    policy.exits(NOT_COMPLIANT);
    assert!(
        policy.stderr.starts_with("tests/fixtures/status/repo/ddmc.yaml:1:1: error[syntax]: not a status report"),
        "{}",
        policy.stderr
    );
}

/// Broken plists: positions where XML has them, never an internal name.
#[test]
fn malformed_plists_and_devices_are_bad_input() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let xml = dir.path().join("info.plist");
    std::fs::write(&xml, "<plist><dict>\n<key>QueryResponses</key>\n<dict><key>OSVersion</key></dict></dict></plist>")
        .unwrap_or_else(|e| panic!("{e}"));
    let repo = format!("{FIXTURES}/repo");
    let path = xml.display().to_string();
    let run = ddmc(&["status", "check", &repo, "--report", &path, "--message-format", "short"]);
    run.exits(NOT_COMPLIANT);
    assert!(
        run.stderr.starts_with(&format!("{path}:3:12: error[syntax]: `<key>OSVersion</key>` has no value")),
        "{}",
        run.stderr
    );
    let zero = ddmc(&["status", "check", &repo, "--report", "/dev/zero", "--message-format", "short"]);
    zero.exits(NOT_COMPLIANT);
    assert!(zero.stderr.starts_with("/dev/zero:1:1: error[not-a-file]"), "{}", zero.stderr);
}

#[test]
fn policy_errors_are_printed_like_check_does() {
    let run = check("repo-broken", "mac-26.3.1.json", &["--message-format", "short"]);
    run.exits(NOT_COMPLIANT);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "policies/broken.yaml:6:15: error[invalid-format]: invalid `enforce[0].deadline`: expected \
             `yyyy-mm-ddThh:mm:ss`, found `2026-12-15 20:00`"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error: 1 error"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--now", "2026-12-10 12:00"], "invalid value '2026-12-10 12:00' for '--now <NOW>'"),
        (&["--group", "Staff"], "invalid value 'Staff' for '--group <GROUP>'"),
        (&["--platform", "watchOS"], "invalid value 'watchOS' for '--platform <PLATFORM>'"),
        (&["--format", "yaml"], "invalid value 'yaml' for '--format <FORMAT>'"),
    ];
    for (extra, message) in cases {
        let run = check("repo", "mac-26.3.1.json", extra);
        run.exits(USAGE);
        assert!(run.stderr.contains(message), "{extra:?}: {}", run.stderr);
    }
    let no_report = ddmc(&["status", "check", "tests/fixtures/status/repo"]);
    no_report.exits(USAGE);
    assert!(no_report.stderr.contains("--report <FILE>"), "{}", no_report.stderr);
    check("no-such-repo", "mac-26.3.1.json", &[]).exits(USAGE);
}

// Real reports from others, read in place.

#[test]
fn sample_zentral_mac_on_13_3_1_a_meets_its_rsr() {
    let Some(run) = check_sample("repo-13-3-1-a", "zentral/status_report.json") else { return };
    // The device reports `extra-version: "(a)"` where Apple's schema says `a`.
    run.exits(OK).prints(&[
        "device: macOS 13.3.1 (a), build 22E261, supplemental build 22E772610a (DDM status report)",
        "compliant  13.3.1 with build 22E772610a",
        "runs 13.3.1 (a) with build 22E772610a",
        "1 of 1 target compliant",
    ]);
    insta::assert_snapshot!("sample_zentral_rsr", run.stdout);
}

#[test]
fn sample_zentral_mac_is_behind_on_14_0_and_out_of_enforcements_reach() {
    let Some(run) = check_sample("repo-14", "zentral/status_report.json") else { return };
    run.exits(NOT_COMPLIANT).prints(&[
        "behind     14.0",
        "runs 13.3.1 (a), needs 14.0 by 2023-12-01T18:00:00; its declaration does not reach macOS 13.3.1, only 14.0 \
         and later: update the device another way",
        "policy `sonoma` (policies/sonoma.yaml): com.example.ddm.sonoma.enforcement.1",
        "0 of 1 target compliant",
    ]);
    insta::assert_snapshot!("sample_zentral_sonoma", run.stdout);
}

#[test]
fn sample_kmfddm_letter_without_a_build_is_unknown() {
    let Some(run) = check_sample("repo-13-3-1-a", "kmfddm/status.1st.json") else { return };
    // `(a)` alone does not say which build: never compared with the build's suffix.
    run.exits(NOT_COMPLIANT).prints(&[
        "device: macOS 13.3.1 (a), build 22E261 (DDM status report)",
        "unknown    13.3.1 with build 22E772610a",
        "cannot tell whether it does: it reports 13.3.1 (a) but no supplemental build",
    ]);
}

#[test]
fn sample_ios_beta_and_reports_without_a_version() {
    let Some(beta) =
        check_sample("repo-14", "kmfddm/A047820F-FC6B-4104-BED0-466876D82BB8.20220628-103225.001918.status.json")
    else {
        return;
    };
    // `20A5303i` is a seed build, not a supplemental one; no iOS target in this repository.
    beta.exits(OK).prints(&[
        "device: iOS 16.0, build 20A5303i (DDM status report)",
        "no enforcement target applies to iOS devices in group `all`",
    ]);
    // An error report, and an incremental one that lists the enforcement declaration as active
    // but not the OS: neither says what the device runs.
    for sample in
        ["kmfddm/status.D0.error.json", "jrennichjc-kmfddm/A6FEF7D4-1CB3-52F9-AD3C-DF2208970CF1/status.last.json"]
    {
        let Some(run) = check_sample("repo-14", sample) else { return };
        run.exits(NOT_COMPLIANT);
        assert!(
            run.stderr.starts_with(
                "error[missing-key]: `StatusItems.device.operating-system.version`: missing: the report does not say"
            ),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("help: an incremental report carries only the items that changed"),
            "{}",
            run.stderr
        );
    }
}
