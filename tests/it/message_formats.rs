//! One broken repository in every `--message-format`, snapshotted; the SARIF log validates
//! against OASIS's SARIF 2.1.0 schema (`tests/fixtures/sarif/`).

use crate::common::repo;
use assert_cmd::Command;

/// An error (a wrong type), a warning (a conflict with a related place) and a note.
fn broken() -> tempfile::TempDir {
    repo(&[
        ("repo/ddmc.yaml", "organization:\n  identifier_prefix: com.example.formats\n"),
        (
            "repo/policies/a.yaml",
            "id: strict\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  automatic_install: always_on\n  notifications: yes\n",
        ),
        (
            "repo/policies/b.yaml",
            "id: relaxed\ntargets:\n  platforms: [macOS]\n  groups: [lab]\nsoftware_updates:\n  deferrals:\n    major_days: 30\n",
        ),
        (
            "repo/policies/c.yaml",
            "id: lab-strict\ntargets:\n  platforms: [macOS]\n  groups: [lab]\nsoftware_updates:\n  deferrals:\n    major_days: 60\n",
        ),
    ])
}

fn run(format: &str) -> (i32, String, String) {
    let dir = broken();
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["--message-format", format, "check", "repo", "--now", "2026-06-01T12:00:00"])
        .output()
        .expect("runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

#[test]
fn every_format_of_one_broken_repository() {
    for format in ["human", "short", "json", "github"] {
        let (code, stdout, stderr) = run(format);
        assert_eq!(code, 1, "{format}: {stderr}");
        insta::assert_snapshot!(format!("format_{format}"), format!("--- stdout\n{stdout}--- stderr\n{stderr}"));
    }
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let (code, stdout, stderr) = run("sarif");
    assert_eq!(code, 1, "{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    // OASIS's schema, as published, has one pattern (`run.language`) with a stray `]` that
    // ECMAScript reads as a literal and Rust's regex engines reject; it is escaped in memory,
    // and the file stays as published.
    let published = include_str!("../fixtures/sarif/sarif-schema-2.1.0.json");
    let text = published.replace("[a-zA-Z]{2}]?$", "[a-zA-Z]{2}\\\\]?$");
    assert_ne!(text, published, "the pattern to escape is in the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken), "the schema does check results");
    // Repository-relative URIs: the repository is `repo/` of the checkout.
    let results = log["runs"][0]["results"].as_array().expect("results");
    let uris: Vec<&str> = results
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(uris.contains(&"repo/policies/a.yaml"), "{uris:?}");
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), ddmc::diagnostics::Code::ALL.len(), "a rule for every stable code");
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
    insta::assert_snapshot!(
        "format_sarif_results",
        serde_json::to_string_pretty(&log["runs"][0]["results"]).expect("json")
    );
}

/// Failures that are not about a policy (a missing folder, an unknown group, a report that
/// cannot be read, a malformed device file) go the one way every diagnostic goes: a code in
/// every format, and the exit class that code calls for (2 usage, 3 input/output, 1 content).
#[test]
fn failures_outside_policies_are_diagnostics_in_every_format() {
    let dir = repo(&[
        ("repo/ddmc.yaml", "organization:\n  identifier_prefix: com.example.formats\n"),
        (
            "repo/policies/a.yaml",
            "id: lab\ntargets:\n  platforms: [macOS]\n  groups: [lab]\nsoftware_updates:\n  notifications: true\n",
        ),
        ("garbage.json", "{\"Type\": "),
    ]);
    let cases: [(&[&str], &str, i32); 4] = [
        (&["check", "no-such-repo"], "usage", 2),
        (&["explain", "repo", "--platform", "macOS", "--os", "26.1", "--group", "lba"], "usage", 2),
        (&["status", "check", "repo", "--report", "missing.json"], "io", 3),
        (&["lint", "garbage.json"], "syntax", 1),
    ];
    for (args, code, exit) in cases {
        let mut command = Command::cargo_bin("ddmc").expect("binary");
        let output = command.current_dir(dir.path()).arg("--message-format=json").args(args).output().expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(exit), "{args:?}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"));
        assert_eq!(first["code"], code, "{args:?}: {stdout}");
        assert_eq!(first["severity"], "error", "{args:?}: {stdout}");
    }
}
