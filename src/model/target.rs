//! What an `enforce` entry asks for, as written: a version or `latest` (within `major` /
//! `below`), and a deadline that is a date-time or a number of days after Apple's release.
//! The catalog resolves `latest` and relative deadlines (the `resolve` stage); these types only
//! say what was asked, so that a combination the contract forbids cannot be represented.

use super::{LocalDateTime, OsVersion};
use jiff::civil::Time;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// The word that asks the catalog for the newest version or BSI.
pub const LATEST: &str = "latest";

/// `os_version` as written: `latest` or a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsTarget {
    Latest,
    Version(OsVersion),
}

/// The OS version an entry targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A version as written (`26.3.1`).
    Version(OsVersion),
    /// The newest available, not device-specific version in the catalog, of `major` only and
    /// below `below` (exclusive) when given.
    Latest { major: Option<u16>, below: Option<OsVersion> },
}

impl Target {
    /// The version as written, `None` for `latest`.
    pub fn version(&self) -> Option<OsVersion> {
        match self {
            Target::Version(v) => Some(*v),
            Target::Latest { .. } => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Version(v) => write!(f, "{v}"),
            Target::Latest { major, below } => {
                f.write_str(LATEST)?;
                if let Some(m) = major {
                    write!(f, " {m}.x")?;
                }
                if let Some(b) = below {
                    write!(f, " below {b}")?;
                }
                Ok(())
            }
        }
    }
}

/// `background_security_improvement`: only `latest` exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BsiTarget {
    /// The newest available BSI on the (resolved) `os_version`.
    Latest,
}

/// When the device installs the update if the user has not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// A device-local date-time as written.
    At(LocalDateTime),
    /// Days after Apple's release date, at a time of day (needs a catalog).
    AfterRelease(AfterRelease),
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deadline::At(at) => write!(f, "{at}"),
            Deadline::AfterRelease(r) => {
                write!(f, "{} days after release at {}", r.days_after_release, r.time)?;
                if r.skip_weekends {
                    f.write_str(", weekdays only")?;
                }
                Ok(())
            }
        }
    }
}

/// A deadline relative to the release of the version (for the BSI half: of the BSI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterRelease {
    /// Days after Apple's release date (its first `PostingDate`), 0 to 365.
    #[schemars(range(min = 0, max = 365))]
    pub days_after_release: u16,
    /// Device local time of day, `hh:mm:ss`; default `18:00:00`.
    #[serde(default)]
    pub time: TimeOfDay,
    /// A deadline on a Saturday or Sunday moves to the Monday after.
    #[serde(default)]
    pub skip_weekends: bool,
}

/// A time of day to the second, `hh:mm:ss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeOfDay(pub Time);

impl Default for TimeOfDay {
    fn default() -> Self {
        TimeOfDay(Time::constant(18, 0, 0, 0))
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}:{:02}", self.0.hour(), self.0.minute(), self.0.second())
    }
}

/// Why a time of day is not `hh:mm:ss`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeOfDayError {
    pub message: String,
    pub help: Option<String>,
}

impl FromStr for TimeOfDay {
    type Err = TimeOfDayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |help: Option<String>| TimeOfDayError {
            message: format!("`{s}` is not a time of day `hh:mm:ss` (00:00:00 to 23:59:59)"),
            help,
        };
        let parts: Vec<&str> = s.split(':').collect();
        let two_digits = |p: &&str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
        let numbers: Option<Vec<i8>> =
            parts.iter().map(|p| two_digits(p).then(|| p.parse::<i8>().ok()).flatten()).collect();
        match numbers.as_deref() {
            Some([h, m, sec]) => Time::new(*h, *m, *sec, 0).map(TimeOfDay).map_err(|_| fail(None)),
            Some([h, m]) if Time::new(*h, *m, 0, 0).is_ok() => Err(fail(Some(format!("write `{s}:00`")))),
            _ => Err(fail(None)),
        }
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|e: TimeOfDayError| de::Error::custom(e.message))
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for TimeOfDay {
    fn schema_name() -> Cow<'static, str> {
        "TimeOfDay".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "time-of-day",
            "pattern": "^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
            "description": "A device-local time of day, `hh:mm:ss`, such as `18:00:00`.",
            "examples": ["18:00:00"]
        })
    }
}

