//! `ddmc explain`: what one device gets from a policy repository, and what that means: the
//! settings it ends with (and which policy each comes from), the declarations and legacy
//! profiles it receives, its enforcement deadlines, and the domain notes that apply.

mod render;

pub use render::render_human;

use crate::analysis::combine::CombineType;
use crate::analysis::{self, Contribution, Effective};
use crate::apple::DeclarationType;
use crate::apple::fields::field_of;
use crate::diagnostics::plain;
use crate::lower::legacy::{KeySource, MergedKey, Profile};
use crate::lower::{Declaration, Supervised};
use crate::model::{DeviceVersion, LocalDateTime, OsVersion, Platform};
use crate::pipeline::{Compilation, Loaded};
use serde::Serialize;
use serde_json::Value;

pub use crate::apple::Enrollment;

/// The device being explained.
#[derive(Clone, Debug)]
pub struct Device {
    pub platform: Platform,
    pub version: DeviceVersion,
    pub group: String,
    pub enrollment: Enrollment,
}

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub device: DeviceSummary,
    pub settings: Vec<Setting>,
    pub declarations: Vec<Received>,
    pub profiles: Vec<Received>,
    /// The keys of the merged legacy profile it receives, each with who set it.
    pub legacy_settings: Vec<Setting>,
    pub enforcement: Vec<Target>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DeviceSummary {
    pub platform: &'static str,
    pub version: String,
    pub group: String,
    pub enrollment: Enrollment,
}

/// A setting as the device applies it.
#[derive(Debug, Serialize)]
pub struct Setting {
    /// The policy field (`software_updates.automatic_install`).
    pub field: String,
    /// Apple's key (`AutomaticActions.InstallOSUpdates`).
    pub key: &'static str,
    pub value: Value,
    /// Where the applied value comes from: `policy (file:line)`.
    pub from: Vec<String>,
    /// Other values that lost, with Apple's rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
    /// Why the device does not apply it, if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applied: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Received {
    pub identifier: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub policy: Option<String>,
}

/// An update the device must install by a deadline.
#[derive(Debug, Serialize)]
pub struct Target {
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// The release the build belongs to on the device's platform ("macOS 26.3").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_train: Option<String>,
    pub deadline: String,
    pub policy: String,
    pub source: String,
    pub state: &'static str,
    pub detail: String,
    /// The catalog rule that resolved the target ("latest below 27 on …").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
    /// The arithmetic of a deadline relative to the release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_arithmetic: Option<String>,
}

/// What `device` gets from `compiled`; `now` fixes the clock for deadlines.
pub fn explain(compiled: &Compilation, device: &Device, now: Option<LocalDateTime>) -> Explanation {
    let os = device.version.os;
    let reaching: Vec<&Declaration> =
        compiled.declarations.iter().filter(|d| analysis::reaches(d, &device.group, device.platform, os)).collect();
    let effective = analysis::effective_settings(&compiled.declarations, &device.group, device.platform, os);
    let settings = effective.iter().map(|e| setting(e, device, &compiled.policies)).collect();
    let mut declarations: Vec<Received> = reaching
        .iter()
        .map(|d| Received {
            identifier: d.identifier.clone(),
            ty: d.ty().as_str().to_string(),
            policy: d.origin.as_ref().map(|o| o.policy.clone()),
        })
        .collect();
    declarations.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    let received = legacy_profiles(compiled, device);
    let profiles = received
        .iter()
        .map(|p| Received {
            identifier: p.identifier.clone(),
            ty: p.payloads.iter().map(|pl| pl.payload_type).collect::<Vec<_>>().join(", "),
            policy: Some(p.policies.iter().map(|s| s.policy.as_str()).collect::<Vec<_>>().join(", ")),
        })
        .collect();
    let legacy_settings =
        received.iter().flat_map(|p| p.merged.iter().map(|k| legacy_setting(k, p, device, compiled))).collect();
    // Enforcements whose activation stops below their target: shown as satisfied, not received.
    let at_target: Vec<&Declaration> = compiled
        .declarations
        .iter()
        .filter(|d| {
            d.ty() == DeclarationType::SoftwareUpdateEnforcement && !reaching.iter().any(|r| std::ptr::eq(*r, *d))
        })
        .filter(|d| {
            let groups = d.origin.as_ref().map(|o| o.groups.as_slice());
            let unbounded = |r: &crate::lower::OsRange| crate::lower::OsRange { below: None, ..r.clone() };
            analysis::in_group(groups, &device.group)
                && d.applies_to
                    .iter()
                    .any(|r| r.below.is_some() && analysis::covers(&unbounded(r), device.platform, os))
        })
        .collect();
    let resolutions = compiled.resolutions();
    let mut enforcement = targets(&reaching, device, now, &resolutions);
    enforcement.extend(targets(&at_target, device, now, &resolutions).into_iter().map(|mut t| {
        t.state = "satisfied";
        t.detail = format!(
            "the device already runs {}; the activation reaches only devices below {}, so this device does not receive it",
            device.version.os, t.version
        );
        t
    }));
    // A base version before the BSI on top of it.
    enforcement.sort_by(|a, b| (&a.deadline, &a.version, &a.build).cmp(&(&b.deadline, &b.version, &b.build)));
    let notes = notes(device, &effective, &enforcement, compiled, &reaching, &received);
    Explanation {
        device: DeviceSummary {
            platform: device.platform.as_str(),
            version: device.version.to_string(),
            group: device.group.clone(),
            enrollment: device.enrollment,
        },
        settings,
        declarations,
        profiles,
        legacy_settings,
        enforcement,
        notes,
    }
}

