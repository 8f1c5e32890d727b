//! `ddmc legacy schedule`, end to end: the real binary reads an `AvailableOSUpdates` response
//! from `tests/fixtures/schedule/` and writes a `ScheduleOSUpdate` command.
//!
//! Every successful run is parsed back with the `plist` crate and its structure asserted; the
//! XML itself is an insta snapshot (`tests/it/snapshots/it__legacy_schedule__<name>.snap`). New or
//! changed snapshots: `INSTA_UPDATE=always cargo test --test it legacy_schedule::`, then read them.
//! Failing runs are checked for the exit code, the message, and that nothing was written.

use assert_cmd::Command;
use plist::{Dictionary, Value};
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Exit codes (see `src/cli/mod.rs`).
const OK: i32 = 0;
const INPUT: i32 = 1;
const USAGE: i32 = 2;
const IO: i32 = 3;

const FIXTURES: &str = "tests/fixtures/schedule";
const DEPRECATION: &str = "warning: `ScheduleOSUpdate` is deprecated in OS 26.0 and removed in 27.0";

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn ddmc(args: &[&str]) -> Run {
    let output = Command::cargo_bin("ddmc")
        .expect("ddmc binary")
        .args(["legacy", "schedule"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("ddmc runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Problems in the input are diagnostics: one line each with `--message-format short`.
fn schedule(available: &Path, extra: &[&str]) -> Run {
    let available = available.to_str().expect("UTF-8 path");
    ddmc(&[&["--available", available, "--message-format", "short"], extra].concat())
}

/// A run that must succeed; its command, parsed back.
fn command_of(run: &Run) -> Dictionary {
    assert_eq!(run.code, OK, "stderr: {}", run.stderr);
    assert!(run.stderr.starts_with(DEPRECATION), "{}", run.stderr);
    Value::from_reader_xml(run.stdout.as_slice()).expect("stdout is an XML plist").into_dictionary().expect("a dict")
}

/// A run that must fail: the exit code, nothing on stdout, and the error line: the
/// diagnostic (`file:line:column: error[code]: …`) for bad input, else `error[usage]: …` or `error[io]: …`.
fn error_of(run: &Run, code: i32) -> String {
    assert_eq!(run.code, code, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", String::from_utf8_lossy(&run.stdout));
    let diagnostics = run.stderr.lines().filter(|line| line.contains(": error[")).collect::<Vec<_>>();
    if code == INPUT {
        assert_eq!(diagnostics.len(), 1, "{}", run.stderr);
        assert!(run.stderr.ends_with("error: 1 error\n"), "{}", run.stderr);
        return diagnostics[0].to_owned();
    }
    let error = run.stderr.lines().filter(|line| line.starts_with("error[")).collect::<Vec<_>>();
    assert_eq!(error.len(), 1, "{}", run.stderr);
    error[0].to_owned()
}

/// Asserts the whole structure of a `ScheduleOSUpdate` command for one update.
fn assert_schedules(command: &Dictionary, product_key: &str, action: &str) {
    let keys: Vec<&str> = command.keys().map(String::as_str).collect();
    assert_eq!(keys, ["Command", "CommandUUID"]);
    let inner = command.get("Command").and_then(Value::as_dictionary).expect("Command");
    assert_eq!(inner.keys().map(String::as_str).collect::<Vec<_>>(), ["RequestType", "Updates"]);
    assert_eq!(inner.get("RequestType").and_then(Value::as_string), Some("ScheduleOSUpdate"));
    let updates = inner.get("Updates").and_then(Value::as_array).expect("Updates");
    assert_eq!(updates.len(), 1);
    let update = updates[0].as_dictionary().expect("UpdatesItem");
    assert_eq!(update.keys().map(String::as_str).collect::<Vec<_>>(), ["InstallAction", "ProductKey"]);
    assert_eq!(update.get("ProductKey").and_then(Value::as_string), Some(product_key));
    assert_eq!(update.get("InstallAction").and_then(Value::as_string), Some(action));
    let uuid = command.get("CommandUUID").and_then(Value::as_string).expect("CommandUUID");
    let shape = regex::Regex::new(r"^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
        .expect("valid regex");
    assert!(shape.is_match(uuid), "{uuid}");
}

fn snapshot(name: &str, run: &Run) {
    let xml = String::from_utf8(run.stdout.clone()).expect("UTF-8 XML");
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!(name, xml);
    });
}

#[test]
fn macos_rsr_from_xml_plist() {
    let run = schedule(&fixture("macos13-one-rsr.plist"), &[]);
    assert_schedules(&command_of(&run), "MSU_UPDATE_22E772610a_patch_13.3.1_rsr", "Default");
    assert!(
        run.stderr.contains(
            "wrote ScheduleOSUpdate (Default) for macOS 13.3.1 (a), build 22E772610a \
             (ProductKey `MSU_UPDATE_22E772610a_patch_13.3.1_rsr`) to stdout"
        ),
        "{}",
        run.stderr
    );
    snapshot("macos13_default", &run);
    // The same input gives the same bytes, CommandUUID included.
    assert_eq!(schedule(&fixture("macos13-one-rsr.plist"), &[]).stdout, run.stdout);
}

#[test]
fn ios_newest_of_two_wins_and_letter_is_the_extra() {
    // (a) is 20F770750b and (c) is 20F770750d: neither build suffix is its release letter.
    let run = schedule(&fixture("ios16-two-rsrs.plist"), &["--install-action", "InstallASAP"]);
    assert_schedules(&command_of(&run), "MSU_UPDATE_20F770750d_patch_16.5.1_rsr", "InstallASAP");
    assert!(run.stderr.contains("for iOS 16.5.1 (c), build 20F770750d"), "{}", run.stderr);
    snapshot("ios16_install_asap", &run);
}

#[test]
fn letter_is_read_from_the_extra_not_the_build_suffix() {
    // A bare array. `(c)` has build suffix `a` and the lower build; `(a)` has suffix `b`.
    // Ordering by the suffix or by the build would pick `(a)`.
    let run = schedule(&fixture("ios16-suffix-disagrees.plist"), &[]);
    assert_schedules(&command_of(&run), "MSU_UPDATE_20E772520a_patch_16.4.1_rsr_c", "Default");
    assert!(run.stderr.contains("for iOS 16.4.1 (c), build 20E772520a"), "{}", run.stderr);
}

#[test]
fn json_and_binary_plist_responses() {
    let run = schedule(&fixture("macos13-response.json"), &["--install-action", "InstallForceRestart"]);
    assert_schedules(&command_of(&run), "MSU_UPDATE_22F770820d_patch_13.4.1_rsr", "InstallForceRestart");
    snapshot("macos13_json_force_restart", &run);

    // The XML fixture as a binary plist gives the same command as the XML.
    let dir = TempDir::new().expect("temporary folder");
    let binary = dir.path().join("response.bplist");
    Value::from_file(fixture("macos13-one-rsr.plist"))
        .expect("fixture parses")
        .to_file_binary(&binary)
        .expect("binary plist written");
    assert!(fs::read(&binary).expect("file system").starts_with(b"bplist00"));
    let from_binary = schedule(&binary, &[]);
    assert_schedules(&command_of(&from_binary), "MSU_UPDATE_22E772610a_patch_13.3.1_rsr", "Default");
    assert_eq!(from_binary.stdout, schedule(&fixture("macos13-one-rsr.plist"), &[]).stdout);
}

#[test]
fn no_security_response_lists_what_there_is() {
    let run = schedule(&fixture("no-security-response.plist"), &[]);
    assert_eq!(
        error_of(&run, INPUT),
        "tests/fixtures/schedule/no-security-response.plist:6:2: error[invalid-value]: no security response is \
         available; 2 OS updates are listed: `MSU_UPDATE_23B81_patch_14.1.1_minor` (14.1.1, 23B81), \
         `062-01234` (17.1.2, 23B2082) (help: nothing to schedule: ask the device again later, or update it with \
         `ScheduleOSUpdate` for its OS update)"
    );
    let dir = TempDir::new().expect("temporary folder");
    let empty = dir.path().join("empty.json");
    fs::write(&empty, r#"{"Status": "Acknowledged", "UDID": "X", "AvailableOSUpdates": []}"#).expect("file system");
    assert!(error_of(&schedule(&empty, &[]), INPUT).contains("; no OS updates are listed (help:"));
}

#[test]
fn malformed_responses_name_the_file_and_key() {
    let cases = [
        (
            "not-a-plist.txt",
            "tests/fixtures/schedule/not-a-plist.txt:1:1: error[syntax]: not an AvailableOSUpdates response: \
             expected an XML property list, a binary property list or JSON",
        ),
        (
            "missing-product-key.json",
            "tests/fixtures/schedule/missing-product-key.json:2:3: error[missing-key]: `[0].ProductKey`: missing on the chosen \
             security response `13.3.1 (a)`; ScheduleOSUpdate names an RSR only by its ProductKey (Apple: \
             ProductVersion isn't available for RSR updates)",
        ),
        (
            "wrong-type.plist",
            "tests/fixtures/schedule/wrong-type.plist:11:4: error[wrong-type]: `AvailableOSUpdates[0].IsSecurityResponse`: \
             expected a boolean (`<true/>` or `<false/>`, JSON `true` or `false`), found the string `true`",
        ),
    ];
    for (name, message) in cases {
        let error = error_of(&schedule(&fixture(name), &[]), INPUT);
        assert_eq!(error, message, "{name}");
    }
}

#[test]
fn malformed_inline_responses() {
    let dir = TempDir::new().expect("temporary folder");
    let cases = [
        (r#"{"AvailableOSUpdates": "none"}"#, "`AvailableOSUpdates`: expected an array, found the string `none`"),
        (r#"{"Status": "Acknowledged"}"#, "`AvailableOSUpdates`: missing"),
        (r#"{"Status": "Error", "ErrorChain": []}"#, "the device answered with `Status` `Error`"),
        (
            r#"[{"IsSecurityResponse": true, "Version": "13.3.1", "ProductKey": "K"}]"#,
            "`[0].SupplementalOSVersionExtra`: missing",
        ),
        (
            r#"[{"IsSecurityResponse": true, "Version": "13.3.1", "ProductKey": "K", "SupplementalOSVersionExtra": "a"}]"#,
            "`[0].SupplementalOSVersionExtra`: expected a lower-case letter in parentheses, such as `(a)`, found `a`",
        ),
        (
            r#"[{"IsSecurityResponse": true, "Version": "13.3.1 (b)", "ProductKey": "K", "SupplementalOSVersionExtra": "(a)"}]"#,
            "`[0].Version`: says `(b)` but `SupplementalOSVersionExtra` says `(a)`",
        ),
        (
            r#"[{"IsSecurityResponse": true, "Version": "27.0", "ProductKey": "K", "SupplementalOSVersionExtra": "(a)"}]"#,
            "cannot schedule the security response 27.0 (a): Apple removed `ScheduleOSUpdate` in OS 27.0",
        ),
        (r#"{"AvailableOSUpdates": [{"ProductKey": "K",}]}"#, ":1:43: error[syntax]: trailing comma"),
        ("<plist><dict><key>AvailableOSUpdates</key>", ":1:43: error[syntax]: the file ends before `<dict>` is closed"),
        ("", "the file is empty"),
    ];
    for (index, (content, message)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{index}.json"));
        fs::write(&path, content).expect("file system");
        let error = error_of(&schedule(&path, &[]), INPUT);
        assert!(error.starts_with(&format!("{}:", path.display())), "{error}");
        assert!(error.contains(message), "{content}\n{error}");
    }
}

/// Input errors are diagnostics in every message format: positions, never internal names.
#[test]
fn input_errors_follow_the_message_format() {
    let available = fixture("wrong-type.plist");
    let path = available.to_str().expect("UTF-8 path");
    let human = ddmc(&["--available", path]);
    assert_eq!(human.code, INPUT, "{}", human.stderr);
    assert!(
        human.stderr.contains(
            "error[wrong-type]: `AvailableOSUpdates[0].IsSecurityResponse`: expected a boolean (`<true/>` or \
             `<false/>`, JSON `true` or `false`), found the string `true`\n  --> tests/fixtures/schedule/wrong-type.plist:11:4\n"
        ),
        "{}",
        human.stderr
    );
    assert!(human.stderr.contains("<string>true</string>"), "a snippet: {}", human.stderr);
    let json = ddmc(&["--available", path, "--message-format", "json"]);
    assert_eq!(json.code, INPUT, "{}", json.stderr);
    let line = String::from_utf8(json.stdout).expect("UTF-8");
    let value: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON object");
    assert_eq!(value["code"], "wrong-type");
    assert_eq!(value["location"]["file"], "tests/fixtures/schedule/wrong-type.plist");
    assert_eq!((value["location"]["line"].as_u64(), value["location"]["column"].as_u64()), (Some(11), Some(4)));
    // A device is not a file: never opened, so never a hang.
    let zero = ddmc(&["--available", "/dev/zero", "--message-format", "short"]);
    assert_eq!(zero.code, INPUT, "{}", zero.stderr);
    assert!(zero.stderr.contains("/dev/zero:1:1: error[not-a-file]"), "{}", zero.stderr);
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let dir = TempDir::new().expect("temporary folder");
    let depth = 100_000;
    let cases = [
        ("deep.plist", format!("<plist>{}{}</plist>", "<array>".repeat(depth), "</array>".repeat(depth))),
        ("deep.json", format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
    ];
    for (name, content) in cases {
        let path = dir.path().join(name);
        fs::write(&path, content).expect("file system");
        let error = error_of(&schedule(&path, &[]), INPUT);
        assert!(
            error
                .contains("error[too-large]: dictionaries and arrays are nested more than 100 levels deep (the limit)")
                || error.contains("nested too deeply"),
            "{error}"
        );
    }
}

#[test]
fn out_writes_the_file_atomically_and_nothing_on_error() {
    let dir = TempDir::new().expect("temporary folder");
    let out = dir.path().join("command.plist");
    let out_arg = out.to_str().expect("UTF-8 path");
    let run = schedule(&fixture("macos13-one-rsr.plist"), &["--out", out_arg]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains(&format!("to `{out_arg}`")), "{}", run.stderr);
    let written = fs::read(&out).expect("file system");
    assert_eq!(written, schedule(&fixture("macos13-one-rsr.plist"), &[]).stdout);
    let command =
        Value::from_reader_xml(written.as_slice()).expect("XML plist").into_dictionary().expect("a dictionary");
    assert_schedules(&command, "MSU_UPDATE_22E772610a_patch_13.3.1_rsr", "Default");

    // An error leaves the existing file as it was and adds nothing beside it.
    for (available, action) in [("no-security-response.plist", "Default"), ("ios16-two-rsrs.plist", "NotifyOnly")] {
        let run = schedule(&fixture(available), &["--out", out_arg, "--install-action", action]);
        error_of(&run, INPUT);
        assert_eq!(fs::read(&out).expect("file system"), written);
        assert_eq!(fs::read_dir(dir.path()).expect("file system").count(), 1);
    }
    let fresh = dir.path().join("fresh.plist");
    error_of(&schedule(&fixture("not-a-plist.txt"), &["--out", fresh.to_str().expect("UTF-8 path")]), INPUT);
    assert!(!fresh.exists());
}

#[test]
fn unwritable_out_and_unreadable_input_are_io_errors() {
    let dir = TempDir::new().expect("temporary folder");
    let missing_folder = dir.path().join("missing/command.plist");
    let error = error_of(
        &schedule(&fixture("macos13-one-rsr.plist"), &["--out", missing_folder.to_str().expect("UTF-8 path")]),
        IO,
    );
    assert!(error.starts_with(&format!("error[io]: cannot write `{}`: ", missing_folder.display())), "{error}");
    // A folder in the way: nothing replaces it and no temporary file stays behind.
    let folder = dir.path().join("folder");
    fs::create_dir(&folder).expect("file system");
    error_of(&schedule(&fixture("macos13-one-rsr.plist"), &["--out", folder.to_str().expect("UTF-8 path")]), IO);
    assert!(folder.is_dir());
    assert_eq!(fs::read_dir(dir.path()).expect("file system").count(), 1);

    let error = error_of(&schedule(&dir.path().join("absent.plist"), &[]), IO);
    assert!(error.starts_with("error[io]: cannot read `"), "{error}");

    // Replacing the response with the command would lose the response.
    let copy = dir.path().join("response.plist");
    fs::copy(fixture("macos13-one-rsr.plist"), &copy).expect("file system");
    error_of(&schedule(&copy, &["--out", copy.to_str().expect("UTF-8 path")]), USAGE);
    assert_eq!(fs::read(&copy).expect("file system"), fs::read(fixture("macos13-one-rsr.plist")).expect("file system"));
}

#[test]
fn install_action_is_apples_rangelist_and_platform_rules() {
    let mac = fixture("macos13-one-rsr.plist");
    for action in ["Default", "DownloadOnly", "InstallASAP", "NotifyOnly", "InstallLater", "InstallForceRestart"] {
        let run = schedule(&mac, &["--install-action", action]);
        assert_schedules(&command_of(&run), "MSU_UPDATE_22E772610a_patch_13.3.1_rsr", action);
    }
    // Not in Apple's rangelist, or not spelled as Apple spells it: a usage error from clap.
    for bad in ["Bogus", "installasap", "install-asap", ""] {
        let run = schedule(&mac, &["--install-action", bad]);
        assert_eq!(run.code, USAGE, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("InstallForceRestart"), "possible values are listed: {}", run.stderr);
    }
    // macOS-only actions on an iPhone's answer.
    let ios = fixture("ios16-two-rsrs.plist");
    for action in ["NotifyOnly", "InstallLater", "InstallForceRestart"] {
        let error = error_of(&schedule(&ios, &["--install-action", action]), INPUT);
        assert!(
            error.ends_with(&format!(
                "cannot schedule the security response 16.5.1 (c): `{action}` exists only on macOS (Apple, \
                 ScheduleOSUpdate `InstallAction`), and this response comes from a device running iOS; use Default, \
                 DownloadOnly, InstallASAP"
            )),
            "{error}"
        );
    }
    // A response that does not tell the platform allows only the actions every platform has.
    let dir = TempDir::new().expect("temporary folder");
    let unknown = dir.path().join("unknown.json");
    fs::write(
        &unknown,
        r#"[{"IsSecurityResponse": true, "Version": "13.3.1", "ProductKey": "K", "SupplementalOSVersionExtra": "(a)"}]"#,
    )
    .expect("file system");
    assert!(error_of(&schedule(&unknown, &["--install-action", "InstallLater"]), INPUT).contains("no `ProductName`"));
    assert_schedules(&command_of(&schedule(&unknown, &["--install-action", "DownloadOnly"])), "K", "DownloadOnly");
}

#[test]
fn quiet_drops_the_deprecation_warning_only() {
    let run = ddmc(&["--quiet", "--available", fixture("macos13-one-rsr.plist").to_str().expect("UTF-8 path")]);
    assert_eq!(run.code, OK);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert!(!run.stdout.is_empty());
    let not_a_plist = fixture("not-a-plist.txt");
    let run = ddmc(&["--quiet", "--message-format", "short", "--available", not_a_plist.to_str().expect("UTF-8 path")]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    error_of(&run, INPUT);
    // Usage errors come before anything is read.
    assert_eq!(ddmc(&[]).code, USAGE);
}
