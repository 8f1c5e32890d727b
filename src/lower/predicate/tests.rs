use super::*;
use proptest::prelude::*;
use std::cmp::Ordering;

// ----- helpers -----

/// Unescapes one NSPredicate string literal at the start of `s` by the rules `quote`
/// relies on. Returns the value and the rest of `s` after the closing quote, or
/// `None` if there is no well-formed literal.
fn unquote_prefix(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let (_, open) = chars.next()?;
    if open != '\'' && open != '"' {
        return None;
    }
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == open => return Some((value, &s[i + c.len_utf8()..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    '\\' | '\'' | '"' => value.push(e),
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| chars.next()).map(|(_, h)| h).collect();
                        if hex.len() != 4 {
                            return None;
                        }
                        let code = u32::from_str_radix(&hex, 16).ok()?;
                        value.push(char::from_u32(code)?);
                    }
                    _ => return None,
                }
            }
            c => value.push(c),
        }
    }
    None
}

/// The whole of `s` is exactly one literal: it neither ends early nor runs on.
fn unquote_exact(s: &str) -> Option<String> {
    match unquote_prefix(s)? {
        (value, "") => Some(value),
        _ => None,
    }
}

/// Parses a version string by the rules the regex must implement.
fn parse_version(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.split('.').collect();
    let ok = (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (*p == "0" || !p.starts_with('0')));
    ok.then_some(parts)
}

