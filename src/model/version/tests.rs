use super::*;
use proptest::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::sync::LazyLock;

fn os(s: &str) -> OsVersion {
    s.parse().unwrap_or_else(|err: VersionError| panic!("`{s}`: {}", err.one_line()))
}

fn build(s: &str) -> BuildVersion {
    s.parse().unwrap_or_else(|err: VersionError| panic!("`{s}`: {}", err.one_line()))
}

#[track_caller]
fn assert_os_error(input: &str, message: &str, help: Option<&str>) {
    match input.parse::<OsVersion>() {
        Ok(version) => panic!("`{input}` parsed as `{version}`"),
        Err(err) => assert_eq!((err.message.as_str(), err.help.as_deref()), (message, help)),
    }
}

#[track_caller]
fn assert_build_error(input: &str, message: &str, help: Option<&str>) {
    match input.parse::<BuildVersion>() {
        Ok(version) => panic!("`{input}` parsed as `{version}`"),
        Err(err) => assert_eq!((err.message.as_str(), err.help.as_deref()), (message, help)),
    }
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

fn schema_pattern<T: JsonSchema>() -> regex::Regex {
    let schema = schemars::schema_for!(T);
    let pattern = schema.get("pattern").and_then(|p| p.as_str());
    let pattern = pattern.unwrap_or_else(|| panic!("no pattern in {schema:?}"));
    regex::Regex::new(pattern).unwrap_or_else(|err| panic!("{err}"))
}

static OS_REGEX: LazyLock<regex::Regex> = LazyLock::new(schema_pattern::<OsVersion>);
static BUILD_REGEX: LazyLock<regex::Regex> = LazyLock::new(schema_pattern::<BuildVersion>);

#[test]
fn os_version_parses_two_and_three_components() {
    assert_eq!(os("16.1"), OsVersion::new(16, 1, None));
    assert_eq!(os("26.3.1").patch(), Some(1));
    assert_eq!(os("26.0").minor(), 0);
    assert_eq!(os("65535.65535.65535").major(), u16::MAX);
}

#[test]
fn os_version_display_keeps_written_form() {
    for text in ["16.1", "16.1.0", "16.1.1", "26.3.1", "1.0"] {
        assert_eq!(os(text).to_string(), text);
    }
}

#[test]
fn os_version_missing_patch_equals_patch_zero() {
    let (short, long) = (os("16.1"), os("16.1.0"));
    assert_eq!(short, long);
    assert_eq!(short.cmp(&long), Ordering::Equal);
    assert_eq!(hash_of(&short), hash_of(&long));
    assert_eq!((short.patch(), long.patch()), (None, Some(0)));
}

#[test]
fn os_version_orders_numerically() {
    assert!(os("16.9") < os("16.10"));
    assert!(os("9.0") < os("10.0"));
    assert!(os("16.1") < os("16.1.1"));
    assert!(os("26.3.1") < os("26.4"));
}

#[test]
fn os_version_bare_major_suggests_minor_zero() {
    let expected = "expected major.minor or major.minor.patch, found `26`";
    assert_os_error("26", expected, Some("write `26.0`"));
}

#[test]
fn os_version_prefix_suggests_plain_version() {
    let cases = [("v26.1", "v", "26.1"), ("V26.1", "V", "26.1"), ("+26.1", "+", "26.1"), ("v26", "v", "26.0")];
    for (input, found, fix) in cases {
        let message = format!("an OS version has only digits and dots, found `{found}` in `{input}`");
        assert_os_error(input, &message, Some(&format!("write `{fix}`")));
    }
    assert_os_error("macOS 26.1", "an OS version has no spaces, found `macOS 26.1`", Some("write `26.1`"));
    assert_os_error("26.1-beta", "an OS version has only digits and dots, found `-` in `26.1-beta`", None);
}

#[test]
fn os_version_too_many_components() {
    assert_os_error(
        "26.1.1.1",
        "expected major.minor or major.minor.patch, found 4 components in `26.1.1.1`",
        Some("Apple OS versions have at most three components, like `16.1.1`"),
    );
}

#[test]
fn os_version_leading_zero() {
    let message = "a version component has no leading zeros, found `01` in `26.01`";
    assert_os_error("26.01", message, Some("write `26.1`"));
    let message = "a version component has no leading zeros, found `00` in `26.00`";
    assert_os_error("26.00", message, Some("write `26.0`"));
}

#[test]
fn os_version_whitespace_suggests_trimmed() {
    let cases = [(" 26.1", "26.1"), ("26.1 ", "26.1"), ("26. 1", "26.1"), ("26.1\t", "26.1")];
    for (input, fix) in cases {
        let message = format!("an OS version has no spaces, found `{}`", shown(input));
        assert_os_error(input, &message, Some(&format!("write `{fix}`")));
    }
}

#[test]
fn os_version_empty() {
    let message = "expected an OS version such as `26.1`, found an empty string";
    assert_os_error("", message, None);
    let message = "expected an OS version such as `26.1`, found only whitespace";
    assert_os_error("  ", message, None);
}

#[test]
fn os_version_out_of_range_components() {
    let message = "version component `65536` is too large (at most 65535) in `26.65536`";
    assert_os_error("26.65536", message, None);
    let message = "the major version is at least 1, found `0.1`";
    assert_os_error("0.1", message, None);
}

#[test]
fn os_version_empty_component() {
    let message = "an OS version has a number on each side of every dot, found `26.1.`";
    assert_os_error("26.1.", message, Some("write `26.1`"));
    let message = "an OS version has a number on each side of every dot, found `26..1`";
    assert_os_error("26..1", message, None);
}

#[test]
fn os_version_rejects_supplemental_letter() {
    let message = "`(a)` is not part of an OS version, found `26.3.1 (a)`: a Background \
                   Security Improvement is named by its build version, such as `25D771280a`";
    assert_os_error("26.3.1 (a)", message, Some("write `26.3.1`"));
}

const SAMPLE_BUILDS: [(&str, bool, bool); 10] = [
    // (build, is_seed, is_supplemental)
    ("20A242", false, false),
    ("22A771000a", false, true),
    ("25D771280a", false, true),
    ("23A309", false, false),
    ("24A346a", false, true),
    ("20A5303i", true, false),
    ("24A5264n", true, false),
    ("22E772610a", false, true),
    ("23D771330a", false, true),
    ("25D771400a", false, true),
];

#[test]
fn build_version_classifies_samples() {
    for (text, seed, supplemental) in SAMPLE_BUILDS {
        let version = build(text);
        assert_eq!((version.is_seed(), version.is_supplemental()), (seed, supplemental), "{text}");
        assert_eq!(version.to_string(), text);
    }
}

#[test]
fn build_version_parts_as_written() {
    let version = build("22A771000a");
    assert_eq!((version.train(), version.number(), version.suffix()), ("22A", "771000", Some('a')));
    let version = build("9A0042");
    assert_eq!((version.train(), version.number(), version.suffix()), ("9A", "0042", None));
    assert_eq!(version.to_string(), "9A0042");
}

#[test]
fn build_version_orders_by_train_then_number_then_suffix() {
    assert!(build("9A100") < build("10A1"));
    assert!(build("25C56") < build("25D2128"));
    assert!(build("25D2128") < build("25D771280a"));
    assert!(build("24A346") < build("24A346a"));
    assert!(build("24A346a") < build("24A346b"));
    // Leading zeros keep the value equal but the text apart; Ord must agree with Eq.
    let (padded, plain) = (build("25D0123"), build("25D123"));
    assert_ne!(padded, plain);
    assert_ne!(padded.cmp(&plain), Ordering::Equal);
}

#[test]
fn build_version_lower_case_train_letter() {
    let message = "the train letter is upper case, found `d` in `25d771280a`";
    assert_build_error("25d771280a", message, Some("write `25D771280a`"));
}

#[test]
fn build_version_upper_case_suffix() {
    let message = "the suffix letter is lower case, found `A` in `25D771280A`";
    assert_build_error("25D771280A", message, Some("write `25D771280a`"));
}

#[test]
fn build_version_whitespace_suggests_trimmed() {
    for input in ["25D 771280a", " 25D771280a", "25D771280a\n"] {
        let message = format!("a build version has no spaces, found `{}`", shown(input));
        assert_build_error(input, &message, Some("write `25D771280a`"));
    }
    let message = "a build version has no spaces, found `25d 771280A`";
    assert_build_error("25d 771280A", message, Some("write `25D771280a`"));
}

#[test]
fn build_version_empty() {
    let message = "expected a build version such as `25D771280a`, found an empty string";
    assert_build_error("", message, None);
}

#[test]
fn build_version_rejects_os_version() {
    let message = "`26.3.1` is an OS version; expected a build version such as `25D771280a`";
    let help = "on a Mac, `sw_vers -buildVersion` prints the build version";
    assert_build_error("26.3.1", message, Some(help));
}

#[test]
fn build_version_shape_errors() {
    let train = |s: &str| {
        format!(
            "expected a build version starting with a train of one or two digits and an \
             upper-case letter, like the `25D` of `25D771280a`, found `{s}`"
        )
    };
    let cases: [(&str, String, Option<&str>); 9] = [
        ("D771280a", train("D771280a"), None),
        ("125D771280a", train("125D771280a"), None),
        ("25771280a", train("25771280a"), None),
        ("05A123", "the train number has no leading zero, found `05` in `05A123`".into(), Some("write `5A123`")),
        ("25", "expected an upper-case train letter after `25` in `25`".into(), None),
        ("25D", "expected a build number after the train `25D` in `25D`".into(), None),
        ("25Da", "expected a build number after the train `25D` in `25Da`".into(), None),
        (
            "25D7712800a",
            "a build number has at most six digits, found `7712800` (7 digits) in `25D7712800a`".into(),
            None,
        ),
        (
            "24A5264nb",
            "expected at most one lower-case letter after the build number `5264`, found `nb` in `24A5264nb`".into(),
            None,
        ),
    ];
    for (input, message, help) in cases {
        assert_build_error(input, &message, help);
    }
}

#[test]
fn build_version_punctuation() {
    let message = "a build version has only letters and digits, found `(` in `(25D771280a)`";
    assert_build_error("(25D771280a)", message, Some("write `25D771280a`"));
    let message = "a build version has only letters and digits, found `-` in `25D-771280a`";
    assert_build_error("25D-771280a", message, None);
}

#[test]
fn serde_round_trips_as_strings() -> Result<(), serde_json::Error> {
    let json = serde_json::to_string(&(os("16.1"), os("26.3.1"), build("25D771280a")))?;
    assert_eq!(json, r#"["16.1","26.3.1","25D771280a"]"#);
    let (short, long, supplemental): (OsVersion, OsVersion, BuildVersion) = serde_json::from_str(&json)?;
    assert_eq!((short.to_string(), long.to_string()), ("16.1".into(), "26.3.1".into()));
    assert!(supplemental.is_supplemental());
    Ok(())
}

#[test]
fn serde_errors_carry_message_and_help() {
    let err = serde_json::from_str::<OsVersion>(r#""26""#).map(|v| v.to_string());
    let err = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.starts_with("expected major.minor or major.minor.patch, found `26`; help: write `26.0`"), "{err}");
    let err = serde_json::from_str::<BuildVersion>(r#""25d771280a""#).map(|v| v.to_string());
    let err = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("help: write `25D771280a`"), "{err}");
    let err = serde_json::from_str::<OsVersion>("26.1").map(|v| v.to_string());
    let err = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains(r#"expected an OS version in quotes, such as "26.1""#), "{err}");
}

#[test]
fn schemas_are_strings_with_format_pattern_and_valid_examples() {
    for (schema, format) in
        [(schemars::schema_for!(OsVersion), "os-version"), (schemars::schema_for!(BuildVersion), "build-version")]
    {
        let field = |key: &str| schema.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        assert_eq!(field("type").as_deref(), Some("string"));
        assert_eq!(field("format").as_deref(), Some(format));
        assert!(field("description").is_some_and(|d| !d.is_empty()));
        let examples = schema.get("examples").and_then(|v| v.as_array()).cloned().unwrap_or_default();
        assert!(!examples.is_empty());
        for example in examples.iter().filter_map(|v| v.as_str()) {
            let valid = match format {
                "os-version" => example.parse::<OsVersion>().is_ok(),
                _ => example.parse::<BuildVersion>().is_ok(),
            };
            assert!(valid, "{example}");
        }
    }
}

#[test]
fn os_version_pattern_agrees_on_every_component_value() {
    for n in 0..=70_000_u32 {
        for text in [format!("1.{n}"), format!("{n}.1.0"), format!("2.0.0{n}")] {
            assert_eq!(OS_REGEX.is_match(&text), text.parse::<OsVersion>().is_ok(), "{text}");
        }
    }
}

#[test]
fn patterns_agree_on_edge_cases() {
    let os_cases = [
        "", "1", "1.0", "0.0", "1.0.0", "1.0.0.0", "01.0", "1.00", "65535.0", "65536.0", "1.2.", ".1.2", "1..2",
        "v1.2", "1.2\n", "\n1.2", " 1.2", "１.2", "1.2 (a)",
    ];
    for text in os_cases {
        assert_eq!(OS_REGEX.is_match(text), text.parse::<OsVersion>().is_ok(), "{text:?}");
    }
    let build_cases = [
        "",
        "1A1",
        "0A1",
        "99Z999999z",
        "100A1",
        "1A",
        "1A1234567",
        "1a1",
        "1A1A",
        "1A1aa",
        "1A1a\n",
        "A1",
        "1A1é",
        "1A٣",
        "25D771280a",
    ];
    for text in build_cases {
        assert_eq!(BUILD_REGEX.is_match(text), text.parse::<BuildVersion>().is_ok(), "{text:?}");
    }
}

fn os_like() -> impl Strategy<Value = String> {
    let component = prop_oneof![
        Just(String::new()),
        Just("0".to_owned()),
        "0[0-9]{1,2}",
        "[1-9][0-9]{0,5}",
        "6553[0-9]",
        "6[0-9]{4}",
        "[a-zA-Z+ v()]{1,2}",
    ];
    prop_oneof![
        prop::collection::vec(component, 1..=4).prop_map(|parts| parts.join(".")),
        "[0-9. a-zA-Z+()]{0,10}",
        any::<String>(),
    ]
}

fn build_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{0,3}[A-Za-z]?[0-9]{0,8}[A-Za-z]{0,2}",
        "[1-9][0-9]?[A-Z][0-9]{1,6}[a-z]?",
        "[0-9A-Za-z. ()]{0,12}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn os_version_order_is_tuple_order(
        a in (any::<u16>(), any::<u16>(), any::<Option<u16>>()),
        b in (any::<u16>(), any::<u16>(), any::<Option<u16>>()),
    ) {
        let (x, y) = (OsVersion::new(a.0, a.1, a.2), OsVersion::new(b.0, b.1, b.2));
        let tuple = (a.0, a.1, a.2.unwrap_or(0)).cmp(&(b.0, b.1, b.2.unwrap_or(0)));
        prop_assert_eq!(x.cmp(&y), tuple);
        prop_assert_eq!(x == y, tuple == Ordering::Equal);
        if x == y {
            prop_assert_eq!(hash_of(&x), hash_of(&y));
        }
    }

    #[test]
    fn os_version_display_from_str_round_trips(
        major in 1..=u16::MAX, minor in any::<u16>(), patch in any::<Option<u16>>(),
    ) {
        let version = OsVersion::new(major, minor, patch);
        let text = version.to_string();
        let parsed: OsVersion = text.parse().map_err(|e: VersionError| TestCaseError::fail(e.message))?;
        prop_assert_eq!(parsed.patch(), patch);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn build_version_display_from_str_round_trips(text in "[1-9][0-9]?[A-Z][0-9]{1,6}[a-z]?") {
        let parsed: BuildVersion = text.parse().map_err(|e: VersionError| TestCaseError::fail(e.message))?;
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn build_version_order_is_tuple_order(
        a in (1..=99_u32, prop::char::range('A', 'Z'), 0..=999_999_u32, prop::option::of(prop::char::range('a', 'z'))),
        b in (1..=99_u32, prop::char::range('A', 'Z'), 0..=999_999_u32, prop::option::of(prop::char::range('a', 'z'))),
    ) {
        let text = |(major, letter, number, suffix): (u32, char, u32, Option<char>)| {
            format!("{major}{letter}{number}{}", suffix.map(String::from).unwrap_or_default())
        };
        let x: BuildVersion = text(a).parse().map_err(|e: VersionError| TestCaseError::fail(e.message))?;
        let y: BuildVersion = text(b).parse().map_err(|e: VersionError| TestCaseError::fail(e.message))?;
        prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        prop_assert_eq!(x == y, a == b);
    }

    #[test]
    fn os_version_pattern_matches_from_str(text in os_like()) {
        prop_assert_eq!(OS_REGEX.is_match(&text), text.parse::<OsVersion>().is_ok(), "{:?}", text);
    }

    #[test]
    fn build_version_pattern_matches_from_str(text in build_like()) {
        prop_assert_eq!(BUILD_REGEX.is_match(&text), text.parse::<BuildVersion>().is_ok(), "{:?}", text);
    }

    #[test]
    fn parsing_never_panics_and_fixes_are_valid(text in prop_oneof![os_like(), build_like()]) {
        let fix = |help: &str| help.strip_prefix("write `")?.strip_suffix('`').map(str::to_owned);
        if let Err(VersionError { help: Some(help), .. }) = text.parse::<OsVersion>()
            && let Some(fix) = fix(&help)
        {
            prop_assert!(fix.parse::<OsVersion>().is_ok(), "{:?} -> {:?}", text, fix);
        }
        if let Err(VersionError { help: Some(help), .. }) = text.parse::<BuildVersion>()
            && let Some(fix) = fix(&help)
        {
            prop_assert!(fix.parse::<BuildVersion>().is_ok(), "{:?} -> {:?}", text, fix);
        }
    }
}
