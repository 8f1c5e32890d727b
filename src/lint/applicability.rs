//! Does this declaration, payload or key apply to the devices in `--platform`, `--os` and
//! `--enrollment`? Facts come from Apple's `supportedOS` (through [`support`], which also
//! overlays later releases' deprecations and removals, [`later`]).
//!
//! Severity follows what the device does with the file:
//! - errors when the file as a whole cannot apply (its declaration or payload type is n/a
//!   on the platform, not yet introduced or already removed at `--os`, or not allowed for
//!   the enrollment), and for a key removed at `--os` (the file relies on something that
//!   is gone for good: it must change);
//! - warnings when part of it does not apply (a key n/a on the platform, introduced after
//!   `--os`, or needing supervision): files are often shared across platforms and OS
//!   versions, so this is normal, but worth knowing;
//! - warnings, whatever `--os`, for anything deprecated or scheduled for removal.
//!
//! The diagnostics returned here have no place yet: the caller knows where the key is.

use super::Options;
use super::schema::{Scope, at_key, pointer};
use crate::apple::later;
use crate::apple::support::{self, Availability};
use crate::diagnostics::Diagnostics;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{OsVersion, Platform};
use crate::parse::{Node, Value};

pub use crate::apple::Enrollment;

/// What is being asked about: a whole declaration or payload type, or one of its keys.
pub struct Subject<'a> {
    /// Apple's type name: `com.apple.configuration.softwareupdate.settings`.
    pub ty: &'a str,
    /// The key path in Apple's table (`Deferrals.CombinedPeriodInDays`), for keys.
    pub key: Option<&'a str>,
    /// How messages name it: the short type, or the key's JSON Pointer.
    pub shown: &'a str,
}

impl Subject<'_> {
    fn get(&self, platform: Platform) -> Option<std::sync::Arc<Availability>> {
        match self.key {
            Some(key) => support::key(self.ty, key, platform),
            None => support::subject(self.ty, platform),
        }
    }

    /// How Apple's facts name it: "`Beta` in `com.apple…settings`".
    fn apple(&self) -> String {
        match self.key {
            Some(key) => format!("`{key}` in `{}`", self.ty),
            None => format!("`{}`", self.ty),
        }
    }

    /// A key deprecated or removed together with its whole type says nothing new: the
    /// type's own diagnostic covers it.
    fn own_lifecycle(&self, platform: Platform, a: &Availability) -> bool {
        let has = a.deprecated.is_some() || a.removed.is_some();
        match (self.key, support::subject(self.ty, platform)) {
            (Some(_), Some(whole)) => has && (a.deprecated, a.removed) != (whole.deprecated, whole.removed),
            _ => has,
        }
    }

    fn on(&self) -> Vec<&'static str> {
        Platform::ALL.iter().filter(|p| self.get(**p).is_some()).map(|p| p.as_str()).collect()
    }
}

/// Everything to say about `subject` on the target devices; `None` when Apple's table does
/// not know it on any platform (unknown keys are the schema check's business).
pub fn check(subject: &Subject<'_>, options: &Options) -> Option<Vec<Diagnostic>> {
    if subject.on().is_empty() {
        return None;
    }
    let Some(platform) = options.platform else { return Some(lifecycle_everywhere(subject)) };
    let whole = subject.key.is_none();
    let what = format!("`{}`", subject.shown);
    let Some(a) = subject.get(platform) else {
        let on = subject.on();
        let d = if whole {
            Diagnostic::error(Code::Unsupported, format!("{what} is n/a on {platform}"))
                .help(format!("{platform} devices cannot apply it; lint with the platform this file is for"))
        } else {
            Diagnostic::warning(Code::Unsupported, format!("{what} is n/a on {platform}"))
                .help(format!("{platform} devices do not use it; remove it, or keep it for {}", on.join(", ")))
        };
        let d = d.label(format!("{} only", on.join(", ")));
        return Some(vec![d.note(format!("Apple's schema: {} is n/a on {platform}", subject.apple()))]);
    };
    let mut out = Vec::new();
    if let Some(os) = options.os
        && os < a.introduced
    {
        let message = format!("{what} is introduced in {platform} {}, after {platform} {os}", a.introduced);
        let d = if whole {
            Diagnostic::error(Code::Unsupported, message).help(format!("devices on {platform} {os} cannot apply it"))
        } else {
            Diagnostic::warning(Code::Unsupported, message).help(format!("devices on {platform} {os} do not apply it"))
        };
        out.push(d.label(format!("needs {platform} {} or later", a.introduced)).note(format!(
            "Apple's schema: {} is introduced in {platform} {}",
            subject.apple(),
            a.introduced
        )));
    }
    out.extend(lifecycle(subject, &a, platform, options.os));
    if let Some(enrollment) = options.enrollment {
        out.extend(enrollment_check(subject, &a, platform, enrollment));
    }
    Some(out)
}

