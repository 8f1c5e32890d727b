//! One table from a policy field to the Apple keys it becomes: the `softwareupdate.settings`
//! key, and the legacy profile keys for RSR-era devices (payload, key, how the value maps, how
//! several values combine). Lowering, legacy lowering, conflict analysis, explanations and
//! `lint`'s advice all read it; nothing else spells the mapping out.

use crate::model::Platform;

/// The policy sections settings live in.
pub const BSI: &str = "background_security_improvements";
pub const SU: &str = "software_updates";

pub const RESTRICTIONS: &str = "com.apple.applicationaccess";
pub const SOFTWARE_UPDATE: &str = "com.apple.SoftwareUpdate";

/// A policy field and its Apple keys.
#[derive(Debug)]
pub struct Field {
    /// Path in the policy file.
    pub path: &'static [&'static str],
    /// Dotted key path in `softwareupdate.settings` (`AutomaticActions.Download`).
    pub key: &'static str,
    /// What RSR-era devices get instead (the contract's legacy table).
    pub legacy: &'static [Legacy],
}

/// A field is its settings key: the table has each key once.
impl PartialEq for Field {
    fn eq(&self, other: &Field) -> bool {
        self.key == other.key
    }
}

impl Eq for Field {}

/// One legacy profile key for one platform.
#[derive(Debug)]
pub struct Legacy {
    pub platform: Platform,
    pub payload: &'static str,
    pub key: &'static str,
    pub value: LegacyValue,
    pub rule: LegacyRule,
}

/// How the legacy value comes from the declaration's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyValue {
    /// The same boolean.
    Same,
    /// `AlwaysOn` is `true`, `AlwaysOff` `false`; `Allowed` leaves the user's choice (no key).
    Forced,
    /// `true` whenever the field is set (`forceDelayed*` beside its number of days).
    Set,
}

/// How several policies' values of a legacy key combine on one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyRule {
    /// As the declaration's key combines (its `combinetype`).
    Declaration,
    /// Restrictions: the most restrictive, `true`, wins.
    TrueWins,
}

const fn legacy(platform: Platform, payload: &'static str, key: &'static str, value: LegacyValue) -> Legacy {
    let rule = if matches!(value, LegacyValue::Set) { LegacyRule::TrueWins } else { LegacyRule::Declaration };
    Legacy { platform, payload, key, value, rule }
}

use LegacyValue::{Forced, Same, Set};
use Platform::{IOS, MacOS};

/// Every field, in the order of the policy format (declarations list them in the order of
/// Apple's schema, `support::order`).
pub const FIELDS: &[Field] = &[
    Field {
        path: &[BSI, "automatic_install"],
        key: "AutomaticActions.InstallSecurityUpdate",
        legacy: &[legacy(MacOS, SOFTWARE_UPDATE, "CriticalUpdateInstall", Forced)],
    },
    Field {
        path: &[BSI, "user_install"],
        key: "RapidSecurityResponse.Enable",
        legacy: &[
            legacy(MacOS, RESTRICTIONS, "allowRapidSecurityResponseInstallation", Same),
            legacy(IOS, RESTRICTIONS, "allowRapidSecurityResponseInstallation", Same),
        ],
    },
    Field {
        path: &[BSI, "user_removal"],
        key: "RapidSecurityResponse.EnableRollback",
        legacy: &[
            legacy(MacOS, RESTRICTIONS, "allowRapidSecurityResponseRemoval", Same),
            legacy(IOS, RESTRICTIONS, "allowRapidSecurityResponseRemoval", Same),
        ],
    },
    Field { path: &[SU, "notifications"], key: "Notifications", legacy: &[] },
    Field {
        path: &[SU, "automatic_download"],
        key: "AutomaticActions.Download",
        legacy: &[legacy(MacOS, SOFTWARE_UPDATE, "AutomaticDownload", Forced)],
    },
    Field {
        path: &[SU, "automatic_install"],
        key: "AutomaticActions.InstallOSUpdates",
        legacy: &[legacy(MacOS, SOFTWARE_UPDATE, "AutomaticallyInstallMacOSUpdates", Forced)],
    },
    Field { path: &[SU, "standard_users_can_update"], key: "AllowStandardUserOSUpdates", legacy: &[] },
    Field { path: &[SU, "recommended_cadence"], key: "RecommendedCadence", legacy: &[] },
    Field {
        path: &[SU, "deferrals", "major_days"],
        key: "Deferrals.MajorPeriodInDays",
        legacy: &[
            legacy(MacOS, RESTRICTIONS, "forceDelayedMajorSoftwareUpdates", Set),
            legacy(MacOS, RESTRICTIONS, "enforcedSoftwareUpdateMajorOSDeferredInstallDelay", Same),
        ],
    },
    Field {
        path: &[SU, "deferrals", "minor_days"],
        key: "Deferrals.MinorPeriodInDays",
        legacy: &[
            legacy(MacOS, RESTRICTIONS, "forceDelayedSoftwareUpdates", Set),
            legacy(MacOS, RESTRICTIONS, "enforcedSoftwareUpdateMinorOSDeferredInstallDelay", Same),
        ],
    },
    Field {
        path: &[SU, "deferrals", "system_days"],
        key: "Deferrals.SystemPeriodInDays",
        legacy: &[
            legacy(MacOS, RESTRICTIONS, "forceDelayedAppSoftwareUpdates", Set),
            legacy(MacOS, RESTRICTIONS, "enforcedSoftwareUpdateNonOSDeferredInstallDelay", Same),
        ],
    },
    Field {
        path: &[SU, "deferrals", "combined_days"],
        key: "Deferrals.CombinedPeriodInDays",
        legacy: &[
            legacy(IOS, RESTRICTIONS, "forceDelayedSoftwareUpdates", Set),
            legacy(IOS, RESTRICTIONS, "enforcedSoftwareUpdateDelay", Same),
        ],
    },
    Field { path: &[SU, "beta", "enrollment"], key: "Beta.ProgramEnrollment", legacy: &[] },
    Field { path: &[SU, "beta", "offer_programs"], key: "Beta.OfferPrograms", legacy: &[] },
    Field { path: &[SU, "beta", "require_program"], key: "Beta.RequireProgram", legacy: &[] },
];

