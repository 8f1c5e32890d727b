//! The generated Apple schemas accept every declaration ddmc emits, and reject one
//! mutation of each kind: so self-validation can catch what it is meant to catch.

use ddmc::apple::schemas::violations;
use ddmc::pipeline::{self, Mode};
use serde_json::{Value, json};
use std::path::Path;

/// Every declaration of a compiled repository, by Identifier.
fn declarations(repo: &Path) -> Vec<Value> {
    let compiled = pipeline::compile(repo, Mode::Check, &|_| Some("token".into())).expect("compiles");
    assert!(!compiled.diagnostics.has_errors());
    compiled
        .files
        .iter()
        .filter(|f| f.path.starts_with("declarations/"))
        .map(|f| serde_json::from_slice(&f.bytes).expect("json"))
        .collect()
}

fn all() -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = declarations(root);
    all.extend(declarations(&root.join("tests/fixtures/build/every-field/repo")));
    all
}

fn of_type(ty: &str) -> Value {
    all().into_iter().find(|d| d["Type"] == ty).unwrap_or_else(|| panic!("no {ty}"))
}

fn ty(d: &Value) -> String {
    d["Type"].as_str().expect("Type").to_string()
}

/// `mutate` breaks `d`; the schema must say so, at `path`.
fn rejected(mut d: Value, path: &str, mutate: impl FnOnce(&mut Value)) {
    mutate(&mut d);
    let problems = violations(&ty(&d), &d);
    assert!(problems.iter().any(|p| p.starts_with(path)), "expected a violation at {path}, got {problems:?}\n{d:#}");
}

const SETTINGS: &str = "com.apple.configuration.softwareupdate.settings";
const ENFORCEMENT: &str = "com.apple.configuration.softwareupdate.enforcement.specific";

#[test]
fn everything_ddmc_emits_is_valid() {
    let all = all();
    assert!(all.len() > 30);
    for d in &all {
        assert_eq!(violations(&ty(d), d), Vec::<String>::new(), "{d:#}");
    }
    let types: std::collections::BTreeSet<String> = all.iter().map(ty).collect();
    assert_eq!(types.len(), 4, "every declaration type is covered: {types:?}");
}

#[test]
fn unknown_key_is_rejected() {
    rejected(of_type(SETTINGS), "/Payload", |d| d["Payload"]["Bogus"] = json!(true));
    // Fleet's sample writes `Enabled`; Apple's key is `Enable`.
    rejected(of_type(SETTINGS), "/Payload/RapidSecurityResponse", |d| {
        d["Payload"]["RapidSecurityResponse"] = json!({"Enabled": true})
    });
}

#[test]
fn wrong_type_is_rejected() {
    rejected(of_type(SETTINGS), "/Payload/Notifications", |d| d["Payload"]["Notifications"] = json!("true"));
}

#[test]
fn wrong_enum_case_is_rejected() {
    rejected(of_type(SETTINGS), "/Payload/AutomaticActions/Download", |d| {
        d["Payload"]["AutomaticActions"]["Download"] = json!("alwaysOn")
    });
}

#[test]
fn out_of_range_is_rejected() {
    rejected(of_type(SETTINGS), "/Payload/Deferrals/MajorPeriodInDays", |d| {
        d["Payload"]["Deferrals"] = json!({"MajorPeriodInDays": 91})
    });
}

#[test]
fn missing_required_is_rejected() {
    rejected(of_type(ENFORCEMENT), "/Payload", |d| {
        d["Payload"].as_object_mut().expect("payload").remove("TargetLocalDateTime");
    });
    rejected(of_type(ENFORCEMENT), "", |d| {
        d.as_object_mut().expect("declaration").remove("ServerToken");
    });
}

#[test]
fn bad_array_item_is_rejected() {
    rejected(of_type("com.apple.configuration.management.status-subscriptions"), "/Payload/StatusItems/0", |d| {
        d["Payload"]["StatusItems"][0] = json!({"Nome": "device.operating-system.version"})
    });
    rejected(of_type("com.apple.activation.simple"), "/Payload/StandardConfigurations/0", |d| {
        d["Payload"]["StandardConfigurations"][0] = json!(7)
    });
}

#[test]
fn a_payload_under_the_wrong_type_is_rejected() {
    let mut d = of_type(SETTINGS);
    d["Type"] = json!(ENFORCEMENT);
    let problems = violations(SETTINGS, &d);
    assert!(problems.iter().any(|p| p.starts_with("/Type")), "{problems:?}");
    assert!(!violations(ENFORCEMENT, &d).is_empty(), "nor is it a valid enforcement");
}
