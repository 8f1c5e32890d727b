//! A policy file, as admins write it. Field names are the contract's
//! (`shared/design/policy-format.md`); every `///` becomes the editor help of the JSON Schema.

use super::target::{BsiTarget, Deadline, OsTarget, Target};
use super::{BuildVersion, OsVersion, Platform};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Pattern of a policy id: it becomes part of file names and Identifiers.
pub const POLICY_ID_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,46}[a-z0-9]$";
/// Pattern of a group name.
pub const GROUP_PATTERN: &str = "^[a-z0-9][a-z0-9_-]*$";
/// The group every device is in.
pub const GROUP_ALL: &str = "all";

/// One software-update policy: what a set of devices may, must and must not do.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ddmc policy", example = example_policy())]
pub struct Policy {
    /// The JSON Schema this file follows (for editors); ignored by ddmc.
    #[serde(rename = "$schema", default)]
    #[schemars(rename = "$schema")]
    pub schema: Option<String>,
    /// Unique in the repository; part of every Identifier made from this policy.
    #[schemars(regex(pattern = POLICY_ID_PATTERN), example = "mac-security-baseline")]
    pub id: String,
    /// What the policy is for; shown in profiles and explanations.
    #[serde(default)]
    pub description: Option<String>,
    /// Which devices the policy is for.
    pub targets: Targets,
    /// Background Security Improvements (formerly Rapid Security Responses). Apple's keys
    /// still say `RapidSecurityResponse`.
    #[serde(default, alias = "rapid_security_responses")]
    pub background_security_improvements: Option<BackgroundSecurityImprovements>,
    /// How devices find, download and install OS updates.
    #[serde(default)]
    pub software_updates: Option<SoftwareUpdates>,
    /// Updates that must be installed by a deadline; each entry becomes a
    /// `softwareupdate.enforcement.specific` declaration.
    #[serde(default)]
    pub enforce: Vec<Enforce>,
}

fn example_policy() -> serde_json::Value {
    serde_json::json!({
        "id": "mac-security-baseline",
        "targets": {"platforms": ["macOS"]},
        "background_security_improvements": {"automatic_install": "always_on", "user_removal": false}
    })
}

/// Which devices a policy reaches.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Apple's platform names: `macOS`, `iOS` (iPhone and iPad), `tvOS`, `visionOS`.
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub platforms: Vec<Platform>,
    /// Device groups as your MDM knows them; `all` (the default) reaches every device.
    #[serde(default = "default_groups")]
    #[schemars(inner(regex(pattern = GROUP_PATTERN)), length(min = 1), extend("uniqueItems" = true))]
    pub groups: Vec<String>,
}

fn default_groups() -> Vec<String> {
    vec![GROUP_ALL.to_string()]
}

/// Who controls a setting: the user (`allowed`), or the organisation, on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// The user decides.
    Allowed,
    /// Always enabled; the user cannot turn it off.
    AlwaysOn,
    /// Always disabled; the user cannot turn it on.
    AlwaysOff,
}

impl Control {
    /// Apple's spelling (`Allowed`, `AlwaysOn`, `AlwaysOff`).
    pub fn apple(self) -> &'static str {
        match self {
            Control::Allowed => "Allowed",
            Control::AlwaysOn => "AlwaysOn",
            Control::AlwaysOff => "AlwaysOff",
        }
    }
}

/// Background Security Improvement settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackgroundSecurityImprovements {
    /// Install BSIs automatically (`AutomaticActions.InstallSecurityUpdate`).
    #[serde(default)]
    pub automatic_install: Option<Control>,
    /// Offer BSIs to the user (`RapidSecurityResponse.Enable`). `false` only hides the
    /// offer: enforcement declarations still install them.
    #[serde(default)]
    pub user_install: Option<bool>,
    /// Let the user remove an installed BSI (`RapidSecurityResponse.EnableRollback`).
    #[serde(default)]
    pub user_removal: Option<bool>,
}

