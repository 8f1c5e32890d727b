//! A declaration as an MDM serves it: `Type`, `Identifier`, `ServerToken`, `Payload`.

use super::payload::payload;
use crate::canonical::{canonical_json, token};
use crate::lower::Declaration;
use serde_json::{Map, Value, json};

/// ServerToken: a hash of Type, Identifier and canonical Payload as served (secrets
/// included), so it changes exactly when the content does, a rotated seeding token too.
pub fn server_token(declaration: &Declaration) -> String {
    token_of(declaration, &Value::Object(payload(&declaration.content)))
}

/// [`server_token`] of a declaration whose payload (secrets as placeholders) is at hand.
pub fn token_of(declaration: &Declaration, payload: &Value) -> String {
    let served = if declaration.secrets.is_empty() {
        canonical_json(payload)
    } else {
        let mut served = payload.clone();
        reveal(declaration, &mut served);
        canonical_json(&served)
    };
    token(&[declaration.ty().as_str(), &declaration.identifier, &served])
}

/// The declaration as people may read it: `Type`, `Identifier`, `ServerToken`, `Payload`, in
/// Apple's order, secrets still as their placeholders. Self-validation works on this form, so
/// not even a schema violation can quote a secret.
pub fn envelope(declaration: &Declaration, server_token: &str) -> Value {
    wrap(declaration, server_token, Value::Object(payload(&declaration.content)))
}

pub fn wrap(declaration: &Declaration, server_token: &str, payload: Value) -> Value {
    let mut envelope = Map::with_capacity(4);
    envelope.insert("Type".into(), json!(declaration.ty().as_str()));
    envelope.insert("Identifier".into(), json!(declaration.identifier));
    envelope.insert("ServerToken".into(), json!(server_token));
    envelope.insert("Payload".into(), payload);
    Value::Object(envelope)
}

/// The envelope as served to Apple: the only place where secrets take their values.
pub fn served(declaration: &Declaration, mut envelope: Value) -> Value {
    if let Some(payload) = envelope.get_mut("Payload") {
        reveal(declaration, payload);
    }
    envelope
}

fn reveal(declaration: &Declaration, payload: &mut Value) {
    for (pointer, secret) in &declaration.secrets {
        if let Some(slot) = payload.pointer_mut(pointer) {
            *slot = Value::String(secret.expose().to_owned());
        }
    }
}

pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
