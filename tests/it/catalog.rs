//! Apple's catalog read from real GDMF captures (`../shared/reference/samples/gdmf-pmv/`, read
//! in place): what `latest`, `major`, `below` and BSI `latest` pick on several as-of dates, and
//! why; the checks on explicit targets.

use crate::common;
use ddmc::catalog::{self, Catalog, VersionCheck};
use ddmc::model::{OsVersion, Platform};

const MARCH_2026: &str = "gdmf-pmv/sofa/gdmf_cached.2026-03-17_97f9aa09.json";
const OCTOBER_2025: &str = "gdmf-pmv/sofa/gdmf_cached.2025-10-30_95f15470.json";
const ZENTRAL_2024: &str = "gdmf-pmv/zentral/software_lookup_service_response.2024-02-06_bbb1024f.json";
const ZENTRAL_2026: &str = "gdmf-pmv/zentral/software_lookup_service_response.2026-03-23_8166a4d9.json";

fn text(relative: &str) -> Option<String> {
    let path = common::shared(&format!("samples/{relative}"))?;
    Some(std::fs::read_to_string(path).expect("sample reads"))
}

/// The capture as it is (as-of: its newest posting date).
fn capture(relative: &str) -> Option<Catalog> {
    Some(catalog::parse(&text(relative)?).expect("a real capture parses"))
}

/// The capture's pmv in ddmc's wrapper, fetched on `day`.
fn fetched(relative: &str, day: &str) -> Option<Catalog> {
    let cache: serde_json::Value = serde_json::from_str(&text(relative)?).expect("json");
    let wrapper = serde_json::json!({
        "fetched": format!("{day}T06:00:00Z"),
        "source": "https://gdmf.apple.com/v2/pmv",
        "pmv": cache["data"],
    });
    Some(catalog::parse(&wrapper.to_string()).expect("wrapper parses"))
}

fn v(s: &str) -> OsVersion {
    s.parse().expect("version")
}

/// `below: "27"` is 27.0.
fn latest(c: &Catalog, platform: Platform, major: Option<u16>, below: Option<&str>) -> String {
    match c.latest(platform, major, below.map(|b| v(&format!("{b}.0")))) {
        Ok(l) => l.rule,
        Err(e) => e,
    }
}

#[test]
fn latest_in_march_2026() {
    let Some(c) = capture(MARCH_2026) else { return };
    assert_eq!(c.as_of.to_string(), "2026-03-17", "newest PostingDate: the BSIs");
    let table = [
        (
            latest(&c, Platform::MacOS, None, None),
            "latest on 2026-03-17: 26.3.1, released 2026-03-11; 26.3.2 skipped: device-specific: for 1 macOS device only, all also served by 26.3.1",
        ),
        (
            latest(&c, Platform::MacOS, None, Some("27")),
            "latest below 27 on 2026-03-17: 26.3.1, released 2026-03-11; 26.3.2 skipped: device-specific: for 1 macOS device only, all also served by 26.3.1",
        ),
        (latest(&c, Platform::MacOS, Some(15), None), "latest 15.x on 2026-03-17: 15.7.4, released 2026-03-11"),
        (latest(&c, Platform::MacOS, None, Some("15")), "latest below 15 on 2026-03-17: 14.8.4, released 2026-03-11"),
        (latest(&c, Platform::IOS, None, None), "latest on 2026-03-17: 26.3.1, released 2026-03-11"),
        // The contract's rule taken as written: 18.7.4 to 18.7.6 each serve a subset of the
        // devices of 18.7.3, so `latest` stays on 18.7.3 (devices already newer satisfy it).
        (
            latest(&c, Platform::IOS, Some(18), None),
            "latest 18.x on 2026-03-17: 18.7.3, released 2025-12-12; 18.7.6 skipped: device-specific: for 4 iOS devices only, all also served by 18.7.5; 18.7.5 skipped: device-specific: for 6 iOS devices only, all also served by 18.7.3; 18.7.4 skipped: device-specific: for 6 iOS devices only, all also served by 18.7.3",
        ),
        (latest(&c, Platform::TvOS, None, None), "latest on 2026-03-17: 26.3, released 2026-02-18"),
        (latest(&c, Platform::VisionOS, None, None), "latest on 2026-03-17: 26.3.1, released 2026-03-02"),
        (
            latest(&c, Platform::MacOS, Some(27), None),
            "Apple's catalog (as of 2026-03-17) has no available macOS version for `latest 27.x`",
        ),
    ];
    for (found, expected) in table {
        assert_eq!(found, expected);
    }
}

