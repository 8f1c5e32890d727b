//! Configuration profiles (`.mobileconfig`) and bare payload dictionaries: read (with
//! positions) by [`crate::device_file`], the outer dictionary checked against Apple's
//! `TopLevel`, each payload against the schema of its `PayloadType`, and the payloads'
//! applicability (later releases included: `com.apple.SoftwareUpdate` and the RSR
//! restrictions are removed in 27.0).

use super::Options;
use super::applicability::{self, Subject, Walk, keys};
use super::declaration::close_type;
use super::schema::{self, Scope, Syntax, at_key, at_value, join, pointer};
use crate::apple::schemas;
use crate::device_file::{self, Format, start as file_start};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::parse::{Entry, Node, Value};
use crate::source::Span;
use std::collections::BTreeMap;

/// Payload types ddmc has Apple's schema for.
const PAYLOAD_TYPES: [&str; 2] = ["com.apple.applicationaccess", "com.apple.SoftwareUpdate"];

/// Lints the profile in `bytes`; returns its text for snippets (empty unless UTF-8 XML).
pub fn lint(file: &str, bytes: &[u8], options: &Options, out: &mut Diagnostics) -> String {
    let Some(read) = read(file, bytes, out) else {
        // Only an empty file has text worth a snippet.
        let empty = Format::detect(bytes) == Format::Empty;
        return if empty { String::from_utf8(bytes.to_vec()).unwrap_or_default() } else { String::new() };
    };
    let (root, text) = match read {
        Ok(parsed) => {
            for dup in &parsed.duplicates {
                duplicate(file, dup, out);
            }
            (parsed.root, parsed.text)
        }
        Err(failure) => {
            out.push(*failure.diagnostic);
            return failure.text;
        }
    };
    if text.is_empty() {
        // No text, no positions: every diagnostic says so.
        let mut found = Diagnostics::default();
        check(file, &root, options, &mut found);
        for d in found.into_sorted() {
            out.push(
                d.note("no line numbers for a binary (or non-UTF-8) property list; the message names the key path"),
            );
        }
    } else {
        check(file, &root, options, out);
    }
    text
}

/// The profile as a tree, or why there is none: `None` when the reason is already in `out`
/// (empty, signed, not a property list).
fn read(
    file: &str,
    bytes: &[u8],
    out: &mut Diagnostics,
) -> Option<Result<device_file::DeviceFile, device_file::Failure>> {
    match Format::detect(bytes) {
        Format::XmlPlist | Format::BinaryPlist => {}
        Format::Empty => {
            out.push(
                Diagnostic::error(Code::Syntax, "the file is empty")
                    .at(file, file_start())
                    .label("expected a property list")
                    .help("a profile is an XML property list starting with `<?xml`"),
            );
            return None;
        }
        Format::Signed => {
            out.push(
                Diagnostic::warning(Code::Unsupported, "signed profile: its body is not checked")
                    .at(file, file_start())
                    .label("CMS-signed data, not a plain property list")
                    .note("a signed profile wraps the property list in a CMS (PKCS #7) signature")
                    .help(format!(
                        "lint the unsigned profile, or extract it on a Mac: `security cms -D -i {file} -o unsigned.mobileconfig`"
                    )),
            );
            return None;
        }
        Format::Json | Format::Unknown => {
            out.push(
                Diagnostic::error(Code::Syntax, "not a property list")
                    .at(file, file_start())
                    .label("expected `<?xml`, `<plist`, `<dict>` or a binary plist")
                    .help("profiles are XML property lists; is this the right file?"),
            );
            return None;
        }
    }
    Some(device_file::parse(file, bytes, &[Format::XmlPlist, Format::BinaryPlist], "a property list"))
}

/// A key given twice: the reader keeps the last value.
fn duplicate(file: &str, dup: &device_file::Duplicate, out: &mut Diagnostics) {
    let within =
        if dup.parent.is_empty() { "the top level".to_string() } else { format!("`{}`", pointer(&dup.parent)) };
    out.push(
        Diagnostic::error(Code::DuplicateKey, format!("duplicate key `{}` in {within}", dup.key))
            .at(file, dup.second)
            .label("second definition")
            .related(file, dup.first, "first defined here")
            .note("a plist reader keeps one of the values (ddmc's, the last); which one a device keeps is not defined")
            .help("each key may appear only once in a dictionary; remove one of them"),
    );
}

