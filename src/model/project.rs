//! `ddmc.yaml`: settings for the whole repository.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Reverse-DNS: two or more dot-separated labels of letters, digits and `-`.
pub const IDENTIFIER_PREFIX_PATTERN: &str =
    "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?([.][A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$";
pub const DEFAULT_PREFIX: &str = "com.example.ddm";
pub const DEFAULT_OUTPUT: &str = "out";
pub const DEFAULT_CATALOG: &str = "apple-catalog.json";
pub const DEFAULT_CATALOG_MAX_AGE_DAYS: u16 = 14;

/// Repository settings; every key is optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ddmc project settings (ddmc.yaml)")]
pub struct Project {
    /// The JSON Schema this file follows (for editors); ignored by ddmc.
    #[serde(rename = "$schema", default)]
    #[schemars(rename = "$schema")]
    pub schema: Option<String>,
    /// Who publishes the declarations and profiles.
    #[serde(default)]
    pub organization: Organization,
    /// Output folder, relative to the repository (default `out`).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub output: Option<String>,
    /// Legacy `.mobileconfig` profiles for devices older than declarative software-update
    /// settings: `auto` (default) or `never`.
    #[serde(default)]
    pub legacy_profiles: LegacyProfiles,
    /// Apple's catalog (a GDMF snapshot written by `ddmc catalog update`), relative to the
    /// repository (default `apple-catalog.json`). No file there: the repository has none.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub catalog: Option<String>,
    /// A catalog older than this many days (default 14) gets a warning.
    #[serde(default)]
    #[schemars(range(min = 1, max = 365))]
    pub catalog_max_age_days: Option<u16>,
    /// Named sets of variables that policy strings may use as `{{ name }}` templates,
    /// rendered with `--env NAME` (string values only).
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z0-9][a-z0-9_-]*$"}))]
    pub environments: BTreeMap<String, Variables>,
}

/// One environment's variables: names usable in templates, string values.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Variables(
    #[schemars(extend("propertyNames" = {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}))] pub BTreeMap<String, String>,
);

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// `PayloadOrganization` of legacy profiles.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Reverse-DNS prefix of every Identifier (default `com.example.ddm`).
    #[serde(default)]
    #[schemars(regex(pattern = IDENTIFIER_PREFIX_PATTERN), example = "com.example.ddm")]
    pub identifier_prefix: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegacyProfiles {
    /// A profile for every policy with a legacy equivalent.
    #[default]
    Auto,
    /// No legacy profiles.
    Never,
}

impl Project {
    pub fn identifier_prefix(&self) -> &str {
        self.organization.identifier_prefix.as_deref().unwrap_or(DEFAULT_PREFIX)
    }

    pub fn output(&self) -> &str {
        self.output.as_deref().unwrap_or(DEFAULT_OUTPUT)
    }

    pub fn catalog(&self) -> &str {
        self.catalog.as_deref().unwrap_or(DEFAULT_CATALOG)
    }

    pub fn catalog_max_age_days(&self) -> u16 {
        self.catalog_max_age_days.unwrap_or(DEFAULT_CATALOG_MAX_AGE_DAYS)
    }
}
