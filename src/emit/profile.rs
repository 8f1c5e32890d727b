//! Legacy profiles as `.mobileconfig` files: an XML plist written by the `plist` crate
//! (which escapes every string), identities from UUID v5 so that the same policy is
//! always the same profile, and a content token that changes with the content.

use crate::apple::schemas;
use crate::canonical::{canonical_json, token};
use crate::lower::legacy::Profile;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Namespace of ddmc's name-based profile UUIDs.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://ddmc.dev/profiles")
}

/// `PayloadUUID` for an identifier: stable across builds and content changes.
pub fn uuid_for(identifier: &str) -> String {
    Uuid::new_v5(&namespace(), identifier.as_bytes()).to_string().to_uppercase()
}

/// The profile as a JSON value, keys in the order they are written.
pub fn top_level(profile: &Profile) -> Value {
    let content: Vec<Value> = profile
        .payloads
        .iter()
        .map(|payload| {
            let identifier = format!("{}.{}", profile.identifier, payload.name);
            let mut dict = Map::new();
            dict.insert("PayloadType".into(), json!(payload.payload_type));
            dict.insert("PayloadVersion".into(), json!(1));
            dict.insert("PayloadIdentifier".into(), json!(identifier));
            dict.insert("PayloadUUID".into(), json!(uuid_for(&identifier)));
            dict.insert("PayloadDisplayName".into(), json!(display_name(payload.payload_type)));
            dict.extend(payload.keys.clone());
            Value::Object(dict)
        })
        .collect();
    let mut top = Map::new();
    top.insert("PayloadType".into(), json!("Configuration"));
    top.insert("PayloadVersion".into(), json!(1));
    top.insert("PayloadIdentifier".into(), json!(profile.identifier));
    top.insert("PayloadUUID".into(), json!(uuid_for(&profile.identifier)));
    top.insert("PayloadDisplayName".into(), json!(profile.display_name));
    top.insert("PayloadDescription".into(), json!(profile.description));
    if let Some(organization) = &profile.organization {
        top.insert("PayloadOrganization".into(), json!(organization));
    }
    if profile.system_scope {
        top.insert("PayloadScope".into(), json!("System"));
    }
    top.insert("PayloadContent".into(), Value::Array(content));
    Value::Object(top)
}

fn display_name(payload_type: &str) -> &'static str {
    match payload_type {
        "com.apple.applicationaccess" => "Restrictions",
        _ => "Software Update",
    }
}

/// Changes exactly when the profile's content does (its UUIDs do not).
pub fn content_token(top: &Value) -> String {
    token(&["profile", &canonical_json(top)])
}

/// Where the profile breaks Apple's schemas (`TopLevel`, then each payload by type).
pub fn violations(top: &Value) -> Vec<String> {
    let mut out = schemas::violations("TopLevel", top);
    for (i, payload) in top["PayloadContent"].as_array().into_iter().flatten().enumerate() {
        let ty = payload["PayloadType"].as_str().unwrap_or_default();
        out.extend(schemas::violations(ty, payload).into_iter().map(|v| format!("/PayloadContent/{i}{v}")));
    }
    out
}

/// The XML plist bytes of a JSON value made of objects, arrays, strings, integers, booleans.
pub fn to_xml(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into memory cannot fail for these value kinds.
    let _ = plist::to_writer_xml(&mut bytes, &to_plist(value));
    bytes.push(b'\n');
    bytes
}

fn to_plist(value: &Value) -> plist::Value {
    match value {
        Value::Object(map) => plist::Value::Dictionary(map.iter().map(|(k, v)| (k.clone(), to_plist(v))).collect()),
        Value::Array(items) => plist::Value::Array(items.iter().map(to_plist).collect()),
        Value::String(s) => plist::Value::String(s.clone()),
        Value::Bool(b) => plist::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => plist::Value::Integer(i.into()),
            None => plist::Value::Real(n.as_f64().unwrap_or_default()),
        },
        Value::Null => plist::Value::String(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_name_based_and_stable() {
        let a = uuid_for("com.example.ddm.mac.legacy");
        assert_eq!(a, uuid_for("com.example.ddm.mac.legacy"));
        assert_ne!(a, uuid_for("com.example.ddm.ios.legacy"));
        assert_eq!(Uuid::parse_str(&a).expect("a UUID").get_version_num(), 5);
    }

    #[test]
    fn text_is_escaped_and_parses_back() {
        let value = json!({"PayloadOrganization": "Fixture & Sons <IT> \"quoted\" 'x'", "Days": 7, "On": true});
        let xml = to_xml(&value);
        let text = String::from_utf8(xml.clone()).expect("utf-8");
        assert!(text.contains("Fixture &amp; Sons &lt;IT&gt;"), "{text}");
        let back: plist::Value = plist::from_bytes(&xml).expect("parses");
        let dict = back.as_dictionary().expect("dict");
        assert_eq!(
            dict.get("PayloadOrganization").and_then(|v| v.as_string()),
            Some("Fixture & Sons <IT> \"quoted\" 'x'")
        );
        assert_eq!(dict.get("Days").and_then(|v| v.as_signed_integer()), Some(7));
        assert_eq!(dict.get("On").and_then(|v| v.as_boolean()), Some(true));
    }
}
