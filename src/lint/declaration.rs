//! One DDM declaration (`.json`): the envelope (`Type`, `Identifier`, `ServerToken`,
//! `Payload`, Apple's `declarationbase`), the payload against the schema of its `Type`, the
//! values Apple describes in prose, and applicability to the target devices.

use super::applicability::{self, Subject, Walk, keys};
use super::references::{IDENTIFIER_FACT, Registry};
use super::schema::{self, Scope, Syntax, at_value};
use super::{Options, ServerTokens, rules};
use crate::apple::{published, schemas};
use crate::device_file::{self, Format};
use crate::diagnostics::suggest::did_you_mean;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::parse::{Entry, Node, Value};
use crate::source::Span;

const ENVELOPE: [&str; 4] = ["Type", "Identifier", "ServerToken", "Payload"];
const ACTIVATION: &str = "com.apple.activation.simple";
/// Apple: "The size of this string should not exceed 64 octets."
const MAX_OCTETS: usize = 64;

/// Lints the declaration in `bytes`; returns its text, for snippets.
pub fn lint(file: &str, bytes: &[u8], options: &Options, out: &mut Diagnostics, registry: &mut Registry) -> String {
    let parsed = match device_file::parse(file, bytes, &[Format::Json], "a declaration") {
        Ok(parsed) => parsed,
        Err(failure) => {
            registry.unreadable += 1;
            let mut d = *failure.diagnostic;
            d.help = if d.message == "the file is empty" {
                Some("a declaration is a JSON object with `Type`, `Identifier`, `ServerToken` and `Payload`".into())
            } else {
                d.help.map(|h| schema::words(&h, Syntax::Json))
            };
            if d.message.ends_with("is not UTF-8 text") {
                d.help = Some("declarations are UTF-8 JSON; save it as UTF-8".into());
            }
            out.push(d);
            return failure.text;
        }
    };
    check(file, &parsed.root, options, out, registry);
    parsed.text
}

fn check(file: &str, root: &Node, options: &Options, out: &mut Diagnostics, registry: &mut Registry) {
    let scope = Scope { file, root, prefix: &[], name: "the declaration", syntax: Syntax::Json };
    let Some(entries) = root.as_map() else {
        registry.unreadable += 1;
        out.push(
            Diagnostic::error(
                Code::WrongType,
                schema::words(&format!("a declaration is a JSON object, found {}", root.kind_name()), Syntax::Json),
            )
            .at(file, root.span)
            .label("expected `{\"Type\": …, \"Identifier\": …, \"ServerToken\": …, \"Payload\": {…}}`")
            .help("one declaration per file"),
        );
        return;
    };
    if is_ddmc_manifest(root) {
        return;
    }
    if !entries.iter().any(|e| ENVELOPE.iter().any(|k| k.eq_ignore_ascii_case(&e.key))) {
        out.push(
            Diagnostic::warning(Code::MissingKey, "not a declaration: no `Type`, `Identifier` or `Payload`; skipped")
                .at(file, Span::point(root.span.start))
                .label("no declaration envelope")
                .help("lint only declarations; other JSON files need not be named"),
        );
        return;
    }
    let ty = root.get("Type").and_then(Node::as_str);
    let known = ty.filter(|t| declaration_types().any(|k| k == *t));
    let mut found = Diagnostics::default();
    match known {
        Some(ty) => {
            schema::check(ty, &scope, &mut found);
        }
        None => {
            if let Some(ty) = ty {
                found.push(at_value(unknown_type(ty), &scope, &["Type"]));
            }
            envelope_only(&scope, &mut found);
        }
    }
    for d in found.into_sorted() {
        if options.server_tokens == ServerTokens::Optional && is_missing_server_token(&d) {
            continue;
        }
        out.push(server_token_note(d));
    }
    lengths(&scope, out);
    if let Some(ty) = known {
        rules::check(ty, &scope, options.platform, out);
        applicable(ty, &scope, options, out);
    }
    register(&scope, ty, registry);
}

/// Some MDM servers take declarations without a `ServerToken` and add their own; the
/// device still needs one, so it stays an error, with the reason.
fn server_token_note(d: Diagnostic) -> Diagnostic {
    if is_missing_server_token(&d) {
        return d.note(
            "Apple's schema (`declarationbase`): `ServerToken` is required; an MDM server that adds its own \
             may accept this file as a template, but a device needs the key",
        );
    }
    d
}

fn is_missing_server_token(d: &Diagnostic) -> bool {
    d.code == Code::MissingKey && d.key.as_deref() == Some("ServerToken")
}

