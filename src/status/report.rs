//! Reading what a device says it runs: a DDM status report (JSON, as the device sends it to
//! the server) or an MDM `DeviceInformation` response (XML or binary plist, or JSON from a
//! server's API), told apart by their content, into one typed [`DeviceStatus`].
//!
//! Reading is strict: every key ddmc uses is type-checked and every problem names its key
//! path (`StatusItems.softwareupdate.install-state`), because a compliance answer built on a
//! misread value is worse than no answer. Keys ddmc does not use are left alone: a report
//! carries many status items that have nothing to do with software updates.

use crate::device_file::{self, DeviceFile, Format, ReadFailure};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{BuildVersion, DeviceVersion, Platform};
use crate::parse::Node;
use serde_json::{Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where the device's answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A declarative device management status report (`StatusItems`).
    StatusReport,
    /// An MDM `DeviceInformation` response (`QueryResponses`).
    DeviceInformation,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::StatusReport => "DDM status report",
            Source::DeviceInformation => "MDM DeviceInformation response",
        }
    }

    /// The form used in JSON output.
    pub fn slug(self) -> &'static str {
        match self {
            Source::StatusReport => "status-report",
            Source::DeviceInformation => "device-information",
        }
    }
}

/// Everything ddmc reads from the device's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceStatus {
    pub source: Source,
    /// The platform, when the answer tells it; see [`Self::platform_from`].
    pub platform: Option<Platform>,
    /// The key path and value that told the platform, or failed to:
    /// (`StatusItems.device.operating-system.family`, `iPadOS`).
    pub platform_from: Option<(String, String)>,
    /// The OS version with its supplemental letter: `26.3.1 (a)`.
    pub version: DeviceVersion,
    /// The base build, `25D2128`.
    pub build: Option<BuildVersion>,
    /// The build including any Background Security Improvement, `25D771280a`. Devices without
    /// one report their base build here, or nothing.
    pub supplemental_build: Option<BuildVersion>,
    /// `softwareupdate.*`: only DDM status reports have them, and only when subscribed.
    pub update: Option<UpdateState>,
    /// `management.declarations.configurations`: what the device says of each configuration.
    pub declarations: Vec<DeclarationState>,
    /// `Errors`: status items the device could not report.
    pub item_errors: Vec<ItemError>,
    /// `FullReport`: `false` or absent means an incremental report, whose arrays hold only
    /// what changed.
    pub full_report: bool,
}

/// The `softwareupdate.*` status items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateState {
    /// `pending-version`; `None` when absent or empty (nothing pending).
    pub pending: Option<Pending>,
    pub install_state: Option<InstallState>,
    pub failure: Option<Failure>,
    pub install_reason: Option<InstallReason>,
}

/// The update the device has started on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// `os-version`, which Apple says includes any supplemental letter: `26.3.1 (a)`.
    pub version: DeviceVersion,
    /// `build-version`, the supplemental build for a Background Security Improvement.
    pub build: Option<BuildVersion>,
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.build {
            Some(build) => write!(f, "{} (build {build})", self.version),
            None => write!(f, "{}", self.version),
        }
    }
}

/// `softwareupdate.install-state`. Apple's range list has five values; its prose adds
/// `waiting`, so that is accepted too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallState {
    None,
    Waiting,
    Downloading,
    Prepared,
    Installing,
    Failed,
}

impl InstallState {
    const ALL: [InstallState; 6] = [
        InstallState::None,
        InstallState::Waiting,
        InstallState::Downloading,
        InstallState::Prepared,
        InstallState::Installing,
        InstallState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstallState::None => "none",
            InstallState::Waiting => "waiting",
            InstallState::Downloading => "downloading",
            InstallState::Prepared => "prepared",
            InstallState::Installing => "installing",
            InstallState::Failed => "failed",
        }
    }
}

/// `softwareupdate.failure-reason`: about the current (pending) update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub count: u64,
    pub reason: Option<String>,
    /// RFC 3339, as the device wrote it.
    pub timestamp: Option<String>,
}

/// `softwareupdate.install-reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallReason {
    pub reasons: Vec<String>,
    /// The declaration that started the update, when `reasons` holds `declaration`.
    pub declaration_id: Option<String>,
}

