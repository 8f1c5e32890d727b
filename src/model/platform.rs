//! Apple's platform names, as Apple spells them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A platform a policy can target. iPadOS is `iOS`, as in Apple's schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Platform {
    #[serde(rename = "macOS")]
    MacOS,
    #[serde(rename = "iOS")]
    IOS,
    #[serde(rename = "tvOS")]
    TvOS,
    #[serde(rename = "visionOS")]
    VisionOS,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Platform::MacOS, Platform::IOS, Platform::TvOS, Platform::VisionOS];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::MacOS => "macOS",
            Platform::IOS => "iOS",
            Platform::TvOS => "tvOS",
            Platform::VisionOS => "visionOS",
        }
    }

    /// The platform a name means: Apple's names in any case; `iPadOS` is iOS.
    pub fn from_name(name: &str) -> Option<Platform> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("iPadOS") {
            return Some(Platform::IOS);
        }
        Platform::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(name))
    }

    /// Lower-case form for identifiers (`settings.macos`).
    pub fn slug(self) -> &'static str {
        match self {
            Platform::MacOS => "macos",
            Platform::IOS => "ios",
            Platform::TvOS => "tvos",
            Platform::VisionOS => "visionos",
        }
    }

    /// Values of `device.operating-system.family` on this platform's devices: an iPad
    /// reports `iPadOS`, and Apple's schema treats it as iOS.
    pub fn families(self) -> &'static [&'static str] {
        match self {
            Platform::MacOS => &["macOS"],
            Platform::IOS => &["iOS", "iPadOS"],
            Platform::TvOS => &["tvOS"],
            Platform::VisionOS => &["visionOS"],
        }
    }

    /// Major versions Apple never shipped on this platform (the jump to year numbers in
    /// 2025: macOS 15 -> 26, iOS 18 -> 26, visionOS 2 -> 26).
    pub fn never_shipped(self, major: u16) -> bool {
        match self {
            Platform::MacOS => (16..=25).contains(&major) || major < 10,
            Platform::IOS | Platform::TvOS => (19..=25).contains(&major),
            Platform::VisionOS => (3..=25).contains(&major),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