/// The field behind a `softwareupdate.settings` key.
pub fn by_key(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// The field at a policy path (`[SU, "deferrals", "major_days"]`).
pub fn by_path(path: &[&str]) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.path == path)
}

/// The policy field path of a `softwareupdate.settings` key (empty for an unknown key).
pub fn field_of(key: &str) -> &'static [&'static str] {
    by_key(key).map(|f| f.path).unwrap_or_default()
}

/// Every (field, legacy key) pair that writes legacy key `key`, on any platform.
pub fn legacy_sources(key: &str) -> impl Iterator<Item = (&'static Field, &'static Legacy)> + '_ {
    FIELDS.iter().flat_map(|f| f.legacy.iter().map(move |l| (f, l))).filter(move |(_, l)| l.key == key)
}

/// Every legacy key the table writes, once each: restrictions first (the first payload of a
/// profile), each payload's keys in table order. The order keys are written and explained in.
pub fn legacy_keys() -> Vec<&'static str> {
    let mut keys: Vec<(&'static str, &'static str)> = Vec::new();
    for l in FIELDS.iter().flat_map(|f| f.legacy) {
        if !keys.iter().any(|(_, k)| *k == l.key) {
            keys.push((l.payload, l.key));
        }
    }
    keys.sort_by_key(|(payload, _)| *payload != RESTRICTIONS);
    keys.into_iter().map(|(_, key)| key).collect()
}

/// The legacy value a declaration value becomes; `None` where the user keeps the choice.
pub fn legacy_value(how: LegacyValue, value: &serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    match how {
        LegacyValue::Same => Some(value.clone()),
        LegacyValue::Set => Some(Value::Bool(true)),
        LegacyValue::Forced => match value.as_str()? {
            "AlwaysOn" => Some(Value::Bool(true)),
            "AlwaysOff" => Some(Value::Bool(false)),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the table is one of Apple's, on the platforms the table says.
    #[test]
    fn the_table_uses_apples_keys() {
        for (i, field) in FIELDS.iter().enumerate() {
            assert!(FIELDS[..i].iter().all(|f| f.key != field.key), "{} twice", field.key);
            assert!(
                Platform::ALL.iter().any(|p| crate::apple::support::settings_key(field.key, *p).is_some()),
                "{} is no softwareupdate.settings key",
                field.key
            );
            for l in field.legacy {
                assert!(crate::apple::support::key(l.payload, l.key, l.platform).is_some(), "{} {}", l.payload, l.key);
            }
        }
    }
}
