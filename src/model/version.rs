//! OS versions (`26.3.1`) and build versions (`25D771280a`) as Apple writes them.
//!
//! Admins type these into policy files and devices compare them literally, so parsing is strict:
//! it accepts exactly what Apple's declarations carry. Every error says what was expected and,
//! when the intent is clear, the exact text to write instead.

use super::shown;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A mistake in a version string, worded for the admin who wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionError {
    /// What is wrong, quoting the input.
    pub message: String,
    /// How to fix it; the exact text to write when the intent is clear.
    pub help: Option<String>,
}

impl VersionError {
    fn new(message: String) -> Self {
        Self { message, help: None }
    }

    fn with_help(mut self, help: String) -> Self {
        self.help = Some(help);
        self
    }

    /// Adds "write `fix`" unless the error already explains itself; the fix is computed only
    /// for errors, and only offered when it parses.
    fn or_fix(self, fix: impl FnOnce() -> Option<String>) -> Self {
        match (&self.help, fix()) {
            (None, Some(fix)) => self.with_help(format!("write `{fix}`")),
            _ => self,
        }
    }

    /// Serde errors carry one string, so the help rides along rather than being lost.
    fn one_line(&self) -> String {
        match &self.help {
            Some(help) => format!("{}; help: {help}", self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for VersionError {}

/// An OS version such as `16.1` or `26.3.1`: Apple's `TargetOSVersion`.
///
/// Ordering, equality and hashing treat a missing patch as `0`, so `16.1 == 16.1.0`: both name
/// the same release, and treating them as different would let duplicates slip past checks.
/// `Display` still prints the form that was written, so output keeps the admin's spelling.
#[derive(Clone, Copy, Debug)]
pub struct OsVersion {
    major: u16,
    minor: u16,
    patch: Option<u16>,
}

impl OsVersion {
    /// Builds a version from its parts. The policy rule "major is at least 1" is a check on
    /// what admins write, so `FromStr` enforces it and this constructor does not.
    pub const fn new(major: u16, minor: u16, patch: Option<u16>) -> Self {
        Self { major, minor, patch }
    }

    pub const fn major(self) -> u16 {
        self.major
    }

    pub const fn minor(self) -> u16 {
        self.minor
    }

    /// The patch as written: `None` for `16.1`, `Some(0)` for `16.1.0`.
    pub const fn patch(self) -> Option<u16> {
        self.patch
    }

    /// The numeric identity used by `Eq`, `Ord` and `Hash`.
    const fn key(self) -> (u16, u16, u16) {
        let patch = match self.patch {
            Some(patch) => patch,
            None => 0,
        };
        (self.major, self.minor, patch)
    }
}

impl PartialEq for OsVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for OsVersion {}

impl Hash for OsVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for OsVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OsVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        match self.patch {
            Some(patch) => write!(f, ".{patch}"),
            None => Ok(()),
        }
    }
}

impl FromStr for OsVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, VersionError> {
        parse_os_version(s).map_err(|err| err.or_fix(|| os_version_fix(s)))
    }
}

/// The strict grammar, without fix suggestions (which call back into it).
fn parse_os_version(s: &str) -> Result<OsVersion, VersionError> {
    let shown = shown(s);
    let fail = |message: String| Err(VersionError::new(message));
    if s.trim().is_empty() {
        let found = if s.is_empty() { "an empty string" } else { "only whitespace" };
        return fail(format!("expected an OS version such as `26.1`, found {found}"));
    }
    if let Some((_, letter)) = split_supplemental_letter(s) {
        return fail(format!(
            "`({letter})` is not part of an OS version, found `{shown}`: a Background Security \
             Improvement is named by its build version, such as `25D771280a`"
        ));
    }
    if s.contains(char::is_whitespace) {
        return fail(format!("an OS version has no spaces, found `{shown}`"));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_digit() && *c != '.') {
        let c = shown_char(c);
        return fail(format!("an OS version has only digits and dots, found `{c}` in `{shown}`"));
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.iter().any(|part| part.is_empty()) {
        return fail(format!("an OS version has a number on each side of every dot, found `{shown}`"));
    }
    let &[major, minor, ref patch @ ..] = parts.as_slice() else {
        return fail(format!("expected major.minor or major.minor.patch, found `{shown}`"));
    };
    if patch.len() > 1 {
        return Err(VersionError::new(format!(
            "expected major.minor or major.minor.patch, found {} components in `{shown}`",
            parts.len()
        ))
        .with_help("Apple OS versions have at most three components, like `16.1.1`".into()));
    }
    let number = |part: &str| -> Result<u16, VersionError> {
        if part.len() > 1 && part.starts_with('0') {
            return Err(VersionError::new(format!(
                "a version component has no leading zeros, found `{part}` in `{shown}`"
            )));
        }
        part.parse().map_err(|_| {
            VersionError::new(format!("version component `{part}` is too large (at most {}) in `{shown}`", u16::MAX))
        })
    };
    let version = OsVersion::new(number(major)?, number(minor)?, patch.first().map(|part| number(part)).transpose()?);
    if version.major == 0 {
        return fail(format!("the major version is at least 1, found `{shown}`"));
    }
    Ok(version)
}

/// Splits `26.3.1 (a)` into `26.3.1` and `a`: the way Apple names a supplemental release
/// in prose, which admins may paste where only the OS version belongs.
fn split_supplemental_letter(s: &str) -> Option<(&str, char)> {
    let inner = s.trim_end().strip_suffix(')')?;
    let mut chars = inner.chars();
    let letter = chars.next_back().filter(char::is_ascii_lowercase)?;
    let version = chars.as_str().strip_suffix('(')?;
    Some((version.trim_end(), letter))
}

/// The version the admin most likely meant, if that is clear and valid.
fn os_version_fix(s: &str) -> Option<String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let body = split_supplemental_letter(&compact).map_or(compact.as_str(), |(v, _)| v);
    // `v26.1`, `macOS26.1` and `+26.1` all mean `26.1`.
    let body = body.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '+').trim_end_matches('.');
    let mut parts: Vec<&str> = body.split('.').map(without_leading_zeros).collect();
    if parts.len() == 1 {
        parts.push("0");
    }
    let fix = parts.join(".");
    parse_os_version(&fix).is_ok().then_some(fix)
}

