//! What a device runs, Background Security Improvements included: `26.3.1 (a)`.
//!
//! Apple writes the supplemental letter three ways: `26.3.1 (a)` for people, `(a)` in
//! MDM's `SupplementalOSVersionExtra`, and `a` in the DDM status item
//! `device.operating-system.supplemental.extra-version` (real devices report `(a)` there too,
//! so both are accepted). The letter is never derived from a build's suffix: real builds
//! exist whose suffix letter differs from their `(a)` letter.

use super::OsVersion;
use super::version::VersionError;
use std::fmt;
use std::str::FromStr;

/// The letter of a supplemental release: `a`, `b`, `c`…; each includes the earlier ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Extra(char);

impl Extra {
    pub fn letter(self) -> char {
        self.0
    }

    /// `(a)`: the MDM and human form.
    pub fn parse_parenthesised(s: &str) -> Result<Self, VersionError> {
        let inner = s.trim().strip_prefix('(').and_then(|r| r.strip_suffix(')'));
        match inner {
            Some(letter) => Self::parse_letter(letter),
            None => Err(error(format!("expected a supplemental version such as `(a)`, found `{s}`"), None)),
        }
    }

    /// `a`: the DDM status form; `(a)`, which devices also report, is accepted too.
    pub fn parse_status(s: &str) -> Result<Self, VersionError> {
        if s.trim().starts_with('(') { Self::parse_parenthesised(s) } else { Self::parse_letter(s) }
    }

    fn parse_letter(s: &str) -> Result<Self, VersionError> {
        let mut chars = s.trim().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_lowercase() => Ok(Extra(c)),
            (Some(c), None) if c.is_ascii_uppercase() => {
                Err(error(format!("a supplemental letter is lower case, found `{s}`"), Some(c.to_ascii_lowercase())))
            }
            _ => Err(error(format!("expected one lower-case letter such as `a`, found `{s}`"), None)),
        }
    }
}

fn error(message: String, letter: Option<char>) -> VersionError {
    VersionError { message, help: letter.map(|l| format!("write `{l}`")) }
}

impl fmt::Display for Extra {
    /// The parenthesised form, `(a)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({})", self.0)
    }
}

/// An OS version with its supplemental release, if any. Ordered as Apple ships them:
/// `16.2 (a)` < `16.2 (b)` < `16.3` < `16.3 (a)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceVersion {
    pub os: OsVersion,
    pub extra: Option<Extra>,
}

impl DeviceVersion {
    /// From DDM status: `device.operating-system.version` and, if present,
    /// `supplemental.extra-version` (`a`; an empty string means none).
    pub fn from_status(version: &str, extra: Option<&str>) -> Result<Self, VersionError> {
        let extra = extra.filter(|e| !e.trim().is_empty()).map(Extra::parse_status).transpose()?;
        Ok(DeviceVersion { os: version.trim().parse()?, extra })
    }

    /// From MDM DeviceInformation: `OSVersion` and `SupplementalOSVersionExtra` (`(a)`).
    pub fn from_mdm(version: &str, extra: Option<&str>) -> Result<Self, VersionError> {
        let extra = extra.filter(|e| !e.trim().is_empty()).map(Extra::parse_parenthesised).transpose()?;
        Ok(DeviceVersion { os: version.trim().parse()?, extra })
    }

    /// Whether a device at `self` already has everything `other` brings: a later letter has
    /// the earlier ones, and a later OS has every supplemental release of the earlier ones.
    pub fn includes(&self, other: &DeviceVersion) -> bool {
        self >= other
    }
}

impl FromStr for DeviceVersion {
    type Err = VersionError;

    /// The human form: `26.3.1` or `26.3.1 (a)`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s.find('(') {
            None => Ok(DeviceVersion { os: s.parse()?, extra: None }),
            Some(open) => Ok(DeviceVersion {
                os: s[..open].trim_end().parse()?,
                extra: Some(Extra::parse_parenthesised(&s[open..])?),
            }),
        }
    }
}

impl fmt::Display for DeviceVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.extra {
            Some(extra) => write!(f, "{} {extra}", self.os),
            None => write!(f, "{}", self.os),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> DeviceVersion {
        s.parse().unwrap_or_else(|e: VersionError| panic!("{s}: {}", e.message))
    }

    #[test]
    fn apples_order() {
        let shipped = ["16.2", "16.2 (a)", "16.2 (b)", "16.3", "16.3 (a)", "16.3.1", "17.0"];
        for pair in shipped.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert!(v("16.3").includes(&v("16.2 (c)")), "the next minor includes every response of the previous");
        assert!(v("16.2 (c)").includes(&v("16.2 (a)")), "each letter includes the earlier ones");
        assert!(!v("16.2 (a)").includes(&v("16.2 (b)")));
    }

    #[test]
    fn the_three_forms() {
        let human = v("26.3.1 (a)");
        assert_eq!(DeviceVersion::from_mdm("26.3.1", Some("(a)")).expect("mdm"), human);
        assert_eq!(DeviceVersion::from_status("26.3.1", Some("a")).expect("ddm"), human);
        // A real macOS 13.3.1 device reports `(a)` in the DDM status item.
        assert_eq!(DeviceVersion::from_status("13.3.1", Some("(a)")).expect("real"), v("13.3.1 (a)"));
        assert_eq!(DeviceVersion::from_status("26.3.1", Some("")).expect("none"), v("26.3.1"));
        assert_eq!(human.to_string(), "26.3.1 (a)");
    }

    #[test]
    fn strict_errors() {
        assert!("26.3.1 (A)".parse::<DeviceVersion>().is_err_and(|e| e.help.as_deref() == Some("write `a`")));
        assert!("26.3.1 (ab)".parse::<DeviceVersion>().is_err());
        assert!("26.3.1 a".parse::<DeviceVersion>().is_err());
        assert!(DeviceVersion::from_mdm("26.3.1", Some("a")).is_err(), "MDM writes `(a)`");
        assert!(DeviceVersion::from_status("26.3.1", Some("aa")).is_err());
    }

    fn version() -> impl Strategy<Value = (u16, u16, u16, Option<char>)> {
        (1u16..30, 0u16..12, 0u16..4, proptest::option::of(proptest::char::range('a', 'e')))
    }

    fn make((major, minor, patch, extra): (u16, u16, u16, Option<char>)) -> DeviceVersion {
        let os = OsVersion::new(major, minor, (patch > 0).then_some(patch));
        DeviceVersion { os, extra: extra.map(Extra) }
    }

    proptest! {
        #[test]
        fn order_is_the_tuple_order(a in version(), b in version()) {
            let tuple = |(major, minor, patch, extra): (u16, u16, u16, Option<char>)| (major, minor, patch, extra);
            prop_assert_eq!(make(a).cmp(&make(b)), tuple(a).cmp(&tuple(b)));
        }

        #[test]
        fn display_parses_back(a in version()) {
            let d = make(a);
            prop_assert_eq!(d.to_string().parse::<DeviceVersion>().ok(), Some(d));
        }
    }
}