/// Declarations list `allowed-enrollments`; profiles (and keys) say `supervised: true`.
fn enrollment_check(
    subject: &Subject<'_>,
    a: &Availability,
    platform: Platform,
    enrollment: Enrollment,
) -> Option<Diagnostic> {
    let listed = !a.enrollments.is_empty();
    let allowed = if listed {
        a.enrollments.iter().any(|e| e == enrollment.as_str())
    } else {
        !a.supervised_only || enrollment == Enrollment::Supervised
    };
    if allowed {
        return None;
    }
    let what = format!("`{}`", subject.shown);
    let kind = enrollment.as_str();
    let message = if a.supervised_only {
        format!("{what} requires supervision on {platform}")
    } else {
        format!("{what} is not allowed with {kind} enrollment on {platform}")
    };
    let fact = if listed {
        format!(
            "Apple's schema: {} on {platform}: `allowed-enrollments: [{}]`",
            subject.apple(),
            a.enrollments.join(", ")
        )
    } else {
        format!("Apple's schema: {} on {platform}: `supervised: true`", subject.apple())
    };
    let d = if subject.key.is_none() {
        Diagnostic::error(Code::Unsupported, message)
            .help(format!("{platform} devices with {kind} enrollment reject it"))
    } else {
        Diagnostic::warning(Code::Unsupported, message)
            .help(format!("{platform} devices with {kind} enrollment do not apply it; the rest still applies"))
    };
    Some(d.label(format!("not for {kind} enrollment")).note(fact))
}

/// Deprecated or removed: a warning whatever `--os`, an error from the removal on.
fn lifecycle(subject: &Subject<'_>, a: &Availability, platform: Platform, os: Option<OsVersion>) -> Option<Diagnostic> {
    if !subject.own_lifecycle(platform, a) {
        return None;
    }
    let what = format!("`{}`", subject.shown);
    let phrase = phrase(&[(platform, a.deprecated, a.removed)]);
    let d = match (os, a.removed) {
        (Some(os), Some(removed)) if os >= removed => {
            let after = if os == removed { String::new() } else { format!(", before {platform} {os}") };
            Diagnostic::error(Code::Unsupported, format!("{what} is {phrase}{after}"))
                .label(format!("not on {platform} {os}"))
                .help(
                    replacement(subject)
                        .unwrap_or_else(|| "remove it; devices on that version do not apply it".to_owned()),
                )
        }
        _ => Diagnostic::warning(Code::Unsupported, format!("{what} is {phrase}"))
            .label(if a.removed.is_some() { "scheduled for removal" } else { "deprecated" })
            .help(
                replacement(subject)
                    .unwrap_or_else(|| "plan its replacement before devices reach that version".to_owned()),
            ),
    };
    Some(with_notes(d, fact(subject, a, platform)))
}

