//! Facts from Apple releases newer than the reference copies in `shared/reference`
//! (listed in its SOURCE.md and in the 27.0 seed's CHANGES.md). One table, each row with
//! its source, overlaid on the generated support table.

/// A key (or a whole payload, `key: None`) that a later release deprecates or removes.
pub struct LaterFact {
    /// Payload or declaration type.
    pub subject: &'static str,
    pub key: Option<&'static str>,
    pub deprecated: Option<(u16, u16)>,
    pub removed: Option<(u16, u16)>,
    pub source: &'static str,
}

const SEED_27: &str = "apple/device-management 27.0 seed, CHANGES.md";
const RELEASE_26: &str = "apple/device-management 26.0 release (shared/reference SOURCE.md)";

const fn fact(
    subject: &'static str,
    key: Option<&'static str>,
    deprecated: Option<(u16, u16)>,
    source: &'static str,
) -> LaterFact {
    LaterFact { subject, key, deprecated, removed: Some((27, 0)), source }
}

const RESTRICTIONS: &str = "com.apple.applicationaccess";

pub const LATER_FACTS: &[LaterFact] = &[
    fact("com.apple.SoftwareUpdate", None, Some((26, 0)), SEED_27),
    fact(RESTRICTIONS, Some("allowRapidSecurityResponseInstallation"), None, SEED_27),
    fact(RESTRICTIONS, Some("allowRapidSecurityResponseRemoval"), None, SEED_27),
    fact(RESTRICTIONS, Some("forceDelayedSoftwareUpdates"), Some((26, 0)), RELEASE_26),
    fact(RESTRICTIONS, Some("enforcedSoftwareUpdateDelay"), Some((26, 0)), RELEASE_26),
    fact(RESTRICTIONS, Some("forceDelayedMajorSoftwareUpdates"), Some((26, 0)), RELEASE_26),
    fact(RESTRICTIONS, Some("forceDelayedAppSoftwareUpdates"), Some((26, 0)), RELEASE_26),
    fact(RESTRICTIONS, Some("enforcedSoftwareUpdateMajorOSDeferredInstallDelay"), Some((26, 0)), RELEASE_26),
    fact(RESTRICTIONS, Some("enforcedSoftwareUpdateMinorOSDeferredInstallDelay"), Some((26, 0)), RELEASE_26),
    fact(RESTRICTIONS, Some("enforcedSoftwareUpdateNonOSDeferredInstallDelay"), Some((26, 0)), RELEASE_26),
];

/// OS 26 renamed Rapid Security Responses; Apple's key names did not change.
pub const BSI_RENAME: &str = "OS 26 renamed Rapid Security Responses to Background Security Improvements; \
     the key names (`RapidSecurityResponse`, `allowRapidSecurityResponse*`) did not change";

/// The later fact for `key` of `subject`, or for the whole payload.
pub fn find(subject: &str, key: Option<&str>) -> Option<&'static LaterFact> {
    LATER_FACTS.iter().find(|f| f.subject == subject && (f.key == key || f.key.is_none()))
}
