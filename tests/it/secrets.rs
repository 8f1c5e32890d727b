//! A seeding token read from `token_env` reaches the declaration Apple needs and nothing
//! else: no diagnostic (in any format), no explanation, no manifest.

use crate::common::repo;
use assert_cmd::Command;
use std::path::Path;

const FIRST: &str = "first-SECRET-4f1d9c";
const SECOND: &str = "second-SECRET-77ab02";

fn beta_policy(id: &str, group: &str, var: &str) -> String {
    format!(
        "id: {id}\ntargets:\n  platforms: [macOS]\n  groups: [{group}]\nsoftware_updates:\n  beta:\n    enrollment: always_on\n    offer_programs:\n      - description: Seed\n        token_env: {var}\n"
    )
}

/// Two policies offering different programs to the same Macs: a conflict whose message
/// would quote both tokens.
fn two_programs() -> tempfile::TempDir {
    repo(&[
        ("ddmc.yaml", "organization:\n  identifier_prefix: com.example.test\n"),
        ("policies/a.yaml", &beta_policy("seed-a", "all", "DDMC_TEST_SEED_A")),
        ("policies/b.yaml", &beta_policy("seed-b", "lab", "DDMC_TEST_SEED_B")),
    ])
}

fn ddmc(args: &[&str], seed_a: &str) -> (i32, String) {
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .env("DDMC_TEST_SEED_A", seed_a)
        .env("DDMC_TEST_SEED_B", SECOND)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn no_message_prints_a_token_from_the_environment() {
    let dir = two_programs();
    let repo = path(dir.path());
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", repo],
        vec!["--message-format", "short", "check", repo],
        vec!["--message-format", "json", "check", repo],
        vec!["--deny-conflicts", "check", repo],
        vec!["explain", repo, "--platform", "macOS", "--group", "lab"],
        vec!["explain", repo, "--platform", "macOS", "--group", "lab", "--format", "json"],
    ];
    for args in runs {
        let (_, text) = ddmc(&args, FIRST);
        assert!(!text.contains(FIRST) && !text.contains(SECOND), "`ddmc {}` leaks a token:\n{text}", args.join(" "));
        assert!(text.contains("$DDMC_TEST_SEED_"), "`ddmc {}` names the variable instead:\n{text}", args.join(" "));
    }
}

#[test]
fn the_token_is_in_the_declaration_only() {
    let dir = two_programs();
    let out = dir.path().join("out");
    let (code, text) = ddmc(&["build", path(dir.path()), "--out", path(&out)], FIRST);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains(FIRST), "{text}");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).expect(name);
    let declaration = read("declarations/com.example.test.seed-a.settings.json");
    assert!(declaration.contains(&format!("\"Token\": \"{FIRST}\"")), "{declaration}");
    assert!(!read("manifest.json").contains(FIRST));
}

#[test]
fn a_rotated_token_changes_the_server_token() {
    let dir = two_programs();
    let token_with = |seed: &str| {
        let out = tempfile::tempdir().expect("tempdir");
        let (code, text) = ddmc(&["build", path(dir.path()), "--out", path(&out.path().join("o"))], seed);
        assert_eq!(code, 0, "{text}");
        let file = out.path().join("o/declarations/com.example.test.seed-a.settings.json");
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file).expect("declaration")).expect("json");
        value["ServerToken"].as_str().expect("token").to_owned()
    };
    assert_ne!(token_with(FIRST), token_with("rotated-SECRET"));
}

#[test]
fn an_empty_variable_fails_a_build_like_an_unset_one() {
    let dir = two_programs();
    let out = dir.path().join("out");
    let (code, text) = ddmc(&["--message-format", "short", "build", path(dir.path()), "--out", path(&out)], "");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("error[token-env-unset]: environment variable `DDMC_TEST_SEED_A` is empty"), "{text}");
    assert!(!out.exists(), "nothing is written");
}

/// A token written literally in a policy is in git, but messages and `explain` land in CI logs
/// and pull requests as the report does: they show `(secret)` (a snippet of the policy file
/// still shows the file), in every format, while the declaration keeps the token.
#[test]
fn explain_hides_a_literal_token_like_the_report() {
    let literal = "literal-SEED-9e2c71";
    let policy = |id: &str, group: &str, token: &str| {
        format!(
            "id: {id}\ntargets:\n  platforms: [macOS]\n  groups: [{group}]\nsoftware_updates:\n  beta:\n    \
             offer_programs:\n      - description: Seed\n        token: {token}\n"
        )
    };
    let dir = repo(&[
        ("ddmc.yaml", "organization:\n  identifier_prefix: com.example.test\n"),
        ("policies/a.yaml", &policy("seed-a", "all", literal)),
        ("policies/b.yaml", &policy("seed-b", "lab", "other-SEED-1234")),
    ]);
    for format in ["human", "json"] {
        let (code, text) = ddmc(
            &["explain", path(dir.path()), "--platform", "macOS", "--os", "26.1", "--group", "lab", "--format", format],
            FIRST,
        );
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("(secret)"), "{format}: {text}");
        let source_lines = ["token: literal-SEED-9e2c71", "token: other-SEED-1234"];
        let shown: Vec<&str> = text.lines().filter(|l| !source_lines.iter().any(|s| l.ends_with(s))).collect();
        assert!(!shown.iter().any(|l| l.contains(literal) || l.contains("other-SEED-1234")), "{format}: {text}");
    }
    // Both programs apply (set-union): both policies are where the value comes from.
    let (_, human) = ddmc(&["-q", "explain", path(dir.path()), "--platform", "macOS", "--group", "lab"], FIRST);
    assert!(human.contains("      from seed-a (policies/a.yaml:7), seed-b (policies/b.yaml:7)\n"), "{human}");
    assert!(!human.contains("overrides"), "{human}");
    let out = dir.path().join("out");
    let (code, text) = ddmc(&["build", path(dir.path()), "--out", path(&out)], FIRST);
    assert_eq!(code, 0, "{text}");
    let declaration =
        std::fs::read_to_string(out.join("declarations/com.example.test.seed-a.settings.json")).expect("built");
    assert!(declaration.contains(literal), "{declaration}");
}