/// ddmc's own `manifest.json` sits beside the declarations it lists.
fn is_ddmc_manifest(root: &Node) -> bool {
    root.get("generator").and_then(Node::as_str) == Some("ddmc") && root.get("artifacts").is_some()
}

/// The declaration types ddmc has Apple's schema for: those whose schema has a `Type`.
fn declaration_types() -> impl Iterator<Item = &'static str> {
    schemas::names().filter(|n| schemas::get(n).is_some_and(|s| s.schema.pointer("/properties/Type/const").is_some()))
}

fn short(ty: &str) -> &str {
    ty.strip_prefix("com.apple.configuration.").or_else(|| ty.strip_prefix("com.apple.")).unwrap_or(ty)
}

/// A misspelt known type is an error; another Type Apple publishes is only not checked (a
/// note); any other Type is one no device knows: an error, with the nearest published Type.
fn unknown_type(ty: &str) -> Diagnostic {
    let known: Vec<&str> = declaration_types().collect();
    let shorts: Vec<String> = known.iter().map(|k| format!("`{}`", short(k))).collect();
    let checked = format!("ddmc has Apple's schema for {}; only the envelope was checked", shorts.join(", "));
    if published::is_declaration_type(ty) {
        return Diagnostic::info(Code::Unsupported, format!("declaration type `{ty}` is not checked"))
            .label("a Type Apple publishes, which ddmc has no schema for")
            .note(checked);
    }
    if let Some(close) = close_type(ty, &known, true) {
        let d = Diagnostic::error(Code::InvalidValue, format!("unknown declaration type `{ty}`"))
            .label("not a declaration type Apple defines");
        let d = if close.eq_ignore_ascii_case(ty) { d.note("declaration types are case-sensitive") } else { d };
        return d.note(checked).help(format!("did you mean `{close}`?"));
    }
    let published = published::declaration_types().iter().map(String::as_str);
    let nearest = did_you_mean(ty, published).or_else(|| nearest_sibling(ty));
    if ty.starts_with("com.apple.") {
        let d = Diagnostic::error(Code::InvalidValue, format!("unknown declaration type `{ty}`"))
            .label("not a Type Apple publishes; devices reject it")
            .note(PUBLISHED);
        return match nearest {
            Some(close) => d.help(format!("did you mean `{close}`?")),
            None => d.help("use a Type from Apple's device-management schema"),
        };
    }
    Diagnostic::error(Code::InvalidValue, format!("`{ty}` is not an Apple declaration type"))
        .label("devices reject unknown types")
        .note("Apple's declaration types start with `com.apple.`")
        .note(checked)
        .help("use Apple's type name, such as `com.apple.configuration.softwareupdate.settings`")
}

/// Where the list of Types comes from, for messages.
const PUBLISHED: &str = "Apple's device-management schema publishes every declaration Type (`declarationtype` of \
     each file in apple/device-management); this one is not among them";

/// A published Type that differs only in its last component (`…enforcement.latest` and
/// `…enforcement.specific`), when there is exactly one.
fn nearest_sibling(ty: &str) -> Option<&'static str> {
    let (parent, _) = ty.rsplit_once('.')?;
    let mut siblings = published::declaration_types()
        .iter()
        .filter(|t| t.rsplit_once('.').is_some_and(|(p, _)| p == parent))
        .map(String::as_str);
    let first = siblings.next()?;
    siblings.next().is_none().then_some(first)
}

/// A near miss of a known type name. Stricter than the general did-you-mean, whose
/// tolerance would take one real long type name for another: same letters but for case,
/// at most two edits, or (with `components`) one dotted component more or less
/// (`…enforcement`). Payload types leave that out: `com.apple.applicationaccess.new` is
/// Apple's too.
pub fn close_type<'a>(ty: &str, known: &[&'a str], components: bool) -> Option<&'a str> {
    let lower = ty.to_ascii_lowercase();
    let one_more = |long: &str, short: &str| {
        long.strip_prefix(short).and_then(|rest| rest.strip_prefix('.')).is_some_and(|rest| !rest.contains('.'))
    };
    known.iter().copied().find(|k| {
        let k_lower = k.to_ascii_lowercase();
        strsim::damerau_levenshtein(&lower, &k_lower) <= 2
            || (components && (one_more(&k_lower, &lower) || one_more(&lower, &k_lower)))
    })
}

