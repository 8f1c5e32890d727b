//! What devices will actually do: the settings a device ends with after Apple's combine
//! rules over every declaration that reaches it, per cohort (group, platform, OS band),
//! and where policies disagree.

pub mod combine;
pub mod conflicts;
pub mod legacy;
pub mod targets;

use crate::apple::fields::FIELDS;
use crate::apple::{DeclarationType, support};
use crate::lower::{Declaration, OsRange};
use crate::model::{GROUP_ALL, OsVersion, Platform};
use combine::CombineType;
use serde_json::Value;

/// OS versions from `from` up to, not including, `below`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Band {
    pub from: OsVersion,
    pub below: Option<OsVersion>,
}

/// Devices that receive the same declarations.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cohort {
    pub group: String,
    pub platform: Platform,
    pub band: Band,
}

impl std::fmt::Display for Cohort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "group `{}`, {} {}", self.group, self.platform, self.band.from)?;
        match self.band.below {
            Some(below) => write!(f, " to before {below}"),
            None => write!(f, " and later"),
        }
    }
}

/// Whether a range covers a device on `platform` at `version`.
pub fn covers(range: &OsRange, platform: Platform, version: OsVersion) -> bool {
    range.platform == platform
        && range.min <= version
        && range.exactly.is_none_or(|exact| exact == version)
        && range.below.is_none_or(|below| version < below)
}

/// Whether a declaration reaches a device in `group` (`all` is every device's group).
pub fn in_group(groups: Option<&[String]>, group: &str) -> bool {
    groups.is_none_or(|groups| groups.iter().any(|g| g == GROUP_ALL || g == group))
}

/// Whether `declaration` reaches a device in `group` on `platform` at `version`.
pub fn reaches(declaration: &Declaration, group: &str, platform: Platform, version: OsVersion) -> bool {
    in_group(declaration.origin.as_ref().map(|o| o.groups.as_slice()), group)
        && declaration.applies_to.iter().any(|r| covers(r, platform, version))
}

/// Every cohort the declarations define: each group, each platform, and the OS bands
/// between the versions where what a device receives changes.
pub fn cohorts(declarations: &[Declaration]) -> Vec<Cohort> {
    let groups = crate::lower::group_names(declarations);
    let mut out = Vec::new();
    for platform in Platform::ALL {
        let mut bounds: Vec<OsVersion> = declarations
            .iter()
            .filter(|d| !d.ty().is_activation() && d.ty() != DeclarationType::StatusSubscriptions)
            // An enforcement's target (its `below`) ends only that enforcement's reach: it
            // would split every cohort at each target without changing any setting.
            .flat_map(|d| d.applies_to.iter().map(move |r| (d.ty() == DeclarationType::SoftwareUpdateEnforcement, r)))
            .filter(|(_, r)| r.platform == platform && r.exactly.is_none())
            .flat_map(|(enforcement, r)| std::iter::once(r.min).chain(r.below.filter(|_| !enforcement)))
            .collect();
        // Stable, so that of equal versions (`16.1`, `16.1.0`) the first written is kept.
        bounds.sort();
        bounds.dedup();
        for (i, from) in bounds.iter().enumerate() {
            let band = Band { from: *from, below: bounds.get(i + 1).copied() };
            out.extend(groups.iter().map(|g| Cohort { group: g.to_string(), platform, band }));
        }
    }
    out
}

/// One declaration's value for a key.
#[derive(Clone, Debug)]
pub struct Contribution<'a> {
    pub declaration: &'a Declaration,
    pub value: &'a Value,
}

/// A setting as the device ends with it.
#[derive(Clone, Debug)]
pub struct Effective<'a> {
    /// Apple's key path (`AutomaticActions.InstallOSUpdates`).
    pub key: &'static str,
    pub value: Value,
    pub combine: CombineType,
    /// Every declaration that sets it, in Identifier order.
    pub from: Vec<Contribution<'a>>,
}

impl Effective<'_> {
    /// More than one distinct value: policies disagree.
    pub fn disagrees(&self) -> bool {
        self.from.iter().any(|c| c.value != self.from[0].value)
    }
}

/// The `softwareupdate.settings` a device in `group` on `platform` at `version` ends with.
/// Linear in the declarations: each is read once per key.
pub fn effective_settings<'a>(
    declarations: impl IntoIterator<Item = &'a Declaration>,
    group: &str,
    platform: Platform,
    version: OsVersion,
) -> Vec<Effective<'a>> {
    let mut members: Vec<&Declaration> = declarations
        .into_iter()
        .filter(|d| d.ty() == DeclarationType::SoftwareUpdateSettings && reaches(d, group, platform, version))
        .collect();
    members.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    let mut keys: Vec<&'static str> = FIELDS.iter().map(|field| field.key).collect();
    keys.sort_by_key(|k| support::order(DeclarationType::SoftwareUpdateSettings.as_str(), k));
    keys.into_iter()
        .filter_map(|key| {
            let from = contributions(&members, key);
            let combine = CombineType::of(key)?;
            let values: Vec<&Value> = from.iter().map(|c| c.value).collect();
            let value = combine.combine(key, &values)?;
            Some(Effective { key, value, combine, from })
        })
        .collect()
}

/// The values `declarations` set for `key`, in their order.
pub fn contributions<'a>(declarations: &[&'a Declaration], key: &str) -> Vec<Contribution<'a>> {
    declarations.iter().filter_map(|d| Some(Contribution { declaration: d, value: d.settings()?.get(key)? })).collect()
}
