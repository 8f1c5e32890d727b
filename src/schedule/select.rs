//! Choosing the security response to schedule: the newest one the device lists.
//!
//! "Newest" is the order of the releases themselves: the base OS version, then the letter of
//! `(a)`, then the build. The letter is read from `SupplementalOSVersionExtra` and nowhere
//! else: a build's suffix letter is not the release letter (real builds exist whose suffix
//! differs from their `(a)`), so deriving one from the other would schedule the wrong update.

use super::parse::{AvailableUpdate, InputError};
use crate::model::platform::Platform;
use crate::model::version::{BuildVersion, OsVersion};

/// A security response (Rapid Security Response, now Background Security Improvement) with
/// the values that order it, parsed.
#[derive(Clone, Debug)]
pub struct SecurityResponse<'a> {
    pub update: &'a AvailableUpdate,
    /// The base OS version the response applies to: `13.3.1` of `13.3.1 (a)`.
    pub version: OsVersion,
    /// The `a` of `(a)`, from `SupplementalOSVersionExtra`.
    pub letter: char,
    /// `SupplementalBuildVersion`, else `Build` (Apple: "the same as 'Build'").
    pub build: Option<BuildVersion>,
}

impl SecurityResponse<'_> {
    /// The release as Apple names it: `13.3.1 (a)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.version, self.letter)
    }

    /// The key `ScheduleOSUpdate` needs. Apple: `ProductVersion` "isn't available for use with
    /// Rapid Security Response (RSR) updates", so without a `ProductKey` there is no command.
    pub fn product_key(&self) -> Result<&str, InputError> {
        let path = || self.update.key_path("ProductKey");
        match self.update.product_key.as_deref() {
            Some(key) if !key.trim().is_empty() => Ok(key),
            Some(_) => Err(InputError::key(path(), "is empty; the chosen security response needs its product key")),
            None => Err(InputError::key(
                path(),
                format!(
                    "missing on the chosen security response `{}`; ScheduleOSUpdate names an RSR only by its \
                     ProductKey (Apple: ProductVersion isn't available for RSR updates)",
                    self.label()
                ),
            )),
        }
    }

    /// The platform of the device that sent the list, when the entry tells: iPhones and Apple
    /// TVs send `ProductName`; Macs never do, but send keys that only Macs have.
    pub fn platform(&self) -> Option<Platform> {
        match self.update.product_name.as_deref() {
            Some("iOS" | "iPadOS") => Some(Platform::IOS),
            Some("tvOS") => Some(Platform::TvOS),
            Some("macOS" | "OS X" | "Mac OS X") => Some(Platform::MacOS),
            Some(_) => None,
            None => self.update.has_macos_only_keys.then_some(Platform::MacOS),
        }
    }

    /// The sort key: version, letter, build. A missing build sorts first.
    fn order(&self) -> (OsVersion, char, Option<&BuildVersion>) {
        (self.version, self.letter, self.build.as_ref())
    }
}

/// The newest security response among `updates`, or `None` when there is none. Every security
/// response is checked, not only the winner, because a broken entry could be the newest one;
/// on an exact tie the first listed wins, so the choice never depends on anything but the file.
pub fn newest(updates: &[AvailableUpdate]) -> Result<Option<SecurityResponse<'_>>, InputError> {
    let mut best: Option<SecurityResponse<'_>> = None;
    for update in updates.iter().filter(|update| update.is_security_response) {
        let candidate = security_response(update)?;
        if best.as_ref().is_none_or(|best| candidate.order() > best.order()) {
            best = Some(candidate);
        }
    }
    Ok(best)
}

/// Reads the ordering values of an entry with `IsSecurityResponse` true.
fn security_response(update: &AvailableUpdate) -> Result<SecurityResponse<'_>, InputError> {
    let extra_path = update.key_path("SupplementalOSVersionExtra");
    let extra = update.supplemental_os_version_extra.as_deref().ok_or_else(|| {
        InputError::key(
            &extra_path,
            "missing on a security response (`IsSecurityResponse` is true); Apple puts the release \
             letter here, such as `(a)`, and ddmc does not guess it from the build",
        )
    })?;
    let letter = parse_letter(extra).ok_or_else(|| {
        InputError::key(
            &extra_path,
            format!("expected a lower-case letter in parentheses, such as `(a)`, found `{}`", extra.escape_debug()),
        )
    })?;
    let version = base_version(update, letter)?;
    let build = build(update)?;
    Ok(SecurityResponse { update, version, letter, build })
}

/// `(a)` -> `a`. Surrounding spaces are tolerated (`sw_vers` pads the extra in some releases).
fn parse_letter(extra: &str) -> Option<char> {
    let inner = extra.trim().strip_prefix('(')?.strip_suffix(')')?;
    let mut chars = inner.chars();
    match (chars.next(), chars.next()) {
        (Some(letter), None) if letter.is_ascii_lowercase() => Some(letter),
        _ => None,
    }
}

