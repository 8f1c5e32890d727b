//! Canonical JSON and tokens: the same content always hashes the same, whatever the order
//! its keys were built in.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Compact JSON with object keys sorted at every level.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write(value, &mut out);
    // Only serde_json's string and number writers and ASCII punctuation went in.
    String::from_utf8(out).unwrap_or_default()
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                scalar(key, out);
                out.push(b':');
                write(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

/// A string or scalar as serde_json writes it (escapes included).
fn scalar<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and these values always serialise.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// 32 hex digits (128 bits) of SHA-256 over the parts ([`part`]). Well under Apple's
/// 64-octet limit.
pub fn token(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        part(&mut hash, p.as_bytes());
    }
    hex(&hash.finalize()[..16])
}

/// 128 bits of SHA-256 over the parts ([`part`]): what a build remembers things by.
pub fn digest(parts: &[&[u8]]) -> [u8; 16] {
    let mut hash = Sha256::new();
    for p in parts {
        part(&mut hash, p);
    }
    let mut digest = [0; 16];
    digest.copy_from_slice(&hash.finalize()[..16]);
    digest
}

/// `bytes` into `hash`, their length first, so that no two different lists of parts hash
/// alike: how every digest and token of ddmc frames what it is made of.
pub fn part(hash: &mut Sha256, bytes: &[u8]) {
    hash.update((bytes.len() as u64).to_be_bytes());
    hash.update(bytes);
}

/// Lower-case hex digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)] as char, DIGITS[usize::from(b & 15)] as char]).collect()
}

/// The running ddmc, as its file's identity (size, times, and on Unix device and inode): what
/// a build remembers by digest (a declaration's file, a policy's typed model) is reused only
/// by the very ddmc that made it (another build of ddmc may read or lay out files otherwise).
/// Where it cannot be read, random: nothing is reused.
pub fn running_ddmc() -> &'static [u8] {
    static IDENTITY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| {
        let meta = std::env::current_exe().and_then(std::fs::metadata);
        let mut bytes = Vec::new();
        match meta {
            Ok(meta) => {
                let nanos = |t: std::io::Result<std::time::SystemTime>| {
                    t.ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos())
                };
                bytes.extend_from_slice(&meta.len().to_le_bytes());
                bytes.extend_from_slice(&nanos(meta.modified()).to_le_bytes());
                #[cfg(unix)]
                {
                    use std::os::unix::fs::MetadataExt;
                    for n in [meta.dev(), meta.ino(), meta.ctime() as u64, meta.ctime_nsec() as u64] {
                        bytes.extend_from_slice(&n.to_le_bytes());
                    }
                }
            }
            Err(_) => {
                use std::hash::BuildHasher;
                let random = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
                bytes.extend_from_slice(&random.to_le_bytes());
            }
        }
        bytes
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "s"}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a": {"x": "s", "y": [1, {"c": 3, "d": 2}]}, "b": 1}"#).expect("json");
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#);
    }

    #[test]
    fn array_order_matters() {
        assert_ne!(canonical_json(&json!([1, 2])), canonical_json(&json!([2, 1])));
    }

    #[test]
    fn tokens_are_stable_and_separated() {
        assert_eq!(token(&["a", "b"]), token(&["a", "b"]));
        assert_eq!(token(&["a", "b"]).len(), 32);
        assert_ne!(token(&["ab", ""]), token(&["a", "b"]));
    }
}
