//! The contract's rules applied: `latest` (within `major` / `below`), the newest BSI on a
//! version, deadlines relative to a release, and the checks on explicit targets. Each result
//! carries the sentence `explain` prints ("latest below 27 on 2026-03-20: 26.3.1, …").

use super::{Catalog, Entry, Version};
use crate::model::{BuildVersion, Extra, LocalDateTime, OsVersion, Platform};
use jiff::civil::{Date, Time, Weekday};

/// A version `latest` passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub version: OsVersion,
    pub why: String,
}

/// What `os_version: latest` resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Latest {
    pub version: OsVersion,
    pub release: Date,
    pub skipped: Vec<Skipped>,
    /// "latest below 27 on 2026-03-20: 26.3.1, released 2026-03-11; 26.3.2 skipped: …"
    pub rule: String,
}

/// The newest Background Security Improvement on a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BsiPick {
    pub build: BuildVersion,
    pub extra: Extra,
    pub release: Date,
    pub rule: String,
}

/// A deadline computed from a release date, with the arithmetic spelled out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub at: LocalDateTime,
    /// "release 2026-03-11 + 7 days = Sunday 2026-03-18, moved to Monday 2026-03-19 18:00:00 device time"
    pub arithmetic: String,
}

/// What the catalog says of an explicit `os_version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionCheck {
    Available,
    /// Available, but a newer version of the same major is too.
    Superseded {
        by: OsVersion,
    },
    /// Offered once; every entry has expired by the as-of date: devices will not enforce it.
    Expired {
        on: Option<Date>,
    },
    /// Apple does not offer it for the platform; the nearest versions it does.
    NotOffered {
        nearest: Vec<OsVersion>,
    },
}

impl Catalog {
    /// `os_version: latest`: the newest available, not device-specific version for
    /// `platform`, within `major` (that major only) and `below` (exclusive).
    pub fn latest(&self, platform: Platform, major: Option<u16>, below: Option<OsVersion>) -> Result<Latest, String> {
        let all = self.versions(platform);
        // `below: "27"` reads as 27 in the explanation, not 27.0.
        let below_text = below.map(|b| match (b.minor(), b.patch()) {
            (0, None) => b.major().to_string(),
            _ => b.to_string(),
        });
        let scope = match (major, below_text) {
            (Some(m), Some(b)) => format!("latest {m}.x below {b}"),
            (Some(m), None) => format!("latest {m}.x"),
            (None, Some(b)) => format!("latest below {b}"),
            (None, None) => "latest".to_owned(),
        };
        let mut skipped = Vec::new();
        let candidates = all
            .iter()
            .rev()
            .filter(|v| v.available)
            .filter(|v| major.is_none_or(|m| v.version.major() == m))
            .filter(|v| below.is_none_or(|b| v.version < b));
        for v in candidates {
            match v.device_specific(&all) {
                Some(broader) => skipped.push(Skipped {
                    version: v.version,
                    why: format!(
                        "device-specific: for {} only, all also served by {broader}",
                        plural(v.devices.len(), &format!("{platform} device"), &format!("{platform} devices")),
                    ),
                }),
                None => {
                    let mut rule = format!("{scope} on {}: {}, released {}", self.as_of, v.version, v.release);
                    for s in &skipped {
                        rule.push_str(&format!("; {} skipped: {}", s.version, s.why));
                    }
                    return Ok(Latest { version: v.version, release: v.release, skipped, rule });
                }
            }
        }
        Err(format!("Apple's catalog (as of {}) has no available {platform} version for `{scope}`", self.as_of))
    }

    /// `background_security_improvement: latest`: the newest available BSI whose
    /// `ProductVersion` is `version` (highest letter, then build); `None` when there is none.
    pub fn latest_security_improvement(&self, platform: Platform, version: OsVersion) -> Option<BsiPick> {
        let best = self
            .security_improvements(platform)
            .filter(|e| e.version == version && e.available(self.as_of))
            .filter_map(|e| Some((e.extra?, e)))
            .max_by(|(a, x), (b, y)| (a, &x.build).cmp(&(b, &y.build)))?;
        let (extra, entry) = best;
        Some(BsiPick {
            build: entry.build.clone(),
            extra,
            release: entry.posting,
            rule: format!(
                "latest Background Security Improvement on {version} on {}: {version} {extra}, build {}, released {}",
                self.as_of, entry.build, entry.posting
            ),
        })
    }