/// Compares canonical decimal strings of any length numerically.
fn cmp_decimal(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The reference answer: is `s` a version numerically >= `floor`?
fn reference_at_least(s: &str, floor: (u16, u16, u16)) -> bool {
    let Some(parts) = parse_version(s) else {
        return false;
    };
    let floor = [floor.0.to_string(), floor.1.to_string(), floor.2.to_string()];
    for (i, f) in floor.iter().enumerate() {
        let v = parts.get(i).copied().unwrap_or("0");
        match cmp_decimal(v, f) {
            Ordering::Greater => return true,
            Ordering::Less => return false,
            Ordering::Equal => {}
        }
    }
    true
}

/// The version regex compiled with whole-string semantics, as `MATCHES` applies it.
fn whole(major: u16, minor: u16, patch: u16) -> regex::Regex {
    let pattern = format!("^(?:{})$", version_at_least(major, minor, patch));
    regex::Regex::new(&pattern).expect("version regex compiles")
}

fn mac() -> Predicate {
    Predicate::family_in(&["macOS"])
}

fn ios() -> Predicate {
    Predicate::family_in(&["iOS", "iPadOS"])
}

// ----- rendering -----

#[test]
fn status_item_names() {
    assert_eq!(StatusItem::OperatingSystemFamily.as_str(), "device.operating-system.family");
    assert_eq!(StatusItem::OperatingSystemVersion.to_string(), "device.operating-system.version");
}

#[test]
fn renders_status_equals() {
    assert_eq!(mac().to_string(), "@status(device.operating-system.family) == 'macOS'");
    assert_eq!(Predicate::os_equals("26.3.1").to_string(), "@status(device.operating-system.version) == '26.3.1'");
}

#[test]
fn renders_status_in() {
    assert_eq!(ios().to_string(), "@status(device.operating-system.family) IN {'iOS', 'iPadOS'}");
    let single = Predicate::StatusIn { item: StatusItem::OperatingSystemFamily, values: vec!["tvOS".into()] };
    assert_eq!(single.to_string(), "@status(device.operating-system.family) IN {'tvOS'}");
    let empty = Predicate::StatusIn { item: StatusItem::OperatingSystemFamily, values: vec![] };
    assert_eq!(empty.to_string(), "FALSEPREDICATE");
}

#[test]
fn renders_status_matches() {
    assert_eq!(
        Predicate::os_at_least(15, 0, 0).to_string(),
        "@status(device.operating-system.version) MATCHES \
         '(1[5-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}'"
    );
}

#[test]
fn family_in_picks_the_simplest_form() {
    assert!(matches!(mac(), Predicate::StatusEquals { .. }));
    assert!(matches!(ios(), Predicate::StatusIn { .. }));
    assert_eq!(Predicate::family_in(&["macOS", "macOS"]), mac());
    assert_eq!(Predicate::family_in(&["iOS", "iPadOS", "iOS"]).to_string(), ios().to_string());
    assert_eq!(Predicate::family_in(&[]).to_string(), "FALSEPREDICATE");
}

#[test]
fn renders_empty_compounds_as_identities() {
    assert_eq!(Predicate::All(vec![]).to_string(), "TRUEPREDICATE");
    assert_eq!(Predicate::Any(vec![]).to_string(), "FALSEPREDICATE");
    let nested = Predicate::Any(vec![Predicate::All(vec![]), mac()]);
    assert_eq!(nested.to_string(), "TRUEPREDICATE OR @status(device.operating-system.family) == 'macOS'");
}

#[test]
fn single_operand_compounds_are_transparent() {
    let m = mac().to_string();
    assert_eq!(Predicate::All(vec![mac()]).to_string(), m);
    assert_eq!(Predicate::Any(vec![mac()]).to_string(), m);
    assert_eq!(Predicate::Any(vec![Predicate::All(vec![Predicate::Any(vec![mac()])])]).to_string(), m);
    // A one-operand wrapper around a compound takes that compound's parentheses.
    let inner_any = Predicate::All(vec![Predicate::Any(vec![mac(), ios()])]);
    let p = Predicate::All(vec![inner_any, Predicate::os_equals("1")]);
    assert_eq!(p.to_string(), format!("({m} OR {}) AND {}", ios(), Predicate::os_equals("1")));
}

#[test]
fn renders_and_or() {
    let v = Predicate::os_equals("26.3.1");
    let all = Predicate::All(vec![mac(), v.clone()]);
    assert_eq!(all.to_string(), format!("{} AND {}", mac(), v));
    let any = Predicate::Any(vec![mac(), ios()]);
    assert_eq!(any.to_string(), format!("{} OR {}", mac(), ios()));
}

#[test]
fn parenthesises_nested_compounds() {
    let a = Predicate::All(vec![mac(), Predicate::os_at_least(15, 0, 0)]);
    let b = Predicate::All(vec![ios(), Predicate::os_at_least(18, 0, 0)]);
    let any = Predicate::Any(vec![a.clone(), b.clone()]);
    assert_eq!(any.to_string(), format!("({a}) OR ({b})"));

    let either = Predicate::Any(vec![mac(), ios()]);
    let all = Predicate::All(vec![either.clone(), Predicate::os_equals("18.0")]);
    assert_eq!(all.to_string(), format!("({either}) AND {}", Predicate::os_equals("18.0")));
}

#[test]
fn same_kind_nesting_needs_no_parentheses() {
    let v = Predicate::os_equals("1");
    let all = Predicate::All(vec![mac(), Predicate::All(vec![ios(), v.clone()])]);
    assert_eq!(all.to_string(), format!("{} AND {} AND {}", mac(), ios(), v));
    let any = Predicate::Any(vec![Predicate::Any(vec![mac(), ios()]), v.clone()]);
    assert_eq!(any.to_string(), format!("{} OR {} OR {}", mac(), ios(), v));
}

// ----- quoting -----

#[test]
fn quotes_plain_strings_verbatim() {
    assert_eq!(quote("macOS"), "'macOS'");
    assert_eq!(quote(""), "''");
    assert_eq!(quote("say \"hi\""), "'say \"hi\"'");
}

#[test]
fn quotes_hostile_strings() {
    let cases = [
        ("'", r"'\''"),
        ("\\", r"'\\'"),
        ("\\'", r"'\\\''"),
        ("' OR TRUEPREDICATE OR '", r"'\' OR TRUEPREDICATE OR \''"),
        ("a\nb\tc\rd", r"'a\nb\tc\rd'"),
        ("\0\u{7f}\u{85}", r"'\u0000\u007F\u0085'"),
        ("end\\", r"'end\\'"),
    ];
    for (raw, expected) in cases {
        let quoted = quote(raw);
        assert_eq!(quoted, expected, "quoting {raw:?}");
        assert_eq!(unquote_exact(&quoted).as_deref(), Some(raw), "{quoted}");
        assert!(!quoted.chars().any(char::is_control), "{quoted:?}");
    }
}

#[test]
fn hostile_value_stays_inside_its_literal() {
    let p = Predicate::StatusEquals {
        item: StatusItem::OperatingSystemFamily,
        value: "macOS' OR TRUEPREDICATE OR 'x".into(),
    };
    let rendered = p.to_string();
    let literal = rendered.strip_prefix("@status(device.operating-system.family) == ").expect("fixed prefix");
    assert_eq!(unquote_exact(literal).as_deref(), Some("macOS' OR TRUEPREDICATE OR 'x"));

    let p = Predicate::StatusIn {
        item: StatusItem::OperatingSystemFamily,
        values: vec!["a', 'b".into(), "}) OR (TRUEPREDICATE".into()],
    };
    let rendered = p.to_string();
    let mut rest = rendered.strip_prefix("@status(device.operating-system.family) IN {").expect("fixed prefix");
    let (first, after) = unquote_prefix(rest).expect("first literal");
    assert_eq!(first, "a', 'b");
    rest = after.strip_prefix(", ").expect("separator");
    let (second, after) = unquote_prefix(rest).expect("second literal");
    assert_eq!(second, "}) OR (TRUEPREDICATE");
    assert_eq!(after, "}");
}

// ----- version regex -----

#[test]
fn version_regex_forms_are_readable() {
    let cases = [
        ((15, 0, 0), "(1[5-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
        ((18, 0, 0), "(1[89]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
        (
            (15, 4, 0),
            "((1[6-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}\
             |15[.]([4-9]|[1-9][0-9]+)([.](0|[1-9][0-9]*))?)",
        ),
        (
            (26, 3, 1),
            "((2[7-9]|[3-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}\
             |26[.](([4-9]|[1-9][0-9]+)([.](0|[1-9][0-9]*))?|3[.][1-9][0-9]*))",
        ),
        ((0, 0, 0), "(0|[1-9][0-9]*)([.](0|[1-9][0-9]*)){0,2}"),
        ((1, 0, 0), "[1-9][0-9]*([.](0|[1-9][0-9]*)){0,2}"),
        ((99, 0, 0), "(99|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
        ((100, 0, 0), "[1-9][0-9]{2,}([.](0|[1-9][0-9]*)){0,2}"),
        ((20, 0, 0), "([2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
        (
            (15, 10, 0),
            "((1[6-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}\
             |15[.][1-9][0-9]+([.](0|[1-9][0-9]*))?)",
        ),
    ];
    for ((major, minor, patch), expected) in cases {
        assert_eq!(version_at_least(major, minor, patch), expected, "floor {major}.{minor}.{patch}");
    }
}

#[test]
fn version_regex_needs_no_predicate_escaping() {
    for floor in [(0, 0, 0), (15, 4, 0), (26, 3, 1), (65535, 65535, 65535)] {
        let regex = version_at_least(floor.0, floor.1, floor.2);
        assert!(!regex.contains(['\\', '\'', '"', '^', '$']), "{regex}");
        assert_eq!(quote(&regex), format!("'{regex}'"));
    }
}

#[test]
fn version_regex_table() {
    let cases: &[((u16, u16, u16), &str, bool)] = &[
        ((15, 4, 0), "15.10", true),
        ((15, 4, 0), "15.3.9", false),
        ((15, 4, 0), "16", true),
        ((15, 4, 0), "9.9", false),
        ((15, 4, 0), "15.4", true),
        ((15, 4, 0), "15.04", false),
        ((15, 4, 0), "15.4.0", true),
        ((15, 4, 0), "15", false),
        ((15, 4, 0), "100.0", true),
        ((15, 4, 0), "15.4.", false),
        ((15, 4, 0), "15.4.1.2", false),
        ((15, 4, 0), "v15.4", false),
        ((15, 4, 0), "", false),
        ((15, 0, 0), "15", true),
        ((15, 0, 0), "15.0.0", true),
        ((15, 0, 0), "14.99.99", false),
        ((15, 0, 0), "015", false),
        ((26, 3, 1), "26.3.1", true),
        ((26, 3, 1), "26.3", false),
        ((26, 3, 1), "26.3.0", false),
        ((26, 3, 1), "26.3.10", true),
        ((26, 3, 1), "26.4", true),
        ((26, 3, 1), "26.10", true),
        ((26, 3, 1), "27", true),
        ((9, 0, 0), "10", true),
        ((10, 0, 0), "9.9.9", false),
        ((10, 0, 0), "100", true),
        ((0, 0, 0), "0", true),
        ((0, 0, 0), "0.0.0", true),
        ((0, 0, 0), "00", false),
        ((0, 0, 1), "0", false),
        ((0, 0, 1), "0.0.1", true),
        ((0, 0, 1), "0.1", true),
    ];
    for &((major, minor, patch), version, expected) in cases {
        assert_eq!(whole(major, minor, patch).is_match(version), expected, "{version} >= {major}.{minor}.{patch}");
        assert_eq!(
            reference_at_least(version, (major, minor, patch)),
            expected,
            "reference disagrees on {version} >= {major}.{minor}.{patch}"
        );
    }
}

/// Floor components: mostly small (where real floors are), sometimes anything.
fn floor_component() -> impl Strategy<Value = u16> {
    prop_oneof![0..=12u16, 0..=120u16, any::<u16>()]
}

/// A version component as text: canonical numbers of various sizes, and sometimes
/// non-canonical or empty ones that must be rejected.
fn version_component() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0..=20u32).prop_map(|n| n.to_string()),
        3 => (0..=1000u32).prop_map(|n| n.to_string()),
        2 => any::<u32>().prop_map(|n| n.to_string()),
        1 => "0[0-9]{1,3}",
        1 => Just(String::new()),
    ]
}

/// A version near `floor`: each component the floor's plus a small delta, so the
/// comparisons at every digit boundary get exercised.
fn near(floor: u16, delta: i32) -> String {
    (i32::from(floor) + delta).max(0).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn version_regex_matches_numeric_order(
        floor in (floor_component(), floor_component(), floor_component()),
        parts in prop::collection::vec(version_component(), 1..=4),
    ) {
        let version = parts.join(".");
        prop_assert_eq!(
            whole(floor.0, floor.1, floor.2).is_match(&version),
            reference_at_least(&version, floor),
            "{} >= {:?}", version, floor
        );
    }

    #[test]
    fn version_regex_at_the_boundary(
        floor in (floor_component(), floor_component(), floor_component()),
        deltas in (-2..=2i32, -2..=2i32, -2..=2i32),
        len in 1..=3usize,
    ) {
        let all = [near(floor.0, deltas.0), near(floor.1, deltas.1), near(floor.2, deltas.2)];
        let version = all[..len].join(".");
        prop_assert_eq!(
            whole(floor.0, floor.1, floor.2).is_match(&version),
            reference_at_least(&version, floor),
            "{} >= {:?}", version, floor
        );
    }

    #[test]
    fn version_regex_rejects_junk(
        floor in (floor_component(), floor_component(), floor_component()),
        junk in "[0-9.a ]{0,12}",
    ) {
        prop_assert_eq!(
            whole(floor.0, floor.1, floor.2).is_match(&junk),
            reference_at_least(&junk, floor),
            "{:?} >= {:?}", junk, floor
        );
    }

    #[test]
    fn quote_round_trips_anything(s in any::<String>()) {
        let quoted = quote(&s);
        prop_assert_eq!(unquote_exact(&quoted), Some(s));
        prop_assert!(!quoted.chars().any(char::is_control));
    }

    #[test]
    fn quote_round_trips_quote_heavy_strings(s in "['\\\\\"a \n]{0,16}") {
        prop_assert_eq!(unquote_exact(&quote(&s)), Some(s));
    }
}

/// Whether a device reporting `version` satisfies `p`, for the version predicates: a
/// `MATCHES` is a whole-string regex match, `NOT` negates.
fn version_holds(p: &Predicate, version: &str) -> bool {
    match p {
        Predicate::StatusMatches { regex, .. } => {
            regex::Regex::new(&format!("^(?:{regex})$")).expect("regex compiles").is_match(version)
        }
        Predicate::Not(inner) => !version_holds(inner, version),
        Predicate::All(ps) => ps.iter().all(|q| version_holds(q, version)),
        other => panic!("not a version predicate: {other}"),
    }
}

#[test]
fn renders_not_with_parentheses() {
    assert_eq!(
        Predicate::os_below(26, 4, 0).to_string(),
        "NOT (@status(device.operating-system.version) MATCHES '((2[7-9]|[3-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}|26[.]([4-9]|[1-9][0-9]+)([.](0|[1-9][0-9]*))?)')"
    );
}

/// Target-aware activations: `os_below` is exactly "numerically below the target" for every
/// `major.minor[.patch]` a device may report (15.10 is above 15.4, 26.3 below 26.3.1).
#[test]
fn os_below_truth_table() {
    let targets = [(15, 4, 0), (15, 10, 0), (26, 3, 1), (26, 0, 0), (18, 7, 3), (27, 0, 0), (26, 10, 2), (14, 8, 4)];
    let mut versions = Vec::new();
    for major in 13..=28u16 {
        for minor in 0..=12u16 {
            versions.push((format!("{major}.{minor}"), (major, minor, 0)));
            for patch in 0..=11u16 {
                versions.push((format!("{major}.{minor}.{patch}"), (major, minor, patch)));
            }
        }
    }
    for target in targets {
        let below = Predicate::os_below(target.0, target.1, target.2);
        for (text, numeric) in &versions {
            assert_eq!(version_holds(&below, text), *numeric < target, "{text} below {target:?}");
        }
    }
    let below = Predicate::os_below(15, 4, 0);
    for (version, expected) in [("15.10", false), ("15.4", false), ("15.3.9", true), ("9.9", true), ("16", false)] {
        assert_eq!(version_holds(&below, version), expected, "{version} below 15.4");
    }
}

/// A base enforcement's range: at or above Apple's floor and below the target, together.
#[test]
fn a_floor_and_a_target_together() {
    let both = Predicate::All(vec![Predicate::os_at_least(14, 0, 0), Predicate::os_below(26, 3, 1)]);
    for (version, expected) in
        [("13.7", false), ("14.0", true), ("15.10", true), ("26.3", true), ("26.3.1", false), ("26.10", false)]
    {
        assert_eq!(version_holds(&both, version), expected, "{version}");
    }
}