/// Without `--platform`: one warning naming every platform it concerns.
fn lifecycle_everywhere(subject: &Subject<'_>) -> Vec<Diagnostic> {
    let found: Vec<(Platform, std::sync::Arc<Availability>)> = Platform::ALL
        .into_iter()
        .filter_map(|p| subject.get(p).map(|a| (p, a)))
        .filter(|(p, a)| subject.own_lifecycle(*p, a))
        .collect();
    let Some((platform, first)) = found.first() else { return Vec::new() };
    let parts: Vec<_> = found.iter().map(|(p, a)| (*p, a.deprecated, a.removed)).collect();
    let label = if first.removed.is_some() { "scheduled for removal" } else { "deprecated" };
    let d =
        Diagnostic::warning(Code::Unsupported, format!("`{}` is {}", subject.shown, phrase(&parts))).label(label).help(
            replacement(subject).unwrap_or_else(|| "plan its replacement before devices reach that version".to_owned()),
        );
    vec![with_notes(d, fact(subject, first, *platform))]
}

fn with_notes(mut d: Diagnostic, notes: Vec<String>) -> Diagnostic {
    d.notes.extend(notes);
    d
}

type Part = (Platform, Option<OsVersion>, Option<OsVersion>);

/// "deprecated in macOS 26.0 and removed in macOS 27.0"; "removed in iOS 27.0 and macOS 27.0".
fn phrase(parts: &[Part]) -> String {
    let list = |pick: fn(&Part) -> Option<OsVersion>| {
        let items: Vec<String> = parts.iter().filter_map(|p| pick(p).map(|v| format!("{} {v}", p.0))).collect();
        match items.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
        }
    };
    match (list(|p| p.1), list(|p| p.2)) {
        (Some(d), Some(r)) => format!("deprecated in {d} and removed in {r}"),
        (Some(d), None) => format!("deprecated in {d}"),
        (None, Some(r)) => format!("removed in {r}"),
        (None, None) => String::new(),
    }
}

/// Where each fact comes from: Apple's schema, or a later release (its source named).
/// The table merges both, so a date equal to the later release's is credited to it.
fn fact(subject: &Subject<'_>, a: &Availability, platform: Platform) -> Vec<String> {
    let later = later::find(subject.ty, subject.key);
    let from_later = |v: Option<OsVersion>, f: Option<(u16, u16)>| matches!((v, f), (Some(v), Some((major, minor))) if v == OsVersion::new(major, minor, None));
    let (mut schema, mut newer) = (Vec::new(), Vec::new());
    for (word, v, f) in [
        ("deprecated", a.deprecated, later.and_then(|f| f.deprecated)),
        ("removed", a.removed, later.and_then(|f| f.removed)),
    ] {
        let Some(v) = v else { continue };
        let target = if from_later(Some(v), f) { &mut newer } else { &mut schema };
        let on = if from_later(Some(v), f) { String::new() } else { format!("{platform} ") };
        target.push(format!("{word} in {on}{v}"));
    }
    let mut notes = Vec::new();
    if !schema.is_empty() {
        notes.push(format!("Apple's schema: {} is {}", subject.apple(), schema.join(" and ")));
    }
    if let Some(f) = later.filter(|_| !newer.is_empty()) {
        let whole = if f.key.is_none() && subject.key.is_some() {
            format!(" (with the whole `{}` payload)", subject.ty)
        } else {
            String::new()
        };
        notes.push(format!("{}: {}{whole} is {}", f.source, subject.apple(), newer.join(" and ")));
    }
    notes
}

/// What to use instead, for what later releases remove (ddmc's policy field in brackets),
/// from the one table of policy fields and Apple keys.
fn replacement(subject: &Subject<'_>) -> Option<String> {
    use crate::apple::fields::{self, RESTRICTIONS, SOFTWARE_UPDATE};
    match (subject.ty, subject.key) {
        (SOFTWARE_UPDATE, None) => Some(
            "use a `softwareupdate.settings` declaration (`AutomaticActions`, `Beta`, `Deferrals`) instead".to_owned(),
        ),
        (RESTRICTIONS, Some(key)) => {
            let sources: Vec<(&fields::Field, &fields::Legacy)> = fields::legacy_sources(key).collect();
            // Where ddmc writes the key on fewer platforms than Apple has it, name the section,
            // not one platform's key (`enforcedSoftwareUpdateDelay` is iOS's combined delay for
            // ddmc, and the general one on a Mac).
            let everywhere = Platform::ALL
                .iter()
                .filter(|p| support::key(RESTRICTIONS, key, **p).is_some())
                .all(|p| sources.iter().any(|(_, l)| l.platform == *p));
            let one_field = sources.iter().all(|(f, _)| f.key == sources[0].0.key);
            let parent = |parts: String| -> String {
                match parts.rsplit_once('.') {
                    Some((head, _)) if one_field && !everywhere => head.to_owned(),
                    _ => parts,
                }
            };
            let key = parent(common_prefix(sources.iter().map(|(f, _)| f.key), '.')?);
            let field = parent(common_prefix(sources.iter().map(|(f, _)| f.path.join(".")), '.')?);
            Some(format!("use `{key}` in a `softwareupdate.settings` declaration (ddmc: `{field}`)"))
        }
        _ => None,
    }
}

