//! Legacy profiles for RSR-era devices: Macs and iPhones old enough to have Rapid
//! Security Responses but not declarative software-update settings (macOS 13–14,
//! iOS 16–17) get the same policy as a `.mobileconfig`: restrictions
//! (`com.apple.applicationaccess`) and, on macOS, `com.apple.SoftwareUpdate`.

use super::settings::{BSI, SU};
use super::{Context, Origin, OsRange, Supervised, Supervision};
use crate::apple::{DeclarationType, later, support};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::model::{Control, OsVersion, Platform, Policy};
use serde_json::{Map, Value, json};

pub const RESTRICTIONS: &str = "com.apple.applicationaccess";

/// Keys listed as supervised-only although Apple's structured `supportedOS` does not say so,
/// because their own description does: the cautious reading (an MDM that sends them to an
/// unsupervised Mac may find them ignored). `forceDelayedAppSoftwareUpdates` on macOS:
/// `supportedOS` has no `supervised: true`, its `content` says "Requires a supervised device".
const SUPERVISED_BY_DESCRIPTION: &[(&str, &str, Platform)] =
    &[(RESTRICTIONS, "forceDelayedAppSoftwareUpdates", Platform::MacOS)];
pub const SOFTWARE_UPDATE: &str = "com.apple.SoftwareUpdate";

/// A configuration profile before it is rendered.
#[derive(Clone, Debug)]
pub struct Profile {
    /// `PayloadIdentifier` of the profile: `<prefix>.<policy id>.legacy[.<platform>]`.
    pub identifier: String,
    pub display_name: String,
    pub description: String,
    pub organization: Option<String>,
    /// `PayloadScope System`, where Apple has the key (macOS).
    pub system_scope: bool,
    pub payloads: Vec<ProfilePayload>,
    pub origin: Origin,
    pub applies_to: Vec<OsRange>,
    pub supervision: Supervision,
}

/// One payload of a profile: its type, the suffix of its identifier, and its keys.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfilePayload {
    pub payload_type: &'static str,
    pub name: &'static str,
    pub keys: Map<String, Value>,
}

/// A policy field and the legacy keys it becomes.
struct Mapping {
    field: &'static [&'static str],
    payload: &'static str,
    keys: Vec<(&'static str, Value)>,
}

/// The RSR era on `platform`: from the first OS with the RSR restrictions to the first
/// with `softwareupdate.settings`, both from Apple's schema.
pub fn era(platform: Platform) -> Option<(OsVersion, OsVersion)> {
    let start = support::key(RESTRICTIONS, "allowRapidSecurityResponseInstallation", platform)?.introduced;
    let end = support::declaration(DeclarationType::SoftwareUpdateSettings, platform)?.introduced;
    Some((start, end))
}

/// `always_on` is `true`, `always_off` `false`; `allowed` leaves the user's choice (no key).
fn forced(control: Option<Control>) -> Option<Value> {
    match control? {
        Control::AlwaysOn => Some(Value::Bool(true)),
        Control::AlwaysOff => Some(Value::Bool(false)),
        Control::Allowed => None,
    }
}

