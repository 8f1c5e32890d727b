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
    // One merged profile per group and platform: shipped, Macs in `all`, `kiosks`,
    // `production`, `staff` and iPhones in `kiosks`, `staff`; in the fixture, Macs in `all`,
    // `engineering`, `pilot`, `staff` and iPhones in `staff`.
    assert_eq!(seen, 11);
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
        for (path, top) in profiles(&compiled).into_iter().filter(|(p, _)| !p.contains(".legacy.ios.")) {
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
fn one_profile_per_group_and_platform() {
    let dir = repo(&[(
        "policies/p.yaml",
        "id: both\ntargets:\n  platforms: [macOS, iOS]\nsoftware_updates:\n  deferrals:\n    combined_days: 9\n    minor_days: 9\n",
    )]);
    let profiles = profiles(&compile(dir.path()));
    let paths: Vec<&str> = profiles.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "profiles/com.example.ddm.legacy.ios.all.mobileconfig",
            "profiles/com.example.ddm.legacy.macos.all.mobileconfig"
        ]
    );
    let ios = &profiles[0].1;
    assert_eq!(ios["PayloadContent"][0]["enforcedSoftwareUpdateDelay"], json!(9));
    assert!(ios.get("PayloadScope").is_none(), "PayloadScope is macOS-only");
}

fn manifest(compiled: &Compilation) -> Value {
    serde_json::from_slice(&compiled.files.iter().find(|f| f.path == "manifest.json").expect("manifest").bytes)
        .expect("json")
}

const BASELINE: &str = "id: baseline\ndescription: Every Mac\ntargets:\n  platforms: [macOS]\nbackground_security_improvements:\n  user_removal: false\nsoftware_updates:\n  automatic_download: always_on\n";

/// The issue: a baseline for `all` and a policy for `staff` that both set a
/// `com.apple.SoftwareUpdate` key gave a staff Mac two such payloads; Apple allows one.
#[test]
fn a_staff_mac_holds_one_software_update_payload() {
    let staff = "id: staff-macs\ntargets:\n  platforms: [macOS]\n  groups: [staff]\nsoftware_updates:\n  automatic_install: always_on\n  deferrals:\n    major_days: 30\n";
    let dir = repo(&[("policies/baseline.yaml", BASELINE), ("policies/staff.yaml", staff)]);
    let compiled = compile(dir.path());
    assert!(compiled.diagnostics.iter().all(|d| d.code != ddmc::diagnostics::Code::Conflict));
    let profiles = profiles(&compiled);
    let paths: Vec<&str> = profiles.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "profiles/com.example.ddm.legacy.macos.all.mobileconfig",
            "profiles/com.example.ddm.legacy.macos.staff.mobileconfig"
        ]
    );
    let staff_profile = &profiles[1].1;
    let content = staff_profile["PayloadContent"].as_array().expect("content");
    let types: Vec<&str> = content.iter().map(|p| p["PayloadType"].as_str().expect("type")).collect();
    assert_eq!(types, ["com.apple.applicationaccess", "com.apple.SoftwareUpdate"]);
    assert_eq!(content[0]["allowRapidSecurityResponseRemoval"], json!(false), "from `all`");
    assert_eq!(content[0]["enforcedSoftwareUpdateMajorOSDeferredInstallDelay"], json!(30), "the group's own");
    assert_eq!(content[1]["AutomaticDownload"], json!(true), "from `all`");
    assert_eq!(content[1]["AutomaticallyInstallMacOSUpdates"], json!(true), "the group's own");
    let description = staff_profile["PayloadDescription"].as_str().expect("description");
    assert!(description.ends_with("merged from:\nbaseline: Every Mac\nstaff-macs"), "{description}");
    let all = &profiles[0].1["PayloadContent"];
    assert!(all[1].get("AutomaticallyInstallMacOSUpdates").is_none(), "`all` has only its own");

    let manifest = manifest(&compiled);
    assert_eq!(manifest["groups"]["staff"]["profiles"], json!(["com.example.ddm.legacy.macos.staff"]));
    assert_eq!(manifest["groups"]["all"]["profiles"], json!(["com.example.ddm.legacy.macos.all"]));
    let entry = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|a| a["PayloadIdentifier"] == "com.example.ddm.legacy.macos.staff")
        .expect("staff profile");
    assert_eq!(entry["groups"], json!(["staff"]));
    assert_eq!(
        entry["policies"],
        json!([
            {"policy": "baseline", "source": "policies/baseline.yaml"},
            {"policy": "staff-macs", "source": "policies/staff.yaml"}
        ])
    );
    assert_eq!(entry["PayloadUUID"], json!(ddmc::emit::profile::uuid_for("com.example.ddm.legacy.macos.staff")));
}

