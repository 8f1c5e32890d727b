//! The table above, checked against Apple's YAML with the inheritance rule.

use super::*;
use crate::parse::{Node, parse_yaml};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn reference() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/apple-device-management");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn load(dir: &PathBuf, file: &str) -> Node {
    let text = std::fs::read_to_string(dir.join(file)).expect("readable Apple schema");
    parse_yaml(&text).unwrap_or_else(|e| panic!("{file}: {}", e.message))
}

/// Per platform name: field -> value, as text.
type Support = BTreeMap<String, BTreeMap<String, Node>>;

fn overlay(base: &mut Support, supported: Option<&Node>) {
    for entry in supported.and_then(Node::as_map).unwrap_or_default() {
        let os = base.entry(entry.key.clone()).or_default();
        for field in entry.value.as_map().unwrap_or_default() {
            os.insert(field.key.clone(), field.value.clone());
        }
    }
}

fn expected(support: &Support, platform: Platform) -> Option<(u16, u16, bool)> {
    let os = support.get(platform.as_str())?;
    let introduced = os.get("introduced")?.as_str()?;
    if introduced == "n/a" {
        return None;
    }
    let version: OsVersion = introduced.parse().expect("Apple version");
    let enrollments: Vec<&str> = os
        .get("allowed-enrollments")
        .and_then(Node::as_seq)
        .map(|s| s.iter().filter_map(Node::as_str).collect())
        .unwrap_or_default();
    Some((version.major(), version.minor(), enrollments == ["supervised"]))
}

fn walk(keys: &[Node], prefix: &str, inherited: &Support, out: &mut BTreeMap<String, Support>) {
    for key in keys {
        let name = key.get("key").and_then(Node::as_str).expect("key name");
        let mut support = inherited.clone();
        overlay(&mut support, key.get("supportedOS"));
        let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        match key.get("subkeys").and_then(Node::as_seq) {
            // An array's single subkey is a placeholder for its items, not a key.
            // A dictionary with a combine rule (`RequireProgram`) is one value, not a section.
            Some(sub)
                if key.get("type").and_then(Node::as_str) == Some("<dictionary>")
                    && key.get("combinetype").is_none() =>
            {
                walk(sub, &path, &support, out)
            }
            _ => {
                out.insert(path, support);
            }
        }
    }
}

#[test]
fn settings_keys_match_apple() {
    let Some(dir) = reference() else { return };
    let doc = load(&dir, "declarative/declarations/configurations/softwareupdate.settings.yaml");
    let mut base = Support::new();
    overlay(&mut base, doc.pointer(&["payload", "supportedOS"]));
    let mut derived = BTreeMap::new();
    walk(doc.get("payloadkeys").and_then(Node::as_seq).expect("payloadkeys"), "", &base, &mut derived);
    let ours: Vec<&str> = SETTINGS_KEYS.iter().map(|(p, _)| *p).collect();
    let theirs: Vec<&str> = derived.keys().map(String::as_str).collect();
    let mut sorted = ours.clone();
    sorted.sort();
    assert_eq!(sorted, theirs, "the table lists exactly Apple's leaf keys");
    for (path, row) in SETTINGS_KEYS {
        for (index, platform) in Platform::ALL.iter().enumerate() {
            assert_eq!(row[index], expected(&derived[*path], *platform), "{path} on {platform}");
        }
    }
}

#[test]
fn declarations_match_apple() {
    let Some(dir) = reference() else { return };
    let files = [
        (
            DeclarationType::SoftwareUpdateSettings,
            "declarative/declarations/configurations/softwareupdate.settings.yaml",
        ),
        (
            DeclarationType::SoftwareUpdateEnforcement,
            "declarative/declarations/configurations/softwareupdate.enforcement.specific.yaml",
        ),
        (
            DeclarationType::StatusSubscriptions,
            "declarative/declarations/configurations/management.status-subscriptions.yaml",
        ),
        (DeclarationType::ActivationSimple, "declarative/declarations/activations/simple.yaml"),
    ];
    for (ty, file) in files {
        let doc = load(&dir, file);
        let mut support = Support::new();
        overlay(&mut support, doc.pointer(&["payload", "supportedOS"]));
        for platform in Platform::ALL {
            let ours =
                declaration(ty, platform).map(|a| (a.introduced.major(), a.introduced.minor(), a.supervised_only));
            let mut theirs = expected(&support, platform);
            // Activations have no enrollment list: nothing is supervised-only.
            if ty.is_activation() {
                theirs = theirs.map(|(a, b, _)| (a, b, false));
            }
            assert_eq!(ours, theirs, "{} on {platform}", ty.short());
        }
    }
}
