//! From jsonschema errors to diagnostics people can act on: the position of the value (or
//! key), what was expected, and a fix.

use super::formats;
use crate::diagnostics::suggest::did_you_mean;
use crate::diagnostics::{Code, Diagnostic, plain};
use crate::model::schema::ALIASES;
use crate::parse::Node;
use crate::source::Span;
use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind as Kind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub struct Context<'a> {
    pub file: &'a str,
    pub document: Noun,
    pub root: &'a Node,
    pub schema: &'a Value,
}

/// What messages call the document at the top level: "unknown key `x` in a policy",
/// "missing required key `y` in the policy".
#[derive(Clone, Copy)]
pub struct Noun {
    pub a: &'static str,
    pub the: &'static str,
}

/// One diagnostic per problem: errors about the same value are reduced to the most
/// telling one (an enum's options beat "expected a string").
pub fn diagnose_all(errors: &[ValidationError<'_>], cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut per_value: BTreeMap<Vec<String>, (u8, &ValidationError<'_>)> = BTreeMap::new();
    let mut out = Vec::new();
    for error in errors {
        let path = segments(error);
        match error.kind() {
            Kind::AdditionalProperties { unexpected } => {
                // One index of the mapping's keys, not a scan per unknown key: a mapping of
                // 50,000 unknown keys must cost 50,000 lookups, not 50,000 scans.
                let parent = cx.root.pointer(&refs(&path));
                let keys: HashMap<&str, Span> = parent
                    .and_then(Node::as_map)
                    .map(|entries| entries.iter().map(|e| (e.key.as_str(), e.key_span)).collect())
                    .unwrap_or_default();
                let fallback = node_span(cx, &path);
                out.extend(
                    unexpected
                        .iter()
                        .map(|key| unknown_key(cx, &path, key, keys.get(key.as_str()).copied().unwrap_or(fallback))),
                );
            }
            Kind::Required { property } => out.push(missing_key(cx, &path, property)),
            kind => {
                let rank = rank(kind);
                let slot = per_value.entry(path).or_insert((rank, error));
                if rank < slot.0 {
                    *slot = (rank, error);
                }
            }
        }
    }
    out.extend(per_value.into_iter().map(|(path, (_, error))| about_value(cx, &path, error)));
    out
}

/// Lower is more telling.
fn rank(kind: &Kind) -> u8 {
    match kind {
        Kind::Enum { .. } | Kind::OneOfNotValid { .. } => 0,
        Kind::Format { .. } => 1,
        Kind::Type { .. } => 2,
        Kind::Pattern { .. } => 3,
        _ => 4,
    }
}

/// The instance path of a schema error, as plain segments.
pub fn segments(error: &ValidationError<'_>) -> Vec<String> {
    error
        .instance_path()
        .iter()
        .map(|s| match s {
            LocationSegment::Property(p) => p.to_string(),
            LocationSegment::Index(i) => i.to_string(),
        })
        .collect()
}

fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// `software_updates.deferrals.major_days`, `enforce[0].deadline`.
pub fn display_path(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

fn node_span(cx: &Context<'_>, path: &[String]) -> Span {
    cx.root.pointer(&refs(path)).map(|n| n.span).unwrap_or_else(|| Span::point(cx.root.span.start))
}

fn at(cx: &Context<'_>, diagnostic: Diagnostic, span: Span) -> Diagnostic {
    diagnostic.at(cx.file, span)
}

/// Names people write for what ddmc calls otherwise, too far apart for "did you mean" by
/// spelling: (what they write, in lower case; ddmc's name; why, when it needs saying).
const MISNAMES: &[(&str, &str, Option<&str>)] = &[
    ("ipados", "iOS", Some("iPadOS is iOS: `iOS` targets iPhone and iPad")),
    ("enforcement", "enforce", None),
    ("enforcements", "enforce", None),
];

/// "did you mean `x`?" for `written` among `options`: a known misname first, then spelling.
fn suggestion<'o>(written: &str, options: impl Iterator<Item = &'o str> + Clone) -> Option<String> {
    let lower = written.to_lowercase();
    let misname = MISNAMES
        .iter()
        .find(|(wrong, right, _)| *wrong == lower && options.clone().any(|o| o == *right))
        .map(|(_, right, why)| match why {
            Some(why) => format!("did you mean `{right}`? ({why})"),
            None => format!("did you mean `{right}`?"),
        });
    misname.or_else(|| did_you_mean(written, options).map(|c| format!("did you mean `{c}`?")))
}