/// The legacy keys a policy sets on `platform`, from the contract's table.
fn mappings(policy: &Policy, platform: Platform) -> Vec<Mapping> {
    let mut out = Vec::new();
    let mut add = |field: &'static [&'static str], payload: &'static str, keys: Vec<(&'static str, Value)>| {
        out.push(Mapping { field, payload, keys });
    };
    let bsi = policy.background_security_improvements.clone().unwrap_or_default();
    let su = policy.software_updates.clone().unwrap_or_default();
    let deferrals = su.deferrals.clone().unwrap_or_default();
    if let Some(v) = bsi.user_install {
        add(&[BSI, "user_install"], RESTRICTIONS, vec![("allowRapidSecurityResponseInstallation", json!(v))]);
    }
    if let Some(v) = bsi.user_removal {
        add(&[BSI, "user_removal"], RESTRICTIONS, vec![("allowRapidSecurityResponseRemoval", json!(v))]);
    }
    let delay =
        |force: &'static str, days_key: &'static str, days: u32| vec![(force, json!(true)), (days_key, json!(days))];
    match platform {
        Platform::MacOS => {
            if let Some(v) = forced(bsi.automatic_install) {
                add(&[BSI, "automatic_install"], SOFTWARE_UPDATE, vec![("CriticalUpdateInstall", v)]);
            }
            if let Some(v) = forced(su.automatic_download) {
                add(&[SU, "automatic_download"], SOFTWARE_UPDATE, vec![("AutomaticDownload", v)]);
            }
            if let Some(v) = forced(su.automatic_install) {
                add(&[SU, "automatic_install"], SOFTWARE_UPDATE, vec![("AutomaticallyInstallMacOSUpdates", v)]);
            }
            if let Some(days) = deferrals.major_days {
                let keys = delay(
                    "forceDelayedMajorSoftwareUpdates",
                    "enforcedSoftwareUpdateMajorOSDeferredInstallDelay",
                    days,
                );
                add(&[SU, "deferrals", "major_days"], RESTRICTIONS, keys);
            }
            if let Some(days) = deferrals.minor_days {
                let keys =
                    delay("forceDelayedSoftwareUpdates", "enforcedSoftwareUpdateMinorOSDeferredInstallDelay", days);
                add(&[SU, "deferrals", "minor_days"], RESTRICTIONS, keys);
            }
            if let Some(days) = deferrals.system_days {
                let keys =
                    delay("forceDelayedAppSoftwareUpdates", "enforcedSoftwareUpdateNonOSDeferredInstallDelay", days);
                add(&[SU, "deferrals", "system_days"], RESTRICTIONS, keys);
            }
        }
        Platform::IOS => {
            if let Some(days) = deferrals.combined_days {
                let keys = delay("forceDelayedSoftwareUpdates", "enforcedSoftwareUpdateDelay", days);
                add(&[SU, "deferrals", "combined_days"], RESTRICTIONS, keys);
            }
        }
        Platform::TvOS | Platform::VisionOS => {}
    }
    out
}

/// One platform's payloads, reach and supervision.
struct PlatformProfile {
    platform: Platform,
    payloads: Vec<ProfilePayload>,
    range: OsRange,
    supervised: Vec<String>,
}

/// The legacy profiles of one policy: one for all its platforms when their payloads agree,
/// else one per platform.
pub fn lower(policy: &Policy, doc: &Document, cx: &Context<'_>, out: &mut Diagnostics) -> Vec<Profile> {
    let mut per_platform = Vec::new();
    for &platform in &policy.targets.platforms {
        let Some((start, end)) = era(platform) else { continue };
        let mut entry = PlatformProfile {
            platform,
            payloads: Vec::new(),
            range: OsRange { platform, min: start, exactly: None, below: Some(end) },
            supervised: Vec::new(),
        };
        for mapping in mappings(policy, platform) {
            for (key, value) in mapping.keys {
                match support::key(mapping.payload, key, platform) {
                    Some(available) if available.introduced <= start => {
                        let by_description = SUPERVISED_BY_DESCRIPTION.contains(&(mapping.payload, key, platform));
                        if available.supervised_only || by_description {
                            entry.supervised.push(key.to_string());
                        }
                        payload(&mut entry.payloads, mapping.payload).insert(key.to_string(), value);
                    }
                    _ => out.push(
                        Diagnostic::warning(
                            Code::Unsupported,
                            format!("`{key}` is not available on {platform} {start}"),
                        )
                        .at(&doc.file, doc.key_span(mapping.field))
                        .note(format!("Apple's schema: `{}` `{key}` on {platform}", mapping.payload))
                        .help("nothing is emitted for it in the legacy profile"),
                    ),
                }
            }
        }
        if platform == Platform::IOS
            && forced(policy.background_security_improvements.as_ref().and_then(|b| b.automatic_install)).is_some()
        {
            out.push(
                Diagnostic::warning(Code::Unsupported, "`automatic_install` has no legacy equivalent on iOS")
                    .at(&doc.file, doc.key_span(&[BSI, "automatic_install"]))
                    .label(format!("iPhones and iPads on iOS {start} and later but older than {end} do not get it"))
                    .note("Apple's schema: `com.apple.SoftwareUpdate` (`CriticalUpdateInstall`) is n/a on iOS")
                    .help("iOS 18 and later get it from the declaration"),
            );
        }
        if !entry.payloads.is_empty() {
            per_platform.push(entry);
        }
    }
    explain(policy, doc, &per_platform, out);
    let prefix = format!("{}.{}.legacy", cx.identifier_prefix, policy.id);
    let origin = Origin { policy: policy.id.clone(), source: doc.file.clone(), groups: policy.targets.groups.clone() };
    let profile = |identifier: String, entries: Vec<PlatformProfile>| Profile {
        identifier,
        display_name: format!("Software updates: {}", policy.id),
        description: policy.description.clone().unwrap_or_else(|| {
            format!("Software-update policy `{}` for devices without declarative software-update settings.", policy.id)
        }),
        organization: cx.organization.map(str::to_string),
        // Apple lists `PayloadScope` under macOS only (iOS merely inherits TopLevel's
        // support by the general rule, and has no user scope): Mac-only profiles get it.
        system_scope: entries.iter().all(|e| e.platform == Platform::MacOS),
        payloads: entries.first().map(|e| e.payloads.clone()).unwrap_or_default(),
        origin: origin.clone(),
        applies_to: entries.iter().map(|e| e.range.clone()).collect(),
        supervision: entries
            .iter()
            .filter(|e| !e.supervised.is_empty())
            .map(|e| (e.platform, Supervised::Keys(e.supervised.clone())))
            .collect(),
    };
    let shared = per_platform.windows(2).all(|w| w[0].payloads == w[1].payloads);
    if shared && !per_platform.is_empty() {
        vec![profile(prefix, per_platform)]
    } else {
        per_platform.into_iter().map(|e| profile(format!("{prefix}.{}", e.platform.slug()), vec![e])).collect()
    }
}

