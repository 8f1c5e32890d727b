use super::*;
use proptest::prelude::*;
use std::sync::LazyLock;

fn local(s: &str) -> LocalDateTime {
    s.parse().unwrap_or_else(|err: DateTimeError| panic!("`{s}`: {}", err.one_line()))
}

#[track_caller]
fn assert_error(input: &str, message: &str, help: Option<&str>) {
    match input.parse::<LocalDateTime>() {
        Ok(value) => panic!("`{input}` parsed as `{value}`"),
        Err(err) => assert_eq!((err.message.as_str(), err.help.as_deref()), (message, help)),
    }
}

static PATTERN: LazyLock<regex::Regex> = LazyLock::new(|| {
    let schema = schemars::schema_for!(LocalDateTime);
    let pattern = schema.get("pattern").and_then(|p| p.as_str()).unwrap_or_default();
    regex::Regex::new(pattern).unwrap_or_else(|err| panic!("{err}"))
});

#[test]
fn parses_and_displays_the_strict_form() {
    for text in ["2026-12-01T18:00:00", "0000-01-01T00:00:00", "9999-12-31T23:59:59", "2028-02-29T12:30:45"] {
        assert_eq!(local(text).to_string(), text);
    }
    let civil = local("2026-12-01T18:00:00").civil();
    assert_eq!((civil.year(), civil.month(), civil.day(), civil.hour()), (2026, 12, 1, 18));
}

#[test]
fn orders_chronologically() {
    assert!(local("2026-12-01T18:00:00") < local("2026-12-01T18:00:01"));
    assert!(local("2026-12-31T23:59:59") < local("2027-01-01T00:00:00"));
}

#[test]
fn space_and_missing_seconds_get_exact_fix() {
    let message = "expected `yyyy-mm-ddThh:mm:ss`, found `2026-12-01 18:00`";
    assert_error("2026-12-01 18:00", message, Some("write `2026-12-01T18:00:00`"));
    let message = "expected `yyyy-mm-ddThh:mm:ss`, found `2026-12-01T18:00`";
    assert_error("2026-12-01T18:00", message, Some("write `2026-12-01T18:00:00`"));
    let message = "expected `yyyy-mm-ddThh:mm:ss`, found `2026-12-1t9:05:00`";
    assert_error("2026-12-1t9:05:00", message, Some("write `2026-12-01T09:05:00`"));
    let message = "expected `yyyy-mm-ddThh:mm:ss`, found ` 2026-12-01T18:00:00\\n`";
    assert_error(" 2026-12-01T18:00:00\n", message, Some("write `2026-12-01T18:00:00`"));
}

#[test]
fn date_alone_asks_for_a_time_with_an_example() {
    let message = "a time of day is required: expected `yyyy-mm-ddThh:mm:ss`, found `2026-12-01`";
    let help = "add the time of day, for example `2026-12-01T00:00:00` for the start of that day";
    assert_error("2026-12-01", message, Some(help));
}

#[test]
fn offsets_are_refused_with_the_local_form() {
    for offset in ["Z", "z", "+01:00", "-05:00", "+0100", "+01"] {
        let input = format!("2026-12-01T18:00:00{offset}");
        let message = format!(
            "device local time takes no offset, found `{offset}` in `{input}`: each device \
             applies its own time zone"
        );
        assert_error(&input, &message, Some("write `2026-12-01T18:00:00`"));
    }
}

#[test]
fn fractions_are_refused_with_the_whole_second_form() {
    for fraction in [".000", ".5", ",25"] {
        let input = format!("2026-12-01T18:00:00{fraction}");
        let message = format!("fractional seconds are not allowed, found `{fraction}` in `{input}`");
        assert_error(&input, &message, Some("write `2026-12-01T18:00:00`"));
    }
    let message = "device local time takes no offset, found `Z` in `2026-12-01T18:00:00.000Z`: \
                   each device applies its own time zone";
    assert_error("2026-12-01T18:00:00.000Z", message, Some("write `2026-12-01T18:00:00`"));
}

