//! Legacy profiles for RSR-era devices: Macs and iPhones old enough to have Rapid
//! Security Responses but not declarative software-update settings (macOS 13–14,
//! iOS 16–17) get the same policy as a `.mobileconfig`: restrictions
//! (`com.apple.applicationaccess`) and, on macOS, `com.apple.SoftwareUpdate`.

use super::settings::{self, BSI};
use super::{OsRange, Supervision};
use crate::apple::fields;
use crate::apple::{DeclarationType, later, support};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::model::{Control, OsVersion, Platform, Policy};
use serde_json::{Map, Value};

pub use crate::apple::fields::{RESTRICTIONS, SOFTWARE_UPDATE};

/// Keys listed as supervised-only although Apple's structured `supportedOS` does not say so,
/// because their own description does: the cautious reading (an MDM that sends them to an
/// unsupervised Mac may find them ignored). `forceDelayedAppSoftwareUpdates` on macOS:
/// `supportedOS` has no `supervised: true`, its `content` says "Requires a supervised device".
const SUPERVISED_BY_DESCRIPTION: &[(&str, &str, Platform)] =
    &[(RESTRICTIONS, "forceDelayedAppSoftwareUpdates", Platform::MacOS)];

/// A configuration profile before it is rendered: the merged legacy settings of one group
/// on one platform (`all`'s and the group's own), so that a device holds one profile and
/// at most one payload of each type (Apple allows one `com.apple.SoftwareUpdate`).
#[derive(Clone, Debug)]
pub struct Profile {
    /// `PayloadIdentifier`: `<prefix>.legacy.<platform>.<group>` (see [`identifier`]).
    pub identifier: String,
    pub display_name: String,
    pub description: String,
    pub organization: Option<String>,
    /// `PayloadScope System`, where Apple has the key (macOS).
    pub system_scope: bool,
    pub payloads: Vec<ProfilePayload>,
    /// The group whose devices install it.
    pub group: String,
    /// Every policy that contributes a key, with its file, in policy-id order.
    pub policies: Vec<PolicySource>,
    pub applies_to: Vec<OsRange>,
    pub supervision: Supervision,
    /// Per key: the value the device gets, Apple's rule, and who set what.
    pub merged: Vec<MergedKey>,
}

/// A policy and its file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicySource {
    pub policy: String,
    pub source: String,
}

/// One key of a merged profile.
#[derive(Clone, Debug)]
pub struct MergedKey {
    pub payload_type: &'static str,
    pub key: &'static str,
    pub value: Value,
    /// How the values combine, for messages.
    pub rule: String,
    /// Every policy that sets it, in policy-id order.
    pub from: Vec<KeySource>,
}

/// One policy's value for a merged key.
#[derive(Clone, Debug)]
pub struct KeySource {
    pub policy: PolicySource,
    /// The policy field it comes from.
    pub field: &'static [&'static str],
    pub value: Value,
}

/// `PayloadIdentifier` of the merged profile for `group` on `platform`: stable, and
/// independent of which policies contribute. No declaration Identifier has a platform
/// after `.legacy.` (a policy's kinds are `settings`, `enforcement`, `bsi`, `activation`).
pub fn identifier(prefix: &str, platform: Platform, group: &str) -> String {
    format!("{prefix}.legacy.{}.{group}", platform.slug())
}

/// One payload of a profile: its type, the suffix of its identifier, and its keys.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfilePayload {
    pub payload_type: &'static str,
    pub name: &'static str,
    pub keys: Map<String, Value>,
}

/// One legacy key a policy sets on one platform.
#[derive(Clone, Debug)]
pub struct LegacyKey {
    pub payload_type: &'static str,
    pub key: &'static str,
    pub value: Value,
    /// The policy field it comes from.
    pub field: &'static [&'static str],
    /// Apple allows it only on supervised devices.
    pub supervised: bool,
}

/// What one policy sets on the RSR-era devices of one platform.
#[derive(Clone, Debug)]
pub struct LegacyPlatform {
    pub platform: Platform,
    pub range: OsRange,
    pub keys: Vec<LegacyKey>,
}

/// A policy's legacy settings, before they are merged per group and platform.
#[derive(Clone, Debug)]
pub struct LegacyPolicy {
    pub source: PolicySource,
    /// The policy's `description`, for the merged profile's `PayloadDescription`.
    pub description: Option<String>,
    pub groups: Vec<String>,
    pub platforms: Vec<LegacyPlatform>,
}

