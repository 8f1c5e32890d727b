//! Policies resolved against Apple's catalog end to end: `latest`, `major` / `below`,
//! `background_security_improvement: latest` and relative deadlines against the real March
//! 2026 capture (`../shared/reference/samples/gdmf-pmv/`, read in place), the checks on
//! explicit targets at their file:line:column, the manifest's `resolved` records, `explain`,
//! the staleness warning, and what happens without a catalog.

use crate::common;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const MARCH_2026: &str = "samples/gdmf-pmv/sofa/gdmf_cached.2026-03-17_97f9aa09.json";
const PREFIX: &str = "ddmc.yaml";
const CONFIG: &str = "organization:\n  identifier_prefix: org.fixture.cat\n";

/// The March 2026 capture in ddmc's wrapper, fetched on `day`.
fn catalog(day: &str) -> Option<String> {
    let text = std::fs::read_to_string(common::shared(MARCH_2026)?).expect("sample reads");
    let cache: Value = serde_json::from_str(&text).expect("json");
    let wrapper = serde_json::json!({
        "fetched": format!("{day}T06:00:00Z"),
        "source": "https://gdmf.apple.com/v2/pmv",
        "pmv": cache["data"],
    });
    Some(serde_json::to_string_pretty(&wrapper).expect("json"))
}

fn run(repo: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ddmc"))
        .args(args)
        .arg(repo)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .expect("ddmc runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn manifest(repo: &Path) -> Value {
    let text = std::fs::read_to_string(repo.join("out/manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("json")
}

fn declaration(repo: &Path, identifier: &str) -> Value {
    let text = std::fs::read_to_string(repo.join(format!("out/declarations/{identifier}.json"))).expect("declaration");
    serde_json::from_str(&text).expect("json")
}

fn artifact<'a>(manifest: &'a Value, identifier: &str) -> &'a Value {
    manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|a| a["Identifier"] == identifier)
        .unwrap_or_else(|| panic!("{identifier} in the manifest"))
}

const LATEST_MAC: &str = r#"id: mac-latest
targets: {platforms: [macOS]}
enforce:
  - os_version: latest
    below: "27"
    background_security_improvement: latest
    deadline: {days_after_release: 5, time: "10:00:00", skip_weekends: true}
  - os_version: latest
    major: 15
    deadline: {days_after_release: 31}
"#;

/// `latest` below 27 is 26.3.1 (26.3.2 is device-specific), its BSI 25D771280a; the deadlines
/// count from each one's release; the manifest says how.
#[test]
fn latest_and_relative_deadlines_resolve_and_are_recorded() {
    let Some(catalog) = catalog("2026-03-20") else { return };
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", LATEST_MAC), ("apple-catalog.json", &catalog)]);
    let (code, _, stderr) = run(repo.path(), &["build", "--now", "2026-03-01T00:00:00"]);
    assert_eq!(code, 0, "{stderr}");

    let base = declaration(repo.path(), "org.fixture.cat.mac-latest.enforcement.1");
    // Released 2026-03-11 (a Wednesday) + 5 days = Monday 2026-03-16.
    assert_eq!(
        base["Payload"],
        serde_json::json!({"TargetOSVersion": "26.3.1", "TargetLocalDateTime": "2026-03-16T10:00:00"})
    );
    let bsi = declaration(repo.path(), "org.fixture.cat.mac-latest.bsi.1");
    // The BSI's own release, 2026-03-17 (a Tuesday) + 5 days = Sunday, moved to Monday.
    assert_eq!(
        bsi["Payload"],
        serde_json::json!({
            "TargetOSVersion": "26.3.1",
            "TargetBuildVersion": "25D771280a",
            "TargetLocalDateTime": "2026-03-23T10:00:00"
        })
    );
    let fifteen = declaration(repo.path(), "org.fixture.cat.mac-latest.enforcement.2");
    // 15.7.4 released 2026-03-11 + 31 days = 2026-04-11 (across the month end), at 18:00.
    assert_eq!(
        fifteen["Payload"],
        serde_json::json!({"TargetOSVersion": "15.7.4", "TargetLocalDateTime": "2026-04-11T18:00:00"})
    );

    let m = manifest(repo.path());
    assert_eq!(
        artifact(&m, "org.fixture.cat.mac-latest.enforcement.1")["resolved"],
        serde_json::json!({
            "os_version": "26.3.1",
            "build_version": null,
            "release_date": "2026-03-11",
            "rule": "latest below 27 on 2026-03-20: 26.3.1, released 2026-03-11; 26.3.2 skipped: device-specific: for 1 macOS device only, all also served by 26.3.1",
            "catalog_as_of": "2026-03-20"
        })
    );
    assert_eq!(
        artifact(&m, "org.fixture.cat.mac-latest.bsi.1")["resolved"],
        serde_json::json!({
            "os_version": "26.3.1",
            "build_version": "25D771280a",
            "release_date": "2026-03-17",
            "rule": "latest Background Security Improvement on 26.3.1 on 2026-03-20: 26.3.1 (a), build 25D771280a, released 2026-03-17",
            "catalog_as_of": "2026-03-20"
        })
    );
    // The base reaches only Macs below 26.3.1; the BSI half exactly 26.3.1.
    assert_eq!(
        artifact(&m, "org.fixture.cat.mac-latest.enforcement.1")["os_range"],
        serde_json::json!([{"platform": "macOS", "min": "14.0", "below": "26.3.1"}])
    );
    assert_eq!(
        artifact(&m, "org.fixture.cat.mac-latest.bsi.1")["os_range"],
        serde_json::json!([{"platform": "macOS", "min": "26.3.1", "max": "26.3.1"}])
    );
}

