//! The decision: does a device meet one enforcement target, is it on its way, or is it
//! behind? Pure: the target and the device's status in, a [`Verdict`] out.
//!
//! Versions are compared as Apple ships them, never as text. A target without a patch
//! (`26.4`) is met by every patch of that minor (26.4, 26.4.1), so "at or past" is the test.
//! A Background Security Improvement is named only by its build (`25D771280a`): it is met by
//! a later OS, or by its base OS with a supplemental build at or past it. The device's `(a)`
//! letter is never compared with a build's suffix letter: real builds exist whose suffix
//! differs from their letter, so a device that reports a letter but no build is `unknown`.

use super::report::{DeviceStatus, InstallState, Pending};
use crate::model::{BuildVersion, DeviceVersion, Extra, LocalDateTime, OsVersion, Platform};
use std::fmt;

/// One enforcement target: an `enforce` entry, i.e. one declaration, or a BSI's two halves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub platform: Platform,
    /// `TargetOSVersion`; for a BSI, its base version.
    pub os_version: OsVersion,
    /// `TargetBuildVersion`: the supplemental build of a BSI, or an exact build.
    pub build: Option<BuildVersion>,
    /// A BSI: `build` is a supplemental build on top of `os_version`.
    pub supplemental: bool,
    /// `TargetLocalDateTime`, device local time.
    pub deadline: LocalDateTime,
    pub policy: String,
    /// The policy file, relative to the repository.
    pub source: String,
    /// Its declarations' Identifiers: `….enforcement.<n>`, and `….bsi.<n>` for a BSI.
    pub identifiers: Vec<String>,
    /// Whether any of its declarations reaches the device at the version it runs.
    pub reaches: bool,
    /// When nothing reaches the device because it is too old: the first version reached.
    pub reached_from: Option<OsVersion>,
}

impl Target {
    /// `26.4`, or `26.3.1 with build 25D771280a`.
    pub fn label(&self) -> String {
        match &self.build {
            Some(build) => format!("{} with build {build}", self.os_version),
            None => self.os_version.to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The device runs the target or later.
    Compliant,
    /// The device is installing an update that meets the target.
    Pending,
    /// Neither: it still has to update, or its update failed.
    Behind,
    /// What the device reports cannot settle it (a letter without a build, a beta build).
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::Pending => "pending",
            Status::Behind => "behind",
            Status::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    /// One line for people: "runs 26.3, needs 26.4 by 2026-12-15T20:00:00".
    pub reason: String,
    /// Whether the deadline is behind `--now`; `None` without a clock.
    pub deadline_passed: Option<bool>,
}

/// What a device runs (or will run, for a pending update), as far as it says.
#[derive(Clone, Copy, Debug)]
struct Running<'a> {
    os: OsVersion,
    extra: Option<Extra>,
    build: Option<&'a BuildVersion>,
    supplemental_build: Option<&'a BuildVersion>,
}

impl<'a> Running<'a> {
    fn current(device: &'a DeviceStatus) -> Self {
        Running {
            os: device.version.os,
            extra: device.version.extra,
            build: device.build.as_ref(),
            supplemental_build: device.supplemental_build.as_ref(),
        }
    }

    /// Apple's pending `build-version` includes any supplemental release: a supplemental
    /// build there is the BSI the device is installing.
    fn pending(pending: &'a Pending) -> Self {
        let supplemental = pending.build.as_ref().filter(|b| b.is_supplemental());
        Running {
            os: pending.version.os,
            extra: pending.version.extra,
            build: pending.build.as_ref().filter(|b| !b.is_supplemental()),
            supplemental_build: supplemental,
        }
    }

    /// The build that counts against a target's build: the supplemental one when there is
    /// one (devices without a BSI report their base build there too), else the base build.
    fn effective_build(&self, target: &Target) -> Option<&'a BuildVersion> {
        if target.supplemental { self.supplemental_build } else { self.supplemental_build.or(self.build) }
    }

    /// `26.3.1 (a)`, with the build when the target names one.
    fn describe(&self, target: &Target) -> String {
        let version = DeviceVersion { os: self.os, extra: self.extra };
        match (target.build.is_some() && self.os == target.os_version, self.effective_build(target)) {
            (true, Some(build)) => format!("{version} with build {build}"),
            _ => version.to_string(),
        }
    }
}

/// Whether a device running something meets a target.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Met {
    Yes,
    No,
    /// Cannot be told, and why.
    Unknown(String),
}

