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

mod update {
    use super::{MARCH_2026, OCTOBER_2025};
    use crate::common::{self, repo};
    use assert_cmd::Command;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::path::Path;

    /// A one-request HTTP server on 127.0.0.1 answering `body`; its URL. The thread is not
    /// joined: a client that never connects must not hang the test.
    fn serve(body: Vec<u8>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/v2/pmv", listener.local_addr().expect("addr"));
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
            }
        });
        url
    }

    fn ddmc(repo: &Path, args: &[&str]) -> (i32, String, String) {
        let output =
            Command::cargo_bin("ddmc").expect("binary").arg("catalog").args(args).arg(repo).output().expect("runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
    }

    fn sample(relative: &str) -> Option<Vec<u8>> {
        Some(std::fs::read(common::shared(&format!("samples/{relative}"))?).expect("sample"))
    }

    #[test]
    fn from_a_local_server_then_from_a_file_with_the_change_summary() {
        let (Some(october), Some(_)) = (sample(OCTOBER_2025), sample(MARCH_2026)) else { return };
        let dir = repo(&[("ddmc.yaml", "catalog: apple/catalog.json\n")]);
        std::fs::create_dir(dir.path().join("apple")).expect("mkdir");
        let url = serve(october);
        let (code, stdout, stderr) = ddmc(dir.path(), &["update", "--from", &url, "--now", "2025-10-30T06:00:00Z"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains(&format!("fetching {url}")) && stderr.contains("received 124026 bytes"), "{stderr}");
        assert!(stdout.starts_with("macOS: added 11.7.10, 12.7.6, 13.7.7, 13.7.8, 14.7.7"), "{stdout}");
        let written = std::fs::read_to_string(dir.path().join("apple/catalog.json")).expect("written");
        assert!(
            written.starts_with(&format!("{{\n  \"fetched\": \"2025-10-30T06:00:00Z\",\n  \"source\": \"{url}\",\n"))
        );

        let march = common::shared(&format!("samples/{MARCH_2026}")).expect("sample");
        let from = march.to_str().expect("utf-8");
        let (code, stdout, stderr) = ddmc(dir.path(), &["update", "--from", from, "--now", "2026-03-20T06:00:00Z"]);
        assert_eq!(code, 0, "{stderr}");
        for line in [
            "macOS: added 11.7.11, 14.8.3, 14.8.4, 15.7.3, 15.7.4, 26.2, 26.3, 26.3.1, 26.3.2",
            "macOS: no longer available 13.7.7, 14.7.7, 14.7.8, 14.8, 14.8.1, 15.6, 15.6.1, 15.7, 15.7.1, 26.0, 26.0.1",
            "macOS: new Background Security Improvements 26.3.1 (a) (25D771280a), 26.3.2 (a) (25D771400a)",
            "iOS: new Background Security Improvements 26.3.1 (a) (23D771330a)",
        ] {
            assert!(stdout.lines().any(|l| l == line), "missing `{line}` in\n{stdout}");
        }
        // The same input again: nothing changes, nothing is rewritten.
        let (code, stdout, stderr) = ddmc(dir.path(), &["update", "--from", from, "--now", "2026-03-20T06:00:00Z"]);
        assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
        assert!(stderr.contains("is unchanged (as of 2026-03-20)"), "{stderr}");

        let (code, stdout, _) = ddmc(dir.path(), &["show", "--platform", "macOS"]);
        assert_eq!(code, 0);
        assert!(stdout.starts_with("Apple's catalog as of 2026-03-20 (fetched 2026-03-20T06:00:00Z from file:gdmf_cached.2026-03-17_97f9aa09.json)"), "{stdout}");
        assert!(stdout.contains("  26.3.2    25D2140              released 2026-03-11, expires 2026-06-15, 1 device [device-specific: 26.3.1 serves all its devices]"), "{stdout}");
        assert!(
            stdout.contains("  BSI 26.3.1 (a) 25D771280a on build 25D2128, released 2026-03-17, 62 devices"),
            "{stdout}"
        );
    }

    /// A refused answer leaves the old catalog byte for byte.
    #[test]
    fn oversize_malformed_and_unreachable_answers_leave_the_old_catalog() {
        let old = r#"{"AssetSets": {"macOS": [{"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03", "SupportedDevices": ["J314sAP"]}]}}"#;
        let dir = repo(&[("apple-catalog.json", old)]);
        let before = std::fs::read(dir.path().join("apple-catalog.json")).expect("old");
        let huge = {
            let mut body = b"{\"AssetSets\": {\"macOS\": [], \"x\": \"".to_vec();
            body.resize(ddmc::limits::MAX_CATALOG_BYTES + 10, b'a');
            body
        };
        let cases: Vec<(String, i32, &str)> = vec![
            (serve(huge), 3, "at most 16777216 bytes"),
            (serve(b"<html>captive portal</html>".to_vec()), 1, "not JSON"),
            (serve(b"{\"AssetSets\": {\"macOS\": [{\"ProductVersion\": 26}]}}".to_vec()), 1, "not a GDMF catalog"),
            ("http://example.com/pmv".to_owned(), 3, "plain HTTP"),
        ];
        for (url, exit, message) in cases {
            let (code, _, stderr) = ddmc(dir.path(), &["update", "--from", &url]);
            assert_eq!(code, exit, "{url}: {stderr}");
            assert!(stderr.contains(message), "{url}: {stderr}");
            assert_eq!(std::fs::read(dir.path().join("apple-catalog.json")).expect("kept"), before, "{url}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("ddmc-new"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file is left");
    }

    /// `show` of a catalog that is not one: a `catalog` error naming the file once (exit 1);
    /// `update` then warns that it replaces it, and does.
    #[test]
    fn a_malformed_catalog_is_named_once_and_replaced_by_update() {
        let dir = repo(&[("apple-catalog.json", "{\"AssetSets\": 3}")]);
        let (code, _, stderr) = ddmc(dir.path(), &["show"]);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.starts_with("error[catalog]: `"), "{stderr}");
        assert_eq!(stderr.matches("apple-catalog.json").count(), 1, "{stderr}");
        let good = r#"{"AssetSets": {"macOS": [{"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03", "SupportedDevices": ["J314sAP"]}]}}"#;
        let answer = dir.path().join("answer.json");
        std::fs::write(&answer, good).expect("write");
        let (code, _, stderr) = ddmc(dir.path(), &["update", "--from", &answer.to_string_lossy()]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("warning[catalog]: the current catalog is unreadable"), "{stderr}");
        assert_eq!(ddmc(dir.path(), &["show"]).0, 0);
    }

    #[test]
    fn the_catalog_path_stays_inside_the_repository() {
        let dir = repo(&[("ddmc.yaml", "catalog: ../elsewhere.json\n")]);
        let (code, _, stderr) = ddmc(dir.path(), &["show"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("must be a relative path inside the repository"), "{stderr}");
        let none = repo(&[]);
        let (code, _, stderr) = ddmc(none.path(), &["show"]);
        assert_eq!(code, 2);
        assert!(stderr.contains("run `ddmc catalog update`"), "{stderr}");
    }
}