/// Apple's `softwareupdate-reason` range list.
const INSTALL_REASONS: [&str; 8] = [
    "system-settings",
    "install-tonight",
    "auto-update",
    "notification",
    "setup-assistant",
    "command-line",
    "mdm",
    "declaration",
];

/// One entry of `management.declarations.configurations`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclarationState {
    pub identifier: String,
    pub active: Option<bool>,
    /// `valid`, `invalid` or `unknown`.
    pub valid: Option<String>,
    pub server_token: Option<String>,
    pub reasons: Vec<Reason>,
}

/// A status reason: `Error.ConfigurationCannotBeApplied` and its description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub code: String,
    pub description: Option<String>,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.description {
            Some(description) => write!(f, "{}: {description}", self.code),
            None => f.write_str(&self.code),
        }
    }
}

/// One entry of the report's `Errors`: a status item the device could not report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemError {
    pub item: String,
    pub reasons: Vec<Reason>,
}

/// Why a file could not be read as a device's status.
#[derive(Debug)]
pub enum ReportError {
    /// The file cannot be read at all: exit 3.
    Read { file: PathBuf, source: std::io::Error },
    /// Bad content (or not a regular file, or too large): a diagnostic at the place in the
    /// file, and the file's text for snippets.
    Content { diagnostic: Box<Diagnostic>, text: String },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Read { file, source } => write!(f, "cannot read `{}`: {source}", file.display()),
            ReportError::Content { diagnostic, .. } => f.write_str(&diagnostic.message),
        }
    }
}

impl std::error::Error for ReportError {}