fn unknown_key(cx: &Context<'_>, path: &[String], key: &str, span: Span) -> Diagnostic {
    let known: Vec<String> = schema_at(cx.schema, path)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().filter(|k| !k.starts_with('$')).cloned().collect())
        .unwrap_or_default();
    let within = if path.is_empty() { cx.document.a.to_string() } else { format!("`{}`", display_path(path)) };
    let help = if let Some(close) = suggestion(key, known.iter().map(String::as_str)) {
        Some(close)
    } else if let Some(home) = home_of(cx.schema, key).filter(|home| home != &display_path(path)) {
        Some(format!("`{key}` belongs under `{home}`"))
    } else if !known.is_empty() {
        Some(format!("expected one of {}", list(&known)))
    } else {
        None
    };
    at(cx, Diagnostic::error(Code::UnknownKey, format!("unknown key `{key}` in {within}")).about_key(key), span)
        .label("not a known key here")
        .help_opt(help)
}

fn missing_key(cx: &Context<'_>, path: &[String], property: &Value) -> Diagnostic {
    let name = property.as_str().unwrap_or_default();
    let parent = node_span(cx, path);
    let within = if path.is_empty() { cx.document.the.to_string() } else { format!("`{}`", display_path(path)) };
    let example = match name {
        "id" => "id: my-policy".to_string(),
        "targets" => "targets: {platforms: [macOS]}".to_string(),
        "platforms" => "platforms: [macOS]".to_string(),
        "os_version" => "os_version: \"26.3.1\"".to_string(),
        "deadline" => "deadline: \"2026-12-01T18:00:00\"".to_string(),
        other => format!("{other}: ..."),
    };
    at(
        cx,
        Diagnostic::error(Code::MissingKey, format!("missing required key `{name}` in {within}")).about_key(name),
        Span::point(parent.start),
    )
    .label(format!("`{name}` is required here"))
    .help(format!("add `{example}`"))
}