fn meets(target: &Target, running: &Running<'_>) -> Met {
    if running.os > target.os_version {
        return Met::Yes;
    }
    if running.os < target.os_version {
        return Met::No;
    }
    let build = running.effective_build(target);
    // A seed (beta) build carries the release's version before the release exists; its
    // build number (`5303` of `20A5303i`) does not order against release builds.
    if let Some(seed) = running.build.or(build).filter(|b| b.is_seed())
        && !target.build.as_ref().is_some_and(BuildVersion::is_seed)
    {
        return Met::Unknown(format!(
            "beta build {seed} of {}: a beta may predate the release it is numbered after",
            running.os
        ));
    }
    let Some(wanted) = &target.build else { return Met::Yes };
    match build {
        Some(build) if build >= wanted => Met::Yes,
        Some(_) => Met::No,
        None if target.supplemental && running.extra.is_some() => Met::Unknown(format!(
            "it reports {} but no supplemental build, and the letter says nothing about the build",
            DeviceVersion { os: running.os, extra: running.extra }
        )),
        // Without a letter or a supplemental build there is no BSI to speak of.
        None if target.supplemental => Met::No,
        None => Met::Unknown("it reports no build version".to_string()),
    }
}

/// The verdict for one target on one device; `now` is the device-local time to compare
/// deadlines with, when the caller has a clock.
pub fn evaluate(target: &Target, device: &DeviceStatus, now: Option<LocalDateTime>) -> Verdict {
    let current = Running::current(device);
    let deadline_passed = now.map(|now| now > target.deadline);
    let by = format!(" by {}", target.deadline);
    let label = target.label();
    let runs = current.describe(target);
    let verdict = |status, reason: String| Verdict { status, reason, deadline_passed };
    let not_reached = not_reached(target, &current);

    let unknown_why = match meets(target, &current) {
        Met::Yes => {
            let reason = if current.os > target.os_version {
                format!("runs {runs}, later than {label}")
            } else {
                format!("runs {runs}")
            };
            return verdict(Status::Compliant, reason);
        }
        Met::Unknown(why) => Some(why),
        Met::No => None,
    };

    let update = device.update.as_ref();
    let pending = update.and_then(|u| u.pending.as_ref());
    let pending_meets = pending.is_some_and(|p| meets(target, &Running::pending(p)) == Met::Yes);
    let state = update.and_then(|u| u.install_state);
    let failure = update.and_then(|u| u.failure.as_ref()).filter(|f| f.count > 0);
    let failed = state == Some(InstallState::Failed) || failure.is_some();

    let mut details = Vec::new();
    if let (Some(pending), true) = (pending, pending_meets) {
        if !failed {
            let mut reason = format!(
                "runs {runs}; {pending} is {}, for {label}{by}",
                state.map_or("pending", |s| match s {
                    InstallState::None | InstallState::Failed => "pending",
                    other => other.as_str(),
                })
            );
            if let Some(id) = update.and_then(|u| u.install_reason.as_ref()).and_then(|r| r.declaration_id.as_ref()) {
                reason.push_str(&format!("; started by declaration `{id}`"));
            }
            if deadline_passed == Some(true) {
                reason.push_str("; the deadline has passed: the device installs it at once");
            }
            return verdict(Status::Pending, reason);
        }
        details.push(format!("installing {pending} failed{}", failure_text(update.and_then(|u| u.failure.as_ref()))));
    } else {
        if let Some(pending) = pending {
            details.push(format!("the pending update {pending} does not meet it"));
        }
        if failed {
            details.push(format!(
                "the last software update failed{}",
                failure_text(update.and_then(|u| u.failure.as_ref()))
            ));
        }
    }
    if let Some(note) = &not_reached {
        details.push(note.clone());
    } else if deadline_passed == Some(true) {
        details.push("the deadline has passed: the device installs it at once".to_string());
    }
    let (status, mut reason) = match unknown_why {
        Some(why) => (Status::Unknown, format!("runs {runs}, needs {label}{by}; cannot tell whether it does: {why}")),
        None => (Status::Behind, format!("runs {runs}, needs {label}{by}")),
    };
    for detail in details {
        reason.push_str("; ");
        reason.push_str(&detail);
    }
    verdict(status, reason)
}

/// A device older than the first version a declaration reaches never receives it (macOS 13
/// has no enforcement declarations): the deadline will not move it.
fn not_reached(target: &Target, current: &Running<'_>) -> Option<String> {
    if target.reaches {
        return None;
    }
    let from = target.reached_from?;
    Some(format!(
        "its declaration does not reach {} {}, only {from} and later: update the device another way",
        target.platform, current.os
    ))
}

