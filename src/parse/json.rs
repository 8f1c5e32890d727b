//! JSON: serde_json checks the syntax, so invalid JSON gets its familiar messages; then a small
//! scanner walks the now known-valid text to record where each value sits.
//!
//! We do not reuse the YAML builder: saphyr rejects some valid JSON (surrogate-pair escapes
//! such as `"\ud83d\ude00"`) and would type `-0` differently. Strings are decoded by serde_json
//! itself and numbers typed as serde_json types them, so values are what serde_json reads.

use serde_json::error::Category;

use super::{Entry, Locator, MAX_DEPTH, MapBuilder, Node, ParseError, Value, out_of_range, too_deep};
use crate::source::Span;

/// The four whitespace characters JSON allows between tokens.
const WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// Parses a JSON policy file into a tree of spanned nodes. Stricter than serde_json in two
/// ways, the same as YAML: duplicate keys and integers beyond i64 are errors.
pub fn parse_json(text: &str) -> Result<Node, ParseError> {
    let locator = Locator::new(text);
    // RFC 8259 lets parsers ignore a byte order mark, which some Windows editors write.
    let start = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let body = text.get(start..).unwrap_or_default();
    if body.trim_matches(WHITESPACE).is_empty() {
        return Err(ParseError::empty_file(&locator));
    }
    if let Err(error) = serde_json::from_str::<serde_json::Value>(body) {
        let offset = start + serde_offset(body, &error);
        let at = Span::point(locator.pos_at_byte(offset));
        if error.to_string().starts_with("recursion limit exceeded") {
            return Err(too_deep(at));
        }
        let message = serde_message(&error);
        if text.get(offset..).is_some_and(|rest| rest.starts_with("//") || rest.starts_with("/*")) {
            return Err(ParseError::new("JSON has no comments", at)
                .with_help("remove the comment, or write the policy in YAML (`.yaml`), where `#` starts a comment"));
        }
        if message.starts_with("trailing comma") {
            // serde_json stops at the bracket after the comma; point at the comma itself.
            let comma = text[..offset].trim_end_matches(WHITESPACE).len().saturating_sub(1);
            if text.as_bytes().get(comma) == Some(&b',') {
                let at = Span::point(locator.pos_at_byte(comma));
                return Err(ParseError::new(message, at).with_help("remove this comma"));
            }
        }
        return Err(ParseError::new(message, at));
    }
    Scanner { text, at: start, locator }.value(0)
}

/// serde_json's message without its " at line L column C" suffix: we give the position apart.
fn serde_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(end) if error.line() > 0 => message[..end].to_owned(),
        _ => message,
    }
}

/// The byte offset serde_json's error is at. It counts lines by `\n` and columns in bytes,
/// pointing at the offending byte (1-based); for an unexpected end it points at the last byte
/// read, so we point just after it, where something is missing.
fn serde_offset(body: &str, error: &serde_json::Error) -> usize {
    let line_start: usize = body.split_inclusive('\n').take(error.line().saturating_sub(1)).map(str::len).sum();
    let column = match error.classify() {
        Category::Eof => error.column(),
        _ => error.column().saturating_sub(1),
    };
    line_start + column
}

/// Walks valid JSON text, building nodes with spans. Anything unexpected is reported as an
/// internal error instead of panicking, though serde_json has already accepted the text.
struct Scanner<'a> {
    text: &'a str,
    /// Byte offset of the next unread character.
    at: usize,
    locator: Locator<'a>,
}

