//! Which declaration and which `softwareupdate.settings` key exists on which platform,
//! from which OS version, and whether it needs a supervised device: Apple's `supportedOS`
//! with its inheritance rule (a key's support is its parents' overlaid by its own) already
//! applied. A test re-derives every row from Apple's YAML in `../shared/reference`.

use super::DeclarationType;
use crate::model::{OsVersion, Platform};

/// Where a declaration or key is available on one platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Availability {
    pub introduced: OsVersion,
    /// Apple allows only the `supervised` enrollment.
    pub supervised_only: bool,
}

/// `(major, minor, supervised only)` per platform, in [`Platform::ALL`] order; `None` is
/// Apple's `n/a`.
type Row = [Option<(u16, u16, bool)>; 4];

/// Source: apple/device-management, `declarative/declarations/**` (see shared/reference SOURCE.md).
const DECLARATIONS: &[(DeclarationType, Row)] = &[
    (
        DeclarationType::SoftwareUpdateSettings,
        [Some((15, 0, true)), Some((18, 0, false)), Some((18, 4, false)), Some((26, 0, false))],
    ),
    (
        DeclarationType::SoftwareUpdateEnforcement,
        [Some((14, 0, true)), Some((17, 0, false)), Some((18, 4, false)), Some((26, 0, false))],
    ),
    (
        DeclarationType::StatusSubscriptions,
        [Some((13, 0, false)), Some((15, 0, false)), Some((16, 0, false)), Some((1, 1, false))],
    ),
    (
        DeclarationType::ActivationSimple,
        [Some((13, 0, false)), Some((15, 0, false)), Some((16, 0, false)), Some((1, 1, false))],
    ),
];

/// Source: `softwareupdate.settings.yaml` (OS 26.x release). Key paths use `.` between a
/// dictionary and its subkeys.
pub const SETTINGS_KEYS: &[(&str, Row)] = &[
    ("Notifications", [Some((15, 0, true)), Some((18, 0, false)), Some((18, 4, false)), Some((26, 0, false))]),
    ("Deferrals.CombinedPeriodInDays", [None, Some((18, 0, true)), Some((18, 4, true)), Some((26, 0, true))]),
    ("Deferrals.MajorPeriodInDays", [Some((15, 0, true)), None, None, None]),
    ("Deferrals.MinorPeriodInDays", [Some((15, 0, true)), None, None, None]),
    ("Deferrals.SystemPeriodInDays", [Some((15, 0, true)), None, None, None]),
    ("RecommendedCadence", [None, Some((18, 0, false)), None, Some((26, 0, false))]),
    ("AutomaticActions.Download", [Some((15, 0, true)), Some((18, 0, true)), None, Some((26, 0, true))]),
    (
        "AutomaticActions.InstallOSUpdates",
        [Some((15, 0, true)), Some((18, 0, true)), Some((18, 4, true)), Some((26, 0, true))],
    ),
    ("AutomaticActions.InstallSecurityUpdate", [Some((15, 0, true)), Some((18, 0, true)), None, Some((26, 0, true))]),
    ("RapidSecurityResponse.Enable", [Some((15, 0, true)), Some((18, 0, true)), None, None]),
    ("RapidSecurityResponse.EnableRollback", [Some((15, 0, true)), Some((18, 0, true)), None, None]),
    ("AllowStandardUserOSUpdates", [Some((15, 0, true)), None, None, None]),
    ("Beta.ProgramEnrollment", [Some((15, 4, true)), Some((18, 0, true)), None, None]),
    ("Beta.OfferPrograms", [Some((15, 4, true)), Some((18, 0, false)), None, None]),
    ("Beta.RequireProgram", [Some((15, 4, true)), Some((18, 0, true)), None, None]),
];

fn cell(row: &Row, platform: Platform) -> Option<Availability> {
    let index = Platform::ALL.iter().position(|p| *p == platform)?;
    row[index].map(|(major, minor, supervised_only)| Availability {
        introduced: OsVersion::new(major, minor, None),
        supervised_only,
    })
}

/// Where a declaration type is available on `platform`.
pub fn declaration(ty: DeclarationType, platform: Platform) -> Option<Availability> {
    DECLARATIONS.iter().find(|(t, _)| *t == ty).and_then(|(_, row)| cell(row, platform))
}

/// Where a `softwareupdate.settings` key is available on `platform`; `None` is `n/a`.
pub fn settings_key(path: &str, platform: Platform) -> Option<Availability> {
    SETTINGS_KEYS.iter().find(|(p, _)| *p == path).and_then(|(_, row)| cell(row, platform))
}

#[cfg(test)]
mod tests;