/// The payload of `payload_type`, created (restrictions first) if absent.
fn payload<'a>(payloads: &'a mut Vec<ProfilePayload>, payload_type: &'static str) -> &'a mut Map<String, Value> {
    let index = match payloads.iter().position(|p| p.payload_type == payload_type) {
        Some(index) => index,
        None => {
            let name = if payload_type == RESTRICTIONS { "restrictions" } else { "softwareupdate" };
            payloads.push(ProfilePayload { payload_type, name, keys: Map::new() });
            payloads.sort_by_key(|p| p.payload_type != RESTRICTIONS);
            payloads.iter().position(|p| p.payload_type == payload_type).unwrap_or_default()
        }
    };
    &mut payloads[index].keys
}

/// What the legacy profile means beyond its keys: notes, not problems.
fn explain(policy: &Policy, doc: &Document, profiles: &[PlatformProfile], out: &mut Diagnostics) {
    let has = |key: &str| profiles.iter().any(|p| p.payloads.iter().any(|pl| pl.keys.contains_key(key)));
    if has("allowRapidSecurityResponseInstallation")
        && policy.background_security_improvements.as_ref().and_then(|b| b.user_install) == Some(false)
    {
        out.push(
            Diagnostic::info(Code::Unsupported, "on RSR-era devices `user_install: false` prohibits installing RSRs outright")
                .at(&doc.file, doc.key_span(&[BSI, "user_install"]))
                .label("legacy `allowRapidSecurityResponseInstallation: false`")
                .note("Apple: \"If 'false', the system prohibits installation of rapid security responses.\" The declaration's `RapidSecurityResponse.Enable: false` only hides the offer; enforcement can still install them")
                .note(later::BSI_RENAME),
        );
    }
    let software_update = profiles.iter().find_map(|p| {
        p.payloads.iter().find(|pl| pl.payload_type == SOFTWARE_UPDATE).map(|pl| pl.keys.keys().next().cloned())
    });
    if let Some(Some(first)) = software_update
        && let Some(fact) = support::subject(SOFTWARE_UPDATE, Platform::MacOS)
    {
        let field = match first.as_str() {
            "CriticalUpdateInstall" => [BSI, "automatic_install"],
            "AutomaticDownload" => [SU, "automatic_download"],
            _ => [SU, "automatic_install"],
        };
        let version = |v: Option<OsVersion>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        out.push(
            Diagnostic::info(Code::Unsupported, format!("the legacy Mac profile uses `{SOFTWARE_UPDATE}`"))
                .at(&doc.file, doc.key_span(&field))
                .label(format!(
                    "deprecated in macOS {}, removed in {}",
                    version(fact.deprecated),
                    version(fact.removed)
                ))
                .note(format!("source: {}", fact.later_source.unwrap_or("Apple's schema")))
                .note("the profile is meant for Macs on macOS 13 and 14 only (see its `os_range` in the manifest)"),
        );
    }
}