/// A problem in the file's content, at a key path when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem: the diagnostic's code.
    pub code: Code,
    pub path: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    fn format(message: impl Into<String>) -> Self {
        Problem { code: Code::Syntax, path: None, message: message.into(), help: None }
    }

    fn at(path: &str, message: impl Into<String>) -> Self {
        Problem { code: Code::InvalidValue, path: Some(path.to_string()), message: message.into(), help: None }
    }

    fn missing(path: &str, message: impl Into<String>) -> Self {
        Problem { code: Code::MissingKey, ..Problem::at(path, message) }
    }

    fn wrong_type(path: &str, message: impl Into<String>) -> Self {
        Problem { code: Code::WrongType, ..Problem::at(path, message) }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "`{path}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// What a device's answer may be written as.
const FORMATS: [Format; 3] = [Format::Json, Format::XmlPlist, Format::BinaryPlist];

/// Reads and parses the file at `path`.
pub fn read(path: &Path) -> Result<DeviceStatus, ReportError> {
    let name = path.display().to_string();
    let bytes = device_file::read(path, &name).map_err(|failure| match failure {
        ReadFailure::Io(source) => ReportError::Read { file: path.to_path_buf(), source },
        ReadFailure::Content(diagnostic) => ReportError::Content { diagnostic, text: String::new() },
    })?;
    let file = device_file::parse(&name, &bytes, &FORMATS, "a status report")
        .map_err(|failure| ReportError::Content { diagnostic: failure.diagnostic, text: failure.text })?;
    from_file(&file).map_err(|problem| ReportError::Content {
        diagnostic: Box::new(located(&name, &file.root, problem)),
        text: file.text.clone(),
    })
}

/// A problem as a diagnostic at its key path (the start of the file when it has none).
fn located(file: &str, root: &Node, problem: Problem) -> Diagnostic {
    let code = problem.code;
    let span = device_file::span_at(root, problem.path.as_deref().unwrap_or(""));
    let message = match &problem.path {
        Some(path) => format!("`{path}`: {}", problem.message),
        None => problem.message,
    };
    Diagnostic::error(code, message).at(file, span).help_opt(problem.help)
}

/// Parses a status report or a DeviceInformation response, told apart by content (for
/// tests: a file that cannot be read as JSON or a plist is a problem without a path).
pub fn parse(bytes: &[u8]) -> Result<DeviceStatus, Problem> {
    let file = device_file::parse("report", bytes, &FORMATS, "a status report")
        .map_err(|failure| Problem::format(failure.diagnostic.message))?;
    from_file(&file)
}

/// A status report is JSON with `StatusItems`; a DeviceInformation response is a plist, or
/// JSON with `QueryResponses`.
fn from_file(file: &DeviceFile) -> Result<DeviceStatus, Problem> {
    if file.format != Format::Json {
        return device_information(&to_plist(&file.root)?);
    }
    let json = file.root.to_json();
    let Value::Object(root) = &json else {
        return Err(Problem::format("expected a JSON object"));
    };
    if root.contains_key("StatusItems") {
        status_report(root)
    } else if root.contains_key("QueryResponses") {
        device_information(&to_plist(&file.root)?)
    } else {
        Err(unknown_document(root))
    }
}

/// The tree as a plist; `null` members are absent (as servers' JSON exports write them).
fn to_plist(root: &Node) -> Result<plist::Value, Problem> {
    device_file::to_plist(root).map_err(|path| Problem::wrong_type(&path, "expected a value, found `null`"))
}

/// The top-level keys say what else the file may be: Apple's examples show status items
/// without the report around them.
fn unknown_document(root: &Map<String, Value>) -> Problem {
    let bare_items = ["device", "softwareupdate", "management"].iter().any(|k| root.contains_key(*k));
    let problem = Problem::format(
        "neither a DDM status report (no `StatusItems`) nor a DeviceInformation response (no `QueryResponses`)",
    );
    if bare_items {
        problem
            .help("these look like bare status items: put them in a report, `{\"StatusItems\": {…}, \"Errors\": []}`")
    } else {
        problem
    }
}

// ---------------------------------------------------------------------------------------
// DDM status reports

fn status_report(root: &Map<String, Value>) -> Result<DeviceStatus, Problem> {
    let items = object(root, "StatusItems", "")?.ok_or_else(|| Problem::missing("StatusItems", "missing"))?;
    let item_errors = item_errors(root)?;
    let full_report = match root.get("FullReport") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(expected("FullReport", "a boolean", other)),
    };
    let device = object(items, "device", "StatusItems")?;
    let os = match device {
        Some(device) => object(device, "operating-system", "StatusItems.device")?,
        None => None,
    };
    const OS: &str = "StatusItems.device.operating-system";
    let Some(version_text) = os.map(|os| string(os, "version", OS)).transpose()?.flatten() else {
        return Err(missing_version(&item_errors, full_report));
    };
    let supplemental = os.map(|os| object(os, "supplemental", OS)).transpose()?.flatten();
    const SUPPLEMENTAL: &str = "StatusItems.device.operating-system.supplemental";
    let extra = supplemental.map(|s| string(s, "extra-version", SUPPLEMENTAL)).transpose()?.flatten();
    let version = DeviceVersion::from_status(version_text, extra).map_err(|e| {
        // The letter is the culprit when the version itself parses.
        let path = if version_text.trim().parse::<crate::model::OsVersion>().is_ok() {
            format!("{SUPPLEMENTAL}.extra-version")
        } else {
            format!("{OS}.version")
        };
        version_problem(&path, e)
    })?;
    let build = os.map(|os| build_at(os, "build-version", OS)).transpose()?.flatten();
    let supplemental_build = supplemental.map(|s| build_at(s, "build-version", SUPPLEMENTAL)).transpose()?.flatten();
    let (platform, platform_from) = match os.map(|os| string(os, "family", OS)).transpose()?.flatten() {
        Some(family) => (platform_of_family(family), Some((format!("{OS}.family"), family.to_string()))),
        None => (None, None),
    };
    Ok(DeviceStatus {
        source: Source::StatusReport,
        platform,
        platform_from,
        version,
        build,
        supplemental_build,
        update: object(items, "softwareupdate", "StatusItems")?.map(update_state).transpose()?,
        declarations: declarations(items)?,
        item_errors,
        full_report,
    })
}

/// Without the version nothing can be decided. Say why, as far as the report tells.
fn missing_version(errors: &[ItemError], full_report: bool) -> Problem {
    const ITEM: &str = "device.operating-system.version";
    let problem =
        Problem::missing(&format!("StatusItems.{ITEM}"), "missing: the report does not say which OS the device runs");
    if let Some(error) = errors.iter().find(|e| e.item == ITEM) {
        let reasons: Vec<String> = error.reasons.iter().map(Reason::to_string).collect();
        let reasons = if reasons.is_empty() { "no reason given".to_string() } else { reasons.join("; ") };
        return problem.help(format!("the device reported an error for `{ITEM}`: {reasons}"));
    }
    if full_report {
        problem.help(format!("subscribe the device to `{ITEM}` (ddmc's status subscriptions do)"))
    } else {
        problem.help(format!(
            "an incremental report carries only the items that changed: check a full report (`FullReport: true`) \
             or one that holds `{ITEM}`, or the device's DeviceInformation response"
        ))
    }
}

