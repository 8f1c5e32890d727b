//! Device-local date-times for enforcement deadlines, such as `2026-12-01T18:00:00`.
//!
//! Apple's `TargetLocalDateTime` is RFC 3339 without offset or fraction, read in each device's
//! own time zone. Parsing accepts exactly that form and a real calendar date and time; errors
//! give the exact text to write when the intent is clear.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, DateTime};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The one accepted form, as admins see it in messages.
const FORM: &str = "yyyy-mm-ddThh:mm:ss";

/// A mistake in a date-time string, worded for the admin who wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeError {
    /// What is wrong, quoting the input.
    pub message: String,
    /// How to fix it; the exact text to write when the intent is clear.
    pub help: Option<String>,
}

impl DateTimeError {
    fn new(message: String, help: Option<String>) -> Self {
        Self { message, help }
    }

    /// Serde errors carry one string, so the help rides along rather than being lost.
    fn one_line(&self) -> String {
        match &self.help {
            Some(help) => format!("{}; help: {help}", self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DateTimeError {}

/// A wall-clock date and time on the device, to the second, such as `2026-12-01T18:00:00`.
///
/// It has no offset on purpose: each device applies its own time zone, so a deadline of 18:00
/// means 18:00 wherever the device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime(DateTime);

impl LocalDateTime {
    /// The date-time as `jiff` sees it, for arithmetic such as "is this deadline past?".
    pub fn civil(self) -> DateTime {
        self.0
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let (year, month, day) = (d.year(), d.month(), d.day());
        let (hour, minute, second) = (d.hour(), d.minute(), d.second());
        write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")
    }
}

impl FromStr for LocalDateTime {
    type Err = DateTimeError;

    fn from_str(s: &str) -> Result<Self, DateTimeError> {
        match Fields::strict(s) {
            Some(fields) => fields.validate(&shown(s)).map(Self),
            None => Err(diagnose(s)),
        }
    }
}

/// The six numbers of a date-time before any range check, so that each range error can name
/// the part that is wrong.
#[derive(Clone, Copy)]
struct Fields {
    year: i16,
    month: i16,
    day: i16,
    hour: i16,
    minute: i16,
    second: i16,
}

impl Fields {
    /// Reads exactly `yyyy-mm-ddThh:mm:ss`, digits and separators in place.
    fn strict(s: &str) -> Option<Self> {
        let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
        if s.len() != FORM.len() || !separators.iter().all(|(at, c)| s.as_bytes().get(*at) == Some(c)) {
            return None;
        }
        let part = |from: usize, to: usize| s.get(from..to).and_then(digits);
        Some(Self {
            year: part(0, 4)?,
            month: part(5, 7)?,
            day: part(8, 10)?,
            hour: part(11, 13)?,
            minute: part(14, 16)?,
            second: part(17, 19)?,
        })
    }

    fn canonical(self) -> String {
        let Self { year, month, day, hour, minute, second } = self;
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")
    }

    /// Checks one part at a time, in reading order, quoting `shown` in the message.
    fn validate(self, shown: &str) -> Result<DateTime, DateTimeError> {
        let Self { year, month, day, hour, minute, second } = self;
        let fail = |message: String| Err(DateTimeError::new(message, None));
        if !(1..=12).contains(&month) {
            return fail(format!("month {month:02} is out of range (01 to 12) in `{shown}`"));
        }
        if !(1..=31).contains(&day) {
            return fail(format!("day {day:02} is out of range (01 to 31) in `{shown}`"));
        }
        let first = small(month).and_then(|month| Date::new(year, month, 1).ok());
        let days = first.map_or(31, |first| i16::from(first.days_in_month()));
        if day > days {
            let name = usize::try_from(month - 1).ok().and_then(|index| MONTHS.get(index)).unwrap_or(&"that month");
            let why = match (month, day) {
                (2, 29) => format!("{year:04} is not a leap year"),
                (2, _) => format!("February {year:04} has {days} days"),
                _ => format!("{name} has {days} days"),
            };
            return fail(format!("{name} {day} is not a date ({why}) in `{shown}`"));
        }
        if hour > 23 {
            let message = format!("hour {hour:02} is out of range (00 to 23) in `{shown}`");
            return Err(DateTimeError::new(message, self.end_of_day_help()));
        }
        if minute > 59 {
            return fail(format!("minute {minute:02} is out of range (00 to 59) in `{shown}`"));
        }
        if second > 59 {
            return fail(format!("second {second:02} is out of range (00 to 59) in `{shown}`"));
        }
        let civil = || {
            let (month, day) = (small(month)?, small(day)?);
            let (hour, minute, second) = (small(hour)?, small(minute)?, small(second)?);
            DateTime::new(year, month, day, hour, minute, second, 0).ok()
        };
        civil().ok_or_else(|| DateTimeError::new(format!("`{shown}` is not a valid date-time"), None))
    }

    /// `24:00:00` is ISO 8601's "end of the day": its meaning is clear, so say how to write it.
    fn end_of_day_help(self) -> Option<String> {
        if (self.hour, self.minute, self.second) != (24, 0, 0) {
            return None;
        }
        let date = Date::new(self.year, small(self.month)?, small(self.day)?).ok()?;
        let next = date.tomorrow().ok()?;
        let next = Self {
            year: next.year(),
            month: next.month().into(),
            day: next.day().into(),
            hour: 0,
            minute: 0,
            second: 0,
        };
        let day = Self { hour: 0, ..self }.canonical();
        let day = day.get(..10).unwrap_or(&day);
        Some(format!("for midnight at the end of {day}, write `{}`", next.canonical()))
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The value of one to four ASCII digits.
fn digits(s: &str) -> Option<i16> {
    let ok = (1..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.bytes().fold(0, |n, b| n * 10 + i16::from(b.wrapping_sub(b'0'))))
}

fn small(n: i16) -> Option<i8> {
    i8::try_from(n).ok()
}

/// A reading of a near miss: the date-time the admin most likely meant and what was extra.
struct Loose<'a> {
    /// The time is `00:00:00` when `has_time` is false.
    fields: Fields,
    has_time: bool,
    fraction: Option<&'a str>,
    offset: Option<&'a str>,
}

/// Reads the forms admins commonly write instead: a space or `t` for `T`, no seconds,
/// one-digit parts, fractional seconds, an offset (`Z`, `+01:00`, `-0500`), no time at all.
fn loose(s: &str) -> Option<Loose<'_>> {
    let s = s.trim();
    let (date, time) = match s.find(|c: char| c == 'T' || c == 't' || c.is_whitespace()) {
        Some(at) => {
            let (date, rest) = s.split_at(at);
            let mut rest = rest.chars();
            rest.next();
            (date, Some(rest.as_str().trim_start()))
        }
        None => (s, None),
    };
    let mut ymd = date.split('-');
    let (year, month, day) = (ymd.next()?, ymd.next()?, ymd.next()?);
    if ymd.next().is_some() || year.len() != 4 || month.len() > 2 || day.len() > 2 {
        return None;
    }
    let mut loose = Loose {
        fields: Fields { year: digits(year)?, month: digits(month)?, day: digits(day)?, hour: 0, minute: 0, second: 0 },
        has_time: false,
        fraction: None,
        offset: None,
    };
    let Some(time) = time else {
        return Some(loose);
    };
    let (time, offset) = match time.find(['Z', 'z', '+', '-']) {
        Some(at) => {
            let (time, offset) = time.split_at(at);
            if !is_offset(offset) {
                return None;
            }
            (time.trim_end(), Some(offset))
        }
        None => (time, None),
    };
    let (time, fraction) = match time.find(['.', ',']) {
        Some(at) => {
            let (time, fraction) = time.split_at(at);
            let fraction_digits = fraction.get(1..).unwrap_or_default();
            if !(1..=9).contains(&fraction_digits.len()) || !fraction_digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (time, Some(fraction))
        }
        None => (time, None),
    };
    let mut hms = time.split(':').map(|part| digits(part).filter(|_| part.len() <= 2));
    loose.fields.hour = hms.next()??;
    loose.fields.minute = hms.next()??;
    loose.fields.second = hms.next().unwrap_or(Some(0))?;
    if hms.next().is_some() {
        return None;
    }
    loose.has_time = true;
    loose.fraction = fraction;
    loose.offset = offset;
    Some(loose)
}

/// `Z`, `z`, or a sign and `hh`, `hhmm` or `hh:mm`.
fn is_offset(offset: &str) -> bool {
    if offset.eq_ignore_ascii_case("z") {
        return true;
    }
    let Some(rest) = offset.strip_prefix(['+', '-']) else {
        return false;
    };
    let digit = |at: usize| rest.as_bytes().get(at).is_some_and(u8::is_ascii_digit);
    match rest.len() {
        2 => digit(0) && digit(1),
        4 => (0..4).all(digit),
        5 => digit(0) && digit(1) && rest.as_bytes().get(2) == Some(&b':') && digit(3) && digit(4),
        _ => false,
    }
}

/// Explains why `s`, which is not in the strict form, was rejected.
fn diagnose(s: &str) -> DateTimeError {
    let shown = shown(s);
    let example = Some("for example `2026-12-01T18:00:00`".to_owned());
    if s.trim().is_empty() {
        let found = if s.is_empty() { "an empty string" } else { "only whitespace" };
        return DateTimeError::new(format!("expected `{FORM}`, found {found}"), example);
    }
    let expected = format!("expected `{FORM}`, found `{shown}`");
    let Some(loose) = loose(s) else {
        return DateTimeError::new(expected, example);
    };
    let fix = loose.fields.canonical();
    let fix_is_valid = fix.parse::<LocalDateTime>().is_ok();
    if !loose.has_time {
        // Any time would be a guess: offer the start of the day as an example, not a fix.
        let help = fix_is_valid.then(|| format!("add the time of day, for example `{fix}` for the start of that day"));
        let message = format!("a time of day is required: {expected}");
        return DateTimeError::new(message, help.or(example));
    }
    let write = fix_is_valid.then(|| format!("write `{fix}`"));
    if let Some(offset) = loose.offset {
        let message = format!(
            "device local time takes no offset, found `{offset}` in `{shown}`: each device \
             applies its own time zone"
        );
        return DateTimeError::new(message, write.or(Some(format!("remove `{offset}`"))));
    }
    if let Some(fraction) = loose.fraction {
        let message = format!("fractional seconds are not allowed, found `{fraction}` in `{shown}`");
        return DateTimeError::new(message, write.or(Some(format!("remove `{fraction}`"))));
    }
    DateTimeError::new(expected, write.or(example))
}

/// The input as it may be quoted in a one-line message: control characters escaped.
fn shown(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

impl Serialize for LocalDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(LocalDateTimeVisitor)
    }
}

struct LocalDateTimeVisitor;

impl Visitor<'_> for LocalDateTimeVisitor {
    type Value = LocalDateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a local date-time in quotes, such as \"2026-12-01T18:00:00\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<LocalDateTime, E> {
        v.parse().map_err(|err: DateTimeError| E::custom(err.one_line()))
    }
}

/// Accepts exactly what `LocalDateTime::from_str` accepts, calendar included: days 29 to 31
/// only in months that have them, and February 29 only in Gregorian leap years.
const LOCAL_DATE_TIME_PATTERN: &str = r"^(?:[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$";

impl JsonSchema for LocalDateTime {
    fn schema_name() -> Cow<'static, str> {
        "LocalDateTime".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::LocalDateTime").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "local-date-time",
            "pattern": LOCAL_DATE_TIME_PATTERN,
            "description": "A date and time in the device's own time zone, \
                `yyyy-mm-ddThh:mm:ss` with no offset or fractional seconds, \
                such as `2026-12-01T18:00:00`.",
            "examples": ["2026-12-01T18:00:00"]
        })
    }
}

#[cfg(test)]
mod tests {
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
        assert_error("2026-02-30T10:00:00", message, None);
        let message = "February 30 is not a date (February 2028 has 29 days) in `2028-02-30T10:00:00`";
        assert_error("2028-02-30T10:00:00", message, None);
        let message = "February 29 is not a date (2026 is not a leap year) in `2026-02-29T10:00:00`";
        assert_error("2026-02-29T10:00:00", message, None);
        let message = "April 31 is not a date (April has 30 days) in `2026-04-31T10:00:00`";
        assert_error("2026-04-31T10:00:00", message, None);
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
            err.starts_with(
                "expected `yyyy-mm-ddThh:mm:ss`, found `2026-12-01T18:00`; help: write `2026-12-01T18:00:00`"
            ),
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
}
