//! Content becomes Apple's JSON payload here and nowhere else. Keys are written in the
//! order of Apple's schemas (the files keep that order; ServerTokens hash canonical JSON).

use crate::lower::{Activation, Content, Enforcement, Settings, StatusSubscriptions};
use crate::model::{BuildVersion, LocalDateTime};
use serde_json::{Map, Value, json};

/// What a payload is made from, compared as it is written: contents with equal keys have
/// equal payloads. (`Content`'s own `Eq` is not enough: `26.4` equals `26.4.0` as a version,
/// but not as a `TargetOSVersion`.) Only for the contents many policies share: settings and
/// targets; an activation names its own policy's declarations.
#[derive(PartialEq, Eq, Hash)]
pub enum Key<'a> {
    Settings(&'a Settings),
    Enforcement {
        version: (u16, u16, Option<u16>),
        build: Option<&'a BuildVersion>,
        deadline: LocalDateTime,
        details_url: Option<&'a str>,
    },
}

/// The key of `content`'s payload, where payloads are often alike.
pub fn key(content: &Content) -> Option<Key<'_>> {
    match content {
        Content::Settings(settings) => Some(Key::Settings(settings)),
        Content::Enforcement(target) => Some(Key::Enforcement {
            version: (target.version.major(), target.version.minor(), target.version.patch()),
            build: target.build.as_ref(),
            deadline: target.deadline,
            details_url: target.details_url.as_deref(),
        }),
        Content::Activation(_) | Content::StatusSubscriptions(_) => None,
    }
}

/// The payload, secrets still as their placeholders.
pub fn payload(content: &Content) -> Map<String, Value> {
    match content {
        Content::Settings(settings) => self::settings(settings),
        Content::Enforcement(target) => enforcement(target),
        Content::Activation(activation) => self::activation(activation),
        Content::StatusSubscriptions(subscriptions) => status_subscriptions(subscriptions),
    }
}

fn settings(settings: &Settings) -> Map<String, Value> {
    let mut payload = Map::new();
    for (field, value) in settings.iter() {
        insert_path(&mut payload, field.key, value.clone());
    }
    payload
}

/// Inserts `value` at a dotted Apple key path (`AutomaticActions.Download`).
fn insert_path(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = map.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = child {
                insert_path(child, rest, value);
            }
        }
    }
}

fn enforcement(target: &Enforcement) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert("TargetOSVersion".into(), json!(target.version.to_string()));
    if let Some(build) = &target.build {
        payload.insert("TargetBuildVersion".into(), json!(build.to_string()));
    }
    payload.insert("TargetLocalDateTime".into(), json!(target.deadline.to_string()));
    if let Some(url) = &target.details_url {
        payload.insert("DetailsURL".into(), json!(url));
    }
    payload
}

fn activation(activation: &Activation) -> Map<String, Value> {
    let mut payload = Map::new();
    if let Some(predicate) = &activation.predicate {
        payload.insert("Predicate".into(), Value::String(String::from(&**predicate)));
    }
    payload.insert("StandardConfigurations".into(), json!(activation.configurations));
    payload
}

fn status_subscriptions(subscriptions: &StatusSubscriptions) -> Map<String, Value> {
    let items: Vec<Value> = subscriptions.items.iter().map(|name| json!({"Name": name})).collect();
    let mut payload = Map::new();
    payload.insert("StatusItems".into(), Value::Array(items));
    payload
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OsVersion;

    fn target(version: &str, url: Option<&str>) -> Content {
        Content::Enforcement(Box::new(Enforcement {
            entry: 0,
            version: version.parse().expect("a version"),
            build: None,
            deadline: "2026-12-01T18:00:00".parse().expect("a date-time"),
            details_url: url.map(str::to_owned),
            half: None,
        }))
    }

    /// Equal keys, equal payloads; a version equal but written otherwise is another key.
    #[test]
    fn a_key_tells_payloads_apart_as_written() {
        let (short, long) = (target("26.4", None), target("26.4.0", None));
        assert_eq!("26.4".parse::<OsVersion>().ok(), "26.4.0".parse::<OsVersion>().ok());
        assert_ne!(payload(&short), payload(&long));
        assert!(key(&short) != key(&long));
        assert!(key(&short) == key(&target("26.4", None)));
        assert!(key(&short) != key(&target("26.4", Some("https://example.com"))));
        let settings = |days: u64| Content::Settings(Settings::of([("Deferrals.MajorPeriodInDays", json!(days))]));
        assert!(key(&settings(30)) == key(&settings(30)));
        assert!(key(&settings(30)) != key(&settings(31)));
        let activation = Content::Activation(Activation { predicate: None, configurations: Vec::new() });
        assert!(key(&activation).is_none());
    }
}