impl<'a> Scanner<'a> {
    /// The value starting at the next token; `depth` counts the collections around it.
    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let (value, span, raw) = self.string()?;
                Ok(Node { value: Value::String(value), span, raw: Some(raw.to_owned()), plain: false })
            }
            Some(b't' | b'f' | b'n') => {
                let (span, raw) = self.token(|b| b.is_ascii_alphabetic());
                let value = match raw {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => return Err(self.internal(span.start.offset)),
                };
                Ok(scalar(value, span, raw))
            }
            Some(b'-' | b'0'..=b'9') => {
                let (span, raw) = self.token(|b| b"+-.eE".contains(&b) || b.is_ascii_digit());
                Ok(scalar(number(raw, span)?, span, raw))
            }
            _ => Err(self.internal(self.at)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.open_collection(depth)?;
        let mut map = MapBuilder::default();
        if !self.close_if(b'}') {
            loop {
                self.skip_whitespace();
                let (key, key_span, _) = self.string()?;
                self.skip_whitespace();
                self.expect(b':')?;
                let value = self.value(depth + 1)?;
                map.push(Entry { key, key_span, value })?;
                if self.close_if(b'}') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        Ok(self.collection(Value::Map(map.finish()), start))
    }

    fn array(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.open_collection(depth)?;
        let mut items = Vec::new();
        if !self.close_if(b']') {
            loop {
                items.push(self.value(depth + 1)?);
                if self.close_if(b']') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        Ok(self.collection(Value::Seq(items), start))
    }

    /// Consumes `[` or `{`, checking the nesting limit; returns its offset.
    fn open_collection(&mut self, depth: usize) -> Result<usize, ParseError> {
        let start = self.at;
        if depth >= MAX_DEPTH {
            let at = self.locator.pos_at_byte(start);
            return Err(too_deep(Span::point(at)));
        }
        self.at += 1;
        Ok(start)
    }

    /// A list or mapping spanning from `start` to just before `self.at`.
    fn collection(&self, value: Value, start: usize) -> Node {
        Node { value, span: self.span(start, self.at), raw: None, plain: false }
    }

    /// Decodes the string token here, returning its value, span (quotes included) and text.
    fn string(&mut self) -> Result<(String, Span, &'a str), ParseError> {
        let start = self.at;
        if self.peek() != Some(b'"') {
            return Err(self.internal(start));
        }
        let bytes = self.text.as_bytes();
        let mut end = start + 1;
        loop {
            match bytes.get(end) {
                Some(b'\\') => end += 2,
                Some(b'"') => break,
                Some(_) => end += 1,
                None => return Err(self.internal(start)),
            }
        }
        self.at = end + 1;
        let raw = self.text.get(start..self.at).unwrap_or_default();
        let value = serde_json::from_str(raw).map_err(|_| self.internal(start))?;
        Ok((value, self.span(start, self.at), raw))
    }

    /// Consumes the bytes matching `part`, returning their span and text.
    fn token(&mut self, part: impl Fn(u8) -> bool) -> (Span, &'a str) {
        let start = self.at;
        let rest = self.text.as_bytes().get(start..).unwrap_or_default();
        let len = rest.iter().take_while(|&&b| part(b)).count();
        self.at += len;
        let raw = self.text.get(start..self.at).unwrap_or_default();
        (self.span(start, self.at), raw)
    }

    /// After whitespace, consumes `close` if it is next.
    fn close_if(&mut self, close: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(close);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParseError> {
        self.skip_whitespace();
        if self.peek() != Some(byte) {
            return Err(self.internal(self.at));
        }
        self.at += 1;
        Ok(())
    }

    fn skip_whitespace(&mut self) {
        let rest = self.text.get(self.at..).unwrap_or_default();
        self.at += rest.len() - rest.trim_start_matches(WHITESPACE).len();
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.locator.pos_at_byte(start), self.locator.pos_at_byte(end))
    }

    fn internal(&self, at: usize) -> ParseError {
        let at = Span::point(self.locator.pos_at_byte(at));
        ParseError::new("internal error: unexpected JSON text", at)
    }
}

/// The value of a (valid) JSON number, typed as serde_json types it: integer literals are
/// integers except `-0`, which is the float -0.0. Integer literals beyond i64 are errors, as in
/// YAML, not rounded floats. Other numbers go through Rust's float parser, which (unlike
/// serde_json without its `float_roundtrip` feature) always rounds correctly, so a number
/// reads the same from JSON as from YAML.
fn number(raw: &str, span: Span) -> Result<Value, ParseError> {
    if raw == "-0" {
        return Ok(Value::Float(-0.0));
    }
    if raw.bytes().all(|b| b == b'-' || b.is_ascii_digit()) {
        return raw.parse().map(Value::Int).map_err(|_| out_of_range(raw, span));
    }
    match raw.parse::<f64>() {
        Ok(float) if float.is_finite() => Ok(Value::Float(float)),
        _ => Err(out_of_range(raw, span)),
    }
}

fn scalar(value: Value, span: Span, raw: &str) -> Node {
    Node { value, span, raw: Some(raw.to_owned()), plain: true }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_yaml;
    use proptest::prelude::*;

    fn parse(text: &str) -> Node {
        parse_json(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn fail(text: &str) -> ParseError {
        match parse_json(text) {
            Ok(node) => panic!("{text:?} parsed as {:?}", node.to_json()),
            Err(e) => e,
        }
    }

    fn at(span: Span) -> (u32, u32) {
        (span.start.line, span.start.column)
    }

    /// What serde_json itself reads from `text`.
    fn serde(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn values_match_serde_json() {
        let text = r#"{
            "escapes": "caf\u00e9 \/ \"q\" \\ \t \n \ud83d\ude00 ✓",
            "numbers": [0, -0, 1e3, 1E+3, -1.5e-3, 0.5, 9223372036854775807, -9223372036854775808],
            "literals": [true, false, null],
            "nested": [[], [[1], [2, [3]]], {}],
            "empty_object": {}, "empty_array": [],
            "": "empty key",
            "object": {"z": 1, "a": {"b": [{"c": null}]}}
        }"#;
        let root = parse(text);
        assert_eq!(root.to_json(), serde(text));
        // Key order is the document's.
        let keys: Vec<_> = root.as_map().expect("map").iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys[..3], ["escapes", "numbers", "literals"]);
        assert_eq!(root.get("escapes").and_then(Node::as_str), Some("café / \"q\" \\ \t \n 😀 ✓"));
        let numbers = root.get("numbers").and_then(Node::as_seq).expect("numbers");
        assert_eq!(numbers[0].value, Value::Int(0));
        assert!(matches!(numbers[1].value, Value::Float(f) if f == 0.0 && f.is_sign_negative()));
        assert_eq!(numbers[2].value, Value::Float(1000.0));
    }

    #[test]
    fn top_level_scalars() {
        assert_eq!(parse(" \"x\" ").value, Value::String("x".into()));
        assert_eq!(parse("12").value, Value::Int(12));
        assert_eq!(parse("null\n").value, Value::Null);
    }

    #[test]
    fn raw_text_and_plain_flags() {
        let root = parse(r#"{"a": 1e3, "b": "1e3", "c": true, "d": 26.10}"#);
        let raw = |k: &str| root.get(k).map(|n| (n.raw.as_deref(), n.plain));
        assert_eq!(raw("a"), Some((Some("1e3"), true)));
        assert_eq!(raw("b"), Some((Some("\"1e3\""), false)));
        assert_eq!(raw("c"), Some((Some("true"), true)));
        assert_eq!(raw("d"), Some((Some("26.10"), true)));
    }

    #[test]
    fn spans_with_non_ascii_text() {
        let text = "{\n  \"description\": \"Café ✓\", \"version\": 26.10,\n  \"list\": [1, {\"é\": []}]\n}\n";
        let root = parse(text);
        let version = root.entry("version").expect("version");
        assert_eq!(at(version.key_span), (2, 28));
        assert_eq!(version.key_span.start.offset, text.find("\"version\"").expect("key"));
        assert_eq!(at(version.value.span), (2, 39));
        assert_eq!(version.value.span.start.offset, text.find("26.10").expect("value"));
        let list = root.get("list").expect("list");
        assert_eq!(&text[list.span.start.offset..list.span.end.offset], "[1, {\"é\": []}]");
        let inner = root.pointer(&["list", "1", "é"]).expect("inner");
        assert_eq!((at(inner.span), inner.span.end.column - inner.span.start.column), ((3, 21), 2));
        assert_eq!((at(root.span), (root.span.end.line, root.span.end.column)), ((1, 1), (4, 2)));
        let key = root.key_span_at(&["list", "1", "é"]).expect("key");
        assert_eq!(&text[key.start.offset..key.end.offset], "\"é\"");
    }

    #[test]
    fn syntax_errors_have_serde_json_messages_and_positions() {
        for (text, message, pos) in [
            ("{\"a\": 1,}", "trailing comma", (1, 8)),
            // serde_json reports a trailing comma at the bracket after it.
            ("{\n  \"a\": [1, 2,]\n}", "trailing comma", (2, 13)),
            ("{\"a\" 1}", "expected `:`", (1, 6)),
            ("{\"a\": tru}", "expected ident", (1, 10)),
            ("[1] x", "trailing characters", (1, 5)),
            ("{\"a\": \"x\", b: 1}", "key must be a string", (1, 12)),
            ("{\"n\": 1e400}", "number out of range", (1, 11)),
            // A missing quote runs to the end of the file: point just after the last byte read.
            ("{\"a: 1}", "EOF while parsing a string", (1, 8)),
            ("{\"a\": 1\n", "EOF while parsing an object", (2, 1)),
        ] {
            let e = fail(text);
            assert_eq!((e.message.as_str(), at(e.span)), (message, pos), "{text:?}");
        }
    }

    /// serde_json calls a comment where a key goes "key must be a string".
    #[test]
    fn comments_are_named_as_such() {
        for (text, pos) in [
            ("{\n  // the baseline\n  \"id\": \"x\"\n}", (2, 3)),
            ("{\"id\": \"x\", /* note */ \"a\": 1}", (1, 13)),
            ("{\"id\": /* note */ \"x\"}", (1, 8)),
        ] {
            let e = fail(text);
            assert_eq!((e.message.as_str(), at(e.span)), ("JSON has no comments", pos), "{text:?}");
            assert!(e.help.as_deref().is_some_and(|h| h.contains("YAML")), "{e:?}");
        }
    }

    #[test]
    fn syntax_error_columns_count_characters_and_offsets_bytes() {
        let text = "{\n  \"d\": \"Café ✓\", x}";
        let e = fail(text);
        assert_eq!((e.message.as_str(), at(e.span)), ("key must be a string", (2, 18)));
        assert_eq!(e.span.start.offset, text.find('x').expect("x"));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let root = parse("\u{feff}{\"a\": 1}");
        let a = root.entry("a").expect("a");
        assert_eq!((at(a.key_span), a.key_span.start.offset), ((1, 2), 4));
        // The trailing comma itself: column 8, byte 10 after the 3-byte mark.
        let e = fail("\u{feff}{\"a\": 1,}");
        assert_eq!((at(e.span), e.span.start.offset), ((1, 8), 10));
    }

    #[test]
    fn empty_files_are_errors_at_the_start() {
        for text in ["", "  \n\t", "\u{feff}"] {
            let e = fail(text);
            assert_eq!(e.message, "the file is empty; expected a policy mapping", "{text:?}");
            assert_eq!(at(e.span), (1, 1));
        }
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = fail("{\"a\": 1,\n \"b\": {\"a\": 2},\n \"a\": 3}");
        assert_eq!((e.message.as_str(), at(e.span)), ("duplicate key `a`", (3, 2)));
        let (note, first) = e.note.expect("note");
        assert_eq!((note.as_str(), at(first)), ("first defined here", (1, 2)));
        // Escapes are decoded before comparing.
        let e = fail(r#"{"é": 1, "\u00e9": 2}"#);
        assert_eq!(e.message, "duplicate key `é`");
    }

    #[test]
    fn integers_beyond_i64_are_errors() {
        for text in ["[9223372036854775808]", "[-9223372036854775809]", "[18446744073709551616]"] {
            let e = fail(text);
            assert!(e.message.contains("out of range"), "{text}: {}", e.message);
            assert_eq!(at(e.span), (1, 2));
        }
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        parse(&ok);
        for depth in [MAX_DEPTH + 1, 127, 128, 10_000] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let e = fail(&deep);
            assert!(e.message.contains("nested too deeply"), "{depth}: {}", e.message);
        }
    }

    #[test]
    fn same_structure_in_json_and_yaml_gives_the_same_tree() {
        let yaml = "name: demo\nversion: 26.10\ncount: 3\nenabled: true\nnothing: null\n\
                    tags: [a, 'b c']\nrules:\n  - id: \"x\"\n    when: {os: macOS}\n";
        let json = r#"{"name": "demo", "version": 26.10, "count": 3, "enabled": true,
            "nothing": null, "tags": ["a", "b c"], "rules": [{"id": "x", "when": {"os": "macOS"}}]}"#;
        assert_eq!(parse_yaml(yaml).expect("yaml").to_json(), parse(json).to_json());
        // JSON text is YAML too, and reads the same both ways.
        assert_eq!(parse_yaml(json).expect("json as yaml").to_json(), parse(json).to_json());
    }

    /// Any JSON value without duplicate keys or integers beyond i64 (the two things we refuse).
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let text = "[a-zé✓😀 \"\\\\/\t\n\u{1}]{0,6}";
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e300f64..1e300).prop_map(serde_json::Value::from),
            text.prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
                prop::collection::vec((text, inner), 0..5)
                    .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Compact or pretty, our tree holds exactly what serde_json reads, and the YAML reader
        /// agrees on the same text.
        #[test]
        fn round_trips_through_serde_json(value in json_value()) {
            for text in [value.to_string(), serde_json::to_string_pretty(&value).expect("json")] {
                let root = parse_json(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&root.to_json(), &value);
                let yaml = parse_yaml(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&yaml.to_json(), &value);
            }
        }

        /// Truncated or corrupted JSON never panics and errors point inside the text.
        #[test]
        fn broken_json_never_panics(value in json_value(), cut in 0usize..200, junk in "[\\[\\]{},:\"\\\\ 0a-]") {
            let mut text = value.to_string();
            let mut cut = cut.min(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.insert_str(cut, &junk);
            if let Err(e) = parse_json(&text) {
                prop_assert!(e.span.start.offset <= text.len());
                prop_assert!(text.is_char_boundary(e.span.start.offset));
            }
        }
    }
}
