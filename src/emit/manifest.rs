//! `manifest.json`: what an MDM importer needs to serve the declarations: every artifact
//! with its origin and reach, and per group the declarations it gets and their
//! `DeclarationsToken`.

use super::canonical::token;
use crate::lower::{Declaration, OsRange};
use crate::model::GROUP_ALL;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Marks an output folder as ddmc's, so that a build never replaces anything else.
pub const GENERATOR: &str = "ddmc";

/// A declaration with its ServerToken and file.
pub struct Emitted<'a> {
    pub declaration: &'a Declaration,
    pub server_token: String,
    pub path: String,
}

pub fn render(prefix: &str, emitted: &[Emitted<'_>]) -> Value {
    let artifacts: Vec<Value> = emitted.iter().map(artifact).collect();
    json!({
        "generator": GENERATOR,
        "format": 1,
        "identifier_prefix": prefix,
        "artifacts": artifacts,
        "groups": groups(emitted),
    })
}

fn artifact(e: &Emitted<'_>) -> Value {
    let d = e.declaration;
    let mut a = Map::new();
    a.insert("kind".into(), json!("declaration"));
    a.insert("Type".into(), json!(d.ty.as_str()));
    a.insert("Identifier".into(), json!(d.identifier));
    a.insert("ServerToken".into(), json!(e.server_token));
    a.insert("path".into(), json!(e.path));
    match &d.origin {
        Some(origin) => {
            a.insert("policy".into(), json!(origin.policy));
            a.insert("source".into(), json!(origin.source));
            a.insert("groups".into(), json!(origin.groups));
        }
        None => {
            a.insert("groups".into(), json!([GROUP_ALL]));
        }
    }
    let platforms: BTreeSet<&str> = d.applies_to.iter().map(|r| r.platform.as_str()).collect();
    a.insert("platforms".into(), json!(platforms));
    a.insert("os_range".into(), Value::Array(d.applies_to.iter().map(os_range).collect()));
    if !d.supervised_keys.is_empty() {
        let mut by_platform: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (platform, key) in &d.supervised_keys {
            by_platform.entry(platform.as_str()).or_default().push(key);
        }
        a.insert("supervised_only".into(), json!(by_platform));
    }
    Value::Object(a)
}

fn os_range(range: &OsRange) -> Value {
    match &range.exactly {
        Some(v) => json!({"platform": range.platform.as_str(), "min": v.to_string(), "max": v.to_string()}),
        None => json!({"platform": range.platform.as_str(), "min": range.min.to_string()}),
    }
}

/// Per group: the declarations a device in it receives (`all`'s, plus its own) and the
/// `DeclarationsToken` over their Identifiers and ServerTokens.
fn groups(emitted: &[Emitted<'_>]) -> Value {
    let reaches = |e: &Emitted<'_>, group: &str| match &e.declaration.origin {
        None => true,
        Some(origin) => origin.groups.iter().any(|g| g == GROUP_ALL || g == group),
    };
    let mut names: BTreeSet<&str> = BTreeSet::from([GROUP_ALL]);
    names.extend(
        emitted.iter().filter_map(|e| e.declaration.origin.as_ref()).flat_map(|o| o.groups.iter().map(String::as_str)),
    );
    let mut out = Map::new();
    for group in names {
        let mut members: Vec<&Emitted<'_>> = emitted.iter().filter(|e| reaches(e, group)).collect();
        members.sort_by(|a, b| a.declaration.identifier.cmp(&b.declaration.identifier));
        let parts: Vec<&str> =
            members.iter().flat_map(|e| [e.declaration.identifier.as_str(), e.server_token.as_str()]).collect();
        let identifiers: Vec<&str> = members.iter().map(|e| e.declaration.identifier.as_str()).collect();
        out.insert(group.to_string(), json!({"declarations": identifiers, "DeclarationsToken": token(&parts)}));
    }
    Value::Object(out)
}
