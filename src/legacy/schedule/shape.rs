//! A first pass over a plist that builds nothing and stops at shapes that would exhaust the
//! stack or memory when the plist crate builds its tree (which it does recursively).
//!
//! The plist crate's event readers are not public in the version ddmc uses, so the pass is a
//! serde visitor: it walks the values through `plist::from_bytes` / `from_reader_xml`, counting
//! them and the nesting depth, and fails as soon as either goes past a limit. Its own recursion
//! is bounded by the same depth limit.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// Deeper than any `AvailableOSUpdates` response (which nests four levels).
pub const MAX_DEPTH: usize = 64;

/// Far more values than a response holds. Bounds binary plists whose objects reference the
/// same children over and over: their stream of values grows exponentially with their size.
pub const MAX_VALUES: usize = 1_000_000;

/// Walks a plist without keeping anything; the error says which limit was passed.
pub struct Shape;

/// The message of a limit this pass stopped at, if that is what `error` is. The plist crate
/// wraps visitor errors in its own type, printed in debug form, so the message is found by
/// its text and returned clean.
pub fn limit_passed(error: &plist::Error) -> Option<String> {
    let text = error.to_string();
    [too_many(), too_deep()].into_iter().find(|message| text.contains(message.as_str()))
}

fn too_many() -> String {
    format!("holds more than {MAX_VALUES} values; an AvailableOSUpdates response holds a few hundred")
}

fn too_deep() -> String {
    format!("is nested more than {MAX_DEPTH} levels deep; an AvailableOSUpdates response nests four")
}

impl<'de> de::Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Cell::new(0);
        Walk { depth: 0, values: &values }.deserialize(deserializer)?;
        Ok(Shape)
    }
}

/// One value at `depth`, sharing the running count of values.
#[derive(Clone, Copy)]
struct Walk<'a> {
    depth: usize,
    values: &'a Cell<usize>,
}

impl Walk<'_> {
    /// Counts one value; an error once there are too many.
    fn count<E: de::Error>(self) -> Result<(), E> {
        let values = self.values.get() + 1;
        self.values.set(values);
        if values > MAX_VALUES {
            return Err(E::custom(too_many()));
        }
        Ok(())
    }

    /// The walk one level down; an error past the depth limit.
    fn child<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(too_deep()));
        }
        Ok(Walk { depth: self.depth + 1, values: self.values })
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any plist value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.count()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.count()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.count()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.count()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.count()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.count()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.count()?;
        let child = self.child()?;
        while seq.next_element_seed(child)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.count()?;
        let child = self.child()?;
        while map.next_key_seed(child)?.is_some() {
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}