/// Software update behaviour.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SoftwareUpdates {
    /// Show all enforcement notifications (`Notifications`); `false` keeps only the last
    /// hour's and the restart countdown.
    #[serde(default)]
    pub notifications: Option<bool>,
    /// Download updates automatically (`AutomaticActions.Download`).
    #[serde(default)]
    pub automatic_download: Option<Control>,
    /// Install OS updates automatically (`AutomaticActions.InstallOSUpdates`).
    #[serde(default)]
    pub automatic_install: Option<Control>,
    /// Let standard (non-admin) users install updates (`AllowStandardUserOSUpdates`, macOS).
    #[serde(default)]
    pub standard_users_can_update: Option<bool>,
    /// Which of several available updates to show (`RecommendedCadence`, iOS).
    #[serde(default)]
    pub recommended_cadence: Option<Cadence>,
    /// Days to hide updates after their release (`Deferrals`).
    #[serde(default)]
    pub deferrals: Option<Deferrals>,
    /// Beta program enrollment (`Beta`).
    #[serde(default)]
    pub beta: Option<Beta>,
}

/// `RecommendedCadence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// Show every available version.
    All,
    /// Show only the oldest (lowest) available version.
    Oldest,
    /// Show only the newest available version.
    Newest,
}

impl Cadence {
    pub fn apple(self) -> &'static str {
        match self {
            Cadence::All => "All",
            Cadence::Oldest => "Oldest",
            Cadence::Newest => "Newest",
        }
    }
}

/// Deferral periods in days. BSIs are never deferred, but they apply only to the latest
/// minor OS, so a minor deferral delays them in effect.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deferrals {
    /// Major upgrades (`MajorPeriodInDays`, macOS).
    #[serde(default)]
    #[schemars(range(min = 1, max = 90))]
    pub major_days: Option<u32>,
    /// Minor updates (`MinorPeriodInDays`, macOS).
    #[serde(default)]
    #[schemars(range(min = 1, max = 90))]
    pub minor_days: Option<u32>,
    /// System and non-OS updates (`SystemPeriodInDays`, macOS).
    #[serde(default)]
    #[schemars(range(min = 1, max = 90))]
    pub system_days: Option<u32>,
    /// Major and minor updates together (`CombinedPeriodInDays`, iOS, tvOS, visionOS).
    #[serde(default)]
    #[schemars(range(min = 1, max = 90))]
    pub combined_days: Option<u32>,
}

/// Beta program settings (`Beta`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Beta {
    /// Whether users may enroll in beta programs (`ProgramEnrollment`).
    #[serde(default)]
    pub enrollment: Option<Control>,
    /// Programs offered to the user (`OfferPrograms`); only with enrollment `allowed` or
    /// `always_on`, never with `require_program`.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub offer_programs: Option<Vec<BetaProgram>>,
    /// The program every device is enrolled in (`RequireProgram`); only with enrollment
    /// `always_on`.
    #[serde(default)]
    pub require_program: Option<BetaProgram>,
}

/// A beta program, from Apple Business (or School) Manager. Give the seeding token
/// directly (`token`) or, better, the name of an environment variable holding it
/// (`token_env`), so the secret stays out of git.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{"required": ["token"]}, {"required": ["token_env"]}]))]
pub struct BetaProgram {
    /// Shown to the user.
    #[schemars(length(min = 1))]
    pub description: String,
    /// The seeding service token.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub token: Option<String>,
    /// Environment variable that holds the seeding service token at build time.
    #[serde(default)]
    #[schemars(regex(pattern = "^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub token_env: Option<String>,
}

/// One update that must be installed by a deadline, as the file writes it. Read through
/// [`EnforceEntry`], whose schema rejects what the contract forbids (`major` without
/// `latest`, `background_security_improvement` with `build_version`), so that a typed
/// entry holds only legal combinations.
#[derive(Debug, Clone)]
pub struct Enforce {
    pub platform: Option<Platform>,
    pub target: Target,
    /// `background_security_improvement: latest`.
    pub latest_bsi: bool,
    pub build_version: Option<BuildVersion>,
    pub deadline: Deadline,
    pub details_url: Option<String>,
    pub supplemental: Option<bool>,
}

