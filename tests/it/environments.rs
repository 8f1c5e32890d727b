//! Environments: `{{ … }}` in policy strings rendered with `--env NAME`, per the contract.

use crate::common::repo;
use assert_cmd::Command;

const PROJECT: &str = "organization:\n  identifier_prefix: com.example.env\nenvironments:\n  staging: { deadline_day: \"2026-12-01\", ring: early }\n  production: { deadline_day: \"2026-12-08\", ring: broad }\n";

fn policy(deadline: &str) -> String {
    format!(
        "id: mac-update\ndescription: \"Ring {{{{ ring }}}}\"\ntargets:\n  platforms: [macOS]\nenforce:\n  - os_version: \"26.4\"\n    deadline: \"{deadline}\"\n"
    )
}

fn ddmc(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .current_dir(dir)
        .args(["--message-format", "short"])
        .args(args)
        .args(["--now", "2026-01-01T00:00:00"])
        .output()
        .expect("runs");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn each_environment_renders_its_deadline() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy("{{ deadline_day }}T18:00:00"))]);
    for (env, deadline) in [("staging", "2026-12-01T18:00:00"), ("production", "2026-12-08T18:00:00")] {
        let out = format!("out-{env}");
        let (code, stderr) = ddmc(dir.path(), &["--env", env, "build", "--out", &out]);
        assert_eq!(code, 0, "{stderr}");
        let file = dir.path().join(&out).join("declarations/com.example.env.mac-update.enforcement.1.json");
        let text = std::fs::read_to_string(file).expect("enforcement");
        assert!(text.contains(&format!("\"TargetLocalDateTime\": \"{deadline}\"")), "{env}: {text}");
    }
}

#[test]
fn template_errors_point_into_the_string() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy("{{ deadline_dy }}T18:00:00"))]);
    let (code, stderr) = ddmc(dir.path(), &["--env", "staging", "check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("policies/mac.yaml:7:19: error[template]: undefined variable in the template for environment `staging` (help: the variables of `staging` are `deadline_day`, `ring`)"),
        "{stderr}"
    );
    std::fs::write(dir.path().join("policies/mac.yaml"), policy("{{ deadline_day T18:00:00")).expect("write");
    let (code, stderr) = ddmc(dir.path(), &["--env", "staging", "check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("policies/mac.yaml:7:") && stderr.contains("error[template]: template syntax error"),
        "{stderr}"
    );
}

#[test]
fn a_template_without_env_and_an_unknown_env() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy("{{ deadline_day }}T18:00:00"))]);
    let (code, stderr) = ddmc(dir.path(), &["check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("policies/mac.yaml:7:15: error[template]: a template (`{{ … }}`) is rendered only with `--env` (help: pass `--env NAME`; ddmc.yaml defines `production`, `staging`)"), "{stderr}");
    assert!(!stderr.contains("invalid-format"), "no second error for the unrendered text: {stderr}");
    let (code, stderr) = ddmc(dir.path(), &["--env", "stagin", "check"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "error[usage]: `--env stagin`: ddmc.yaml defines `production`, `staging`; did you mean `staging`?"
    );
}

/// Templates see the variables and nothing else: no environment variable, no file.
#[test]
fn templates_cannot_read_the_environment_or_files() {
    let dir = repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", &policy("{{ deadline_day }}T18:00:00"))]);
    for description in ["{{ env.HOME }}", "{% include '/etc/passwd' %}", "{{ HOME }}"] {
        let text = policy("{{ deadline_day }}T18:00:00").replace("Ring {{ ring }}", description);
        std::fs::write(dir.path().join("policies/mac.yaml"), text).expect("write");
        let output = Command::cargo_bin("ddmc")
            .expect("binary")
            .current_dir(dir.path())
            .env("HOME", "/home/SECRET-HOME")
            .args(["--message-format", "short", "--env", "staging", "check", "--now", "2026-01-01T00:00:00"])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{description}: {stderr}");
        assert!(
            stderr.contains("error[template]") && !stderr.contains("SECRET-HOME") && !stderr.contains("root:"),
            "{stderr}"
        );
    }
}
