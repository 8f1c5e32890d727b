//! What Apple's schema says in prose, which a JSON Schema cannot check: the formats of
//! enforcement values, and the beta program rules of `softwareupdate.settings`.

use super::schema::{Scope, at_key, at_value, join, pointer};
use crate::apple::trains;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{BuildVersion, LocalDateTime, OsVersion, Platform};
use crate::parse::Node;
use std::str::FromStr;

pub const ENFORCEMENT: &str = "com.apple.configuration.softwareupdate.enforcement.specific";
pub const SETTINGS: &str = "com.apple.configuration.softwareupdate.settings";

/// Apple's note on enforcement targets (`softwareupdate.enforcement.specific`).
const NO_MATCH: &str = "Apple's schema (`softwareupdate.enforcement.specific`): \"If the `TargetOSVersion` and \
     optional `TargetBuildVersion` values don't match an available software update, the device keeps the \
     configuration active, but won't be able to update.\"";

pub fn check(ty: &str, scope: &Scope<'_>, platform: Option<Platform>, out: &mut Diagnostics) {
    let Some(payload) = scope.root.get("Payload") else { return };
    match ty {
        ENFORCEMENT => enforcement(payload, scope, platform, out),
        SETTINGS => beta(payload, scope, out),
        _ => {}
    }
}

/// The string at `Payload.<key>`, if it is one.
fn string<'n>(payload: &'n Node, key: &str) -> Option<&'n str> {
    payload.get(key).and_then(Node::as_str)
}

/// `/Payload/<path>` from the file's root, for messages.
fn named(scope: &Scope<'_>, path: &str) -> String {
    let mut segments = vec!["Payload"];
    segments.extend(path.split('/'));
    format!("`{}`", pointer(&join(scope.prefix, &segments)))
}

fn enforcement(payload: &Node, scope: &Scope<'_>, platform: Option<Platform>, out: &mut Diagnostics) {
    let mut version = None;
    if let Some(text) = string(payload, "TargetOSVersion") {
        match OsVersion::from_str(text) {
            Ok(v) => version = Some(v),
            Err(e) => out.push(at_value(
                Diagnostic::error(
                    Code::InvalidFormat,
                    format!("invalid {}: {}", named(scope, "TargetOSVersion"), e.message),
                )
                .label("expected an OS version such as `26.3.1`")
                .note(NO_MATCH)
                .help_opt(e.help),
                scope,
                &["Payload", "TargetOSVersion"],
            )),
        }
    }
    if let Some(text) = string(payload, "TargetBuildVersion") {
        if text.is_empty() {
            let help = match version {
                Some(v) => format!("remove `TargetBuildVersion` to install {v}"),
                None => "remove `TargetBuildVersion`, or write the build, such as `25D771280a`".to_string(),
            };
            out.push(at_value(
                Diagnostic::error(Code::InvalidValue, format!("{} is empty", named(scope, "TargetBuildVersion")))
                    .label("an empty build matches no update")
                    .note(NO_MATCH)
                    .help(help),
                scope,
                &["Payload", "TargetBuildVersion"],
            ));
        } else {
            match BuildVersion::from_str(text) {
                Ok(build) => {
                    if let Some(d) = version.and_then(|v| train_mismatch(&build, v, platform)) {
                        out.push(at_value(d, scope, &["Payload", "TargetBuildVersion"]));
                    }
                }
                Err(e) => out.push(at_value(
                    Diagnostic::error(
                        Code::InvalidFormat,
                        format!("invalid {}: {}", named(scope, "TargetBuildVersion"), e.message),
                    )
                    .label("expected a build such as `23A344` or `25D771280a`")
                    .note(NO_MATCH)
                    .help_opt(e.help),
                    scope,
                    &["Payload", "TargetBuildVersion"],
                )),
            }
        }
    }
    if let Some(text) = string(payload, "TargetLocalDateTime")
        && let Err(e) = LocalDateTime::from_str(text)
    {
        out.push(at_value(
            Diagnostic::error(Code::InvalidFormat, format!("invalid {}: {}", named(scope, "TargetLocalDateTime"), e.message))
                .label("expected `yyyy-mm-ddThh:mm:ss`")
                .note("Apple's schema: \"Use the format `yyyy-mm-ddThh:mm:ss`, which is derived from RFC3339 but doesn't include a time zone offset.\"")
                .help_opt(e.help),
            scope,
            &["Payload", "TargetLocalDateTime"],
        ));
    }
    if let Some(text) = string(payload, "DetailsURL")
        && let Some((problem, help)) = not_web_url(text)
    {
        out.push(at_value(
            Diagnostic::error(Code::InvalidFormat, format!("invalid {}: {problem}", named(scope, "DetailsURL")))
                .label("expected a web address")
                .note("Apple's schema: `DetailsURL` is \"The URL of a web page that shows details that the organization provides about the enforced software update.\"")
                .help_opt(help),
            scope,
            &["Payload", "DetailsURL"],
        ));
    }
}

