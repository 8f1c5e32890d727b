//! YAML: turns saphyr-parser's event stream into a [`Node`] tree.
//!
//! saphyr checks the syntax; this file adds what a policy file needs on top: exactly one
//! document, YAML 1.2 core-schema typing of plain scalars, scalar and unique keys, no tags but
//! `!!str`, aliases expanded within a size budget, and bounded nesting.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, StrInput, Tag};

use super::{Entry, Locator, MAX_DEPTH, MAX_NODES, MapBuilder, Node, ParseError, Value, out_of_range, too_deep};
use crate::source::Span;

/// saphyr's span type: positions in characters, not bytes.
type CharSpan = saphyr_parser::Span;

/// Parses one YAML document (a policy file) into a tree of spanned nodes.
pub fn parse_yaml(text: &str) -> Result<Node, ParseError> {
    Builder { text, events: Parser::new_from_str(text), locator: Locator::new(text), anchors: HashMap::new(), nodes: 0 }
        .document()
}

struct Builder<'a> {
    text: &'a str,
    events: Parser<'a, StrInput<'a>>,
    locator: Locator<'a>,
    /// Finished anchored nodes by saphyr's anchor id (unique per `&name` occurrence, so a
    /// redefined name simply gets a new id), with the number of nodes each one holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes produced so far, aliases counted in full, against [`MAX_NODES`].
    nodes: usize,
}

impl<'a> Builder<'a> {
    fn document(mut self) -> Result<Node, ParseError> {
        let (event, span) = self.next()?;
        if event != Event::StreamStart {
            return Err(self.unexpected(span));
        }
        let (event, span) = self.next()?;
        match event {
            Event::StreamEnd => return Err(ParseError::empty_file(&self.locator)),
            Event::DocumentStart(_) => {}
            _ => return Err(self.unexpected(span)),
        }
        let (event, span) = self.next()?;
        let root = self.node(event, span, 0)?;
        // A document with nothing but `---` (and comments) has an empty plain scalar as root.
        if root.plain && root.value == Value::Null && root.raw.as_deref() == Some("") {
            return Err(ParseError::empty_file(&self.locator));
        }
        let (event, span) = self.next()?;
        if event != Event::DocumentEnd {
            return Err(self.unexpected(span));
        }
        let (event, span) = self.next()?;
        match event {
            Event::StreamEnd => Ok(root),
            Event::DocumentStart(_) => Err(ParseError::new("only one document per file", self.span(span))
                .with_help("remove this `---` line and what follows, or move it to its own file")),
            _ => Err(self.unexpected(span)),
        }
    }

    /// Builds the node that starts with `event`; `depth` counts the collections around it.
    fn node(&mut self, event: Event<'a>, span: CharSpan, depth: usize) -> Result<Node, ParseError> {
        let nodes_before = self.nodes;
        let (node, anchor) = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let node = self.scalar(&value, style, tag.as_deref(), anchor > 0, span)?;
                (node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let start = self.start_of_collection(tag.as_deref(), anchor > 0, span, depth)?;
                (self.sequence(start, depth)?, anchor)
            }
            Event::MappingStart(anchor, tag) => {
                let start = self.start_of_collection(tag.as_deref(), anchor > 0, span, depth)?;
                (self.mapping(start, depth)?, anchor)
            }
            Event::Alias(id) => return self.alias(id, span),
            _ => return Err(self.unexpected(span)),
        };
        self.count(1, node.span)?;
        if anchor > 0 {
            let size = self.nodes - nodes_before;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        Ok(node)
    }

    fn scalar(
        &self,
        value: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        has_anchor: bool,
        span: CharSpan,
    ) -> Result<Node, ParseError> {
        let full = self.span(span);
        let span = if has_anchor || tag.is_some() { self.skip_properties(full) } else { full };
        let plain = style == ScalarStyle::Plain;
        // An empty plain scalar (`key:` with no value) has no text; saphyr places it at the
        // indicator before it (at `:`, just after `-`), which is where we point.
        let (span, raw) = if plain && value.is_empty() {
            (Span::point(span.start), String::new())
        } else {
            let raw = self.text.get(span.start.offset..span.end.offset);
            (span, raw.unwrap_or_default().to_owned())
        };
        let value = match tag {
            Some(tag) if is_str_tag(tag) => Value::String(value.to_owned()),
            Some(_) => return Err(unsupported_tag(full)),
            None if plain => resolve_plain(value).map_err(|OutOfRange| out_of_range(value, span))?,
            None => Value::String(value.to_owned()),
        };
        Ok(Node { value, span, raw: Some(raw), plain: plain && tag.is_none() })
    }

