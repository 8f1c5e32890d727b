//! The version model and the BSI lowering against real data written by others: GDMF `pmv`
//! captures, SOFA feeds and device status reports in `../shared/reference/samples`.
//! Skipped, with a message, when that folder is absent.

use crate::common;

use ddmc::model::{BuildVersion, OsVersion};
use ddmc::pipeline::{self, Mode};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn samples() -> Option<PathBuf> {
    common::shared("samples")
}

fn json(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn build(s: &Value) -> BuildVersion {
    s.as_str().expect("a build string").parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn version(s: &Value) -> OsVersion {
    s.as_str().expect("a version string").parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

const GDMF: &[&str] = &[
    "gdmf-pmv/sofa/gdmf_cached.2026-03-17_97f9aa09.json",
    "gdmf-pmv/sofa/gdmf_cached.2025-10-30_95f15470.json",
    "gdmf-pmv/zentral/software_lookup_service_response.2024-02-06_bbb1024f.json",
    "gdmf-pmv/zentral/software_lookup_service_response.2026-03-23_8166a4d9.json",
];

/// Entries of a `pmv` answer (some captures wrap it in `{"data": …}`) under `key`.
fn entries<'a>(pmv: &'a Value, key: &str) -> Vec<&'a Value> {
    let pmv = pmv.get("data").unwrap_or(pmv);
    pmv.get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|by_os| by_os.values())
        .flat_map(|v| v.as_array().into_iter().flatten())
        .collect()
}

const BSI_KEYS: &[&str] = &["PublicBackgroundSecurityImprovements", "PublicRapidSecurityResponses"];

#[test]
fn gdmf_os_releases_are_not_supplemental() {
    let Some(dir) = samples() else { return };
    let mut seen = 0;
    for file in GDMF {
        let pmv = json(&dir, file);
        for entry in ["PublicAssetSets", "AssetSets"].iter().flat_map(|k| entries(&pmv, k)) {
            let b = build(&entry["Build"]);
            assert!(!b.is_supplemental(), "{file}: {b}");
            version(&entry["ProductVersion"]);
            seen += 1;
        }
    }
    assert!(seen > 100, "read {seen} releases");
}

