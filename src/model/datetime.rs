//! Device-local date-times for enforcement deadlines, such as `2026-12-01T18:00:00`.
//!
//! Apple's `TargetLocalDateTime` is RFC 3339 without offset or fraction, read in each device's
//! own time zone. Parsing accepts exactly that form and a real calendar date and time; errors
//! give the exact text to write when the intent is clear.

use super::shown;
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

    /// A date at a time of day, to the second (deadlines computed from a release date).
    pub fn at(date: Date, time: jiff::civil::Time) -> Self {
        LocalDateTime(date.to_datetime(time.with().subsec_nanosecond(0).build().unwrap_or(time)))
    }

    /// This machine's wall clock in its own time zone, to the second: what "now" means for a
    /// device-local deadline when no `--now` is given.
    pub fn now_local() -> Self {
        let now = jiff::Zoned::now().datetime();
        Self(now.with().subsec_nanosecond(0).build().unwrap_or(now))
    }
}

impl fmt::Display for LocalDateTime {
    /// `YYYY-MM-DDTHH:MM:SS`, digit by digit: every declaration digest and manifest writes
    /// deadlines, and the formatter's padding cost more than the rest of the digest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let (year, month, day) = (d.year(), d.month(), d.day());
        let (hour, minute, second) = (d.hour(), d.minute(), d.second());
        let Ok(year @ 0..=9999) = u16::try_from(year) else {
            return write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
        };
        let mut text = *b"0000-00-00T00:00:00";
        let mut put = |at: usize, digits: usize, mut n: u16| {
            for i in (at..at + digits).rev() {
                text[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        for (at, n) in [(5, month), (8, day), (11, hour), (14, minute), (17, second)] {
            put(at, 2, u16::try_from(n).unwrap_or_default());
        }
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
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
            let last = Self { day: days, ..self }.canonical();
            let help = format!("the last day of {name} {year:04} is `{last}`");
            return Err(DateTimeError::new(format!("{name} {day} is not a date ({why}) in `{shown}`"), Some(help)));
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
mod tests;