/// The longest run of whole `separator`-separated parts all `names` start with.
fn common_prefix<S: AsRef<str>>(names: impl IntoIterator<Item = S>, separator: char) -> Option<String> {
    let mut names = names.into_iter();
    let first = names.next()?.as_ref().to_owned();
    let mut parts: Vec<&str> = first.split(separator).collect();
    for name in names {
        let same = parts.iter().zip(name.as_ref().split(separator)).take_while(|(a, b)| **a == *b).count();
        parts.truncate(same);
    }
    (!parts.is_empty()).then(|| parts.join(&separator.to_string()))
}

/// Applicability of every key below `node`, by Apple's dotted path (`Beta.OfferPrograms[].Token`).
/// What a key's parent already said (it requires supervision, it is n/a) is not repeated
/// for the key.
pub fn keys(ty: &str, node: &Node, apple: &str, walk: &mut Walk<'_, '_>) {
    let Some(entries) = node.as_map() else { return };
    for entry in entries {
        let path = if apple.is_empty() { entry.key.clone() } else { format!("{apple}.{}", entry.key) };
        walk.segments.push(entry.key.clone());
        let shown = pointer(&walk.segments[..]);
        let Some(findings) = check(&Subject { ty, key: Some(&path), shown: &shown }, walk.options) else {
            walk.segments.pop();
            continue;
        };
        let tails: Vec<String> = findings.iter().map(|d| tail(&d.message).to_string()).collect();
        let relative: Vec<String> = walk.segments[walk.scope.prefix.len()..].to_vec();
        let relative: Vec<&str> = relative.iter().map(String::as_str).collect();
        for d in findings {
            if !walk.said.iter().any(|t| t == tail(&d.message)) {
                walk.out.push(at_key(d, walk.scope, &relative));
            }
        }
        let depth = walk.said.len();
        walk.said.extend(tails);
        match &entry.value.value {
            Value::Map(_) => keys(ty, &entry.value, &path, walk),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk.segments.push(i.to_string());
                    keys(ty, item, &format!("{path}[]"), walk);
                    walk.segments.pop();
                }
            }
            _ => {}
        }
        walk.said.truncate(depth);
        walk.segments.pop();
    }
}

/// The state of a walk over a payload's keys.
pub struct Walk<'a, 's> {
    pub scope: &'a Scope<'s>,
    pub options: &'a Options,
    pub out: &'a mut Diagnostics,
    /// Pointer segments of the key being looked at, from the file's root.
    pub segments: Vec<String>,
    /// What ancestors said, without their names.
    pub said: Vec<String>,
}

