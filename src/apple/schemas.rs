//! The generated Apple schemas (`schemas/apple/*.schema.json`), embedded and compiled once:
//! every artifact ddmc emits is validated against them, and `ddmc lint` checks other
//! people's files with them.

use jsonschema::Validator;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Name (declaration or payload type) and text of every generated schema.
const EMBEDDED: &[(&str, &str)] = &[
    ("declarationbase", include_str!("../../schemas/apple/declarationbase.schema.json")),
    ("com.apple.activation.simple", include_str!("../../schemas/apple/com.apple.activation.simple.schema.json")),
    (
        "com.apple.configuration.management.status-subscriptions",
        include_str!("../../schemas/apple/com.apple.configuration.management.status-subscriptions.schema.json"),
    ),
    (
        "com.apple.configuration.softwareupdate.enforcement.specific",
        include_str!("../../schemas/apple/com.apple.configuration.softwareupdate.enforcement.specific.schema.json"),
    ),
    (
        "com.apple.configuration.softwareupdate.settings",
        include_str!("../../schemas/apple/com.apple.configuration.softwareupdate.settings.schema.json"),
    ),
    ("TopLevel", include_str!("../../schemas/apple/TopLevel.schema.json")),
    ("CommonPayloadKeys", include_str!("../../schemas/apple/CommonPayloadKeys.schema.json")),
    ("com.apple.applicationaccess", include_str!("../../schemas/apple/com.apple.applicationaccess.schema.json")),
    ("com.apple.SoftwareUpdate", include_str!("../../schemas/apple/com.apple.SoftwareUpdate.schema.json")),
];

pub struct AppleSchema {
    pub name: &'static str,
    pub schema: Value,
    pub validator: Validator,
}

fn all() -> &'static BTreeMap<&'static str, AppleSchema> {
    static ALL: OnceLock<BTreeMap<&'static str, AppleSchema>> = OnceLock::new();
    ALL.get_or_init(|| {
        EMBEDDED
            .iter()
            .filter_map(|(name, text)| {
                let schema: Value = serde_json::from_str(text).ok()?;
                let validator = jsonschema::draft202012::new(&schema).ok()?;
                Some((*name, AppleSchema { name, schema, validator }))
            })
            .collect()
    })
}

/// The schema for a declaration or payload type, or `declarationbase`, `TopLevel`,
/// `CommonPayloadKeys`.
pub fn get(name: &str) -> Option<&'static AppleSchema> {
    all().get(name)
}

/// Names of every embedded schema.
pub fn names() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|(name, _)| *name)
}

/// Key paths (`/Payload/Deferrals/MajorPeriodInDays: 91 is greater than 90`) where
/// `value` breaks the schema `name`; empty when valid.
pub fn violations(name: &str, value: &Value) -> Vec<String> {
    let Some(schema) = get(name) else { return vec![format!("no Apple schema for `{name}`")] };
    if schema.validator.is_valid(value) {
        return Vec::new();
    }
    schema.validator.iter_errors(value).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_schema_is_embedded_and_compiles() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/apple");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("schemas/apple")
            .filter_map(|e| e.ok()?.file_name().to_string_lossy().strip_suffix(".schema.json").map(str::to_string))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = names().map(str::to_string).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        assert_eq!(all().len(), EMBEDDED.len(), "each compiles");
    }
}