impl<'de> Deserialize<'de> for OsTarget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(OsTargetVisitor)
    }
}

struct OsTargetVisitor;

impl Visitor<'_> for OsTargetVisitor {
    type Value = OsTarget;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`latest` or an OS version in quotes, such as \"26.3.1\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<OsTarget, E> {
        if v == LATEST {
            return Ok(OsTarget::Latest);
        }
        v.parse().map(OsTarget::Version).map_err(|e: super::version::VersionError| E::custom(e.message))
    }
}

impl JsonSchema for OsTarget {
    fn schema_name() -> Cow<'static, str> {
        "OsTarget".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let version = generator.subschema_for::<OsVersion>();
        // `if`/`else` rather than `anyOf`: a mistyped version gets the version's own message.
        json_schema!({
            "description": "`latest` (the newest version in Apple's catalog) or an OS version: \
                major.minor or major.minor.patch, such as `26.3.1`.",
            "if": {"const": LATEST},
            "else": version,
            "examples": [LATEST, "26.3.1"]
        })
    }
}

impl JsonSchema for Deadline {
    fn schema_name() -> Cow<'static, str> {
        "Deadline".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let at = generator.subschema_for::<LocalDateTime>();
        let relative = generator.subschema_for::<AfterRelease>();
        // `if`/`then`/`else`: a mapping gets the relative deadline's messages, anything else
        // the date-time's.
        json_schema!({
            "description": "A device-local date-time, `yyyy-mm-ddThh:mm:ss`, or days after \
                Apple's release: `{days_after_release: 7, time: \"18:00:00\", skip_weekends: true}`.",
            "if": {"type": "object"},
            "then": relative,
            "else": at
        })
    }
}

impl<'de> Deserialize<'de> for Deadline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            At(LocalDateTime),
            AfterRelease(AfterRelease),
        }
        Ok(match Written::deserialize(deserializer)? {
            Written::At(at) => Deadline::At(at),
            Written::AfterRelease(r) => Deadline::AfterRelease(r),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_of_day_is_strict() {
        assert_eq!("18:00:00".parse::<TimeOfDay>().expect("valid").to_string(), "18:00:00");
        assert_eq!("00:00:00".parse::<TimeOfDay>().expect("valid").0, Time::constant(0, 0, 0, 0));
        for bad in ["24:00:00", "9:00:00", "18:60:00", "18:00:60", "", "18-00-00", "18:00:00Z"] {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
        }
        assert_eq!("18:30".parse::<TimeOfDay>().expect_err("fails").help.as_deref(), Some("write `18:30:00`"));
    }

    #[test]
    fn os_target_reads_latest_or_a_version() {
        let t: OsTarget = serde_json::from_str("\"latest\"").expect("valid");
        assert_eq!(t, OsTarget::Latest);
        let t: OsTarget = serde_json::from_str("\"26.3.1\"").expect("valid");
        assert_eq!(t, OsTarget::Version("26.3.1".parse().expect("valid")));
        assert!(serde_json::from_str::<OsTarget>("\"Latest\"").is_err());
    }

    #[test]
    fn deadline_reads_both_forms() {
        let d: Deadline = serde_json::from_str("\"2026-03-20T18:00:00\"").expect("valid");
        assert!(matches!(d, Deadline::At(_)));
        let d: Deadline = serde_json::from_str(r#"{"days_after_release": 7, "skip_weekends": true}"#).expect("valid");
        assert_eq!(
            d,
            Deadline::AfterRelease(AfterRelease {
                days_after_release: 7,
                time: TimeOfDay::default(),
                skip_weekends: true
            })
        );
    }
}