    /// Checks what may precede a list or mapping and returns where it starts.
    fn start_of_collection(
        &self,
        tag: Option<&Tag>,
        has_anchor: bool,
        span: CharSpan,
        depth: usize,
    ) -> Result<Span, ParseError> {
        let full = self.span(span);
        if tag.is_some() {
            return Err(unsupported_tag(full));
        }
        let start = if has_anchor { self.skip_properties(full) } else { full };
        if depth >= MAX_DEPTH {
            return Err(too_deep(start));
        }
        Ok(start)
    }

    fn sequence(&mut self, start: Span, depth: usize) -> Result<Node, ParseError> {
        let mut items: Vec<Node> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if event == Event::SequenceEnd {
                let end = self.end_of_collection(span, items.last().map(|n| n.span), start);
                return Ok(collection(Value::Seq(items), start, end));
            }
            items.push(self.node(event, span, depth + 1)?);
        }
    }

    fn mapping(&mut self, start: Span, depth: usize) -> Result<Node, ParseError> {
        let mut map = MapBuilder::default();
        let mut last = None;
        loop {
            let (event, span) = self.next()?;
            if event == Event::MappingEnd {
                let end = self.end_of_collection(span, last, start);
                return Ok(collection(Value::Map(map.finish()), start, end));
            }
            let (key, key_span) = self.key(event, span, depth)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span, depth + 1)?;
            last = Some(value.span);
            map.push(Entry { key, key_span, value })?;
        }
    }

    /// A mapping key: its text as written (`1` is "1", `"a"` is "a") and its span. Keys must
    /// be scalars, because every key of a policy names a setting.
    fn key(&mut self, event: Event<'a>, span: CharSpan, depth: usize) -> Result<(String, Span), ParseError> {
        let key = match &event {
            Event::Scalar(value, ..) => value.to_string(),
            Event::Alias(_) => {
                let message = "an alias cannot be used as a mapping key";
                return Err(ParseError::new(message, self.span(span)).with_help("write the key out"));
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let kind = if matches!(event, Event::SequenceStart(..)) { "a list" } else { "a mapping" };
                let message = format!("a mapping key must be a plain value, not {kind}");
                return Err(ParseError::new(message, self.span(span)));
            }
            _ => return Err(self.unexpected(span)),
        };
        let node = self.node(event, span, depth + 1)?;
        if node.plain && node.value == Value::Null && key.is_empty() {
            return Err(ParseError::new("this mapping key is empty", node.span));
        }
        // YAML 1.1's merge key is not part of YAML 1.2: read as a plain key it would silently
        // merge nothing, so say so.
        if node.plain && key == "<<" {
            let help = "write the keys out, or use an alias (`*name`) for the whole value";
            let message = "merge keys (`<<`) are not supported";
            return Err(ParseError::new(message, node.span).with_help(help));
        }
        Ok((key, node.span))
    }

    /// A copy of the anchored node, placed at the alias.
    fn alias(&mut self, id: usize, span: CharSpan) -> Result<Node, ParseError> {
        let span = self.span(span);
        let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
            return Err(self.recursive_alias(span));
        };
        // Count before copying, so an alias bomb stops before it allocates.
        self.count(size, span)?;
        let Some((node, _)) = self.anchors.get(&id) else {
            return Err(self.recursive_alias(span));
        };
        let mut node = node.clone();
        node.span = span;
        Ok(node)
    }

    /// saphyr rejects unknown anchor names itself, so an alias whose anchor is not finished
    /// yet sits inside the very node it names.
    fn recursive_alias(&self, span: Span) -> ParseError {
        let message = format!("alias `{}` is inside the value it refers to", self.slice(span));
        ParseError::new(message, span)
    }

    /// Adds `n` nodes to the budget, failing once the document grows beyond [`MAX_NODES`].
    fn count(&mut self, n: usize, at: Span) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(ParseError::new(format!("the document is too large (more than {MAX_NODES} values)"), at)
                .with_help("aliases (`*name`) copy the whole anchored value; use fewer of them"));
        }
        Ok(())
    }

    /// Where a collection ends: a flow collection's `]`/`}`, else its last child (saphyr puts
    /// a block collection's end at the next token, possibly lines further down).
    fn end_of_collection(&self, end: CharSpan, last_child: Option<Span>, start: Span) -> Span {
        if end.is_empty() { last_child.unwrap_or(start) } else { self.span(end) }
    }

    fn next(&mut self) -> Result<(Event<'a>, CharSpan), ParseError> {
        match self.events.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(self.scan_error(&error)),
            None => Err(ParseError::new(
                "unexpected end of the file",
                Span::point(self.locator.pos_at_byte(self.text.len())),
            )),
        }
    }

    /// saphyr's own error, at its position, with advice for the common cases.
    fn scan_error(&self, error: &ScanError) -> ParseError {
        let at = Span::point(self.locator.pos_at_char(error.marker().index()));
        let info = error.info();
        // saphyr's scanner reads far ahead inside `[`/`{` and caps their nesting at 255 itself,
        // so deep flow nesting can fail there before our own limit is reached.
        if info == "recursion limit exceeded" {
            return too_deep(at);
        }
        let (message, help) = if info.ends_with("found unexpected end of stream") && info.contains("quoted scalar") {
            ("this quoted string is not closed".to_owned(), "add the closing quote")
        } else if info == "while parsing node, found unknown anchor" {
            let name = self.slice(at).trim_start_matches('*');
            (format!("unknown anchor `{name}`"), "an alias `*name` needs an anchor `&name` earlier in the file")
        } else if info.starts_with("tabs disallowed") {
            // saphyr reports the position after the indentation; point at the tab itself.
            let offset = at.start.offset.min(self.text.len());
            let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let at = match self.text[line_start..offset].find('\t') {
                Some(tab) => Span::point(self.locator.pos_at_byte(line_start + tab)),
                None => at,
            };
            return ParseError::new(info, at).with_help("indent with spaces; YAML does not allow tabs here");
        } else if info == "invalid indentation in quoted scalar" {
            (info.to_owned(), "check for a missing closing quote")
        } else if info.contains("expected ',' or ']'") {
            (info.to_owned(), "check for a missing `]` or `,`")
        } else if info.contains("expected ',' or '}'") {
            (info.to_owned(), "check for a missing `}` or `,`")
        } else {
            return ParseError::new(info, at);
        };
        ParseError::new(message, at).with_help(help)
    }

    /// An event the parser should never produce at this point; reported rather than panicking.
    fn unexpected(&self, span: CharSpan) -> ParseError {
        ParseError::new("unexpected YAML structure", self.span(span))
    }

    fn span(&self, span: CharSpan) -> Span {
        Span::new(self.locator.pos_at_char(span.start.index()), self.locator.pos_at_char(span.end.index()))
    }

    /// The source text of `span`; for a point, the word starting there (e.g. an alias name).
    fn slice(&self, span: Span) -> &'a str {
        let rest = self.text.get(span.start.offset..).unwrap_or_default();
        if span.end.offset > span.start.offset {
            rest.get(..span.end.offset - span.start.offset).unwrap_or_default()
        } else {
            rest.split(|c: char| c.is_whitespace() || ",[]{}".contains(c)).next().unwrap_or_default()
        }
    }

    /// Narrows a span that saphyr starts at the node's properties (`&anchor`, `!tag`) to the
    /// value itself, so spans and raw text cover what was written as the value.
    fn skip_properties(&self, span: Span) -> Span {
        let bytes = self.text.as_bytes();
        let end = span.end.offset.min(bytes.len());
        let mut at = span.start.offset;
        let byte = |i: usize| if i < end { bytes.get(i).copied() } else { None };
        loop {
            // Separating blanks and comments.
            while let Some(b) = byte(at) {
                match b {
                    b' ' | b'\t' | b'\r' | b'\n' => at += 1,
                    b'#' => {
                        while byte(at).is_some_and(|b| b != b'\n') {
                            at += 1;
                        }
                    }
                    _ => break,
                }
            }
            match (byte(at), byte(at + 1)) {
                // A verbatim tag `!<...>` may contain flow indicators.
                (Some(b'!'), Some(b'<')) => {
                    while byte(at).is_some_and(|b| b != b'>') {
                        at += 1;
                    }
                    at += 1;
                }
                (Some(b'&' | b'!'), _) => {
                    while byte(at).is_some_and(|b| !b" \t\r\n,[]{}".contains(&b)) {
                        at += 1;
                    }
                }
                _ => break,
            }
        }
        // `at` only ever stops on ASCII bytes or at `end`, so it is a char boundary.
        Span::new(self.locator.pos_at_byte(at.min(end)), span.end)
    }
}

