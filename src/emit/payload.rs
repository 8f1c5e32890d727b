//! Content becomes Apple's JSON payload here and nowhere else. Keys are written in the
//! order of Apple's schemas (the files keep that order; ServerTokens hash canonical JSON).

use crate::lower::{Activation, Content, Enforcement, Settings, StatusSubscriptions};
use serde_json::{Map, Value, json};

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
