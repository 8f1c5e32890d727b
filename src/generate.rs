//! The generator behind `ddmc apple-schemas`: Apple's YAML (apple/device-management) in,
//! JSON Schemas (draft 2020-12) and a support table out, into `schemas/apple/`. What it
//! writes is committed; Apple's YAML is not (a test regenerates and compares).

use crate::emit::OutputFile;
use crate::parse::{Node, parse_yaml};
use serde_json::{Map, Value, json};
use std::path::Path;

/// What a YAML file describes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The envelope every declaration shares.
    DeclarationBase,
    Declaration,
    /// The outer dictionary of a configuration profile.
    TopLevel,
    /// Keys every profile payload has.
    CommonPayloadKeys,
    /// A profile payload (`com.apple.applicationaccess`).
    Payload,
}

/// Apple's files that ddmc emits or lints, relative to the reference folder.
const SOURCES: &[(&str, Kind)] = &[
    ("declarative/declarations/declarationbase.yaml", Kind::DeclarationBase),
    ("declarative/declarations/activations/simple.yaml", Kind::Declaration),
    ("declarative/declarations/configurations/management.status-subscriptions.yaml", Kind::Declaration),
    ("declarative/declarations/configurations/softwareupdate.enforcement.specific.yaml", Kind::Declaration),
    ("declarative/declarations/configurations/softwareupdate.settings.yaml", Kind::Declaration),
    ("mdm/profiles/TopLevel.yaml", Kind::TopLevel),
    ("mdm/profiles/CommonPayloadKeys.yaml", Kind::CommonPayloadKeys),
    ("mdm/profiles/com.apple.applicationaccess.yaml", Kind::Payload),
    ("mdm/profiles/com.apple.SoftwareUpdate.yaml", Kind::Payload),
];

/// The file the support table is written to.
pub const SUPPORT_FILE: &str = "support.json";

/// Every declaration `Type` Apple publishes, one a line (`#` comments), relative to the
/// reference folder; generated into [`DECLARATION_TYPES_FILE`].
const DECLARATION_TYPES_SOURCE: &str = "declaration-types.txt";

/// The sorted JSON list of the Types Apple publishes.
pub const DECLARATION_TYPES_FILE: &str = "declaration-types.json";

/// Default location of Apple's schema, relative to a checkout of this project.
pub const DEFAULT_REFERENCE: &str = "../shared/reference/apple-device-management";

struct Source {
    path: &'static str,
    kind: Kind,
    doc: Node,
}

impl Source {
    /// `com.apple.configuration.softwareupdate.settings`, `TopLevel`, `declarationbase`.
    fn name(&self) -> String {
        let payload = self.doc.get("payload");
        let ty = payload.and_then(|p| p.get("declarationtype").or_else(|| p.get("payloadtype"))).and_then(Node::as_str);
        match (self.kind, ty) {
            (Kind::DeclarationBase, _) | (_, None) => "declarationbase".to_string(),
            (_, Some(ty)) => ty.to_string(),
        }
    }

    fn keys(&self) -> &[Node] {
        self.doc.get("payloadkeys").and_then(Node::as_seq).unwrap_or_default()
    }
}

/// Reads Apple's YAML below `reference` and returns the files to write into `schemas/apple/`.
pub fn generate(reference: &Path) -> Result<Vec<OutputFile>, String> {
    let mut sources = Vec::new();
    for (path, kind) in SOURCES {
        let file = reference.join(path);
        let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
        let doc = parse_yaml(&text).map_err(|e| format!("{}:{e}", file.display()))?;
        sources.push(Source { path, kind: *kind, doc });
    }
    let find = |kind: Kind| sources.iter().find(|s| s.kind == kind).ok_or("missing source");
    let base = find(Kind::DeclarationBase)?;
    let common = find(Kind::CommonPayloadKeys)?;
    let mut files = Vec::new();
    let mut support = Map::new();
    for source in &sources {
        let name = source.name();
        let schema = match source.kind {
            Kind::DeclarationBase => declaration(source, base, None),
            Kind::Declaration => declaration(source, base, Some(object(source.keys()))),
            Kind::TopLevel | Kind::CommonPayloadKeys => document(source, object(source.keys())),
            Kind::Payload => payload(source, common),
        };
        files.push(OutputFile { path: format!("{name}.schema.json"), bytes: pretty(&schema) });
        if matches!(source.kind, Kind::Declaration | Kind::Payload | Kind::TopLevel) {
            support.insert(name, support_entry(source));
        }
    }
    files.push(OutputFile { path: SUPPORT_FILE.into(), bytes: pretty(&Value::Object(support)) });
    files.push(OutputFile { path: DECLARATION_TYPES_FILE.into(), bytes: pretty(&declaration_types(reference)?) });
    files.sort();
    Ok(files)
}

