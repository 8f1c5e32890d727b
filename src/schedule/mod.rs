//! `ddmc legacy schedule`: the `ScheduleOSUpdate` MDM command that installs the newest Rapid
//! Security Response a device offers.
//!
//! On RSR-era devices (macOS 13–14, iOS 16–17) DDM software-update enforcement is missing or
//! partial, and the way to apply an RSR is the MDM command, naming the update by the
//! `ProductKey` the device listed in its `AvailableOSUpdates` answer. Apple deprecated
//! `ScheduleOSUpdate` in OS 26.0 and removed it (with `AvailableOSUpdates`) in 27.0; newer
//! devices are managed with `ddmc build`.
//!
//! The steps are separate modules so each can be tested alone: [`parse`] (the device's answer
//! into typed updates), [`select`] (the newest security response), [`command`] (the command,
//! checked against Apple's schema) and [`write`] (atomic output).

pub mod command;
pub mod parse;
pub mod select;
pub mod write;

pub use command::InstallAction;

use crate::device_file::{self, ReadFailure};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::platform::Platform;
use crate::parse::Node;
use parse::InputError;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Printed on every run (unless `--quiet`): the command has an end date.
pub const DEPRECATION_WARNING: &str = "`ScheduleOSUpdate` is deprecated in OS 26.0 and removed in 27.0 (Apple's \
    device-management schema); use this command only for devices with Rapid Security Responses (macOS 13-14, \
    iOS 16-17), and `ddmc build` with `enforce` for newer ones";

/// The first major version without `ScheduleOSUpdate` (Apple's 27.0 release notes: removed).
const REMOVED_IN_MAJOR: u16 = 27;

/// What went wrong, with the file it concerns.
#[derive(Debug)]
pub enum ScheduleError {
    /// `--available` cannot be read.
    Read { file: PathBuf, source: io::Error },
    /// The response is not a regular file, is too large or malformed, the device answered
    /// with an error, it lists no security response, or the one it lists cannot be scheduled
    /// this way: a diagnostic at the place in the file, and the file's text for snippets.
    Input { diagnostic: Box<Diagnostic>, text: String },
    /// `--out` is the response itself.
    OutIsInput { file: PathBuf },
    /// `--out` cannot be written.
    Write { file: PathBuf, source: io::Error },
    /// The plist writer failed, which would be a bug.
    Internal(String),
}

/// How an error should end the process; the command line maps these to exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad content: exit 1.
    Input,
    /// Bad arguments: exit 2.
    Usage,
    /// Reading, writing, internal: exit 3.
    Io,
}

impl ScheduleError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ScheduleError::Input { .. } => ErrorKind::Input,
            ScheduleError::OutIsInput { .. } => ErrorKind::Usage,
            ScheduleError::Read { .. } | ScheduleError::Write { .. } | ScheduleError::Internal(_) => ErrorKind::Io,
        }
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::Read { file, source } => write!(f, "cannot read `{}`: {source}", file.display()),
            ScheduleError::Input { diagnostic, .. } => f.write_str(&diagnostic.message),
            ScheduleError::OutIsInput { file } => {
                write!(f, "`--out {}` is the `--available` file; choose another output file", file.display())
            }
            ScheduleError::Write { file, source } => {
                write!(f, "cannot write `{}`: {source}; nothing was written", file.display())
            }
            ScheduleError::Internal(message) => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for ScheduleError {}

/// A problem in the response as a diagnostic at its key path.
fn located(file: &str, root: &Node, error: &InputError) -> Diagnostic {
    let (code, path) = match error {
        InputError::Format(_) => (Code::Syntax, "(top level)"),
        InputError::Key { path, message } => {
            let code = if message.starts_with("missing") {
                Code::MissingKey
            } else if message.starts_with("expected") {
                Code::WrongType
            } else {
                Code::InvalidValue
            };
            (code, path.as_str())
        }
        InputError::DeviceStatus(_) => (Code::InvalidValue, "Status"),
    };
    Diagnostic::error(code, error.to_string()).at(file, device_file::span_at(root, path))
}

/// The command, and what it schedules for the summary line.
#[derive(Clone, Debug)]
pub struct Scheduled {
    /// The command as an XML plist.
    pub xml: Vec<u8>,
    /// `13.3.1 (a)`.
    pub label: String,
    pub product_key: String,
    pub build: Option<String>,
    pub action: InstallAction,
    pub platform: Option<Platform>,
}

