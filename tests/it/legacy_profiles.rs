//! Legacy profiles: they parse back with a plist reader to what was meant, validate against
//! Apple's profile schemas, can be installed by hand on a Mac, and follow `legacy_profiles`.

use crate::common;

use common::repo;
use ddmc::apple::schemas::violations;
use ddmc::apple::support;
use ddmc::model::Platform;
use ddmc::pipeline::{self, Compilation, Mode};
use serde_json::{Value, json};
use std::path::Path;

fn compile(repo: &Path) -> Compilation {
    let compiled = pipeline::compile(repo, Mode::Check, &|_| Some("token".into())).expect("compiles");
    assert!(!compiled.diagnostics.has_errors(), "{:?}", compiled.diagnostics.iter().collect::<Vec<_>>());
    compiled
}

/// Every profile of a compilation, read back with the plist crate, as JSON.
fn profiles(compiled: &Compilation) -> Vec<(String, Value)> {
    compiled
        .files
        .iter()
        .filter(|f| f.path.ends_with(".mobileconfig"))
        .map(|f| {
            let plist: plist::Value = plist::from_bytes(&f.bytes).unwrap_or_else(|e| panic!("{}: {e}", f.path));
            (f.path.clone(), to_json(plist))
        })
        .collect()
}

fn to_json(value: plist::Value) -> Value {
    match value {
        plist::Value::Dictionary(d) => Value::Object(d.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
        plist::Value::Array(a) => Value::Array(a.into_iter().map(to_json).collect()),
        plist::Value::Boolean(b) => json!(b),
        plist::Value::Integer(i) => json!(i.as_signed().expect("integer")),
        plist::Value::String(s) => json!(s),
        other => panic!("unexpected plist value {other:?}"),
    }
}

fn fixtures() -> Vec<Compilation> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    vec![compile(root), compile(&root.join("tests/fixtures/build/every-field/repo"))]
}

#[test]
fn every_profile_parses_back_and_validates_against_apple() {
    let mut seen = 0;
    for compiled in fixtures() {
        for (path, top) in profiles(&compiled) {
            assert_eq!(violations("TopLevel", &top), Vec::<String>::new(), "{path}");
            for payload in top["PayloadContent"].as_array().expect("content") {
                let ty = payload["PayloadType"].as_str().expect("type");
                assert_eq!(violations(ty, payload), Vec::<String>::new(), "{path}: {ty}");
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "two shipped, three in the fixture");
}

#[test]
fn organisation_text_is_escaped_and_reads_back() {
    let compiled = compile(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build/every-field/repo"));
    let (_, top) = profiles(&compiled).into_iter().next().expect("a profile");
    assert_eq!(top["PayloadOrganization"], json!("Fixture & Sons <IT>"));
    let raw = compiled.files.iter().find(|f| f.path.ends_with(".mobileconfig")).expect("file");
    assert!(String::from_utf8_lossy(&raw.bytes).contains("Fixture &amp; Sons &lt;IT&gt;"));
}

/// Seed fact: a local administrator can install a Mac profile by hand. Every payload type
/// ddmc writes allows manual installation on macOS, and no MDM-only key is set.
#[test]
fn mac_profiles_can_be_installed_by_hand() {
    assert!(support::key("TopLevel", "PayloadScope", Platform::MacOS).is_some());
    for payload in ["com.apple.applicationaccess", "com.apple.SoftwareUpdate"] {
        assert!(support::subject(payload, Platform::MacOS).expect(payload).manual_install, "{payload}");
    }
    for compiled in fixtures() {
        for (path, top) in profiles(&compiled).into_iter().filter(|(p, _)| !p.ends_with(".ios.mobileconfig")) {
            for mdm_only in ["PayloadRemovalDisallowed", "HasRemovalPasscode", "IsEncrypted", "RemovalDate"] {
                assert!(top.get(mdm_only).is_none(), "{path}: {mdm_only}");
            }
        }
    }
}

#[test]
fn the_contract_mapping() {
    let dir = repo(&[(
        "policies/mac.yaml",
        "id: mac\ntargets:\n  platforms: [macOS]\nbackground_security_improvements:\n  automatic_install: always_off\n  user_install: false\n  user_removal: true\nsoftware_updates:\n  automatic_download: allowed\n  automatic_install: always_on\n  deferrals:\n    major_days: 60\n    minor_days: 5\n    system_days: 3\n",
    )]);
    let compiled = compile(dir.path());
    let (_, top) = profiles(&compiled).into_iter().next().expect("profile");
    let content = top["PayloadContent"].as_array().expect("content");
    let restrictions = &content[0];
    assert_eq!(restrictions["PayloadType"], json!("com.apple.applicationaccess"));
    for (key, value) in [
        ("allowRapidSecurityResponseInstallation", json!(false)),
        ("allowRapidSecurityResponseRemoval", json!(true)),
        ("forceDelayedMajorSoftwareUpdates", json!(true)),
        ("enforcedSoftwareUpdateMajorOSDeferredInstallDelay", json!(60)),
        ("forceDelayedSoftwareUpdates", json!(true)),
        ("enforcedSoftwareUpdateMinorOSDeferredInstallDelay", json!(5)),
        ("forceDelayedAppSoftwareUpdates", json!(true)),
        ("enforcedSoftwareUpdateNonOSDeferredInstallDelay", json!(3)),
    ] {
        assert_eq!(restrictions[key], value, "{key}");
    }
    let software_update = &content[1];
    assert_eq!(software_update["PayloadType"], json!("com.apple.SoftwareUpdate"));
    assert_eq!(software_update["CriticalUpdateInstall"], json!(false), "always_off");
    assert_eq!(software_update["AutomaticallyInstallMacOSUpdates"], json!(true), "always_on");
    assert!(software_update.get("AutomaticDownload").is_none(), "`allowed` leaves the user's choice");
    assert_eq!(top["PayloadScope"], json!("System"));
}

#[test]
fn platforms_share_a_profile_only_when_their_payloads_agree() {
    let shared = repo(&[(
        "policies/p.yaml",
        "id: both\ntargets:\n  platforms: [macOS, iOS]\nbackground_security_improvements:\n  user_removal: false\n",
    )]);
    let paths: Vec<String> = profiles(&compile(shared.path())).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["profiles/com.example.ddm.both.legacy.mobileconfig"]);
    let split = repo(&[(
        "policies/p.yaml",
        "id: both\ntargets:\n  platforms: [macOS, iOS]\nsoftware_updates:\n  deferrals:\n    combined_days: 9\n    minor_days: 9\n",
    )]);
    let profiles = profiles(&compile(split.path()));
    let paths: Vec<&str> = profiles.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "profiles/com.example.ddm.both.legacy.ios.mobileconfig",
            "profiles/com.example.ddm.both.legacy.macos.mobileconfig"
        ]
    );
    let ios = &profiles[0].1;
    assert_eq!(ios["PayloadContent"][0]["enforcedSoftwareUpdateDelay"], json!(9));
    assert!(ios.get("PayloadScope").is_none(), "PayloadScope is macOS-only");
}

