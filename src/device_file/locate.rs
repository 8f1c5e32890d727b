//! From a key path as messages write it (`AvailableOSUpdates[1].ProductKey`,
//! `StatusItems.device.operating-system.version`) to the place in the file, and from the
//! tree to the `plist` crate's value for readers written against it.

use crate::parse::{Node, Value};
use crate::source::Span;

/// Where the value at `path` was written: the value itself, or for a missing key the
/// dictionary that should hold it (the nearest part of the path that exists).
/// `(top level)` and the empty path are the root.
pub fn span_at(root: &Node, path: &str) -> Span {
    let mut node = root;
    for segment in segments(path) {
        let next = match &node.value {
            Value::Map(_) => node.get(&segment),
            Value::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return Span::point(node.span.start),
        }
    }
    node.span
}

/// `a.b[0].c` as `["a", "b", "0", "c"]`; `[1].x` as `["1", "x"]`.
fn segments(path: &str) -> Vec<String> {
    if path == "(top level)" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, indices) = part.split_once('[').map_or((part, ""), |(n, rest)| (n, rest));
        if !name.is_empty() {
            out.push(name.to_string());
        }
        for index in indices.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                out.push(index.to_string());
            }
        }
    }
    out
}

/// The tree as the `plist` crate's value. A `null` member of a dictionary is left out (JSON
/// exports write unset keys that way); a `null` anywhere else is an error naming its path.
pub fn to_plist(node: &Node) -> Result<plist::Value, String> {
    convert(node, "")?.ok_or_else(|| "(top level)".to_string())
}

fn convert(node: &Node, path: &str) -> Result<Option<plist::Value>, String> {
    Ok(Some(match &node.value {
        Value::Null => return Ok(None),
        Value::Bool(b) => plist::Value::Boolean(*b),
        Value::Int(i) => plist::Value::from(*i),
        Value::Float(f) => plist::Value::Real(*f),
        Value::String(s) => plist::Value::String(s.clone()),
        Value::Seq(items) => {
            let mut array = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{index}]");
                array.push(convert(item, &item_path)?.ok_or(item_path)?);
            }
            plist::Value::Array(array)
        }
        Value::Map(entries) => {
            let mut dict = plist::Dictionary::new();
            for entry in entries {
                let member = if path.is_empty() { entry.key.clone() } else { format!("{path}.{}", entry.key) };
                if let Some(value) = convert(&entry.value, &member)? {
                    dict.insert(entry.key.clone(), value);
                }
            }
            plist::Value::Dictionary(dict)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_values_or_their_nearest_parent() {
        let root = crate::parse::parse_json("{\"a\": [{\"b\": 1}],\n \"c\": {}}").expect("json");
        assert_eq!(segments("a[0].b"), ["a", "0", "b"]);
        assert_eq!(segments("[1].x"), ["1", "x"]);
        assert_eq!(span_at(&root, "a[0].b").start.column, 14);
        // Missing: the dictionary that lacks it.
        assert_eq!(span_at(&root, "c.d").start.line, 2);
        assert_eq!(span_at(&root, "(top level)"), root.span);
    }

    #[test]
    fn null_members_are_absent_and_null_items_are_errors() {
        let root = crate::parse::parse_json(r#"{"a": null, "b": [1, null]}"#).expect("json");
        assert_eq!(to_plist(&root), Err("b[1]".to_string()));
        let root = crate::parse::parse_json(r#"{"a": null}"#).expect("json");
        assert_eq!(to_plist(&root).ok().and_then(|v| v.into_dictionary()).map(|d| d.len()), Some(0));
    }
}
