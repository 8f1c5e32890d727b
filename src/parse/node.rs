//! The parsed tree: values with their spans, plus the lookups later passes use to find a value
//! and point at it (or at its key) in messages.

use crate::source::Span;

/// A parsed value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// For scalars, the text of the value (with quotes for quoted scalars); for lists and
    /// mappings, from their first character to their last.
    pub span: Span,
    /// For scalars, the source text exactly as written (`26.10`, `yes`, `0x1F`, `"quoted"`), so
    /// that messages can quote what the admin typed rather than what it was read as.
    /// `None` for lists and mappings.
    pub raw: Option<String>,
    /// True for plain (unquoted) scalars, the only ones whose type is guessed from their text:
    /// `26.10` plain is a number, `"26.10"` is a string. For JSON, true for numbers, `true`,
    /// `false` and `null`.
    pub plain: bool,
}

/// A value of the YAML 1.2 core schema (which JSON's values are a subset of).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    /// Entries in document order; keys are unique.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key as written (`1`, `true` and `"a"` give "1", "true" and "a").
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The entry (key, its span and value) under `key`, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|entry| entry.key == key)
    }

    /// Walks down mappings by key and lists by decimal index (`["rules", "0", "name"]`), like a
    /// JSON Pointer. An empty path is the node itself.
    pub fn pointer(&self, segments: &[&str]) -> Option<&Node> {
        segments.iter().try_fold(self, |node, segment| node.child(segment))
    }

    /// Where to point for the value at `segments`: the span of its KEY when its parent is a
    /// mapping ("this key has a bad value" reads best there), else the span of the node itself.
    pub fn key_span_at(&self, segments: &[&str]) -> Option<Span> {
        let Some((last, parent_path)) = segments.split_last() else {
            return Some(self.span);
        };
        let parent = self.pointer(parent_path)?;
        match &parent.value {
            Value::Map(_) => parent.entry(last).map(|entry| entry.key_span),
            _ => parent.child(last).map(|node| node.span),
        }
    }

    /// The same value as JSON, mapping keys in document order. Infinities and NaN have no JSON
    /// number, so they become the string written in the source (e.g. `".inf"`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or_else(|| J::String(self.raw.clone().unwrap_or_else(|| f.to_string())), J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                J::Object(entries.iter().map(|entry| (entry.key.clone(), entry.value.to_json())).collect())
            }
        }
    }

    /// What kind of value this is, phrased for messages ("expected a list, found a string").
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, if this is a list.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// One step of [`Node::pointer`].
    fn child(&self, segment: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(_) => self.get(segment),
            Value::Seq(items) => items.get(list_index(segment)?),
            _ => None,
        }
    }
}

/// A list index as JSON Pointer writes it: decimal digits, no sign, no leading zero.
pub fn list_index(segment: &str) -> Option<usize> {
    let canonical = segment.bytes().all(|b| b.is_ascii_digit())
        && !segment.is_empty()
        && (segment == "0" || !segment.starts_with('0'));
    canonical.then(|| segment.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_yaml;
    use serde_json::json;

    fn tree() -> Node {
        let text = "name: demo\nrules:\n  - id: a\n    when: [1, 2]\n  - id: b\nempty: {}\n";
        parse_yaml(text).expect("valid YAML")
    }

    #[test]
    fn get_and_entry() {
        let root = tree();
        assert_eq!(root.get("name").and_then(Node::as_str), Some("demo"));
        assert!(root.get("missing").is_none());
        let entry = root.entry("rules").expect("rules");
        assert_eq!(entry.key, "rules");
        assert_eq!((entry.key_span.start.line, entry.key_span.start.column), (2, 1));
        // Not a mapping: nothing to get.
        assert!(root.get("name").and_then(|n| n.get("x")).is_none());
    }

    #[test]
    fn pointer_walks_maps_and_lists() {
        let root = tree();
        assert_eq!(root.pointer(&[]), Some(&root));
        let id = root.pointer(&["rules", "1", "id"]).expect("rules/1/id");
        assert_eq!(id.as_str(), Some("b"));
        let two = root.pointer(&["rules", "0", "when", "1"]).expect("when/1");
        assert_eq!(two.value, Value::Int(2));
        for missing in [
            &["rules", "2"][..],
            &["rules", "01"],
            &["rules", "+1"],
            &["rules", "-0"],
            &["rules", ""],
            &["name", "0"],
            &["nope"],
        ] {
            assert!(root.pointer(missing).is_none(), "{missing:?}");
        }
    }

    #[test]
    fn key_span_at_points_at_keys_in_maps_and_nodes_in_lists() {
        let root = tree();
        let key = root.key_span_at(&["rules", "0", "when"]).expect("when key");
        assert_eq!((key.start.line, key.start.column), (4, 5));
        assert_eq!((key.end.line, key.end.column), (4, 9));
        let item = root.key_span_at(&["rules", "0", "when", "1"]).expect("item");
        assert_eq!((item.start.line, item.start.column), (4, 15));
        let list_item = root.key_span_at(&["rules", "1"]).expect("list item");
        assert_eq!((list_item.start.line, list_item.start.column), (5, 5));
        assert_eq!(root.key_span_at(&[]), Some(root.span));
        assert_eq!(root.key_span_at(&["rules", "9"]), None);
        assert_eq!(root.key_span_at(&["nope", "x"]), None);
    }

    #[test]
    fn to_json_keeps_document_order_and_types() {
        let root = parse_yaml("z: 1\na: [true, null, 1.5, x]\nm: {b: 2, a: 1}\n").expect("yaml");
        let json = root.to_json();
        assert_eq!(json, json!({"z": 1, "a": [true, null, 1.5, "x"], "m": {"b": 2, "a": 1}}));
        let keys: Vec<_> = json.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys, ["z", "a", "m"]);
        let inner: Vec<_> = json["m"].as_object().expect("m").keys().cloned().collect();
        assert_eq!(inner, ["b", "a"]);
    }

    #[test]
    fn to_json_writes_non_finite_floats_as_their_text() {
        let root = parse_yaml("[.inf, -.Inf, .NaN]").expect("yaml");
        assert_eq!(root.to_json(), json!([".inf", "-.Inf", ".NaN"]));
    }

    #[test]
    fn kind_names() {
        let root = parse_yaml("[~, true, 1, 1.5, s, [], {}]").expect("yaml");
        let kinds: Vec<_> = root.as_seq().expect("list").iter().map(Node::kind_name).collect();
        assert_eq!(kinds, ["null", "a boolean", "a number", "a number", "a string", "a list", "a mapping"]);
    }
}