impl Enforce {
    /// A supplemental (BSI/RSR) enforcement, as stated or as inferred from the build.
    pub fn is_supplemental(&self) -> bool {
        self.supplemental.unwrap_or_else(|| self.build_version.as_ref().is_some_and(BuildVersion::is_supplemental))
    }
}

/// One update that must be installed by a deadline.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Enforce",
    extend("dependentSchemas" = {
        "major": {"properties": {"os_version": {"const": "latest"}}},
        "below": {"properties": {"os_version": {"const": "latest"}}},
        "background_security_improvement": {"properties": {"build_version": false}}
    })
)]
pub struct EnforceEntry {
    /// Required when the policy targets more than one platform.
    #[serde(default)]
    pub platform: Option<Platform>,
    /// The OS version to install (`TargetOSVersion`): `26.3.1`, `26.3` for its latest
    /// patch, or `latest`: the newest version in Apple's catalog (within `major` / `below`).
    pub os_version: OsTarget,
    /// With `os_version: latest`: only versions of this major (`26`).
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub major: Option<u16>,
    /// With `os_version: latest`: only versions below this one (exclusive; `"27"` is 27.0).
    #[serde(default)]
    pub below: Option<MajorOrVersion>,
    /// `latest`: also enforce the newest Background Security Improvement Apple's catalog has
    /// on the (resolved) `os_version`. Not with `build_version`.
    #[serde(default)]
    pub background_security_improvement: Option<BsiTarget>,
    /// The exact build (`TargetBuildVersion`); a BSI build such as `25D771280a` makes
    /// this a supplemental enforcement.
    #[serde(default)]
    pub build_version: Option<BuildVersion>,
    /// When the device installs it if the user has not (`TargetLocalDateTime`): device
    /// local time, `yyyy-mm-ddThh:mm:ss`, or days after Apple's release
    /// (`{days_after_release: 7, time: "18:00:00", skip_weekends: true}`; needs a catalog).
    pub deadline: Deadline,
    /// A web page about the update (`DetailsURL`).
    #[serde(default)]
    #[schemars(url)]
    pub details_url: Option<String>,
    /// Whether `build_version` is a supplemental (BSI) build; inferred when absent.
    #[serde(default)]
    pub supplemental: Option<bool>,
}

impl TryFrom<EnforceEntry> for Enforce {
    type Error = String;

    fn try_from(e: EnforceEntry) -> Result<Self, String> {
        let target = match e.os_version {
            OsTarget::Latest => Target::Latest { major: e.major, below: e.below.map(|b| b.0) },
            OsTarget::Version(_) if e.major.is_some() || e.below.is_some() => {
                return Err("`major` and `below` need `os_version: latest`".into());
            }
            OsTarget::Version(v) => Target::Version(v),
        };
        if e.background_security_improvement.is_some() && e.build_version.is_some() {
            return Err("`background_security_improvement` and `build_version` exclude each other".into());
        }
        Ok(Enforce {
            platform: e.platform,
            target,
            latest_bsi: e.background_security_improvement.is_some(),
            build_version: e.build_version,
            deadline: e.deadline,
            details_url: e.details_url,
            supplemental: e.supplemental,
        })
    }
}

impl<'de> Deserialize<'de> for Enforce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        EnforceEntry::deserialize(deserializer)?.try_into().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Enforce {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        EnforceEntry::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        EnforceEntry::json_schema(generator)
    }
}

/// `below`: a major (`"27"`, read as 27.0) or a version (`"26.4"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MajorOrVersion(pub OsVersion);

impl<'de> Deserialize<'de> for MajorOrVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let full = if text.contains('.') { text.clone() } else { format!("{text}.0") };
        full.parse().map(MajorOrVersion).map_err(|_| serde::de::Error::custom(format!("`{text}` is not a version")))
    }
}

impl JsonSchema for MajorOrVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MajorOrVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "major-or-version",
            "pattern": "^[1-9][0-9]{0,3}(?:[.](?:0|[1-9][0-9]{0,3})){0,2}$",
            "description": "An OS major (`27`, meaning 27.0) or version (`26.4`), in quotes.",
            "examples": ["27", "26.4"]
        })
    }
}