fn update_state(items: &Map<String, Value>) -> Result<UpdateState, Problem> {
    const AT: &str = "StatusItems.softwareupdate";
    let pending = match object(items, "pending-version", AT)? {
        None => None,
        Some(pending) => pending_version(pending)?,
    };
    let install_state = match string(items, "install-state", AT)? {
        None => None,
        Some(state) => Some(InstallState::ALL.into_iter().find(|s| s.as_str() == state).ok_or_else(|| {
            let known: Vec<&str> = InstallState::ALL.iter().map(|s| s.as_str()).collect();
            Problem::at(&format!("{AT}.install-state"), format!("unknown install state `{state}`"))
                .help(format!("Apple's values are {}", known.join(", ")))
        })?),
    };
    let failure = match object(items, "failure-reason", AT)? {
        None => None,
        Some(failure) => {
            const FAILURE: &str = "StatusItems.softwareupdate.failure-reason";
            let count = match failure.get("count") {
                None => return Err(Problem::missing(&format!("{FAILURE}.count"), "missing")),
                Some(value) => value
                    .as_u64()
                    .ok_or_else(|| expected(&format!("{FAILURE}.count"), "a whole number, 0 or more", value))?,
            };
            let timestamp = string(failure, "timestamp", FAILURE)?.map(str::to_string);
            if let Some(text) = &timestamp
                && text.parse::<jiff::Timestamp>().is_err()
            {
                return Err(Problem::wrong_type(
                    &format!("{FAILURE}.timestamp"),
                    format!("expected an RFC 3339 timestamp such as `2026-12-10T09:30:00Z`, found `{text}`"),
                ));
            }
            Some(Failure { count, reason: string(failure, "reason", FAILURE)?.map(str::to_string), timestamp })
        }
    };
    let install_reason = match object(items, "install-reason", AT)? {
        None => None,
        Some(install) => {
            const REASON: &str = "StatusItems.softwareupdate.install-reason";
            let list = match install.get("reason") {
                None => return Err(Problem::missing(&format!("{REASON}.reason"), "missing")),
                Some(Value::Array(list)) => list,
                Some(other) => return Err(expected(&format!("{REASON}.reason"), "an array", other)),
            };
            let mut reasons = Vec::new();
            for (index, item) in list.iter().enumerate() {
                let path = format!("{REASON}.reason[{index}]");
                let reason = item.as_str().ok_or_else(|| expected(&path, "a string", item))?;
                if !INSTALL_REASONS.contains(&reason) {
                    return Err(Problem::at(&path, format!("unknown install reason `{reason}`"))
                        .help(format!("Apple's values are {}", INSTALL_REASONS.join(", "))));
                }
                reasons.push(reason.to_string());
            }
            let declaration_id = string(install, "declaration-id", REASON)?.map(str::to_string);
            Some(InstallReason { reasons, declaration_id })
        }
    };
    Ok(UpdateState { pending, install_state, failure, install_reason })
}

/// Apple: both strings are empty when no update is pending.
fn pending_version(pending: &Map<String, Value>) -> Result<Option<Pending>, Problem> {
    const AT: &str = "StatusItems.softwareupdate.pending-version";
    let required = |key: &str| {
        string(pending, key, AT)?.ok_or_else(|| Problem::missing(&format!("{AT}.{key}"), "missing")).map(str::trim)
    };
    let (os, build) = (required("os-version")?, required("build-version")?);
    match (os.is_empty(), build.is_empty()) {
        (true, true) => Ok(None),
        (true, false) => Err(Problem::at(
            &format!("{AT}.os-version"),
            format!("empty, but `build-version` is `{build}`: Apple leaves both empty when nothing is pending"),
        )),
        (false, _) => {
            let path = format!("{AT}.os-version");
            let version = os.parse::<DeviceVersion>().map_err(|e| version_problem(&path, e))?;
            let build = (!build.is_empty()).then(|| parse_build(build, &format!("{AT}.build-version"))).transpose()?;
            Ok(Some(Pending { version, build }))
        }
    }
}