/// The merged legacy profile a device installs: its group's (which holds `all`'s keys), or
/// `all`'s for a group no policy names.
fn legacy_profiles<'a>(compiled: &'a Compilation, device: &Device) -> Vec<&'a Profile> {
    let os = device.version.os;
    let known = compiled.policies.iter().any(|l| l.policy.targets.groups.contains(&device.group));
    let group = if known { device.group.as_str() } else { crate::model::GROUP_ALL };
    compiled
        .profiles
        .iter()
        .filter(|p| p.group == group && p.applies_to.iter().any(|r| analysis::covers(r, device.platform, os)))
        .collect()
}

/// `policy (file:line)` of a policy field.
fn field_place(policy: &str, field: &[&str], policies: &[Loaded]) -> String {
    match policies.iter().find(|p| p.policy.id == policy) {
        Some(p) => format!("{policy} ({}:{})", p.doc.file, p.doc.key_span(field).start.line),
        None => policy.to_string(),
    }
}

fn legacy_setting(key: &MergedKey, profile: &Profile, device: &Device, compiled: &Compilation) -> Setting {
    let place = |s: &KeySource| field_place(&s.policy.policy, s.field, &compiled.policies);
    let winners: Vec<String> = key.from.iter().filter(|s| s.value == key.value).map(place).collect();
    let losers: Vec<String> = key
        .from
        .iter()
        .filter(|s| s.value != key.value)
        .map(|s| format!("{} from {}", plain(&s.value), place(s)))
        .collect();
    let overridden = (!losers.is_empty()).then(|| format!("overrides {} ({})", losers.join(", "), key.rule));
    let needs_supervision = matches!(profile.supervision.get(&device.platform), Some(Supervised::Keys(keys)) if keys.iter().any(|k| k == key.key));
    let not_applied = (needs_supervision && device.enrollment != Enrollment::Supervised)
        .then(|| format!("Apple allows `{}` on {} only on supervised devices", key.key, device.platform));
    Setting {
        field: key.from.first().map(|s| s.field.join(".")).unwrap_or_default(),
        key: key.key,
        value: shown(&key.value),
        from: winners,
        overridden,
        not_applied,
    }
}

/// A value as the explanation shows it: literal seeding tokens redacted.
fn shown(value: &Value) -> Value {
    let mut value = value.clone();
    crate::diagnostics::redact(&mut value);
    value
}

/// `policy (file:line)` for the policy field behind a declaration's key.
fn place(declaration: &Declaration, key: &str, policies: &[Loaded]) -> String {
    let Some(origin) = &declaration.origin else { return declaration.identifier.clone() };
    match policies.iter().find(|p| p.policy.id == origin.policy) {
        Some(p) => {
            let span = p.doc.key_span(field_of(key));
            format!("{} ({}:{})", origin.policy, p.doc.file, span.start.line)
        }
        None => origin.policy.clone(),
    }
}