/// Apple's list of declaration Types, sorted and without repeats.
fn declaration_types(reference: &Path) -> Result<Value, String> {
    let file = reference.join(DECLARATION_TYPES_SOURCE);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let mut types: Vec<&str> =
        text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect();
    if let Some(bad) = types.iter().find(|t| !t.starts_with("com.apple.") || t.contains(char::is_whitespace)) {
        return Err(format!("{}: `{bad}` is not a declaration Type", file.display()));
    }
    types.sort_unstable();
    types.dedup();
    Ok(json!(types))
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The root of every generated schema.
fn document(source: &Source, body: Value) -> Value {
    let mut root = Map::new();
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    root.insert("$id".into(), json!(format!("https://ddmc.dev/schemas/apple/{}.schema.json", source.name())));
    if let Some(title) = source.doc.get("title").and_then(Node::as_str) {
        root.insert("title".into(), json!(title));
    }
    root.insert("description".into(), json!(format!("Generated by ddmc from apple/device-management {}", source.path)));
    if let Value::Object(body) = body {
        root.extend(body);
    }
    Value::Object(root)
}

/// A declaration: the envelope of `declarationbase.yaml`, its `Type` fixed and its
/// `Payload` described, when `payload` is given.
fn declaration(source: &Source, base: &Source, payload: Option<Value>) -> Value {
    let mut envelope = object(base.keys());
    if let Some(payload) = payload {
        envelope["properties"]["Type"]["const"] = json!(source.name());
        let description = envelope["properties"]["Payload"].get("description").cloned();
        let mut payload = payload;
        if let Some(description) = description {
            payload["description"] = description;
        }
        envelope["properties"]["Payload"] = payload;
    }
    document(source, envelope)
}

/// A profile payload: its own keys and the common payload keys, `PayloadType` fixed.
fn payload(source: &Source, common: &Source) -> Value {
    let keys: Vec<Node> = common.keys().iter().chain(source.keys()).cloned().collect();
    let mut schema = object(&keys);
    schema["properties"]["PayloadType"]["const"] = json!(source.name());
    document(source, schema)
}

/// A `<dictionary>` with these subkeys. A subkey named `ANY` stands for keys of any name.
fn object(keys: &[Node]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut any: Option<Value> = None;
    for key in keys {
        let Some(name) = key.get("key").and_then(Node::as_str) else { continue };
        let schema = key_schema(key);
        if name == "ANY" {
            any = Some(schema);
            continue;
        }
        if key.get("presence").and_then(Node::as_str) == Some("required") {
            required.push(json!(name));
        }
        properties.insert(name.to_string(), schema);
    }
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), any.unwrap_or(json!(false)));
    Value::Object(out)
}