/// Contradictory legacy values: a `conflict` warning naming both places, Apple's rule and
/// the value the device gets.
#[test]
fn legacy_disagreements_are_conflicts() {
    let staff = "id: staff-macs\ntargets:\n  platforms: [macOS]\n  groups: [staff]\nbackground_security_improvements:\n  user_removal: true\nsoftware_updates:\n  automatic_download: always_off\n";
    let dir = repo(&[("policies/baseline.yaml", BASELINE), ("policies/staff.yaml", staff)]);
    let compiled = compile(dir.path());
    let conflicts: Vec<&ddmc::diagnostics::Diagnostic> =
        compiled.diagnostics.iter().filter(|d| d.code == ddmc::diagnostics::Code::Conflict).collect();
    // Two for macOS 13-14 here; the declarations' own for macOS 15 and later are the same
    // as before this change.
    let conflicts: Vec<_> = conflicts.into_iter().filter(|d| d.message.contains("RSR-era")).collect();
    assert_eq!(conflicts.len(), 2, "{conflicts:#?}");
    let removal = conflicts.iter().find(|d| d.message.contains("user_removal")).expect("user_removal");
    assert_eq!(
        removal.message,
        "policies disagree on `background_security_improvements.user_removal` for RSR-era devices: `baseline` sets `false`, `staff-macs` sets `true`"
    );
    assert_eq!(
        removal.location.as_ref().map(|l| (l.file.as_str(), l.span.start.line)),
        Some(("policies/baseline.yaml", 6))
    );
    assert_eq!(removal.related[0].location.file, "policies/staff.yaml");
    assert!(removal.notes.iter().any(|n| n.contains("most-restrictive-wins")), "{:?}", removal.notes);
    assert!(
        removal.notes.iter().any(|n| n.contains("group `staff`, macOS 13.0 to before 15.0")),
        "{:?}",
        removal.notes
    );
    assert_eq!(
        removal.help.as_deref(),
        Some("the device gets `false`; make the policies agree, or narrow their groups")
    );
    let download = conflicts.iter().find(|d| d.message.contains("automatic_download")).expect("automatic_download");
    assert!(download.notes.iter().any(|n| n.contains("`multiple: false`")), "{:?}", download.notes);
    assert_eq!(
        download.help.as_deref(),
        Some("the device gets `false`; make the policies agree, or narrow their groups")
    );
    let (_, staff_profile) = profiles(&compiled).pop().expect("staff profile");
    assert_eq!(staff_profile["PayloadContent"][0]["allowRapidSecurityResponseRemoval"], json!(false));
    assert_eq!(staff_profile["PayloadContent"][1]["AutomaticDownload"], json!(false));
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
        .find(|a| a["PayloadIdentifier"] == "com.example.ddm.legacy.ios.kiosks")
        .expect("iOS profile");
    assert_eq!(ios["os_range"], json!([{"platform": "iOS", "min": "16.0", "below": "18.0"}]));
    assert_eq!(ios["supervised_only"]["iOS"], json!(["forceDelayedSoftwareUpdates", "enforcedSoftwareUpdateDelay"]));
    assert_eq!(
        manifest["groups"]["kiosks"]["profiles"],
        json!(["com.example.ddm.legacy.ios.kiosks", "com.example.ddm.legacy.macos.kiosks"])
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