fn setting(e: &Effective<'_>, device: &Device, policies: &[Loaded]) -> Setting {
    // Under set-union every contribution applies, though none equals the union.
    let applies = |c: &&Contribution<'_>| e.combine == CombineType::SetUnion || *c.value == e.value;
    let winners: Vec<String> = e.from.iter().filter(applies).map(|c| place(c.declaration, e.key, policies)).collect();
    let losers: Vec<String> = e
        .from
        .iter()
        .filter(|c| !applies(c))
        .map(|c| format!("{} from {}", plain(c.value), place(c.declaration, e.key, policies)))
        .collect();
    let overridden =
        (!losers.is_empty()).then(|| format!("overrides {} ({})", losers.join(", "), e.combine.rule(e.key)));
    let needs_supervision = e.from.iter().any(|c| match c.declaration.supervision.get(&device.platform) {
        Some(Supervised::Declaration) => true,
        Some(Supervised::Keys(keys)) => keys.iter().any(|k| k == e.key),
        None => false,
    });
    let not_applied = (needs_supervision && device.enrollment != Enrollment::Supervised)
        .then(|| format!("Apple allows `{}` on {} only on supervised devices", e.key, device.platform));
    Setting {
        field: field_of(e.key).join("."),
        key: e.key,
        value: shown(&e.value),
        from: winners,
        overridden,
        not_applied,
    }
}

