//! Apple's build trains: which OS release a build number belongs to. A build starts with the
//! release's Darwin major version and a letter (`25D771280a`: Darwin 25 = macOS 26, `D` =
//! the fourth train of the year, 26.3). One table, used by `check`, `lint` and `explain`.
//!
//! Source: Apple's GDMF feed (`gdmf.apple.com/v2/pmv`), as captured in
//! `shared/reference/samples/gdmf-pmv/` (sofa 2025-10-30 and 2026-03-17, zentral 2024-02-06
//! and 2026-03-23): macOS 13 `22A400`…`22H730`, 14 `23H723`/`23J21`, 15 `24G84`…`24G517`,
//! 26 `25A354`, `25C56` (26.2), `25D125` (26.3); iOS 16 `20B101`…`20H380`, 17 `21H221`,
//! 18 `22G86`…`22H320`, 26 `23A341`, `23C55` (26.2), `23D127` (26.3); visionOS 2 `22O785`,
//! 26 `23M336`, `23N301`. The letter follows the minor release (A = .0, B = .1, …) only in
//! the OS 26 releases of macOS and iOS; earlier years skip or repeat letters (macOS 14.8 is
//! `23J`, 15.7 is still `24G`), and tvOS and visionOS letters never follow it, so for them
//! only the Darwin number is judged.

use crate::model::{BuildVersion, OsVersion, Platform};

/// One release train: a platform's OS major version and the Darwin number of its builds.
pub struct Train {
    pub platform: Platform,
    pub os_major: u16,
    pub darwin: u32,
    /// The letter is `A` plus the minor version (26.3 is `D`).
    pub letter_is_minor: bool,
}

const fn train(platform: Platform, os_major: u16, darwin: u32, letter_is_minor: bool) -> Train {
    Train { platform, os_major, darwin, letter_is_minor }
}

use Platform::{IOS, MacOS, TvOS, VisionOS};

pub const TRAINS: &[Train] = &[
    train(MacOS, 11, 20, false),
    train(MacOS, 12, 21, false),
    train(MacOS, 13, 22, false),
    train(MacOS, 14, 23, false),
    train(MacOS, 15, 24, false),
    train(MacOS, 26, 25, true),
    train(IOS, 14, 18, false),
    train(IOS, 15, 19, false),
    train(IOS, 16, 20, false),
    train(IOS, 17, 21, false),
    train(IOS, 18, 22, false),
    train(IOS, 26, 23, true),
    train(TvOS, 14, 18, false),
    train(TvOS, 15, 19, false),
    train(TvOS, 16, 20, false),
    train(TvOS, 17, 21, false),
    train(TvOS, 18, 22, false),
    train(TvOS, 26, 23, false),
    train(VisionOS, 1, 21, false),
    train(VisionOS, 2, 22, false),
    train(VisionOS, 26, 23, false),
];

/// The Darwin number and letter of a build (`25D771280a` -> 25, `D`).
fn parts(build: &BuildVersion) -> Option<(u32, char)> {
    let train = build.train();
    let digits: String = train.chars().take_while(char::is_ascii_digit).collect();
    let letter = train.chars().find(char::is_ascii_alphabetic)?;
    Some((digits.parse().ok()?, letter.to_ascii_uppercase()))
}

/// What builds of `version` on `platform` start with (`25E` for macOS 26.4, `24` for macOS 15),
/// if the table knows that release.
pub fn expected(platform: Platform, version: OsVersion) -> Option<String> {
    let row = TRAINS.iter().find(|t| t.platform == platform && t.os_major == version.major())?;
    let letter = row.letter_is_minor.then(|| minor_letter(version.minor())).flatten();
    Some(match letter {
        Some(letter) => format!("{}{letter}", row.darwin),
        None => row.darwin.to_string(),
    })
}

/// `A` for .0, `B` for .1, … (`None` past `Z`).
fn minor_letter(minor: u16) -> Option<char> {
    u8::try_from(minor).ok().filter(|m| *m < 26).map(|m| char::from(b'A' + m))
}

/// The releases the table says `build` belongs to, for messages: "macOS 26.3", "macOS 14,
/// iOS 26, tvOS 26 or visionOS 26".
pub fn belongs_to(build: &BuildVersion) -> Option<String> {
    let names: Vec<String> = Platform::ALL.iter().filter_map(|p| release_of(*p, build)).collect();
    match names.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} or {last}", init.join(", "))),
    }
}