fn check(file: &str, root: &Node, options: &Options, out: &mut Diagnostics) {
    let Some(entries) = root.as_map() else {
        out.push(
            Diagnostic::error(
                Code::WrongType,
                schema::words(&format!("a profile is a dictionary, found {}", root.kind_name()), Syntax::Plist),
            )
            .at(file, root.span)
            .label("expected `<dict>`"),
        );
        return;
    };
    let has = |key: &str| entries.iter().any(|e| e.key == key);
    if has("PayloadContent")
        || has("EncryptedPayloadContent")
        || root.get("PayloadType").and_then(Node::as_str) == Some("Configuration")
    {
        profile(file, root, options, out);
    } else if has("PayloadType") {
        let scope = Scope { file, root, prefix: &[], name: "the payload", syntax: Syntax::Plist };
        payload(&scope, options, out);
    } else {
        out.push(
            Diagnostic::error(
                Code::MissingKey,
                "neither a profile nor a payload: no `PayloadContent` or `PayloadType`",
            )
            .at(file, Span::point(root.span.start))
            .label("expected a configuration profile")
            .help("a profile has `PayloadType` `Configuration` and its payloads in `PayloadContent`"),
        );
    }
}

/// The outer dictionary against `TopLevel`, then every payload in `PayloadContent`.
fn profile(file: &str, root: &Node, options: &Options, out: &mut Diagnostics) {
    let scope = Scope { file, root, prefix: &[], name: "the profile", syntax: Syntax::Plist };
    let encrypted = root.get("EncryptedPayloadContent").is_some() && root.get("PayloadContent").is_none();
    let mut found = Diagnostics::default();
    schema::check("TopLevel", &scope, &mut found);
    for d in found.into_sorted() {
        if encrypted && d.code == Code::MissingKey && d.key.as_deref() == Some("PayloadContent") {
            continue;
        }
        out.push(undocumented(d));
    }
    if encrypted {
        out.push(at_key(
            Diagnostic::warning(Code::Unsupported, "encrypted payloads are not checked")
                .label("`EncryptedPayloadContent`")
                .help("lint the profile before it is encrypted"),
            &scope,
            &["EncryptedPayloadContent"],
        ));
    }
    let Some(items) = root.get("PayloadContent").and_then(Node::as_seq) else { return };
    for (i, item) in items.iter().enumerate() {
        let prefix = vec!["PayloadContent".to_string(), i.to_string()];
        let name = format!("payload `{}`", pointer(&prefix));
        if item.as_map().is_some() {
            payload(&Scope { file, root: item, prefix: &prefix, name: &name, syntax: Syntax::Plist }, options, out);
        }
    }
    unique_ids(&scope, items, out);
}

/// One payload: its keys against the schema of its type (or only the common keys, for
/// types ddmc has no schema for), then applicability.
fn payload(scope: &Scope<'_>, options: &Options, out: &mut Diagnostics) {
    let ty = scope.root.get("PayloadType").and_then(Node::as_str);
    let known = ty.filter(|t| PAYLOAD_TYPES.contains(t));
    let mut found = Diagnostics::default();
    match (known, ty) {
        (Some(ty), _) => {
            schema::check(ty, scope, &mut found);
        }
        (None, Some(ty)) => {
            let d = match close_type(ty, &PAYLOAD_TYPES, false) {
                Some(close) => {
                    let d = Diagnostic::error(Code::InvalidValue, format!("unknown payload type `{ty}`"))
                        .label("not a payload type Apple defines")
                        .help(format!("did you mean `{close}`?"));
                    if close.eq_ignore_ascii_case(ty) { d.note("payload types are case-sensitive") } else { d }
                }
                // Nothing is wrong with it: a note, not a warning.
                None => Diagnostic::info(Code::Unsupported, format!("payload type `{ty}` is not checked"))
                    .label("not one ddmc knows")
                    .note(format!(
                        "ddmc has Apple's schema for {}; only the common payload keys were checked",
                        PAYLOAD_TYPES.map(|t| format!("`{t}`")).join(", ")
                    )),
            };
            found.push(at_value(d, scope, &["PayloadType"]));
            common_keys(scope, &mut found);
        }
        (None, None) => common_keys(scope, &mut found),
    }
    for d in found.into_sorted() {
        out.push(undocumented(d));
    }
    if let Some(ty) = known {
        applicable(ty, scope, options, out);
    }
}