/// `DetailsURL` is "the URL of a web page": http or https, a host, no spaces.
fn not_web_url(s: &str) -> Option<(String, Option<String>)> {
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else {
        let help = (!s.contains("://") && !s.is_empty()).then(|| format!("write `https://{s}`"));
        return Some((format!("`{s}` is not a web address: it must start with `https://`"), help));
    };
    if rest.split(['/', '?', '#']).next().unwrap_or("").is_empty() {
        return Some((format!("`{s}` has no host name"), None));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some((format!("`{s}` contains spaces"), Some("encode spaces as `%20`".into())));
    }
    None
}

/// A build whose train fits no platform's `TargetOSVersion` (a copied example build), by
/// Apple's build-train table. A warning: lint reads files ddmc did not write.
fn train_mismatch(build: &BuildVersion, version: OsVersion, platform: Option<Platform>) -> Option<Diagnostic> {
    let platforms: Vec<Platform> = platform.map_or_else(|| Platform::ALL.to_vec(), |p| vec![p]);
    let known: Vec<Platform> = platforms.into_iter().filter(|p| trains::expected(*p, version).is_some()).collect();
    if known.is_empty() || known.iter().any(|p| trains::mismatch(*p, version, build).is_none()) {
        return None;
    }
    let starts: Vec<String> = known
        .iter()
        .filter_map(|p| trains::expected(*p, version).map(|e| format!("{p} {version} builds start with `{e}`")))
        .collect();
    let mut d = Diagnostic::warning(Code::InvalidValue, format!("`{build}` is not a build of {version}"))
        .label(starts.join("; "));
    if let Some(release) = trains::belongs_to(build) {
        d = d.note(format!("`{build}` is a build of {release}"));
    }
    Some(
        d.note("Apple's build numbers start with the release's Darwin version: macOS 14 is `23…`, iOS 17 `21…`, macOS 26 `25…`, iOS 26 `23…`")
            .note(NO_MATCH)
            .help("use the build of the targeted version (the GDMF feed lists them), or remove `TargetBuildVersion`"),
    )
}

/// The prose rules of `Beta` (`softwareupdate.settings`).
fn beta(payload: &Node, scope: &Scope<'_>, out: &mut Diagnostics) {
    let Some(beta) = payload.get("Beta") else { return };
    // Apple's default for `ProgramEnrollment` is `Allowed`.
    let enrollment = beta.get("ProgramEnrollment").and_then(Node::as_str).unwrap_or("Allowed");
    let offer = beta.get("OfferPrograms").is_some();
    let require = beta.get("RequireProgram").is_some();
    let rule = |key: &str, message: String, quote: &str, help: &str| {
        at_key(
            Diagnostic::error(Code::AppleRule, message)
                .label("Apple's rule for this key")
                .note(format!("Apple's schema: `Beta.{key}`: \"{quote}\""))
                .help(help.to_string()),
            scope,
            &["Payload", "Beta", key],
        )
    };
    if offer && require {
        out.push(rule(
            "OfferPrograms",
            format!("{} and `RequireProgram` exclude each other", named(scope, "Beta/OfferPrograms")),
            "This key must not be present if the `RequireProgram` key is present.",
            "keep one of them",
        ));
    } else if offer && !matches!(enrollment, "Allowed" | "AlwaysOn") {
        out.push(rule(
            "OfferPrograms",
            format!(
                "{} needs `ProgramEnrollment` `Allowed` or `AlwaysOn`, not `{enrollment}`",
                named(scope, "Beta/OfferPrograms")
            ),
            "This key must only be present if the `ProgramEnrollment` key is set to `Allowed` or `AlwaysOn`.",
            "remove `OfferPrograms`, or allow enrollment",
        ));
    }
    if require && enrollment != "AlwaysOn" {
        out.push(rule(
            "RequireProgram",
            format!("{} needs `ProgramEnrollment` `AlwaysOn`, not `{enrollment}`", named(scope, "Beta/RequireProgram")),
            "This key must only be present if the `ProgramEnrollment` key is set to `AlwaysOn`.",
            "set `\"ProgramEnrollment\": \"AlwaysOn\"`",
        ));
    }
}
