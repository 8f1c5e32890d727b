use super::*;
use jiff::civil::{date, time};

fn at(release: Date, days: u16, skip_weekends: bool) -> (String, String) {
    let d = deadline(release, days, time(18, 0, 0, 0), skip_weekends);
    (d.at.to_string(), d.arithmetic)
}

#[test]
fn deadline_arithmetic_across_month_ends_leap_days_and_weekends() {
    let table = [
        // A plain weekday.
        (
            date(2026, 3, 11),
            7,
            true,
            "2026-03-18T18:00:00",
            "release 2026-03-11 + 7 days = Wednesday 2026-03-18 18:00:00 device time",
        ),
        // Across a month end.
        (
            date(2026, 1, 28),
            5,
            false,
            "2026-02-02T18:00:00",
            "release 2026-01-28 + 5 days = Monday 2026-02-02 18:00:00 device time",
        ),
        // A leap day, and the year after without one.
        (
            date(2028, 2, 27),
            2,
            false,
            "2028-02-29T18:00:00",
            "release 2028-02-27 + 2 days = Tuesday 2028-02-29 18:00:00 device time",
        ),
        (
            date(2027, 2, 27),
            2,
            false,
            "2027-03-01T18:00:00",
            "release 2027-02-27 + 2 days = Monday 2027-03-01 18:00:00 device time",
        ),
        // Saturday and Sunday move to Monday only with skip_weekends.
        (
            date(2026, 3, 11),
            3,
            true,
            "2026-03-16T18:00:00",
            "release 2026-03-11 + 3 days = Saturday 2026-03-14, moved to Monday 2026-03-16 18:00:00 device time",
        ),
        (
            date(2026, 3, 11),
            4,
            true,
            "2026-03-16T18:00:00",
            "release 2026-03-11 + 4 days = Sunday 2026-03-15, moved to Monday 2026-03-16 18:00:00 device time",
        ),
        (
            date(2026, 3, 11),
            4,
            false,
            "2026-03-15T18:00:00",
            "release 2026-03-11 + 4 days = Sunday 2026-03-15 18:00:00 device time",
        ),
        // A weekend across a year end.
        (
            date(2026, 12, 30),
            3,
            true,
            "2027-01-04T18:00:00",
            "release 2026-12-30 + 3 days = Saturday 2027-01-02, moved to Monday 2027-01-04 18:00:00 device time",
        ),
        // Zero days: the release day itself.
        (
            date(2026, 3, 11),
            0,
            true,
            "2026-03-11T18:00:00",
            "release 2026-03-11 + 0 days = Wednesday 2026-03-11 18:00:00 device time",
        ),
    ];
    for (release, days, skip, expected, arithmetic) in table {
        assert_eq!(at(release, days, skip), (expected.to_owned(), arithmetic.to_owned()), "{release} + {days}");
    }
}

fn entry(version: &str, set: AssetSet, posting: Date, expiration: Option<Date>, devices: &[&str]) -> String {
    let mut e = serde_json::json!({
        "ProductVersion": version,
        "Build": "25A100",
        "PostingDate": posting.to_string(),
        "SupportedDevices": devices,
    });
    if let Some(end) = expiration {
        e["ExpirationDate"] = serde_json::json!(end.to_string());
    }
    let key = match set {
        AssetSet::Public => "PublicAssetSets",
        AssetSet::All => "AssetSets",
        AssetSet::SecurityImprovement => "PublicBackgroundSecurityImprovements",
    };
    serde_json::json!({ key: { "macOS": [e] } }).to_string()
}

#[test]
fn availability_is_judged_on_the_as_of_date() {
    let e = Entry {
        version: "26.1".parse().expect("v"),
        set: AssetSet::All,
        platform_key: "macOS".into(),
        build: "25B78".parse().expect("b"),
        extra: None,
        prerequisite_build: None,
        posting: date(2026, 1, 10),
        expiration: Some(date(2026, 4, 1)),
        devices: vec![],
    };
    assert!(!e.available(date(2026, 1, 9)), "not yet posted");
    assert!(e.available(date(2026, 1, 10)), "posted that day");
    assert!(e.available(date(2026, 3, 31)));
    assert!(!e.available(date(2026, 4, 1)), "expired that day");
    let open = Entry { expiration: None, ..e };
    assert!(open.available(date(2099, 1, 1)), "no expiration: open");
}

#[test]
fn the_as_of_date_is_the_newest_posting_without_a_wrapper() {
    let c = parse(&entry("26.1", AssetSet::Public, date(2026, 1, 10), None, &["J1"])).expect("parses");
    assert_eq!(c.as_of, date(2026, 1, 10));
    assert_eq!(c.fetched, None);
}

#[test]
fn malformed_catalogs_are_errors_not_guesses() {
    let cases = [
        ("{", "not JSON"),
        ("[]", "not a GDMF catalog"),
        ("{}", "the catalog lists no OS versions"),
        (r#"{"fetched": "yesterday", "pmv": {}}"#, "`fetched` must be an RFC 3339 UTC time"),
        (
            r#"{"AssetSets": {"macOS": [{"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2026-13-01"}]}}"#,
            "`PostingDate` of 26.1 must be a date",
        ),
        (
            r#"{"PublicBackgroundSecurityImprovements": {"macOS": [{"ProductVersion": "26.1", "Build": "25B78a", "PostingDate": "2026-01-01"}]}}"#,
            "has no `ProductVersionExtra`",
        ),
    ];
    for (text, expected) in cases {
        let e = parse(text).expect_err(text);
        assert!(e.message.contains(expected), "{text}: {}", e.message);
    }
    assert_eq!(parse("{\n  x").expect_err("position").position, Some((2, 3)));
}

#[test]
fn ios_and_tvos_share_gdmfs_ios_list() {
    let text = r#"{"AssetSets": {"iOS": [
        {"ProductVersion": "26.3", "Build": "23K620", "PostingDate": "2026-02-11", "SupportedDevices": ["AppleTV14,1", "AudioAccessory6,1"]},
        {"ProductVersion": "26.3", "Build": "23D127", "PostingDate": "2026-02-11", "SupportedDevices": ["iPhone17,1", "iPad16,3"]},
        {"ProductVersion": "11.3", "Build": "22S100", "PostingDate": "2026-02-11", "SupportedDevices": ["Watch7,1"]}
    ]}}"#;
    let c = parse(text).expect("parses");
    let builds = |p: Platform| -> Vec<String> {
        c.versions(p).iter().flat_map(|v| v.builds.iter().map(ToString::to_string)).collect()
    };
    assert_eq!(builds(Platform::IOS), ["23D127"]);
    assert_eq!(builds(Platform::TvOS), ["23K620"]);
    assert!(builds(Platform::MacOS).is_empty());
    let tv = &c.versions(Platform::TvOS)[0];
    assert_eq!(tv.devices.iter().collect::<Vec<_>>(), ["AppleTV14,1"], "HomePods are no Apple TV");
}
