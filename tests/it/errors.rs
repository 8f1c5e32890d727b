//! Bad inputs, end to end: every case is a small policy repository in
//! `tests/fixtures/errors/<case>/` holding one mistake admins really make. For each case the
//! test copies the fixture to a temporary folder beside a previous ddmc output (`out/`), runs
//! the real binary, and checks
//!
//! - the exit code (1 policy errors, 2 usage errors);
//! - the whole `--message-format short` stderr, so every message, code and
//!   `file:line:column` is asserted exactly;
//! - that nothing was written: `out/` is byte-for-byte as it was and no other file appeared
//!   (no staging folder left behind either);
//! - the full human stderr, as an insta snapshot named after the case
//!   (`tests/it/snapshots/it__errors__<case>.snap`), which is what users see.
//!
//! New or changed snapshots: `INSTA_UPDATE=always cargo test --test it errors::`, then read them.
//! Cases marked `#[ignore]` expect what ddmc should say but does not yet; the reason names
//! the problem. Remove the `ignore` once it is fixed (and create the snapshot).

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A previous build, which an error must leave alone.
const PREVIOUS_MANIFEST: &str = "{\"generator\": \"ddmc\", \"declarations\": [\"old\"]}\n";
const PREVIOUS_DECLARATION: &str = "{\"Type\": \"com.apple.configuration.softwareupdate.settings\"}\n";

/// Stands for the temporary repository in arguments and in what ddmc prints.
const REPO: &str = "[REPO]";

/// Exit codes (see `src/cli/mod.rs`).
const OK: i32 = 0;
const POLICY: i32 = 1;
const USAGE: i32 = 2;

struct Case {
    /// The fixture folder, and the name of the snapshot.
    name: &'static str,
    /// Arguments after `ddmc`; `[REPO]` is replaced by the temporary copy of the fixture.
    args: &'static [&'static str],
    /// Environment of the run; everything else is cleared.
    env: &'static [(&'static str, &'static str)],
    exit: i32,
    /// The whole stderr with `--message-format short`, line by line, with the temporary
    /// folder shown as `[REPO]`. A line ending in `...` need only start with the rest.
    short: &'static [&'static str],
    /// Text the human stderr must also contain (notes, related places).
    human: &'static [&'static str],
    /// Text the human stderr must not contain.
    not_human: &'static [&'static str],
}

const BUILD: Case = Case {
    name: "",
    args: &["build", REPO],
    env: &[],
    exit: POLICY,
    short: &[],
    human: &[],
    not_human: &["panicked", "RUST_BACKTRACE"],
};

