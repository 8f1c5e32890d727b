//! `ddmc legacy schedule`: a `ScheduleOSUpdate` command for RSR-era devices.

use super::args::*;
use super::exit;
use super::output::*;
use crate::diagnostics;
use crate::schedule::{self, InstallAction};
use std::path::Path;

/// `ddmc legacy schedule`: the deprecation warning, the command, one summary line.
pub(super) fn legacy_schedule(cli: &Cli, available: &Path, action: InstallAction, out: Option<&Path>) -> i32 {
    if !cli.quiet {
        eprintln!("warning: {}", schedule::DEPRECATION_WARNING);
    }
    let written = schedule::schedule(available, action)
        .and_then(|scheduled| schedule::write_output(&scheduled, available, out).map(|()| scheduled));
    match written {
        Ok(scheduled) => {
            done(cli, &scheduled.summary(out));
            exit::OK
        }
        Err(schedule::ScheduleError::Input { diagnostic, text }) => input_failed(cli, *diagnostic, &text),
        Err(e) => match e.kind() {
            schedule::ErrorKind::Input => {
                fail(cli, diagnostics::Diagnostic::error(diagnostics::Code::InvalidValue, e.to_string()))
            }
            schedule::ErrorKind::Usage => fail(cli, usage(e.to_string())),
            schedule::ErrorKind::Io => fail(cli, io(e.to_string())),
        },
    }
}
