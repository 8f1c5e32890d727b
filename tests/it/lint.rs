//! `ddmc lint`, end to end: declarations and profiles written by others, good and bad.
//!
//! Each case runs the real binary in a folder (a fixture in `tests/fixtures/lint/<dir>/`, or
//! the third-party samples in `../shared/reference/samples`, read in place) and checks
//!
//! - the exit code (0 clean or warnings only, 1 errors, 2 usage);
//! - the whole `--message-format short` stderr, line by line, so that every message, code,
//!   help and `file:line:column` is asserted exactly;
//! - that every located diagnostic is at the same place in the human form;
//! - the human stderr, as an insta snapshot `tests/it/snapshots/it__lint__<case>.snap`.
//!
//! Cases on the samples skip, with a message, when `../shared` is absent.
//! New or changed snapshots: `INSTA_UPDATE=always cargo test --test it lint::`, then read them.

use crate::common;

use assert_cmd::Command;
use ddmc::lint::{self, Options};
use proptest::prelude::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const OK: i32 = 0;
const POLICY: i32 = 1;
const USAGE: i32 = 2;

struct Case {
    /// The name of the snapshot.
    name: &'static str,
    /// The folder ddmc runs in: below `tests/fixtures/lint/`, or the samples folder.
    dir: &'static str,
    samples: bool,
    /// Arguments after `ddmc lint`.
    args: &'static [&'static str],
    exit: i32,
    /// The whole `--message-format short` stderr, line by line.
    short: &'static [&'static str],
}

const FIXTURE: Case = Case { name: "", dir: "", samples: false, args: &[], exit: OK, short: &[] };
const SAMPLE: Case = Case { samples: true, ..FIXTURE };

