//! `ddmc diff` and `ddmc build --check`: what changed between two output trees, in the words
//! an MDM admin reviews: declarations and profiles added, removed and changed (with the
//! payload keys that changed and whether devices re-sync), and per group whether its
//! DeclarationsToken moved.

pub mod git;
pub mod render;
pub mod tree;

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tree::Tree;

/// One artifact's change.
#[derive(Debug, Serialize, PartialEq)]
pub struct Change {
    pub identifier: String,
    /// A declaration's `Type`, or `profile`.
    #[serde(rename = "type")]
    pub ty: String,
    pub change: ChangeKind,
    /// The ServerToken (declarations) or content (profiles) changed: devices re-sync.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub token_changed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyChange>,
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// A payload key whose value changed; `None` where it is absent.
#[derive(Debug, Serialize, PartialEq)]
pub struct KeyChange {
    pub key: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct GroupChange {
    pub group: String,
    pub change: GroupChangeKind,
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub enum GroupChangeKind {
    Added,
    Removed,
    /// Devices in the group re-sync their declarations.
    TokenChanged,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Diff {
    pub declarations: Vec<Change>,
    pub profiles: Vec<Change>,
    pub groups: Vec<GroupChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.declarations.is_empty() && self.profiles.is_empty() && self.groups.is_empty()
    }
}

/// What changed from `old` to `new`.
pub fn diff(old: &Tree, new: &Tree) -> Diff {
    Diff {
        declarations: changes(old, new, "declarations/", ".json", declaration),
        profiles: changes(old, new, "profiles/", ".mobileconfig", profile),
        groups: groups(old, new),
    }
}

/// An artifact read from its file: its type and its keys flattened to paths.
struct Artifact {
    ty: String,
    keys: BTreeMap<String, Value>,
}

/// Artifacts are files ending in `ext` anywhere in the tree (every output format), named by
/// their path without `dir/` and `ext`: `com.example.ddm.mac.settings`, or
/// `staff/com.example.ddm.mac.settings` in a format with a folder per group.
fn changes(old: &Tree, new: &Tree, dir: &str, ext: &str, read: fn(&[u8]) -> Artifact) -> Vec<Change> {
    let artifacts = |t: &Tree| -> Vec<(String, String)> {
        t.keys()
            .filter(|p| p.ends_with(ext) && p.as_str() != "manifest.json")
            .map(|p| {
                let name = p.strip_prefix(dir).unwrap_or(p);
                (name.strip_suffix(ext).unwrap_or(name).to_owned(), p.clone())
            })
            .collect()
    };
    let mut all = artifacts(old);
    all.extend(artifacts(new));
    all.sort();
    all.dedup();
    let mut out = Vec::new();
    for (identifier, path) in all {
        let (before, after) = (old.get(&path), new.get(&path));
        let change = match (before, after) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => {
                let (a, b) = (read(a), read(b));
                let keys = key_changes(&a.keys, &b.keys);
                Change { identifier, ty: b.ty, change: ChangeKind::Changed, token_changed: true, keys }
            }
            (None, Some(b)) => {
                Change { identifier, ty: read(b).ty, change: ChangeKind::Added, token_changed: false, keys: Vec::new() }
            }
            (Some(a), None) => Change {
                identifier,
                ty: read(a).ty,
                change: ChangeKind::Removed,
                token_changed: false,
                keys: Vec::new(),
            },
            (None, None) => continue,
        };
        out.push(change);
    }
    out
}

fn key_changes(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Vec<KeyChange> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| KeyChange { key: k.clone(), old: old.get(k).map(redact(k)), new: new.get(k).map(redact(k)) })
        .collect()
}

/// A seeding token is shown as a placeholder: a diff is printed in CI logs.
fn redact(key: &str) -> impl Fn(&Value) -> Value + '_ {
    move |v| if key.ends_with(".Token") { Value::String(crate::diagnostics::REDACTED.into()) } else { v.clone() }
}

/// A declaration: its `Type`, and `Payload` flattened (`Deferrals.MajorPeriodInDays`).
fn declaration(bytes: &[u8]) -> Artifact {
    let value: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let mut keys = BTreeMap::new();
    flatten("", value.get("Payload").unwrap_or(&Value::Null), &mut keys);
    Artifact { ty: value.get("Type").and_then(Value::as_str).unwrap_or("?").to_owned(), keys }
}

/// A profile: its payloads' keys, each under its `PayloadType`
/// (`com.apple.SoftwareUpdate.AutomaticDownload`); identities and versions left out.
fn profile(bytes: &[u8]) -> Artifact {
    let mut keys = BTreeMap::new();
    let value: Option<plist::Value> = plist::from_bytes(bytes).ok();
    let payloads = value.as_ref().and_then(|v| v.as_dictionary()?.get("PayloadContent")?.as_array().cloned());
    for payload in payloads.unwrap_or_default() {
        let Some(dict) = payload.as_dictionary() else { continue };
        let ty = dict.get("PayloadType").and_then(plist::Value::as_string).unwrap_or("?").to_owned();
        for (key, v) in dict {
            if key.starts_with("Payload") {
                continue;
            }
            let json = serde_json::to_value(v).unwrap_or(Value::Null);
            flatten(&format!("{ty}.{key}"), &json, &mut keys);
        }
    }
    Artifact { ty: "profile".into(), keys }
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&path, v, out);
            }
        }
        _ if !prefix.is_empty() => {
            out.insert(prefix.to_owned(), value.clone());
        }
        _ => {}
    }
}

/// Per group: added, removed, or a DeclarationsToken that moved.
fn groups(old: &Tree, new: &Tree) -> Vec<GroupChange> {
    let tokens = |t: &Tree| -> BTreeMap<String, String> {
        let manifest: Value = t.get("manifest.json").and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
        manifest
            .get("groups")
            .and_then(Value::as_object)
            .map(|groups| {
                groups
                    .iter()
                    .map(|(g, v)| (g.clone(), v["DeclarationsToken"].as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (tokens(old), tokens(new));
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|g| {
            let change = match (a.get(g), b.get(g)) {
                (None, Some(_)) => GroupChangeKind::Added,
                (Some(_), None) => GroupChangeKind::Removed,
                (Some(x), Some(y)) if x != y => GroupChangeKind::TokenChanged,
                _ => return None,
            };
            Some(GroupChange { group: g.clone(), change })
        })
        .collect()
}
