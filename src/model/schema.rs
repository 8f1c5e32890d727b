//! JSON Schemas generated from the model types: the committed `schemas/*.schema.json`, what
//! editors use, and what every document is validated against before it is deserialised.

use super::{Policy, Project};
use schemars::generate::SchemaSettings;
use serde_json::Value;

pub fn policy_schema() -> Value {
    let mut schema = generate::<Policy>("https://ddmc.dev/schemas/policy.schema.json");
    add_alias(&mut schema, "background_security_improvements", ALIASES[0].0);
    schema
}

/// Old names accepted for a key: (alias, canonical key).
pub const ALIASES: &[(&str, &str)] = &[("rapid_security_responses", "background_security_improvements")];

/// schemars does not see `#[serde(alias)]`: add the alias as a property of its own, and
/// forbid writing both names in one file.
fn add_alias(schema: &mut Value, canonical: &str, alias: &str) {
    let Some(map) = schema.as_object_mut() else { return };
    if let Some(Value::Object(properties)) = map.get_mut("properties")
        && let Some(mut property) = properties.get(canonical).cloned()
    {
        property["description"] = Value::String(format!("Alias of `{canonical}`."));
        properties.insert(alias.to_string(), property);
    }
    map.insert("dependentSchemas".into(), serde_json::json!({ alias: { "not": { "required": [canonical] } } }));
}

pub fn project_schema() -> Value {
    generate::<Project>("https://ddmc.dev/schemas/ddmc.schema.json")
}

fn generate<T: schemars::JsonSchema>(id: &str) -> Value {
    let schema = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    strip_null(&mut value);
    if let Value::Object(map) = &mut value {
        map.insert("$id".into(), Value::String(id.into()));
    }
    value
}

/// A policy key that is absent means "not set"; an explicit `null` is a mistake (an empty
/// `software_updates:` section), so `Option<T>` must not admit null.
fn strip_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            let is_null =
                |v: &Value| v.get("type").is_some_and(|t| t == "null") && v.as_object().is_some_and(|o| o.len() == 1);
            if let Some(Value::Array(any)) = map.get("anyOf")
                && any.len() == 2
                && any.iter().any(is_null)
            {
                let kept = any.iter().find(|v| !is_null(v)).cloned();
                map.remove("anyOf");
                if let Some(Value::Object(kept)) = kept {
                    for (k, v) in kept {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            map.values_mut().for_each(strip_null);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_do_not_admit_null() {
        let text = policy_schema().to_string();
        assert!(!text.contains("\"null\"") && !text.contains(": null"), "{text}");
    }

    #[test]
    fn alias_is_a_known_key() {
        let schema = policy_schema();
        assert!(schema["properties"]["rapid_security_responses"].is_object(), "{schema:#}");
    }
}
