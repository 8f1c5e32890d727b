//! `ddmc status check`: does a device meet the enforcement targets the policy repository
//! sets for it? The device's own answer (a DDM status report or an MDM DeviceInformation
//! response, [`report`]) against the repository's compiled `softwareupdate.enforcement.specific`
//! declarations, one [`compliance`] verdict per target. This module only gathers data; the
//! cli prints it ([`render`]).

pub mod compliance;
pub mod render;
pub mod report;

use crate::analysis;
use crate::emit::declaration::server_token;
use crate::lower::{Declaration, Enforcement, Half};
use crate::model::{LocalDateTime, OsVersion, Platform};
use crate::pipeline::{self, Compilation, Mode};
use crate::repo::LoadError;
use compliance::{Status, Target, Verdict};
use report::{DeclarationState, DeviceStatus, ReportError, Source};
use std::fmt;
use std::path::Path;

/// What to check, from the command line.
pub struct Options<'a> {
    pub repo: &'a Path,
    pub report: &'a Path,
    /// The device's group; `all` is every device's.
    pub group: &'a str,
    /// Overrides what the report says, and is needed when it says nothing.
    pub platform: Option<Platform>,
    /// The device-local time to compare deadlines with; without it none are compared,
    /// because the device's time zone is not in the report.
    pub now: Option<LocalDateTime>,
    /// The environment of ddmc.yaml templates render with (`--env`).
    pub environment: Option<&'a str>,
}

/// The answer: the device, and one verdict per target that applies to it.
pub struct StatusCheck {
    pub device: DeviceStatus,
    pub platform: Platform,
    pub group: String,
    pub now: Option<LocalDateTime>,
    pub targets: Vec<Checked>,
    /// Things worth knowing that are not about one target.
    pub notes: Vec<String>,
}

impl StatusCheck {
    /// Every target met (vacuously when none applies).
    pub fn compliant(&self) -> bool {
        self.targets.iter().all(|t| t.verdict.status == Status::Compliant)
    }
}

/// One target and its verdict.
pub struct Checked {
    pub target: Target,
    pub verdict: Verdict,
    /// What the device reports about the target's declarations, when it does.
    pub on_device: Vec<OnDevice>,
}

/// A target's declaration as the device reports it.
pub struct OnDevice {
    pub state: DeclarationState,
    /// Whether the device holds the current version of the declaration (its ServerToken
    /// is the one the repository compiles to); `None` when the device reports no token.
    pub current: Option<bool>,
}

pub enum StatusError {
    /// The report cannot be read or is not one.
    Report(ReportError),
    /// The platform cannot be told: a usage error.
    Platform(String),
    /// `--group` names a group no policy has: a usage error.
    UnknownGroup(String),
    /// The repository cannot be loaded.
    Load(LoadError),
    /// The repository has errors; the cli prints its diagnostics.
    Policy(Box<Compilation>),
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusError::Report(e) => e.fmt(f),
            StatusError::Platform(message) | StatusError::UnknownGroup(message) => f.write_str(message),
            StatusError::Load(e) => e.fmt(f),
            StatusError::Policy(_) => f.write_str("the policy repository has errors"),
        }
    }
}

/// `--group`: a group name as policies write them, so that a typo is not silently `all`.
pub fn parse_group(s: &str) -> Result<String, String> {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        Ok(s.to_string())
    } else {
        Err("a group is lower-case letters, digits, `_` and `-`, starting with a letter or digit".to_string())
    }
}

/// `--now`: the device's local date and time, `yyyy-mm-ddThh:mm:ss`, like deadlines.
pub fn parse_now(s: &str) -> Result<LocalDateTime, String> {
    s.parse::<LocalDateTime>().map_err(|e| match e.help {
        Some(help) => format!("{}; {help}", e.message),
        None => e.message,
    })
}