/// The same repository gives the same bytes whatever the clock.
#[test]
fn the_output_does_not_depend_on_the_clock() {
    let Some(catalog) = catalog("2026-03-20") else { return };
    let files = [(PREFIX, CONFIG), ("policies/mac.yaml", LATEST_MAC), ("apple-catalog.json", catalog.as_str())];
    let (a, b) = (common::repo(&files), common::repo(&files));
    assert_eq!(run(a.path(), &["build", "--now", "2026-03-01T00:00:00"]).0, 0);
    assert_eq!(run(b.path(), &["build", "--now", "2027-01-01T00:00:00"]).0, 0);
    let read = |dir: &Path| std::fs::read(dir.join("out/manifest.json")).expect("manifest");
    assert_eq!(read(a.path()), read(b.path()));
}

/// `explain` names the rule and the deadline arithmetic, and says when the deadline is past.
#[test]
fn explain_shows_the_rule_and_the_arithmetic() {
    let Some(catalog) = catalog("2026-03-20") else { return };
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", LATEST_MAC), ("apple-catalog.json", &catalog)]);
    let (code, stdout, stderr) =
        run(repo.path(), &["explain", "--platform", "macOS", "--os", "26.2", "--now", "2026-03-18T09:00:00"]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "26.3.1 by 2026-03-16T10:00:00  [past deadline]",
        "resolved: latest below 27 on 2026-03-20: 26.3.1, released 2026-03-11; 26.3.2 skipped: device-specific",
        "deadline: release 2026-03-11 + 5 days = Monday 2026-03-16 10:00:00 device time",
    ] {
        assert!(stdout.contains(expected), "{expected}\n{stdout}");
    }
    // A Mac at the target does not receive the base enforcement: satisfied, not delivered.
    let (_, stdout, _) = run(repo.path(), &["explain", "--platform", "macOS", "--os", "26.3.1"]);
    assert!(!stdout.contains("org.fixture.cat.mac-latest.enforcement.1  "), "{stdout}");
    assert!(stdout.contains("the activation reaches only devices below 26.3.1"), "{stdout}");
    assert!(stdout.contains("deadline: release 2026-03-17 + 5 days = Sunday 2026-03-22, moved to Monday 2026-03-23"));
}

