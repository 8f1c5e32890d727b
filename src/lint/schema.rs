//! Apple's schema checks for files ddmc did not write. The messages are ddmc's own
//! ([`messages::diagnose_all`]); this module adds what lint needs on top: every message
//! names its JSON Pointer (`/Payload/RapidSecurityResponse`), and fixes are written in the
//! file's own syntax (JSON or plist XML), not in the YAML of ddmc's policy files.

use crate::apple::schemas;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::parse::Node;
use crate::validate::messages;
use jsonschema::ValidationError;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Plist,
}

/// What is being checked and how to talk about it.
pub struct Scope<'a> {
    pub file: &'a str,
    pub root: &'a Node,
    /// Where `root` sits in the file, as JSON Pointer segments (`["PayloadContent", "0"]`).
    pub prefix: &'a [String],
    /// What messages call `root`: "the declaration", "payload `/PayloadContent/0`".
    pub name: &'a str,
    pub syntax: Syntax,
}

/// Stands for the root in messages until it is replaced by [`Scope::name`]; the shared
/// wording only takes static nouns.
const ROOT: &str = "\u{1}root\u{1}";

/// Validates `scope.root` against the embedded Apple schema `name`; returns whether it is
/// valid (false also when there is no such schema).
pub fn check(name: &str, scope: &Scope<'_>, out: &mut Diagnostics) -> bool {
    let Some(schema) = schemas::get(name) else { return false };
    let instance = scope.root.to_json();
    // Grouped by the path of the value: `diagnose_all` reduces errors per value anyway, so
    // each group's diagnostics are exactly those it would give, and each group knows its
    // path for the pointer.
    let mut groups: BTreeMap<Vec<String>, Vec<ValidationError<'_>>> = BTreeMap::new();
    for error in schema.validator.iter_errors(&instance) {
        groups.entry(messages::segments(&error)).or_default().push(error);
    }
    let valid = groups.is_empty();
    let document = messages::Noun { a: ROOT, the: ROOT };
    let cx = messages::Context { file: scope.file, document, root: scope.root, schema: &schema.schema };
    for (path, errors) in groups {
        for diagnostic in messages::diagnose_all(&errors, &cx) {
            out.push(rewrite(diagnostic, &path, scope, &schema.schema));
        }
    }
    valid
}

/// `/Payload/RapidSecurityResponse`; `/` for the root.
pub fn pointer(segments: &[String]) -> String {
    if segments.is_empty() {
        return "/".to_string();
    }
    segments.iter().map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1"))).collect()
}

/// `prefix` followed by `path`.
pub fn join(prefix: &[String], path: &[impl AsRef<str>]) -> Vec<String> {
    prefix.iter().cloned().chain(path.iter().map(|s| s.as_ref().to_string())).collect()
}

fn rewrite(mut d: Diagnostic, path: &[String], scope: &Scope<'_>, schema: &Value) -> Diagnostic {
    let full = join(scope.prefix, path);
    let dotted = messages::display_path(path);
    let named = if path.is_empty() && scope.prefix.is_empty() {
        scope.name.to_string()
    } else {
        format!("`{}`", pointer(&full))
    };
    d.message = d.message.replace(&format!("`{dotted}`"), &named).replace(ROOT, scope.name);
    let node = scope.root.pointer(&path.iter().map(String::as_str).collect::<Vec<_>>());
    let expected = schema_at(schema, path).and_then(|s| s.get("type")).and_then(Value::as_str);
    if let (Code::InvalidValue, Some(node), Some(expected)) = (d.code, node, expected)
        && !has_type(node, expected)
    {
        // An enum of numbers given a string ("1"): the type is the mistake, not the value.
        d.code = Code::WrongType;
        d.message = format!("{named} must be {}, found {}", messages::type_name(expected), node.kind_name());
        d.label = Some(format!("expected {}", messages::type_name(expected)));
    }
    d.message = words(&d.message, scope.syntax);
    d.label = d.label.map(|l| words(&l, scope.syntax));
    match d.code {
        Code::MissingKey => d.help = d.key.as_deref().and_then(|key| missing_help(key, path, scope.syntax, schema)),
        Code::WrongType => d.help = wrong_type_help(d.help.take(), &d.message, scope, path),
        Code::UnknownKey => d.help = shorter(d.help.take()),
        _ => {}
    }
    d
}

/// Whether `node` is of the JSON Schema type `ty`.
fn has_type(node: &Node, ty: &str) -> bool {
    use crate::parse::Value as V;
    match (&node.value, ty) {
        (V::Int(_), "integer" | "number") | (V::Float(_), "number") => true,
        (V::Float(f), "integer") => f.fract() == 0.0,
        (V::String(_), "string") | (V::Bool(_), "boolean") | (V::Seq(_), "array") | (V::Map(_), "object") => true,
        (V::Null, "null") => true,
        _ => false,
    }
}