/// "`/Payload/Deferrals` requires supervision on iOS" -> "requires supervision on iOS".
fn tail(message: &str) -> &str {
    message.strip_prefix('`').and_then(|m| m.split_once("` ")).map_or(message, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Severity;

    const SETTINGS: &str = "com.apple.configuration.softwareupdate.settings";
    const RESTRICTIONS: &str = "com.apple.applicationaccess";

    fn options(platform: Platform, os: Option<&str>, enrollment: Option<Enrollment>) -> Options {
        Options {
            platform: Some(platform),
            os: os.map(|v| v.parse().expect("version")),
            enrollment,
            ..Options::default()
        }
    }

    fn key(ty: &str, key: &str, options: &Options) -> Vec<(Severity, String)> {
        let subject = Subject { ty, key: Some(key), shown: key };
        check(&subject, options).expect("known key").into_iter().map(|d| (d.severity, d.message)).collect()
    }

    #[test]
    fn the_examples_of_the_issue() {
        let ios = options(Platform::IOS, None, None);
        assert_eq!(
            key(SETTINGS, "AllowStandardUserOSUpdates", &ios),
            [(Severity::Warning, "`AllowStandardUserOSUpdates` is n/a on iOS".to_string())]
        );
        let mac = options(Platform::MacOS, Some("15.2"), None);
        assert_eq!(
            key(SETTINGS, "Beta", &mac),
            [(Severity::Warning, "`Beta` is introduced in macOS 15.4, after macOS 15.2".to_string())]
        );
        let device = options(Platform::IOS, None, Some(Enrollment::Device));
        assert_eq!(
            key(SETTINGS, "Deferrals", &device),
            [(Severity::Warning, "`Deferrals` requires supervision on iOS".to_string())]
        );
        assert!(key(SETTINGS, "Notifications", &device).is_empty());
    }

    #[test]
    fn later_removals_warn_everywhere_and_fail_from_the_removal() {
        let anywhere = Options::default();
        let found = key(RESTRICTIONS, "allowRapidSecurityResponseInstallation", &anywhere);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Severity::Warning);
        assert!(found[0].1.ends_with("is removed in macOS 27.0 and iOS 27.0"), "{}", found[0].1);
        let before = options(Platform::MacOS, Some("26.4"), None);
        assert_eq!(key(RESTRICTIONS, "allowRapidSecurityResponseInstallation", &before)[0].0, Severity::Warning);
        let after = options(Platform::MacOS, Some("27.1"), None);
        let found = key(RESTRICTIONS, "allowRapidSecurityResponseInstallation", &after);
        assert_eq!(
            found[0],
            (
                Severity::Error,
                format!("`{}` is removed in macOS 27.0, before macOS 27.1", "allowRapidSecurityResponseInstallation")
            )
        );
    }

    #[test]
    fn a_key_removed_with_its_payload_is_reported_once_for_the_payload() {
        let anywhere = Options::default();
        let whole = Subject { ty: "com.apple.SoftwareUpdate", key: None, shown: "com.apple.SoftwareUpdate" };
        let found = check(&whole, &anywhere).expect("known payload");
        assert_eq!(found.len(), 1);
        assert!(found[0].notes[0].starts_with("apple/device-management 27.0 seed"), "{:?}", found[0].notes);
        assert!(key("com.apple.SoftwareUpdate", "AutomaticDownload", &anywhere).is_empty());
    }

    #[test]
    fn whole_types_are_errors() {
        let subject = Subject { ty: SETTINGS, key: None, shown: "softwareupdate.settings" };
        let tv = options(Platform::TvOS, Some("18.0"), None);
        let found = check(&subject, &tv).expect("known type");
        assert_eq!(found[0].severity, Severity::Error);
        let user = options(Platform::MacOS, None, Some(Enrollment::User));
        assert_eq!(
            check(&subject, &user).expect("known type")[0].message,
            "`softwareupdate.settings` requires supervision on macOS"
        );
        let unknown = Subject { ty: SETTINGS, key: Some("Nonsense"), shown: "Nonsense" };
        assert!(check(&unknown, &tv).is_none());
    }

    #[test]
    fn phrases() {
        let v = |s: &str| s.parse::<OsVersion>().ok();
        assert_eq!(
            phrase(&[(Platform::MacOS, v("26.0"), v("27.0"))]),
            "deprecated in macOS 26.0 and removed in macOS 27.0"
        );
        assert_eq!(
            phrase(&[
                (Platform::MacOS, None, v("27.0")),
                (Platform::IOS, None, v("27.0")),
                (Platform::TvOS, None, v("27.0"))
            ]),
            "removed in macOS 27.0, iOS 27.0 and tvOS 27.0"
        );
    }

    #[test]
    fn tails_drop_the_name() {
        assert_eq!(tail("`/Payload/Deferrals` requires supervision on iOS"), "requires supervision on iOS");
        assert_eq!(tail("no name here"), "no name here");
    }
}
