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
                .of_kind(super::ParseErrorKind::TooLarge)
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
mod tests;