/// The payload suffix and display name of a payload type.
pub fn payload_name(payload_type: &str) -> &'static str {
    if payload_type == RESTRICTIONS { "restrictions" } else { "softwareupdate" }
}

/// The RSR era on `platform`: from the first OS with the RSR restrictions to the first
/// with `softwareupdate.settings`, both from Apple's schema.
pub fn era(platform: Platform) -> Option<(OsVersion, OsVersion)> {
    let start = support::key(RESTRICTIONS, "allowRapidSecurityResponseInstallation", platform)?.introduced;
    let end = support::declaration(DeclarationType::SoftwareUpdateSettings, platform)?.introduced;
    Some((start, end))
}

/// The legacy keys of one policy, per RSR-era platform; warnings for what a platform
/// does not have. Merging into profiles is the analysis' job (Apple's combine rules).
pub fn lower(policy: &Policy, doc: &Document, out: &mut Diagnostics) -> LegacyPolicy {
    let mut per_platform = Vec::new();
    for &platform in &policy.targets.platforms {
        let Some((start, end)) = era(platform) else { continue };
        let mut entry = LegacyPlatform {
            platform,
            range: OsRange { platform, min: start, exactly: None, below: Some(end) },
            keys: Vec::new(),
        };
        for (field, value) in settings::values(policy) {
            for legacy in field.legacy.iter().filter(|l| l.platform == platform) {
                let Some(value) = fields::legacy_value(legacy.value, &value) else { continue };
                let (payload, key) = (legacy.payload, legacy.key);
                match support::key(payload, key, platform) {
                    Some(available) if available.introduced <= start => entry.keys.push(LegacyKey {
                        payload_type: payload,
                        key,
                        value,
                        field: field.path,
                        supervised: available.supervised_only
                            || SUPERVISED_BY_DESCRIPTION.contains(&(payload, key, platform)),
                    }),
                    _ => out.push(
                        Diagnostic::warning(
                            Code::Unsupported,
                            format!("`{key}` is not available on {platform} {start}"),
                        )
                        .at(&doc.file, doc.key_span(field.path))
                        .note(format!("Apple's schema: `{payload}` `{key}` on {platform}"))
                        .help("nothing is emitted for it in the legacy profile"),
                    ),
                }
            }
        }
        let forced_bsi = policy.background_security_improvements.as_ref().and_then(|b| b.automatic_install);
        if platform == Platform::IOS && forced_bsi.is_some_and(|c| c != Control::Allowed) {
            out.push(
                Diagnostic::warning(Code::Unsupported, "`automatic_install` has no legacy equivalent on iOS")
                    .at(&doc.file, doc.key_span(&[BSI, "automatic_install"]))
                    .label(format!("iPhones and iPads on iOS {start} and later but older than {end} do not get it"))
                    .note("Apple's schema: `com.apple.SoftwareUpdate` (`CriticalUpdateInstall`) is n/a on iOS")
                    .help("iOS 18 and later get it from the declaration"),
            );
        }
        if !entry.keys.is_empty() {
            per_platform.push(entry);
        }
    }
    explain(policy, doc, &per_platform, out);
    LegacyPolicy {
        source: PolicySource { policy: policy.id.clone(), source: doc.file.clone() },
        description: policy.description.clone(),
        groups: policy.targets.groups.clone(),
        platforms: per_platform,
    }
}

/// What the legacy profile means beyond its keys: notes, not problems.
fn explain(policy: &Policy, doc: &Document, platforms: &[LegacyPlatform], out: &mut Diagnostics) {
    let has = |key: &str| platforms.iter().any(|p| p.keys.iter().any(|k| k.key == key));
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
    let software_update = platforms.iter().flat_map(|p| &p.keys).find(|k| k.payload_type == SOFTWARE_UPDATE);
    if let Some(first) = software_update
        && let Some(fact) = support::subject(SOFTWARE_UPDATE, Platform::MacOS)
    {
        let field = first.field;
        let version = |v: Option<OsVersion>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        out.push(
            Diagnostic::info(Code::Unsupported, format!("the legacy Mac profile uses `{SOFTWARE_UPDATE}`"))
                .at(&doc.file, doc.key_span(field))
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