fn without_leading_zeros(part: &str) -> &str {
    match part.trim_start_matches('0') {
        "" if !part.is_empty() => "0",
        trimmed => trimmed,
    }
}

/// An OS build version such as `23A309`, `24A5264n` or `25D771280a`.
///
/// A build is a train (a one- or two-digit major number and an upper-case letter, `25D`), a
/// build number of up to six digits, and an optional lower-case suffix letter. The suffix marks
/// either a seed (beta) build or a supplemental (BSI/RSR) build; see [`Self::is_seed`].
///
/// Two things are deliberately not offered: the `(a)` letter of the human version (real builds
/// exist whose suffix differs from it) and the base build under a supplemental build (the base
/// of `25D771280a` is `25D2128`, which nothing in the text says).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildVersion {
    // Field order is the sort order: the derived `Ord` compares top to bottom, giving
    // (train major, train letter, build number, suffix).
    train_major: u32,
    train_letter: char,
    number_value: u32,
    suffix: Option<char>,
    // These repeat the fields above as written. Only leading zeros of the build number can
    // differ between equal values above, so comparing them last keeps `Ord` in line with `Eq`.
    train: String,
    number: String,
}

impl BuildVersion {
    /// The train as written, such as `25D`.
    pub fn train(&self) -> &str {
        &self.train
    }

    /// The build number as written, leading zeros included: `771000` of `22A771000a`.
    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn suffix(&self) -> Option<char> {
        self.suffix
    }

    /// A seed (beta) build: its number is four digits starting with `5` (`20A5303i`). Seeds
    /// carry a suffix letter too, which must not be mistaken for a supplemental build.
    pub fn is_seed(&self) -> bool {
        self.number.len() == 4 && self.number.starts_with('5')
    }

    /// A supplemental build, a Background Security Improvement (formerly Rapid Security
    /// Response), such as `25D771280a`: a suffix letter on a build that is not a seed.
    pub fn is_supplemental(&self) -> bool {
        self.suffix.is_some() && !self.is_seed()
    }
}

impl fmt::Display for BuildVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.train)?;
        f.write_str(&self.number)?;
        match self.suffix {
            Some(suffix) => write!(f, "{suffix}"),
            None => Ok(()),
        }
    }
}

impl FromStr for BuildVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, VersionError> {
        parse_build_version(s).map_err(|err| err.or_fix(|| build_version_fix(s)))
    }
}

