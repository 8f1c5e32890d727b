//! `ddmc status check`: a device's status report against the policies.

use super::args::*;
use super::exit;
use super::output::*;
use std::io::Write;

/// `ddmc status check`: the verdicts on stdout; 0 only when every target is met.
pub(super) fn status_check(
    cli: &Cli,
    options: &crate::status::Options<'_>,
    json: bool,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> i32 {
    use crate::status::{StatusError, render};
    let check = match crate::status::check(options, secret) {
        Ok(check) => check,
        Err(StatusError::Policy(mut c)) => return report(cli, &mut c, false),
        Err(StatusError::Report(crate::status::report::ReportError::Content { diagnostic, text })) => {
            return input_failed(cli, *diagnostic, &text);
        }
        Err(StatusError::Load(e)) => return load_failed(cli, &e),
        Err(e) => {
            let usage_error = matches!(e, StatusError::Platform(_) | StatusError::UnknownGroup(_));
            return if usage_error { fail(cli, usage(e.to_string())) } else { fail(cli, io(e.to_string())) };
        }
    };
    let text = if json {
        format!("{}\n", serde_json::to_string_pretty(&render::json(&check)).unwrap_or_default())
    } else {
        render::human(&check)
    };
    // A closed pipe (`| head`) is not worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if check.compliant() { exit::OK } else { exit::POLICY }
}