fn declarations(items: &Map<String, Value>) -> Result<Vec<DeclarationState>, Problem> {
    const AT: &str = "StatusItems.management.declarations";
    let Some(management) = object(items, "management", "StatusItems")? else { return Ok(Vec::new()) };
    let Some(declarations) = object(management, "declarations", "StatusItems.management")? else {
        return Ok(Vec::new());
    };
    let list = match declarations.get("configurations") {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(expected(&format!("{AT}.configurations"), "an array", other)),
    };
    let mut out = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let path = format!("{AT}.configurations[{index}]");
        let Value::Object(entry) = item else { return Err(expected(&path, "a dictionary", item)) };
        let identifier = string(entry, "identifier", &path)?
            .ok_or_else(|| Problem::missing(&format!("{path}.identifier"), "missing"))?;
        let active = match entry.get("active") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => return Err(expected(&format!("{path}.active"), "a boolean", other)),
        };
        out.push(DeclarationState {
            identifier: identifier.to_string(),
            active,
            valid: string(entry, "valid", &path)?.map(str::to_string),
            server_token: string(entry, "server-token", &path)?.map(str::to_string),
            reasons: reasons(entry, "reasons", "code", "description", &path)?,
        });
    }
    Ok(out)
}

/// The report's `Errors`. Apple marks it required; a report re-assembled by a server may
/// leave it out, which says no more than an empty list.
fn item_errors(root: &Map<String, Value>) -> Result<Vec<ItemError>, Problem> {
    let list = match root.get("Errors") {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(expected("Errors", "an array", other)),
    };
    let mut out = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let path = format!("Errors[{index}]");
        let Value::Object(entry) = item else { return Err(expected(&path, "a dictionary", item)) };
        let status_item = string(entry, "StatusItem", &path)?
            .ok_or_else(|| Problem::missing(&format!("{path}.StatusItem"), "missing"))?;
        out.push(ItemError {
            item: status_item.to_string(),
            reasons: reasons(entry, "Reasons", "Code", "Description", &path)?,
        });
    }
    Ok(out)
}