fn collection(value: Value, start: Span, end: Span) -> Node {
    Node { value, span: Span::new(start.start, end.end), raw: None, plain: false }
}

/// `!!str` (or its verbatim form), the one tag we accept: it is how YAML says "this is text".
fn is_str_tag(tag: &Tag) -> bool {
    let core = tag.is_yaml_core_schema() || (tag.handle.is_empty() && tag.suffix.starts_with("tag:yaml.org,2002:"));
    core && tag.suffix.trim_start_matches("tag:yaml.org,2002:") == "str"
}

fn unsupported_tag(span: Span) -> ParseError {
    ParseError::new("tags are not supported", span)
        .with_help("remove the tag; to keep a value as text, put it in quotes")
}

/// A plain scalar that looks like a number but does not fit one.
struct OutOfRange;

/// The type of a plain scalar under the YAML 1.2 core schema, strictly: only the spellings the
/// schema lists are booleans, nulls and numbers; everything else (`yes`, `on`, `26.3.1`,
/// `2026-12-01`) is a string. Numbers that do not fit an i64 or a finite f64 are errors rather
/// than silently rounded.
fn resolve_plain(text: &str) -> Result<Value, OutOfRange> {
    let value = match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => {
            let radix = [("0o", 8), ("0x", 16)].into_iter().find_map(|(prefix, radix)| {
                let digits = text.strip_prefix(prefix)?;
                let ok = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
                ok.then_some((digits, radix))
            });
            if let Some((digits, radix)) = radix {
                i64::from_str_radix(digits, radix).map(Value::Int).map_err(|_| OutOfRange)?
            } else if is_decimal_int(text) {
                text.parse().map(Value::Int).map_err(|_| OutOfRange)?
            } else if is_float(text) {
                match text.parse::<f64>() {
                    Ok(f) if f.is_finite() => Value::Float(f),
                    _ => return Err(OutOfRange),
                }
            } else {
                Value::String(text.to_owned())
            }
        }
    };
    Ok(value)
}