/// `CommonPayloadKeys` allows no other keys, so for a payload ddmc cannot check it sees
/// only the common keys: present, and of the right type.
fn common_keys(scope: &Scope<'_>, out: &mut Diagnostics) {
    let common = schemas::get("CommonPayloadKeys")
        .and_then(|s| s.schema.get("properties"))
        .and_then(serde_json::Value::as_object);
    let mut root = scope.root.clone();
    if let (Value::Map(entries), Some(common)) = (&mut root.value, common) {
        entries.retain(|e: &Entry| common.contains_key(&e.key));
    }
    schema::check("CommonPayloadKeys", &Scope { root: &root, ..*scope }, out);
}

/// `PayloadEnabled` is in no Apple schema, yet Profile Manager and other tools write it:
/// a warning, where any other unknown key is an error.
fn undocumented(mut d: Diagnostic) -> Diagnostic {
    if d.code == Code::UnknownKey && d.key.as_deref() == Some("PayloadEnabled") {
        d.severity = Severity::Warning;
        d.notes.push(
            "`PayloadEnabled` is not in Apple's schema (`TopLevel`, `CommonPayloadKeys`); some tools write it".into(),
        );
        d.help = Some("remove it".into());
    }
    d
}

fn applicable(ty: &str, scope: &Scope<'_>, options: &Options, out: &mut Diagnostics) {
    let findings = applicability::check(&Subject { ty, key: None, shown: ty }, options).unwrap_or_default();
    let blocked = findings.iter().any(|d| d.severity == Severity::Error);
    for d in findings {
        out.push(at_value(d, scope, &["PayloadType"]));
    }
    if !blocked {
        let mut walk = Walk { scope, options, out, segments: scope.prefix.to_vec(), said: Vec::new() };
        keys(ty, scope.root, "", &mut walk);
    }
}

/// Apple's words on why the identifiers of a profile's payloads must differ.
fn quote(key: &str) -> &'static str {
    if key == "PayloadUUID" {
        "The globally unique identifier for the payload. The actual content is unimportant, but must be globally unique."
    } else {
        "This string must be unique within the profile."
    }
}

/// `PayloadUUID` and `PayloadIdentifier` of the profile and of each payload must differ.
fn unique_ids(scope: &Scope<'_>, items: &[Node], out: &mut Diagnostics) {
    for key in ["PayloadUUID", "PayloadIdentifier"] {
        let mut seen: BTreeMap<String, (Vec<String>, Span)> = BTreeMap::new();
        let top = scope.root.get(key).and_then(|n| n.as_str().map(|s| (Vec::new(), s, n.span)));
        let payloads = items.iter().enumerate().filter_map(|(i, item)| {
            let node = item.get(key)?;
            Some((vec!["PayloadContent".to_string(), i.to_string()], node.as_str()?, node.span))
        });
        for (path, value, span) in top.into_iter().chain(payloads) {
            // Apple compares UUIDs, not their spelling.
            let normal = if key == "PayloadUUID" { value.to_ascii_uppercase() } else { value.to_string() };
            if let Some((first_path, first_span)) = seen.get(&normal) {
                let whose = if first_path.is_empty() {
                    "the profile".to_string()
                } else {
                    format!("`{}`", pointer(first_path))
                };
                out.push(
                    Diagnostic::error(
                        Code::DuplicateId,
                        format!("`{}` repeats the {key} of {whose}", pointer(&join(&path, &[key]))),
                    )
                    .at(scope.file, span)
                    .label(format!("same {key}"))
                    .related(scope.file, *first_span, "first used here")
                    .note(format!("Apple's schema (`CommonPayloadKeys`): `{key}`: \"{}\"", quote(key)))
                    .help(if key == "PayloadUUID" {
                        "generate a new UUID (`uuidgen`)"
                    } else {
                        "make it unique, e.g. with a component naming the payload"
                    }),
                );
            } else {
                seen.insert(normal, (path, span));
            }
        }
    }
}
