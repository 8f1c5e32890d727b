//! What a declaration says, in Apple's terms but not yet as JSON: readers (analysis,
//! explain, status, report) use these fields, and only `emit` writes the payload.

use crate::apple::DeclarationType;
#[cfg(test)]
use crate::apple::fields;
use crate::apple::fields::Field;
use crate::model::{BuildVersion, LocalDateTime, OsVersion};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

/// The content of each kind of declaration ddmc lowers to. As data (`Serialize`: every
/// field, a version as its text) it is what a declaration's file is made from
/// (`emit::declaration::digest`), so no field may be skipped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Content {
    Settings(Settings),
    /// Boxed: the largest content by far, and the rarest; every declaration pays for the largest.
    Enforcement(Box<Enforcement>),
    Activation(Activation),
    StatusSubscriptions(StatusSubscriptions),
}

impl Content {
    pub fn ty(&self) -> DeclarationType {
        match self {
            Content::Settings(_) => DeclarationType::SoftwareUpdateSettings,
            Content::Enforcement(_) => DeclarationType::SoftwareUpdateEnforcement,
            Content::Activation(_) => DeclarationType::ActivationSimple,
            Content::StatusSubscriptions(_) => DeclarationType::StatusSubscriptions,
        }
    }
}

/// `softwareupdate.settings`: Apple's keys, each a row of the one table
/// (`apple::fields`), with its value as Apple spells it (`"AlwaysOn"`, `30`), in the order
/// of Apple's schema. Values stay JSON because Apple's combine rules are defined on them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings(Vec<(&'static Field, Value)>);

/// Consistent with `Eq`: equal settings hash alike (an object's keys in any order).
impl Hash for Settings {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for (field, value) in &self.0 {
            field.key.hash(state);
            hash_json(value, state);
        }
    }
}

/// `serde_json::Value` has `Eq` but no `Hash`. An object hashes only its length: its `Eq`
/// ignores the order of keys, and settings hold few objects.
fn hash_json<H: Hasher>(value: &Value, state: &mut H) {
    std::mem::discriminant(value).hash(state);
    match value {
        Value::Null => {}
        Value::Bool(b) => b.hash(state),
        Value::Number(n) => n.hash(state),
        Value::String(s) => s.hash(state),
        Value::Array(items) => {
            state.write_usize(items.len());
            items.iter().for_each(|item| hash_json(item, state));
        }
        Value::Object(map) => state.write_usize(map.len()),
    }
}

impl Settings {
    pub fn with_capacity(keys: usize) -> Settings {
        Settings(Vec::with_capacity(keys))
    }

    /// Adds a key; keys come in the order they are to be written.
    pub fn push(&mut self, field: &'static Field, value: Value) {
        self.0.push((field, value));
    }

    /// The value of an Apple key path (`AutomaticActions.Download`).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(field, _)| field.key == key).map(|(_, value)| value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static Field, &Value)> {
        self.0.iter().map(|(field, value)| (*field, value))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Any of the `Beta` keys (the beta-enrollment status item follows them).
    pub fn sets_beta(&self) -> bool {
        self.0.iter().any(|(field, _)| field.path.contains(&"beta"))
    }

    /// A settings set from Apple key paths, for tests.
    #[cfg(test)]
    pub(crate) fn of(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Settings {
        Settings(
            entries.into_iter().map(|(key, value)| (fields::by_key(key).expect("a key of the table"), value)).collect(),
        )
    }
}

/// Each Apple key path with its value, in order: all a settings payload is made from.
impl Serialize for Settings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(field, value)| (field.key, value)))
    }
}

/// `softwareupdate.enforcement.specific`: one target of one `enforce` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enforcement {
    /// The policy's `enforce` entry it comes from (from 0): where its messages point.
    pub entry: usize,
    /// `TargetOSVersion`.
    pub version: OsVersion,
    /// `TargetBuildVersion`; the base half of a BSI has none (the build is the BSI's).
    pub build: Option<BuildVersion>,
    /// `TargetLocalDateTime`.
    pub deadline: LocalDateTime,
    /// `DetailsURL`.
    pub details_url: Option<String>,
    /// `None` for a plain target; a BSI entry lowers to two declarations that name each other.
    pub half: Option<Half>,
}

impl Enforcement {
    /// The BSI half: only devices at exactly its base version get it.
    pub fn is_bsi(&self) -> bool {
        matches!(self.half, Some(Half::Bsi { .. }))
    }
}

/// Apple installs a BSI only on a device already at its base version: the base version is
/// one declaration, the BSI build another, and each knows the other's Identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Half {
    /// The base version, for every device below it.
    Base { bsi: String },
    /// The BSI build, for devices at exactly the base version.
    Bsi { base: String },
}

/// `activation.simple`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activation {
    /// `Predicate` as Apple reads it (rendered once, when activations are grouped by it);
    /// `None` activates on every device.
    pub predicate: Option<std::sync::Arc<str>>,
    /// `StandardConfigurations`: Identifiers of the configurations it activates.
    pub configurations: Vec<String>,
}

/// `management.status-subscriptions`: the status items' names, in name order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusSubscriptions {
    pub items: BTreeSet<&'static str>,
}