/// One `#[test]` per row.
macro_rules! cases {
    ($($name:ident => $case:expr;)*) => {
        $(
            #[test]
            fn $name() {
                run_case(&Case { name: stringify!($name), ..$case });
            }
        )*
    };
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn samples() -> Option<PathBuf> {
    common::shared("samples")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `ddmc ARGS` in `dir`, with an empty environment (no colours).
fn ddmc(dir: &Path, args: &[&str]) -> Run {
    let output =
        Command::cargo_bin("ddmc").expect("binary").current_dir(dir).env_clear().args(args).output().expect("runs");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

fn run_case(case: &Case) {
    let dir = if case.samples {
        match samples() {
            Some(dir) => dir,
            None => return,
        }
    } else {
        fixtures().join(case.dir)
    };
    let args: Vec<&str> = std::iter::once("lint").chain(case.args.iter().copied()).collect();
    let mut short_args = args.clone();
    short_args.extend(["--message-format", "short"]);
    let short = ddmc(&dir, &short_args);
    assert_eq!(short.code, case.exit, "{}: exit code; stderr:\n{}", case.name, short.stderr);
    let lines: Vec<&str> = short.stderr.lines().collect();
    assert_eq!(lines, case.short, "{}: short stderr", case.name);
    assert!(short.stdout.is_empty(), "{}: stdout: {}", case.name, short.stdout);

    let human = ddmc(&dir, &args);
    assert_eq!(human.code, case.exit, "{}: exit code; stderr:\n{}", case.name, human.stderr);
    assert!(!human.stderr.contains("panicked"), "{}:\n{}", case.name, human.stderr);
    for line in &lines {
        if let Some((place, _)) = line.split_once(": ").filter(|(place, _)| place.contains(':')) {
            assert!(
                human.stderr.contains(&format!("--> {place}")),
                "{}: {place} missing in\n{}",
                case.name,
                human.stderr
            );
        }
    }
    insta::with_settings!({ description => format!("ddmc {}", args.join(" ")), omit_expression => true }, {
        insta::assert_snapshot!(case.name, human.stderr);
    });
}

cases! {
    valid_declarations => Case {
        dir: "valid_declarations",
        args: &["."],
        exit: OK,
        short: &[
            "linted 4 files: no problems",
        ],
        ..FIXTURE
    };
    valid_profile => Case {
        dir: "valid_profile",
        args: &["."],
        exit: OK,
        short: &[
            "linted 1 file: no problems",
        ],
        ..FIXTURE
    };
    unknown_payload_key => Case {
        dir: "unknown_payload_key",
        args: &["."],
        exit: POLICY,
        short: &[
            "restrictions.mobileconfig:16:9: error[unknown-key]: unknown key `allowCamra` in payload `/PayloadContent/0` (help: did you mean `allowCamera`?)",
            "settings.json:6:5: error[unknown-key]: unknown key `Notifcations` in `/Payload` (help: did you mean `Notifications`?)",
            "settings.json:8:7: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "error: linted 2 files: 3 errors",
        ],
        ..FIXTURE
    };
    wrong_enum_case => Case {
        dir: "wrong_enum_case",
        args: &["."],
        exit: POLICY,
        short: &[
            "settings.json:6:27: error[invalid-value]: `newest` is not a valid value for `/Payload/RecommendedCadence` (help: did you mean `Newest`?)",
            "settings.json:8:19: error[invalid-value]: `alwayson` is not a valid value for `/Payload/AutomaticActions/Download` (help: did you mean `AlwaysOn`?)",
            "settings.json:9:27: error[invalid-value]: `Always On` is not a valid value for `/Payload/AutomaticActions/InstallOSUpdates` (help: did you mean `AlwaysOn`?)",
            "error: linted 1 file: 3 errors",
        ],
        ..FIXTURE
    };
    out_of_range => Case {
        dir: "out_of_range",
        args: &["."],
        exit: POLICY,
        short: &[
            "restrictions.mobileconfig:17:4: error[out-of-range]: `1001` is out of range for `/PayloadContent/0/ratingApps` (help: use a value from 0 to 1000)",
            "settings.json:7:28: error[out-of-range]: `91` is out of range for `/Payload/Deferrals/MajorPeriodInDays` (help: use a value from 1 to 90)",
            "settings.json:8:28: error[out-of-range]: `0` is out of range for `/Payload/Deferrals/MinorPeriodInDays` (help: use a value from 1 to 90)",
            "error: linted 2 files: 3 errors",
        ],
        ..FIXTURE
    };
    wrong_type => Case {
        dir: "wrong_type",
        args: &["."],
        exit: POLICY,
        short: &[
            "enforcement.json:6:24: error[wrong-type]: `/Payload/TargetOSVersion` must be a string, found a number (help: `26.4` is a number; quote it: `\"26.4\"`)",
            "restrictions.mobileconfig:17:4: error[wrong-type]: `/PayloadContent/0/allowCamera` must be `true` or `false`, found a string (help: write `<false/>`)",
            "restrictions.mobileconfig:19:4: error[wrong-type]: `/PayloadContent/0/ratingApps` must be a whole number, found a string (help: write `<integer>200</integer>`)",
            "settings.json:6:22: error[wrong-type]: `/Payload/Notifications` must be `true` or `false`, found a string (help: write `true` or `false` without quotes)",
            "settings.json:8:31: error[wrong-type]: `/Payload/Deferrals/CombinedPeriodInDays` must be a whole number, found a string (help: write the number without quotes: `30`)",
            "settings.json:10:13: error[wrong-type]: `/Payload/Beta` must be an object, found an array",
            "error: linted 3 files: 6 errors",
        ],
        ..FIXTURE
    };
    missing_required_key => Case {
        dir: "missing_required_key",
        args: &["."],
        exit: POLICY,
        short: &[
            "enforcement.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "enforcement.json:4:14: error[missing-key]: missing required key `TargetLocalDateTime` in `/Payload` (help: add `\"TargetLocalDateTime\": \"…\"`)",
            "restrictions.mobileconfig:7:3: error[missing-key]: missing required key `PayloadUUID` in payload `/PayloadContent/0` (help: add `<key>PayloadUUID</key><string>…</string>`)",
            "error: linted 2 files: 3 errors",
        ],
        ..FIXTURE
    };
    bad_array_item => Case {
        dir: "bad_array_item",
        args: &["."],
        exit: POLICY,
        short: &[
            "status-subscriptions.json:8:7: error[missing-key]: missing required key `Name` in `/Payload/StatusItems/1` (help: add `\"Name\": \"…\"`)",
            "status-subscriptions.json:8:8: error[unknown-key]: unknown key `Nome` in `/Payload/StatusItems/1` (help: did you mean `Name`?)",
            "status-subscriptions.json:9:7: error[wrong-type]: `/Payload/StatusItems/2` must be an object, found a string (help: write `{\"Name\": \"softwareupdate.install-state\"}`)",
            "error: linted 1 file: 3 errors",
        ],
        ..FIXTURE
    };
    unknown_type => Case {
        dir: "unknown_type",
        args: &["."],
        exit: POLICY,
        short: &[
            "latest.json:2:11: error[invalid-value]: unknown declaration type `com.apple.configuration.softwareupdate.enforcement.latest` (help: did you mean `com.apple.configuration.softwareupdate.enforcement.specific`?)",
            "misspelt.json:2:11: error[invalid-value]: unknown declaration type `com.apple.configuration.softwareupdate.setting` (help: did you mean `com.apple.configuration.softwareupdate.settings`?)",
            "not-apple.json:2:11: error[invalid-value]: `com.example.softwareupdate` is not an Apple declaration type (help: use Apple's type name, such as `com.apple.configuration.softwareupdate.settings`)",
            "passcode.json:2:11: note[unsupported]: declaration type `com.apple.configuration.passcode.settings` is not checked",
            "error: linted 4 files: 3 errors",
        ],
        ..FIXTURE
    };
    identifier_too_long => Case {
        dir: "identifier_too_long",
        args: &["."],
        exit: POLICY,
        short: &[
            "settings.json:3:17: error[identifier-too-long]: `/Identifier` is 71 octets, more than 64 (help: shorten it by 7 octets)",
            "settings.json:4:18: error[identifier-too-long]: `/ServerToken` is 65 octets, more than 64 (help: shorten it by 1 octet)",
            "error: linted 1 file: 2 errors",
        ],
        ..FIXTURE
    };
    duplicate_identifiers => Case {
        dir: "duplicate_identifiers",
        args: &["a.json", "b.json"],
        exit: POLICY,
        short: &[
            "b.json:3:17: error[duplicate-id]: Identifier `com.example.ddm.settings` is also declared in `a.json` (help: give each declaration its own Identifier: a device keeps one declaration per Identifier)",
            "error: linted 2 files: 1 error",
        ],
        ..FIXTURE
    };
    missing_configuration => Case {
        dir: "missing_configuration",
        args: &["."],
        exit: POLICY,
        short: &[
            "activation.json:8:7: error[invalid-value]: activation installs `com.example.ddm.setings.macos`, which no linted file declares (help: did you mean `com.example.ddm.settings.macos`?)",
            "activation.json:9:7: error[invalid-value]: activation installs `com.example.ddm.enforcement.1`, which no linted file declares (help: lint the file that declares it together with this activation, or fix the Identifier)",
            "activation.json:10:7: error[invalid-value]: `com.example.ddm.other-activation` is an activation, not a configuration (help: list the configurations this activation installs)",
            "error: linted 4 files: 3 errors",
        ],
        ..FIXTURE
    };
    applicability_ios_device => Case {
        dir: "applicability",
        args: &["--platform", "iOS", "--enrollment", "device", "."],
        exit: OK,
        short: &[
            "settings.json:7:5: warning[unsupported]: `/Payload/AllowStandardUserOSUpdates` is n/a on iOS (help: iOS devices do not use it; remove it, or keep it for macOS)",
            "settings.json:9:5: warning[unsupported]: `/Payload/Deferrals` requires supervision on iOS (help: iOS devices with device enrollment do not apply it; the rest still applies)",
            "settings.json:10:7: warning[unsupported]: `/Payload/Deferrals/MajorPeriodInDays` is n/a on iOS (help: iOS devices do not use it; remove it, or keep it for macOS)",
            "settings.json:14:7: warning[unsupported]: `/Payload/Beta/ProgramEnrollment` requires supervision on iOS (help: iOS devices with device enrollment do not apply it; the rest still applies)",
            "linted 2 files: 4 warnings",
        ],
        ..FIXTURE
    };
    applicability_macos_15_2 => Case {
        dir: "applicability",
        args: &["--platform", "macOS", "--os", "15.2", "."],
        exit: OK,
        short: &[
            "settings.json:8:5: warning[unsupported]: `/Payload/RecommendedCadence` is n/a on macOS (help: macOS devices do not use it; remove it, or keep it for iOS, visionOS)",
            "settings.json:11:7: warning[unsupported]: `/Payload/Deferrals/CombinedPeriodInDays` is n/a on macOS (help: macOS devices do not use it; remove it, or keep it for iOS, tvOS, visionOS)",
            "settings.json:13:5: warning[unsupported]: `/Payload/Beta` is introduced in macOS 15.4, after macOS 15.2 (help: devices on macOS 15.2 do not apply it)",
            "linted 2 files: 3 warnings",
        ],
        ..FIXTURE
    };
    applicability_tvos_18_0 => Case {
        dir: "applicability",
        args: &["--platform", "tvOS", "--os", "18.0", "."],
        exit: POLICY,
        short: &[
            "enforcement.json:2:11: error[unsupported]: `softwareupdate.enforcement.specific` is introduced in tvOS 18.4, after tvOS 18.0 (help: devices on tvOS 18.0 cannot apply it)",
            "settings.json:2:11: error[unsupported]: `softwareupdate.settings` is introduced in tvOS 18.4, after tvOS 18.0 (help: devices on tvOS 18.0 cannot apply it)",
            "error: linted 2 files: 2 errors",
        ],
        ..FIXTURE
    };
    applicability_macos_user_enrollment => Case {
        dir: "applicability",
        args: &["--platform", "macOS", "--enrollment", "user", "."],
        exit: POLICY,
        short: &[
            "enforcement.json:2:11: error[unsupported]: `softwareupdate.enforcement.specific` requires supervision on macOS (help: macOS devices with user enrollment reject it)",
            "settings.json:2:11: error[unsupported]: `softwareupdate.settings` requires supervision on macOS (help: macOS devices with user enrollment reject it)",
            "error: linted 2 files: 2 errors",
        ],
        ..FIXTURE
    };
    signed_profile => Case {
        dir: "signed_profile",
        args: &["signed.mobileconfig"],
        exit: OK,
        short: &[
            "signed.mobileconfig:1:1: warning[unsupported]: signed profile: its body is not checked (help: lint the unsigned profile, or extract it on a Mac: `security cms -D -i signed.mobileconfig -o unsigned.mobileconfig`)",
            "linted 1 file: 1 warning",
        ],
        ..FIXTURE
    };
    removed_restriction => Case {
        dir: "removed_restriction",
        args: &["."],
        exit: OK,
        short: &[
            "restrictions.mobileconfig:16:9: warning[unsupported]: `/PayloadContent/0/allowRapidSecurityResponseInstallation` is removed in macOS 27.0 and iOS 27.0 (help: use `RapidSecurityResponse.Enable` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_install`))",
            "restrictions.mobileconfig:18:9: warning[unsupported]: `/PayloadContent/0/allowRapidSecurityResponseRemoval` is removed in macOS 27.0 and iOS 27.0 (help: use `RapidSecurityResponse.EnableRollback` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_removal`))",
            "restrictions.mobileconfig:20:9: warning[unsupported]: `/PayloadContent/0/forceDelayedSoftwareUpdates` is deprecated in macOS 26.0, iOS 26.0 and tvOS 26.0 and removed in macOS 27.0, iOS 27.0 and tvOS 27.0 (help: use `Deferrals` in a `softwareupdate.settings` declaration (ddmc: `software_updates.deferrals`))",
            "restrictions.mobileconfig:22:9: warning[unsupported]: `/PayloadContent/0/enforcedSoftwareUpdateDelay` is deprecated in macOS 26.0, iOS 26.0 and tvOS 26.0 and removed in macOS 27.0, iOS 27.0 and tvOS 27.0 (help: use `Deferrals` in a `softwareupdate.settings` declaration (ddmc: `software_updates.deferrals`))",
            "softwareupdate.mobileconfig:9:4: warning[unsupported]: `com.apple.SoftwareUpdate` is deprecated in macOS 26.0 and removed in macOS 27.0 (help: use a `softwareupdate.settings` declaration (`AutomaticActions`, `Beta`, `Deferrals`) instead)",
            "linted 2 files: 5 warnings",
        ],
        ..FIXTURE
    };
    removed_restriction_macos_27 => Case {
        dir: "removed_restriction",
        args: &["--platform", "macOS", "--os", "27.0", "."],
        exit: POLICY,
        short: &[
            "restrictions.mobileconfig:16:9: error[unsupported]: `/PayloadContent/0/allowRapidSecurityResponseInstallation` is removed in macOS 27.0 (help: use `RapidSecurityResponse.Enable` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_install`))",
            "restrictions.mobileconfig:18:9: error[unsupported]: `/PayloadContent/0/allowRapidSecurityResponseRemoval` is removed in macOS 27.0 (help: use `RapidSecurityResponse.EnableRollback` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_removal`))",
            "restrictions.mobileconfig:20:9: error[unsupported]: `/PayloadContent/0/forceDelayedSoftwareUpdates` is deprecated in macOS 26.0 and removed in macOS 27.0 (help: use `Deferrals` in a `softwareupdate.settings` declaration (ddmc: `software_updates.deferrals`))",
            "restrictions.mobileconfig:22:9: error[unsupported]: `/PayloadContent/0/enforcedSoftwareUpdateDelay` is deprecated in macOS 26.0 and removed in macOS 27.0 (help: use `Deferrals` in a `softwareupdate.settings` declaration (ddmc: `software_updates.deferrals`))",
            "softwareupdate.mobileconfig:9:4: error[unsupported]: `com.apple.SoftwareUpdate` is deprecated in macOS 26.0 and removed in macOS 27.0 (help: use a `softwareupdate.settings` declaration (`AutomaticActions`, `Beta`, `Deferrals`) instead)",
            "error: linted 2 files: 5 errors",
        ],
        ..FIXTURE
    };
    invalid_json => Case {
        dir: "invalid_json",
        args: &["."],
        exit: POLICY,
        short: &[
            "duplicate-key.json:1:41: error[duplicate-key]: duplicate key `Type` (help: each key may appear only once in an object; remove one of them)",
            "missing-comma.json:3:3: error[syntax]: expected `,` or `}` (help: fix the JSON syntax)",
            "trailing-comma.json:6:26: error[syntax]: trailing comma (help: remove this comma)",
            "error: linted 3 files: 3 errors",
        ],
        ..FIXTURE
    };
    bare_payload => Case {
        dir: "bare_payload",
        args: &["restrictions.plist"],
        exit: POLICY,
        short: &[
            "restrictions.plist:2:10: warning[unsupported]: `/allowRapidSecurityResponseInstallation` is removed in macOS 27.0 and iOS 27.0 (help: use `RapidSecurityResponse.Enable` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_install`))",
            "restrictions.plist:5:5: error[wrong-type]: `/allowCamera` must be `true` or `false`, found a string (help: write `<false/>`)",
            "restrictions.plist:11:5: error[invalid-value]: `2` is not a valid value for `/PayloadVersion` (help: did you mean `1`?)",
            "error: linted 1 file: 2 errors, 1 warning",
        ],
        ..FIXTURE
    };
    robustness => Case {
        dir: "robustness",
        args: &["."],
        exit: POLICY,
        short: &[
            "array.json:1:1: error[wrong-type]: a declaration is a JSON object, found an array (help: one declaration per file)",
            "binary.mobileconfig:1:1: error[wrong-type]: `/allowCamera` must be `true` or `false`, found a string (help: write `<true/>`)",
            "broken.mobileconfig:10:4: error[syntax]: unexpected element `<tru>` (help: a property list value is `<dict>`, `<array>`, `<string>`, `<integer>`, `<real>`, `<date>`, `<data>`, `<true/>` or `<false/>`)",
            "empty.json:1:1: error[syntax]: the file is empty (help: a declaration is a JSON object with `Type`, `Identifier`, `ServerToken` and `Payload`)",
            "empty.mobileconfig:1:1: error[syntax]: the file is empty (help: a profile is an XML property list starting with `<?xml`)",
            "garbage.mobileconfig:1:1: error[syntax]: not a property list (help: profiles are XML property lists; is this the right file?)",
            "latin1.json:1:14: error[syntax]: `latin1.json` is not UTF-8 text (help: declarations are UTF-8 JSON; save it as UTF-8)",
            "list.mobileconfig:3:1: error[wrong-type]: a profile is a dictionary, found an array",
            "no-payload-type.mobileconfig:3:1: error[missing-key]: neither a profile nor a payload: no `PayloadContent` or `PayloadType` (help: a profile has `PayloadType` `Configuration` and its payloads in `PayloadContent`)",
            "error: linted 9 files: 9 errors",
        ],
        ..FIXTURE
    };
    enforcement_values => Case {
        dir: "enforcement_values",
        args: &["."],
        exit: POLICY,
        short: &[
            "bsi.json:6:24: error[invalid-format]: invalid `/Payload/TargetOSVersion`: `(a)` is not part of an OS version, found `26.3.1 (a)`: a Background Security Improvement is named by its build version, such as `25D771280a` (help: write `26.3.1`)",
            "bsi.json:7:27: error[invalid-value]: `/Payload/TargetBuildVersion` is empty (help: remove `TargetBuildVersion`, or write the build, such as `25D771280a`)",
            "bsi.json:8:28: error[invalid-format]: invalid `/Payload/TargetLocalDateTime`: February 30 is not a date (February 2026 has 28 days) in `2026-02-30T18:00:00` (help: the last day of February 2026 is `2026-02-28T18:00:00`)",
            "bsi.json:9:19: error[invalid-format]: invalid `/Payload/DetailsURL`: `it.example.com/updates` is not a web address: it must start with `https://` (help: write `https://it.example.com/updates`)",
            "copied-example.json:7:27: warning[invalid-value]: `20A242` is not a build of 14.1 (help: use the build of the targeted version (the GDMF feed lists them), or remove `TargetBuildVersion`)",
            "copied-example.json:8:28: error[invalid-format]: invalid `/Payload/TargetLocalDateTime`: device local time takes no offset, found `Z` in `2023-09-01T10:00:00Z`: each device applies its own time zone (help: write `2023-09-01T10:00:00`)",
            "error: linted 2 files: 5 errors, 1 warning",
        ],
        ..FIXTURE
    };
    beta_rules => Case {
        dir: "beta_rules",
        args: &["."],
        exit: POLICY,
        short: &[
            "both.json:8:7: error[apple-rule]: `/Payload/Beta/OfferPrograms` and `RequireProgram` exclude each other (help: keep one of them)",
            "off.json:8:7: error[apple-rule]: `/Payload/Beta/OfferPrograms` needs `ProgramEnrollment` `Allowed` or `AlwaysOn`, not `AlwaysOff` (help: remove `OfferPrograms`, or allow enrollment)",
            "off.json:8:25: error[missing-key]: missing required key `Token` in `/Payload/Beta/OfferPrograms/0` (help: add `\"Token\": \"…\"`)",
            "require-allowed.json:7:7: error[apple-rule]: `/Payload/Beta/RequireProgram` needs `ProgramEnrollment` `AlwaysOn`, not `Allowed` (help: set `\"ProgramEnrollment\": \"AlwaysOn\"`)",
            "error: linted 3 files: 4 errors",
        ],
        ..FIXTURE
    };
    unknown_payload_type => Case {
        dir: "unknown_payload_type",
        args: &["."],
        exit: POLICY,
        short: &[
            "mixed.mobileconfig:9:4: note[unsupported]: payload type `com.apple.wifi.managed` is not checked",
            "mixed.mobileconfig:23:4: error[invalid-value]: unknown payload type `com.apple.softwareupdate` (help: did you mean `com.apple.SoftwareUpdate`?)",
            "mixed.mobileconfig:33:3: error[missing-key]: missing required key `PayloadIdentifier` in payload `/PayloadContent/2` (help: add `<key>PayloadIdentifier</key><string>…</string>`)",
            "mixed.mobileconfig:33:3: error[missing-key]: missing required key `PayloadUUID` in payload `/PayloadContent/2` (help: add `<key>PayloadUUID</key><string>…</string>`)",
            "mixed.mobileconfig:35:4: note[unsupported]: payload type `com.apple.dock` is not checked",
            "mixed.mobileconfig:37:4: error[wrong-type]: `/PayloadContent/2/PayloadVersion` must be a whole number, found a string (help: write `<integer>1</integer>`)",
            "error: linted 1 file: 4 errors",
        ],
        ..FIXTURE
    };
    duplicate_payload_ids => Case {
        dir: "duplicate_payload_ids",
        args: &["."],
        exit: POLICY,
        short: &[
            "restrictions.mobileconfig:18:9: error[duplicate-key]: duplicate key `allowCamera` in `/PayloadContent/0` (help: each key may appear only once in a dictionary; remove one of them)",
            "restrictions.mobileconfig:25:4: error[duplicate-id]: `/PayloadContent/1/PayloadIdentifier` repeats the PayloadIdentifier of `/PayloadContent/0` (help: make it unique, e.g. with a component naming the payload)",
            "restrictions.mobileconfig:27:4: error[duplicate-id]: `/PayloadContent/1/PayloadUUID` repeats the PayloadUUID of `/PayloadContent/0` (help: generate a new UUID (`uuidgen`))",
            "error: linted 1 file: 3 errors",
        ],
        ..FIXTURE
    };
    not_a_declaration => Case {
        dir: "not_a_declaration",
        args: &["."],
        exit: OK,
        short: &[
            "package.json:1:1: warning[missing-key]: not a declaration: no `Type`, `Identifier` or `Payload`; skipped (help: lint only declarations; other JSON files need not be named)",
            "linted 2 files: 1 warning",
        ],
        ..FIXTURE
    };
    sample_fleet_gitops_best_practice => Case {
        args: &["real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json:4:3: error[unknown-key]: unknown key `SeverToken` in the declaration (help: did you mean `ServerToken`?)",
            "real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json:7:27: warning[invalid-value]: `20A242` is not a build of 14.1 (help: use the build of the targeted version (the GDMF feed lists them), or remove `TargetBuildVersion`)",
            "error: linted 1 file: 2 errors, 1 warning",
        ],
        ..SAMPLE
    };
    sample_fleet_gitops => Case {
        args: &["real-world-ddm/fleetdm-fleet-gitops/lib/macos-os-updates.ddm.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet-gitops/lib/macos-os-updates.ddm.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet-gitops/lib/macos-os-updates.ddm.json:6:27: warning[invalid-value]: `20A242` is not a build of 14.1 (help: use the build of the targeted version (the GDMF feed lists them), or remove `TargetBuildVersion`)",
            "error: linted 1 file: 1 error, 1 warning",
        ],
        ..SAMPLE
    };
    sample_fleet_docs_defer_major_upgrades => Case {
        args: &["real-world-ddm/fleetdm-fleet/docs/solutions/macos/declaration-profiles/defer-major-upgrades.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet/docs/solutions/macos/declaration-profiles/defer-major-upgrades.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "error: linted 1 file: 1 error",
        ],
        ..SAMPLE
    };
    sample_fleet_docs_software_update => Case {
        args: &["real-world-ddm/fleetdm-fleet/docs/solutions/macos/declaration-profiles/software-update.json"],
        exit: OK,
        short: &[
            "linted 1 file: no problems",
        ],
        ..SAMPLE
    };
    sample_fleet_macos_ddm_swu => Case {
        args: &["real-world-ddm/fleetdm-fleet/it-and-security/lib/configuration-profiles/macos-ddm-swu.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/configuration-profiles/macos-ddm-swu.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/configuration-profiles/macos-ddm-swu.json:6:31: error[invalid-value]: `/Payload/TargetBuildVersion` is empty (help: remove `TargetBuildVersion` to install 14.6)",
            "error: linted 1 file: 2 errors",
        ],
        ..SAMPLE
    };
    sample_fleet_ios_settings => Case {
        args: &["real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json:12:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "error: linted 1 file: 2 errors",
        ],
        ..SAMPLE
    };
    sample_fleet_ipados_settings => Case {
        args: &["real-world-ddm/fleetdm-fleet/it-and-security/lib/ipados/declaration-profiles/Software Update settings.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ipados/declaration-profiles/Software Update settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ipados/declaration-profiles/Software Update settings.json:12:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "error: linted 1 file: 2 errors",
        ],
        ..SAMPLE
    };
    sample_fleet_macos_settings_spaces => Case {
        args: &["real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/Software Update settings.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/Software Update settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/Software Update settings.json:13:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "error: linted 1 file: 2 errors",
        ],
        ..SAMPLE
    };
    sample_fleet_macos_settings => Case {
        args: &["real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:13:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "error: linted 1 file: 2 errors",
        ],
        ..SAMPLE
    };
    sample_fleet_macos_settings_on_ios => Case {
        args: &["--platform", "iOS", "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:5:9: warning[unsupported]: `/Payload/AllowStandardUserOSUpdates` is n/a on iOS (help: iOS devices do not use it; remove it, or keep it for macOS)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:13:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "error: linted 1 file: 2 errors, 1 warning",
        ],
        ..SAMPLE
    };
    sample_kmfddm_enforcement => Case {
        args: &["real-world-ddm/jrennichjc-kmfddm/cmd/kmfddm/db/declaration.tom.software.enforcementi.15.0.json"],
        exit: OK,
        short: &[
            "linted 1 file: no problems",
        ],
        ..SAMPLE
    };
    sample_real_world_ddm_folder => Case {
        args: &["real-world-ddm"],
        exit: POLICY,
        short: &[
            "real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json:4:3: error[unknown-key]: unknown key `SeverToken` in the declaration (help: did you mean `ServerToken`?)",
            "real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json:7:27: warning[invalid-value]: `20A242` is not a build of 14.1 (help: use the build of the targeted version (the GDMF feed lists them), or remove `TargetBuildVersion`)",
            "real-world-ddm/fleetdm-fleet-gitops/lib/macos-os-updates.ddm.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet-gitops/lib/macos-os-updates.ddm.json:3:17: error[duplicate-id]: Identifier `B6965621-36DF-46F6-839D-0F6591C9CA57` is also declared in `real-world-ddm/fleetdm-fleet-gitops/best-practice/lib/macos-os-updates.ddm.json` (help: give each declaration its own Identifier: a device keeps one declaration per Identifier)",
            "real-world-ddm/fleetdm-fleet-gitops/lib/macos-os-updates.ddm.json:6:27: warning[invalid-value]: `20A242` is not a build of 14.1 (help: use the build of the targeted version (the GDMF feed lists them), or remove `TargetBuildVersion`)",
            "real-world-ddm/fleetdm-fleet/docs/solutions/macos/declaration-profiles/defer-major-upgrades.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/configuration-profiles/macos-ddm-swu.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/configuration-profiles/macos-ddm-swu.json:6:31: error[invalid-value]: `/Payload/TargetBuildVersion` is empty (help: remove `TargetBuildVersion` to install 14.6)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json:12:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ipados/declaration-profiles/Software Update settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ipados/declaration-profiles/Software Update settings.json:3:19: error[duplicate-id]: Identifier `com.fleetdm.config.softwareupdate.settings` is also declared in `real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json` (help: give each declaration its own Identifier: a device keeps one declaration per Identifier)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/ipados/declaration-profiles/Software Update settings.json:12:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/Software Update settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/Software Update settings.json:3:19: error[duplicate-id]: Identifier `com.fleetdm.config.softwareupdate.settings` is also declared in `real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json` (help: give each declaration its own Identifier: a device keeps one declaration per Identifier)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/Software Update settings.json:13:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:1:1: error[missing-key]: missing required key `ServerToken` in the declaration (help: add `\"ServerToken\": \"…\"`)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:3:19: error[duplicate-id]: Identifier `com.fleetdm.config.softwareupdate.settings` is also declared in `real-world-ddm/fleetdm-fleet/it-and-security/lib/ios/declaration-profiles/software-update-settings.json` (help: give each declaration its own Identifier: a device keeps one declaration per Identifier)",
            "real-world-ddm/fleetdm-fleet/it-and-security/lib/macos/declaration-profiles/software-update-settings.json:13:13: error[unknown-key]: unknown key `Enabled` in `/Payload/RapidSecurityResponse` (help: did you mean `Enable`?)",
            "error: linted 10 files: 18 errors, 2 warnings",
        ],
        ..SAMPLE
    };
    sample_rtrouton_disable_check => Case {
        args: &["legacy-mobileconfig/rtrouton-profiles/DisableAutomatedCheckforAppleSoftwareUpdates/DisableAutomatedCheckforAppleSoftwareUpdates.mobileconfig"],
        exit: OK,
        short: &[
            "legacy-mobileconfig/rtrouton-profiles/DisableAutomatedCheckforAppleSoftwareUpdates/DisableAutomatedCheckforAppleSoftwareUpdates.mobileconfig:29:4: note[unsupported]: payload type `com.apple.ManagedClient.preferences` is not checked",
            "linted 1 file: no problems",
        ],
        ..SAMPLE
    };
    sample_rtrouton_disable_download => Case {
        args: &["legacy-mobileconfig/rtrouton-profiles/DisableAutomaticDownloadofAppleSoftwareUpdates/DisableAutomaticDownloadofAppleSoftwareUpdates.mobileconfig"],
        exit: OK,
        short: &[
            "legacy-mobileconfig/rtrouton-profiles/DisableAutomaticDownloadofAppleSoftwareUpdates/DisableAutomaticDownloadofAppleSoftwareUpdates.mobileconfig:29:4: note[unsupported]: payload type `com.apple.ManagedClient.preferences` is not checked",
            "linted 1 file: no problems",
        ],
        ..SAMPLE
    };
    sample_rtrouton_enable_automatic => Case {
        args: &["legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig"],
        exit: OK,
        short: &[
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:19:10: warning[unknown-key]: unknown key `PayloadEnabled` in the profile (help: remove it)",
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:31:9: warning[unsupported]: `com.apple.SoftwareUpdate` is deprecated in macOS 26.0 and removed in macOS 27.0 (help: use a `softwareupdate.settings` declaration (`AutomaticActions`, `Beta`, `Deferrals`) instead)",
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:42:14: warning[unknown-key]: unknown key `PayloadEnabled` in payload `/PayloadContent/0` (help: remove it)",
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:58:14: warning[unsupported]: `/PayloadContent/0/CatalogURL` is deprecated in macOS 11.0 and removed in macOS 27.0 (help: plan its replacement before devices reach that version)",
            "linted 1 file: 4 warnings",
        ],
        ..SAMPLE
    };
    sample_vmware_ios16_restrictions => Case {
        args: &["legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml"],
        exit: OK,
        short: &[
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml:2:10: warning[unsupported]: `/allowRapidSecurityResponseInstallation` is removed in macOS 27.0 and iOS 27.0 (help: use `RapidSecurityResponse.Enable` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_install`))",
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml:4:10: warning[unsupported]: `/allowRapidSecurityResponseRemoval` is removed in macOS 27.0 and iOS 27.0 (help: use `RapidSecurityResponse.EnableRollback` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_removal`))",
            "linted 1 file: 2 warnings",
        ],
        ..SAMPLE
    };
    sample_vmware_ios16_restrictions_unsupervised => Case {
        args: &["--platform", "iOS", "--os", "16.0", "--enrollment", "device", "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml"],
        exit: OK,
        short: &[
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml:2:10: warning[unsupported]: `/allowRapidSecurityResponseInstallation` is removed in iOS 27.0 (help: use `RapidSecurityResponse.Enable` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_install`))",
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml:2:10: warning[unsupported]: `/allowRapidSecurityResponseInstallation` requires supervision on iOS (help: iOS devices with device enrollment do not apply it; the rest still applies)",
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml:4:10: warning[unsupported]: `/allowRapidSecurityResponseRemoval` is removed in iOS 27.0 (help: use `RapidSecurityResponse.EnableRollback` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_removal`))",
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml:4:10: warning[unsupported]: `/allowRapidSecurityResponseRemoval` requires supervision on iOS (help: iOS devices with device enrollment do not apply it; the rest still applies)",
            "linted 1 file: 4 warnings",
        ],
        ..SAMPLE
    };
    sample_vmware_macos13_restrictions => Case {
        args: &["legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022/macOS13_Restrictions.payload-dict.xml"],
        exit: OK,
        short: &[
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022/macOS13_Restrictions.payload-dict.xml:8:10: warning[unsupported]: `/allowRapidSecurityResponseInstallation` is removed in macOS 27.0 and iOS 27.0 (help: use `RapidSecurityResponse.Enable` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_install`))",
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022/macOS13_Restrictions.payload-dict.xml:10:10: warning[unsupported]: `/allowRapidSecurityResponseRemoval` is removed in macOS 27.0 and iOS 27.0 (help: use `RapidSecurityResponse.EnableRollback` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_removal`))",
            "linted 1 file: 2 warnings",
        ],
        ..SAMPLE
    };
    sample_vmware_macos13_restrictions_on_27 => Case {
        args: &["--platform", "macOS", "--os", "27.0", "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022/macOS13_Restrictions.payload-dict.xml"],
        exit: POLICY,
        short: &[
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022/macOS13_Restrictions.payload-dict.xml:8:10: error[unsupported]: `/allowRapidSecurityResponseInstallation` is removed in macOS 27.0 (help: use `RapidSecurityResponse.Enable` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_install`))",
            "legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022/macOS13_Restrictions.payload-dict.xml:10:10: error[unsupported]: `/allowRapidSecurityResponseRemoval` is removed in macOS 27.0 (help: use `RapidSecurityResponse.EnableRollback` in a `softwareupdate.settings` declaration (ddmc: `background_security_improvements.user_removal`))",
            "error: linted 1 file: 2 errors",
        ],
        ..SAMPLE
    };
    sample_legacy_mobileconfig_folder => Case {
        args: &["legacy-mobileconfig"],
        exit: OK,
        short: &[
            "legacy-mobileconfig/rtrouton-profiles/DisableAutomatedCheckforAppleSoftwareUpdates/DisableAutomatedCheckforAppleSoftwareUpdates.mobileconfig:29:4: note[unsupported]: payload type `com.apple.ManagedClient.preferences` is not checked",
            "legacy-mobileconfig/rtrouton-profiles/DisableAutomaticDownloadofAppleSoftwareUpdates/DisableAutomaticDownloadofAppleSoftwareUpdates.mobileconfig:29:4: note[unsupported]: payload type `com.apple.ManagedClient.preferences` is not checked",
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:19:10: warning[unknown-key]: unknown key `PayloadEnabled` in the profile (help: remove it)",
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:31:9: warning[unsupported]: `com.apple.SoftwareUpdate` is deprecated in macOS 26.0 and removed in macOS 27.0 (help: use a `softwareupdate.settings` declaration (`AutomaticActions`, `Beta`, `Deferrals`) instead)",
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:42:14: warning[unknown-key]: unknown key `PayloadEnabled` in payload `/PayloadContent/0` (help: remove it)",
            "legacy-mobileconfig/rtrouton-profiles/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates/EnableAutomaticDownloadandInstallationofAppleSoftwareUpdates.mobileconfig:58:14: warning[unsupported]: `/PayloadContent/0/CatalogURL` is deprecated in macOS 11.0 and removed in macOS 27.0 (help: plan its replacement before devices reach that version)",
            "note[unsupported]: 1 `.xml` file in `legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022` not linted (help: to lint one as a bare payload dictionary, name it: `ddmc lint legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/iOS/Fall-2022/iOS16_Restrictions.payload-dict.xml`)",
            "note[unsupported]: 1 `.xml` file in `legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022` not linted (help: to lint one as a bare payload dictionary, name it: `ddmc lint legacy-mobileconfig/vmware-euc-samples/UEM-Samples/Profiles/macOS/Fall-2022/macOS13_Restrictions.payload-dict.xml`)",
            "linted 3 files: 4 warnings",
        ],
        ..SAMPLE
    };
}

/// `--message-format json`: one object per diagnostic on stdout, in the order and at the
/// places of the short form; only the summary on stderr.
#[test]
fn json_message_format() {
    let run = ddmc(&fixtures().join("unknown_payload_key"), &["lint", ".", "--message-format", "json"]);
    assert_eq!(run.code, POLICY, "{}", run.stderr);
    assert_eq!(run.stderr, "error: linted 2 files: 3 errors\n");
    let diagnostics: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let places: Vec<(&str, &str, u64, u64, &str)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().expect("code"),
                d["location"]["file"].as_str().expect("file"),
                d["location"]["line"].as_u64().expect("line"),
                d["location"]["column"].as_u64().expect("column"),
                d["help"].as_str().expect("help"),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("unknown-key", "restrictions.mobileconfig", 16, 9, "did you mean `allowCamera`?"),
            ("unknown-key", "settings.json", 6, 5, "did you mean `Notifications`?"),
            ("unknown-key", "settings.json", 8, 7, "did you mean `Enable`?"),
        ]
    );
    assert_eq!(diagnostics[2]["message"], "unknown key `Enabled` in `/Payload/RapidSecurityResponse`");
    assert_eq!(diagnostics[2]["severity"], "error");
    assert_eq!(diagnostics[2]["location"]["end_column"], 16);
}

/// `--quiet` hides warnings (and keeps the exit code they call for: 0).
#[test]
fn quiet_hides_warnings() {
    let run = ddmc(&fixtures().join("removed_restriction"), &["lint", "--quiet", "--message-format", "short", "."]);
    assert_eq!((run.code, run.stderr.as_str()), (OK, "linted 2 files: 5 warnings\n"));
    let run =
        ddmc(&fixtures().join("bare_payload"), &["lint", "-q", "--message-format", "short", "restrictions.plist"]);
    assert_eq!(run.code, POLICY);
    assert!(!run.stderr.contains("warning["), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 3, "{}", run.stderr);
}

/// The strongest test: what `ddmc build` writes from this repository's own policies lints
/// without a single error, and its declarations without any diagnostic at all. (Its legacy
/// profiles are for RSR-era devices by design, so they get the removal warnings.)
#[test]
fn ddmc_own_output_is_clean() {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("out");
    let repo = env!("CARGO_MANIFEST_DIR");
    let built = ddmc(Path::new(repo), &["build", repo, "--out", target.to_str().expect("UTF-8 path")]);
    assert_eq!(built.code, OK, "{}", built.stderr);
    let run = ddmc(out.path(), &["lint", "out", "--message-format", "json"]);
    assert_eq!(run.code, OK, "{}\n{}", run.stdout, run.stderr);
    let declarations = fs::read_dir(target.join("declarations")).expect("declarations").count();
    assert!(declarations >= 10, "{declarations} declarations");
    for line in run.stdout.lines() {
        let d: Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(d["severity"], "warning", "{d}");
        assert_eq!(d["code"], "unsupported", "{d}");
        let file = d["location"]["file"].as_str().expect("file");
        assert!(file.starts_with("out/profiles/") && file.ends_with(".mobileconfig"), "{d}");
        assert!(d["message"].as_str().is_some_and(|m| m.contains("removed in")), "{d}");
    }
    assert!(run.stderr.starts_with("linted "), "{}", run.stderr);
    // The declarations alone, on each platform they are for, are clean too.
    let run = ddmc(out.path(), &["lint", "out/declarations", "--message-format", "short"]);
    assert_eq!((run.code, run.stderr.as_str()), (OK, format!("linted {declarations} files: no problems\n").as_str()));
}

#[test]
fn usage_errors() {
    let dir = fixtures().join("valid_declarations");
    for (args, message) in [
        (&["lint", "missing.json"][..], "error[usage]: cannot read `missing.json`: No such file or directory"),
        (&["lint", "--os", "15.2", "."][..], "the following required arguments were not provided"),
        (&["lint", "--enrollment", "device", "."][..], "the following required arguments were not provided"),
        (&["lint", "--platform", "windows", "."][..], "[possible values: macOS, iOS, iPadOS, tvOS, visionOS]"),
        (&["lint", "--platform", "macOS", "--os", "15", "."][..], "expected major.minor or major.minor.patch"),
        (&["lint", "--platform", "iOS", "--enrollment", "byod", "."][..], "invalid value 'byod'"),
        (&["lint"][..], "the following required arguments were not provided"),
    ] {
        let run = ddmc(&dir, args);
        assert_eq!(run.code, USAGE, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    // Apple's spelling in any case.
    assert_eq!(ddmc(&dir, &["lint", "--platform", "macos", "."]).code, OK);
}

#[test]
fn a_folder_without_declarations_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("notes.md"), "nothing to lint").expect("write");
    let run = ddmc(dir.path(), &["lint", "--message-format", "short", "."]);
    assert_eq!(run.code, POLICY, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error[no-policies]: no declarations or profiles in `.` (help: name the files, or a folder that holds them)\n\
         error: linted 0 files: 1 error\n"
    );
}

/// Hidden files are skipped; a file named twice (or with its folder) is linted once, so it
/// does not clash with itself as a duplicate Identifier.
#[test]
fn files_are_found_once() {
    let dir = fixtures().join("valid_declarations");
    let run = ddmc(&dir, &["lint", "--message-format", "short", ".", "settings.json", "./settings.json"]);
    assert_eq!((run.code, run.stderr.as_str()), (OK, "linted 4 files: no problems\n"));
}

/// A huge file is reported, not read.
#[test]
fn huge_files_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = fs::File::create(dir.path().join("huge.json")).expect("create");
    file.set_len(lint_max_bytes() + 1).expect("grow");
    let run = ddmc(dir.path(), &["lint", "--message-format", "short", "huge.json"]);
    assert_eq!(run.code, POLICY, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("huge.json:1:1: error[too-large]: `huge.json` is larger than 8 MiB (the limit)"),
        "{}",
        run.stderr
    );
}

/// A Fleet repository: Fleet computes ServerTokens itself (`--server-tokens optional`), and
/// its team folders may reuse an Identifier: duplicates count within one PATH only.
#[test]
fn sample_fleet_repository_with_optional_server_tokens() {
    let Some(dir) = samples() else { return };
    let lib = "real-world-ddm/fleetdm-fleet/it-and-security/lib";
    let (ios, ipados) = (format!("{lib}/ios"), format!("{lib}/ipados"));
    let short = ["--message-format", "short"];
    let separate = ddmc(&dir, &[&["lint", "--server-tokens", "optional", &ios, &ipados][..], &short].concat());
    assert!(!separate.stderr.contains("ServerToken"), "{}", separate.stderr);
    assert!(!separate.stderr.contains("duplicate-id"), "{}", separate.stderr);
    // The same files under one PATH: one device set, so the Identifier clashes.
    let together = ddmc(&dir, &[&["lint", "--server-tokens", "optional", lib][..], &short].concat());
    assert!(!together.stderr.contains("ServerToken"), "{}", together.stderr);
    assert!(
        together.stderr.contains(&format!(
            "{lib}/ipados/declaration-profiles/Software Update settings.json:3:19: error[duplicate-id]: Identifier \
             `com.fleetdm.config.softwareupdate.settings` is also declared in \
             `{lib}/ios/declaration-profiles/software-update-settings.json`"
        )),
        "{}",
        together.stderr
    );
    // By default a missing ServerToken is an error, as Apple's schema says.
    let strict = ddmc(&dir, &[&["lint", &ios][..], &short].concat());
    assert!(strict.stderr.contains("error[missing-key]: missing required key `ServerToken`"), "{}", strict.stderr);
    let bad = ddmc(&dir, &["lint", "--server-tokens", "sometimes", &ios]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

/// Two folder arguments are two scopes for Identifiers; files named on the command line are
/// one (a shell glob names many files of one repository).
#[test]
fn duplicate_identifiers_are_per_folder_argument() {
    let dir = tempfile::tempdir().expect("tempdir");
    let valid = fs::read(fixtures().join("valid_declarations/settings.json")).expect("fixture");
    for team in ["team-a", "team-b"] {
        fs::create_dir_all(dir.path().join(team)).expect("mkdir");
        fs::write(dir.path().join(team).join("settings.json"), &valid).expect("write");
    }
    let separate = ddmc(dir.path(), &["lint", "--message-format", "short", "team-a", "team-b"]);
    assert_eq!((separate.code, separate.stderr.as_str()), (OK, "linted 2 files: no problems\n"));
    let named =
        ddmc(dir.path(), &["lint", "--message-format", "short", "team-a/settings.json", "team-b/settings.json"]);
    assert_eq!(named.code, POLICY, "{}", named.stderr);
    assert!(named.stderr.contains("error[duplicate-id]"), "{}", named.stderr);
}

/// `.xml` files in a folder are not linted, and the run says so once per folder.
#[test]
fn skipped_xml_files_are_noted_once_per_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let windows = dir.path().join("repo/windows");
    fs::create_dir_all(&windows).expect("mkdir");
    for name in ["a.xml", "b.xml"] {
        fs::write(windows.join(name), "<Replace><Item/></Replace>").expect("write");
    }
    let valid = fixtures().join("valid_declarations/settings.json");
    fs::copy(valid, dir.path().join("repo/settings.json")).expect("copy");
    let run = ddmc(dir.path(), &["lint", "--message-format", "short", "repo"]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "note[unsupported]: 2 `.xml` files in `repo/windows` not linted (help: to lint one as a bare payload \
         dictionary, name it: `ddmc lint repo/windows/a.xml`)\nlinted 1 file: no problems\n"
    );
}

/// XML 1.0 cannot carry control characters (but tab, LF and CR), written or as `&#…;`
/// references: an error at the character, with a help.
#[test]
fn control_characters_in_profiles_are_errors() {
    let valid = fs::read_to_string(fixtures().join("valid_profile/restrictions.mobileconfig")).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let (line, column) = valid
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("<string>").map(|c| (i + 1, c + "<string>".len() + 1)))
        .expect("a string");
    let raw = valid.replacen("<string>", "<string>\u{1}", 1);
    let reference = valid.replacen("<string>", "<string>&#1;", 1);
    fs::write(dir.path().join("raw.mobileconfig"), raw).expect("write");
    fs::write(dir.path().join("reference.mobileconfig"), reference).expect("write");
    let run = ddmc(dir.path(), &["lint", "--message-format", "short", "."]);
    assert_eq!(run.code, POLICY, "{}", run.stderr);
    for (file, what) in [("raw", ""), ("reference", " (as a character reference)")] {
        let expected = format!(
            "{file}.mobileconfig:{line}:{column}: error[control-character]: control character U+0001{what} in an XML \
             property list (help: remove the character; binary content belongs in a `<data>` element, base64-encoded)"
        );
        assert!(run.stderr.contains(&expected), "{expected}\n{}", run.stderr);
    }
}

/// Devices and FIFOs are never opened: `/dev/zero` never ends and a FIFO blocks until a
/// writer comes.
#[test]
fn devices_and_fifos_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    let mut args = vec!["lint", "--message-format", "short", "/dev/zero"];
    if made {
        args.push("pipe.json");
    }
    let run = ddmc(dir.path(), &args);
    assert_eq!(run.code, POLICY, "{}", run.stderr);
    assert!(
        run.stderr.contains("/dev/zero:1:1: error[not-a-file]: `/dev/zero` is a character device, not a regular file"),
        "{}",
        run.stderr
    );
    if made {
        assert!(
            run.stderr
                .contains("pipe.json:1:1: error[not-a-file]: `pipe.json` is a FIFO (named pipe), not a regular file"),
            "{}",
            run.stderr
        );
    }
}

/// A 200-byte binary plist whose arrays share their children expands to 2^40 values: it is
/// refused before anything is built.
#[test]
fn binary_plists_that_expand_are_refused() {
    let count: u8 = 40;
    let mut binary = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for i in 0..count {
        offsets.push(u8::try_from(binary.len()).expect("small"));
        if i + 1 < count {
            binary.extend([0xA2, i + 1, i + 1]);
        } else {
            binary.push(0xA0);
        }
    }
    let table = binary.len() as u64;
    binary.extend(offsets);
    binary.extend([0, 0, 0, 0, 0, 0, 1, 1]);
    binary.extend(u64::from(count).to_be_bytes());
    binary.extend(0u64.to_be_bytes());
    binary.extend(table.to_be_bytes());
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("bomb.mobileconfig"), &binary).expect("write");
    let run = ddmc(dir.path(), &["lint", "--message-format", "short", "bomb.mobileconfig"]);
    assert_eq!(run.code, POLICY, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "bomb.mobileconfig:1:1: error[too-large]: the file holds more than 1000000 values (the limit)"
        ),
        "{}",
        run.stderr
    );
}

