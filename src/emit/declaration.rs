//! A declaration as an MDM serves it: `Type`, `Identifier`, `ServerToken`, `Payload`.

use super::payload::payload;
use crate::canonical::{canonical_json, part, token};
use crate::lower::Declaration;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

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

/// 128 bits of SHA-256 over what a declaration's file is made from ([`digest`]).
pub type Digest = [u8; 16];

/// What a declaration file was made from and the ServerToken in it: the index records both,
/// so that the next build keeps the file, and knows its token, without rendering it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Made {
    pub digest: Digest,
    /// The 32 hex digits' bytes.
    server_token: [u8; 16],
}

impl Made {
    /// `None` for a token that is not ddmc's 32 hex digits.
    pub fn new(digest: Digest, server_token: &str) -> Option<Made> {
        let digits = server_token.as_bytes();
        if digits.len() != 32 || !digits.iter().all(|d| matches!(d, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut token = [0; 16];
        for (byte, pair) in token.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(Made { digest, server_token: token })
    }

    pub fn server_token(&self) -> String {
        crate::canonical::hex(&self.server_token)
    }

    /// The record's bytes: the digest, then the token.
    pub fn to_bytes(self) -> [u8; 32] {
        let mut out = [0; 32];
        out[..16].copy_from_slice(&self.digest);
        out[16..].copy_from_slice(&self.server_token);
        out
    }

    /// [`Made::to_bytes`] read back; `None` for zeros (no declaration).
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<Made> {
        let (digest, token) = bytes.split_at(16);
        (bytes != &[0; 32]).then(|| Made {
            digest: digest.try_into().unwrap_or_default(),
            server_token: token.try_into().unwrap_or_default(),
        })
    }
}

/// What a declaration's file and ServerToken are made from, as a digest: the running ddmc,
/// Type, Identifier, the content as data, and the secrets' values. The payload is a function
/// of the content alone, so any change to the file is a change to one of these, and a build
/// keeps a file recorded with the same digest without building its payload or rendering it.
///
/// The content is written as MessagePack: every field (`Serialize`), a version as its text,
/// an object's keys in their order, each value marked with its kind (`"1"` is not `1`, and
/// no two lists of values run together alike; one value is self-delimiting, so nothing after
/// it can be read as part of it). It is written into a buffer of the thread's, then hashed
/// at once: written straight into the hash, its hundreds of small pieces cost a third more.
/// `None` if it cannot be (nothing is kept).
pub fn digest(declaration: &Declaration) -> Option<Digest> {
    static RUNNING: std::sync::OnceLock<Sha256> = std::sync::OnceLock::new();
    let mut hash = RUNNING.get_or_init(|| Sha256::new().chain_update(crate::canonical::running_ddmc())).clone();
    part(&mut hash, declaration.ty().as_str().as_bytes());
    part(&mut hash, declaration.identifier.as_bytes());
    thread_local! {
        static CONTENT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    CONTENT.with_borrow_mut(|content| {
        content.clear();
        rmp_serde::encode::write(content, &declaration.content).ok()?;
        hash.update(&content[..]);
        Some(())
    })?;
    hash.update((declaration.secrets.len() as u64).to_le_bytes());
    for (pointer, secret) in &declaration.secrets {
        part(&mut hash, pointer.as_bytes());
        part(&mut hash, secret.expose().as_bytes());
    }
    let mut digest = [0; 16];
    digest.copy_from_slice(&hash.finalize()[..16]);
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::{Content, Enforcement, Settings};
    use crate::model::OsVersion;

    fn settings(pairs: &[(&'static str, Value)]) -> Declaration {
        Declaration {
            identifier: "com.example.t.mac.settings".into(),
            content: Content::Settings(Settings::of(pairs.iter().cloned())),
            origin: None,
            applies_to: Vec::new(),
            supervision: Default::default(),
            secrets: Vec::new(),
        }
    }

    fn digest_of(d: &Declaration) -> Digest {
        digest(d).expect("content as data")
    }

    fn enforcing(version: OsVersion) -> Declaration {
        let target = Enforcement {
            entry: 0,
            version,
            build: None,
            deadline: "2027-01-15T18:00:00".parse().expect("a date"),
            details_url: None,
            half: None,
        };
        Declaration { content: Content::Enforcement(Box::new(target)), ..settings(&[]) }
    }

    /// Whatever the file holds moves the digest: a value, the Identifier, the order of the
    /// payload's keys, a value's kind, a version as written (`16.1` equals `16.1.0`, but the
    /// file differs), and a secret's value (which only the served file shows).
    #[test]
    fn the_digest_follows_everything_the_file_holds() {
        let base = settings(&[("Notifications", json!(true))]);
        let same = settings(&[("Notifications", json!(true))]);
        assert_eq!(digest_of(&base), digest_of(&same));
        assert_ne!(digest_of(&base), digest_of(&settings(&[("Notifications", json!(false))])));
        let mut renamed = settings(&[("Notifications", json!(true))]);
        renamed.identifier.push('2');
        assert_ne!(digest_of(&base), digest_of(&renamed));
        let a: Value = serde_json::from_str(r#"{"A": 1, "B": {"C": "x"}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"B": {"C": "x"}, "A": 1}"#).expect("json");
        assert_eq!(a, b, "equal as JSON");
        let with = |value: Value| digest_of(&settings(&[("Notifications", value)]));
        assert_ne!(with(a), with(b), "the same content laid out otherwise");
        assert_ne!(with(json!({"A": "1"})), with(json!({"A": 1})), "a string is not a number");
        assert_ne!(with(json!(["x", "y"])), with(json!(["xy"])));
        assert_ne!(with(json!([null, true])), with(json!([true, null])));
        assert_ne!(with(json!(1)), with(json!(1.0)), "an integer is not a float");
        let (one, two) = (("Notifications", json!(true)), ("Beta.ProgramEnrollment", json!("Allowed")));
        assert_ne!(
            digest_of(&settings(&[one.clone(), two.clone()])),
            digest_of(&settings(&[two, one])),
            "keys in another order"
        );
        let (short, long) = (OsVersion::new(16, 1, None), OsVersion::new(16, 1, Some(0)));
        assert_eq!(short, long);
        assert_ne!(digest_of(&enforcing(short)), digest_of(&enforcing(long)), "a version as written");
        let secret = |value: &str| {
            let mut d = settings(&[("Notifications", json!(true))]);
            let lookup = |_: &str| Some(value.to_owned());
            d.secrets.push(("/Beta/Token".into(), crate::model::Secret::read("T", &lookup).expect("set")));
            digest_of(&d)
        };
        assert_ne!(secret("one"), secret("two"), "a rotated secret");
        assert_ne!(secret("one"), digest_of(&base));
    }

    /// A record's `Made` reads back as written; what is not ddmc's token is refused, and a
    /// record of zeros is no declaration.
    #[test]
    fn made_round_trips_and_refuses_other_tokens() {
        let made = Made::new([7; 16], "0123456789abcdef0123456789abcdef").expect("a token");
        assert_eq!(made.server_token(), "0123456789abcdef0123456789abcdef");
        assert_eq!(Made::from_bytes(&made.to_bytes()), Some(made));
        assert_eq!(Made::from_bytes(&[0; 32]), None);
        for bad in ["", "0123456789abcdef", "0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcdeg"] {
            assert_eq!(Made::new([7; 16], bad), None, "{bad}");
        }
    }
}