fn about_value(cx: &Context<'_>, path: &[String], error: &ValidationError<'_>) -> Diagnostic {
    let node = cx.root.pointer(&refs(path));
    let span = node_span(cx, path);
    let shown = node.map(shown).unwrap_or_default();
    let field = display_path(path);
    let diagnostic = match error.kind() {
        Kind::Enum { options } => {
            let options: Vec<String> = options.as_array().map(|a| a.iter().map(plain).collect()).unwrap_or_default();
            not_one_of(&shown, &field, &options)
        }
        Kind::OneOfNotValid { .. } if !constants(cx, path).is_empty() => {
            not_one_of(&shown, &field, &constants(cx, path))
        }
        Kind::Format { format } => {
            let (message, help) = formats::explain(format, &shown);
            Diagnostic::error(Code::InvalidFormat, format!("invalid `{field}`: {message}")).help_opt(help)
        }
        Kind::Type { kind } if path.is_empty() => {
            let found = node.map(Node::kind_name).unwrap_or("nothing");
            Diagnostic::error(Code::WrongType, format!("{} must be a mapping, found {found}", cx.document.the))
                .label("expected `key: value` lines")
                .help_opt(matches!(kind, TypeKind::Single(_)).then(|| {
                    let example = if cx.document.a == "a policy" {
                        "`id: my-policy` with `targets: {platforms: [macOS]}`"
                    } else {
                        "`output: out`"
                    };
                    format!("{} is one mapping, such as {example}", cx.document.a)
                }))
        }
        Kind::Type { kind } => wrong_type(kind, node, &field, schema_at(cx.schema, path), cx.file.ends_with(".json")),
        Kind::Minimum { .. } | Kind::Maximum { .. } | Kind::ExclusiveMinimum { .. } | Kind::ExclusiveMaximum { .. } => {
            let range = schema_at(cx.schema, path).map(range_text).unwrap_or_default();
            Diagnostic::error(Code::OutOfRange, format!("`{shown}` is out of range for `{field}`"))
                .label(format!("expected {range}"))
                .help(format!("use a value from {range}"))
        }
        Kind::Pattern { pattern } => bad_pattern(path, &shown, pattern),
        Kind::MinItems { .. } => Diagnostic::error(Code::InvalidValue, format!("`{field}` is empty"))
            .label("expected at least one entry")
            .help(if field.ends_with("platforms") {
                "list a platform, e.g. `[macOS]`"
            } else {
                "add an entry or remove the key"
            }),
        Kind::UniqueItems => Diagnostic::error(Code::InvalidValue, format!("`{field}` lists the same value twice"))
            .label("each value may appear once")
            .help("remove the repeated value"),
        Kind::MinLength { .. } => Diagnostic::error(Code::InvalidValue, format!("`{field}` is empty"))
            .label("expected some text")
            .help("write a value or remove the key"),
        Kind::OneOfNotValid { .. } => {
            Diagnostic::error(Code::MissingKey, format!("`{field}` needs `token` or `token_env`"))
                .label("no seeding token")
                .help("add `token_env: BETA_TOKEN` and set that variable where `ddmc build` runs")
        }
        Kind::OneOfMultipleValid { .. } => {
            Diagnostic::error(Code::InvalidValue, format!("`{field}` sets both `token` and `token_env`"))
                .label("one token source at a time")
                .help("keep `token_env`, so the secret stays out of git")
        }
        Kind::Not { .. } => return alias_clash(cx),
        // The contract's combinations (`dependentSchemas` of an `enforce` entry).
        Kind::Constant { expected_value } if expected_value.as_str() == Some(crate::model::target::LATEST) => {
            Diagnostic::error(
                Code::InvalidValue,
                format!("`major` and `below` need `os_version: latest` in `{}`", field.trim_end_matches(".os_version")),
            )
            .label(format!("`{shown}` is one version; `major` and `below` narrow `latest`"))
            .help("write `os_version: latest`, or remove `major` and `below`")
        }
        Kind::FalseSchema if field.ends_with("build_version") => Diagnostic::error(
            Code::InvalidValue,
            format!("`{field}` cannot be used with `background_security_improvement: latest`"),
        )
        .label("the catalog picks the BSI build")
        .help("remove `build_version`, or `background_security_improvement` to enforce this build"),
        _ => Diagnostic::error(Code::InvalidValue, format!("invalid `{field}`: {error}")),
    };
    at(cx, diagnostic, span)
}

fn not_one_of(shown: &str, field: &str, options: &[String]) -> Diagnostic {
    let help = suggestion(shown, options.iter().map(String::as_str));
    Diagnostic::error(Code::InvalidValue, format!("`{shown}` is not a valid value for `{field}`"))
        .label(format!("expected one of {}", list(options)))
        .help_opt(help)
}

/// The values of an enum whose variants are documented: schemars writes it as a `oneOf`
/// of `const`s.
fn constants(cx: &Context<'_>, path: &[String]) -> Vec<String> {
    let Some(Value::Array(variants)) = schema_at(cx.schema, path).and_then(|s| s.get("oneOf")) else {
        return Vec::new();
    };
    let consts: Option<Vec<String>> = variants.iter().map(|v| v.get("const").map(plain)).collect();
    consts.unwrap_or_default()
}

fn alias_clash(cx: &Context<'_>) -> Diagnostic {
    let (alias, canonical) = ALIASES[0];
    let span = cx.root.key_span_at(&[alias]).unwrap_or(cx.root.span);
    at(cx, Diagnostic::error(Code::DuplicateKey, format!("`{alias}` and `{canonical}` are the same section")), span)
        .label("second name for the same section")
        .help(format!("merge them under `{canonical}`"))
}