/// Reads the report, compiles the repository, and judges every target that applies.
pub fn check(
    options: &Options<'_>,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<StatusCheck, StatusError> {
    let device = report::read(options.report).map_err(StatusError::Report)?;
    let platform = platform(&device, options.platform)?;
    let compile = pipeline::Options {
        environment: options.environment,
        render: crate::emit::Render::ValidateOnly,
        ..pipeline::Options::new(Mode::Check, secret)
    };
    let compilation = pipeline::compile_with(options.repo, &compile).map_err(StatusError::Load)?;
    if compilation.diagnostics.has_errors() {
        return Err(StatusError::Policy(Box::new(compilation)));
    }
    if let Some(message) = compilation.unknown_group(options.group) {
        return Err(StatusError::UnknownGroup(message));
    }
    let targets = targets(&compilation.declarations, platform, options.group, device.version.os);
    let checked: Vec<Checked> = targets
        .into_iter()
        .map(|(target, declarations)| {
            let verdict = compliance::evaluate(&target, &device, options.now);
            let on_device = on_device(&device, &declarations);
            Checked { target, verdict, on_device }
        })
        .collect();
    let notes = notes(&device, options, &checked);
    Ok(StatusCheck { device, platform, group: options.group.to_string(), now: options.now, targets: checked, notes })
}

fn platform(device: &DeviceStatus, given: Option<Platform>) -> Result<Platform, StatusError> {
    if let Some(platform) = given.or(device.platform) {
        return Ok(platform);
    }
    let why = match &device.platform_from {
        Some((key, value)) => format!("`{key}` is `{value}`, not a platform ddmc manages (macOS, iOS, tvOS, visionOS)"),
        None => match device.source {
            Source::StatusReport => "the report has no `StatusItems.device.operating-system.family`".to_string(),
            Source::DeviceInformation => "the response has no `ProductName`, `ModelName` or `Model`".to_string(),
        },
    };
    Err(StatusError::Platform(format!("cannot tell the device's platform: {why}; pass `--platform`")))
}

/// The enforcement targets for devices on `platform` in `group`, each with its declarations.
/// A BSI's halves are one target: the base half (its base version, reaching every device
/// that has enforcement) and the BSI half (its build, reaching only the base version), which
/// names the base half's Identifier.
/// A target applies whether or not a declaration reaches the device's version: a device too
/// old to receive it is still behind the policy, and must hear so.
fn targets<'a>(
    declarations: &'a [Declaration],
    platform: Platform,
    group: &str,
    os: OsVersion,
) -> Vec<(Target, Vec<&'a Declaration>)> {
    let mut grouped: Vec<(&str, Vec<&Declaration>)> = Vec::new();
    for d in declarations {
        let (Some(enforcement), Some(origin)) = (d.enforcement(), &d.origin) else { continue };
        if !analysis::in_group(Some(&origin.groups), group) || !d.applies_to.iter().any(|r| r.platform == platform) {
            continue;
        }
        let key = match &enforcement.half {
            Some(Half::Bsi { base }) => base.as_str(),
            Some(Half::Base { .. }) | None => d.identifier.as_str(),
        };
        match grouped.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(d),
            None => grouped.push((key, vec![d])),
        }
    }
    grouped
        .into_iter()
        .filter_map(|(_, members)| {
            let target = target(&members, platform, group, os)?;
            Some((target, members))
        })
        .collect()
}

/// One target from its declarations: a plain target, or a BSI's two halves.
fn target(members: &[&Declaration], platform: Platform, group: &str, os: OsVersion) -> Option<Target> {
    let halves: Vec<&Enforcement> = members.iter().filter_map(|d| d.enforcement()).collect();
    let bsi = halves.iter().find(|e| e.is_bsi());
    let base = halves.iter().find(|e| !e.is_bsi()).or(halves.first())?;
    let with_build = bsi.or_else(|| halves.iter().find(|e| e.build.is_some()));
    let build = with_build.and_then(|e| e.build.clone());
    // Both halves come from one policy.
    let origin = members.first()?.origin.as_ref()?;
    // The open-ended range starts where Apple introduced the declaration. A BSI half's
    // range is only its base version, which may be older (a macOS 13.3.1 RSR): the device
    // would match the predicate but has no enforcement declarations to apply.
    let reached_from = members
        .iter()
        .flat_map(|d| d.applies_to.iter())
        .filter(|r| r.platform == platform && r.exactly.is_none())
        .map(|r| r.min)
        .min()
        .filter(|min| os < *min);
    let reaches = reached_from.is_none() && members.iter().any(|d| analysis::reaches(d, group, platform, os));
    // The base half first.
    let mut ordered: Vec<&Declaration> = members.to_vec();
    ordered.sort_by_key(|d| d.enforcement().is_some_and(Enforcement::is_bsi));
    let identifiers = ordered.iter().map(|d| d.identifier.clone()).collect();
    Some(Target {
        platform,
        os_version: base.version,
        build,
        supplemental: bsi.is_some(),
        deadline: base.deadline,
        policy: origin.policy.clone(),
        source: origin.source.clone(),
        identifiers,
        reaches,
        reached_from,
    })
}