/// Without a catalog, `latest` and relative deadlines are errors that say how to add one.
#[test]
fn without_a_catalog_latest_is_an_error_naming_the_command() {
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", LATEST_MAC)]);
    let (code, _, stderr) = run(repo.path(), &["build"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!repo.path().join("out").exists(), "nothing written on error");
    for expected in [
        "error[catalog]: `enforce[0].os_version`: `latest` needs Apple's catalog",
        "--> policies/mac.yaml:4:17",
        "`enforce[0].background_security_improvement`: `latest` needs Apple's catalog",
        "--> policies/mac.yaml:6:38",
        "`enforce[1].os_version`: `latest` needs Apple's catalog",
        "help: run `ddmc catalog update`",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    assert!(!stderr.contains("produces nothing"), "{stderr}");
    // A relative deadline alone needs one too.
    let relative = "id: mac\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: \"26.3.1\"\n    deadline: {days_after_release: 7}\n";
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", relative)]);
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("`enforce[0].deadline`: a deadline relative to the release needs Apple's catalog"));
    assert!(stderr.contains("--> policies/mac.yaml:5:15"), "{stderr}");
}

/// Explicit targets against the catalog: each error at its place, with the fix.
#[test]
fn explicit_targets_are_checked_at_their_place() {
    let Some(catalog) = catalog("2026-03-20") else { return };
    let policy = r#"id: mac
targets: {platforms: [macOS]}
enforce:
  - os_version: "26.2.7"
    deadline: "2026-04-01T18:00:00"
  - os_version: "26.3.1"
    build_version: "25D125"
    deadline: "2026-04-01T18:00:00"
  - os_version: "26.3"
    deadline: "2026-04-01T18:00:00"
  - os_version: "26.3.1"
    build_version: "25D771290a"
    deadline: "2026-04-01T18:00:00"
"#;
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", policy), ("apple-catalog.json", &catalog)]);
    let (code, _, stderr) = run(repo.path(), &["check", "--now", "2026-03-20T00:00:00"]);
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "error[catalog]: Apple does not offer macOS 26.2.7\n --> policies/mac.yaml:4:17",
        "help: the nearest versions it offers are `26.2`, `26.3.1`, `26.3.2`; or write `os_version: latest`",
        "error[catalog]: 25D125 is a build of macOS 26.3, not of 26.3.1\n --> policies/mac.yaml:7:20",
        "note[catalog]: macOS 26.3 is superseded by 26.3.1\n --> policies/mac.yaml:9:17",
        "Apple's catalog lists no Background Security Improvement 25D771290a for macOS; on 26.3.1 it has 25D771280a",
        "--> policies/mac.yaml:12:20",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    // Once every entry has expired, an explicit version is an error.
    let Some(summer) = catalog_on("2026-06-20") else { return };
    let ok = "id: mac\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: \"26.3.1\"\n    deadline: \"2026-07-01T18:00:00\"\n";
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", ok), ("apple-catalog.json", &summer)]);
    let (code, _, stderr) = run(repo.path(), &["check", "--now", "2026-06-20T00:00:00"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[catalog]: macOS 26.3.1 has expired in Apple's catalog on 2026-06-15"), "{stderr}");
    assert!(stderr.contains("--> policies/mac.yaml:4:17"), "{stderr}");
}

fn catalog_on(day: &str) -> Option<String> {
    catalog(day)
}

/// `check` warns about a catalog older than `catalog_max_age_days` on the clock, and names
/// the command; an unreadable catalog is an error at its line and column.
#[test]
fn a_stale_or_broken_catalog_is_reported() {
    let Some(catalog) = catalog("2026-03-20") else { return };
    let config = format!("{CONFIG}catalog_max_age_days: 10\n");
    let repo = common::repo(&[(PREFIX, &config), ("policies/mac.yaml", LATEST_MAC), ("apple-catalog.json", &catalog)]);
    let (code, _, stderr) = run(repo.path(), &["check", "--now", "2026-03-29T00:00:00"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("days old"), "{stderr}");
    let (code, _, stderr) = run(repo.path(), &["check", "--now", "2026-04-01T00:00:00"]);
    assert_eq!(code, 0, "a warning only: {stderr}");
    assert!(stderr.contains("warning[catalog]: Apple's catalog is 12 days old (as of 2026-03-20)"), "{stderr}");
    assert!(
        stderr.contains("--> apple-catalog.json:2:3\n  |\n2 |   \"fetched\": \"2026-03-20T06:00:00Z\","),
        "{stderr}"
    );
    assert!(stderr.contains("help: run `ddmc catalog update`"), "{stderr}");

    let broken = common::repo(&[
        (PREFIX, CONFIG),
        ("policies/mac.yaml", LATEST_MAC),
        ("apple-catalog.json", "{\n  \"fetched\": \"2026-03-20T06:00:00Z\",\n  \"pmv\": [\n"),
    ]);
    let (code, _, stderr) = run(broken.path(), &["build"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[catalog]: Apple's catalog cannot be read"), "{stderr}");
    assert!(stderr.contains("--> apple-catalog.json:4:1"), "{stderr}");
    assert!(!stderr.contains("needs Apple's catalog"), "one error, not one per `latest`: {stderr}");
    assert!(!broken.path().join("out").exists());
}

/// The schema rejects what the contract forbids, with messages that say what to write.
#[test]
fn forbidden_combinations_are_clear_errors() {
    let policy = r#"id: mac
targets: {platforms: [macOS]}
enforce:
  - os_version: "26.3"
    major: 26
    deadline: "2026-04-01T18:00:00"
  - os_version: "26.3.1"
    build_version: "25D771280a"
    background_security_improvement: latest
    deadline: {days_after_release: 400, time: "18:00"}
  - os_version: lates
    deadline: "2026-04-01T18:00:00"
"#;
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", policy)]);
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "error[invalid-value]: `major` and `below` need `os_version: latest` in `enforce[0]`\n --> policies/mac.yaml:4:17",
        "help: write `os_version: latest`, or remove `major` and `below`",
        "`enforce[1].build_version` cannot be used with `background_security_improvement: latest`\n --> policies/mac.yaml:8:20",
        "`400` is out of range for `enforce[1].deadline.days_after_release`",
        "expected 0 to 365",
        "`18:00` is not a time of day `hh:mm:ss`",
        "help: write `18:00:00`",
        "--> policies/mac.yaml:11:17",
        "help: write `latest`",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}

/// `ddmc catalog update` also says which `latest` and relative deadline now resolves
/// differently: the policies compiled against the old and the new catalog.
#[test]
fn catalog_update_prints_what_moves_in_the_policies() {
    let (Some(february), Some(_)) = (catalog("2026-02-20"), catalog("2026-03-20")) else { return };
    let explicit = "id: pinned\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: \"26.2\"\n    deadline: \"2026-04-01T18:00:00\"\n";
    let repo = common::repo(&[
        (PREFIX, CONFIG),
        ("policies/mac.yaml", LATEST_MAC),
        ("policies/pinned.yaml", explicit),
        ("apple-catalog.json", &february),
    ]);
    let march = common::shared(MARCH_2026).expect("sample");
    let (code, stdout, stderr) = run(
        repo.path(),
        &["catalog", "update", "--from", march.to_str().expect("utf-8"), "--now", "2026-03-20T06:00:00Z"],
    );
    assert_eq!(code, 0, "{stderr}");
    // enforce[1] (latest 15.x) already was 15.7.4 on 2026-02-20 (offered to MDM before its
    // public release), with the same release date: nothing moves. `pinned` is explicit.
    let moved: Vec<&str> = stdout.lines().filter(|l| l.starts_with("policy ")).collect();
    assert_eq!(
        moved,
        [
            "policy `mac-latest` (policies/mac.yaml) enforce[0]: os_version 26.3 -> 26.3.1",
            "policy `mac-latest` (policies/mac.yaml) enforce[0]: build_version (none) -> 25D771280a",
            "policy `mac-latest` (policies/mac.yaml) enforce[0]: deadline 2026-02-16T10:00:00 -> 2026-03-16T10:00:00 (BSI 2026-03-23T10:00:00)",
        ],
        "{stdout}"
    );
}

/// `latest` with nothing in range is an error at the narrowing key.
#[test]
fn latest_with_nothing_in_range_is_an_error_at_major() {
    let Some(catalog) = catalog("2026-03-20") else { return };
    let policy = "id: mac\ntargets: {platforms: [macOS]}\nenforce:\n  - os_version: latest\n    major: 27\n    deadline: \"2026-12-01T18:00:00\"\n";
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", policy), ("apple-catalog.json", &catalog)]);
    let (code, _, stderr) = run(repo.path(), &["check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "error[catalog]: Apple's catalog (as of 2026-03-20) has no available macOS version for `latest 27.x`\n --> policies/mac.yaml:5:12"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("help: widen `major` / `below`"), "{stderr}");
}

/// `status check` agrees with the target-aware activation: a Mac already at the target is
/// compliant, one below it is behind.
#[test]
fn status_agrees_with_target_aware_activations() {
    let Some(catalog) = catalog("2026-03-20") else { return };
    let repo = common::repo(&[(PREFIX, CONFIG), ("policies/mac.yaml", LATEST_MAC), ("apple-catalog.json", &catalog)]);
    let report = |version: &str, build: &str| {
        let text = serde_json::json!({"StatusItems": {"device": {"operating-system": {
            "family": "macOS", "version": version, "build-version": build,
            "supplemental": {"build-version": build, "extra-version": ""}}}}});
        let path = repo.path().join(format!("status-{version}.json"));
        std::fs::write(&path, text.to_string()).expect("write");
        path
    };
    let at = report("26.3.1", "25D771280a");
    let (code, stdout, stderr) =
        run(repo.path(), &["status", "check", "--report", at.to_str().expect("utf-8"), "--now", "2026-03-25T00:00:00"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let below = report("26.2", "25C56");
    let (code, stdout, stderr) = run(
        repo.path(),
        &["status", "check", "--report", below.to_str().expect("utf-8"), "--now", "2026-03-25T00:00:00"],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("26.3.1"), "{stdout}");
}