#[test]
fn impossible_calendar_dates() {
    let message = "February 30 is not a date (February 2026 has 28 days) in `2026-02-30T10:00:00`";
    assert_error("2026-02-30T10:00:00", message, Some("the last day of February 2026 is `2026-02-28T10:00:00`"));
    let message = "February 30 is not a date (February 2028 has 29 days) in `2028-02-30T10:00:00`";
    assert_error("2028-02-30T10:00:00", message, Some("the last day of February 2028 is `2028-02-29T10:00:00`"));
    let message = "February 29 is not a date (2026 is not a leap year) in `2026-02-29T10:00:00`";
    assert_error("2026-02-29T10:00:00", message, Some("the last day of February 2026 is `2026-02-28T10:00:00`"));
    let message = "April 31 is not a date (April has 30 days) in `2026-04-31T10:00:00`";
    assert_error("2026-04-31T10:00:00", message, Some("the last day of April 2026 is `2026-04-30T10:00:00`"));
    let message = "month 13 is out of range (01 to 12) in `2026-13-01T10:00:00`";
    assert_error("2026-13-01T10:00:00", message, None);
    let message = "day 00 is out of range (01 to 31) in `2026-12-00T10:00:00`";
    assert_error("2026-12-00T10:00:00", message, None);
}

#[test]
fn impossible_times() {
    let message = "hour 24 is out of range (00 to 23) in `2026-12-01T24:00:00`";
    let help = "for midnight at the end of 2026-12-01, write `2026-12-02T00:00:00`";
    assert_error("2026-12-01T24:00:00", message, Some(help));
    let message = "hour 24 is out of range (00 to 23) in `9999-12-31T24:00:00`";
    assert_error("9999-12-31T24:00:00", message, None);
    let message = "hour 25 is out of range (00 to 23) in `2026-12-01T25:00:00`";
    assert_error("2026-12-01T25:00:00", message, None);
    let message = "minute 60 is out of range (00 to 59) in `2026-12-01T18:60:00`";
    assert_error("2026-12-01T18:60:00", message, None);
    let message = "second 60 is out of range (00 to 59) in `2026-12-01T18:00:60`";
    assert_error("2026-12-01T18:00:60", message, None);
}

#[test]
fn other_forms_get_the_expected_form_and_an_example() {
    let example = Some("for example `2026-12-01T18:00:00`");
    let message = "expected `yyyy-mm-ddThh:mm:ss`, found `1/12/2026`";
    assert_error("1/12/2026", message, example);
    let message = "expected `yyyy-mm-ddThh:mm:ss`, found `26-12-01T18:00:00`";
    assert_error("26-12-01T18:00:00", message, example);
    assert_error("", "expected `yyyy-mm-ddThh:mm:ss`, found an empty string", example);
    let message = "expected `yyyy-mm-ddThh:mm:ss`, found `2026-02-30 10:00`";
    assert_error("2026-02-30 10:00", message, example);
}

#[test]
fn serde_round_trips_as_a_string() -> Result<(), serde_json::Error> {
    let json = serde_json::to_string(&local("2026-12-01T18:00:00"))?;
    assert_eq!(json, r#""2026-12-01T18:00:00""#);
    assert_eq!(serde_json::from_str::<LocalDateTime>(&json)?, local("2026-12-01T18:00:00"));
    let err = serde_json::from_str::<LocalDateTime>(r#""2026-12-01T18:00""#).err();
    let err = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.starts_with("expected `yyyy-mm-ddThh:mm:ss`, found `2026-12-01T18:00`; help: write `2026-12-01T18:00:00`"),
        "{err}"
    );
    let err = serde_json::from_str::<LocalDateTime>("20261201").err();
    let err = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("a local date-time in quotes"), "{err}");
    Ok(())
}

#[test]
fn schema_is_a_string_with_format_pattern_and_valid_example() {
    let schema = schemars::schema_for!(LocalDateTime);
    let field = |key: &str| schema.get(key).and_then(|v| v.as_str());
    assert_eq!(field("type"), Some("string"));
    assert_eq!(field("format"), Some("local-date-time"));
    assert!(field("description").is_some_and(|d| !d.is_empty()));
    let examples = schema.get("examples").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    assert!(!examples.is_empty());
    for example in &examples {
        assert!(example.as_str().is_some_and(|e| e.parse::<LocalDateTime>().is_ok()), "{example}");
    }
}