/// One key: type, enumerations, ranges, format, repetition, nested subkeys.
fn key_schema(key: &Node) -> Value {
    let ty = key.get("type").and_then(Node::as_str).unwrap_or("<any>");
    let subkeys = key.get("subkeys").and_then(Node::as_seq).unwrap_or_default();
    let mut schema = match ty {
        "<dictionary>" => object(subkeys),
        // The single subkey of an array is a placeholder describing its items.
        "<array>" => match subkeys.first() {
            Some(item) => json!({"type": "array", "items": key_schema(item)}),
            None => json!({"type": "array"}),
        },
        "<string>" | "<date>" | "<data>" => json!({"type": "string"}),
        "<integer>" => json!({"type": "integer"}),
        "<real>" => json!({"type": "number"}),
        "<boolean>" => json!({"type": "boolean"}),
        _ => json!({}),
    };
    let map = schema.as_object_mut().expect("a schema object");
    if let Some(title) = key.get("title").and_then(Node::as_str) {
        map.insert("title".into(), json!(title));
    }
    if let Some(content) = key.get("content").and_then(Node::as_str) {
        map.insert("description".into(), json!(content));
    }
    if let Some(values) = key.get("rangelist").and_then(Node::as_seq) {
        map.insert("enum".into(), values.iter().map(Node::to_json).collect());
    }
    if let Some(range) = key.get("range") {
        for (from, to) in [("min", "minimum"), ("max", "maximum")] {
            if let Some(bound) = range.get(from) {
                map.insert(to.into(), bound.to_json());
            }
        }
    }
    if let Some(repetition) = key.get("repetition") {
        for (from, to) in [("min", "minItems"), ("max", "maxItems")] {
            if let Some(bound) = repetition.get(from) {
                map.insert(to.into(), bound.to_json());
            }
        }
    }
    if let Some(format) = key.get("format").and_then(Node::as_str) {
        map.insert("pattern".into(), json!(format));
    }
    if let Some(default) = key.get("default") {
        map.insert("default".into(), default.to_json());
    }
    schema
}

/// The support table of one declaration or payload: its own `supportedOS`, and per key
/// (dotted path; `[]` for array items) the effective support after Apple's inheritance
/// rule — a key's support is its parents' overlaid, per OS and per field, by its own —
/// plus its `combinetype`.
fn support_entry(source: &Source) -> Value {
    let payload = source.doc.get("payload");
    let own = overlay(&Map::new(), payload.and_then(|p| p.get("supportedOS")));
    let mut keys = Map::new();
    walk(source.keys(), "", &own, &mut keys);
    let mut entry = Map::new();
    entry.insert("source".into(), json!(source.path));
    if let Some(apply) = payload.and_then(|p| p.get("apply")) {
        entry.insert("apply".into(), apply.to_json());
    }
    entry.insert("supportedOS".into(), Value::Object(own));
    entry.insert("keys".into(), Value::Object(keys));
    Value::Object(entry)
}

fn walk(keys: &[Node], prefix: &str, inherited: &Map<String, Value>, out: &mut Map<String, Value>) {
    for key in keys {
        let Some(name) = key.get("key").and_then(Node::as_str) else { continue };
        let support = overlay(inherited, key.get("supportedOS"));
        let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        let mut entry = Map::new();
        if let Some(combine) = key.get("combinetype") {
            entry.insert("combinetype".into(), combine.to_json());
        }
        entry.insert("supportedOS".into(), Value::Object(support.clone()));
        out.insert(path.clone(), Value::Object(entry));
        let subkeys = key.get("subkeys").and_then(Node::as_seq).unwrap_or_default();
        match key.get("type").and_then(Node::as_str) {
            Some("<dictionary>") => walk(subkeys, &path, &support, out),
            // Array items: the placeholder's subkeys, under `path[]`.
            Some("<array>") => {
                if let Some(item) = subkeys.first() {
                    let items = item.get("subkeys").and_then(Node::as_seq).unwrap_or_default();
                    walk(items, &format!("{path}[]"), &support, out);
                }
            }
            _ => {}
        }
    }
}

/// `base` with `supported`'s fields laid over it, per OS and per field.
fn overlay(base: &Map<String, Value>, supported: Option<&Node>) -> Map<String, Value> {
    let mut out = base.clone();
    for entry in supported.and_then(Node::as_map).unwrap_or_default() {
        let os = out.entry(entry.key.clone()).or_insert_with(|| json!({}));
        if let (Value::Object(os), Some(fields)) = (os, entry.value.as_map()) {
            for field in fields {
                os.insert(field.key.clone(), field.value.to_json());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