#[test]
fn legacy_profiles_never_emits_none() {
    let dir = repo(&[
        ("ddmc.yaml", "legacy_profiles: never\n"),
        (
            "policies/p.yaml",
            "id: mac\ntargets:\n  platforms: [macOS]\nbackground_security_improvements:\n  user_removal: false\n",
        ),
    ]);
    let compiled = compile(dir.path());
    assert!(compiled.files.iter().all(|f| !f.path.starts_with("profiles/")));
    let manifest: Value =
        serde_json::from_slice(&compiled.files.iter().find(|f| f.path == "manifest.json").expect("manifest").bytes)
            .expect("json");
    assert!(manifest["artifacts"].as_array().expect("artifacts").iter().all(|a| a["kind"] == "declaration"));
}

#[test]
fn manifest_records_reach_and_supervision() {
    let compiled = compile(Path::new(env!("CARGO_MANIFEST_DIR")));
    let manifest: Value =
        serde_json::from_slice(&compiled.files.iter().find(|f| f.path == "manifest.json").expect("manifest").bytes)
            .expect("json");
    let ios = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|a| a["PayloadIdentifier"] == "com.example.ddm.iphone-ipad-fleet.legacy")
        .expect("iOS profile");
    assert_eq!(ios["os_range"], json!([{"platform": "iOS", "min": "16.0", "below": "18.0"}]));
    assert_eq!(ios["supervised_only"]["iOS"], json!(["forceDelayedSoftwareUpdates", "enforcedSoftwareUpdateDelay"]));
    assert_eq!(
        manifest["groups"]["kiosks"]["profiles"],
        json!(["com.example.ddm.iphone-ipad-fleet.legacy", "com.example.ddm.mac-security-baseline.legacy"])
    );
}

/// Apple's `supportedOS` for `forceDelayedAppSoftwareUpdates` says nothing of supervision, its
/// description says "Requires a supervised device": the manifest takes the cautious reading.
#[test]
fn system_deferral_is_listed_as_supervised_only() {
    let dir = repo(&[(
        "policies/mac.yaml",
        "id: mac\ntargets:\n  platforms: [macOS]\nsoftware_updates:\n  deferrals:\n    system_days: 3\n",
    )]);
    let compiled = compile(dir.path());
    let manifest = compiled.files.iter().find(|f| f.path == "manifest.json").expect("manifest");
    let manifest: Value = serde_json::from_slice(&manifest.bytes).expect("json");
    let text = manifest.to_string();
    let profile = manifest["artifacts"]
        .as_array()
        .or_else(|| manifest["declarations"].as_array())
        .and_then(|all| all.iter().find(|a| a["kind"] == json!("profile")))
        .unwrap_or_else(|| panic!("a profile in {text}"));
    let supervised = profile["supervised_only"].to_string();
    assert!(supervised.contains("forceDelayedAppSoftwareUpdates"), "{supervised}");
}