/// A list of status reasons; Apple spells the keys `Code` in `Errors` and `code` in
/// declaration status.
fn reasons(
    entry: &Map<String, Value>,
    key: &str,
    code: &str,
    description: &str,
    at: &str,
) -> Result<Vec<Reason>, Problem> {
    let list = match entry.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(expected(&format!("{at}.{key}"), "an array", other)),
    };
    let mut out = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let path = format!("{at}.{key}[{index}]");
        let Value::Object(reason) = item else { return Err(expected(&path, "a dictionary", item)) };
        let code_text =
            string(reason, code, &path)?.ok_or_else(|| Problem::missing(&format!("{path}.{code}"), "missing"))?;
        out.push(Reason {
            code: code_text.to_string(),
            description: string(reason, description, &path)?.map(str::to_string),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// MDM DeviceInformation

fn device_information(root: &plist::Value) -> Result<DeviceStatus, Problem> {
    let Some(root) = root.as_dictionary() else {
        return Err(Problem::format("expected a dictionary at the top of the DeviceInformation response"));
    };
    match root.get("Status") {
        None => {}
        Some(plist::Value::String(status)) if status == "Acknowledged" => {}
        Some(plist::Value::String(status)) => {
            return Err(Problem::at(
                "Status",
                format!("the device answered `{status}`, not `Acknowledged`: the response holds no device information"),
            ));
        }
        Some(other) => return Err(plist_expected("Status", "a string", other)),
    }
    let answers = match root.get("QueryResponses") {
        None => {
            return Err(Problem::format("not a DeviceInformation response: no `QueryResponses`").help(
                "status reports are JSON with `StatusItems`; DeviceInformation responses hold `QueryResponses`",
            ));
        }
        Some(plist::Value::Dictionary(answers)) => answers,
        Some(other) => return Err(plist_expected("QueryResponses", "a dictionary", other)),
    };
    const AT: &str = "QueryResponses";
    let text = |key: &str| -> Result<Option<&str>, Problem> {
        match answers.get(key) {
            None => Ok(None),
            Some(plist::Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(plist_expected(&format!("{AT}.{key}"), "a string", other)),
        }
    };
    let Some(os) = text("OSVersion")? else {
        return Err(Problem::missing("QueryResponses.OSVersion", "missing: the response does not say which OS the device runs")
            .help("query `OSVersion`, `BuildVersion`, `SupplementalBuildVersion`, `SupplementalOSVersionExtra` and `ProductName`"));
    };
    let extra = text("SupplementalOSVersionExtra")?;
    let version = DeviceVersion::from_mdm(os, extra).map_err(|e| {
        let key = if os.trim().parse::<crate::model::OsVersion>().is_ok() {
            "SupplementalOSVersionExtra"
        } else {
            "OSVersion"
        };
        version_problem(&format!("{AT}.{key}"), e)
    })?;
    let build = text("BuildVersion")?
        .filter(|b| !b.trim().is_empty())
        .map(|b| parse_build(b.trim(), "QueryResponses.BuildVersion"))
        .transpose()?;
    let supplemental_build = text("SupplementalBuildVersion")?
        .filter(|b| !b.trim().is_empty())
        .map(|b| parse_build(b.trim(), "QueryResponses.SupplementalBuildVersion"))
        .transpose()?;
    let mut platform = None;
    let mut platform_from = None;
    // `ProductName` is the model identifier (`iPad8,12`, `Mac16,10`); `ModelName` the
    // marketing family (`iPad`, `MacBook Pro`); `Model` varies by platform.
    for key in ["ProductName", "ModelName", "Model"] {
        if let Some(name) = text(key)? {
            platform_from.get_or_insert_with(|| (format!("{AT}.{key}"), name.to_string()));
            if let Some(found) = platform_of_product(name) {
                platform = Some(found);
                platform_from = Some((format!("{AT}.{key}"), name.to_string()));
                break;
            }
        }
    }
    Ok(DeviceStatus {
        source: Source::DeviceInformation,
        platform,
        platform_from,
        version,
        build,
        supplemental_build,
        update: None,
        declarations: Vec::new(),
        item_errors: Vec::new(),
        full_report: true,
    })
}

// ---------------------------------------------------------------------------------------
// Values

/// `device.operating-system.family`: an iPad says `iPadOS`, which Apple's schema (and ddmc)
/// treat as iOS.
fn platform_of_family(family: &str) -> Option<Platform> {
    Platform::ALL.into_iter().find(|p| p.families().contains(&family))
}

/// A DeviceInformation model name or identifier: `iPhone14,5`, `iPad`, `Mac16,10`,
/// `MacBook Pro`, `AppleTV6,2`, `RealityDevice14,1`.
fn platform_of_product(name: &str) -> Option<Platform> {
    let name = name.trim();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| name.starts_with(p));
    if starts(&["iPhone", "iPad", "iPod"]) {
        Some(Platform::IOS)
    } else if starts(&["Mac", "iMac", "VirtualMac"]) {
        Some(Platform::MacOS)
    } else if starts(&["AppleTV", "Apple TV"]) {
        Some(Platform::TvOS)
    } else if starts(&["RealityDevice", "Apple Vision"]) {
        Some(Platform::VisionOS)
    } else {
        None
    }
}

fn version_problem(path: &str, e: crate::model::version::VersionError) -> Problem {
    let problem = Problem::at(path, e.message);
    match e.help {
        Some(help) => problem.help(help),
        None => problem,
    }
}

fn parse_build(text: &str, path: &str) -> Result<BuildVersion, Problem> {
    text.parse::<BuildVersion>().map_err(|e| version_problem(path, e))
}

/// An optional build version; an empty string means none (devices without a BSI).
fn build_at(map: &Map<String, Value>, key: &str, at: &str) -> Result<Option<BuildVersion>, Problem> {
    match string(map, key, at)?.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_build(text, &format!("{at}.{key}")).map(Some),
    }
}

/// An optional member that must be a dictionary.
fn object<'a>(map: &'a Map<String, Value>, key: &str, at: &str) -> Result<Option<&'a Map<String, Value>>, Problem> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(other) => Err(expected(&join(at, key), "a dictionary", other)),
    }
}

/// An optional member that must be a string.
fn string<'a>(map: &'a Map<String, Value>, key: &str, at: &str) -> Result<Option<&'a str>, Problem> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(expected(&join(at, key), "a string", other)),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_string() } else { format!("{at}.{key}") }
}

