//! A declaration as an MDM serves it: `Type`, `Identifier`, `ServerToken`, `Payload`.

use super::canonical::{canonical_json, token};
use crate::lower::Declaration;
use serde_json::{Map, Value, json};

/// ServerToken: a hash of Type, Identifier and canonical Payload, so it changes exactly
/// when the content does.
pub fn server_token(declaration: &Declaration) -> String {
    let payload = canonical_json(&Value::Object(declaration.payload.clone()));
    token(&[declaration.ty.as_str(), &declaration.identifier, &payload])
}

/// The declaration as served: `Type`, `Identifier`, `ServerToken`, `Payload`, in Apple's order.
pub fn envelope(declaration: &Declaration, server_token: &str) -> Value {
    let mut envelope = Map::new();
    envelope.insert("Type".into(), json!(declaration.ty.as_str()));
    envelope.insert("Identifier".into(), json!(declaration.identifier));
    envelope.insert("ServerToken".into(), json!(server_token));
    envelope.insert("Payload".into(), Value::Object(declaration.payload.clone()));
    Value::Object(envelope)
}

pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