impl Scheduled {
    /// One line for stderr: what was chosen and where it went.
    pub fn summary(&self, out: Option<&Path>) -> String {
        let build = self.build.as_ref().map(|build| format!(", build {build}")).unwrap_or_default();
        let platform = self.platform.map(|p| format!("{p} ")).unwrap_or_default();
        let target = out.map_or_else(|| "stdout".to_owned(), |out| format!("`{}`", out.display()));
        format!(
            "wrote ScheduleOSUpdate ({}) for {platform}{}{build} (ProductKey `{}`) to {target}",
            self.action.as_str(),
            self.label,
            self.product_key
        )
    }
}

/// Reads the response, picks the newest security response and builds the command for it.
/// Nothing is written.
pub fn schedule(available: &Path, action: InstallAction) -> Result<Scheduled, ScheduleError> {
    let name = available.display().to_string();
    let bytes = device_file::read(available, &name).map_err(|failure| match failure {
        ReadFailure::Io(source) => ScheduleError::Read { file: available.into(), source },
        ReadFailure::Content(diagnostic) => ScheduleError::Input { diagnostic, text: String::new() },
    })?;
    let file = parse::decode(&name, &bytes)
        .map_err(|failure| ScheduleError::Input { diagnostic: failure.diagnostic, text: failure.text })?;
    let fail =
        |diagnostic: Diagnostic| ScheduleError::Input { diagnostic: Box::new(diagnostic), text: file.text.clone() };
    let input = |error: InputError| fail(located(&name, &file.root, &error));
    let updates = parse::updates(&file.root).map_err(input)?;
    let Some(chosen) = select::newest(&updates).map_err(input)? else {
        let listed: Vec<String> = updates.iter().map(parse::AvailableUpdate::describe).collect();
        let what = match listed.len() {
            0 => "no OS updates are listed".to_string(),
            1 => format!("1 OS update is listed: {}", listed.join(", ")),
            n => format!("{n} OS updates are listed: {}", listed.join(", ")),
        };
        return Err(fail(
            Diagnostic::error(Code::InvalidValue, format!("no security response is available; {what}"))
                .at(&name, device_file::span_at(&file.root, parse::LIST_KEY))
                .label("no entry with `IsSecurityResponse` true")
                .help("nothing to schedule: ask the device again later, or update it with `ScheduleOSUpdate` for its OS update"),
        ));
    };
    let product_key = chosen.product_key().map_err(input)?;
    let not_schedulable = |reason: String| {
        fail(
            Diagnostic::error(
                Code::Unsupported,
                format!("cannot schedule the security response {}: {reason}", chosen.label()),
            )
            .at(&name, device_file::span_at(&file.root, &chosen.update.path)),
        )
    };
    if chosen.version.major() >= REMOVED_IN_MAJOR {
        return Err(not_schedulable(format!(
            "Apple removed `ScheduleOSUpdate` in OS {REMOVED_IN_MAJOR}.0; enforce the build with a policy's \
             `enforce[].build_version` and `ddmc build` instead"
        )));
    }
    command::check_action(action, chosen.platform(), chosen.version).map_err(not_schedulable)?;
    let xml = command::to_xml(&command::build(product_key, action))
        .map_err(|e| ScheduleError::Internal(format!("cannot write the plist: {e}")))?;
    Ok(Scheduled {
        xml,
        label: chosen.label(),
        product_key: product_key.to_owned(),
        build: chosen.build.as_ref().map(ToString::to_string),
        action,
        platform: chosen.platform(),
    })
}

/// Writes the command to `out` atomically, or to stdout. Refuses to replace the response
/// it was made from.
pub fn write_output(scheduled: &Scheduled, available: &Path, out: Option<&Path>) -> Result<(), ScheduleError> {
    let Some(out) = out else {
        use std::io::Write;
        let mut stdout = io::stdout().lock();
        return stdout
            .write_all(&scheduled.xml)
            .and_then(|()| stdout.flush())
            .map_err(|source| ScheduleError::Write { file: "stdout".into(), source });
    };
    if let (Ok(a), Ok(b)) = (available.canonicalize(), out.canonicalize())
        && a == b
    {
        return Err(ScheduleError::OutIsInput { file: out.into() });
    }
    write::write_atomically(out, &scheduled.xml).map_err(|source| ScheduleError::Write { file: out.into(), source })
}