/// The shared messages speak YAML (mappings, lists); say it the way the file's format does.
pub fn words(text: &str, syntax: Syntax) -> String {
    let (map, list) = match syntax {
        Syntax::Json => ("an object", "an array"),
        Syntax::Plist => ("a dictionary", "an array"),
    };
    text.replace("a mapping", map).replace("a list", list)
}

/// "add `\"ServerToken\": \"…\"`" (JSON) or "add `<key>PayloadUUID</key><string>…</string>`".
fn missing_help(key: &str, path: &[String], syntax: Syntax, schema: &Value) -> Option<String> {
    let ty = schema_at(schema, path)
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.get(key))
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("string");
    let example = match syntax {
        Syntax::Json => {
            let value = match ty {
                "boolean" => "true",
                "integer" | "number" => "1",
                "array" => "[…]",
                "object" => "{…}",
                _ => "\"…\"",
            };
            format!("\"{key}\": {value}")
        }
        Syntax::Plist => format!("<key>{key}</key>{}", element(ty, "…")),
    };
    Some(format!("add `{example}`"))
}

/// The plist element for a JSON Schema type, holding `text`.
fn element(ty: &str, text: &str) -> String {
    match ty {
        "boolean" => "<true/>".to_string(),
        "integer" => format!("<integer>{text}</integer>"),
        "number" => format!("<real>{text}</real>"),
        "array" => "<array>…</array>".to_string(),
        "object" => "<dict>…</dict>".to_string(),
        _ => format!("<string>{text}</string>"),
    }
}

/// Plist files get the fix written as plist elements.
fn wrong_type_help(help: Option<String>, message: &str, scope: &Scope<'_>, path: &[String]) -> Option<String> {
    match scope.syntax {
        Syntax::Json => help.or_else(|| object_help(scope, path)),
        Syntax::Plist => {
            let expected = message.split(" must be ").nth(1)?.split(", found").next()?;
            let node = scope.root.pointer(&path.iter().map(String::as_str).collect::<Vec<_>>());
            let raw = node.and_then(|n| n.raw.clone().or_else(|| n.as_str().map(str::to_string)));
            let raw = raw.as_deref().map(str::trim).unwrap_or("…");
            let fix = match expected {
                "a string" => element("string", raw),
                "a whole number" => element("integer", raw),
                "a number" => element("number", raw),
                "`true` or `false`" => match raw.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => "<true/>".to_string(),
                    "false" | "no" | "0" => "<false/>".to_string(),
                    _ => "<true/>` or `<false/>".to_string(),
                },
                "a list" | "an array" => element("array", raw),
                "a mapping" | "a dictionary" => element("object", raw),
                _ => return help,
            };
            Some(format!("write `{fix}`"))
        }
    }
}

/// A string where Apple wants an object with one required key (`StatusItems`' `Name`):
/// the object to write.
fn object_help(scope: &Scope<'_>, path: &[String]) -> Option<String> {
    let node = scope.root.pointer(&path.iter().map(String::as_str).collect::<Vec<_>>())?;
    let value = node.as_str()?;
    let ty = scope.root.get("Type").and_then(crate::parse::Node::as_str)?;
    let schema = schemas::get(ty)?;
    let required = schema_at(&schema.schema, path)?.get("required")?.as_array()?;
    let [key] = required.as_slice() else { return None };
    let value = serde_json::to_string(value).ok()?;
    Some(format!("write `{{\"{}\": {value}}}`", key.as_str()?))
}

/// A list of every key of a 190-key payload helps nobody.
fn shorter(help: Option<String>) -> Option<String> {
    let help = help?;
    let count = help.matches("`, `").count() + 1;
    if help.starts_with("expected one of") && count > 12 {
        return Some(format!("none of the {count} keys in Apple's schema is close; check the spelling"));
    }
    Some(help)
}

/// The subschema at `path` (Apple's generated schemas have no `$ref`).
fn schema_at<'s>(schema: &'s Value, path: &[String]) -> Option<&'s Value> {
    path.iter().try_fold(schema, |s, segment| {
        if segment.parse::<usize>().is_ok() { s.get("items") } else { s.get("properties")?.get(segment) }
    })
}

/// The same diagnostic shape for problems lint finds itself, at a value of `root`.
pub fn at_value(d: Diagnostic, scope: &Scope<'_>, path: &[&str]) -> Diagnostic {
    let span = scope.root.pointer(path).map(|n| n.span).unwrap_or(scope.root.span);
    d.at(scope.file, span)
}

/// At the key of a value of `root` (or the value, in a list).
pub fn at_key(d: Diagnostic, scope: &Scope<'_>, path: &[&str]) -> Diagnostic {
    let span = scope.root.key_span_at(path).unwrap_or(scope.root.span);
    d.at(scope.file, span)
}