/// Enforcement targets in deadline order, with where the device stands on each.
fn targets(
    reaching: &[&Declaration],
    device: &Device,
    now: Option<LocalDateTime>,
    resolutions: &std::collections::BTreeMap<String, crate::resolve::Provenance>,
) -> Vec<Target> {
    let mut out: Vec<Target> = reaching
        .iter()
        .filter_map(|d| {
            let enforcement = d.enforcement()?;
            let target = enforcement.version;
            let version = target.to_string();
            let deadline = enforcement.deadline.to_string();
            let build = enforcement.build.as_ref().map(ToString::to_string);
            let supplemental = enforcement.is_bsi();
            let origin = d.origin.as_ref()?;
            let unsupervised = device.enrollment != Enrollment::Supervised
                && matches!(d.supervision.get(&device.platform), Some(Supervised::Declaration));
            let (state, detail) = if unsupervised {
                (
                    "not applied",
                    format!(
                        "Apple allows enforcement on {} only on supervised devices: this device ignores it",
                        device.platform
                    ),
                )
            } else if supplemental {
                match device.version.extra {
                    Some(extra) => (
                        "check build",
                        format!(
                            "the device runs {} {extra}; whether that is {} is told by its supplemental build, not by the letter: run `ddmc status check` on its status report",
                            device.version.os,
                            build.clone().unwrap_or_default()
                        ),
                    ),
                    None => due(
                        now,
                        enforcement.deadline,
                        format!(
                            "installs the Background Security Improvement {} on {version}",
                            build.clone().unwrap_or_default()
                        ),
                    ),
                }
            } else if device.version.os >= target {
                let caveat = if target.patch().is_none() && device.version.os == target {
                    format!("; a newer {version}.x patch, if Apple has one, still installs by the deadline")
                } else {
                    String::new()
                };
                ("satisfied", format!("the device already runs {}{caveat}", device.version.os))
            } else {
                let latest =
                    if target.patch().is_none() { format!(" (the latest {version}.x patch)") } else { String::new() };
                due(now, enforcement.deadline, format!("updates from {} to {version}{latest}", device.version.os))
            };
            let build_train =
                enforcement.build.as_ref().and_then(|b| crate::apple::trains::release_of(device.platform, b));
            Some(Target {
                version,
                build_train,
                build,
                deadline,
                policy: origin.policy.clone(),
                source: origin.source.clone(),
                state,
                detail,
                resolved: resolutions.get(&d.identifier).map(|p| p.rule.clone()),
                deadline_arithmetic: resolutions.get(&d.identifier).and_then(|p| p.arithmetic.clone()),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.deadline, &a.version).cmp(&(&b.deadline, &b.version)));
    out
}

/// "due" or, with a clock, "past deadline: installs at once".
fn due(now: Option<LocalDateTime>, deadline: LocalDateTime, what: String) -> (&'static str, String) {
    let past = now.is_some_and(|now| deadline <= now);
    if past {
        (
            "past deadline",
            format!(
                "{what}: the deadline has passed, so the device installs it at once (or 1 hour after its next restart, or when conditions such as battery level are met)"
            ),
        )
    } else {
        ("due", what)
    }
}

/// The domain notes that apply to this device.
fn notes(
    device: &Device,
    effective: &[Effective<'_>],
    targets: &[Target],
    compiled: &Compilation,
    reaching: &[&Declaration],
    profiles: &[&Profile],
) -> Vec<String> {
    let mut out = Vec::new();
    let value = |key: &str| effective.iter().find(|e| e.key == key).map(|e| e.value.clone());
    let minor = value("Deferrals.MinorPeriodInDays").or_else(|| value("Deferrals.CombinedPeriodInDays"));
    if let Some(days) = minor {
        out.push(format!(
            "Background Security Improvements are never deferred, but they apply only to the latest minor OS: with minor updates deferred {days} days, the device gets a BSI only once it runs the minor release it belongs to"
        ));
    }
    if device.platform == Platform::MacOS
        && (effective.iter().any(|e| {
            e.key.starts_with("AutomaticActions.InstallSecurityUpdate") || e.key.starts_with("RapidSecurityResponse")
        }) || targets.iter().any(|t| t.build.is_some()))
    {
        out.push("a Mac laptop applies a Background Security Improvement only on power, or with at least 10% battery (Apple silicon) or 20% (Intel)".to_string());
    }
    let legacy_prohibits = profiles.iter().any(|p| {
        p.payloads.iter().any(|pl| pl.keys.get("allowRapidSecurityResponseInstallation") == Some(&Value::Bool(false)))
    });
    if legacy_prohibits {
        out.push("this device gets the legacy restriction `allowRapidSecurityResponseInstallation: false`, which prohibits installing Rapid Security Responses outright; the declarations' `RapidSecurityResponse.Enable: false` only hides the offer".to_string());
    } else if value("RapidSecurityResponse.Enable") == Some(Value::Bool(false)) {
        out.push("`RapidSecurityResponse.Enable: false` hides Background Security Improvements from the user; enforcement declarations still install them".to_string());
    }
    let mut later: Vec<(String, OsVersion)> = compiled
        .declarations
        .iter()
        .filter(|d| {
            !d.ty().is_activation() && analysis::in_group(d.origin.as_ref().map(|o| o.groups.as_slice()), &device.group)
        })
        .filter(|d| !analysis::reaches(d, &device.group, device.platform, device.version.os))
        .filter_map(|d| {
            let range = d.applies_to.iter().find(|r| r.platform == device.platform && r.exactly.is_none())?;
            let policy = d.origin.as_ref()?.policy.clone();
            (range.min > device.version.os).then_some((policy, range.min))
        })
        .collect();
    later.sort();
    later.dedup_by(|a, b| a.0 == b.0);
    for (policy, from) in later {
        out.push(format!(
            "policy `{policy}` reaches this group's {} devices only from {} {from}",
            device.platform, device.platform
        ));
    }
    let read: Vec<analysis::targets::Target<'_>> =
        reaching.iter().filter_map(|d| analysis::targets::Target::read(d)).collect();
    if let Some(plan) = analysis::targets::plan(&read) {
        let steps: Vec<String> = plan.iter().map(|t| format!("{} by {}", t.version, t.deadline)).collect();
        out.push(format!(
            "the enforcement targets are a plan, not a conflict: {}; each applies at its own deadline",
            steps.join(", then ")
        ));
    }
    if targets.iter().any(|t| t.state == "past deadline") {
        out.push("an enforcement whose deadline has passed installs at once".to_string());
    }
    if device.enrollment != Enrollment::Supervised
        && reaching.iter().any(|d| matches!(d.supervision.get(&device.platform), Some(Supervised::Declaration)))
    {
        out.push(format!(
            "on {} Apple allows the software-update declarations only on supervised devices: this device ignores them",
            device.platform
        ));
    }
    // Too old for declarative settings: the legacy profiles are what it gets.
    if !profiles.is_empty()
        && reaching.iter().all(|d| d.ty() != DeclarationType::SoftwareUpdateSettings)
        && let Some(floor) =
            crate::apple::support::declaration(DeclarationType::SoftwareUpdateSettings, device.platform)
        && device.version.os < floor.introduced
    {
        out.push(format!(
            "{} {} predates declarative software-update settings ({} {}): legacy profiles carry what has an equivalent",
            device.platform, device.version.os, device.platform, floor.introduced
        ));
    }
    out
}
