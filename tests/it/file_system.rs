//! File system safety, end to end: a pull request controls every file of the repository, so
//! links, special files, huge files and `output:` must not make ddmc read outside it, hang,
//! print a secret, or replace another project's files.

use crate::common;
use assert_cmd::Command;
use std::fs;
use std::path::Path;
use std::time::Duration;

const POLICY: &str = "id: mac\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  notifications: true\n";
const PROJECT: &str = "organization:\n  identifier_prefix: com.example.fleet\n";

struct Run {
    code: i32,
    stderr: String,
}

/// `ddmc ARGS --message-format short`, killed after 60 s (a hang fails the test).
fn ddmc(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .env("NO_COLOR", "1")
        .envs(envs.iter().copied())
        .args(args)
        .args(["--message-format", "short"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    Run {
        code: output.status.code().expect("exit code: not killed by the timeout"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn repo() -> tempfile::TempDir {
    common::repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", POLICY)])
}

#[cfg(unix)]
fn link(target: impl AsRef<Path>, at: &Path) {
    std::os::unix::fs::symlink(target, at).expect("symlink");
}

/// A link to a file outside the repository is refused, and its content never shown: not
/// even a secret in the environment, read through `/proc/self/environ`.
#[test]
#[cfg(unix)]
fn links_outside_the_repository_are_refused_unread() {
    let outside = tempfile::tempdir().expect("tempdir");
    fs::write(outside.path().join("other.yaml"), "id: other\nsecret: hunter2-outside\n").expect("write");
    let repo = repo();
    link(outside.path().join("other.yaml"), &repo.path().join("policies/other.yaml"));
    link("/proc/self/environ", &repo.path().join("policies/environ.yaml"));
    for command in ["check", "build"] {
        let run = ddmc(&[command, path(repo.path())], &[("CI_DEPLOY_TOKEN", "hunter2-environ")]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        for name in ["environ", "other"] {
            assert!(
                run.stderr.contains(&format!(
                    "error[unsafe-path]: `policies/{name}.yaml` is a symbolic link to a path outside the repository"
                )),
                "{}",
                run.stderr
            );
        }
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    }
    assert!(!repo.path().join("out").exists());
}

/// A link inside the repository to a file inside it is an ordinary policy.
#[test]
#[cfg(unix)]
fn links_inside_the_repository_are_followed() {
    let repo = common::repo(&[("ddmc.yaml", PROJECT), ("shared/mac.yaml", POLICY)]);
    fs::create_dir(repo.path().join("policies")).expect("mkdir");
    link("../shared/mac.yaml", &repo.path().join("policies/mac.yaml"));
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("checked 1 policy"), "{}", run.stderr);
}

/// Dangling links, link cycles, FIFOs and sockets: one clear error each, never a hang (a FIFO
/// opened for reading would block forever) and never a silent skip.
#[test]
#[cfg(unix)]
fn dangling_looping_and_special_files_are_errors() {
    let repo = repo();
    let dir = repo.path().join("policies");
    link("missing.yaml", &dir.join("dangling.yaml"));
    link("loop.yaml", &dir.join("loop.yaml"));
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.join("fifo.yaml"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
    link("fifo.yaml", &dir.join("to-fifo.yaml"));
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("socket.json")).expect("socket");
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = [
        "error[unsafe-path]: `policies/dangling.yaml` is a dangling symbolic link (its target does not exist) \
         (help: remove the link, or point it at a file in the repository)",
        "error[unsafe-path]: `policies/fifo.yaml` is a FIFO (named pipe), not a regular file; it was not read \
         (help: policies and `ddmc.yaml` are plain text files; remove `policies/fifo.yaml` or rename it)",
        "error[unsafe-path]: `policies/loop.yaml` is a symbolic link that loops (it resolves to itself) \
         (help: replace the link with the file it should name)",
        "error[unsafe-path]: `policies/socket.json` is a socket, not a regular file; it was not read ...",
        "error[unsafe-path]: `policies/to-fifo.yaml` is a symbolic link to a FIFO (named pipe), not a regular file; ...",
    ];
    for line in expected {
        let start = line.strip_suffix("...").unwrap_or(line);
        assert!(run.stderr.lines().any(|l| l.starts_with(start)), "expected {line}\nin\n{}", run.stderr);
    }
    assert!(run.stderr.ends_with("error: 5 errors\n"), "{}", run.stderr);
}

/// Links to folders are not followed (no escape, no cycle), with a warning that says so.
#[test]
#[cfg(unix)]
fn folder_links_are_not_followed() {
    let outside = tempfile::tempdir().expect("tempdir");
    fs::write(outside.path().join("other.yaml"), "id: other\n").expect("write");
    let repo = repo();
    link(outside.path(), &repo.path().join("policies/outside"));
    link(".", &repo.path().join("policies/cycle"));
    link("gone", &repo.path().join("policies/ios"));
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning[unsafe-path]: `policies/cycle` is a symbolic link to a folder; ddmc does not follow it"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`policies/outside` is a symbolic link to a folder"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning[unsafe-path]: `policies/ios` is a dangling symbolic link (its target does not exist)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("checked 1 policy: 3 warnings"), "{}", run.stderr);
}

/// `ddmc.yaml` obeys the same rules as policies.
#[test]
#[cfg(unix)]
fn a_project_file_outside_the_repository_is_refused() {
    let outside = tempfile::tempdir().expect("tempdir");
    fs::write(outside.path().join("ddmc.yaml"), "output: ../victim\n").expect("write");
    let repo = common::repo(&[("policies/mac.yaml", POLICY)]);
    link(outside.path().join("ddmc.yaml"), &repo.path().join("ddmc.yaml"));
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[unsafe-path]: `ddmc.yaml` is a symbolic link to a path outside the repository"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("victim"), "{}", run.stderr);
}

/// A 1 GiB policy is refused after reading at most 1 MiB + 1 byte (the file is sparse: this
/// test would take long and use 1 GiB of memory if ddmc read it whole).
#[test]
fn files_over_the_size_limit_are_refused() {
    let repo = repo();
    let huge = fs::File::create(repo.path().join("policies/huge.yaml")).expect("create");
    huge.set_len(1 << 30).expect("set_len");
    fs::write(repo.path().join("ddmc.yaml"), vec![b'#'; 1024 * 1024 + 1]).expect("write");
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error[too-large]: `policies/huge.yaml` is larger than 1 MiB, the limit for one file; it was not read \
             (help: a policy is a few KiB: split it into several policies, or remove what is not policy)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error[too-large]: `ddmc.yaml` is larger than 1 MiB"), "{}", run.stderr);
}

/// Folders nested deeper than the limit are reported, not walked.
#[test]
fn folders_over_the_depth_limit_are_refused() {
    let repo = repo();
    let deep: String = (0..=ddmc::limits::MAX_POLICY_DEPTH).map(|i| format!("d{i}/")).collect();
    fs::create_dir_all(repo.path().join("policies").join(&deep)).expect("mkdir");
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let shown = format!("policies/{}", deep.trim_end_matches('/'));
    assert!(
        run.stderr.contains(&format!("error[too-large]: `{shown}` is nested more than 32 folders below `policies/`")),
        "{}",
        run.stderr
    );
}

/// A non-UTF-8 policy: the line and column of the first invalid byte.
#[test]
fn non_utf8_points_at_the_first_invalid_byte() {
    let repo = repo();
    fs::write(repo.path().join("policies/cafe.yaml"), b"id: cafe\ndescription: Caf\xe9 fleet\n").expect("write");
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "policies/cafe.yaml:2:17: error[syntax]: `policies/cafe.yaml` is not UTF-8 text (help: save it as UTF-8)\n"
        ),
        "{}",
        run.stderr
    );
}

/// `check` never writes, so it does not say "nothing was written".
#[test]
fn check_does_not_claim_it_wrote_nothing() {
    let repo = common::repo(&[("ddmc.yaml", PROJECT), ("policies/mac.yaml", "id: mac\n")]);
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.ends_with("error: 1 error\n"), "{}", run.stderr);
    let run = ddmc(&["build", path(repo.path())], &[]);
    assert!(run.stderr.ends_with("error: 1 error; nothing was written\n"), "{}", run.stderr);
}

/// `policies/` itself may be a link, but only to a folder inside the repository.
#[test]
#[cfg(unix)]
fn the_policies_folder_may_link_only_inside() {
    let outside = tempfile::tempdir().expect("tempdir");
    fs::write(outside.path().join("mac.yaml"), POLICY).expect("write");
    let repo = common::repo(&[("ddmc.yaml", PROJECT), ("fleet/mac.yaml", POLICY)]);
    link("fleet", &repo.path().join("policies"));
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.starts_with("checked 1 policy"), "{}", run.stderr);
    fs::remove_file(repo.path().join("policies")).expect("unlink");
    link(outside.path(), &repo.path().join("policies"));
    let run = ddmc(&["check", path(repo.path())], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error[unsafe-path]: `policies` is a symbolic link to a path outside the repository"),
        "{}",
        run.stderr
    );
}