fn wrong_type(kind: &TypeKind, node: Option<&Node>, field: &str, schema: Option<&Value>, json: bool) -> Diagnostic {
    let expected = match kind {
        TypeKind::Single(t) => type_name(&t.to_string()).to_string(),
        TypeKind::Multiple(set) => {
            set.iter().map(|t| type_name(&t.to_string()).to_string()).collect::<Vec<_>>().join(" or ")
        }
    };
    let raw = node.and_then(|n| n.raw.as_deref()).unwrap_or_default();
    if expected == "a whole number"
        && let Some(node @ Node { value: crate::parse::Value::Float(_), .. }) = node
    {
        return not_whole(field, node);
    }
    let found = node.map(Node::kind_name).unwrap_or("nothing");
    let help = match (expected.as_str(), found) {
        ("a string", "a number") => {
            // Quoting must give a valid value: `26` becomes `"26.0"`, not `"26"`.
            let format = schema.and_then(|s| s.get("format")).and_then(Value::as_str);
            let fixed = format.and_then(|f| formats::fix(f, raw)).unwrap_or_else(|| raw.to_string());
            let fix = format!("quote it: `\"{fixed}\"`");
            Some(if json {
                format!("`{raw}` is a number; {fix}")
            } else {
                format!("YAML reads `{raw}` as a number; {fix}")
            })
        }
        ("`true` or `false`", "a string") => match raw.to_ascii_lowercase().as_str() {
            "yes" | "on" | "y" | "enabled" | "enable" => Some("write `true`".to_string()),
            "no" | "off" | "n" | "disabled" | "disable" => Some("write `false`".to_string()),
            _ => Some("write `true` or `false` without quotes".to_string()),
        },
        ("a list", _) if !raw.is_empty() => Some(format!("write a list: `[{raw}]`")),
        ("a mapping", "null") => Some("the section is empty: add settings under it or remove it".to_string()),
        ("a whole number", "a string") => {
            Some(format!("write the number without quotes: `{}`", raw.trim_matches(['"', '\''])))
        }
        _ => None,
    };
    Diagnostic::error(Code::WrongType, format!("`{field}` must be {expected}, found {found}"))
        .label(format!("expected {expected}"))
        .help_opt(help)
}

/// A number with a fraction or a decimal point where the schema wants an integer: `30.0` is
/// not `30` in the policy schema, though JSON Schema would call it an integer.
fn not_whole(field: &str, node: &Node) -> Diagnostic {
    let raw = node.raw.as_deref().unwrap_or_default();
    let help = match node.value {
        crate::parse::Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("write `{}`", f as i64),
        _ => "write a whole number such as `30`".to_string(),
    };
    Diagnostic::error(Code::WrongType, format!("`{field}` must be a whole number such as 30, found `{raw}`"))
        .label("expected a whole number")
        .help(help)
}

