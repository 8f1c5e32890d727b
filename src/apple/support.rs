//! Which declaration, payload and key exists on which platform, from which OS version,
//! until which, and whether it needs a supervised device. The table is generated from
//! Apple's `supportedOS` (`schemas/apple/support.json`, by `ddmc apple-schemas`) with
//! the inheritance rule applied; facts from later releases are laid over it.

use super::DeclarationType;
use super::later;
use crate::model::{OsVersion, Platform};
use serde_json::Value;
use std::cell::RefCell;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

/// Where something is available on one platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    pub introduced: OsVersion,
    pub deprecated: Option<OsVersion>,
    pub removed: Option<OsVersion>,
    /// Apple allows it only on supervised devices (`allowed-enrollments: [supervised]`
    /// for declarations, `supervised: true` for profile keys).
    pub supervised_only: bool,
    /// Declaration enrollments Apple allows (`supervised`, `device`, `user`, `local`).
    pub enrollments: Vec<String>,
    /// Where a later release's fact comes from, if one applies.
    pub later_source: Option<&'static str>,
    /// A profile payload a user may install by hand (`allowmanualinstall`).
    pub manual_install: bool,
    /// A device may hold several payloads of this type (`multiple`; Apple's default when
    /// absent is taken to be `true`). `com.apple.SoftwareUpdate` is `false` on macOS.
    pub multiple: bool,
}

impl Availability {
    /// Available on a device running `version`.
    pub fn at(&self, version: OsVersion) -> bool {
        self.introduced <= version && self.removed.is_none_or(|removed| version < removed)
    }
}

fn table() -> &'static Value {
    static TABLE: OnceLock<Value> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str(include_str!("../../schemas/apple/support.json")).unwrap_or(Value::Null))
}

/// A `supportedOS` entry for one platform, read into an [`Availability`].
fn read(os: Option<&Value>, subject: &str, key: Option<&str>) -> Option<Availability> {
    let os = os?;
    let version = |field: &str| os.get(field).and_then(Value::as_str).and_then(|v| v.parse::<OsVersion>().ok());
    let introduced = version("introduced")?;
    let enrollments: Vec<String> = os
        .get("allowed-enrollments")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let supervised_only = enrollments == ["supervised"] || os.get("supervised") == Some(&Value::Bool(true));
    let mut availability = Availability {
        introduced,
        deprecated: version("deprecated"),
        removed: version("removed"),
        supervised_only,
        enrollments,
        later_source: None,
        manual_install: os.get("allowmanualinstall") == Some(&Value::Bool(true)),
        multiple: os.get("multiple") != Some(&Value::Bool(false)),
    };
    if let Some(fact) = later::find(subject, key) {
        let v = |(major, minor): (u16, u16)| OsVersion::new(major, minor, None);
        availability.deprecated = availability.deprecated.or(fact.deprecated.map(v));
        availability.removed = availability.removed.or(fact.removed.map(v));
        availability.later_source = Some(fact.source);
    }
    Some(availability)
}

/// Where a declaration or payload type is available on `platform`; `None` is `n/a`.
pub fn subject(subject: &str, platform: Platform) -> Option<Arc<Availability>> {
    cached(subject, None, platform, || {
        read(table().get(subject)?.get("supportedOS")?.get(platform.as_str()), subject, None)
    })
}

/// Where a key (dotted path: `Deferrals.CombinedPeriodInDays`) of a declaration or
/// payload type is available on `platform`; `None` is `n/a` or unknown.
pub fn key(subject: &str, path: &str, platform: Platform) -> Option<Arc<Availability>> {
    cached(subject, Some(path), platform, || {
        let entry = table().get(subject)?.get("keys")?.get(path)?;
        read(entry.get("supportedOS")?.get(platform.as_str()), subject, Some(path))
    })
}

/// Lowering asks the same few questions for every policy: each is read from the table once
/// per thread, and the answer shared (looked up without building a key).
fn cached(
    subject: &str,
    key: Option<&str>,
    platform: Platform,
    read: impl FnOnce() -> Option<Availability>,
) -> Option<Arc<Availability>> {
    type Answers = foldhash::HashMap<u64, Vec<(String, Option<String>, Platform, Option<Arc<Availability>>)>>;
    thread_local! {
        static ANSWERS: RefCell<Answers> = Default::default();
    }
    let same = |(s, k, p, _): &&(String, Option<String>, Platform, Option<Arc<Availability>>)| {
        s == subject && k.as_deref() == key && *p == platform
    };
    // Hashed with the map's own randomly seeded hasher: `lint` asks of keys it was given.
    let (hash, known) = ANSWERS.with_borrow(|answers| {
        let hash = answers.hasher().hash_one((subject, key, platform));
        (hash, answers.get(&hash).and_then(|same_hash| same_hash.iter().find(same).map(|(_, _, _, a)| a.clone())))
    });
    if let Some(answer) = known {
        return answer;
    }
    let answer = read().map(Arc::new);
    ANSWERS.with_borrow_mut(|answers| {
        answers.entry(hash).or_default().push((subject.to_owned(), key.map(str::to_owned), platform, answer.clone()))
    });
    answer
}

/// Apple's `combinetype` of a key, if it has one.
pub fn combine_type(subject: &str, path: &str) -> Option<&'static str> {
    table().get(subject)?.get("keys")?.get(path)?.get("combinetype")?.as_str()
}

/// Position of a key in Apple's schema order, for payloads that read like Apple's examples.
pub fn order(subject: &str, path: &str) -> Option<usize> {
    /// Every (subject, key) of the table and its position, read once.
    static ORDER: OnceLock<foldhash::HashMap<(&'static str, &'static str), usize>> = OnceLock::new();
    let order: &foldhash::HashMap<(&str, &str), usize> = ORDER.get_or_init(|| {
        let subjects = table().as_object().into_iter().flatten();
        let keys = subjects.filter_map(|(subject, entry)| Some((subject, entry.get("keys")?.as_object()?)));
        keys.flat_map(|(subject, keys)| {
            keys.keys().enumerate().map(move |(i, key)| ((subject.as_str(), key.as_str()), i))
        })
        .collect()
    });
    order.get(&(subject, path)).copied()
}

pub fn declaration(ty: DeclarationType, platform: Platform) -> Option<Arc<Availability>> {
    subject(ty.as_str(), platform)
}

pub fn settings_key(path: &str, platform: Platform) -> Option<Arc<Availability>> {
    key(DeclarationType::SoftwareUpdateSettings.as_str(), path, platform)
}

#[cfg(test)]
mod tests;