/// The release of `platform` that `build` belongs to ("macOS 26.3", "macOS 14"), if the table
/// knows its train.
pub fn release_of(platform: Platform, build: &BuildVersion) -> Option<String> {
    let (darwin, letter) = parts(build)?;
    let row = TRAINS.iter().find(|t| t.platform == platform && t.darwin == darwin)?;
    let minor = u8::try_from(letter).ok().map(|l| l - b'A').filter(|_| row.letter_is_minor);
    Some(match minor {
        Some(minor) => format!("{platform} {}.{minor}", row.os_major),
        None => format!("{platform} {}", row.os_major),
    })
}

/// Whether `build` cannot be a build of `version` on `platform`: `Some(expected prefix)` when
/// the table knows the release and the build's Darwin number (or, where it tracks the minor
/// version, its letter) differs. An unknown release or build train is never judged.
pub fn mismatch(platform: Platform, version: OsVersion, build: &BuildVersion) -> Option<String> {
    let row = TRAINS.iter().find(|t| t.platform == platform && t.os_major == version.major())?;
    let (darwin, letter) = parts(build)?;
    if darwin != row.darwin {
        // A build from a train the table does not know (a future year) is not judged.
        let known = TRAINS.iter().any(|t| t.darwin == darwin);
        let older = darwin < TRAINS.iter().map(|t| t.darwin).max().unwrap_or(0);
        return (known || older).then(|| expected(platform, version)).flatten();
    }
    let wanted = row.letter_is_minor.then(|| minor_letter(version.minor())).flatten()?;
    (letter != wanted).then(|| expected(platform, version)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> OsVersion {
        s.parse().expect("version")
    }

    fn b(s: &str) -> BuildVersion {
        s.parse().expect("build")
    }

    /// Every pair in the GDMF captures fits the table.
    #[test]
    fn the_gdmf_captures_fit() {
        for (platform, version, build) in [
            (MacOS, "13.0.1", "22A400"),
            (MacOS, "13.7.8", "22H730"),
            (MacOS, "14.8", "23J21"),
            (MacOS, "15.7", "24G222"),
            (MacOS, "26.0", "25A354"),
            (MacOS, "26.2", "25C56"),
            (MacOS, "26.3", "25D125"),
            (MacOS, "26.3.1", "25D771280a"),
            (IOS, "16.7.15", "20H380"),
            (IOS, "17.7.10", "21H450"),
            (IOS, "18.7.6", "22H320"),
            (IOS, "26.0.1", "23A355"),
            (IOS, "26.3.1", "23D771330a"),
            (VisionOS, "2.6", "22O785"),
            (VisionOS, "26.2", "23N301"),
        ] {
            assert_eq!(mismatch(platform, v(version), &b(build)), None, "{platform} {version} {build}");
        }
    }

    #[test]
    fn wrong_trains_are_named() {
        assert_eq!(mismatch(MacOS, v("26.4"), &b("25D771280a")).as_deref(), Some("25E"));
        assert_eq!(mismatch(MacOS, v("26.3.1"), &b("21A344")).as_deref(), Some("25D"));
        assert_eq!(mismatch(MacOS, v("26.3.1"), &b("23D771330a")).as_deref(), Some("25D"));
        assert_eq!(mismatch(IOS, v("18.2"), &b("24C101")).as_deref(), Some("22"));
        assert_eq!(belongs_to(&b("25D771280a")).as_deref(), Some("macOS 26.3"));
        assert_eq!(belongs_to(&b("21A344")).as_deref(), Some("macOS 12, iOS 17, tvOS 17 or visionOS 1"));
        assert_eq!(belongs_to(&b("23D771330a")).as_deref(), Some("macOS 14, iOS 26.3, tvOS 26 or visionOS 26"));
    }

    /// Releases and trains the table does not know are not judged.
    #[test]
    fn unknown_trains_are_not_errors() {
        assert_eq!(mismatch(MacOS, v("27.0"), &b("26A100")), None);
        assert_eq!(mismatch(MacOS, v("26.0"), &b("26A100")), None);
        assert_eq!(belongs_to(&b("26A100")), None);
    }
}