/// The strict grammar, without fix suggestions (which call back into it).
fn parse_build_version(s: &str) -> Result<BuildVersion, VersionError> {
    let shown = shown(s);
    let fail = |message: String| Err(VersionError::new(message));
    if s.trim().is_empty() {
        let found = if s.is_empty() { "an empty string" } else { "only whitespace" };
        return fail(format!("expected a build version such as `25D771280a`, found {found}"));
    }
    if s.contains(char::is_whitespace) {
        return fail(format!("a build version has no spaces, found `{shown}`"));
    }
    if parse_os_version(s).is_ok() {
        return Err(VersionError::new(format!(
            "`{shown}` is an OS version; expected a build version such as `25D771280a`"
        ))
        .with_help("on a Mac, `sw_vers -buildVersion` prints the build version".into()));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        let c = shown_char(c);
        return fail(format!("a build version has only letters and digits, found `{c}` in `{shown}`"));
    }
    let (major, rest) = split_digits(s);
    if major.is_empty() || major.len() > 2 {
        return fail(format!(
            "expected a build version starting with a train of one or two digits and an \
             upper-case letter, like the `25D` of `25D771280a`, found `{shown}`"
        ));
    }
    if major.starts_with('0') {
        return fail(format!("the train number has no leading zero, found `{major}` in `{shown}`"));
    }
    let mut chars = rest.chars();
    let train_letter = match chars.next() {
        Some(c) if c.is_ascii_uppercase() => c,
        Some(c) if c.is_ascii_lowercase() => {
            return fail(format!("the train letter is upper case, found `{c}` in `{shown}`"));
        }
        _ => {
            return fail(format!("expected an upper-case train letter after `{major}` in `{shown}`"));
        }
    };
    let (number, rest) = split_digits(chars.as_str());
    if number.is_empty() {
        return fail(format!("expected a build number after the train `{major}{train_letter}` in `{shown}`"));
    }
    if number.len() > 6 {
        return fail(format!(
            "a build number has at most six digits, found `{number}` ({} digits) in `{shown}`",
            number.len()
        ));
    }
    let mut rest_chars = rest.chars();
    let suffix = match (rest_chars.next(), rest_chars.next()) {
        (None, _) => None,
        (Some(c), None) if c.is_ascii_lowercase() => Some(c),
        (Some(c), None) if c.is_ascii_uppercase() => {
            return fail(format!("the suffix letter is lower case, found `{c}` in `{shown}`"));
        }
        _ => {
            return fail(format!(
                "expected at most one lower-case letter after the build number `{number}`, \
                 found `{rest}` in `{shown}`"
            ));
        }
    };
    Ok(BuildVersion {
        train_major: digits_value(major),
        train_letter,
        number_value: digits_value(number),
        suffix,
        train: format!("{major}{train_letter}"),
        number: number.to_owned(),
    })
}

/// The build the admin most likely meant, if that is clear and valid: spaces and surrounding
/// parentheses dropped (as in `26.3.1 (a) (25D771280a)`), letter case put right.
fn build_version_fix(s: &str) -> Option<String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let body = compact.trim_start_matches('(').trim_end_matches(')');
    let (major, rest) = split_digits(body);
    let mut chars = rest.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let (number, tail) = split_digits(chars.as_str());
    let major = major.trim_start_matches('0');
    let fix = format!("{major}{letter}{number}{}", tail.to_ascii_lowercase());
    parse_build_version(&fix).is_ok().then_some(fix)
}

/// Splits off the leading ASCII digits. `find` yields a char boundary, so this cannot panic.
fn split_digits(s: &str) -> (&str, &str) {
    s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()))
}

/// The value of at most nine ASCII digits (callers check the length), so no overflow.
fn digits_value(digits: &str) -> u32 {
    digits.bytes().fold(0, |value, digit| value * 10 + u32::from(digit.wrapping_sub(b'0')))
}

fn shown_char(c: char) -> String {
    shown(c.encode_utf8(&mut [0; 4])).into_owned()
}

/// Deserializes any of this module's types from a string through `FromStr`.
struct ParseVisitor<T> {
    expecting: &'static str,
    marker: PhantomData<T>,
}

impl<T: FromStr<Err = VersionError>> Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(|err: VersionError| E::custom(err.one_line()))
    }
}

impl Serialize for OsVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OsVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor {
            // A YAML `26.10` unquoted is the number 26.1: asking for quotes avoids that trap.
            expecting: "an OS version in quotes, such as \"26.1\"",
            marker: PhantomData,
        })
    }
}

impl Serialize for BuildVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BuildVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor {
            expecting: "a build version in quotes, such as \"25D771280a\"",
            marker: PhantomData,
        })
    }
}

/// Accepts exactly what `OsVersion::from_str` accepts: each component a `u16` without leading
/// zeros, major at least 1, two or three components. Written out (rather than `[0-9]+`) so
/// editors flag `26.70000` as the compiler does.
const OS_VERSION_PATTERN: &str = r"^(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])(?:\.(?:0|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])){1,2}$";

/// Accepts exactly what `BuildVersion::from_str` accepts.
const BUILD_VERSION_PATTERN: &str = r"^[1-9][0-9]?[A-Z][0-9]{1,6}[a-z]?$";

impl JsonSchema for OsVersion {
    fn schema_name() -> Cow<'static, str> {
        "OsVersion".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::OsVersion").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "os-version",
            "pattern": OS_VERSION_PATTERN,
            "description": "An OS version as Apple writes it: major.minor or major.minor.patch, \
                such as `16.1` or `26.3.1`. Quote it in YAML so that `26.10` stays `26.10`.",
            "examples": ["26.1", "26.3.1"]
        })
    }
}

impl JsonSchema for BuildVersion {
    fn schema_name() -> Cow<'static, str> {
        "BuildVersion".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::BuildVersion").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "build-version",
            "pattern": BUILD_VERSION_PATTERN,
            "description": "An OS build version: a train (one or two digits and an upper-case \
                letter, such as `25D`), a build number of up to six digits, and an optional \
                lower-case letter that marks a supplemental (Background Security Improvement) \
                build such as `25D771280a`, or a seed (beta) build such as `24A5264n`.",
            "examples": ["23A309", "25D771280a"]
        })
    }
}

#[cfg(test)]
mod tests;