#[test]
fn gdmf_security_improvements_are_supplemental_on_a_plain_base() {
    let Some(dir) = samples() else { return };
    let mut seen = 0;
    for file in GDMF {
        let pmv = json(&dir, file);
        for entry in BSI_KEYS.iter().flat_map(|k| entries(&pmv, k)) {
            assert!(build(&entry["Build"]).is_supplemental(), "{file}: {}", entry["Build"]);
            assert!(!build(&entry["PrerequisiteBuild"]).is_supplemental());
            assert_eq!(entry["ProductVersionExtra"], "(a)");
            version(&entry["ProductVersion"]);
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "25D771400a, 25D771280a, 23D771330a, and 22E772610a twice");
}

#[test]
fn sofa_feeds_parse_and_classify() {
    let Some(dir) = samples() else { return };
    for file in ["sofa/v2/macos_data_feed.json", "sofa/v2/ios_data_feed.json"] {
        let feed = json(&dir, file);
        for release in feed["OSVersions"]
            .as_array()
            .expect("OSVersions")
            .iter()
            .flat_map(|os| os["SecurityReleases"].as_array().expect("releases"))
        {
            version(&release["ProductVersion"]);
            for b in release["AllBuilds"].as_array().into_iter().flatten() {
                assert!(!build(b).is_supplemental(), "{file}: {b}");
            }
        }
        let bsis: Vec<&Value> = feed["BackgroundSecurityImprovements"]
            .as_object()
            .expect("BSIs")
            .values()
            .flat_map(|v| v.as_array().expect("list"))
            .collect();
        assert!(!bsis.is_empty(), "{file} lists BSIs");
        for bsi in bsis {
            assert!(build(&bsi["Build"]).is_supplemental(), "{file}: {}", bsi["Build"]);
            assert!(!build(&bsi["PrerequisiteBuild"]).is_supplemental());
        }
    }
    // The v1 feeds name RSRs in their release names, with the letter: `13.4.1 (c)`.
    let v1 = json(&dir, "sofa/v1/macos_data_feed.2025-09-20_84f5f50d.json");
    let rsrs: Vec<&Value> = v1["OSVersions"]
        .as_array()
        .expect("OSVersions")
        .iter()
        .flat_map(|os| os["SecurityReleases"].as_array().expect("releases"))
        .filter(|r| r["ReleaseType"].as_str().is_some_and(|t| t.starts_with("RSR")))
        .collect();
    assert!(!rsrs.is_empty());
    for rsr in rsrs {
        version(&rsr["ProductVersion"]);
    }
}

#[test]
fn status_report_builds() {
    let Some(dir) = samples() else { return };
    let beta =
        json(&dir, "status-reports/kmfddm/A047820F-FC6B-4104-BED0-466876D82BB8.20220628-103225.001918.status.json");
    let b = build(beta.pointer("/StatusItems/device/operating-system/build-version").expect("build-version"));
    assert!(b.is_seed() && !b.is_supplemental(), "{b}: a beta build ends in a letter too");
    let rsr = json(&dir, "status-reports/zentral/status_report.json");
    let b =
        build(rsr.pointer("/StatusItems/device/operating-system/supplemental/build-version").expect("supplemental"));
    assert!(b.is_supplemental(), "{b}");
}

/// Every BSI Apple published in the March 2026 GDMF answer, enforced by a policy: each
/// becomes its base-version enforcement plus the BSI behind an exact-version activation.
#[test]
fn every_published_bsi_lowers_to_base_plus_supplemental() {
    let Some(dir) = samples() else { return };
    let pmv = json(&dir, GDMF[0]);
    let pmv = &pmv["data"]["PublicBackgroundSecurityImprovements"];
    let repo = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(repo.path().join("policies")).expect("mkdir");
    let mut expected = Vec::new();
    for (platform, list) in pmv.as_object().expect("by platform") {
        for (i, bsi) in list.as_array().expect("list").iter().enumerate() {
            let id = format!("{}-bsi-{i}", platform.to_lowercase());
            let policy = format!(
                "id: {id}\ntargets:\n  platforms: [{platform}]\nenforce:\n  - os_version: {}\n    build_version: {}\n    deadline: \"2026-04-01T09:00:00\"\n",
                bsi["ProductVersion"], bsi["Build"]
            );
            std::fs::write(repo.path().join("policies").join(format!("{id}.yaml")), policy).expect("write");
            expected.push((
                id,
                bsi["ProductVersion"].as_str().expect("version").to_string(),
                bsi["Build"].as_str().expect("build").to_string(),
            ));
        }
    }
    assert_eq!(expected.len(), 3);
    let compiled = pipeline::compile(repo.path(), Mode::Build, &|_| None).expect("compiles");
    assert!(!compiled.diagnostics.has_errors(), "{:?}", compiled.diagnostics.iter().collect::<Vec<_>>());
    let file = |name: String| -> Value {
        let f = compiled
            .files
            .iter()
            .find(|f| f.path == format!("declarations/{name}.json"))
            .unwrap_or_else(|| panic!("{name}"));
        serde_json::from_slice(&f.bytes).expect("json")
    };
    for (id, version, build) in expected {
        let base = file(format!("com.example.ddm.{id}.enforcement.1"));
        assert_eq!(base["Payload"]["TargetOSVersion"], version.as_str());
        assert!(base["Payload"].get("TargetBuildVersion").is_none(), "the base half names no build");
        let bsi = file(format!("com.example.ddm.{id}.bsi.1"));
        assert_eq!(bsi["Payload"]["TargetBuildVersion"], build.as_str());
        let activation = file(format!("com.example.ddm.{id}.activation.2"));
        let predicate = activation["Payload"]["Predicate"].as_str().expect("predicate");
        assert!(
            predicate.ends_with(&format!("@status(device.operating-system.version) == '{version}'")),
            "{predicate}"
        );
    }
}