/// Integral floats (`30.0`) where the schema wants an integer: JSON Schema accepts them as
/// integers, the policy schema does not (serde would then fail on a "valid" document).
pub fn integral_floats(cx: &Context<'_>) -> Vec<Diagnostic> {
    fn walk(cx: &Context<'_>, node: &Node, path: &mut Vec<String>, out: &mut Vec<Diagnostic>) {
        match &node.value {
            crate::parse::Value::Float(f) if f.fract() == 0.0 => {
                let wants_integer = schema_at(cx.schema, path).and_then(|s| s.get("type")).is_some_and(|t| match t {
                    Value::String(t) => t == "integer",
                    Value::Array(ts) => ts.iter().any(|t| t == "integer") && !ts.iter().any(|t| t == "number"),
                    _ => false,
                });
                if wants_integer {
                    out.push(at(cx, not_whole(&display_path(path), node), node.span));
                }
            }
            crate::parse::Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(cx, item, path, out);
                    path.pop();
                }
            }
            crate::parse::Value::Map(entries) => {
                for entry in entries {
                    path.push(entry.key.clone());
                    walk(cx, &entry.value, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    // Nearly no document holds one: looked for first, without building paths.
    fn any(node: &Node) -> bool {
        match &node.value {
            crate::parse::Value::Float(f) => f.fract() == 0.0,
            crate::parse::Value::Seq(items) => items.iter().any(any),
            crate::parse::Value::Map(entries) => entries.iter().any(|entry| any(&entry.value)),
            _ => false,
        }
    }
    let mut out = Vec::new();
    if any(cx.root) {
        walk(cx, cx.root, &mut Vec::new(), &mut out);
    }
    out
}

/// The words for a JSON Schema type in messages ("a whole number", "a list").
pub fn type_name(json_type: &str) -> &'static str {
    match json_type {
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "`true` or `false`",
        "object" => "a mapping",
        "array" => "a list",
        _ => "null",
    }
}

fn bad_pattern(path: &[String], shown: &str, pattern: &str) -> Diagnostic {
    let last = path.iter().rev().find(|s| s.parse::<usize>().is_err()).map(String::as_str).unwrap_or("");
    let (what, rule, fix) = match last {
        "id" => (
            "policy id",
            "2 to 48 lower-case letters, digits and `-`, starting and ending with a letter or digit",
            slug(shown, false, 48),
        ),
        "groups" => (
            "group name",
            "lower-case letters, digits, `-` and `_`, starting with a letter or digit",
            slug(shown, true, usize::MAX),
        ),
        "identifier_prefix" => ("identifier prefix", "reverse-DNS such as `com.example.ddm`", None),
        "token_env" => ("environment variable name", "letters, digits and `_`, not starting with a digit", None),
        _ => ("value", pattern, None),
    };
    Diagnostic::error(Code::InvalidValue, format!("`{shown}` is not a valid {what}"))
        .label(format!("expected {rule}"))
        .help_opt(fix.filter(|f| f != shown).map(|f| format!("write `{f}`")))
}

/// The nearest valid id or group name: `Mac_Baseline` -> `mac-baseline`.
fn slug(input: &str, underscore: bool, max: usize) -> Option<String> {
    let mut out = String::new();
    for c in input.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || (underscore && c == '_') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches(['-', '_']).chars().take(max).collect();
    let out = out.trim_end_matches(['-', '_']).to_string();
    (out.len() >= 2).then_some(out)
}

fn range_text(schema: &Value) -> String {
    match (schema.get("minimum"), schema.get("maximum")) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        _ => "a value in range".into(),
    }
}

/// The value as the user meant it: a string's content (without its quotes), a number or
/// boolean as written.
fn shown(node: &Node) -> String {
    match &node.value {
        crate::parse::Value::String(s) => s.clone(),
        _ => node.raw.clone().unwrap_or_else(|| plain(&node.to_json())),
    }
}

fn list(items: &[String]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// The subschema describing the value at `path`, following `$ref`s into `$defs`.
fn schema_at<'s>(root: &'s Value, path: &[String]) -> Option<&'s Value> {
    let mut current = resolve(root, root)?;
    for segment in path {
        let next = if segment.parse::<usize>().is_ok() {
            current.get("items")
        } else {
            // A value of two forms (`deadline`) has its mapping's keys under `then`.
            let branches = [Some(current), current.get("then"), current.get("else")];
            branches
                .into_iter()
                .flatten()
                .find_map(|branch| resolve(root, branch).and_then(|b| b.get("properties")).and_then(|p| p.get(segment)))
        };
        current = resolve(root, next?)?;
    }
    // A value of two forms (`os_version`, `deadline`): its plain form is under `else`.
    match (current.get("type"), current.get("else")) {
        (None, Some(plain)) => resolve(root, plain),
        _ => Some(current),
    }
}

fn resolve<'s>(root: &'s Value, schema: &'s Value) -> Option<&'s Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => root.pointer(reference.strip_prefix('#')?),
        None => Some(schema),
    }
}

/// Where a key is valid, if anywhere: `user_removal` -> `background_security_improvements`.
fn home_of(root: &Value, key: &str) -> Option<String> {
    fn walk(root: &Value, schema: &Value, path: &mut Vec<String>, key: &str, depth: usize) -> Option<String> {
        let schema = resolve(root, schema)?;
        if depth > 6 {
            return None;
        }
        if let Some(items) = schema.get("items") {
            path.push("0".into());
            let found = walk(root, items, path, key, depth + 1);
            path.pop();
            return found;
        }
        let properties = schema.get("properties")?.as_object()?;
        if properties.contains_key(key) {
            return Some(display_path(path));
        }
        for (name, sub) in properties {
            path.push(name.clone());
            let found = walk(root, sub, path, key, depth + 1);
            path.pop();
            if found.is_some() {
                return found;
            }
        }
        None
    }
    walk(root, root, &mut Vec::new(), key, 0)
        .map(|p| if p.is_empty() { "the top level".into() } else { p.replace("[0]", "[]") })
}
