//! Apple's catalog: a snapshot of GDMF (`https://gdmf.apple.com/v2/pmv`) committed in the
//! repository like a lock file, so that `latest` and deadlines relative to a release resolve
//! the same way on every run, and `ddmc catalog update` is the only thing that moves them.
//!
//! The rules are the contract's (`policy-format.md`, "Apple's catalog"): the as-of date is
//! the wrapper's `fetched` date, else the newest `PostingDate`, never the wall clock.

mod gdmf;
mod resolve;
pub mod show;
#[cfg(test)]
mod tests;
pub mod update;

pub use gdmf::parse;
pub use resolve::{BsiPick, Deadline, Latest, Skipped, VersionCheck, deadline};

use crate::model::{BuildVersion, Extra, OsVersion, Platform};
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Which of GDMF's lists an entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssetSet {
    /// `PublicAssetSets`: what users are offered; its posting dates are release dates.
    Public,
    /// `AssetSets`: what MDM can enforce, including versions kept back from users.
    All,
    /// `PublicBackgroundSecurityImprovements` (formerly `PublicRapidSecurityResponses`).
    SecurityImprovement,
}

/// One entry of a GDMF list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub version: OsVersion,
    pub set: AssetSet,
    /// GDMF's platform key: `macOS`, `iOS` (which also lists Apple TV builds), `visionOS`.
    pub platform_key: String,
    pub build: BuildVersion,
    /// `(a)` of a Background Security Improvement.
    pub extra: Option<Extra>,
    /// The base build a Background Security Improvement installs on.
    pub prerequisite_build: Option<BuildVersion>,
    pub posting: Date,
    pub expiration: Option<Date>,
    pub devices: Vec<String>,
}

impl Entry {
    /// The devices of `platform` this entry supports: none when it is not for that platform.
    /// `iOS` is iPhone, iPad and iPod; `tvOS` is Apple TV (both under GDMF's `iOS` key);
    /// macOS and visionOS are their whole lists.
    pub fn devices_for(&self, platform: Platform) -> Vec<&str> {
        let prefixes: &[&str] = match platform {
            Platform::IOS => &["iPhone", "iPad", "iPod"],
            Platform::TvOS => &["AppleTV"],
            Platform::MacOS | Platform::VisionOS => &[],
        };
        let key = match platform {
            Platform::MacOS => "macOS",
            Platform::VisionOS => "visionOS",
            Platform::IOS | Platform::TvOS => "iOS",
        };
        let whole_list = prefixes.is_empty();
        if self.platform_key != key && !(platform == Platform::TvOS && self.platform_key == "tvOS") {
            return Vec::new();
        }
        self.devices
            .iter()
            .map(String::as_str)
            .filter(|d| whole_list || prefixes.iter().any(|p| d.starts_with(p)))
            .collect()
    }

    pub fn is_for(&self, platform: Platform) -> bool {
        match platform {
            Platform::MacOS => self.platform_key == "macOS",
            Platform::VisionOS => self.platform_key == "visionOS",
            Platform::IOS | Platform::TvOS => !self.devices_for(platform).is_empty(),
        }
    }

    /// Posted on or before `as_of`, and not yet expired on it (no expiration: open).
    pub fn available(&self, as_of: Date) -> bool {
        self.posting <= as_of && self.expiration.is_none_or(|end| as_of < end)
    }
}

/// A catalog file, read.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// The date every rule is judged on.
    pub as_of: Date,
    /// The wrapper's `fetched` time, as written.
    pub fetched: Option<String>,
    pub source: Option<String>,
    /// Sorted, so that every rule sees the same order.
    pub entries: Vec<Entry>,
}

/// What the catalog says about one OS version on one platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// As GDMF spells it (`26.3.1`, `14.1`).
    pub version: OsVersion,
    pub builds: BTreeSet<BuildVersion>,
    /// Any of its entries available on the as-of date.
    pub available: bool,
    /// The earliest `PostingDate` of its `PublicAssetSets` entries, else of its `AssetSets`.
    pub release: Date,
    /// The last `ExpirationDate` of its entries (`None`: one has none).
    pub expires: Option<Date>,
    pub devices: BTreeSet<String>,
}