#[test]
fn the_as_of_date_moves_what_is_available() {
    // Before the public 26.3.1 (2026-03-11) but after its AssetSets entry (2026-03-04):
    // available to MDM, released (per the rule) on its public posting date.
    let Some(early) = fetched(MARCH_2026, "2026-03-05") else { return };
    assert_eq!(latest(&early, Platform::MacOS, None, None), "latest on 2026-03-05: 26.3.1, released 2026-03-11");
    assert_eq!(early.latest_security_improvement(Platform::MacOS, v("26.3.1")), None, "BSIs posted 2026-03-17");
    // Before 26.3.1 reached even MDM: 26.3.
    let Some(february) = fetched(MARCH_2026, "2026-02-20") else { return };
    assert_eq!(latest(&february, Platform::MacOS, None, None), "latest on 2026-02-20: 26.3, released 2026-02-11");
    // After the expiry of every entry (2026-06-15): nothing is available.
    let Some(summer) = fetched(MARCH_2026, "2026-06-15") else { return };
    assert_eq!(
        latest(&summer, Platform::MacOS, None, None),
        "Apple's catalog (as of 2026-06-15) has no available macOS version for `latest`"
    );
    assert_eq!(
        summer.check_version(Platform::MacOS, v("26.3.1")),
        VersionCheck::Expired { on: Some(jiff::civil::date(2026, 6, 15)) }
    );
}

#[test]
fn latest_in_october_2025() {
    let Some(c) = capture(OCTOBER_2025) else { return };
    assert_eq!(c.as_of.to_string(), "2025-10-21");
    assert_eq!(latest(&c, Platform::MacOS, None, None), "latest on 2025-10-21: 26.0.1, released 2025-10-21");
    assert_eq!(
        latest(&c, Platform::MacOS, None, Some("26")),
        "latest below 26 on 2025-10-21: 15.7.1, released 2025-10-21"
    );
    assert_eq!(latest(&c, Platform::MacOS, Some(14), None), "latest 14.x on 2025-10-21: 14.8.1, released 2025-10-21");
    assert_eq!(latest(&c, Platform::IOS, Some(18), None), "latest 18.x on 2025-10-21: 18.7.1, released 2025-09-29");
    assert_eq!(c.security_improvements(Platform::MacOS).count(), 0, "the renamed key is empty in this capture");
    // 13.7.7 expired on 2025-11-18: still available on 2025-10-21, gone a month later.
    assert_eq!(c.check_version(Platform::MacOS, v("13.7.7")), VersionCheck::Superseded { by: v("13.7.8") });
    let Some(december) = fetched(OCTOBER_2025, "2025-12-01") else { return };
    assert_eq!(
        december.check_version(Platform::MacOS, v("13.7.7")),
        VersionCheck::Expired { on: Some(jiff::civil::date(2025, 11, 18)) }
    );
}

#[test]
fn background_security_improvements_in_march_2026() {
    let Some(c) = capture(MARCH_2026) else { return };
    let mac = c.latest_security_improvement(Platform::MacOS, v("26.3.1")).expect("a BSI on 26.3.1");
    assert_eq!(
        mac.rule,
        "latest Background Security Improvement on 26.3.1 on 2026-03-17: 26.3.1 (a), build 25D771280a, released 2026-03-17"
    );
    let ios = c.latest_security_improvement(Platform::IOS, v("26.3.1")).expect("a BSI on iOS 26.3.1");
    assert_eq!(ios.build.to_string(), "23D771330a");
    assert_eq!(c.latest_security_improvement(Platform::TvOS, v("26.3")), None);
    assert_eq!(c.latest_security_improvement(Platform::MacOS, v("15.7.4")), None);
}

#[test]
fn explicit_targets_are_checked() {
    let Some(c) = capture(MARCH_2026) else { return };
    let mac = Platform::MacOS;
    assert_eq!(c.check_version(mac, v("26.3.1")), VersionCheck::Available);
    assert_eq!(c.check_version(mac, v("26.3")), VersionCheck::Superseded { by: v("26.3.1") });
    assert_eq!(
        c.check_version(mac, v("26.4")),
        VersionCheck::NotOffered { nearest: vec![v("26.3"), v("26.3.1"), v("26.3.2")] }
    );
    let build = |s: &str| s.parse().expect("build");
    assert_eq!(c.check_build(mac, v("26.3.1"), &build("25D2128")), None);
    assert_eq!(c.check_build(mac, v("26.3.1"), &build("25D771280a")), None);
    assert_eq!(
        c.check_build(mac, v("26.3.1"), &build("25D125")).as_deref(),
        Some("25D125 is a build of macOS 26.3, not of 26.3.1")
    );
    assert_eq!(
        c.check_build(mac, v("26.3.1"), &build("25D771400a")).as_deref(),
        Some("25D771400a is a Background Security Improvement on 26.3.2, not on 26.3.1")
    );
    assert_eq!(
        c.check_build(Platform::IOS, v("26.3.1"), &build("25D771280a")).as_deref(),
        Some(
            "Apple's catalog lists no Background Security Improvement 25D771280a for iOS; on 26.3.1 it has 23D771330a"
        )
    );
}

#[test]
fn zentral_fixtures_with_either_bsi_key() {
    for file in [ZENTRAL_2024, ZENTRAL_2026] {
        let Some(c) = capture(file) else { return };
        let bsi: Vec<String> = c.security_improvements(Platform::MacOS).map(|e| e.build.to_string()).collect();
        assert_eq!(bsi, ["22E772610a"], "{file}");
        // The macOS builds filed under `iOS` in this trimmed fixture are no iPhone's.
        assert!(c.versions(Platform::IOS).iter().all(|v| v.version.major() >= 15), "{file}");
    }
}