/// The base OS version from `Version`. A `Version` written with the letter (`13.3.1 (a)`) is
/// accepted when the letter agrees with `SupplementalOSVersionExtra`, which stays the authority.
fn base_version(update: &AvailableUpdate, letter: char) -> Result<OsVersion, InputError> {
    let path = update.key_path("Version");
    let text = update
        .version
        .as_deref()
        .ok_or_else(|| InputError::key(&path, "missing on a security response; it is needed to find the newest"))?;
    let base = match text.trim_end().strip_suffix(')').and_then(|rest| rest.rsplit_once('(')) {
        Some((base, written)) if parse_letter(&format!("({written})")) == Some(letter) => base.trim_end(),
        Some((_, written)) => {
            return Err(InputError::key(
                path,
                format!(
                    "says `({written})` but `SupplementalOSVersionExtra` says `({letter})`; \
                     one device answer cannot mean both"
                ),
            ));
        }
        None => text,
    };
    base.parse().map_err(|e: crate::model::version::VersionError| {
        let help = e.help.map(|help| format!("; {help}")).unwrap_or_default();
        InputError::key(path, format!("{}{help}", e.message))
    })
}

/// `SupplementalBuildVersion`, else `Build`, parsed; `None` when the entry has neither.
fn build(update: &AvailableUpdate) -> Result<Option<BuildVersion>, InputError> {
    let (key, text) = match (&update.supplemental_build_version, &update.build) {
        (Some(text), _) => ("SupplementalBuildVersion", text),
        (None, Some(text)) => ("Build", text),
        (None, None) => return Ok(None),
    };
    text.parse()
        .map(Some)
        .map_err(|e: crate::model::version::VersionError| InputError::key(update.key_path(key), e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsr(index: usize, version: &str, extra: &str, build: &str) -> AvailableUpdate {
        AvailableUpdate {
            path: format!("[{index}]"),
            product_key: Some(format!("KEY_{build}")),
            human_readable_name: None,
            product_name: Some("iOS".into()),
            version: Some(version.into()),
            build: None,
            is_security_response: true,
            supplemental_build_version: Some(build.into()),
            supplemental_os_version_extra: Some(extra.into()),
            has_macos_only_keys: false,
        }
    }

    fn chosen(updates: &[AvailableUpdate]) -> String {
        let newest = newest(updates).expect("valid").expect("a security response");
        format!("{} {}", newest.label(), newest.product_key().expect("has a product key"))
    }

    #[test]
    fn version_then_letter_then_build() {
        let updates = [
            rsr(0, "16.5", "(c)", "20F75c"),
            rsr(1, "16.5.1", "(a)", "20F770750b"),
            rsr(2, "16.4.1", "(a)", "20E772520a"),
        ];
        assert_eq!(chosen(&updates), "16.5.1 (a) KEY_20F770750b");
        // The letter comes from the extra: suffix `b` with extra `(a)` loses to `(c)` with suffix `a`.
        let updates = [rsr(0, "16.5.1", "(a)", "20F770750b"), rsr(1, "16.5.1", "(c)", "20F770750a")];
        assert_eq!(chosen(&updates), "16.5.1 (c) KEY_20F770750a");
        // Same release: the higher build wins; an exact tie keeps the first.
        let updates = [rsr(0, "16.5.1", "(a)", "20F770750a"), rsr(1, "16.5.1", "(a)", "20F770751a")];
        assert_eq!(chosen(&updates), "16.5.1 (a) KEY_20F770751a");
        let mut twin = rsr(1, "16.5.1", "(a)", "20F770750a");
        twin.product_key = Some("OTHER".into());
        assert_eq!(chosen(&[rsr(0, "16.5.1", "(a)", "20F770750a"), twin]), "16.5.1 (a) KEY_20F770750a");
    }

    #[test]
    fn letter_must_be_written() {
        for (extra, ok) in [("(a)", true), (" (b) ", true), ("a", false), ("(A)", false), ("(ab)", false), ("", false)]
        {
            assert_eq!(parse_letter(extra).is_some(), ok, "{extra:?}");
        }
        let mut update = rsr(0, "13.3.1", "(a)", "22E772610a");
        update.supplemental_os_version_extra = None;
        let Err(InputError::Key { path, .. }) = newest(std::slice::from_ref(&update)) else { panic!() };
        assert_eq!(path, "[0].SupplementalOSVersionExtra");
    }

    #[test]
    fn version_with_letter() {
        assert_eq!(chosen(&[rsr(0, "13.3.1 (a)", "(a)", "22E772610a")]), "13.3.1 (a) KEY_22E772610a");
        assert!(newest(&[rsr(0, "13.3.1 (b)", "(a)", "22E772610a")]).is_err());
        assert!(newest(&[rsr(0, "13.x", "(a)", "22E772610a")]).is_err());
        assert!(newest(&[rsr(0, "13.3.1", "(a)", "22e")]).is_err());
    }

    #[test]
    fn platform_from_product_name_or_mac_keys() {
        let mut update = rsr(0, "13.3.1", "(a)", "22E772610a");
        let platform = |u: &AvailableUpdate| {
            newest(std::slice::from_ref(u)).expect("valid").expect("a security response").platform()
        };
        assert_eq!(platform(&update), Some(Platform::IOS));
        update.product_name = None;
        assert_eq!(platform(&update), None);
        update.has_macos_only_keys = true;
        assert_eq!(platform(&update), Some(Platform::MacOS));
    }
}