fn on_device(device: &DeviceStatus, declarations: &[&Declaration]) -> Vec<OnDevice> {
    declarations
        .iter()
        .filter_map(|d| {
            let state = device.declarations.iter().find(|s| s.identifier == d.identifier)?;
            let current = state.server_token.as_ref().map(|token| *token == server_token(d));
            Some(OnDevice { state: state.clone(), current })
        })
        .collect()
}

fn notes(device: &DeviceStatus, options: &Options<'_>, checked: &[Checked]) -> Vec<String> {
    let mut notes = Vec::new();
    if let (Some(given), Some(reported)) = (options.platform, device.platform)
        && given != reported
    {
        notes.push(format!("the report says {reported}; checked as {given} (`--platform`)"));
    }
    for error in &device.item_errors {
        if error.item.starts_with("device.operating-system.") || error.item.starts_with("softwareupdate.") {
            let reasons: Vec<String> = error.reasons.iter().map(ToString::to_string).collect();
            let reasons = if reasons.is_empty() { "no reason given".to_string() } else { reasons.join("; ") };
            notes.push(format!("the device could not report `{}`: {reasons}", error.item));
        }
    }
    let undecided = checked.iter().any(|c| c.verdict.status != Status::Compliant);
    if undecided && device.update.is_none() {
        notes.push(match device.source {
            Source::StatusReport => "the report has no `softwareupdate` items, so a pending update cannot be seen \
                                     (macOS 14 and iOS 17 report them to subscribed servers)"
                .to_string(),
            Source::DeviceInformation => {
                "a DeviceInformation response does not say which update is pending; a DDM status report does"
                    .to_string()
            }
        });
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The halves pair by the link the lowering writes, whatever the Identifiers look like
    /// (a prefix may itself hold `.bsi.`).
    #[test]
    fn halves_pair_by_their_link() {
        use crate::lower::{Content, Origin, OsRange};
        let v: OsVersion = "26.3.1".parse().expect("version");
        let half = |id: &str, half: Half, build: Option<&str>, exactly: Option<OsVersion>| Declaration {
            identifier: id.into(),
            content: Content::Enforcement(Box::new(Enforcement {
                entry: 0,
                version: v,
                build: build.map(|b| b.parse().expect("build")),
                deadline: "2026-12-01T18:00:00".parse().expect("deadline"),
                details_url: None,
                half: Some(half),
            })),
            origin: Some(std::sync::Arc::new(Origin {
                policy: "p".into(),
                source: "p.yaml".into(),
                groups: vec!["all".into()],
            })),
            applies_to: vec![OsRange { platform: Platform::MacOS, min: v, exactly, below: None }],
            supervision: Default::default(),
            secrets: Vec::new(),
        };
        let declarations = [
            half("com.bsi.x.p.enforcement.1", Half::Base { bsi: "com.bsi.x.p.bsi.1".into() }, None, None),
            half(
                "com.bsi.x.p.bsi.1",
                Half::Bsi { base: "com.bsi.x.p.enforcement.1".into() },
                Some("25D771280a"),
                Some(v),
            ),
        ];
        let found = targets(&declarations, Platform::MacOS, "all", v);
        assert_eq!(found.len(), 1);
        let (target, members) = &found[0];
        assert_eq!(members.len(), 2);
        assert!(target.supplemental);
        assert_eq!(target.build.as_ref().map(ToString::to_string).as_deref(), Some("25D771280a"));
        assert_eq!(target.identifiers, ["com.bsi.x.p.enforcement.1", "com.bsi.x.p.bsi.1"]);
    }

    #[test]
    fn arguments() {
        assert_eq!(Platform::from_name("ipados"), Some(Platform::IOS));
        assert_eq!(Platform::from_name("macos"), Some(Platform::MacOS));
        assert_eq!(Platform::from_name("watchOS"), None);
        assert!(parse_group("staff").is_ok());
        assert!(parse_group("Staff").is_err());
        assert!(parse_group("").is_err());
        assert!(parse_now("2026-12-15T20:00:00").is_ok());
        assert!(parse_now("2026-12-15 20:00").is_err());
    }
}
