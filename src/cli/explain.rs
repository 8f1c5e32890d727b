//! `ddmc explain`: what one device gets.

use super::args::*;
use super::exit;
use super::output::*;
use crate::pipeline::{self, Compilation, Mode};
use std::path::Path;

pub(super) type DeviceArgs =
    (crate::model::Platform, Option<crate::model::DeviceVersion>, String, crate::explain::Enrollment);

pub(super) fn explain(
    cli: &Cli,
    repo: &Path,
    (platform, os, group, enrollment): DeviceArgs,
    now: Option<crate::model::LocalDateTime>,
    format: ExplainFormat,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
) -> i32 {
    let mut c = match pipeline::compile_with(repo, &validate_only(cli.options(Mode::Check, secret, None))) {
        Ok(c) => c,
        Err(e) => return load_failed(cli, &e),
    };
    let code = report(cli, &mut c, false);
    if code != exit::OK {
        return code;
    }
    if let Some(message) = c.unknown_group(&group) {
        return fail(cli, usage(message));
    }
    let version = os.unwrap_or_else(|| crate::model::DeviceVersion { os: newest_known(&c, platform), extra: None });
    let device = crate::explain::Device { platform, version, group, enrollment };
    let explanation = crate::explain::explain(&c, &device, now);
    match format {
        ExplainFormat::Human => print!("{}", crate::explain::render_human(&explanation)),
        ExplainFormat::Json => println!("{}", serde_json::to_string_pretty(&explanation).unwrap_or_default()),
    }
    exit::OK
}

/// The newest OS version the policies know of on `platform`: the highest enforcement target
/// or the start of the newest band of settings, whichever is newer.
pub(super) fn newest_known(c: &Compilation, platform: crate::model::Platform) -> crate::model::OsVersion {
    let bands = crate::analysis::cohorts(&c.declarations).into_iter().filter(|cohort| cohort.platform == platform);
    let targets = c
        .declarations
        .iter()
        .filter(|d| d.applies_to.iter().any(|r| r.platform == platform))
        .filter_map(|d| Some(d.enforcement()?.version));
    bands.map(|cohort| cohort.band.from).chain(targets).max().unwrap_or(crate::model::OsVersion::new(26, 0, None))
}