fn expected(path: &str, what: &str, found: &Value) -> Problem {
    let kind = match found {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string `{s}`"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "a dictionary".to_string(),
    };
    Problem::wrong_type(path, format!("expected {what}, found {kind}"))
}

fn plist_expected(path: &str, what: &str, found: &plist::Value) -> Problem {
    let kind = match found {
        plist::Value::Array(_) => "an array",
        plist::Value::Dictionary(_) => "a dictionary",
        plist::Value::Boolean(_) => "a boolean",
        plist::Value::Data(_) => "data",
        plist::Value::Date(_) => "a date",
        plist::Value::Real(_) | plist::Value::Integer(_) => "a number",
        plist::Value::String(_) => "a string",
        _ => "an unsupported value",
    };
    Problem::wrong_type(path, format!("expected {what}, found {kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> DeviceStatus {
        parse(text.as_bytes()).unwrap_or_else(|p| panic!("{p}"))
    }

    fn err(text: &str) -> Problem {
        match parse(text.as_bytes()) {
            Ok(status) => panic!("expected an error, read {status:?}"),
            Err(problem) => problem,
        }
    }

    fn report(os: &str, rest: &str) -> String {
        format!(r#"{{"StatusItems": {{"device": {{"operating-system": {os}}}{rest}}}, "Errors": []}}"#)
    }

    #[test]
    fn status_report_with_bsi() {
        let status = ok(&report(
            r#"{"family": "macOS", "version": "26.3.1", "build-version": "25D2128",
                "supplemental": {"build-version": "25D771280a", "extra-version": "a"}}"#,
            "",
        ));
        assert_eq!(status.source, Source::StatusReport);
        assert_eq!(status.platform, Some(Platform::MacOS));
        assert_eq!(status.version.to_string(), "26.3.1 (a)");
        assert_eq!(status.build.map(|b| b.to_string()).as_deref(), Some("25D2128"));
        assert_eq!(status.supplemental_build.map(|b| b.to_string()).as_deref(), Some("25D771280a"));
        assert_eq!(status.update, None);
    }

    #[test]
    fn ipados_is_ios_and_unknown_families_are_none() {
        assert_eq!(ok(&report(r#"{"family": "iPadOS", "version": "26.4"}"#, "")).platform, Some(Platform::IOS));
        let watch = ok(&report(r#"{"family": "watchOS", "version": "26.4"}"#, ""));
        assert_eq!(watch.platform, None);
        assert_eq!(watch.platform_from.map(|(_, value)| value).as_deref(), Some("watchOS"));
    }

    #[test]
    fn software_update_items() {
        let status = ok(&report(
            r#"{"version": "26.3.1"}"#,
            r#", "softwareupdate": {"pending-version": {"os-version": "26.3.1 (a)", "build-version": "25D771280a"},
                "install-state": "waiting", "failure-reason": {"count": 1, "reason": "no space", "timestamp": "2026-12-10T09:30:00Z"},
                "install-reason": {"reason": ["declaration"], "declaration-id": "x"}}"#,
        ));
        let update = status.update.unwrap_or_else(|| panic!("no update state"));
        let pending = update.pending.unwrap_or_else(|| panic!("no pending"));
        assert_eq!(pending.to_string(), "26.3.1 (a) (build 25D771280a)");
        assert_eq!(update.install_state, Some(InstallState::Waiting));
        assert_eq!(update.failure.map(|f| f.count), Some(1));
        assert_eq!(update.install_reason.and_then(|r| r.declaration_id).as_deref(), Some("x"));
    }

    #[test]
    fn empty_pending_version_is_nothing_pending() {
        let status = ok(&report(
            r#"{"version": "26.4"}"#,
            r#", "softwareupdate": {"pending-version": {"os-version": "", "build-version": ""}}"#,
        ));
        assert_eq!(status.update.and_then(|u| u.pending), None);
    }

    /// Each bad input, and the key path its error names.
    #[test]
    fn errors_name_the_key_path() {
        let cases: &[(&str, &str, &str)] = &[
            (r#"{"version": 26.4}"#, "", "StatusItems.device.operating-system.version"),
            (r#"{"version": "26.4 beta"}"#, "", "StatusItems.device.operating-system.version"),
            (
                r#"{"version": "26.3.1", "supplemental": {"extra-version": "A"}}"#,
                "",
                "StatusItems.device.operating-system.supplemental.extra-version",
            ),
            (
                r#"{"version": "26.3.1", "supplemental": {"build-version": "25d771280a"}}"#,
                "",
                "StatusItems.device.operating-system.supplemental.build-version",
            ),
            (
                r#"{"version": "26.4"}"#,
                r#", "softwareupdate": {"install-state": "done"}"#,
                "StatusItems.softwareupdate.install-state",
            ),
            (
                r#"{"version": "26.4"}"#,
                r#", "softwareupdate": {"failure-reason": {"count": -1}}"#,
                "StatusItems.softwareupdate.failure-reason.count",
            ),
            (
                r#"{"version": "26.4"}"#,
                r#", "softwareupdate": {"failure-reason": {"count": 1, "timestamp": "yesterday"}}"#,
                "StatusItems.softwareupdate.failure-reason.timestamp",
            ),
            (
                r#"{"version": "26.4"}"#,
                r#", "softwareupdate": {"pending-version": {"os-version": "26.5"}}"#,
                "StatusItems.softwareupdate.pending-version.build-version",
            ),
            (
                r#"{"version": "26.4"}"#,
                r#", "softwareupdate": {"install-reason": {"reason": ["magic"]}}"#,
                "StatusItems.softwareupdate.install-reason.reason[0]",
            ),
            (
                r#"{"version": "26.4"}"#,
                r#", "management": {"declarations": {"configurations": [{"active": true}]}}"#,
                "StatusItems.management.declarations.configurations[0].identifier",
            ),
            (r#"{"family": "macOS"}"#, "", "StatusItems.device.operating-system.version"),
        ];
        for (os, rest, path) in cases {
            let problem = err(&report(os, rest));
            assert_eq!(problem.path.as_deref(), Some(*path), "{os} {rest}: {problem}");
        }
    }

    #[test]
    fn a_version_error_reported_by_the_device_is_quoted() {
        let problem = err(r#"{"StatusItems": {}, "Errors": [{"StatusItem": "device.operating-system.version",
            "Reasons": [{"Code": "Error.Internal", "Description": "boom"}]}]}"#);
        assert!(problem.help.is_some_and(|h| h.contains("Error.Internal: boom")));
    }

    #[test]
    fn device_information_plist() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>QueryResponses</key><dict>
<key>OSVersion</key><string>26.3.1</string>
<key>SupplementalOSVersionExtra</key><string>(a)</string>
<key>SupplementalBuildVersion</key><string>25D771280a</string>
<key>ProductName</key><string>iPad8,12</string>
</dict><key>Status</key><string>Acknowledged</string></dict></plist>"#;
        let status = ok(xml);
        assert_eq!(status.source, Source::DeviceInformation);
        assert_eq!(status.platform, Some(Platform::IOS));
        assert_eq!(status.version.to_string(), "26.3.1 (a)");
    }

    #[test]
    fn device_information_json_and_its_errors() {
        let status =
            ok(r#"{"QueryResponses": {"OSVersion": "26.4", "ModelName": "MacBook Pro", "BuildVersion": null}}"#);
        assert_eq!(status.platform, Some(Platform::MacOS));
        assert_eq!(status.build, None);
        let letter = err(r#"{"QueryResponses": {"OSVersion": "26.3.1", "SupplementalOSVersionExtra": "a"}}"#);
        assert_eq!(letter.path.as_deref(), Some("QueryResponses.SupplementalOSVersionExtra"));
        let refused = err(r#"{"Status": "Error", "QueryResponses": {}}"#);
        assert_eq!(refused.path.as_deref(), Some("Status"));
        let number = err(r#"{"QueryResponses": {"OSVersion": 26}}"#);
        assert_eq!(number.path.as_deref(), Some("QueryResponses.OSVersion"));
    }

    #[test]
    fn what_is_not_a_report() {
        assert!(err("").message.contains("empty"));
        assert!(err("hello").message.contains("not a status report"));
        assert!(err("{").message.contains("EOF"), "{}", err("{").message);
        assert!(err(r#"{"device": {}}"#).help.is_some_and(|h| h.contains("StatusItems")));
        assert!(err("<plist><dict><key>Foo</key><string>x</string></dict></plist>").message.contains("QueryResponses"));
    }
}