    /// What the catalog says of an explicit `os_version` for `platform`.
    pub fn check_version(&self, platform: Platform, version: OsVersion) -> VersionCheck {
        let all = self.versions(platform);
        let Some(found) = all.iter().find(|v| v.version == version) else {
            return VersionCheck::NotOffered { nearest: nearest(&all, version) };
        };
        if !found.available {
            return VersionCheck::Expired { on: found.expires };
        }
        let newer = all
            .iter()
            .filter(|v| v.available && v.version > version && v.version.major() == version.major())
            .filter(|v| v.device_specific(&all).is_none())
            .map(|v| v.version)
            .max();
        match newer {
            Some(by) => VersionCheck::Superseded { by },
            None => VersionCheck::Available,
        }
    }

    /// Why `build` is not a build of `version` on `platform` (for a BSI build: a BSI on
    /// `version` whose prerequisite is a build of `version`), or `None` when it is.
    pub fn check_build(&self, platform: Platform, version: OsVersion, build: &BuildVersion) -> Option<String> {
        let all = self.versions(platform);
        let base_builds = all.iter().find(|v| v.version == version).map(|v| v.builds.clone()).unwrap_or_default();
        if build.is_supplemental() {
            let bsi: Vec<&Entry> = self.security_improvements(platform).filter(|e| &e.build == build).collect();
            let Some(entry) = bsi.first() else {
                let known: Vec<String> = self
                    .security_improvements(platform)
                    .filter(|e| e.version == version)
                    .map(|e| e.build.to_string())
                    .collect();
                return Some(match known.is_empty() {
                    true => format!("Apple's catalog lists no Background Security Improvement {build} for {platform}"),
                    false => format!(
                        "Apple's catalog lists no Background Security Improvement {build} for {platform}; on {version} it has {}",
                        known.join(", ")
                    ),
                });
            };
            if entry.version != version {
                return Some(format!(
                    "{build} is a Background Security Improvement on {}, not on {version}",
                    entry.version
                ));
            }
            match &entry.prerequisite_build {
                Some(base) if !base_builds.contains(base) => Some(format!(
                    "{build} installs on build {base}, which is not a build of {platform} {version} in Apple's catalog"
                )),
                _ => None,
            }
        } else if base_builds.contains(build) {
            None
        } else {
            let owner = all.iter().find(|v| v.builds.contains(build)).map(|v| v.version);
            let builds: Vec<String> = base_builds.iter().map(ToString::to_string).collect();
            Some(match owner {
                Some(other) => format!("{build} is a build of {platform} {other}, not of {version}"),
                None if builds.is_empty() => format!("Apple's catalog lists no build {build} for {platform}"),
                None => format!("{build} is not a build of {platform} {version}; its builds are {}", builds.join(", ")),
            })
        }
    }
}

/// The deadline `days` after `release` at `time` (device time); with `skip_weekends`, a
/// Saturday or Sunday moves to the Monday after.
pub fn deadline(release: Date, days: u16, time: Time, skip_weekends: bool) -> Deadline {
    let day = release.checked_add(jiff::Span::new().days(i64::from(days))).unwrap_or(release);
    let moved = match (skip_weekends, day.weekday()) {
        (true, Weekday::Saturday) => day.checked_add(jiff::Span::new().days(2)).ok(),
        (true, Weekday::Sunday) => day.checked_add(jiff::Span::new().days(1)).ok(),
        _ => None,
    };
    let at = LocalDateTime::at(moved.unwrap_or(day), time);
    let clock = format!("{:02}:{:02}:{:02}", time.hour(), time.minute(), time.second());
    let arithmetic = match moved {
        Some(monday) => format!(
            "release {release} + {days} days = {} {day}, moved to Monday {monday} {clock} device time",
            weekday(day)
        ),
        None => format!("release {release} + {days} days = {} {day} {clock} device time", weekday(day)),
    };
    Deadline { at, arithmetic }
}

fn weekday(date: Date) -> &'static str {
    match date.weekday() {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// Up to three offered versions closest to `version`: same major first, then by distance.
fn nearest(all: &[Version], version: OsVersion) -> Vec<OsVersion> {
    let distance = |v: &OsVersion| {
        let key = |v: OsVersion| (i64::from(v.major()), i64::from(v.minor()), i64::from(v.patch().unwrap_or(0)));
        let (a, b) = (key(*v), key(version));
        ((a.0 - b.0).abs(), (a.1 - b.1).abs(), (a.2 - b.2).abs())
    };
    let mut offered: Vec<OsVersion> = all.iter().filter(|v| v.available).map(|v| v.version).collect();
    offered.sort_by_key(|v| (distance(v), *v));
    offered.truncate(3);
    offered.sort();
    offered
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