/// `[-+]?[0-9]+`
fn is_decimal_int(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(text: &str) -> bool {
    /// Splits off the leading ASCII digits.
    fn digits(s: &str) -> (&str, &str) {
        s.split_at(s.bytes().take_while(u8::is_ascii_digit).count())
    }
    let rest = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, rest) = digits(rest);
    let rest = match rest.strip_prefix('.') {
        Some(after_dot) => {
            let (frac, rest) = digits(after_dot);
            if int.is_empty() && frac.is_empty() {
                return false;
            }
            rest
        }
        None if int.is_empty() => return false,
        None => rest,
    };
    if rest.is_empty() {
        return true;
    }
    let Some(exponent) = rest.strip_prefix(['e', 'E']) else {
        return false;
    };
    let (exp_digits, rest) = digits(exponent.strip_prefix(['-', '+']).unwrap_or(exponent));
    !exp_digits.is_empty() && rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Pos;
    use proptest::prelude::*;

    fn parse(text: &str) -> Node {
        parse_yaml(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn fail(text: &str) -> ParseError {
        match parse_yaml(text) {
            Ok(node) => panic!("{text:?} parsed as {:?}", node.to_json()),
            Err(e) => e,
        }
    }

    /// (line, column) of a span's start.
    fn at(span: Span) -> (u32, u32) {
        (span.start.line, span.start.column)
    }

    fn end(span: Span) -> (u32, u32) {
        (span.end.line, span.end.column)
    }

    fn value_of(scalar: &str) -> Value {
        let root = parse(&format!("v: {scalar}\n"));
        root.get("v").expect("v").value.clone()
    }

    #[test]
    fn spans_of_keys_values_and_collections() {
        let text = "name: demo\nlist:\n  - a\n  - {k: v}\nflow: [1, [2]]\n";
        let root = parse(text);
        let name = root.entry("name").expect("name");
        assert_eq!((at(name.key_span), end(name.key_span)), ((1, 1), (1, 5)));
        assert_eq!((at(name.value.span), end(name.value.span)), ((1, 7), (1, 11)));
        assert_eq!(name.value.span.start.offset, 6);
        let list = root.get("list").expect("list");
        assert_eq!((at(list.span), end(list.span)), ((3, 3), (4, 11)));
        let flow = root.get("flow").expect("flow");
        assert_eq!((at(flow.span), end(flow.span)), ((5, 7), (5, 15)));
        assert_eq!(&text[flow.span.start.offset..flow.span.end.offset], "[1, [2]]");
        // The root mapping runs from its first key to its last value.
        assert_eq!((at(root.span), end(root.span)), ((1, 1), (5, 15)));
    }

    #[test]
    fn positions_count_characters_in_columns_and_bytes_in_offsets() {
        let text = "description: \"Café ✓\"\nversion: 26.10\nx: {é: ✓, bad: yes}\n";
        let root = parse(text);
        let description = root.get("description").expect("description");
        assert_eq!(description.as_str(), Some("Café ✓"));
        assert_eq!((at(description.span), end(description.span)), ((1, 14), (1, 22)));
        assert_eq!(description.span.end.offset, text.find('\n').expect("newline"));
        let version = root.get("version").expect("version");
        assert_eq!(at(version.span), (2, 10));
        assert_eq!(version.span.start.offset, text.find("26.10").expect("26.10"));
        let bad = root.entry("x").and_then(|x| x.value.entry("bad")).expect("bad");
        assert_eq!(at(bad.key_span), (3, 11));
        assert_eq!(bad.key_span.start.offset, text.find("bad").expect("bad"));
        assert_eq!(at(bad.value.span), (3, 16));
        assert_eq!(bad.value.span.start.offset, text.find("yes").expect("yes"));
    }

    #[test]
    fn byte_order_mark_and_crlf_line_ends() {
        let text = "\u{feff}a: 1\r\nb: é\r\nc: 3\r\n";
        let root = parse(text);
        let a = root.entry("a").expect("a");
        assert_eq!(at(a.key_span), (1, 1));
        assert_eq!(a.key_span.start.offset, 3);
        let c = root.get("c").expect("c");
        assert_eq!(at(c.span), (3, 4));
        assert_eq!(c.span.start.offset, text.find('3').expect("3"));
    }

    #[test]
    fn plain_scalars_follow_the_yaml_1_2_core_schema() {
        let cases = [
            ("true", Value::Bool(true)),
            ("True", Value::Bool(true)),
            ("TRUE", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("False", Value::Bool(false)),
            ("FALSE", Value::Bool(false)),
            ("null", Value::Null),
            ("Null", Value::Null),
            ("NULL", Value::Null),
            ("~", Value::Null),
            ("", Value::Null),
            ("0", Value::Int(0)),
            ("-0", Value::Int(0)),
            ("42", Value::Int(42)),
            ("-12", Value::Int(-12)),
            ("+7", Value::Int(7)),
            ("0777", Value::Int(777)),
            ("0o17", Value::Int(15)),
            ("0x1F", Value::Int(31)),
            ("0xff", Value::Int(255)),
            ("9223372036854775807", Value::Int(i64::MAX)),
            ("-9223372036854775808", Value::Int(i64::MIN)),
            ("1.5", Value::Float(1.5)),
            ("26.10", Value::Float(26.1)),
            ("-1.5E-3", Value::Float(-0.0015)),
            ("1e3", Value::Float(1000.0)),
            ("1E+3", Value::Float(1000.0)),
            (".5", Value::Float(0.5)),
            ("1.", Value::Float(1.0)),
            ("1.e2", Value::Float(100.0)),
            ("+.5", Value::Float(0.5)),
            (".inf", Value::Float(f64::INFINITY)),
            ("+.Inf", Value::Float(f64::INFINITY)),
            ("-.INF", Value::Float(f64::NEG_INFINITY)),
        ];
        for (text, expected) in cases {
            assert_eq!(value_of(text), expected, "{text:?}");
        }
        for nan in [".nan", ".NaN", ".NAN"] {
            assert!(matches!(value_of(nan), Value::Float(f) if f.is_nan()), "{nan}");
        }
        let strings = [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "Yes",
            "tRue",
            "nul",
            "26.3.1",
            "2026-12-01",
            "2026-12-01T18:00:00",
            "0b101",
            "1_000",
            "-0x1F",
            "0o8",
            "0x",
            "0o",
            "0xG",
            "1e",
            "1e+",
            ".",
            "+",
            "+-1",
            "e3",
            ".e3",
            ".infinity",
            "inf",
            "nan",
            "1.5.",
            "12:30",
            "1,000",
            "v1.2",
            "~x",
            "0x1F ff",
        ];
        for text in strings {
            assert_eq!(value_of(text), Value::String(text.to_owned()), "{text:?}");
        }
        // YAML's syntax never lets `-` alone be a plain scalar, but the rule still holds.
        assert!(matches!(resolve_plain("-"), Ok(Value::String(s)) if s == "-"));
    }

    #[test]
    fn quoted_and_block_scalars_are_always_strings() {
        let text = "a: \"true\"\nb: '1'\nc: \"\"\nd: |\n  1\ne: >\n  null\n";
        let root = parse(text);
        let strings: Vec<_> =
            ["a", "b", "c", "d", "e"].iter().map(|k| root.get(k).and_then(Node::as_str).expect(k)).collect();
        assert_eq!(strings, ["true", "1", "", "1\n", "null\n"]);
        assert!(["a", "b", "c", "d", "e"].iter().all(|k| root.get(k).is_some_and(|n| !n.plain)));
    }

    #[test]
    fn raw_text_is_kept_as_written() {
        let root = parse("a: 26.10\nb: yes\nc: 0x1F\nd: \"q\\u00e9\"\ne: [ 1e3 ]\nf: foo\n  bar\n");
        let raw = |k: &str| root.get(k).and_then(|n| n.raw.clone()).expect(k);
        assert_eq!(raw("a"), "26.10");
        assert_eq!(raw("b"), "yes");
        assert_eq!(raw("c"), "0x1F");
        assert_eq!(raw("d"), "\"q\\u00e9\"");
        assert_eq!(root.get("d").and_then(Node::as_str), Some("qé"));
        let first = root.pointer(&["e", "0"]).expect("e/0");
        assert_eq!((first.raw.as_deref(), first.plain), (Some("1e3"), true));
        // A multi-line plain scalar: folded value, raw text as it stands in the file.
        assert_eq!(root.get("f").and_then(Node::as_str), Some("foo bar"));
        assert_eq!(raw("f"), "foo\n  bar");
        assert!(root.get("a").is_some_and(|n| n.plain));
        assert!(root.get("d").is_some_and(|n| !n.plain));
        assert_eq!(root.raw, None);
    }

    #[test]
    fn empty_values_are_null_and_point_at_their_indicator() {
        let root = parse("a:\nb: [x, ]\nc:\n  -\n");
        let a = root.get("a").expect("a");
        assert_eq!((&a.value, a.raw.as_deref()), (&Value::Null, Some("")));
        assert_eq!((at(a.span), end(a.span)), ((1, 2), (1, 2)));
        // An empty list item: just after its `-`.
        let item = root.pointer(&["c", "0"]).expect("c/0");
        assert_eq!((&item.value, at(item.span)), (&Value::Null, (4, 4)));
    }

    #[test]
    fn numbers_out_of_range_are_errors() {
        for (text, column) in [
            ("9223372036854775808", 4),
            ("-9223372036854775809", 4),
            ("0x8000000000000000", 4),
            ("1e400", 4),
            ("[1, -1e999]", 8),
        ] {
            let e = fail(&format!("v: {text}"));
            assert!(e.message.contains("out of range"), "{text}: {}", e.message);
            assert_eq!(at(e.span), (1, column), "{text}");
        }
    }

    #[test]
    fn str_tag_forces_a_string() {
        let root = parse("a: !!str 26.10\nb: !<tag:yaml.org,2002:str> true\nc: !!str\nd: [!!str 1]\n");
        let a = root.get("a").expect("a");
        assert_eq!(a.as_str(), Some("26.10"));
        assert_eq!((at(a.span), a.raw.as_deref(), a.plain), ((1, 10), Some("26.10"), false));
        assert_eq!(root.get("b").and_then(Node::as_str), Some("true"));
        assert_eq!(root.get("c").and_then(Node::as_str), Some(""));
        assert_eq!(root.pointer(&["d", "0"]).and_then(Node::as_str), Some("1"));
    }

    #[test]
    fn other_tags_are_errors_at_the_node() {
        for (text, pos) in [
            ("a: !!int 5", (1, 4)),
            ("a: !custom x", (1, 4)),
            ("a: !!map {b: 1}", (1, 4)),
            ("a: !!str [b]", (1, 4)),
            ("a:\n  - !!binary aGk=", (2, 5)),
            ("!!int 3: x", (1, 1)),
            ("--- !!map\na: 1", (1, 5)),
        ] {
            let e = fail(text);
            assert_eq!(e.message, "tags are not supported", "{text}");
            assert_eq!(at(e.span), pos, "{text}");
        }
    }

    #[test]
    fn keys_are_the_scalar_text_as_written() {
        let root = parse("1: a\ntrue: b\n\"q\": c\nnull: d\n~: e\n0x10: f\n'1.0': g\n");
        let keys: Vec<_> = root.as_map().expect("map").iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["1", "true", "q", "null", "~", "0x10", "1.0"]);
        let quoted = root.entry("q").expect("q");
        assert_eq!((at(quoted.key_span), end(quoted.key_span)), ((3, 1), (3, 4)));
    }

    #[test]
    fn keys_must_be_scalars() {
        for (text, pos, kind) in [
            ("? [a]\n: 1\n", (1, 3), "a list"),
            ("? {a: 1}\n: 1\n", (1, 3), "a mapping"),
            ("x: {[a]: 1}", (1, 5), "a list"),
        ] {
            let e = fail(text);
            assert_eq!(e.message, format!("a mapping key must be a plain value, not {kind}"));
            assert_eq!(at(e.span), pos, "{text}");
        }
        let e = fail("a: &k x\n*k : 1\n");
        assert_eq!((e.message.as_str(), at(e.span)), ("an alias cannot be used as a mapping key", (2, 1)));
        let e = fail("a: 1\n: 2\n");
        assert_eq!((e.message.as_str(), at(e.span)), ("this mapping key is empty", (2, 1)));
        let e = fail("base: &b {x: 1}\nother:\n  <<: *b\n");
        assert_eq!((e.message.as_str(), at(e.span)), ("merge keys (`<<`) are not supported", (3, 3)));
        // Quoted, it is just a key.
        assert!(parse("\"<<\": 1").get("<<").is_some());
    }

    #[test]
    fn duplicate_keys_point_at_both() {
        let e = fail("a: 1\nb: 2\na: 3\n");
        assert_eq!(e.message, "duplicate key `a`");
        assert_eq!((at(e.span), end(e.span)), ((3, 1), (3, 2)));
        let (note, first) = e.note.expect("note");
        assert_eq!((note.as_str(), at(first), end(first)), ("first defined here", (1, 1), (1, 2)));

        let e = fail("x:\n  key: 1\n  \"key\": 2\n");
        assert_eq!((e.message.as_str(), at(e.span)), ("duplicate key `key`", (3, 3)));
        assert_eq!(e.note.map(|(_, s)| at(s)), Some((2, 3)));

        let e = fail("x: {é: 1, é: 2}");
        assert_eq!(at(e.span), (1, 11));
        assert_eq!(e.span.start.offset, 11);

        // The same key in different mappings is fine.
        parse("x: {a: 1}\ny: {a: 2}\nz:\n  - a: 1\n  - a: 2\n");
    }

    #[test]
    fn aliases_copy_the_anchored_node_at_the_alias_position() {
        let text = "base: &b {x: 1, y: [2]}\ncopy: *b\nv: &v 26.10\nw: *v\n";
        let root = parse(text);
        let base = root.get("base").expect("base");
        let copy = root.get("copy").expect("copy");
        assert_eq!(copy.value, base.value);
        assert_eq!((at(copy.span), end(copy.span)), ((2, 7), (2, 9)));
        // The anchored collection's own span starts at `{`, not at `&b`.
        assert_eq!(at(base.span), (1, 10));
        let w = root.get("w").expect("w");
        assert_eq!((&w.value, w.raw.as_deref(), at(w.span)), (&Value::Float(26.1), Some("26.10"), (4, 4)));
        let v = root.get("v").expect("v");
        assert_eq!((at(v.span), v.raw.as_deref()), ((3, 7), Some("26.10")));
    }

    #[test]
    fn block_collections_with_anchors() {
        let root = parse("a: &x\n  b: 1\nc: *x\nd: &y # comment\n  - 1\ne: *y\n");
        assert_eq!(root.get("c").map(Node::to_json), Some(serde_json::json!({"b": 1})));
        assert_eq!(root.get("e").map(Node::to_json), Some(serde_json::json!([1])));
        assert_eq!(root.get("a").map(|a| at(a.span)), Some((2, 3)));
        assert_eq!(root.get("d").map(|d| at(d.span)), Some((5, 3)));
    }

    #[test]
    fn anchors_can_be_redefined() {
        let root = parse("a: &x 1\nb: &x 2\nc: *x\n");
        assert_eq!(root.get("c").map(|c| &c.value), Some(&Value::Int(2)));
    }

    #[test]
    fn unknown_and_recursive_aliases_are_errors() {
        let e = fail("a: 1\nb: *nope\n");
        assert_eq!((e.message.as_str(), at(e.span)), ("unknown anchor `nope`", (2, 4)));
        assert!(e.help.is_some());
        let e = fail("a: &a [1, *a]");
        assert_eq!((e.message.as_str(), at(e.span)), ("alias `*a` is inside the value it refers to", (1, 11)));
    }

    #[test]
    fn alias_bombs_are_stopped() {
        let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let refs = vec![format!("*l{}", level - 1); 10].join(", ");
            text.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
        }
        let e = fail(&text);
        assert!(e.message.contains("too large"), "{}", e.message);
        assert!(e.help.is_some_and(|h| h.contains("alias")));
        // A few levels of sharing stay well under the cap.
        let small: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
        let root = parse(&small);
        assert_eq!(root.pointer(&["l2", "9", "9", "9"]).and_then(Node::as_str), Some("x"));
    }

    #[test]
    fn syntax_errors_are_reported_at_saphyrs_position() {
        let e = fail("a:\n\tb: 1\n");
        assert!(e.message.contains("tabs"), "{}", e.message);
        assert_eq!(at(e.span), (2, 1), "at the tab itself");
        assert!(e.help.is_some_and(|h| h.contains("spaces")));

        let e = fail("a: \"abc");
        assert_eq!((e.message.as_str(), at(e.span)), ("this quoted string is not closed", (1, 4)));
        let e = fail("a: ok\nb: 'it''s\n");
        assert_eq!((e.message.as_str(), at(e.span)), ("this quoted string is not closed", (2, 4)));
        let e = fail("a: \"abc\nb: 2\n");
        assert_eq!(at(e.span), (1, 4));

        let e = fail("key: [1, 2\n");
        assert!(e.message.contains("expected ',' or ']'"), "{}", e.message);
        assert_eq!(at(e.span), (2, 1));
        assert!(e.help.is_some_and(|h| h.contains(']')));

        let e = fail("a: {x: 1\n");
        assert!(e.help.is_some_and(|h| h.contains('}')));

        let e = fail("é: b: c\n");
        assert_eq!((e.message.as_str(), at(e.span)), ("mapping values are not allowed in this context", (1, 5)));
        assert_eq!(e.span.start.offset, 5);
    }

    #[test]
    fn empty_files_are_errors_at_the_start() {
        for text in ["", "\n\n", "# only a comment\n# and another\n", "---\n", "---\n...\n", "\u{feff}"] {
            let e = fail(text);
            assert_eq!(e.message, "the file is empty; expected a policy mapping", "{text:?}");
            assert_eq!(at(e.span), (1, 1), "{text:?}");
        }
    }

    #[test]
    fn only_one_document_per_file() {
        let e = fail("a: 1\n---\nb: 2\n");
        assert_eq!((e.message.as_str(), at(e.span), end(e.span)), ("only one document per file", (2, 1), (2, 4)));
        let e = fail("a: 1\n...\nb: 2\n");
        assert_eq!(at(e.span), (3, 1));
        let e = fail("# c\n---\na: 1\n--- # empty second\n");
        assert_eq!(at(e.span), (4, 1));
        // Document markers around a single document are fine.
        parse("---\na: 1\n...\n# trailing comment\n");
        parse("%YAML 1.2\n---\na: 1\n");
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        parse(&ok);
        let deeper = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = fail(&deeper);
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
        let column = u32::try_from(MAX_DEPTH + 1).expect("small");
        assert_eq!(at(e.span), (1, column));

        let mut block = String::new();
        for level in 0..=MAX_DEPTH {
            block.push_str(&format!("{}k:\n", " ".repeat(level)));
        }
        assert!(fail(&block).message.contains("nested too deeply"));

        // Far deeper input fails the same way, without exhausting the stack.
        let huge = "[".repeat(200_000);
        assert!(fail(&huge).message.contains("nested too deeply"));
    }

    #[test]
    fn scalar_documents_are_returned_as_is() {
        assert_eq!(parse("hello\n").value, Value::String("hello".into()));
        assert_eq!(parse("~\n").value, Value::Null);
        assert_eq!(parse("- 1\n- 2\n").to_json(), serde_json::json!([1, 2]));
    }

    /// Line and column of `offset` computed the slow, obvious way.
    fn naive_pos(text: &str, offset: usize) -> (u32, u32) {
        let before = text.get(..offset).expect("offset on a char boundary");
        let before = before.strip_prefix('\u{feff}').unwrap_or(before);
        let normalised = before.replace("\r\n", "\n").replace('\r', "\n");
        let line = normalised.matches('\n').count() + 1;
        let column = normalised.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (u32::try_from(line).expect("line"), u32::try_from(column).expect("column"))
    }

    fn check_pos(text: &str, pos: Pos) {
        assert!(pos.offset <= text.len(), "{pos:?} beyond {text:?}");
        assert!(text.is_char_boundary(pos.offset), "{pos:?} not on a char in {text:?}");
        assert_eq!((pos.line, pos.column), naive_pos(text, pos.offset), "{text:?}");
    }

    fn check_spans(text: &str, node: &Node) {
        check_pos(text, node.span.start);
        check_pos(text, node.span.end);
        assert!(node.span.start.offset <= node.span.end.offset, "{text:?}");
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|item| check_spans(text, item)),
            Value::Map(entries) => entries.iter().for_each(|entry| {
                check_pos(text, entry.key_span.start);
                check_pos(text, entry.key_span.end);
                check_spans(text, &entry.value);
            }),
            _ => assert!(node.raw.is_some()),
        }
    }

    /// Fragments that exercise most of YAML's syntax, including invalid combinations.
    fn yamlish() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "b",
            "é",
            "✓",
            ":",
            ": ",
            " ",
            "  ",
            "\n",
            "\r\n",
            "\r",
            "- ",
            "-",
            "[",
            "]",
            "{",
            "}",
            ", ",
            "\"",
            "'",
            "\\",
            "&a ",
            "*a",
            "!!str ",
            "!x ",
            "? ",
            "# c",
            "|",
            ">",
            "---\n",
            "...\n",
            "\t",
            "1",
            "26.10",
            "~",
            "\u{feff}",
            "%YAML 1.2\n",
            "@",
        ]);
        prop::collection::vec(pieces, 0..24).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whatever the input, parsing returns (no panic), and every position it reports is
        /// consistent: on a char boundary, with the line and column of that byte.
        #[test]
        fn any_input_gives_consistent_positions(text in yamlish()) {
            match parse_yaml(&text) {
                Ok(root) => check_spans(&text, &root),
                Err(e) => {
                    check_pos(&text, e.span.start);
                    check_pos(&text, e.span.end);
                    if let Some((_, span)) = e.note {
                        check_pos(&text, span.start);
                    }
                }
            }
        }

        #[test]
        fn plain_scalars_never_panic(text in "[-+.0-9a-fA-FxoeEinINfFaA_:~ ]{0,12}") {
            let _ = resolve_plain(&text);
        }
    }
}
