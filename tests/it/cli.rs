//! The command line itself: completions, the man page, colour, and `check FILE...` as
//! pre-commit calls it.

use assert_cmd::Command;
use std::path::Path;

fn ddmc(args: &[&str], dir: &Path) -> (i32, String) {
    let output = Command::cargo_bin("ddmc").expect("binary").current_dir(dir).args(args).output().expect("runs");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn completions_and_man_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = Command::cargo_bin("ddmc").expect("binary").args(["completions", shell]).output().expect("runs");
        assert!(output.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("catalog") && text.contains("explain"), "{shell} completes the subcommands");
    }
    let output = Command::cargo_bin("ddmc").expect("binary").arg("man").current_dir(dir.path()).output().expect("runs");
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.starts_with(".ie \\n(.g .ds Aq") && page.contains(".SH NAME") && page.contains("ddmc"), "{page}");
}

/// `--color always` styles even when not on a terminal; `never` and `NO_COLOR` do not.
#[test]
fn color_follows_the_flag_and_no_color() {
    let dir = crate::common::repo(&[(
        "policies/x.yaml",
        "id: xx\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  notifications: yes\n",
    )]);
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = Command::cargo_bin("ddmc").expect("binary");
        cmd.current_dir(dir.path()).args(args);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        String::from_utf8_lossy(&cmd.output().expect("runs").stderr).into_owned()
    };
    assert!(run(&["--color", "always", "check"], true).contains("\u{1b}["), "always styles");
    assert!(!run(&["--color", "never", "check"], false).contains("\u{1b}["));
    assert!(!run(&["check"], true).contains("\u{1b}["), "auto: not a terminal");
}

/// `ddmc check FILE...`, as pre-commit calls it: the repository those files are in is
/// checked, and only their problems are reported.
#[test]
fn check_reports_on_the_files_named() {
    let dir = crate::common::repo(&[
        ("repo/ddmc.yaml", "organization:\n  identifier_prefix: com.example.hook\n"),
        (
            "repo/policies/good.yaml",
            "id: good\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  notifications: true\n",
        ),
        (
            "repo/policies/bad.yaml",
            "id: bad\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  notifications: yes\n",
        ),
    ]);
    let (code, stderr) = ddmc(&["--message-format", "short", "check", "policies/good.yaml"], &dir.path().join("repo"));
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) =
        ddmc(&["--message-format", "short", "check", "repo/policies/bad.yaml", "repo/policies/good.yaml"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("policies/bad.yaml:5:18: error[wrong-type]"), "{stderr}");
    let (code, stderr) = ddmc(&["check", "repo/policies/good.yaml", "elsewhere.yaml"], dir.path());
    assert_eq!(code, 2, "{stderr}");
}

/// Every argument of every command says what it is for, and one with a fixed set of values
/// lists them; the options every command shares are under their own heading.
#[test]
fn every_argument_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
            if arg.is_global_set() && arg.get_help_heading() != Some("Global options") {
                missing.push(format!("{path} {id}: global, not under `Global options`"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (no about)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&ddmc::cli::command(), "ddmc", &mut missing);
    assert!(missing.is_empty(), "without help: {missing:#?}");
    let output = Command::cargo_bin("ddmc").expect("binary").args(["explain", "--help"]).output().expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("[possible values: macOS, iOS, iPadOS, tvOS, visionOS]"), "{help}");
}