#[test]
fn pattern_agrees_on_every_day_of_tricky_years() {
    let years = [0, 4, 100, 400, 1900, 1996, 2000, 2024, 2025, 2026, 2100, 2400, 9996, 9999];
    for year in years {
        for month in 0..=13 {
            for day in 0..=32 {
                let text = format!("{year:04}-{month:02}-{day:02}T12:00:00");
                assert_eq!(PATTERN.is_match(&text), text.parse::<LocalDateTime>().is_ok(), "{text}");
            }
        }
    }
}

#[test]
fn pattern_agrees_on_february_29_of_every_year() {
    for year in 0..=9999 {
        let text = format!("{year:04}-02-29T00:00:00");
        assert_eq!(PATTERN.is_match(&text), text.parse::<LocalDateTime>().is_ok(), "{text}");
    }
}

#[test]
fn pattern_agrees_on_every_time_of_day() {
    for hour in 0..=25 {
        for minute in [0, 9, 10, 59, 60, 99] {
            for second in [0, 59, 60] {
                let text = format!("2026-12-01T{hour:02}:{minute:02}:{second:02}");
                assert_eq!(PATTERN.is_match(&text), text.parse::<LocalDateTime>().is_ok(), "{text}");
            }
        }
    }
}

fn date_time_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{4}-[0-3][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[T t][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:?[0-9]{2})?",
        "[0-9T:. Z+-]{0,22}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn pattern_matches_from_str(text in date_time_like()) {
        prop_assert_eq!(PATTERN.is_match(&text), text.parse::<LocalDateTime>().is_ok(), "{:?}", text);
    }

    #[test]
    fn strict_form_accepts_exactly_what_jiff_accepts(
        parts in (0..=9999_i16, 0..=13_i8, 0..=32_i8, 0..=24_i8, 0..=60_i8, 0..=60_i8),
    ) {
        let (year, month, day, hour, minute, second) = parts;
        let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
        let jiff = DateTime::new(year, month, day, hour, minute, second, 0);
        let strptime = DateTime::strptime("%Y-%m-%dT%H:%M:%S", &text);
        let ours = text.parse::<LocalDateTime>();
        prop_assert_eq!(ours.is_ok(), jiff.is_ok(), "{}", text);
        // strptime reads a leap second `:60` as `:59`; a deadline has no use for one.
        if second != 60 {
            prop_assert_eq!(ours.is_ok(), strptime.is_ok(), "{}", text);
        }
        if let (Ok(ours), Ok(jiff)) = (ours, jiff) {
            prop_assert_eq!(ours.civil(), jiff);
            prop_assert_eq!(ours.to_string(), text);
        }
    }

    #[test]
    fn order_is_chronological(
        a in (0..=9999_i16, 1..=12_i8, 1..=28_i8, 0..=23_i8, 0..=59_i8, 0..=59_i8),
        b in (0..=9999_i16, 1..=12_i8, 1..=28_i8, 0..=23_i8, 0..=59_i8, 0..=59_i8),
    ) {
        let text = |(y, mo, d, h, mi, s): (i16, i8, i8, i8, i8, i8)| {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
        };
        let x: LocalDateTime = text(a).parse().map_err(|e: DateTimeError| TestCaseError::fail(e.message))?;
        let y: LocalDateTime = text(b).parse().map_err(|e: DateTimeError| TestCaseError::fail(e.message))?;
        prop_assert_eq!(x.cmp(&y), a.cmp(&b));
    }

    #[test]
    fn suggested_fixes_parse(text in date_time_like()) {
        if let Err(DateTimeError { help: Some(help), .. }) = text.parse::<LocalDateTime>()
            && let Some(fix) = help.strip_prefix("write `").and_then(|h| h.strip_suffix('`'))
        {
            prop_assert!(fix.parse::<LocalDateTime>().is_ok(), "{:?} -> {:?}", text, fix);
        }
    }
}