/// `declarationbase` with the payload left out: for types whose payload ddmc cannot check
/// (`declarationbase` allows no payload keys at all).
fn envelope_only(scope: &Scope<'_>, out: &mut Diagnostics) {
    let mut root = scope.root.clone();
    if let Value::Map(entries) = &mut root.value {
        for Entry { key, value, .. } in entries.iter_mut() {
            if key == "Payload" && matches!(value.value, Value::Map(_)) {
                value.value = Value::Map(Vec::new());
            }
        }
    }
    schema::check("declarationbase", &Scope { root: &root, ..*scope }, out);
}

/// `Identifier` and `ServerToken`: "should not exceed 64 octets"; an empty Identifier
/// identifies nothing.
fn lengths(scope: &Scope<'_>, out: &mut Diagnostics) {
    for key in ["Identifier", "ServerToken"] {
        let Some(value) = scope.root.get(key).and_then(Node::as_str) else { continue };
        if value.len() > MAX_OCTETS {
            let fact = if key == "Identifier" {
                IDENTIFIER_FACT.to_string()
            } else {
                "Apple's schema (`declarationbase`): `ServerToken`: \"The size of this string should not exceed 64 octets.\"".to_string()
            };
            out.push(at_value(
                Diagnostic::error(
                    Code::IdentifierTooLong,
                    format!("`/{key}` is {} octets, more than {MAX_OCTETS}", value.len()),
                )
                .label(format!("{} too long", octets(value.len() - MAX_OCTETS)))
                .note(fact)
                .help(format!("shorten it by {}", octets(value.len() - MAX_OCTETS))),
                scope,
                &[key],
            ));
        } else if value.trim().is_empty() && key == "Identifier" {
            out.push(at_value(
                Diagnostic::error(Code::InvalidValue, "`/Identifier` is empty")
                    .label("identifies nothing")
                    .note(IDENTIFIER_FACT)
                    .help("use a reverse-DNS name or a UUID"),
                scope,
                &[key],
            ));
        }
    }
}

fn octets(n: usize) -> String {
    if n == 1 { "1 octet".to_string() } else { format!("{n} octets") }
}

/// The type on the target devices, then each payload key (only if the type applies).
fn applicable(ty: &str, scope: &Scope<'_>, options: &Options, out: &mut Diagnostics) {
    let shown = short(ty);
    let findings = applicability::check(&Subject { ty, key: None, shown }, options).unwrap_or_default();
    let blocked = findings.iter().any(|d| d.severity == crate::diagnostics::Severity::Error);
    for d in findings {
        out.push(at_value(d, scope, &["Type"]));
    }
    if blocked {
        return;
    }
    if let Some(payload) = scope.root.get("Payload") {
        let mut walk = Walk { scope, options, out, segments: vec!["Payload".to_string()], said: Vec::new() };
        keys(ty, payload, "", &mut walk);
    }
}

fn register(scope: &Scope<'_>, ty: Option<&str>, registry: &mut Registry) {
    let Some(identifier) = scope.root.get("Identifier") else { return };
    let Some(id) = identifier.as_str() else { return };
    registry.declare(scope.file, id, identifier.span, ty == Some(ACTIVATION));
    if ty != Some(ACTIVATION) {
        return;
    }
    let items = scope.root.pointer(&["Payload", "StandardConfigurations"]).and_then(Node::as_seq);
    for item in items.unwrap_or_default() {
        if let Some(target) = item.as_str() {
            registry.reference(scope.file, target, item.span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_type_names_only() {
        let known: Vec<&str> = declaration_types().collect();
        assert_eq!(known.len(), 4);
        let settings = "com.apple.configuration.softwareupdate.settings";
        assert_eq!(close_type("com.apple.configuration.softwareupdate.setting", &known, true), Some(settings));
        assert_eq!(close_type("com.apple.configuration.SoftwareUpdate.settings", &known, true), Some(settings));
        assert_eq!(
            close_type("com.apple.configuration.softwareupdate.enforcement", &known, true),
            Some("com.apple.configuration.softwareupdate.enforcement.specific")
        );
        // Real Apple types that merely look alike are not typos.
        assert_eq!(close_type("com.apple.configuration.safari.settings", &known, true), None);
        assert_eq!(close_type("com.apple.configuration.passcode.settings", &known, true), None);
        assert_eq!(close_type("com.apple.configuration.management.test", &known, true), None);
        assert_eq!(close_type("com.apple.configuration", &known, true), None);
        assert_eq!(close_type("com.apple.activation", &known, true), Some("com.apple.activation.simple"));
        let payloads = ["com.apple.applicationaccess", "com.apple.SoftwareUpdate"];
        assert_eq!(close_type("com.apple.applicationaccess.new", &payloads, false), None);
        assert_eq!(close_type("com.apple.softwareupdate", &payloads, false), Some("com.apple.SoftwareUpdate"));
    }
}
