//! Rules a JSON Schema cannot state: Apple's schema prose, cross-field constraints, and
//! facts about versions. They run on the typed policy, with the document for positions.

use crate::apple::{DeclarationType, support, trains};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::document::Document;
use crate::model::{Control, Enforce, Platform, Policy};

/// Ids that would collide with repository-level Identifiers.
pub const RESERVED_IDS: &[&str] = &["status-subscriptions"];

pub fn check_policy(policy: &Policy, doc: &Document, out: &mut Diagnostics) {
    if RESERVED_IDS.contains(&policy.id.as_str()) {
        out.push(
            Diagnostic::error(Code::ReservedId, format!("policy id `{}` is reserved", policy.id))
                .at(&doc.file, doc.span(&["id"]))
                .label("ddmc uses this name for the repository's own declarations")
                .help(format!("rename it, e.g. `{}-policy`", policy.id)),
        );
    }
    check_beta(policy, doc, out);
    check_download_for_install(policy, doc, out);
    for (index, entry) in policy.enforce.iter().enumerate() {
        check_enforce(policy, index, entry, doc, out);
    }
    let sets_nothing = policy.background_security_improvements.is_none()
        && policy.software_updates.is_none()
        && policy.enforce.is_empty();
    if sets_nothing {
        out.push(
            Diagnostic::warning(Code::InvalidValue, format!("policy `{}` sets nothing", policy.id))
                .at(&doc.file, doc.span(&["id"]))
                .label("no settings and no `enforce` entries")
                .help("add `background_security_improvements`, `software_updates` or `enforce`"),
        );
    }
}

/// The rules Apple states in the prose of `softwareupdate.settings.yaml` for `Beta`.
fn check_beta(policy: &Policy, doc: &Document, out: &mut Diagnostics) {
    let Some(beta) = policy.software_updates.as_ref().and_then(|s| s.beta.as_ref()) else { return };
    let at = |key: &str| doc.key_span(&["software_updates", "beta", key]);
    let enrollment = beta.enrollment.unwrap_or(Control::Allowed);
    if beta.offer_programs.is_some() && beta.require_program.is_some() {
        out.push(
            Diagnostic::error(Code::AppleRule, "`offer_programs` and `require_program` cannot be used together")
                .at(&doc.file, at("offer_programs"))
                .label("not allowed with `require_program`")
                .note("Apple, Beta.OfferPrograms: \"This key must not be present if the `RequireProgram` key is present.\"")
                .help("keep `require_program` to enroll every device, or `offer_programs` to let users choose"),
        );
    } else if beta.offer_programs.is_some() && enrollment == Control::AlwaysOff {
        out.push(
            Diagnostic::error(Code::AppleRule, "`offer_programs` needs `enrollment: allowed` or `always_on`")
                .at(&doc.file, at("offer_programs"))
                .label("programs offered while enrollment is `always_off`")
                .note("Apple, Beta.OfferPrograms: \"This key must only be present if the `ProgramEnrollment` key is set to `Allowed` or `AlwaysOn`.\"")
                .help("remove `offer_programs`, or set `enrollment: allowed`"),
        );
    }
    if beta.require_program.is_some() && beta.enrollment != Some(Control::AlwaysOn) {
        out.push(
            Diagnostic::error(Code::AppleRule, "`require_program` needs `enrollment: always_on`")
                .at(&doc.file, at("require_program"))
                .label("a required program without `enrollment: always_on`")
                .note("Apple, Beta.RequireProgram: \"This key must only be present if the `ProgramEnrollment` key is set to `AlwaysOn`.\"")
                .help("add `enrollment: always_on` under `beta`"),
        );
    }
}

/// Apple's 27.0 seed, on `InstallOSUpdates` and `InstallSecurityUpdate`: "The device uses
/// this only with automatic downloads enabled."
fn check_download_for_install(policy: &Policy, doc: &Document, out: &mut Diagnostics) {
    let updates = policy.software_updates.as_ref();
    if updates.and_then(|s| s.automatic_download) != Some(Control::AlwaysOff) {
        return;
    }
    let installs = [
        (["software_updates", "automatic_install"], updates.and_then(|s| s.automatic_install)),
        (
            ["background_security_improvements", "automatic_install"],
            policy.background_security_improvements.as_ref().and_then(|b| b.automatic_install),
        ),
    ];
    let on: Vec<[&str; 2]> =
        installs.iter().filter(|(_, c)| *c == Some(Control::AlwaysOn)).map(|(path, _)| *path).collect();
    if on.is_empty() {
        return;
    }
    let fields: Vec<String> = on.iter().map(|p| format!("`{}`", p.join("."))).collect();
    let mut d = Diagnostic::warning(
        Code::AppleRule,
        format!(
            "{} {} `always_on` but automatic downloads are `always_off`",
            fields.join(" and "),
            if fields.len() == 1 { "is" } else { "are" }
        ),
    )
    .at(&doc.file, doc.key_span(&["software_updates", "automatic_download"]))
    .label("devices download nothing automatically, so nothing installs automatically")
    .note("Apple (27.0 seed), `AutomaticActions.InstallOSUpdates` and `InstallSecurityUpdate`: \"The device uses this only with automatic downloads enabled.\"")
    .help("set `automatic_download: always_on` (or `allowed`), or stop forcing automatic installs");
    for path in &on {
        d = d.related(&doc.file, doc.key_span(path), "automatic install forced here");
    }
    out.push(d);
}