fn lint_max_bytes() -> u64 {
    8 * 1024 * 1024
}

/// Lints `bytes` as a file named `name`, in-process.
fn lint_bytes(name: &str, bytes: &[u8], options: &Options) -> lint::Report {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    fs::write(&path, bytes).expect("write");
    lint::lint(&[path], options).expect("lints")
}

/// Every fixture file, for mutations.
fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in fs::read_dir(fixtures()).expect("fixtures").flatten() {
        for file in fs::read_dir(dir.path()).expect("fixture").flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            out.push((name, fs::read(file.path()).expect("read")));
        }
    }
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Binary garbage, whatever it is named, is reported, never a panic.
    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400), ext in "json|mobileconfig|plist|txt") {
        let report = lint_bytes(&format!("x.{ext}"), &bytes, &Options::default());
        prop_assert_eq!(report.files.len(), 1);
    }

    /// Real files, cut short or with junk inserted, on any platform: never a panic, and
    /// every diagnostic points inside its file.
    #[test]
    fn broken_fixtures_never_panic(
        pick in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        junk in prop::collection::vec(prop_oneof![Just(b'<'), Just(b'>'), Just(b'"'), Just(b'{'), Just(b'/'), any::<u8>()], 0..4),
        platform in prop::option::of(prop_oneof![Just("macOS"), Just("iOS"), Just("tvOS"), Just("visionOS")]),
    ) {
        let files = fixture_files();
        let (name, bytes) = &files[pick.index(files.len())];
        let at = cut.index(bytes.len() + 1);
        let mut broken = bytes[..at].to_vec();
        broken.extend(&junk);
        broken.extend(&bytes[at..]);
        let options = Options {
            platform: platform.map(|p| ddmc::model::Platform::from_name(p).expect("platform")),
            os: Some(lint::parse_os("26.0").expect("os")),
            enrollment: Some(lint::Enrollment::Device),
            ..Options::default()
        };
        let report = lint_bytes(name, &broken, &options);
        for d in report.diagnostics.iter() {
            if let Some(location) = &d.location {
                let text = &report.files[0].text;
                prop_assert!(location.span.end.offset <= text.len().max(1), "{:?} beyond the text", location);
            }
        }
    }
}

/// `lint::lint_sources` (files given as bytes, for the fuzz targets) finds what `lint` finds
/// in the same files named on the command line.
#[test]
fn linting_bytes_is_linting_the_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    let names = ["wrong_type/enforcement.json", "wrong_type/restrictions.mobileconfig", "wrong_type/settings.json"];
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let bytes: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).expect("fixture")).collect();
    let sources: Vec<(&str, &[u8])> = names.iter().zip(&bytes).map(|(n, b)| (*n, b.as_slice())).collect();
    let shown = |report: &lint::Report| -> Vec<String> {
        report
            .diagnostics
            .iter_sorted()
            .iter()
            .map(|d| {
                let at = d.location.as_ref().map(|l| format!("{}:{}", l.span.start.line, l.span.start.column));
                format!("{:?} {:?} {at:?} {}", d.severity, d.code, d.message)
            })
            .collect()
    };
    let from_disk = lint::lint(&paths, &Options::default()).expect("lints");
    let from_bytes = lint::lint_sources(&sources, &Options::default());
    assert!(from_disk.diagnostics.has_errors());
    assert_eq!(shown(&from_bytes), shown(&from_disk));
}