/// One `#[test]` per row, so that a row can be ignored on its own.
macro_rules! cases {
    ($($(#[$attr:meta])* $name:ident => $case:expr;)*) => {
        $(
            #[test]
            $(#[$attr])*
            fn $name() {
                run_case(&Case { name: stringify!($name), ..$case });
            }
        )*
    };
}

cases! {
    unknown_key_typo => Case {
        short: &[
            "policies/mac-baseline.yaml:5:3: error[unknown-key]: unknown key `automatic_instal` in `software_updates` \
             (help: did you mean `automatic_install`?)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    platform_lowercase => Case {
        short: &[
            "policies/mac-baseline.yaml:3:15: error[invalid-value]: `macos` is not a valid value for \
             `targets.platforms[0]` (help: did you mean `macOS`?)",
            "error: 1 error; nothing was written",
        ],
        human: &["expected one of `macOS`, `iOS`, `tvOS`, `visionOS`"],
        ..BUILD
    };
    platforms_not_a_list => Case {
        short: &[
            "policies/mac-baseline.yaml:3:14: error[wrong-type]: `targets.platforms` must be a list, found a string \
             (help: write a list: `[macOS]`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    deadline_with_space => Case {
        short: &[
            "policies/macos-26-3.yaml:6:15: error[invalid-format]: invalid `enforce[0].deadline`: expected \
             `yyyy-mm-ddThh:mm:ss`, found `2026-12-01 18:00` (help: write `2026-12-01T18:00:00`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    deadline_quoted_with_space => Case {
        short: &[
            "policies/macos-26-3.json:5:40: error[invalid-format]: invalid `enforce[0].deadline`: expected \
             `yyyy-mm-ddThh:mm:ss`, found `2026-12-01 18:00` (help: write `2026-12-01T18:00:00`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    deadline_with_offset => Case {
        short: &[
            "policies/macos-26-3.yaml:6:15: error[invalid-format]: invalid `enforce[0].deadline`: device local time \
             takes no offset, found `Z` in `2026-12-01T18:00:00Z`: each device applies its own time zone \
             (help: write `2026-12-01T18:00:00`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    deadline_impossible_date => Case {
        short: &[
            "policies/macos-26-3.yaml:6:15: error[invalid-format]: invalid `enforce[0].deadline`: February 30 is not \
             a date (February 2026 has 28 days) in `2026-02-30T18:00:00` (help: the last day of February 2026 is \
             `2026-02-28T18:00:00`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    deferral_out_of_range => Case {
        short: &[
            "policies/mac-deferrals.yaml:6:17: error[out-of-range]: `120` is out of range for \
             `software_updates.deferrals.major_days` (help: use a value from 1 to 90)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    os_version_unquoted => Case {
        short: &[
            "policies/macos-26-10.yaml:5:17: error[wrong-type]: `enforce[0].os_version` must be a string, found a \
             number (help: YAML reads `26.10` as a number; quote it: `\"26.10\"`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    os_version_major_only => Case {
        short: &[
            "policies/macos-26.yaml:5:17: error[wrong-type]: `enforce[0].os_version` must be a string, found a \
             number (help: YAML reads `26` as a number; quote it: `\"26.0\"`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    os_version_bsi_letter_quoted => Case {
        short: &[
            "policies/bsi-26-3-1-a.yaml:5:17: error[invalid-format]: invalid `enforce[0].os_version`: `(a)` is not \
             part of an OS version, found `26.3.1 (a)`: a Background Security Improvement is named by its build \
             version, such as `25D771280a` (help: write `26.3.1`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    build_version_is_os_version => Case {
        short: &[
            "policies/bsi-26-3-1-a.yaml:6:20: error[invalid-format]: invalid `enforce[0].build_version`: `26.3.1` is \
             an OS version; expected a build version such as `25D771280a` (help: on a Mac, `sw_vers -buildVersion` \
             prints the build version)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    notifications_yes => Case {
        short: &[
            "policies/notify.yaml:5:18: error[wrong-type]: `software_updates.notifications` must be `true` or \
             `false`, found a string (help: write `true`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    missing_targets => Case {
        short: &[
            "policies/mac-baseline.yaml:1:1: error[missing-key]: missing required key `targets` in the policy \
             (help: add `targets: {platforms: [macOS]}`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    empty_section => Case {
        short: &[
            "policies/mac-baseline.yaml:4:17: error[wrong-type]: `software_updates` must be a mapping, found null \
             (help: the section is empty: add settings under it or remove it)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    bad_policy_id => Case {
        short: &[
            "policies/mac-baseline.yaml:1:5: error[invalid-value]: `Mac_Baseline` is not a valid policy id \
             (help: write `mac-baseline`)",
            "error: 1 error; nothing was written",
        ],
        human: &["expected 2 to 48 lower-case letters, digits and `-`"],
        ..BUILD
    };
    reserved_id => Case {
        short: &[
            "policies/status.yaml:1:5: error[reserved-id]: policy id `status-subscriptions` is reserved \
             (help: rename it, e.g. `status-subscriptions-policy`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    group_with_space => Case {
        short: &[
            "policies/mac-baseline.yaml:4:17: error[invalid-value]: `Engineering Macs` is not a valid group name \
             (help: write `engineering-macs`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    duplicate_id_two_files => Case {
        short: &[
            "policies/macos/baseline.yaml:1:5: error[duplicate-id]: policy id `baseline` is also used by \
             `policies/ios/baseline.yaml` (help: give each policy its own id)",
            "error: 1 error; nothing was written",
        ],
        human: &[
            " --> policies/macos/baseline.yaml:1:5",
            " ::: policies/ios/baseline.yaml:2:5",
            "second use of this id",
            "first used here",
        ],
        ..BUILD
    };
    duplicate_key_yaml => Case {
        short: &[
            "policies/mac-baseline.yaml:7:3: error[duplicate-key]: duplicate key `automatic_download` \
             (help: each key may appear only once in a mapping; remove one of them)",
            "error: 1 error; nothing was written",
        ],
        human: &[" ::: policies/mac-baseline.yaml:5:3", "first defined here"],
        ..BUILD
    };
    alias_and_canonical_both => Case {
        short: &[
            "policies/mac-bsi.yaml:4:1: error[duplicate-key]: `rapid_security_responses` and \
             `background_security_improvements` are the same section (help: merge them under \
             `background_security_improvements`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    yaml_tab_indent => Case {
        short: &[
            "policies/mac-baseline.yaml:5:1: error[syntax]: tabs disallowed within this context (block \
             indentation) (help: indent with spaces; YAML does not allow tabs here)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    yaml_unclosed_quote => Case {
        short: &[
            "policies/mac-baseline.yaml:2:14: error[syntax]: invalid indentation in quoted scalar \
             (help: check for a missing closing quote)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    json_trailing_comma => Case {
        short: &["policies/mac-baseline.json:4:27: error[syntax]: trailing comma...", "error: 1 error; nothing was written"],
        ..BUILD
    };
    json_missing_comma => Case {
        short: &["policies/mac-baseline.json:3:3: error[syntax]: expected `,` or `}`", "error: 1 error; nothing was written"],
        ..BUILD
    };
    empty_policy_file => Case {
        short: &[
            "policies/ios.yaml:1:1: error[syntax]: the file is empty; expected a policy mapping...",
            "error: 1 error; nothing was written",
        ],
        human: &["id: "],
        not_human: &["name: my-policy"],
        ..BUILD
    };
    non_utf8_policy => Case {
        short: &[
            "policies/ios.yaml:1:1: error[syntax]: `policies/ios.yaml` is not UTF-8 text (help: save it as UTF-8)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    enforce_without_platform => Case {
        short: &[
            "policies/fleet-26-3.yaml:8:5: error[enforce-platform]: `enforce[1]` needs `platform`: the policy targets \
             macOS and iOS (help: add `platform: macOS`)",
            "error: 1 error; nothing was written",
        ],
        human: &["which platform is this update for?"],
        ..BUILD
    };
    enforce_platform_not_targeted => Case {
        short: &[
            "policies/ios-26-3.yaml:5:15: error[enforce-platform]: `enforce[0]` is for iOS, which the policy does \
             not target (help: add iOS to `targets.platforms`, or change this platform)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    supplemental_without_build => Case {
        short: &[
            "policies/bsi.yaml:6:19: error[invalid-value]: `supplemental: true` needs `build_version` \
             (help: add the BSI build, e.g. `build_version: \"25D771280a\"`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    control_char_in_description => Case {
        short: &[
            "policies/mac-baseline.json:3:28: error[invalid-value]: `description` contains the control character \
             U+0007 (help: remove the character)",
            "error: 1 error; nothing was written",
        ],
        human: &["profiles are XML"],
        ..BUILD
    };
    control_char_in_organization => Case {
        short: &[
            "ddmc.yaml:2:18: error[invalid-value]: `organization.name` contains the control character U+001B \
             (help: remove the character)",
            "policies/mac-baseline.yaml:5:3: note[unsupported]: the legacy Mac profile uses `com.apple.SoftwareUpdate`",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    json_comment => Case {
        short: &[
            "policies/mac-baseline.json:2:3: error[syntax]: JSON has no comments (help: remove the comment, or write \
             the policy in YAML (`.yaml`), where `#` starts a comment)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    details_url_http => Case {
        short: &[
            "policies/macos-26-3.yaml:7:18: error[invalid-format]: invalid `enforce[0].details_url`: \
             `http://it.example.com/updates` is not secure: it must start with `https://` \
             (help: write `https://it.example.com/updates`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    deferral_float => Case {
        short: &[
            "policies/mac-baseline.yaml:6:17: error[wrong-type]: `software_updates.deferrals.major_days` must be a \
             whole number such as 30, found `30.0` (help: write `30`)",
            "error: 1 error; nothing was written",
        ],
        not_human: &["internal", "panicked"],
        ..BUILD
    };
    policy_is_a_list => Case {
        short: &[
            "policies/mac-baseline.yaml:1:1: error[wrong-type]: the policy must be a mapping, found a list (help: a \
             policy is one mapping, such as `id: my-policy` with `targets: {platforms: [macOS]}`)",
            "error: 1 error; nothing was written",
        ],
        not_human: &["``"],
        ..BUILD
    };
    platform_ipados => Case {
        short: &[
            "policies/ipad-baseline.yaml:3:15: error[invalid-value]: `iPadOS` is not a valid value for \
             `targets.platforms[0]` (help: did you mean `iOS`? (iPadOS is iOS: `iOS` targets iPhone and iPad))",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    build_version_wrong_train => Case {
        short: &[
            "policies/macos-build-1.yaml:7:20: error[invalid-value]: `25D771280a` is a build of macOS 26.3, not of \
             macOS 26.4 (help: use the build Apple lists for macOS 26.4 (the GDMF feed), or remove `build_version`)",
            "policies/macos-build-2.yaml:7:20: error[invalid-value]: `21A344` is a build of macOS 12, iOS 17, tvOS 17 \
             or visionOS 1, not of macOS 26.3.1 (help: use the build Apple lists for macOS 26.3.1 (the GDMF feed), \
             or remove `build_version`)",
            "policies/macos-build-3.yaml:7:20: error[invalid-value]: `23D771330a` is a build of macOS 14, iOS 26.3, \
             tvOS 26 or visionOS 26, not of macOS 26.3.1 (help: use the build Apple lists for macOS 26.3.1 (the GDMF \
             feed), or remove `build_version`)",
            "error: 3 errors; nothing was written",
        ],
        human: &["macOS 26.4 builds start with `25E`", "the target is macOS 26.4"],
        ..BUILD
    };
    policy_produces_nothing => Case {
        short: &[
            "policies/ios-deferral.yaml:1:5: error[unsupported]: policy `ios-deferral` produces nothing for iOS \
             (help: target the platforms its settings exist on, or set what these platforms support)",
            "policies/ios-deferral.yaml:6:5: warning[unsupported]: `major_days` is not applied on iOS (help: nothing \
             is emitted for it on iOS; remove it, or split the policy per platform)",
            "error: 1 error, 1 warning; nothing was written",
        ],
        human: &["dropped: `major_days` is not applied on iOS"],
        ..BUILD
    };
    install_without_download => Case {
        args: &["check", REPO],
        exit: OK,
        short: &[
            "policies/mac-baseline.yaml:5:3: note[unsupported]: the legacy Mac profile uses `com.apple.SoftwareUpdate`",
            "policies/mac-baseline.yaml:7:3: warning[apple-rule]: `software_updates.automatic_install` and \
             `background_security_improvements.automatic_install` are `always_on` but automatic downloads are \
             `always_off` (help: set `automatic_download: always_on` (or `allowed`), or stop forcing automatic \
             installs)",
            "checked 1 policy: 1 warning",
        ],
        human: &["automatic install forced here", "The device uses this only with automatic downloads enabled."],
        ..BUILD
    };
    deadline_in_the_past => Case {
        args: &["check", REPO],
        exit: OK,
        short: &[
            "policies/macos-26-4.yaml:6:15: warning[past-deadline]: the deadline of `enforce[0]`, \
             2020-01-01T09:00:00, has passed (help: set a future deadline, or remove the entry once the fleet is \
             updated)",
            "checked 1 policy: 1 warning",
        ],
        human: &["now is 2026-06-01T12:00:00 (this machine's local time; `--now` sets it)"],
        ..BUILD
    };
    details_url_without_scheme => Case {
        short: &[
            "policies/macos-26-3.yaml:7:18: error[invalid-format]: invalid `enforce[0].details_url`: \
             `it.example.com/updates` is not a web address: it must start with `https://` \
             (help: write `https://it.example.com/updates`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    beta_require_without_always_on => Case {
        short: &[
            "policies/mac-beta.yaml:7:5: error[apple-rule]: `require_program` needs `enrollment: always_on` \
             (help: add `enrollment: always_on` under `beta`)",
            "error: 1 error; nothing was written",
        ],
        human: &[
            "= note: Apple, Beta.RequireProgram: \"This key must only be present if the `ProgramEnrollment` key is \
             set to `AlwaysOn`.\"",
        ],
        ..BUILD
    };
    beta_offer_and_require => Case {
        short: &[
            "policies/mac-beta.yaml:7:5: error[apple-rule]: `offer_programs` and `require_program` cannot be used \
             together (help: keep `require_program` to enroll every device, or `offer_programs` to let users choose)",
            "error: 1 error; nothing was written",
        ],
        human: &[
            "= note: Apple, Beta.OfferPrograms: \"This key must not be present if the `RequireProgram` key is \
             present.\"",
        ],
        ..BUILD
    };
    beta_token_and_token_env => Case {
        short: &[
            "policies/mac-beta.yaml:8:7: error[invalid-value]: `software_updates.beta.require_program` sets both \
             `token` and `token_env` (help: keep `token_env`, so the secret stays out of git)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    token_env_unset => Case {
        short: &[
            "policies/mac-beta.yaml:9:18: error[token-env-unset]: environment variable `BETA_TOKEN` is not set \
             (help: set `BETA_TOKEN` to the beta program's seeding token where `ddmc build` runs)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    id_too_long => Case {
        short: &[
            "policies/long.yaml:1:5: error[identifier-too-long]: Identifier \
             `com.example.ddm.macos-security-baseline-for-engineering-laptops.activation` is 74 octets; Apple \
             allows at most 64 (help: shorten the policy id (or the prefix) by 10 octets)",
            "error: 1 error; nothing was written",
        ],
        human: &["policy id `macos-security-baseline-for-engineering-laptops` is 47 octets"],
        ..BUILD
    };
    project_unknown_key => Case {
        short: &[
            "ddmc.yaml:4:1: error[unknown-key]: unknown key `output_dir`...",
            "error: 1 error; nothing was written",
        ],
        human: &["did you mean `output`?"],
        not_human: &["in a policy"],
        ..BUILD
    };
    project_bad_prefix => Case {
        short: &[
            "ddmc.yaml:3:22: error[invalid-value]: `example` is not a valid identifier prefix",
            "error: 1 error; nothing was written",
        ],
        human: &["expected reverse-DNS such as `com.example.ddm`"],
        ..BUILD
    };
    project_bad_legacy_profiles => Case {
        short: &[
            "ddmc.yaml:3:18: error[invalid-value]: `sometimes` is not a valid value for `legacy_profiles`",
            "error: 1 error; nothing was written",
        ],
        human: &["expected one of `auto`, `never`"],
        ..BUILD
    };
    empty_policies_dir => Case {
        short: &[
            "error[no-policies]: no policy files in `[REPO]/policies` (help: add a policy file such as \
             `policies/mac-baseline.yaml`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    no_policies_dir => Case {
        short: &[
            "error[no-policies]: no policy files in `[REPO]/policies` (help: add a policy file such as \
             `policies/mac-baseline.yaml`)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    several_mistakes => Case {
        short: &[
            "ddmc.yaml:3:18: error[invalid-value]: `sometimes` is not a valid value for `legacy_profiles`",
            "policies/ios/cadence.yaml:6:3: warning[unsupported]: `standard_users_can_update` is not applied on iOS \
             (help: nothing is emitted for it on iOS; remove it, or split the policy per platform)",
            "policies/ios/fleet.yaml:6:20: error[out-of-range]: `0` is out of range for \
             `software_updates.deferrals.combined_days` (help: use a value from 1 to 90)",
            "policies/ios/fleet.yaml:7:3: error[unknown-key]: unknown key `automatic_dowload` in `software_updates` \
             (help: did you mean `automatic_download`?)",
            "policies/mac/baseline.json:6:33: error[out-of-range]: `120` is out of range for \
             `software_updates.deferrals.major_days` (help: use a value from 1 to 90)",
            "error: 4 errors, 1 warning; nothing was written",
        ],
        ..BUILD
    };
    out_not_ddmc_output => Case {
        args: &["build", REPO, "--out", "[REPO]/docs"],
        exit: USAGE,
        short: &[
            "error[usage]: `[REPO]/docs` exists and is not a ddmc output folder (it has no ddmc manifest.json); refusing to \
             replace it",
        ],
        ..BUILD
    };
    output_is_repo => Case {
        short: &[
            "ddmc.yaml:1:9: error[unsafe-output]: the output folder `.` contains the repository; replacing it would \
             delete the policies (help: write `output: out`, or pass `--out DIR` on the command line)",
            "error: 1 error; nothing was written",
        ],
        human: &["`output` must be a relative path inside the repository, outside `policies/`"],
        ..BUILD
    };
    output_outside_repo => Case {
        short: &[
            "ddmc.yaml:2:9: error[unsafe-output]: `output` leaves the repository with `..` (`../victim`) (help: write \
             `output: out`, or pass `--out DIR` on the command line)",
            "error: 1 error; nothing was written",
        ],
        ..BUILD
    };
    output_absolute => Case {
        args: &["check", REPO],
        short: &[
            "ddmc.yaml:2:9: error[unsafe-output]: `output` is an absolute path (`/var/lib/other-project`) (help: \
             write `output: out`, or pass `--out DIR` on the command line)",
            "error: 1 error",
        ],
        ..BUILD
    };
    out_is_policies => Case {
        args: &["build", REPO, "--out", "[REPO]/policies"],
        exit: USAGE,
        short: &["error[usage]: the output folder `[REPO]/policies` is the `policies/` folder; choose another `--out`"],
        ..BUILD
    };
    out_inside_policies => Case {
        args: &["build", REPO, "--out", "[REPO]/policies/generated"],
        exit: USAGE,
        short: &[
            "error[usage]: the output folder `[REPO]/policies/generated` is inside `policies/`, where its files would be read \
             as policies; choose another `--out`",
        ],
        ..BUILD
    };
    no_project_file => Case {
        args: &["check", REPO],
        exit: OK,
        short: &[
            "warning[default-prefix]: no `organization.identifier_prefix`: every Identifier starts with \
             `com.example.ddm` (help: add the two lines `organization:` and `  identifier_prefix: \
             com.your-domain.ddm` (your reverse-DNS name) to `ddmc.yaml`)",
            "checked 1 policy: 1 warning",
        ],
        human: &["Identifiers are forever: changing the prefix later replaces every declaration on every device"],
        ..BUILD
    };
    project_without_prefix => Case {
        args: &["check", REPO],
        exit: OK,
        short: &[
            "ddmc.yaml:1:1: warning[default-prefix]: no `organization.identifier_prefix`: every Identifier starts \
             with `com.example.ddm` (help: ...",
            "checked 1 policy: 1 warning",
        ],
        ..BUILD
    };
    nonexistent_repo => Case {
        args: &["build", "[REPO]/fleet-polcy"],
        exit: USAGE,
        short: &["error[usage]: `[REPO]/fleet-polcy` is not a folder"],
        ..BUILD
    };
    repo_is_a_policy_file => Case {
        args: &["build", "[REPO]/policies/mac-baseline.yaml"],
        exit: USAGE,
        short: &["error[usage]: `[REPO]/policies/mac-baseline.yaml` is not a folder"],
        ..BUILD
    };
    repo_is_the_policies_folder => Case {
        args: &["build", "[REPO]/policies"],
        short: &["error[no-policies]: ...", "error: 1 error; nothing was written"],
        human: &["[REPO]"],
        not_human: &["add a policy file such as"],
        ..BUILD
    };
}

fn run_case(case: &Case) {
    let short = run(case, &["--message-format", "short"]);
    assert_eq!(short.code, case.exit, "{}: exit code; stderr:\n{}", case.name, short.stderr);
    let lines: Vec<&str> = short.stderr.lines().collect();
    assert_eq!(lines.len(), case.short.len(), "{}: number of lines in\n{}", case.name, short.stderr);
    for (line, expected) in lines.iter().zip(case.short) {
        match expected.strip_suffix("...") {
            Some(start) => assert!(line.starts_with(start), "{}:\n  expected {start}...\n  found    {line}", case.name),
            None => assert_eq!(line, expected, "{}", case.name),
        }
    }
    assert!(short.stdout.is_empty(), "{}: stdout: {}", case.name, short.stdout);

    let human = run(case, &[]);
    assert_eq!(human.code, case.exit, "{}: exit code; stderr:\n{}", case.name, human.stderr);
    for text in case.human {
        assert!(human.stderr.contains(text), "{}: expected {text:?} in\n{}", case.name, human.stderr);
    }
    for text in case.not_human.iter().chain(BUILD.not_human) {
        assert!(!human.stderr.contains(text), "{}: unexpected {text:?} in\n{}", case.name, human.stderr);
    }
    // Every located diagnostic of the short form is in the human form at the same place.
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
    insta::with_settings!({ description => format!("ddmc {}", case.args.join(" ")), omit_expression => true }, {
        insta::assert_snapshot!(case.name, human.stderr);
    });
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `ddmc` on a fresh copy of the case's fixture and checks that it wrote nothing.
fn run(case: &Case, extra: &[&str]) -> Run {
    let repo = fixture(case.name);
    let before = tree(repo.path());
    let run = ddmc(&repo, case.args, extra, case.env);
    assert_eq!(tree(repo.path()), before, "{}: ddmc changed files; stderr:\n{}", case.name, run.stderr);
    run
}

/// A temporary copy of `tests/fixtures/errors/<name>/`, beside a previous output in `out/`.
fn fixture(name: &str) -> TempDir {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/errors").join(name);
    assert!(source.is_dir(), "no fixture {}", source.display());
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&source, dir.path());
    let out = dir.path().join("out");
    fs::create_dir_all(out.join("declarations")).expect("mkdir out");
    fs::write(out.join("manifest.json"), PREVIOUS_MANIFEST).expect("write manifest");
    fs::write(out.join("declarations/old.json"), PREVIOUS_DECLARATION).expect("write declaration");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file and folder below `root`, hidden ones included, with the files' bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let relative = path.strip_prefix(root).expect("below root").to_path_buf();
            if path.is_dir() {
                out.insert(relative, None);
                walk(root, &path, out);
            } else {
                out.insert(relative, Some(fs::read(&path).expect("read file")));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// `ddmc ARGS EXTRA` with only `env` in its environment (no stray `BETA_TOKEN`, no colours);
/// `[REPO]` in the output stands for the temporary folder.
fn ddmc(repo: &TempDir, args: &[&str], extra: &[&str], env: &[(&str, &str)]) -> Run {
    let root = repo.path().to_str().expect("UTF-8 temp path");
    // A fixed clock: deadline warnings must not depend on when the tests run.
    let args = args.iter().chain(extra).chain(&["--now", crate::common::NOW]).map(|a| a.replace(REPO, root));
    let output = Command::cargo_bin("ddmc")
        .expect("binary")
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("runs");
    let mut roots = vec![root.to_string()];
    if let Some(canonical) = repo.path().canonicalize().ok().and_then(|p| p.to_str().map(String::from)) {
        roots.push(canonical);
    }
    roots.sort_by_key(|r| std::cmp::Reverse(r.len()));
    let redact = |bytes: &[u8]| {
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 output");
        roots.iter().fold(text, |text, root| text.replace(root.as_str(), REPO))
    };
    Run {
        code: output.status.code().expect("exit code"),
        stdout: redact(&output.stdout),
        stderr: redact(&output.stderr),
    }
}

/// The other half of `token_env_unset`: `check` only warns, and does not write either.
#[test]
fn token_env_unset_is_only_a_warning_for_check() {
    let case = Case { name: "token_env_unset", args: &["check", REPO], exit: OK, ..BUILD };
    let run = run(&case, &["--message-format", "short"]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "policies/mac-beta.yaml:9:18: warning[token-env-unset]: environment variable `BETA_TOKEN` is not set \
         (help: `ddmc build` will fail unless `BETA_TOKEN` is set)\n\
         checked 1 policy: 1 warning\n"
    );
}

/// And with the variable set, the same repository builds: the error was the variable.
#[test]
fn token_env_set_builds() {
    let repo = fixture("token_env_unset");
    let run = ddmc(&repo, &["build", REPO], &[], &[("BETA_TOKEN", "seed-token-from-abm")]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    assert!(run.stderr.starts_with("built 1 policy into `[REPO]/out`"), "{}", run.stderr);
}

/// The control for "nothing was written": a valid repository does replace `out/`, so the
/// unchanged `out/` of the error cases means something.
#[test]
fn valid_control_replaces_the_previous_output() {
    let repo = fixture("valid_control");
    let run = ddmc(&repo, &["build", REPO], &[], &[]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    let out = repo.path().join("out");
    assert!(!out.join("declarations/old.json").exists(), "the previous output is replaced");
    assert_ne!(fs::read_to_string(out.join("manifest.json")).expect("manifest"), PREVIOUS_MANIFEST);
    let mut names: Vec<_> = fs::read_dir(repo.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    names.sort();
    assert_eq!(
        names,
        [".out.ddmc-index", ".out.ddmc-lock", ".out.ddmc-policies", ".out.ddmc-spare", "ddmc.yaml", "out", "policies"],
        "no temporary folders left"
    );
}

/// `--message-format json`: one JSON object per diagnostic on stdout, in the same order and
/// at the same places as the short form; only the summary on stderr.
#[test]
fn json_message_format() {
    let case = Case { name: "several_mistakes", ..BUILD };
    let run = run(&case, &["--message-format", "json"]);
    assert_eq!(run.code, POLICY, "{}", run.stderr);
    assert_eq!(run.stderr, "error: 4 errors, 1 warning; nothing was written\n");
    let diagnostics: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let places: Vec<(&str, &str, &str, u64, u64)> = diagnostics
        .iter()
        .map(|d| {
            let location = &d["location"];
            (
                d["severity"].as_str().expect("severity"),
                d["code"].as_str().expect("code"),
                location["file"].as_str().expect("location.file"),
                location["line"].as_u64().expect("location.line"),
                location["column"].as_u64().expect("location.column"),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("error", "invalid-value", "ddmc.yaml", 3, 18),
            ("warning", "unsupported", "policies/ios/cadence.yaml", 6, 3),
            ("error", "out-of-range", "policies/ios/fleet.yaml", 6, 20),
            ("error", "unknown-key", "policies/ios/fleet.yaml", 7, 3),
            ("error", "out-of-range", "policies/mac/baseline.json", 6, 33),
        ]
    );
    for d in &diagnostics {
        assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()), "{d}");
        assert!(d["location"]["end_line"].as_u64().is_some() && d["location"]["end_column"].as_u64().is_some(), "{d}");
    }
    assert_eq!(diagnostics[3]["help"], "did you mean `automatic_download`?");
    assert_eq!(
        diagnostics[1]["notes"][0],
        "Apple's schema: `AllowStandardUserOSUpdates` in `softwareupdate.settings` is n/a on iOS"
    );
}