fn check_enforce(policy: &Policy, index: usize, entry: &Enforce, doc: &Document, out: &mut Diagnostics) {
    let i = index.to_string();
    let at = |key: &str| doc.span(&["enforce", &i, key]);
    let targets = &policy.targets.platforms;
    let platform = match (entry.platform, targets.as_slice()) {
        (Some(p), _) if !targets.contains(&p) => {
            out.push(
                Diagnostic::error(
                    Code::EnforcePlatform,
                    format!("`enforce[{i}]` is for {p}, which the policy does not target"),
                )
                .at(&doc.file, at("platform"))
                .label(format!("targets are {}", names(targets)))
                .help(format!("add {p} to `targets.platforms`, or change this platform")),
            );
            return;
        }
        (Some(p), _) => p,
        (None, [only]) => *only,
        (None, _) => {
            out.push(
                Diagnostic::error(
                    Code::EnforcePlatform,
                    format!("`enforce[{i}]` needs `platform`: the policy targets {}", names(targets)),
                )
                .at(&doc.file, doc.span(&["enforce", &i]))
                .label("which platform is this update for?")
                .help(format!("add `platform: {}`", targets.first().map(|p| p.as_str()).unwrap_or("macOS"))),
            );
            return;
        }
    };
    // `latest` is resolved and checked against Apple's catalog (`crate::resolve`).
    let Some(version) = entry.target.version() else { return };
    if platform.never_shipped(version.major()) {
        out.push(
            Diagnostic::warning(Code::InvalidValue, format!("{platform} {version} does not exist"))
                .at(&doc.file, at("os_version"))
                .label(format!("Apple never shipped {platform} {}", version.major()))
                .note("Apple numbered its OS releases by year from 2025: macOS 15 was followed by 26, iOS 18 by 26")
                .help("check the version for this platform"),
        );
    } else if let Some(floor) = support::declaration(DeclarationType::SoftwareUpdateEnforcement, platform)
        && version < floor.introduced
    {
        out.push(
            Diagnostic::warning(
                Code::Unsupported,
                format!("{platform} {version} is older than any device that can enforce it"),
            )
            .at(&doc.file, at("os_version"))
            .label(format!("enforcement needs {platform} {} or later", floor.introduced))
            .note(format!(
                "Apple's schema: `softwareupdate.enforcement.specific` is introduced in {platform} {}",
                floor.introduced
            ))
            .help("enforce a current version"),
        );
    }
    if let Some(build) = &entry.build_version
        && let Some(expected) = trains::mismatch(platform, version, build)
    {
        let what = match trains::belongs_to(build) {
            Some(release) => format!("`{build}` is a build of {release}, not of {platform} {version}"),
            None => format!("`{build}` is not a build of {platform} {version}"),
        };
        out.push(
            Diagnostic::error(Code::InvalidValue, what)
                .at(&doc.file, at("build_version"))
                .label(format!("{platform} {version} builds start with `{expected}`"))
                .related(&doc.file, at("os_version"), format!("the target is {platform} {version}"))
                .note(
                    "Apple's builds start with the release's Darwin number and a letter for its train \
                     (macOS 26.3 is `25D…`, iOS 26.3 `23D…`, macOS 15 `24…`); a mismatched pair matches no update",
                )
                .help(format!(
                    "use the build Apple lists for {platform} {version} (the GDMF feed), or remove `build_version`"
                )),
        );
    }
    match (entry.supplemental, &entry.build_version) {
        (Some(true), None) => out.push(
            Diagnostic::error(Code::InvalidValue, "`supplemental: true` needs `build_version`")
                .at(&doc.file, at("supplemental"))
                .label("a Background Security Improvement is identified by its build")
                .help("add the BSI build, e.g. `build_version: \"25D771280a\"`"),
        ),
        (Some(true), Some(build)) if build.suffix().is_none() => out.push(
            Diagnostic::error(Code::InvalidValue, format!("`{build}` is not a supplemental build"))
                .at(&doc.file, at("build_version"))
                .label("supplemental (BSI) builds end in a lower-case letter")
                .help("use the BSI's build, or remove `supplemental: true`"),
        ),
        _ => {}
    }
}

fn names(platforms: &[Platform]) -> String {
    platforms.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" and ")
}