impl Catalog {
    /// Every OS version (not BSI) offered for `platform`, oldest first.
    pub fn versions(&self, platform: Platform) -> Vec<Version> {
        let mut by_version: BTreeMap<OsVersion, Vec<&Entry>> = BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.set != AssetSet::SecurityImprovement && e.is_for(platform)) {
            by_version.entry(e.version).or_default().push(e);
        }
        by_version
            .into_values()
            .map(|entries| {
                let public: Vec<&&Entry> = entries.iter().filter(|e| e.set == AssetSet::Public).collect();
                let release_from = if public.is_empty() { entries.iter().collect() } else { public };
                let release = release_from.iter().map(|e| e.posting).min().unwrap_or_default();
                let expires = if entries.iter().any(|e| e.expiration.is_none()) {
                    None
                } else {
                    entries.iter().filter_map(|e| e.expiration).max()
                };
                Version {
                    version: entries[0].version,
                    builds: entries.iter().map(|e| e.build.clone()).collect(),
                    available: entries.iter().any(|e| e.available(self.as_of)),
                    release,
                    expires,
                    devices: entries.iter().flat_map(|e| e.devices_for(platform)).map(str::to_owned).collect(),
                }
            })
            .collect()
    }

    /// Every Background Security Improvement for `platform`, oldest first.
    pub fn security_improvements(&self, platform: Platform) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.set == AssetSet::SecurityImprovement && e.is_for(platform))
    }
}

impl Version {
    /// The older available version of the same major that makes `version` device-specific:
    /// it supports every device `version` supports, and more (macOS 26.3.2 for one board,
    /// next to 26.3.1 for 62).
    pub fn device_specific(&self, all: &[Version]) -> Option<OsVersion> {
        let version = self;
        all.iter()
            .filter(|w| w.available && w.version < version.version && w.version.major() == version.version.major())
            .filter(|w| w.devices.len() > version.devices.len() && version.devices.is_subset(&w.devices))
            .map(|w| w.version)
            .max()
    }
}

/// The catalog's file: `catalog:` of ddmc.yaml, which must stay inside the repository (a
/// pull request must not point it at another project's files).
pub fn path_in(root: &std::path::Path, relative: &str) -> Result<std::path::PathBuf, String> {
    let path = std::path::Path::new(relative);
    let inside = path.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside {
        return Err(format!("`catalog: {relative}` must be a relative path inside the repository, without `..`"));
    }
    Ok(root.join(path))
}

/// Reads the repository's catalog: `None` when there is no file at `path`.
pub fn load(path: &std::path::Path) -> Result<Option<(String, Catalog)>, CatalogError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CatalogError::io(format!("cannot read `{}`: {e}", path.display()))),
        Ok(meta) if !meta.is_file() => {
            return Err(CatalogError::new(format!(
                "`{}` is not a regular file (links are not followed)",
                path.display()
            )));
        }
        Ok(_) => {}
    }
    let bytes = update::read_file(path)?;
    let text =
        String::from_utf8(bytes).map_err(|_| CatalogError::new(format!("`{}` is not UTF-8 text", path.display())))?;
    let catalog =
        parse(&text).map_err(|e| CatalogError { message: format!("`{}`: {}", path.display(), e.message), ..e })?;
    Ok(Some((text, catalog)))
}

/// A catalog that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogError {
    pub message: String,
    /// Line and column in the file, where JSON tells them.
    pub position: Option<(usize, usize)>,
    /// The file or the server could not be read at all (not a problem with its content).
    pub io: bool,
}

impl CatalogError {
    fn new(message: String) -> Self {
        CatalogError { message, position: None, io: false }
    }

    fn io(message: String) -> Self {
        CatalogError { io: true, ..CatalogError::new(message) }
    }

    fn at(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