/// ` 2 times: Not enough free disk space (last at 2026-12-10T09:30:00Z)`.
fn failure_text(failure: Option<&super::report::Failure>) -> String {
    let Some(failure) = failure else { return String::new() };
    let mut text = match failure.count {
        0 => String::new(),
        1 => " once".to_string(),
        n => format!(" {n} times"),
    };
    if let Some(reason) = &failure.reason {
        text.push_str(&format!(": {reason}"));
    }
    if let Some(at) = &failure.timestamp {
        text.push_str(&format!(" (last at {at})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::report::{Failure, InstallReason, Source, UpdateState};

    fn build(s: &str) -> BuildVersion {
        s.parse().unwrap_or_else(|e: crate::model::version::VersionError| panic!("{s}: {e}"))
    }

    fn target(os: &str, build_version: Option<&str>, supplemental: bool) -> Target {
        Target {
            platform: Platform::MacOS,
            os_version: os.parse().unwrap_or_else(|e| panic!("{os}: {e}")),
            build: build_version.map(build),
            supplemental,
            deadline: "2026-12-15T20:00:00".parse().expect("a deadline"),
            policy: "p".into(),
            source: "policies/p.yaml".into(),
            identifiers: vec!["com.example.p.enforcement.1".into()],
            reaches: true,
            reached_from: None,
        }
    }

    /// `version` in the human form (`26.3.1 (a)`), the supplemental build, and the
    /// software-update state.
    fn device(version: &str, supplemental: Option<&str>, update: Option<UpdateState>) -> DeviceStatus {
        DeviceStatus {
            source: Source::StatusReport,
            platform: Some(Platform::MacOS),
            platform_from: None,
            version: version.parse().unwrap_or_else(|e| panic!("{version}: {e}")),
            build: None,
            supplemental_build: supplemental.map(build),
            update,
            declarations: Vec::new(),
            item_errors: Vec::new(),
            full_report: true,
        }
    }

    fn pending(os: &str, build_version: &str, state: InstallState, failures: u64) -> Option<UpdateState> {
        Some(UpdateState {
            pending: Some(Pending {
                version: os.parse().unwrap_or_else(|e| panic!("{e}")),
                build: Some(build(build_version)),
            }),
            install_state: Some(state),
            failure: Some(Failure {
                count: failures,
                reason: (failures > 0).then(|| "Not enough free disk space".to_string()),
                timestamp: (failures > 0).then(|| "2026-12-10T09:30:00Z".to_string()),
            }),
            install_reason: Some(InstallReason { reasons: vec!["declaration".into()], declaration_id: None }),
        })
    }

    #[test]
    fn verdicts() {
        let minor = target("26.4", None, false);
        let bsi = target("26.3.1", Some("25D771280a"), true);
        let exact = target("26.4", Some("25E246"), false);
        let cases: Vec<(&str, &Target, DeviceStatus, Status, &str)> = vec![
            ("at the minor", &minor, device("26.4", None, None), Status::Compliant, "runs 26.4"),
            (
                "a patch meets a patchless target",
                &minor,
                device("26.4.1", None, None),
                Status::Compliant,
                "runs 26.4.1, later than 26.4",
            ),
            ("the next major", &minor, device("27.0", None, None), Status::Compliant, "runs 27.0, later than 26.4"),
            (
                "a BSI of an older minor",
                &minor,
                device("26.3.1 (a)", Some("25D771280a"), None),
                Status::Behind,
                "runs 26.3.1 (a), needs 26.4 by 2026-12-15T20:00:00",
            ),
            (
                "behind",
                &minor,
                device("26.3", None, None),
                Status::Behind,
                "runs 26.3, needs 26.4 by 2026-12-15T20:00:00",
            ),
            (
                "BSI installed",
                &bsi,
                device("26.3.1 (a)", Some("25D771280a"), None),
                Status::Compliant,
                "runs 26.3.1 (a) with build 25D771280a",
            ),
            (
                "a later BSI",
                &bsi,
                device("26.3.1 (b)", Some("25D771400b"), None),
                Status::Compliant,
                "runs 26.3.1 (b) with build 25D771400b",
            ),
            (
                "a later OS has every BSI of the base",
                &bsi,
                device("26.4", None, None),
                Status::Compliant,
                "runs 26.4, later than 26.3.1 with build 25D771280a",
            ),
            (
                "base build only",
                &bsi,
                device("26.3.1", Some("25D2128"), None),
                Status::Behind,
                "runs 26.3.1 with build 25D2128, needs 26.3.1 with build 25D771280a by 2026-12-15T20:00:00",
            ),
            (
                "no supplemental anything",
                &bsi,
                device("26.3.1", None, None),
                Status::Behind,
                "runs 26.3.1, needs 26.3.1 with build 25D771280a by 2026-12-15T20:00:00",
            ),
            (
                "an earlier BSI",
                &bsi,
                device("26.3.1 (a)", Some("25D771100a"), None),
                Status::Behind,
                "runs 26.3.1 (a) with build 25D771100a, needs",
            ),
            // The letter is never compared with the build's suffix.
            (
                "a letter without a build",
                &bsi,
                device("26.3.1 (a)", None, None),
                Status::Unknown,
                "cannot tell whether it does: it reports 26.3.1 (a) but no supplemental build",
            ),
            (
                "before the base",
                &bsi,
                device("26.3", None, None),
                Status::Behind,
                "runs 26.3, needs 26.3.1 with build 25D771280a by",
            ),
            (
                "an exact build met",
                &exact,
                device("26.4", Some("25E246"), None),
                Status::Compliant,
                "runs 26.4 with build 25E246",
            ),
            (
                "an exact build not yet",
                &exact,
                device("26.4", Some("25E241"), None),
                Status::Behind,
                "needs 26.4 with build 25E246",
            ),
            (
                "pending",
                &minor,
                device("26.3.1", None, pending("26.4", "25E246", InstallState::Downloading, 0)),
                Status::Pending,
                "runs 26.3.1; 26.4 (build 25E246) is downloading, for 26.4 by 2026-12-15T20:00:00",
            ),
            (
                "pending a later patch",
                &minor,
                device("26.3.1", None, pending("26.4.1", "25E253", InstallState::Prepared, 0)),
                Status::Pending,
                "26.4.1 (build 25E253) is prepared",
            ),
            (
                "pending the BSI",
                &bsi,
                device("26.3.1", Some("25D2128"), pending("26.3.1 (a)", "25D771280a", InstallState::Installing, 0)),
                Status::Pending,
                "26.3.1 (a) (build 25D771280a) is installing",
            ),
            (
                "pending too little",
                &minor,
                device("26.3", None, pending("26.3.2", "25D300", InstallState::Downloading, 0)),
                Status::Behind,
                "needs 26.4 by 2026-12-15T20:00:00; the pending update 26.3.2 (build 25D300) does not meet it",
            ),
            (
                "failed",
                &minor,
                device("26.3.1", None, pending("26.4", "25E246", InstallState::Failed, 2)),
                Status::Behind,
                "runs 26.3.1, needs 26.4 by 2026-12-15T20:00:00; installing 26.4 (build 25E246) failed 2 times: Not enough free disk space (last at 2026-12-10T09:30:00Z)",
            ),
            (
                "a failure count is a failure",
                &minor,
                device("26.3.1", None, pending("26.4", "25E246", InstallState::Downloading, 1)),
                Status::Behind,
                "installing 26.4 (build 25E246) failed once",
            ),
        ];
        for (name, target, device, status, reason) in cases {
            let verdict = evaluate(target, &device, None);
            assert_eq!(verdict.status, status, "{name}: {}", verdict.reason);
            assert!(
                verdict.reason.starts_with(reason) || verdict.reason.contains(reason),
                "{name}: {}",
                verdict.reason
            );
            assert_eq!(verdict.deadline_passed, None, "{name}: no clock, no comparison");
        }
    }

    #[test]
    fn a_beta_of_the_target_version_is_unknown() {
        let mut beta = device("16.0", None, None);
        beta.build = Some(build("20A5303i"));
        let verdict = evaluate(&target("16.0", None, false), &beta, None);
        assert_eq!(verdict.status, Status::Unknown, "{}", verdict.reason);
        assert!(verdict.reason.contains("beta build 20A5303i"), "{}", verdict.reason);
        // A beta of a later version is past the target all the same.
        assert_eq!(evaluate(&target("15.7", None, false), &beta, None).status, Status::Compliant);
    }

    #[test]
    fn deadlines_need_a_clock() {
        let minor = target("26.4", None, false);
        let behind = device("26.3", None, None);
        let cases = [
            (None, None, false),
            (Some("2026-12-15T20:00:00"), Some(false), false),
            (Some("2026-12-15T20:00:01"), Some(true), true),
        ];
        for (now, passed, says_at_once) in cases {
            let now = now.map(|n| n.parse().unwrap_or_else(|e| panic!("{n}: {e}")));
            let verdict = evaluate(&minor, &behind, now);
            assert_eq!(verdict.deadline_passed, passed, "{now:?}");
            assert_eq!(verdict.reason.contains("installs it at once"), says_at_once, "{}", verdict.reason);
        }
    }

    #[test]
    fn a_device_too_old_for_the_declaration_is_told_so() {
        let mut sonoma = target("14.0", None, false);
        sonoma.reaches = false;
        sonoma.reached_from = "14.0".parse().ok();
        let now = "2030-01-01T00:00:00".parse().ok();
        let verdict = evaluate(&sonoma, &device("13.3.1 (a)", Some("22E772610a"), None), now);
        assert_eq!(verdict.status, Status::Behind);
        assert!(verdict.reason.contains("does not reach macOS 13.3.1, only 14.0 and later"), "{}", verdict.reason);
        assert!(!verdict.reason.contains("at once"), "an undelivered deadline moves nothing: {}", verdict.reason);
    }
}
